// @ts-check
// oidc-rp-wasm: the package's entry and its JavaScript pump. The client's every decision is made
// by the state machine in the WebAssembly module (the crate's `core::machine`); this file only
// performs what it asks (fetch, WebCrypto, storage, IndexedDB, Web Locks, BroadcastChannel,
// windows, timers), forwards what the page and the other tabs do, and settles the API's promises.
// Values cross as JSON text. Importing has no side effect, in a browser or on a server; the
// module is loaded on the first `OidcClient.create()`, concurrently with the discovery request,
// from the file next to this one unless the app said where it is with `init()`. There are two
// such files: oidc_rp_wasm_bg.wasm without DPoP and oidc_rp_wasm_dpop_bg.wasm with it (RFC 9449,
// built with the crate's feature `dpop`); a client loads the one its configuration needs, so a
// page without DPoP never downloads it. Types and documentation: index.d.ts.

const WASM_FILE = 'oidc_rp_wasm_bg.wasm';
const WASM_FILE_DPOP = 'oidc_rp_wasm_dpop_bg.wasm';
/** The first bytes of every WebAssembly module: `\0asm`. */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * The module's exports (src/js_pump.rs): JSON text goes in through the input buffer and comes
 * back in the output buffer.
 * @typedef {{
 *   memory: WebAssembly.Memory,
 *   oidc_in: (len: number) => number,
 *   oidc_out: () => number,
 *   oidc_out_len: () => number,
 *   oidc_new: () => number,
 *   oidc_handle: (handle: number, now: number) => number,
 *   oidc_session: (handle: number) => number,
 *   oidc_free: (handle: number) => void,
 * }} Exports
 */

// Where the module comes from: what init() was given when `hasSource` (it serves every client),
// else the file next to this module that a client's configuration needs. Kept after a failed
// load, so that the next create() retries the same source.
let hasSource = false;
/** @type {any} */
let source;
// The loads of the page, one per module: [without DPoP, with DPoP], or the one of init()'s source
// in the first place. Concurrent callers share a load; a failure (a network blip) is forgotten so
// that the next call tries again. Each client keeps the exports of the module it was made with.
/** @type {[Promise<void> | null, Promise<void> | null]} */
const loading = [null, null];
/** @type {[Exports | null, Exports | null]} */
const modules = [null, null];

/** Every error this module made: the brand `isOidcError` checks, which no other `Error` with a
 * string `code` (a fetch library's `ERR_NETWORK`, say) can carry. */
const OWN_ERRORS = new WeakSet();

/**
 * The SDK's error: an `Error` named `OidcError` with a stable `code`, and `reason`, `field`,
 * `description` and `uri` where they apply.
 * @param {string} code
 * @param {string} message
 * @param {{ reason?: string, cause?: unknown, field?: string, description?: string, uri?: string }} [more]
 */
function oidcError(code, message, more = {}) {
  const cause = more.cause;
  const error = /** @type {any} */ (cause === undefined ? new Error(message) : new Error(message, { cause }));
  OWN_ERRORS.add(error);
  error.name = 'OidcError';
  error.code = code;
  // In this order; `cause` only where the engine's `Error` did not take it.
  for (const key of ['reason', 'field', 'description', 'uri', 'cause']) {
    if (more[key] !== undefined && error[key] === undefined) error[key] = more[key];
  }
  return error;
}

/**
 * An `invalid_config` error about option `field` (of `of`, where that is not the client's config):
 * "invalid option `field` of init(): why".
 * @param {string} field
 * @param {string} why
 * @param {string} [of]
 */
function badOption(field, why, of = '') {
  return oidcError('invalid_config', `invalid option \`${field}\`${of}: ${why}`, { field });
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

/** What usually fixes a `file` that could not be loaded. */
const advice = (file) =>
  `copy ${file} from node_modules/oidc-rp-wasm/ to your site and pass its URL to ` +
  "init({ module_or_path }), or give your bundler the line of configuration the package's README names";

function wasmError(reason, message, cause) {
  return oidcError('wasm_load', `could not load the WebAssembly module of oidc-rp-wasm: ${message}`, { reason, cause });
}

/** Whether this page may compile WebAssembly at all: a tiny empty module, compiled synchronously. */
function wasmCompiles() {
  try {
    new WebAssembly.Module(new Uint8Array([...WASM_MAGIC, 0x01, 0x00, 0x00, 0x00]));
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
async function instantiate(input, fromInit, dpop) {
  const file = dpop ? WASM_FILE_DPOP : WASM_FILE;
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
      throw badOption(
        'module_or_path',
        'the promise resolved to no URL, Response, bytes or WebAssembly.Module',
        ' of init()',
      );
    }
  } else {
    try {
      // Two literal URLs, so that bundlers see (and emit) both files.
      value = dpop
        ? new URL('./oidc_rp_wasm_dpop_bg.wasm', import.meta.url)
        : new URL('./oidc_rp_wasm_bg.wasm', import.meta.url);
    } catch (e) {
      // An IIFE or CommonJS bundle has no `import.meta.url`.
      throw wasmError(
        'locate',
        `the bundle this code is in has no \`import.meta.url\` (an IIFE or CommonJS build?), so ${file} ` +
          `cannot be found next to it: ${advice(file)}`,
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
      throw wasmError('http_status', `${url} answered ${status}: ${file} is not served at that URL. To fix it, ${advice(file)}`);
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
      if (!WASM_MAGIC.every((b, i) => bytes[i] === b)) {
        const html = type === 'text/html' || /^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 64)));
        throw wasmError(
          'not_wasm',
          `${url} is not WebAssembly (it came as ${type || 'an unknown type'}${html ? ', an HTML page' : ''}): ` +
            `typically a single-page app's fallback page, because ` +
            `${file} is not at that URL. To fix it, ${advice(file)}`,
        );
      }
      value = bytes;
    }
  }

  try {
    // From a Module, an Instance; from bytes or a response, the module and its instance.
    const made = /** @type {any} */ (
      await (isResponse(value) ? WebAssembly.instantiateStreaming(value, {}) : WebAssembly.instantiate(value, {}))
    );
    return /** @type {Exports} */ ((made.instance ?? made).exports);
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
          `${file} of the same version (a cached copy of an older one?)`,
        e,
      );
    }
    throw wasmError('instantiate', `instantiating ${what} failed (${message})`, e);
  }
}

