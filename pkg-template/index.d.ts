/**
 * oidc-rp-wasm: an OpenID Connect relying party for browser single-page apps.
 *
 * ```ts
 * import { OidcClient } from "oidc-rp-wasm";
 *
 * const client = await OidcClient.create({
 *   issuer: "https://id.example.com",
 *   clientId: "spa",
 *   redirectUri: "https://app.example.com/callback",
 * });
 * ```
 *
 * The WebAssembly module loads on the first `OidcClient.create()`, from the file next to the
 * package's `index.js`; where a bundler does not copy that file, say where it is with {@link init}.
 * The declarations need no `lib: DOM`: where the environment lacks the DOM types (a server-side
 * project), the parameters typed with DOM classes (`URL`, `Response`, `URLSearchParams`, ...) simply
 * accept fewer kinds of values.
 *
 * Times (`expiresAt`, `authTime`) are seconds since the Unix epoch, as in JWT claims.
 *
 * @packageDocumentation
 */

/**
 * The instances of the global class `K` where the environment declares it (the DOM library,
 * `@types/node`), `never` where it does not: so the declarations type-check without `lib: DOM`.
 */
type GlobalInstance<K extends string> = typeof globalThis extends Record<K, { readonly prototype: infer T }> ? T : never;

/** The `init` of the global `fetch` where the environment declares it (`RequestInit`), `never` where it does not. */
type FetchInit = typeof globalThis extends { readonly fetch: (input: never, init?: infer I) => unknown } ? I : never;

/** `WebAssembly.Module` where the environment declares it, `never` where it does not. */
type WasmModule = typeof globalThis extends { readonly WebAssembly: { readonly Module: { readonly prototype: infer T } } } ? T : never;

/**
 * Where {@link init} takes the WebAssembly module from: the URL of `oidc_rp_wasm_bg.wasm` or of
 * `oidc_rp_wasm_dpop_bg.wasm` (the one with DPoP; a string,
 * resolved against the page like `fetch` does, or a `URL`), a `Request` for it, a `Response`
 * holding it (from your own `fetch`), its bytes, or an already compiled `WebAssembly.Module`.
 */
export type WasmSource =
  | string
  | GlobalInstance<"URL">
  | GlobalInstance<"Request">
  | GlobalInstance<"Response">
  | ArrayBuffer
  | ArrayBufferView
  | WasmModule;

/** The options of {@link init}. */
export interface InitOptions {
  /**
   * Where the WebAssembly module is (or a promise of it). Absent: the files next to the package's
   * `index.js`, as `OidcClient.create()` would load them (`oidc_rp_wasm_bg.wasm`, and
   * `oidc_rp_wasm_dpop_bg.wasm` for a client with `dpop: true`).
   */
  module_or_path?: WasmSource | PromiseLike<WasmSource> | undefined;
}

/**
 * Says where the WebAssembly module is and starts loading it; `OidcClient.create()` then uses it.
 * Optional: without it, the first `create()` loads the file next to the package's `index.js`,
 * which is what Vite, webpack 5, Parcel and plain module pages need. Call it where the bundler
 * does not copy the file (esbuild, Rollup without a plugin), when the file comes from a CDN, or to
 * reuse a file the page preloaded:
 *
 * ```ts
 * import { init } from "oidc-rp-wasm";
 * import wasmUrl from "oidc-rp-wasm/oidc_rp_wasm_bg.wasm";   // esbuild --loader:.wasm=file
 * init({ module_or_path: new URL(wasmUrl, import.meta.url) });
 * ```
 *
 * The package has two module files: `oidc_rp_wasm_bg.wasm`, and `oidc_rp_wasm_dpop_bg.wasm`, which
 * also has DPoP (`dpop: true`, a few KB more). The module given here serves every client of the
 * page: give the DPoP one if any client has `dpop: true` (with `oidc_rp_wasm_bg.wasm`, `create()`
 * of such a client fails with `invalid_config`). Without a module it starts loading
 * `oidc_rp_wasm_bg.wasm`, and `create()` loads the other when a configuration needs it.
 *
 * Call it once, before the first `create()` (which waits for it); awaiting it is optional. A
 * second call with the same source returns the same promise. Outside a browser page (server-side
 * rendering) it does nothing and resolves.
 *
 * @throws {OidcError} `wasm_load` (with `reason` and the original error as `cause`) when the
 *   module cannot be fetched, compiled or instantiated, and again from `create()`, which retries
 *   the same source; `invalid_config` for an unknown option or source, or when the module is
 *   already loading (or loaded) from another source.
 */
export declare function init(options?: InitOptions): Promise<void>;

/**
 * How the OP returns the authorization response to the app.
 *
 * - `"query"`: in the redirect URI's query string (OAuth 2.0 default for the code flow).
 * - `"fragment"`: in the redirect URI's fragment; never sent to a server.
 * - `"form_post"`: as an HTML form POST to the redirect URI (OAuth 2.0 Form Post Response Mode).
 *   A static site receives it with the package's `form-post-sw.js` service worker.
 * - `"web_message"`: by `postMessage` from the OP's page to the popup's opener or the iframe's
 *   parent. Popup and silent sign-in only; the OP must support it.
 */
export type ResponseMode = "query" | "fragment" | "form_post" | "web_message";

/** Where the session (tokens and claims) is kept. See {@link OidcClientConfig.storage}. */
export type SessionStorageKind = "memory" | "session" | "local";

/** One value of the `prompt` parameter (OIDC Core §3.1.2.1; `create` from Initiating User Registration 1.0). */
export type PromptValue = "none" | "login" | "consent" | "select_account" | "create";

/**
 * The `prompt` parameter: one value, or several (sent space-separated). `"none"` cannot be
 * combined with another value (OIDC Core §3.1.2.1).
 */
