// A realistic consumer of oidc-rp-wasm, type-checked against pkg-template/index.d.ts.
// `npx tsc -p .` must pass: every API use below type-checks, and every `@ts-expect-error` line
// is a mistake the declarations must reject (tsc fails if such a line stops being an error).

import {
  ERROR_CODES,
  OidcClient,
  init,
  isOidcError,
  type AuthorizeOptions,
  type ClientEvent,
  type ClientEventMap,
  type ExpiryDetail,
  type LogoutOptions,
  type OidcClientConfig,
  type OidcError,
  type OidcErrorCode,
  type Prompt,
  type ResponseMode,
  type Session,
  type SignedOutDetail,
  type SignoutCallbackResult,
  type InitOptions,
  type WasmSource,
} from "oidc-rp-wasm";
import wasmUrl from "oidc-rp-wasm/oidc_rp_wasm_bg.wasm";
import { formPostWorkerUrl, registerFormPostWorker } from "oidc-rp-wasm/form-post";

// ---- configuration: every field ----

const config: OidcClientConfig = {
  issuer: "https://id.example.com",
  clientId: "spa",
  redirectUri: "https://app.example.com/callback",
  postLogoutRedirectUri: "https://app.example.com/",
  silentRedirectUri: "https://app.example.com/silent-callback.html",
  scope: "openid profile email offline_access",
  responseMode: "fragment",
  requireIdTokenOnRefresh: false,
  checkUserinfoOnRefresh: true,
  storage: "session",
  idTokenSigningAlgs: ["RS256", "ES256", "EdDSA"],
  clockSkewSeconds: 30,
  silentTimeoutMs: 8000,
  requestTimeoutMs: 5000,
  autoRefresh: true,
  idTokenHint: false,
  extraAuthorizeParams: { audience: "https://api.example.com" },
};

const minimal: OidcClientConfig = { issuer: "https://id.example.com", clientId: "spa", redirectUri: "https://app.example.com/" };

// @ts-expect-error redirectUri is required
const missingRedirect: OidcClientConfig = { issuer: "https://id.example.com", clientId: "spa" };
// @ts-expect-error not a response mode
const badMode: OidcClientConfig = { ...minimal, responseMode: "bogus" };
// @ts-expect-error cookies are not a storage choice
const badStorage: OidcClientConfig = { ...minimal, storage: "cookie" };
// @ts-expect-error a misspelt option
const misspelt: OidcClientConfig = { ...minimal, redirectURI: "https://app.example.com/" };
// @ts-expect-error the scope is a space-separated string, not an array
const scopeArray: OidcClientConfig = { ...minimal, scope: ["openid"] };
// @ts-expect-error the skew is a number of seconds
const skewString: OidcClientConfig = { ...minimal, clockSkewSeconds: "60" };
// @ts-expect-error extra parameters are strings
const extraNumber: OidcClientConfig = { ...minimal, extraAuthorizeParams: { max_age: 5 } };
// @ts-expect-error the request deadline is a number of milliseconds
const timeoutString: OidcClientConfig = { ...minimal, requestTimeoutMs: "10s" };
// @ts-expect-error the option is requestTimeoutMs
const timeoutMisspelt: OidcClientConfig = { ...minimal, requestTimeout: 5000 };
const timeoutUnset: OidcClientConfig = { ...minimal, requestTimeoutMs: undefined };

// ---- prompt and response mode unions ----

const prompts: Prompt[] = ["none", "login", "consent", "select_account", "create", ["login", "consent"], ["none"]];
const modes: ResponseMode[] = ["query", "fragment", "form_post", "web_message"];
// @ts-expect-error not a prompt value
const badPrompt: Prompt = "nope";
// @ts-expect-error "none" cannot be combined with another value
const noneAndLogin: Prompt = ["none", "login"];
// @ts-expect-error "page" is a display value, not a prompt
const displayAsPrompt: Prompt = ["page"];

// ---- sign-in options: every field ----