/** Which module a client with `dpop` on or off uses: init()'s source for every client when it
 * was given one (0), else the file next to this module that it needs (1: the one with DPoP). */
const moduleFor = (dpop) => (!hasSource && dpop ? 1 : 0);

/** Loads module `i` into `modules[i]`. */
function load(i) {
  return (loading[i] ??= instantiate(source, hasSource, i).then(
    (exports) => {
      modules[i] = exports;
    },
    (e) => {
      loading[i] = null;
      throw e;
    },
  ));
}

/**
 * Says where the WebAssembly module is, and starts loading it. Optional: without it, the first
 * `OidcClient.create()` loads the file next to index.js. Types and documentation: index.d.ts.
 */
export function init(options) {
  if (!inBrowser()) return Promise.resolve();
  if (options !== undefined) {
    const keys = options !== null && typeof options === 'object' ? Object.keys(options) : null;
    const extra = keys?.find((k) => k !== 'module_or_path');
    if (keys === null || extra !== undefined) {
      return Promise.reject(
        extra === undefined
          ? oidcError('invalid_config', 'init() takes an object: init({ module_or_path })')
          : badOption(extra, 'it takes { module_or_path }', ' of init()'),
      );
    }
    if (options.module_or_path !== undefined && !validSource(options.module_or_path)) {
      return Promise.reject(
        badOption(
          'module_or_path',
          'a URL (string or URL), a Request, a Response, the bytes (ArrayBuffer or typed array), a ' +
            'WebAssembly.Module, or a promise of one',
          ' of init()',
        ),
      );
    }
  }
  const given = options?.module_or_path !== undefined;
  const next = given ? options.module_or_path : undefined;
  if (loading[0] || loading[1]) {
    // Twice with the same source (a re-run effect, a hot reload) shares the first load.
    let same;
    try {
      same = hasSource === given && (!given || sourceKey(source) === sourceKey(next));
    } catch {
      same = false;
    }
    if (same) return load(0);
    return Promise.reject(
      oidcError(
        'invalid_config',
        'init() comes once, before the first OidcClient.create(): the WebAssembly module is already ' +
          `loading or loaded from ${hasSource ? where(source) : 'the files next to index.js'}`,
      ),
    );
  }
  hasSource = given;
  source = next;
  return load(0);
}