export type Prompt =
  | PromptValue
  | readonly ["none"]
  | readonly Exclude<PromptValue, "none">[];

/**
 * Configuration of an {@link OidcClient}. Only `issuer`, `clientId` and `redirectUri` are required.
 * A field set to `undefined` counts as absent; an unknown field (a typo) is an `invalid_config`
 * error, as in every options object of the SDK.
 */
export interface OidcClientConfig {
  /**
   * The OP's issuer identifier. Metadata is discovered at
   * `issuer + "/.well-known/openid-configuration"`; the `issuer` it announces must equal this
   * exactly, or `create()` fails with `issuer_mismatch`.
   */
  issuer: string;
  /** The client id registered at the OP (a public client: no secret). */
  clientId: string;
  /** Where the OP sends the authorization response of redirect sign-ins (and the `redirect_uri` of web_message popups and iframes when there is no `silentRedirectUri`). Registered at the OP. */
  redirectUri: string;
  /** Where the OP sends the browser after RP-initiated logout. Registered at the OP. Sent unless a logout call overrides it. */
  postLogoutRedirectUri?: string | undefined;
  /**
   * The page the hidden iframe (silent sign-in) and the popup load with the response: the
   * package's `silent-callback.html` served from your origin, registered at the OP. Needed for
   * iframe silent sign-in and for popups whose response comes by query, fragment or form_post;
   * `web_message` needs none. On the page's own origin (`create()` refuses another with
   * `invalid_config`: the page answers by `postMessage` and `BroadcastChannel`).
   */
  silentRedirectUri?: string | undefined;
  /** Space-separated scopes. Default `"openid"`; add `offline_access` to ask for a refresh token. */
  scope?: string | undefined;
  /**
   * Response mode of redirect sign-ins. Default `"query"`. Hidden-iframe sign-ins use
   * `web_message` when the OP lists it, and so do popups unless `silentRedirectUri` is set (a
   * popup then answers on that page in this mode, which survives the OP's
   * `Cross-Origin-Opener-Policy`); a call's own `responseMode` wins.
   */
  responseMode?: ResponseMode | undefined;
  /**
   * Fail a refresh whose response has no `id_token` with `id_token_required`, leaving the session
   * as it was. Default `false`: such a refresh keeps the identity of the last ID token, updates the
   * access token and sets {@link Session.idTokenFresh} to `false`.
   */
  requireIdTokenOnRefresh?: boolean | undefined;
  /**
   * After a refresh, call the UserInfo endpoint and check that its `sub` equals the session's
   * (`subject_mismatch` otherwise). Default `false`. With an OP that has no `userinfo_endpoint`,
   * `create()` fails with `unsupported` rather than skip the check. The answer must be plain
   * JSON: a client registered for signed or encrypted UserInfo (`application/jwt`) fails every
   * refresh with `invalid_response` (the rotated refresh token is kept).
   */
  checkUserinfoOnRefresh?: boolean | undefined;
  /**
   * Where the session lives. Default `"memory"`.
   *
   * - `"memory"`: only in this page; the refresh token is kept in the wasm heap only (JavaScript
   *   sees it only in the body of the token request it sends). Lost on reload.
   * - `"session"`: `sessionStorage`; survives reloads of this tab, not shared with other tabs.
   * - `"local"`: `localStorage`, with a copy in IndexedDB (which the tabs read under the refresh
   *   lock); shared by every tab of the origin (refreshes coordinated with Web Locks), survives
   *   restarts, and readable by any script running on the origin (XSS exposure).
   */
  storage?: SessionStorageKind | undefined;
  /** JWS algorithms accepted for ID tokens (OIDC Core §3.1.3.7 step 7). Default `["RS256"]`. `none` is never accepted. */
  idTokenSigningAlgs?: readonly string[] | undefined;
  /** Tolerance, in seconds, for `exp`, `iat`, `nbf` and `auth_time` checks: 0 to 3600. Default `60`. */
  clockSkewSeconds?: number | undefined;
  /**
   * How long a silent (hidden iframe) sign-in waits for an answer, in milliseconds, in every
   * response mode. Default `10000`. Popups do not use it: they wait ten minutes (the pending
   * request's lifetime) in every mode.
   */
  silentTimeoutMs?: number | undefined;
  /**
   * Sign out every tab of the origin (locally; `signedOut` with reason `"idle"`) once no tab saw
   * user activity for this many seconds. Off by default. Loading a page is not activity: a
   * session restored after longer than this without input (the browser closed overnight) is
   * signed out as it loads.
   */
  idleTimeoutSeconds?: number | undefined;
  /** The `idle` event comes this many seconds before the idle sign-out: less than `idleTimeoutSeconds`, else `invalid_config`. Default `60`. */
  idleWarningSeconds?: number | undefined;
  /**
   * The deadline, in milliseconds, of every HTTP request the SDK makes: discovery, the token
   * endpoint, the JWK Set, UserInfo and the form_post pick-up from the service worker. Waiting
   * for the cross-tab refresh lock (another tab refreshing) is bounded too, and so is
   * IndexedDB (where `storage: "local"` keeps its shared copy and DPoP its key): a store that
   * does not answer in this time is read around (`localStorage`, a new DPoP key) and not
   * waited for again in the page. Default `10000`;
   * at most `3600000` (an hour: a deadline is a browser timer), else `invalid_config`.
   *
   * A request past its deadline is abandoned and the call rejects with an {@link OidcError} of
   * code `timeout`; the session is left as it was, the lock is released, and the next call
   * starts afresh.
   */
  requestTimeoutMs?: number | undefined;
  /** Refresh the access token shortly before it expires, when a refresh token is held. Default `true`. */
  autoRefresh?: boolean | undefined;
  /**
   * A silent sign-in by `prompt=none` sends the session's ID token as `id_token_hint` (OIDC Core
   * 3.1.2.1: it SHOULD be sent; some OPs refuse `prompt=none` without it). Default `true`;
   * `false` sends none unless a call's options name one.
   */
  idTokenHint?: boolean | undefined;
  /**
   * Extra parameters added to every authorization request (`audience`, ...). The
   * protocol parameters the SDK sets itself (`state`, `nonce`, `code_challenge`, ...) cannot be
   * overridden: naming one makes `create()` fail with `invalid_config` (field
   * `extraAuthorizeParams.<name>`).
   */
  extraAuthorizeParams?: Record<string, string> | undefined;
  /**
   * Sender-constrained tokens (DPoP, RFC 9449). A non-extractable ES256 key pair is made with
   * WebCrypto and kept in IndexedDB (as `CryptoKey` objects, never as key material) per issuer
   * and client id, so a reload keeps it; with `storage: "memory"` it lives for the page. It is
   * removed (and replaced) on sign-out. Every token request carries a proof, authorization
   * requests carry `dpop_jkt` (unless the key dies with the page before the redirect returns),
   * a server's `use_dpop_nonce` gets one retry with its nonce, and a token response that is not
   * `DPoP` is the error `dpop_not_bound`. Use {@link OidcClient.fetch} to call resource servers.
   * Default `false`.
   *
   * DPoP's code is in its own module file, `oidc_rp_wasm_dpop_bg.wasm` next to
   * `oidc_rp_wasm_bg.wasm` (which has none): `create()` loads it only for a configuration with
   * `dpop: true`, so a page without DPoP never downloads it. When {@link init} was given a
   * module, that module serves every client: if it is `oidc_rp_wasm_bg.wasm`, `create()` with
   * `dpop: true` fails with `invalid_config` (`field` `dpop`).
   */
  dpop?: boolean | undefined;
  /**
   * Pushed authorization requests (RFC 9126): the request is POSTed to the OP's
   * `pushed_authorization_request_endpoint` and the browser sees only `client_id` and
   * `request_uri`. `"auto"` (default) pushes whenever the OP has the endpoint (and so whenever it
   * requires pushing); `true` always (an OP without the endpoint is `invalid_config` at
   * `create`); `false` never. An OP that requires pushed requests
   * (`require_pushed_authorization_requests`) makes `false`, or `"auto"` without a usable
   * endpoint, `invalid_config` at `create`. The OP's error for a push rejects the sign-in with its
   * own code.
   */
  pushedAuthorizationRequests?: "auto" | boolean | undefined;
  /**
   * Resource indicators (RFC 8707): absolute URIs of the resource servers the tokens are for,
   * sent on the authorization, token and refresh requests.
   */
  resource?: string | readonly string[] | undefined;
  /**
   * Revoke the refresh token, then the access token (RFC 7009), before
   * {@link OidcClient.signoutRedirect} leaves. Each request is bounded by `requestTimeoutMs`,
   * and a failure never stops the sign-out. Default: on when the OP has a `revocation_endpoint`.
   */
  revokeTokensOnSignout?: boolean | undefined;
  /** The `claims` request parameter (OIDC Core §5.5), sent as JSON on every authorization request. */
  claims?: Record<string, unknown> | undefined;
}

