// oidc-rp-wasm: package entry. Loads the WebAssembly module on the first `OidcClient.create()`,
// from the file next to this one, unless the app said where it is with `init()`. Importing has
// no side effect, in a browser or on a server. Types and documentation: index.d.ts.

import initWasm, { OidcClient as WasmOidcClient } from './oidc_rp_wasm.js';

const WASM_FILE = 'oidc_rp_wasm_bg.wasm';

// Where the module comes from: what init() was given when `hasSource`, else the file next to this
// module. Kept after a failed load, so that the next create() retries the same source.
let hasSource = false;
let source;
// The one load of the page: concurrent callers share it; a failure (a network blip) is forgotten
// so that the next call tries again.
let loading = null;

/** An error shaped like the ones the WebAssembly side throws (`name`, `code`, `reason`). */
function oidcError(code, message, { reason, cause, field } = {}) {
  const error = cause === undefined ? new Error(message) : new Error(message, { cause });
  error.name = 'OidcError';
  error.code = code;
  if (reason !== undefined) error.reason = reason;
  if (field !== undefined) error.field = field;
  if (cause !== undefined && error.cause === undefined) error.cause = cause;
  return error;
}

function inBrowser() {
  return typeof window !== 'undefined' && typeof document !== 'undefined';
}

function notInBrowser() {
  return oidcError(
    'unsupported',
    'oidc-rp-wasm runs in a browser page, and there is no `window` here (server-side rendering, ' +
      'Node, a worker): import the package anywhere, but call OidcClient.create() in code that ' +
      'runs in the browser (an effect, onMounted, a client-only module)',
  );
}

const isUrl = (v) => typeof URL === 'function' && v instanceof URL;
const isRequest = (v) => typeof Request === 'function' && v instanceof Request;
const isResponse = (v) => typeof Response === 'function' && v instanceof Response;
const isModule = (v) => typeof WebAssembly === 'object' && v instanceof WebAssembly.Module;
const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
const isThenable = (v) => v !== null && typeof v === 'object' && typeof v.then === 'function';

function validSource(v) {
  return typeof v === 'string' || isUrl(v) || isRequest(v) || isResponse(v) || isModule(v) || isBytes(v) || isThenable(v);
}

/** What to compare when init() is called again: the same URL twice is the same source. */
function sourceKey(v) {
  if (typeof v === 'string') return new URL(v, document.baseURI).href;
  if (isUrl(v)) return v.href;
  if (isRequest(v)) return v.url;
  return v;
}

/** A source as the messages name it: its URL where it has one. */
function where(v) {
  try {
    if (typeof v === 'string') return new URL(v, document.baseURI).href;
    if (isUrl(v)) return v.href;
    if ((isRequest(v) || isResponse(v)) && v.url) return v.url;
  } catch {
    // an unparsable string: shown as it is below
  }
  if (typeof v === 'string') return v;
  if (isResponse(v)) return 'the Response given to init()';
  if (isModule(v)) return 'the WebAssembly.Module given to init()';
  if (isBytes(v)) return 'the bytes given to init()';
  return 'the promise given to init()';
}

const ADVICE =
  `copy ${WASM_FILE} from node_modules/oidc-rp-wasm/ to your site and pass its URL to ` +
  'init({ module_or_path }), or give your bundler the one line of configuration the ' +
  "package's README names for it";

function wasmError(reason, message, cause) {
  return oidcError('wasm_load', `could not load the WebAssembly module of oidc-rp-wasm: ${message}`, { reason, cause });
}

/** Whether this page may compile WebAssembly at all: a tiny empty module, compiled synchronously. */
function wasmCompiles() {
  try {
    new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    return true;
  } catch {
    return false;
  }
}

/**
 * Fetches, compiles and instantiates the module from `input` (what init() was given, or the file
 * next to this module), turning each way that can fail into an `OidcError` of code `wasm_load`
 * whose `reason` says which step failed and whose message says what usually fixes it.
 */
