// oidc-rp-wasm: package entry. Loads the WebAssembly module on first use, so apps never call an
// init function themselves. Types and documentation: index.d.ts.

import initWasm, { OidcClient as WasmOidcClient } from './oidc_rp_wasm.js';

let loading = null;

// One instantiation for the page; concurrent first calls share it. A failed load (a network
// blip fetching the .wasm) is forgotten so that the next call tries again.
function load() {
  if (!loading) {
    loading = initWasm({ module_or_path: new URL('./oidc_rp_wasm_bg.wasm', import.meta.url) }).catch(
      (e) => {
        loading = null;
        throw e;
      },
    );
  }
  return loading;
}

/** The relying-party client. Get one with `await OidcClient.create(config)`. */
export class OidcClient {
  constructor() {
    throw new TypeError('use `await OidcClient.create(config)` to make an OidcClient');
  }

  static async create(config) {
    await load();
    return WasmOidcClient.create(config);
  }

  // Instances come from the wasm class; `client instanceof OidcClient` still holds.
  static [Symbol.hasInstance](value) {
    return value instanceof WasmOidcClient;
  }
}

/** The SDK's own error codes, and the OP error codes apps meet most. */
export const ERROR_CODES = Object.freeze({
  // The SDK's own (src/error.rs).
  STATE_MISMATCH: 'state_mismatch',
  ISSUER_MISMATCH: 'issuer_mismatch',
  NONCE_MISMATCH: 'nonce_mismatch',
  INVALID_ID_TOKEN: 'invalid_id_token',
  INVALID_SIGNATURE: 'invalid_signature',
  ID_TOKEN_REQUIRED: 'id_token_required',
  SUBJECT_MISMATCH: 'subject_mismatch',
  INVALID_RESPONSE: 'invalid_response',
  INVALID_CONFIG: 'invalid_config',
  UNSUPPORTED: 'unsupported',
  NO_SESSION: 'no_session',
  TIMEOUT: 'timeout',
  POPUP_CLOSED: 'popup_closed',
  POPUP_BLOCKED: 'popup_blocked',
  NETWORK: 'network',
  STORAGE: 'storage',
  CRYPTO_UNAVAILABLE: 'crypto_unavailable',
  BROWSER: 'browser',
  DISPOSED: 'disposed',
  // The OP's, passed through: authorization endpoint (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
  INVALID_REQUEST: 'invalid_request',
  UNAUTHORIZED_CLIENT: 'unauthorized_client',
  ACCESS_DENIED: 'access_denied',
  UNSUPPORTED_RESPONSE_TYPE: 'unsupported_response_type',
  INVALID_SCOPE: 'invalid_scope',
  SERVER_ERROR: 'server_error',
  TEMPORARILY_UNAVAILABLE: 'temporarily_unavailable',
  INTERACTION_REQUIRED: 'interaction_required',
  LOGIN_REQUIRED: 'login_required',
  ACCOUNT_SELECTION_REQUIRED: 'account_selection_required',
  CONSENT_REQUIRED: 'consent_required',
  INVALID_REQUEST_URI: 'invalid_request_uri',
  INVALID_REQUEST_OBJECT: 'invalid_request_object',
  REQUEST_NOT_SUPPORTED: 'request_not_supported',
  REQUEST_URI_NOT_SUPPORTED: 'request_uri_not_supported',
  REGISTRATION_NOT_SUPPORTED: 'registration_not_supported',
  // Token endpoint (RFC 6749 §5.2).
  INVALID_CLIENT: 'invalid_client',
  INVALID_GRANT: 'invalid_grant',
  UNSUPPORTED_GRANT_TYPE: 'unsupported_grant_type',
});

/** Whether `e` is an error thrown by the SDK, optionally with one of the given codes. */
export function isOidcError(e, code) {
  if (!(e instanceof Error) || typeof e.code !== 'string') return false;
  if (code === undefined) return true;
  return Array.isArray(code) ? code.includes(e.code) : e.code === code;
}