/** Options of one sign-in ({@link OidcClient.signinRedirect}, {@link OidcClient.signinPopup}, ...). */
export interface AuthorizeOptions {
  /** `login_hint`: the identifier the user is likely to sign in with (e-mail, phone, username). */
  loginHint?: string | undefined;
  /** `ui_locales`: preferred languages of the OP's pages, as BCP 47 tags, most preferred first. */
  uiLocales?: string | readonly string[] | undefined;
  /**
   * `prompt`. `"none"` asks the OP to show nothing and fail (`login_required`,
   * `consent_required`, ...) if it would have to; {@link OidcClient.signinSilent} always sends it.
   */
  prompt?: Prompt | undefined;
  /**
   * `max_age` in seconds: the longest time since the user last authenticated. `0` forces
   * re-authentication. When sent, the ID token's `auth_time` is required and checked.
   */
  maxAge?: number | undefined;
  /**
   * `id_token_hint`: an ID token, or `true` for the current session's ID token. `false` sends
   * none, not even the session's that {@link OidcClient.signinSilent} sends by default.
   */
  idTokenHint?: string | boolean | undefined;
  /** `acr_values`: requested authentication context classes. When sent, the ID token's `acr` must be one of them. */
  acrValues?: string | readonly string[] | undefined;
  /** Scopes of this request only, space-separated; replaces {@link OidcClientConfig.scope}. */
  scope?: string | undefined;
  /** Response mode of this request only; replaces {@link OidcClientConfig.responseMode}. */
  responseMode?: ResponseMode | undefined;
  /**
   * Any JSON-serialisable value kept with the pending request (never sent to the OP) and returned
   * as {@link Session.appState} of the session the sign-in resolves with (and of its `signedIn`
   * event), e.g. the route to go back to. A value JSON cannot hold (a BigInt, a cycle) rejects the
   * call with `invalid_config`.
   */
  appState?: unknown;
  /** Extra authorization request parameters of this request; added to {@link OidcClientConfig.extraAuthorizeParams}. */
  extraParams?: Record<string, string> | undefined;
  /** Resource indicators (RFC 8707) of this sign-in; replace {@link OidcClientConfig.resource} on its token request and on every refresh of the session it makes. */
  resource?: string | readonly string[] | undefined;
  /** The `claims` parameter (OIDC Core §5.5) of this request; replaces {@link OidcClientConfig.claims}. */
  claims?: Record<string, unknown> | undefined;
}