// ----- the boundary -----

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The functions that run once the module is in (these, and the pump's own in newPump) are
// written `const f = (function f() {...})`: V8 compiles a function expression in parentheses
// together with the code around it (its eager-compile heuristic), which for these is while this
// file loads or while newPump runs as the module downloads. Declared plainly, each compiled on
// its first call, after the module's last byte: 21-22 of this file's functions then, 11 this way
// (V8's function-event log of a cold create()).

/** Writes `text` into the input buffer of the module of `exports`. */
const put = (function put(exports, text) {
  const bytes = encoder.encode(text);
  const at = exports.oidc_in(bytes.length);
  new Uint8Array(exports.memory.buffer, at, bytes.length).set(bytes);
});

/** The output buffer of the module of `exports` as text. */
const take = (function take(exports) {
  return decoder.decode(new Uint8Array(exports.memory.buffer, exports.oidc_out(), exports.oidc_out_len()));
});

/** An `OidcError` from the machine's error object (`code`, `message`, and `reason`, `field`,
 * `description`, `uri` where they apply). */
const toError = (function toError(e) {
  return oidcError(e.code, e.message, e);
});

const disposedError = () => oidcError('disposed', 'the client was disposed of; create a new one');

/** Base64url of bytes. */
function b64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Bytes of base64url (a signature: the signing input comes as text, encoded natively). By
 * index: `Uint8Array.from` over the string's iterator takes two to three times as long. */
function unb64url(text) {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new Uint8Array(bin.length).map((_, i) => bin.charCodeAt(i));
}

/**
 * A response's status, body text and `DPoP-Nonce` header (RFC 9449 §8): what the machine is answered with for a fetch.
 * @param {Response} response
 */
const read = (async function read(response) {
  return { status: response.status, body: await response.text(), nonce: response.headers.get('DPoP-Nonce') };
});

/** A failure as the machine reads it. */
const failure = (kind, e) => ({ error: { kind, message: String(e?.message ?? e ?? '') } });

const EVENTS = ['signedIn', 'refreshed', 'refreshFailed', 'expiring', 'expired', 'signedOut', 'idle'];
/** The page's events the machine hears of: the first two on the document, the others on the
 * window; the last four (the user's activity) as `activity`, `visibilitychange` as `visible` or
 * `hidden`, the others by their own name. */
const PAGE_EVENTS = 'visibilitychange resume online pagehide pageshow pointerdown keydown wheel touchstart'.split(' ');

// IndexedDB, for the copy of a shared session that every tab reads under the refresh lock: one
// object store of text values. Without IndexedDB, reads find nothing and writes do nothing.
/** @type {Promise<IDBDatabase | null> | null} */
let database = null;
function openDatabase() {
  if (!database) {
    database = new Promise((resolve) => {
      if (typeof indexedDB === 'undefined') return resolve(null);
      const request = indexedDB.open('oidc-rp-wasm', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('sessions');
      request.onsuccess = () => {
        const db = request.result;
        // Let go when the page's code deletes the database (its delete waits for every open
        // connection, and every later open waits for the delete) or the browser closes it:
        // the next use opens it again.
        db.onversionchange = db.onclose = () => {
          db.close();
          database = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        database = null;
        resolve(null);
      };
    });
  }
  return database;
}

/** Runs `change` in a transaction of the store; resolves with the request's result once committed. */
async function idb(mode, change) {
  const db = await openDatabase();
  if (!db) return null;
  return new Promise((resolve, reject) => {
    const tx = db.transaction('sessions', mode);
    const request = change(tx.objectStore('sessions'));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

/** Answers that carry nothing but success. (Spread into the input, never changed.) */
const OK = { ok: true };
const storageFailure = (e) => failure('storage', e);
const cryptoFailure = (e) => failure('crypto', e);

/**
 * The machine of one client, and the browser resources it holds: its state in this closure, so
 * that only what the client calls is a property. Made while the module loads; `start` gives it
 * the module's exports and the machine's handle. `prefetch`: a fetch of the discovery document
 * (status, body text, DPoP nonce) started before the module was ready.
 * @param {{ url: string, response: Promise<{ status: number, body: string, nonce: string | null }> } | null} prefetch
 */
function newPump(prefetch) {
  /** The exports of the module the client was made with. */
  let exports = /** @type {Exports} */ (/** @type {any} */ (null));
  let handle = 0;
  let nextOp = 1;
  /** @type {Map<number, {resolve: (v: any) => void, reject: (e: any) => void}>} */
  const ops = new Map();
  /** @type {any[]} */
  const queue = [];
  let busy = false;
  /** @type {any} */
  let timer;
  /** @type {Map<string, Set<(detail: any) => void>>} */
  const listeners = new Map();
  /** Per operation: its popup or iframe window, the iframe, the app's window, its hand-over channel. */
  const windows = new Map();
  /** Fetches under way, by command id. */
  const aborts = new Map();
  /** Held locks' release functions, by name. */
  const releases = new Map();
  /** @type {BroadcastChannel | null} */
  let channel = null;
  /** The window the app opened for the next popup sign-in. */
  let appWindow = /** @type {any} */ (null);
  /** DPoP key pairs (non-extractable private keys), by name. @type {Map<string, CryptoKeyPair>} */
  const keys = new Map();
  /** Verification keys imported before, by their JWK and import parameters: a refresh verifies
   * with the sign-in's key without importing it again. @type {Map<string, CryptoKey>} */
  const imported = new Map();
  /** `dispose()` was called. */
  let disposing = false;
  // To every operation of that window: the app may hand one window to two calls (a double
  // click), and the machine knows which of them a message answers.
  const onMessage = (/** @type {MessageEvent} */ event) => {
    for (const [op, w] of windows) {
      if (w.win && event.source === w.win) input({ t: 'message', origin: event.origin, source: op, data: event.data });
    }
  };
  /** @type {[EventTarget, string, EventListener][]} */
  const pageListeners = PAGE_EVENTS.map((type, i) => [
    i < 2 ? document : window,
    type,
    () =>
      input({
        t: 'page',
        event: i > 4 ? 'activity' : i ? type : document.visibilityState === 'visible' ? 'visible' : 'hidden',
      }),
  ]);

  /**
   * Starts operation `call`; resolves or rejects when the machine says it is done. `win`: the
   * window the app opened for a popup sign-in, when given.
   * @param {string} call
   * @param {object} [fields]
   * @param {any} [win]
   */
  const call = (function call(call, fields = {}, win) {
    if (!handle) {
      win?.close();
      return Promise.reject(disposedError());
    }
    if (win !== undefined) appWindow = win;
    const op = nextOp++;
    const entropy = b64url(crypto.getRandomValues(new Uint8Array(128)));
    return new Promise((resolve, reject) => {
      // The app's window, when the call fails before the machine took it (a refused option,
      // say), is closed as a popup of the SDK's would be.
      const fail = (/** @type {unknown} */ e) => {
        if (win && appWindow === win) {
          appWindow = null;
          win.close();
        }
        reject(e);
      };
      ops.set(op, { resolve, reject: fail });
      input({ t: 'call', op, call, entropy, ...fields });
    });
  });

  /**
   * Hands `next` to the machine and performs what it asks. Inputs that come while the machine
   * works (an answer performed at once, an app listener calling the client) wait their turn, so
   * the machine is never entered twice.
   */
  const input = (function input(next) {
    queue.push(next);
    if (busy) return;
    busy = true;
    try {
      while (queue.length > 0 && handle) {
        const next = queue.shift();
        let text;
        try {
          text = JSON.stringify(next);
        } catch {
          // A call whose options JSON cannot hold (a BigInt or a cycle in appState, say) fails
          // here, before the machine sees it; any other such input is a message whose data is no
          // JSON: it cannot be for us.
          if (next.t === 'call') {
            ops.get(next.op)?.reject(badOption('options', 'not representable as JSON'));
            ops.delete(next.op);
          }
          continue;
        }
        put(exports, text);
        exports.oidc_handle(handle, Date.now());
        const result = JSON.parse(take(exports));
        for (const output of result.out) {
          // A call the machine could not read at all (a lone surrogate in its options, or
          // nesting past its limit) is reported for operation 0: it is this call's.
          if (output.done === 0 && next.t === 'call') {
            ops.get(next.op)?.reject(badOption('options', 'not representable as JSON'));
            ops.delete(next.op);
          } else perform(output);
        }
        arm(result.timeout);
      }
    } finally {
      busy = false;
    }
    // An answer for a machine already dropped (a lock granted as the client was disposed of):
    // nothing is held for it.
    if (!handle && disposing) {
      stop();
      queue.length = 0;
    }
  });

  const answer = (function answer(id, answer) {
    input({ t: 'answer', id, ...answer });
  });

  const later = (
    /**
     * Answers command `id` once `promise` settles: with the failure `fail(e)`, or `ok(value)`.
     * @param {number} id
     * @param {Promise<any>} promise
     * @param {(e: any) => object} fail
     * @param {(value: any) => object} [ok]
     */
    function later(id, promise, fail, ok = () => OK) {
      promise.then(
        (value) => answer(id, ok(value)),
        (e) => answer(id, fail(e)),
      );
    }
  );

  const arm = (function arm(at) {
    clearTimeout(timer);
    if (at !== null && handle) {
      // setTimeout fires at once for a delay past 2^31 - 1 ms (24.8 days): wait that long at most,
      // and the machine, woken early, asks again.
      const delay = Math.min(Math.max(0, at - Date.now()), 0x7fffffff);
      timer = setTimeout(() => input({ t: 'timeout' }), delay);
    }
  });

  const emit = (function emit(name, detail) {
    for (const handler of [...(listeners.get(name) ?? [])]) {
      try {
        handler(detail);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    }
  });

  const perform = (function perform(o) {
    if (o.done !== undefined) {
      const pending = ops.get(o.done);
      ops.delete(o.done);
      if (o.error) pending?.reject(toError(o.error));
      else pending?.resolve(o.ok);
      return;
    }
    if (o.event) return emit(o.event, o.event === 'refreshFailed' ? toError(o.detail) : o.detail);
    if (o.cancel !== undefined) {
      aborts.get(o.cancel)?.abort();
      aborts.delete(o.cancel);
      return;
    }
    try {
      command(o);
    } catch (e) {
      // Without crypto.subtle (a page that is not a secure context) the WebCrypto commands throw.
      if (o.io !== undefined) {
        const kind = o.do === 'read' || o.do === 'write' || o.do === 'remove' ? 'storage' : o.do === 'frame' ? 'frame' : crypto.subtle ? 'browser' : 'crypto';
        answer(o.io, failure(kind, e));
      }
    }
  });

  const area = (function area(name) {
    const storage = name === 'local' ? localStorage : sessionStorage;
    if (!storage) throw new Error('web storage is disabled');
    return storage;
  });

  const command = (function command(o) {
    const id = o.io;
    switch (o.do) {
      case 'fetch':
        return fetchFor(o);
      case 'verify':
        return later(id, verify(o), (e) => (e?.error ? e : failure('crypto', e)));
      case 'digest':
        return later(id, crypto.subtle.digest(o.hash, encoder.encode(o.data)), cryptoFailure, (d) => ({ digest: b64url(new Uint8Array(d)) }));
      case 'read':
        if (o.area === 'shared') {
          return later(id, idb('readonly', (s) => s.get(o.key)), storageFailure, (v) => ({ read: typeof v === 'string' ? v : null }));
        }
        return answer(id, { read: area(o.area).getItem(o.key) });
      case 'write':
        if (o.area === 'shared') return later(id, idb('readwrite', (s) => s.put(o.value, o.key)), storageFailure);
        area(o.area).setItem(o.key, o.value);
        return answer(id, OK);
      case 'remove':
        if (o.area === 'shared') return later(id, idb('readwrite', (s) => s.delete(o.key)), storageFailure);
        area(o.area).removeItem(o.key);
        return answer(id, OK);
      case 'keys': {
        const storage = area(o.area);
        const found = [];
        for (let i = 0; i < storage.length; i++) {
          const key = storage.key(i);
          if (key?.startsWith(o.prefix)) found.push(key);
        }
        return answer(id, { keys: found });
      }
      case 'lock':
        return lock(o);
      case 'release':
        releases.get(o.name)?.();
        releases.delete(o.name);
        return;
      case 'openChannel':
        if (typeof BroadcastChannel !== 'function') return;
        channel?.close();
        channel = new BroadcastChannel(o.name);
        channel.onmessage = (event) => input({ t: 'tab', data: event.data });
        return;
      case 'closeChannel':
        channel?.close();
        channel = null;
        return;
      case 'broadcast':
        channel?.postMessage(o.message);
        return;
      case 'popup':
        return popup(o);
      case 'frame': {
        const frame = document.createElement('iframe');
        frame.setAttribute('title', 'oidc-rp-wasm silent sign-in');
        frame.setAttribute('aria-hidden', 'true');
        // Through the CSSOM, which a `style-src` policy allows, unlike a `style` attribute.
        frame.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden';
        frame.src = o.url;
        document.body.appendChild(frame);
        windows.set(o.op, { win: frame.contentWindow, frame });
        return answer(id, OK);
      }
      case 'handover': {
        const w = windows.get(o.op);
        if (!w || typeof BroadcastChannel !== 'function') return;
        w.handover = new BroadcastChannel(o.channel);
        w.handover.onmessage = (event) => input({ t: 'handover', op: o.op, data: event.data });
        return;
      }
      case 'look': {
        const win = windows.get(o.op)?.win;
        const closed = !win || win.closed;
        let crossOrigin = false;
        if (!closed) {
          try {
            void win.location.href;
          } catch {
            crossOrigin = true;
          }
        }
        return answer(id, { look: { closed, crossOrigin } });
      }
      case 'close': {
        const w = windows.get(o.op);
        windows.delete(o.op);
        w?.handover?.close();
        if (w?.frame) w.frame.remove();
        else w?.win?.close();
        return;
      }
      case 'navigate':
        location.assign(o.url);
        return;
      case 'replaceUrl':
        history.replaceState(history.state, '', o.url);
        return;
      case 'show': {
        const win = windows.get(o.op)?.win;
        if (win && !win.closed) win.location.href = o.url;
        return;
      }
      case 'loadKey':
        return later(
          id,
          idb('readonly', (s) => s.get(o.name)).then((pair) => (pair?.privateKey ? holdKey(o.name, pair) : null)),
          storageFailure,
          (jwk) => ({ key: jwk }),
        );
      case 'generateKey':
        return later(
          id,
          crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']).then((pair) => holdKey(o.name, pair)),
          cryptoFailure,
          (jwk) => ({ key: jwk }),
        );
      case 'storeKey': {
        const pair = keys.get(o.name);
        // The CryptoKey objects themselves: IndexedDB keeps them as keys, never as key material.
        const stored = pair ? idb('readwrite', (s) => s.put({ privateKey: pair.privateKey, publicKey: pair.publicKey }, o.name)) : Promise.resolve();
        return later(id, stored, storageFailure);
      }
      case 'removeKey':
        keys.delete(o.name);
        return later(id, idb('readwrite', (s) => s.delete(o.name)), storageFailure);
      case 'sign': {
        const pair = keys.get(o.name);
        if (!pair) return answer(id, failure('crypto', 'no DPoP key'));
        return later(
          id,
          crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, encoder.encode(o.input)),
          cryptoFailure,
          (sig) => ({ signature: b64url(new Uint8Array(sig)) }),
        );
      }
    }
  });

  /** Holds a key pair under `name`; resolves to its public JWK. */
  async function holdKey(name, pair) {
    keys.set(name, pair);
    return crypto.subtle.exportKey('jwk', pair.publicKey);
  }

  const fetchFor = (function fetchFor(o) {
    const controller = new AbortController();
    aborts.set(o.io, controller);
    let late = false;
    const deadline = setTimeout(() => {
      late = true;
      controller.abort();
    }, o.timeoutMs);
    const early = prefetch && prefetch.url === o.url && o.method === 'GET' ? prefetch.response : null;
    prefetch = null;
    const http =
      early ??
      fetch(o.url, {
        method: o.method,
        headers: o.headers,
        body: o.body ?? undefined,
        cache: o.cache,
        credentials: 'omit',
        signal: controller.signal,
      }).then(read);
    const body = http.then((h) => ({ http: h }));
    // Every request races the abort, so that its deadline holds even where it does not reject
    // when aborted: a prefetched one, which the controller cannot abort, or a `fetch` wrapped by
    // code that drops the signal.
    const aborted = new Promise((resolve) => controller.signal.addEventListener('abort', () => resolve(null)));
    Promise.race([body, aborted])
      .then(
        (answer) => answer ?? failure(late ? 'timeout' : 'network', 'aborted'),
        (e) => failure(late ? 'timeout' : 'network', `${o.url}: ${e?.message ?? e}`),
      )
      .then((result) => {
        clearTimeout(deadline);
        if (aborts.get(o.io) !== controller) return; // cancelled
        aborts.delete(o.io);
        answer(o.io, result);
      });
  });

  const verify = (async function verify(o) {
    const id = JSON.stringify([o.jwk, o.import]);
    let key = imported.get(id);
    try {
      if (!key) {
        key = await crypto.subtle.importKey('jwk', o.jwk, o.import, false, ['verify']);
        // A few keys at most: an OP's JWK Set, and the next one after a rotation.
        if (imported.size > 15) imported.clear();
        imported.set(id, key);
      }
    } catch (e) {
      // An algorithm the browser cannot (or may not) use is a NotSupportedError, whatever its
      // message says; the key is then not the problem.
      throw crypto.subtle
        ? failure(e?.name === 'NotSupportedError' ? 'unsupported_alg' : 'unusable_key', e?.name === 'NotSupportedError' ? o.alg : e)
        : failure('crypto', e);
    }
    let ok;
    try {
      ok = await crypto.subtle.verify(o.verify, key, unb64url(o.signature), encoder.encode(o.input));
    } catch (e) {
      throw failure('unusable_key', e);
    }
    if (!ok) throw failure('mismatch', 'signature');
  });

  function lock(o) {
    const locks = /** @type {any} */ (navigator).locks;
    if (!locks) return answer(o.io, failure('unsupported', 'Web Locks'));
    // AbortSignal.timeout is younger than Web Locks (Safari 15.4-15.6 have only the locks).
    const waiting = new AbortController();
    const signal = waiting.signal;
    const wait = setTimeout(() => waiting.abort(), o.waitMs);
    // The machine may cancel the wait (a client disposed of while it waits).
    aborts.set(o.io, waiting);
    locks
      .request(o.name, { signal }, () => {
        // Held until released, or until the lease ends. The release is in place before the
        // machine hears of the grant: it may answer with a release at once.
        clearTimeout(wait);
        aborts.delete(o.io);
        const held = new Promise((resolve) => {
          const lease = setTimeout(resolve, o.leaseMs);
          releases.set(o.name, () => {
            clearTimeout(lease);
            resolve(undefined);
          });
        });
        answer(o.io, OK);
        return held;
      })
      .catch((e) => {
        aborts.delete(o.io);
        if (!releases.has(o.name)) answer(o.io, failure(signal.aborted ? 'timeout' : 'lock', e));
      });
  }

  function popup(o) {
    const given = o.appWindow ? appWindow : null;
    appWindow = null;
    let win;
    if (given) {
      if (given.closed) return answer(o.io, failure('popup_closed', 'closed'));
      given.location.href = o.url;
      win = given;
    } else {
      // A window of its own (no name): a named one would be taken over by the next sign-in,
      // this client's or another's, whose response the first would then wait for in vain.
      win = window.open(o.url, '_blank', 'popup=yes,width=500,height=640');
      if (!win) return answer(o.io, failure('popup_blocked', 'blocked'));
    }
    windows.set(o.op, { win });
    answer(o.io, OK);
  }

  /** Stops everything this client holds in the page. */
  function stop() {
    clearTimeout(timer);
    window.removeEventListener('message', onMessage);
    for (const [target, type, listener] of pageListeners) target.removeEventListener(type, listener);
    channel?.close();
    channel = null;
    for (const controller of aborts.values()) controller.abort();
    aborts.clear();
    for (const release of releases.values()) release();
    releases.clear();
    for (const w of windows.values()) {
      w.handover?.close();
      w.frame?.remove();
    }
    windows.clear();
    listeners.clear();
  }

  /** Drops the machine: its memory goes back to the module. */
  function free() {
    if (handle) exports.oidc_free(handle);
    handle = 0;
  }

  return {
    call,
    /**
     * Takes machine `h` of the module of `e` and starts listening to the page: from here on the
     * machine hears it.
     * @param {Exports} e
     * @param {number} h
     */
    start(e, h) {
      exports = e;
      handle = h;
      window.addEventListener('message', onMessage);
      for (const [target, type, listener] of pageListeners) target.addEventListener(type, listener, { passive: true });
    },
    /** `[session or null, reason of the last sign-out or null, whether its expiry was announced]`. */
    session() {
      if (!handle || disposing) return [null, null, false];
      exports.oidc_session(handle);
      return JSON.parse(take(exports));
    },
    /** Stops and drops the machine of a client whose creation failed. */
    drop() {
      stop();
      free();
    },
    /**
     * @param {string} event
     * @param {any} handler
     */
    on(event, handler) {
      if (!handle || disposing) throw disposedError();
      if (!EVENTS.includes(event)) {
        throw badOption('event', `\`${event}\` is not one of ${EVENTS.join(', ')}`);
      }
      if (typeof handler !== 'function') throw badOption('handler', 'must be a function');
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const own = (detail) => handler(detail);
      set.add(own);
      return () => {
        set.delete(own);
      };
    },
    dispose() {
      if (!handle || disposing) return;
      disposing = true;
      // The machine ends the call once nothing of it needs the page (a refresh out at the OP
      // stores what the OP answers first): then nothing is held any more, every operation is
      // settled, and the machine is dropped.
      const end = () => {
        stop();
        for (const pending of ops.values()) pending.reject(disposedError());
        ops.clear();
        free();
      };
      call('dispose').then(end, end);
    },
  };
}

/** Where the OP's discovery document is (OpenID Connect Discovery 1.0 §4), to start fetching it
 * while the module loads; the machine asks for it again and is answered from this fetch. */
function discoveryUrl(issuer) {
  return typeof issuer === 'string' && /^https?:\/\//i.test(issuer)
    ? `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}/.well-known/openid-configuration`
    : null;
}

/** The relying-party client. Get one with `await OidcClient.create(config)`. */
export class OidcClient {
  /** @type {ReturnType<typeof newPump>} */
  #pump = /** @type {any} */ (null);

  /** @param {any} token */
  constructor(token) {
    if (token !== CREATE) throw new TypeError('use `await OidcClient.create(config)` to make an OidcClient');
  }

  /** @param {import('./index.js').OidcClientConfig} config */
  static async create(config) {
    if (!inBrowser()) throw notInBrowser();
    // The module's request goes out first: it is the longer way (its bytes, then compiling and
    // instantiating), and the machine can do nothing before it is ready.
    // The module with DPoP only for a client that asks for it (loading, not a decision: the
    // machine checks the option, and the module without DPoP refuses it).
    const i = moduleFor(config?.dpop === true);
    const loaded = load(i);
    const url = discoveryUrl(config?.issuer);
    // The body is read as it arrives, while the wasm still loads.
    const early = url
      ? fetch(url, { headers: { Accept: 'application/json' }, credentials: 'omit' }).then(read)
      : null;
    early?.catch(() => {});
    // A page's first use of sessionStorage or localStorage loads the area from the browser
    // synchronously (a millisecond or more, several while the browser is busy with the page's
    // requests). Done here, reading nothing, it overlaps the module's loading instead of holding
    // up the machine's first read; where storage is blocked, that read fails as it would have.
    try {
      void sessionStorage.length, localStorage.length;
    } catch {}
    // While the module loads, the main thread is idle: the machine's first input and the pump
    // are made now, not after the module's last byte.
    let text;
    try {
      text = JSON.stringify({ config, origin: location.origin });
    } catch {}
    const pump = newPump(url && early ? { url, response: early } : null);
    await loaded;
    if (text === undefined) throw badOption('config', 'not representable as JSON');
    const exports = /** @type {Exports} */ (modules[i]);
    put(exports, text);
    const handle = exports.oidc_new();
    if (!handle) throw toError(JSON.parse(take(exports)));
    const client = new OidcClient(CREATE);
    pump.start(exports, handle);
    client.#pump = pump;
    try {
      await pump.call('create');
    } catch (e) {
      pump.drop();
      throw e;
    }
    return client;
  }

  /** The current session, or `null`. */
  get session() {
    return this.#pump.session()[0];
  }

  /** The reason of the last `signedOut` in this page, or `null`. */
  get signedOutReason() {
    return this.#pump.session()[1];
  }

  /** Not in the API (the React binding's): whether `expired` was announced for the session's access token, not renewed since. */
  get expiredAnnounced() {
    return this.#pump.session()[2];
  }

  authorizeUrl(options) {
    return this.#pump.call('authorizeUrl', { options });
  }

  /** `by.unlessLeft` (the React binding's <RequireAuth>): not when the last one was left at the OP. */
  async signinRedirect(options, by) {
    await this.#pump.call('signinRedirect', { options, unlessLeft: by?.unlessLeft === true });
  }

  handleRedirectCallback(url) {
    if (url !== undefined && typeof url !== 'string') return Promise.reject(badOption('url', 'must be a string'));
    return this.#pump.call('handleRedirectCallback', { url: url ?? location.href, fromLocation: url === undefined });
  }

  handleFormPost(body) {
    if (typeof body !== 'string' && !(body instanceof URLSearchParams)) {
      return Promise.reject(badOption('body', 'must be a string or URLSearchParams'));
    }
    return this.#pump.call('handleFormPost', { body: String(body) });
  }

  signinPopup(options, popup) {
    // `popupWindow` among the options is `window` of PopupOptions (which wins when both are given).
    if (options?.popupWindow !== undefined) {
      const { popupWindow, ...rest } = options;
      options = rest;
      popup = popup && typeof popup === 'object' ? { ...popup, window: popup.window ?? popupWindow } : popup ?? { window: popupWindow };
    }
    const keys = popup !== undefined && popup !== null && typeof popup === 'object' ? Object.keys(popup) : [];
    const extra = keys.find((k) => k !== 'window');
    const given = popup?.window;
    if (extra !== undefined || (popup !== undefined && popup !== null && typeof popup !== 'object')) {
      // The app's window is closed, as it is when the machine refuses the call.
      if (given && given.window === given) given.close();
      return Promise.reject(badOption(extra ?? 'popup', 'is not an option of PopupOptions'));
    }
    // A window of another realm is no `instanceof Window` here: every window is its own `window`.
    if (given !== undefined && given !== null && !(typeof given === 'object' && given.window === given)) {
      return Promise.reject(badOption('window', 'must be a window opened with window.open (in PopupOptions)'));
    }
    return this.#pump.call('signinPopup', { options, appWindow: !!given }, given ?? null);
  }

  signinSilent(options) {
    return this.#pump.call('signinSilent', { options });
  }

  refresh() {
    return this.#pump.call('refresh');
  }

  getAccessToken() {
    return this.#pump.call('getAccessToken');
  }

  signoutUrl(options) {
    return this.#pump.call('signoutUrl', { options });
  }

  async signoutRedirect(options) {
    await this.#pump.call('signoutRedirect', { options });
  }

  handleSignoutCallback(url) {
    return this.#pump.call('handleSignoutCallback', { url: url ?? location.href });
  }

  /**
   * `fetch` with the access token (refreshed when near expiry): `DPoP` with a proof when the
   * token is DPoP-bound, else `Bearer`; a resource server's DPoP nonce challenge is retried once.
   */
  async fetch(input, init) {
    const request = new Request(input, init);
    // As the request goes: `htu` leaves out the query and fragment in the core (core::dpop::htu).
    const url = request.url;
    const send = async (/** @type {any} */ headers, /** @type {Request} */ base) => {
      const req = new Request(base);
      req.headers.set('Authorization', headers.authorization);
      if (headers.dpop) req.headers.set('DPoP', headers.dpop);
      else req.headers.delete('DPoP');
      return fetch(req);
    };
    const fields = { method: request.method, url };
    // The body can be read once: a copy is kept for the retry.
    const spare = request.clone();
    let response = await send(await this.#pump.call('resourceHeaders', fields), request);
    const answer = (/** @type {Response} */ r, /** @type {boolean} */ retried) =>
      this.#pump.call('resourceAnswer', {
        ...fields,
        status: r.status,
        wwwAuthenticate: r.headers.get('WWW-Authenticate'),
        dpopNonce: r.headers.get('DPoP-Nonce'),
        retried,
      });
    const retry = await answer(response, false);
    if (retry) {
      response = await send(retry, spare);
      await answer(response, true);
    }
    return response;
  }

  /**
   * A DPoP proof for `method` `url` (with `ath` of a DPoP-bound access token), for the app's own
   * HTTP client; `url` is read against the page's base URL, as `fetch` reads it.
   */
  dpopProof(method, url) {
    let href;
    try {
      href = new URL(url, document.baseURI).href;
    } catch {
      return Promise.reject(badOption('url', 'not a URL'));
    }
    return this.#pump.call('dpopProof', { method, url: href });
  }

  on(event, handler) {
    return this.#pump.on(event, handler);
  }

  dispose() {
    this.#pump.dispose();
  }

  /** The same as {@link OidcClient.dispose}. */
  free() {
    this.dispose();
  }
}

const CREATE = Symbol('create');

// For the React binding (react.js) and form-post.js, whose errors must be the SDK's too; not
// part of the API.
export { oidcError as _oidcError };

/** The SDK's own error codes, and the OP error codes apps meet most. */
// Each name is its code in upper case.
export const ERROR_CODES = Object.freeze(
  Object.fromEntries(
    [
      // The SDK's own (src/error.rs, and wasm_load from this file).
      'state_mismatch issuer_mismatch nonce_mismatch invalid_id_token invalid_signature id_token_required subject_mismatch invalid_response invalid_config unsupported no_session session_expired timeout popup_closed popup_blocked network storage crypto_unavailable browser disposed abandoned dpop_not_bound dpop_key_changed wasm_load',
      // The OP's, passed through: authorization endpoint (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
      'invalid_request unauthorized_client access_denied unsupported_response_type invalid_scope server_error temporarily_unavailable interaction_required login_required account_selection_required consent_required invalid_request_uri invalid_request_object request_not_supported request_uri_not_supported registration_not_supported',
      // Token endpoint (RFC 6749 §5.2).
      'invalid_client invalid_grant unsupported_grant_type',
      // DPoP (RFC 9449 §8, §9): answered by the token endpoint or a resource server.
      'use_dpop_nonce invalid_dpop_proof',
    ]
      .join(' ')
      .split(' ')
      .map((code) => [code.toUpperCase(), code]),
  ),
);

/** Whether `e` is an error the SDK made (not merely an `Error` with a `code`), optionally with one
 * of the given codes. */
export function isOidcError(e, code) {
  if (!OWN_ERRORS.has(/** @type {any} */ (e))) return false;
  if (code === undefined) return true;
  const own = /** @type {any} */ (e).code;
  return Array.isArray(code) ? code.includes(own) : own === code;
}