const signinOptions: AuthorizeOptions = {
  loginHint: "ana@example.com",
  uiLocales: ["pt-BR", "en"],
  prompt: ["login", "consent"],
  maxAge: 0,
  idTokenHint: true,
  acrValues: ["urn:mace:incommon:iap:silver"],
  scope: "openid profile",
  responseMode: "form_post",
  appState: { returnTo: "/orders/42", tab: 3 },
  extraParams: { audience: "https://api.example.com" },
};
const otherOptions: AuthorizeOptions = { uiLocales: "de", acrValues: "urn:acr:mfa", idTokenHint: "eyJ...", prompt: "none" };

// @ts-expect-error not a prompt value
const optsBadPrompt: AuthorizeOptions = { prompt: "nope" };
// @ts-expect-error not a response mode
const optsBadMode: AuthorizeOptions = { responseMode: "bogus" };
// idTokenHint: a token, true ("the session's"), or false (none, not even on a silent sign-in).
const optsHintFalse: AuthorizeOptions = { idTokenHint: false };
// @ts-expect-error idTokenHint is a token or a boolean
const optsHintNumber: AuthorizeOptions = { idTokenHint: 1 };
// @ts-expect-error max_age is a number of seconds
const optsMaxAgeString: AuthorizeOptions = { maxAge: "300" };
// @ts-expect-error the option is loginHint
const optsSnakeCase: AuthorizeOptions = { login_hint: "ana" };

// ---- logout options: every field ----

const logoutOptions: LogoutOptions = {
  postLogoutRedirectUri: "https://app.example.com/bye",
  uiLocales: ["fr"],
  logoutHint: "ana@example.com",
  idTokenHint: false,
  extraParams: { foo: "bar" },
};
const logoutWithToken: LogoutOptions = { idTokenHint: "eyJ...", uiLocales: "fr" };

// @ts-expect-error the SDK makes the logout state itself
const logoutState: LogoutOptions = { state: "mine" };
// @ts-expect-error true is an AuthorizeOptions idTokenHint; logout sends the session's token by default
const logoutHintTrue: LogoutOptions = { idTokenHint: true };

// ---- where the WebAssembly module comes from (init) ----

async function loadWasm(): Promise<void> {
  await init();
  await init({ module_or_path: new URL(wasmUrl, import.meta.url) });
  await init({ module_or_path: "/assets/oidc_rp_wasm_bg.wasm" });
  await init({ module_or_path: fetch("/assets/oidc_rp_wasm_bg.wasm") });
  await init({ module_or_path: await fetch(new Request("/assets/oidc_rp_wasm_bg.wasm")) });
  const bytes = await (await fetch("/assets/oidc_rp_wasm_bg.wasm")).arrayBuffer();
  await init({ module_or_path: bytes });
  await init({ module_or_path: new Uint8Array(bytes) });
  const compiled: WasmSource = await WebAssembly.compile(bytes);
  const options: InitOptions = { module_or_path: compiled };
  await init(options);
  await init({ module_or_path: undefined });
  // @ts-expect-error init() resolves to nothing: the wasm exports stay private
  const exports: object = await init();
  // @ts-expect-error null is no source (a number would pass: the DOM's WebAssembly.Module is an empty interface)
  await init({ module_or_path: null });
  // @ts-expect-error init() takes { module_or_path }, not the source itself
  await init(new URL("https://cdn.example.com/oidc_rp_wasm_bg.wasm"));
  // @ts-expect-error the option is module_or_path
  await init({ url: "/oidc_rp_wasm_bg.wasm" });
  try {
    await OidcClient.create(config);
  } catch (e) {
    if (isOidcError(e, ERROR_CODES.WASM_LOAD)) console.error(e.reason, e.message, e.cause);
    else if (isOidcError(e, "unsupported")) console.info("not in a browser");
    else if (isOidcError(e, "invalid_config")) console.error("bad option", e.field);
    else throw e;
  }
  console.log(exports);
}
void loadWasm();

// ---- the client ----

function show(session: Session | null): string {
  if (!session) return "signed out";
  const name = typeof session.claims?.["name"] === "string" ? session.claims["name"] : session.subject ?? "?";
  const expires = session.expiresAt === undefined ? "unknown" : new Date(session.expiresAt * 1000).toISOString();
  const fresh: boolean = session.idTokenFresh;
  const refreshable: boolean = session.hasRefreshToken;
  const methods: readonly string[] = session.amr ?? [];
  const meta: Array<string | number | undefined> = [session.tokenType, session.scope, session.authTime, session.acr, session.idToken];
  // The scheme is one of two spellings, so an app can switch on it.
  const scheme: "Bearer" | "DPoP" = session.tokenType;
  // @ts-expect-error no other spelling
  const other: "bearer" = session.tokenType;
  void scheme;
  void other;
  return `${name} until ${expires} fresh=${fresh} refresh=${refreshable} amr=${methods.join(",")} ${meta.join(" ")}`;
}