/** How {@link OidcClient.signinPopup} shows the OP. */
export interface PopupOptions {
  /**
   * A window the app opened itself, in the task of the user's click (for instance
   * `window.open("", "signin", "popup")`, to show a spinner while it prepares). The SDK navigates it
   * to the OP and closes it when done. Default (and `null`, what `window.open()` returns when the
   * browser blocked it): the SDK opens one.
   */
  window?: GlobalInstance<"Window"> | null | undefined;
}

/**
 * Options of {@link OidcClient.signinPopup}: those of every sign-in, and the app's own window as
 * `popupWindow` (the same as {@link PopupOptions.window}, which wins when both are given).
 */
export interface PopupSigninOptions extends AuthorizeOptions {
  /** A window the app opened in the task of the user's click: see {@link PopupOptions.window}. */
  popupWindow?: GlobalInstance<"Window"> | null | undefined;
}

/** Options of RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). */
export interface LogoutOptions {
  /** `post_logout_redirect_uri` of this logout; replaces {@link OidcClientConfig.postLogoutRedirectUri}. */
  postLogoutRedirectUri?: string | undefined;
  /**
   * Not settable (passing it is an `invalid_config` error): the SDK makes a random `state`, sends
   * it with `post_logout_redirect_uri` and checks it in {@link OidcClient.handleSignoutCallback}.
   */
  state?: never;
  /** `ui_locales` of the OP's logout pages, most preferred first. */
  uiLocales?: string | readonly string[] | undefined;
  /** `logout_hint`: which account to log out, as the OP understands it. */
  logoutHint?: string | undefined;
  /**
   * `id_token_hint`. Default: the session's ID token (sent even when expired). A string sends that
   * token; `false` sends none (then only `client_id` identifies the client, and the OP may ask
   * the user to confirm).
   */
  idTokenHint?: string | false | undefined;
  /** Extra parameters of the logout request. Protocol parameters the SDK sets cannot be overridden. */
  extraParams?: Record<string, string> | undefined;
}

/** What {@link OidcClient.handleSignoutCallback} returns. */
export interface SignoutCallbackResult {
  /** The `state` that came back and matched the pending logout. */
  state?: string;
}

/**
 * The signed-in session. A snapshot: read {@link OidcClient.session} again, or listen to
 * events, to see later changes. It never carries the refresh token ({@link Session.hasRefreshToken}
 * says whether there is one); with `storage: "session"` or `"local"` that token is in web storage,
 * where any script of the origin can read it.
 */
export interface Session {
  /** `sub` of the ID token: who the user is at this OP. */
  readonly subject?: string;
  /** All claims of the last validated ID token. */
  readonly claims?: Record<string, unknown>;
  /** The last validated ID token (compact JWS), kept for `id_token_hint`. */
  readonly idToken?: string;
  /**
   * `false` when the last refresh response carried no ID token: the identity (`subject`,
   * `claims`, `idToken`) is then the one of an earlier response. The access token is never
   * treated as an ID token.
   */
  readonly idTokenFresh: boolean;
  /** The access token, for the resource servers. Prefer {@link OidcClient.getAccessToken}, which refreshes it. */
  readonly accessToken: string;
  /** `token_type` of the token response, spelled canonically: `"DPoP"` for a DPoP-bound token. */
  readonly tokenType: "Bearer" | "DPoP";
  /** When the access token expires, in seconds since the Unix epoch. Absent when the OP sent no `expires_in`. */
  readonly expiresAt?: number;
  /** Scopes granted: the OP's `scope`, or, when it sent none, the scopes requested (RFC 6749 §5.1). */
  readonly scope?: string;
  /** Whether a refresh token is held. The token itself is never on the `Session`. */
  readonly hasRefreshToken: boolean;
  /** `auth_time`: when the user authenticated, in seconds since the Unix epoch. */
  readonly authTime?: number;
  /** `acr`: the authentication context class the OP satisfied. */
  readonly acr?: string;
  /** `amr`: the authentication methods used. */
  readonly amr?: readonly string[];
  /**
   * The {@link AuthorizeOptions.appState} of the sign-in that made this session: on the session
   * a sign-in call resolves with and on this tab's `signedIn` event only, not kept on
   * {@link OidcClient.session} or given to other tabs.
   */
  readonly appState?: unknown;
}

/**
 * Every error the SDK throws (or passes to `refreshFailed`): a real `Error` with a stable `code`.
 * Test for it with {@link isOidcError}.
 */
export interface OidcError extends Error {
  /**
   * A stable code: one of the SDK's own (`state_mismatch`, `invalid_id_token`, ...), or the
   * OP's `error` passed through unchanged (`login_required`, `invalid_grant`, ...).
   */
  code: OidcErrorCode;
  /**
   * The exact check that failed, where the code covers several (see {@link OidcErrorReason}):
   * `aud_mismatch` or `auth_time_too_old` under `invalid_id_token`, `no_matching_key` under
   * `invalid_signature`, `iss_parameter` under `issuer_mismatch`, the step that failed under
   * `wasm_load`. Absent where the code says it all.
   */
  reason?: OidcErrorReason;
  /** The OP's `error_description`, when it sent one. */
  description?: string;
  /** The OP's `error_uri`, when it sent one that is an `https://` or `http://` URL of the characters RFC 6749 allows; a `javascript:` or `data:` value is not handed on. */
  uri?: string;
  /** For `invalid_config`: the option at fault, as JavaScript spells it (`redirectUri`, `extraParams.state`). */
  field?: string;
  /** For `wasm_load`: the error the browser raised (a `TypeError` from `fetch`, a `WebAssembly.CompileError`, ...). */
  cause?: unknown;
}

/**
 * {@link OidcError.reason}: which check failed, where one code covers several. The package's
 * README has a line for each; a native test (tests/errors.rs) keeps this list equal to what
 * src/error.rs and the pump's `wasm_load` can report.
 */