async function instantiate(input, fromInit) {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
    throw wasmError(
      'unavailable',
      'this browser has no WebAssembly (it is turned off, e.g. by a policy, a "JIT-less" mode or ' +
        'Lockdown Mode): the SDK cannot run here',
    );
  }
  let value;
  if (fromInit) {
    try {
      value = await input;
    } catch (e) {
      throw wasmError('fetch', `the promise given to init({ module_or_path }) rejected: ${e?.message ?? e}`, e);
    }
    if (!validSource(value) || isThenable(value)) {
      throw oidcError(
        'invalid_config',
        'invalid option `module_or_path` of init(): the promise resolved to something that is not a ' +
          'URL, a Response, bytes or a WebAssembly.Module',
        { field: 'module_or_path' },
      );
    }
  } else {
    try {
      value = new URL('./oidc_rp_wasm_bg.wasm', import.meta.url);
    } catch (e) {
      // An IIFE or CommonJS bundle has no `import.meta.url`.
      throw wasmError(
        'locate',
        `the bundle this code is in has no \`import.meta.url\` (an IIFE or CommonJS build?), so ${WASM_FILE} ` +
          `cannot be found next to it: ${ADVICE}`,
        e,
      );
    }
  }

  let url = '';
  if (typeof value === 'string' || isUrl(value) || isRequest(value)) {
    url = where(value);
    try {
      value = await fetch(value);
    } catch (e) {
      throw wasmError(
        'fetch',
        `fetching ${url} failed (${e?.message ?? e}). Check that the file is served there, that the ` +
          "page's Content Security Policy allows it in connect-src, and, when it comes from another " +
          'origin, that it is served with CORS',
        e,
      );
    }
  }
  if (isResponse(value)) {
    url = value.url || url || 'the Response given to init()';
    if (!value.ok) {
      const status = value.type === 'opaque' ? 'an opaque (no-cors) response' : `${value.status} ${value.statusText}`.trim();
      throw wasmError('http_status', `${url} answered ${status}: ${WASM_FILE} is not served at that URL. To fix it, ${ADVICE}`);
    }
    const type = (value.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/wasm') {
      // Streaming compilation needs application/wasm; read the bytes and see what they are.
      let bytes;
      try {
        bytes = new Uint8Array(await value.arrayBuffer());
      } catch (e) {
        throw wasmError('fetch', `reading ${url} failed (${e?.message ?? e})`, e);
      }
      if (!(bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d)) {
        const html = type === 'text/html' || /^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 64)));
        throw wasmError(
          'not_wasm',
          `${url} is not WebAssembly (it came as ${type || 'an unknown type'}${html ? ', an HTML page' : ''}): ` +
            `the server answered with something else, typically a single-page-app fallback page, because ` +
            `${WASM_FILE} is not at that URL. To fix it, ${ADVICE}`,
        );
      }
      value = bytes;
    }
  }

  try {
    await initWasm({ module_or_path: value });
  } catch (e) {
    const name = e?.name;
    const message = String(e?.message ?? e);
    const what = url || 'the module given to init()';
    if (name === 'CompileError' || e instanceof WebAssembly.CompileError) {
      if (/Content.Security.Policy|unsafe-eval/i.test(message) || !wasmCompiles()) {
        throw wasmError(
          'csp',
          "this page's Content Security Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to " +
            "its script-src (for example script-src 'self' 'wasm-unsafe-eval')",
          e,
        );
      }
      throw wasmError('compile', `${what} is not a valid WebAssembly module (${message}); is the file truncated or altered?`, e);
    }
    if (name === 'LinkError' || e instanceof WebAssembly.LinkError) {
      throw wasmError(
        'instantiate',
        `${what} does not fit this version of the package's JavaScript (${message}): serve the ` +
          `${WASM_FILE} of the same version (a cached copy of an older one?)`,
        e,
      );
    }
    throw wasmError('instantiate', `instantiating ${what} failed (${message})`, e);
  }
}

function load() {
  if (!loading) {
    loading = instantiate(source, hasSource).then(
      () => undefined,
      (e) => {
        loading = null;
        throw e;
      },
    );
  }
  return loading;
}

/**
 * Says where the WebAssembly module is, and starts loading it. Optional: without it, the first
 * `OidcClient.create()` loads the file next to index.js. Types and documentation: index.d.ts.
 */
export function init(options) {
  if (!inBrowser()) return Promise.resolve();
  if (options !== undefined) {
    const keys = options !== null && typeof options === 'object' ? Object.keys(options) : null;
    if (keys === null || keys.some((k) => k !== 'module_or_path')) {
      const extra = keys?.find((k) => k !== 'module_or_path');
      return Promise.reject(
        oidcError(
          'invalid_config',
          extra === undefined
            ? 'init() takes an object: init({ module_or_path })'
            : `invalid option \`${extra}\` of init(): it takes { module_or_path }`,
          { field: extra },
        ),
      );
    }
    if (options.module_or_path !== undefined && !validSource(options.module_or_path)) {
      return Promise.reject(
        oidcError(
          'invalid_config',
          'invalid option `module_or_path` of init(): a URL (string or URL), a Request, a Response, ' +
            'the bytes (ArrayBuffer or typed array), a WebAssembly.Module, or a promise of one',
          { field: 'module_or_path' },
        ),
      );
    }
  }
  const given = options?.module_or_path !== undefined;
  const next = given ? options.module_or_path : undefined;
  if (loading) {
    // Twice with the same source (a re-run effect, a hot reload) shares the first load.
    let same;
    try {
      same = hasSource === given && (!given || sourceKey(source) === sourceKey(next));
    } catch {
      same = false;
    }
    if (same) return loading;
    return Promise.reject(
      oidcError(
        'invalid_config',
        'init() comes once, before the first OidcClient.create(): the WebAssembly module is already ' +
          `loading or loaded from ${hasSource ? where(source) : `the ${WASM_FILE} next to index.js`}`,
      ),
    );
  }
  hasSource = given;
  source = next;
  return load();
}

/** The relying-party client. Get one with `await OidcClient.create(config)`. */
export class OidcClient {
  constructor() {
    throw new TypeError('use `await OidcClient.create(config)` to make an OidcClient');
  }

  static async create(config) {
    if (!inBrowser()) throw notInBrowser();
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
  // The SDK's own (src/error.rs, and wasm_load from this file).
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
  WASM_LOAD: 'wasm_load',
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