function describe(e: OidcError): string {
  const code: OidcErrorCode = e.code;
  return [code, e.reason, e.description, e.uri, e.message, e.name].filter(Boolean).join(" | ");
}

async function main(): Promise<void> {
  const client: OidcClient = await OidcClient.create(config);

  // @ts-expect-error the constructor is private: use OidcClient.create
  new OidcClient();
  // @ts-expect-error create needs a configuration
  await OidcClient.create();

  // Events, each with its own detail type.
  const offs: Array<() => void> = [
    client.on("signedIn", (s) => console.log("signed in", s.subject, s.appState)),
    client.on("refreshed", (s) => console.log("refreshed", s.accessToken.length, s.idTokenFresh)),
    client.on("refreshFailed", (e) => console.warn("refresh failed", e.code, e.reason)),
    client.on("expiring", ({ expiresAt }) => console.log("expiring at", expiresAt)),
    client.on("expired", (d: ExpiryDetail) => console.log("expired at", d.expiresAt)),
    client.on("signedOut", (d: SignedOutDetail) => console.log("signed out:", d.reason === "other_tab" ? "elsewhere" : d.reason)),
  ];
  // Generic subscription to every event.
  const names: ClientEvent[] = ["signedIn", "refreshed", "refreshFailed", "expiring", "expired", "signedOut"];
  for (const name of names) offs.push(client.on(name, (detail: ClientEventMap[ClientEvent]) => console.debug(name, detail)));

  // @ts-expect-error not an event
  client.on("loggedIn", () => {});
  // @ts-expect-error refreshFailed hands an error, not a session
  client.on("refreshFailed", (s: Session) => s.accessToken);
  // @ts-expect-error signedIn hands a session, not an expiry
  client.on("signedIn", (d: ExpiryDetail) => d.expiresAt);
  // @ts-expect-error signedOut reasons are a closed set
  client.on("signedOut", (d) => d.reason === "timeout");

  // The redirect callback, in every response mode.
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (query.has("code") || query.has("error") || query.has("oidc_form_post") || fragment.has("code") || fragment.has("error")) {
    try {
      const session: Session = await client.handleRedirectCallback();
      const returnTo = (session.appState as { returnTo?: string } | undefined)?.returnTo ?? "/";
      history.replaceState(null, "", returnTo);
    } catch (e) {
      if (isOidcError(e, ERROR_CODES.ACCESS_DENIED)) console.info("the user said no");
      else if (isOidcError(e, [ERROR_CODES.STATE_MISMATCH, ERROR_CODES.NONCE_MISMATCH])) console.warn("stale or forged response", describe(e));
      else throw e;
    }
  }
  const fromUrl: Session = await client.handleRedirectCallback("https://app.example.com/callback?code=c&state=s");
  const fromBody: Session = await client.handleFormPost("code=c&state=s");
  const fromParams: Session = await client.handleFormPost(new URLSearchParams({ code: "c", state: "s" }));
  console.log(show(fromUrl), show(fromBody), show(fromParams));

  // Signing in.
  const url: string = await client.authorizeUrl(signinOptions);
  console.log(new URL(url).searchParams.get("state"));
  await client.authorizeUrl();
  const popup: Session = await client.signinPopup({ responseMode: "web_message", prompt: "select_account" });
  const ownWindow = window.open("", "signin", "popup");
  if (ownWindow) await client.signinPopup({}, { window: ownWindow });
  await client.signinPopup(undefined, {});
  // @ts-expect-error a PopupOptions window is a Window, not a URL
  await client.signinPopup({}, { window: "https://op.example.com/" });
  const silent: Session = await client.signinSilent({ ...otherOptions, prompt: "none" });
  const refreshed: Session = await client.refresh();
  console.log(show(popup), show(silent), show(refreshed), show(client.session), prompts.length, modes.length);
  // @ts-expect-error session is read-only
  client.session = null;
  // @ts-expect-error refresh takes no options
  await client.refresh({ scope: "openid" });

  // Using the access token.
  try {
    const token: string = await client.getAccessToken();
    await fetch("https://api.example.com/orders", { headers: { authorization: `Bearer ${token}` } });
    // Or through the client: DPoP with a proof, or Bearer; the response as fetch gives it.
    const response: Response = await client.fetch("https://api.example.com/orders", { method: "POST", body: "{}" });
    const viaUrl: Response = await client.fetch(new URL("https://api.example.com/orders"));
    const proof: string = await client.dpopProof("GET", "https://api.example.com/orders");
    void [response, viaUrl, proof];
  } catch (e) {
    if (isOidcError(e, ["login_required", "interaction_required", "consent_required", "account_selection_required"])) {
      await client.signinRedirect({ prompt: "login", appState: { returnTo: location.pathname } });
    } else if (isOidcError(e)) {
      console.error(describe(e));
    } else {
      throw e;
    }
  }
  // @ts-expect-error isOidcError's second argument is a code or a list of codes
  isOidcError(new Error("x"), 42);
  const codes: readonly string[] = Object.values(ERROR_CODES);
  const loginRequired: "login_required" = ERROR_CODES.LOGIN_REQUIRED;
  const sdkOwn: OidcErrorCode[] = [ERROR_CODES.TIMEOUT, ERROR_CODES.BROWSER, ERROR_CODES.DISPOSED, ERROR_CODES.STORAGE];
  const disposedCode: "disposed" = ERROR_CODES.DISPOSED;
  const wasmLoadCode: "wasm_load" = ERROR_CODES.WASM_LOAD;
  console.log(wasmLoadCode);
  const browserCode: "browser" = ERROR_CODES.BROWSER;
  console.log(codes.length, loginRequired, sdkOwn, disposedCode, browserCode, timeoutUnset);
  // @ts-expect-error ERROR_CODES is read-only
  ERROR_CODES.TIMEOUT = "later";

  // Signing out.
  const logoutUrl: string = await client.signoutUrl(logoutOptions);
  console.log(logoutUrl, logoutWithToken);
  await client.signoutUrl();
  await client.signoutRedirect({ postLogoutRedirectUri: "https://app.example.com/" });
  await client.signoutRedirect();
  const back: SignoutCallbackResult = await client.handleSignoutCallback();
  const backFromUrl: { state?: string } = await client.handleSignoutCallback("https://app.example.com/?state=abc");
  console.log(back.state, backFromUrl.state);

  for (const off of offs) off();

  // A deadline that passed, or a client that was shut down.
  try {
    await client.refresh();
  } catch (e) {
    if (isOidcError(e, ERROR_CODES.TIMEOUT)) console.info("the OP did not answer in time; the session is kept");
    else if (isOidcError(e, "disposed")) console.info("this client was disposed");
    else if (isOidcError(e, ["browser", "storage"])) console.error("the browser could not help", describe(e));
    else throw e;
  }
  const disposed: void = client.dispose();
  client.dispose(); // twice is harmless
  console.log(disposed);
  // @ts-expect-error dispose takes no arguments
  client.dispose(true);
  // @ts-expect-error dispose returns nothing to await on
  await client.dispose().then(() => {});
  client.free();
}

void main();

// With exactOptionalPropertyTypes, options still take `undefined` for "not set".
const hint: string | undefined = new URLSearchParams(location.search).get("hint") ?? undefined;
export const fromForm: AuthorizeOptions = { loginHint: hint, prompt: undefined, maxAge: undefined };

// The form_post service worker, registered for the configuration's redirect URIs.
export async function withFormPost(config: OidcClientConfig): Promise<OidcClient> {
  const registration: ServiceWorkerRegistration = await registerFormPostWorker(config);
  console.log(registration.active?.scriptURL, formPostWorkerUrl(config, "/sw/form-post-sw.js"));
  await registerFormPostWorker({ redirectUri: "/callback", silentRedirectUri: undefined }, "/form-post-sw.js");
  // @ts-expect-error the redirect URI is what the worker needs
  await registerFormPostWorker({ clientId: "spa" });
  return OidcClient.create({ ...config, responseMode: "form_post" });
}