export type OidcErrorReason =
  // issuer_mismatch: where the other issuer was seen.
  | "discovery"
  | "iss_parameter"
  | "iss_mismatch"
  // invalid_id_token: the check of OIDC Core §3.1.3.7 or §12.2 (nonce_mismatch: its own code).
  | "malformed"
  | "encrypted"
  | "alg_not_allowed"
  | "aud_mismatch"
  | "azp_missing"
  | "azp_mismatch"
  | "expired"
  | "iat_in_future"
  | "nbf_in_future"
  | "missing_claim"
  | "nonce_mismatch"
  | "auth_time_missing"
  | "auth_time_too_old"
  | "acr_not_satisfied"
  | "at_hash_mismatch"
  | "refreshed_claim_changed"
  | "clock_skew"
  // invalid_signature
  | "signature_mismatch"
  | "no_matching_key"
  | "unusable_key"
  | "unsupported_alg"
  // invalid_response
  | "not_json"
  | "missing_field"
  | "invalid_field"
  | "repeated_parameter"
  | "no_code_or_error"
  | "not_authorization_response"
  | "unexpected_status"
  // browser
  | "no_window"
  | "no_document"
  | "frame"
  | "conversion"
  | "lock"
  | "location"
  // wasm_load: the step of loading the module that failed.
  | "unavailable"
  | "locate"
  | "fetch"
  | "http_status"
  | "not_wasm"
  | "csp"
  | "compile"
  | "instantiate"
  // an OP's own code: how the SDK read the error response.
  | "response_mode_mismatch"
  | "no_error_body"
  // invalid_grant: another tab's refresh of the same refresh token was refused.
  | "other_tab";

/** The SDK's own error codes. */
export type SdkErrorCode =
  | "state_mismatch"
  | "issuer_mismatch"
  | "nonce_mismatch"
  | "invalid_id_token"
  | "invalid_signature"
  | "id_token_required"
  | "subject_mismatch"
  | "invalid_response"
  | "invalid_config"
  | "unsupported"
  | "no_session"
  | "session_expired"
  | "timeout"
  | "popup_closed"
  | "popup_blocked"
  | "network"
  | "storage"
  | "crypto_unavailable"
  | "browser"
  | "disposed"
  | "abandoned"
  | "dpop_not_bound"
  | "dpop_key_changed"
  | "wasm_load";

/** Error codes an OP commonly returns (RFC 6749 §4.1.2.1 and §5.2, OIDC Core §3.1.2.6). */
export type OpErrorCode =
  | "invalid_request"
  | "unauthorized_client"
  | "access_denied"
  | "unsupported_response_type"
  | "invalid_scope"
  | "server_error"
  | "temporarily_unavailable"
  | "interaction_required"
  | "login_required"
  | "account_selection_required"
  | "consent_required"
  | "invalid_request_uri"
  | "invalid_request_object"
  | "request_not_supported"
  | "request_uri_not_supported"
  | "registration_not_supported"
  | "invalid_client"
  | "invalid_grant"
  | "unsupported_grant_type"
  | "use_dpop_nonce"
  | "invalid_dpop_proof";

/** An error code: a known one, or any other code an OP sends. */
export type OidcErrorCode = SdkErrorCode | OpErrorCode | (string & {});

/** The constant names of {@link ERROR_CODES}. */
export interface ErrorCodes {
  readonly STATE_MISMATCH: "state_mismatch";
  readonly ISSUER_MISMATCH: "issuer_mismatch";
  readonly NONCE_MISMATCH: "nonce_mismatch";
  readonly INVALID_ID_TOKEN: "invalid_id_token";
  readonly INVALID_SIGNATURE: "invalid_signature";
  readonly ID_TOKEN_REQUIRED: "id_token_required";
  readonly SUBJECT_MISMATCH: "subject_mismatch";
  readonly INVALID_RESPONSE: "invalid_response";
  readonly INVALID_CONFIG: "invalid_config";
  readonly UNSUPPORTED: "unsupported";
  readonly NO_SESSION: "no_session";
  readonly SESSION_EXPIRED: "session_expired";
  readonly TIMEOUT: "timeout";
  readonly POPUP_CLOSED: "popup_closed";
  readonly POPUP_BLOCKED: "popup_blocked";
  readonly NETWORK: "network";
  readonly STORAGE: "storage";
  readonly CRYPTO_UNAVAILABLE: "crypto_unavailable";
  readonly BROWSER: "browser";
  readonly DISPOSED: "disposed";
  readonly ABANDONED: "abandoned";
  readonly DPOP_NOT_BOUND: "dpop_not_bound";
  readonly DPOP_KEY_CHANGED: "dpop_key_changed";
  readonly WASM_LOAD: "wasm_load";
  readonly INVALID_REQUEST: "invalid_request";
  readonly UNAUTHORIZED_CLIENT: "unauthorized_client";
  readonly ACCESS_DENIED: "access_denied";
  readonly UNSUPPORTED_RESPONSE_TYPE: "unsupported_response_type";
  readonly INVALID_SCOPE: "invalid_scope";
  readonly SERVER_ERROR: "server_error";
  readonly TEMPORARILY_UNAVAILABLE: "temporarily_unavailable";
  readonly INTERACTION_REQUIRED: "interaction_required";
  readonly LOGIN_REQUIRED: "login_required";
  readonly ACCOUNT_SELECTION_REQUIRED: "account_selection_required";
  readonly CONSENT_REQUIRED: "consent_required";
  readonly INVALID_REQUEST_URI: "invalid_request_uri";
  readonly INVALID_REQUEST_OBJECT: "invalid_request_object";
  readonly REQUEST_NOT_SUPPORTED: "request_not_supported";
  readonly REQUEST_URI_NOT_SUPPORTED: "request_uri_not_supported";
  readonly REGISTRATION_NOT_SUPPORTED: "registration_not_supported";
  readonly INVALID_CLIENT: "invalid_client";
  readonly INVALID_GRANT: "invalid_grant";
  readonly UNSUPPORTED_GRANT_TYPE: "unsupported_grant_type";
  readonly USE_DPOP_NONCE: "use_dpop_nonce";
  readonly INVALID_DPOP_PROOF: "invalid_dpop_proof";
}

