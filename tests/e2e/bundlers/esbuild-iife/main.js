import { init } from "oidc-rp-wasm";
import wasmUrl from "oidc-rp-wasm/oidc_rp_wasm_bg.wasm"; // --loader:.wasm=file --public-path=/dist
import { main } from "../app.js";

init({ module_or_path: wasmUrl });
main();
