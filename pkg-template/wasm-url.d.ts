/**
 * `import wasmUrl from "oidc-rp-wasm/oidc_rp_wasm_bg.wasm"`: the URL of the package's WebAssembly
 * module, for bundlers that import a `.wasm` file as its URL (esbuild with `--loader:.wasm=file`).
 * Hand it to `init({ module_or_path })`.
 */
declare const wasmUrl: string;
export default wasmUrl;