/** The SDK's own error codes and the common OP codes, as constants (a frozen object). */
export declare const ERROR_CODES: ErrorCodes;

/**
 * Whether `e` is an error the SDK made (checked by identity: another `Error` with a string `code`,
 * such as a fetch library's `ERR_NETWORK`, is not one); with `code`, also whether it has that
 * code (or one of those codes).
 *
 * ```ts
 * if (isOidcError(e, ["login_required", "interaction_required"])) await client.signinRedirect();
 * ```
 */
export declare function isOidcError(e: unknown, code?: OidcErrorCode | readonly OidcErrorCode[]): e is OidcError;

/** @internal The SDK's error, for the package's React binding and form-post helper. Not part of the API: do not use. */
export declare function _oidcError(code: SdkErrorCode, message: string, more?: { field?: string }): OidcError;

/** Detail of the `expiring` and `expired` events. */
export interface ExpiryDetail {
  /** When the access token expires (or expired), in seconds since the Unix epoch. */
  expiresAt: number;
}

/**
 * Why the session ended.
 *
 * - `"signout"`: this tab signed out ({@link OidcClient.signoutRedirect}).
 * - `"other_tab"`: another tab of the same client signed out.
 * - `"idle"`: no tab of the origin saw user activity for `idleTimeoutSeconds`.
 * - `"refresh_failed"`: the access token expired after the OP refused the refresh token
 *   (`invalid_grant`): nothing could renew it.
 */
export type SignedOutReason = "signout" | "other_tab" | "idle" | "refresh_failed";

/** Detail of the `idle` event. */
export interface IdleDetail {
  /** Milliseconds until every tab signs out, unless the user does something in one of them. */
  signOutInMs: number;
}

/** Detail of the `signedOut` event. */
export interface SignedOutDetail {
  /** Why the session ended. */
  reason: SignedOutReason;
}

/** The events of an {@link OidcClient} and the detail each handler receives. */
export interface ClientEventMap {
  /**
   * A sign-in completed (redirect callback, form_post, popup, or a silent sign-in in a page that
   * had no session): the new session. A silent sign-in that renews the page's session is
   * `refreshed` instead. Also when another tab signed in (then without `appState`).
   */
  signedIn: Session;
  /**
   * The tokens were refreshed (by `refresh()`, `getAccessToken()`, auto-refresh, `signinSilent()`
   * with a session, or another tab): the updated session. Also when the session let go of its
   * refresh token, with the same access token (another tab's refresh of it was refused, or a tab
   * opened from this one leaves it to its opener): `hasRefreshToken` changed.
   */
  refreshed: Session;
  /**
   * A refresh failed; the session is kept (past its expiry too, until a sign-in or sign-out
   * replaces it). The error, as thrown by `refresh()`. Not sent when there is no session to keep
   * (`refresh()` with nobody signed in, a sign-out noticed on the way). `signinSilent()` with a
   * session tries its refresh token first: an `invalid_grant` there is announced, and the hidden
   * iframe that follows may still sign the user in.
   */
  refreshFailed: OidcError;
  /**
   * The access token expires soon (a minute before, or half its lifetime when that is shorter);
   * with `autoRefresh` and a refresh token, a refresh follows. Once per access token.
   */
  expiring: ExpiryDetail;
  /**
   * The access token has expired and could not be refreshed: once per access token, and not
   * while a refresh is under way (after it, if it fails).
   */
  expired: ExpiryDetail;
  /** The session ended. */
  signedOut: SignedOutDetail;
  /**
   * No tab of the origin saw user activity (pointer, keys, wheel, touch) for
   * `idleTimeoutSeconds - idleWarningSeconds`: the session ends soon. Activity in any tab
   * keeps every tab signed in.
   */
  idle: IdleDetail;
}

/** The name of an event of {@link OidcClient.on}. */
export type ClientEvent = keyof ClientEventMap;

/**
 * An OpenID Connect relying party for this page: the authorization code flow with PKCE (S256),
 * ID token validation, refresh, and RP-initiated logout.
 *
 * Make one with `await OidcClient.create(config)`; `new OidcClient()` throws.
 */
export declare class OidcClient {
  private constructor();

  /**
   * Loads the WebAssembly module (the first time, from where {@link init} said, else from the file
   * next to the package's `index.js`), validates `config`, fetches the OP's discovery document and
   * restores the session from the chosen storage. Call it in the browser: importing the package
   * is safe anywhere, but on a server (no `window`) this rejects with `unsupported`.
   *
   * @throws {OidcError} `wasm_load` (the module could not be fetched, compiled or instantiated;
   *   `reason` says which step, the message what usually fixes it, and the next call tries again),
   *   `unsupported` (not in a browser page), `invalid_config`, `issuer_mismatch`, `network`,
   *   `timeout` (discovery took longer than `requestTimeoutMs`), `invalid_response`.
   */
  static create(config: OidcClientConfig): Promise<OidcClient>;

  /**
   * The current session, or `null` when signed out. A fresh snapshot on each read. A session
   * whose access token expired stays here (`expiresAt` in the past) until a sign-in, a refresh or
   * a sign-out replaces it: its identity is still the user's, but {@link OidcClient.getAccessToken}
   * has no token to give (`session_expired` when there is no refresh token to renew it).
   */
  readonly session: Session | null;

