// A server-side module of an app (SSR, a Node build step) that imports oidc-rp-wasm, type-checked
// with `lib: ["ES2022"]` and no DOM or Node types (tsconfig.no-dom.json): the declarations must
// not make such a project add `lib: DOM`. The browser-only values (URL, Response, ...) are absent
// here, and the parameters typed with them accept strings and bytes only.

import {
  ERROR_CODES,
  OidcClient,
  init,
  isOidcError,
  type InitOptions,
  type OidcClientConfig,
  type OidcError,
  type Session,
  type WasmSource,
} from "oidc-rp-wasm";
import wasmUrl from "oidc-rp-wasm/oidc_rp_wasm_bg.wasm";

export const config: OidcClientConfig = {
  issuer: "https://id.example.com",
  clientId: "spa",
  redirectUri: "https://app.example.com/",
};

/** What a server renders: never a client (create() is for the browser). */
export async function render(): Promise<string> {
  try {
    const client: OidcClient = await OidcClient.create(config);
    const session: Session | null = client.session;
    return session?.subject ?? "signed out";
  } catch (e) {
    if (isOidcError(e, ERROR_CODES.UNSUPPORTED)) return "rendered on the server";
    if (isOidcError(e, "wasm_load")) {
      const failed: OidcError = e;
      return `${failed.reason ?? ""} ${String(failed.cause)}`;
    }
    throw e;
  }
}

// init() accepts what a server module can name: strings and bytes.
const byPath: InitOptions = { module_or_path: "/assets/oidc_rp_wasm_bg.wasm" };
const fromImport: InitOptions = { module_or_path: wasmUrl };
const bytes: WasmSource = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
export const ready: Promise<void>[] = [init(byPath), init(fromImport), init({ module_or_path: bytes }), init(), init({ module_or_path: Promise.resolve(new ArrayBuffer(8)) })];
// @ts-expect-error a number is no source
init({ module_or_path: 42 });
// @ts-expect-error init() takes { module_or_path }, not the source itself
init("/assets/oidc_rp_wasm_bg.wasm");
// @ts-expect-error unknown option
init({ modulePath: "/x.wasm" });
export const code: "wasm_load" = ERROR_CODES.WASM_LOAD;