  /**
   * Why there is no session: the reason of the last `signedOut` in this page, or `null` while
   * there is a session or when none ended here. A listener added late misses a `signedOut`
   * announced meanwhile (a session restored idle is signed out just after `create()` resolves):
   * read this before deciding to sign the user in.
   */
  readonly signedOutReason: SignedOutReason | null;

  /**
   * Builds the authorization request URL and stores the pending request (state, nonce, PKCE
   * verifier), for apps that navigate themselves. With pushed authorization requests (PAR, the
   * default when the OP has the endpoint) the URL carries a one-time `request_uri` that the OP
   * keeps for a short while only (its `expires_in`, often 60 s; RFC 9126 §2.2): navigate to it at
   * once, and ask for a new one rather than render it as a link for later.
   */
  authorizeUrl(options?: AuthorizeOptions): Promise<string>;

  /** Stores the pending request and sends the browser to the OP to sign in. Resolves once the navigation has started; the page then unloads. */
  signinRedirect(options?: AuthorizeOptions): Promise<void>;

  /**
   * Completes a sign-in on the redirect URI: reads the response from `url` (default
   * `location.href`) whether it came by query, fragment or, through the service worker,
   * form_post; checks it, redeems the code, validates the ID token and stores the session.
   * Called without `url`, it also removes the response parameters from the address bar; with a
   * `url` it leaves the address bar to the app.
   *
   * @throws {OidcError} the OP's code (`login_required`, `access_denied`, ...), `state_mismatch`,
   *   `issuer_mismatch`, `nonce_mismatch`, `invalid_id_token`, `invalid_signature`, `network`,
   *   `timeout` (a request took longer than `requestTimeoutMs`), ...
   */
  handleRedirectCallback(url?: string): Promise<Session>;

  /** Completes a sign-in from a form_post body received some other way (your own server, say). */
  handleFormPost(body: string | GlobalInstance<"URLSearchParams">): Promise<Session>;

  /**
   * Signs in in a popup. Call it in the click handler itself, before awaiting anything: the
   * popup opens before this returns, and browsers block a `window.open` that comes after an
   * await. Or open a window there yourself and pass it as `popup.window` (the SDK navigates it).
   * Without a `responseMode` option, the popup answers through `silentRedirectUri` when it is
   * configured (this survives an OP whose pages send `Cross-Origin-Opener-Policy`: the page
   * hands the response over a BroadcastChannel), else by `web_message` when the OP supports it.
   *
   * @throws {OidcError} `popup_blocked`, `popup_closed` (the user closed it), `timeout` (no
   *   answer within ten minutes), or any error of {@link OidcClient.handleRedirectCallback}.
   */
  signinPopup(options?: PopupSigninOptions, popup?: PopupOptions): Promise<Session>;

  /**
   * Renews the session without showing anything: with the refresh token when one is held and
   * `options` has nothing but `appState` and `prompt` (always `"none"` here); otherwise in a hidden
   * iframe with `prompt=none` (and the session's ID token as `id_token_hint`). `responseMode`,
   * `maxAge`, `acrValues`, `scope`, `loginHint`, `idTokenHint` (a token or `true`; `false` does
   * not), `uiLocales`, `extraParams`, `resource` and `claims` each skip the refresh token: a
   * refresh_token grant carries none of them, so it could not honour them (it does not
   * re-authenticate for `maxAge`, cannot raise `acr`, widen `scope` or pick an account). A refresh the OP refuses with `invalid_grant`, or whose refresh token is bound to a DPoP key this client no longer holds (`dpop_key_changed`), falls back to the iframe; any other
   * failure (the network, a timeout) is reported as it is. Like {@link OidcClient.signinPopup}, the iframe prefers `web_message`
   * when the OP supports it, else answers through `silentRedirectUri`. It renews the page's
   * session, so an ID token for another user (signed in at the OP meanwhile) is refused and the
   * session kept, as for a refresh (OIDC Core §12.2): to change users, sign in interactively.
   *
   * @throws {OidcError} `login_required`, `consent_required`, `interaction_required`, ... from the
   *   OP (never masked as a timeout), `timeout` when nothing answered in `silentTimeoutMs`,
   *   `no_session` when the session was signed out while it ran, `invalid_id_token` (reason
   *   `refreshed_claim_changed`) when the OP answered for another user.
   */
  signinSilent(options?: AuthorizeOptions): Promise<Session>;

  /**
   * Uses the refresh token (refresh_token grant only). A failure keeps the current session.
   *
   * @throws {OidcError} `no_session`, `invalid_grant`, `id_token_required`, `subject_mismatch`,
   *   `invalid_id_token` (OIDC Core §12.2), `network`, `timeout` (the OP did not answer within
   *   `requestTimeoutMs`; the session is kept and a later refresh can succeed), ...
   */
  refresh(): Promise<Session>;

  /**
   * A valid access token, refreshed first when it is expired or about to be. Tabs sharing a
   * session refresh once, under a Web Lock. Inside the refresh leeway a token that is still valid
   * is handed out even when the refresh fails.
   *
   * @throws {OidcError} `no_session` (nobody is signed in), `session_expired` (the access token
   *   has expired and the session has no refresh token: sign in again; {@link OidcClient.session}
   *   still holds the expired session, its `expiresAt` in the past, until a sign-in or sign-out
   *   replaces it), or any error of {@link OidcClient.refresh} (when the token had expired and
   *   the refresh failed, e.g. `invalid_grant`).
   */
  getAccessToken(): Promise<string>;

  /**
   * `fetch` to a resource server with the access token, refreshed first when it is expired or
   * about to be: as `Authorization: DPoP <token>` with a `DPoP` proof (carrying `ath` and the
   * server's newest nonce) when the token is DPoP-bound, else as `Bearer`. A `401` with a
   * `use_dpop_nonce` challenge and a `DPoP-Nonce` is retried once with that nonce. The response
   * is returned as `fetch` returns it, whatever its status.
   *
   * @throws {OidcError} `no_session`, `session_expired`, `dpop_key_changed`, or any error of
   *   {@link OidcClient.refresh}.
   * @throws {TypeError} as `fetch` throws it: `input` is not a URL or request, or the resource
   *   server could not be reached (the SDK's own requests fail with `network` instead).
   */
  fetch(
    input: string | GlobalInstance<"Request"> | GlobalInstance<"URL">,
    init?: FetchInit,
  ): Promise<GlobalInstance<"Response">>;

  /**
   * A DPoP proof (RFC 9449 §4) for `method` and `url` signed with the client's key, for apps with
   * their own HTTP client: `ath` of the access token when the session is DPoP-bound, and the
   * newest nonce the SDK's own requests learned from that server (a nonce your HTTP client
   * received cannot be handed in: use {@link OidcClient.fetch} for a server that demands one).
   * Send it as the `DPoP` header with `Authorization: DPoP <token>`, taking the token from
   * {@link OidcClient.getAccessToken} before the proof: `ath` is of the token the session holds
   * when the proof is made.
   * `url` is read against the page's base URL, as `fetch` reads it; `method` is normalised as
   * `fetch` normalises it (`get` is `GET`, `patch` stays `patch`), so send the method as you
   * give it here.
   *
   * @throws {OidcError} `invalid_config` when `dpop` is off, or `url` is not a URL.
   */
  dpopProof(method: string, url: string | GlobalInstance<"URL">): Promise<string>;

  /**
   * Builds the RP-initiated logout URL (with `id_token_hint`, `client_id`,
   * `post_logout_redirect_uri` and a fresh `state`) and stores the state for
   * {@link OidcClient.handleSignoutCallback}. The local session is left as it is: use
   * {@link OidcClient.signoutRedirect} to end it too.
   *
   * @throws {OidcError} `unsupported` when the OP has no `end_session_endpoint`.
   */
  signoutUrl(options?: LogoutOptions): Promise<string>;

  /**
   * Ends the local session in every tab (`signedOut`, reason `"signout"`), then revokes the
   * tokens when the OP has a `revocation_endpoint` and `revokeTokensOnSignout` is on, and sends
   * the browser to the OP's logout endpoint: a `signedOut` listener must not navigate away
   * itself, which would cancel both. An OP without an `end_session_endpoint` (RP-Initiated Logout is optional) gets the
   * same local sign-out; the browser then goes to `postLogoutRedirectUri` when there is one, and
   * otherwise stays. A call while another is under way (a double click) leaves the
   * logout to that one and resolves at once.
   *
   * @throws {OidcError} `storage` when `sessionStorage` refused the logout's state: the local
   *   session has ended in every tab all the same, and the page stays (the OP's return could not
   *   be checked).
   */
  signoutRedirect(options?: LogoutOptions): Promise<void>;

  /**
   * On the post-logout redirect URI: checks the returned `state` against the pending logout
   * (spent by the return that matches it; a stray or forged `state` spends nothing).
   *
   * It leaves the address bar as it is: remove the `?state=` yourself
   * (`history.replaceState(null, "", location.pathname)`).
   *
   * The same return handled again in the same page (React StrictMode runs an effect twice)
   * resolves as the first time did.
   *
   * @throws {OidcError} `state_mismatch` when the state is absent, unknown, older than ten
   * minutes, or was used by an earlier page load.
   */
  handleSignoutCallback(url?: string): Promise<SignoutCallbackResult>;

  /** Calls `handler` with the new session after each sign-in. Returns a function that unsubscribes. */
  on(event: "signedIn", handler: (session: Session) => void): () => void;
  /** Calls `handler` with the updated session after each refresh. Returns a function that unsubscribes. */
  on(event: "refreshed", handler: (session: Session) => void): () => void;
  /** Calls `handler` with the error when a refresh fails. Returns a function that unsubscribes. */
  on(event: "refreshFailed", handler: (error: OidcError) => void): () => void;
  /** Calls `handler` shortly before the access token expires. Returns a function that unsubscribes. */
  on(event: "expiring", handler: (detail: ExpiryDetail) => void): () => void;
  /** Calls `handler` when the access token has expired. Returns a function that unsubscribes. */
  on(event: "expired", handler: (detail: ExpiryDetail) => void): () => void;
  /** Calls `handler` when the session ends. Returns a function that unsubscribes. */
  on(event: "signedOut", handler: (detail: SignedOutDetail) => void): () => void;
  /** Subscribes to any event; the handler receives that event's detail. Returns a function that unsubscribes. */
  on<E extends ClientEvent>(event: E, handler: (detail: ClientEventMap[E]) => void): () => void;

  /**
   * Shuts the client down: stops its timers (`expiring`, `expired`, auto-refresh), removes its
   * listeners and closes its BroadcastChannel, so it neither calls handlers nor hears other tabs
   * any more. The stored session is left alone (other tabs and a later client keep using it).
   * With `local` storage, a refresh whose request is already out at the OP is let finish and
   * its rotated refresh token stored (its caller still gets `disposed` at once).
   * Afterwards every method rejects (or, for `on()`, throws) an {@link OidcError} of code
   * `disposed`. Calling it again does nothing.
   */
  dispose(): void;

  /**
   * Another name for {@link OidcClient.dispose} (the name Rust-made WebAssembly objects use):
   * exactly the same effect. The client has no `[Symbol.dispose]` method; with `using`-style
   * code, call `dispose()` in a `finally`.
   */
  free(): void;
}
