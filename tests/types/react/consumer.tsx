// A React app's use of oidc-rp-wasm/react, type-checked against pkg-template/react.d.ts through
// the package's "exports" (node_modules/oidc-rp-wasm links to pkg-template/), with JSX, under
// moduleResolution bundler (tsconfig.react.json) and node16 (tsconfig.react-node16.json). Every
// `@ts-expect-error` line is a mistake the declarations must reject.

import { StrictMode, useEffect, useState, type ReactNode } from "react";
import { OidcClient, type OidcClientConfig, type OidcError, type Session, type SignedOutReason } from "oidc-rp-wasm";
import {
  OidcProvider,
  RequireAuth,
  useOidc,
  withAuthenticationRequired,
  type OidcProviderProps,
  type OidcState,
  type RequireAuthProps,
  type WithAuthenticationRequiredOptions,
} from "oidc-rp-wasm/react";

const config: OidcClientConfig = {
  issuer: "https://id.example.com",
  clientId: "spa",
  redirectUri: "https://app.example.com/",
  storage: "local",
};

// ---- the provider: config or client, not both, not neither ----

function navigate(to: string): void {
  history.replaceState(null, "", to);
}

export const withConfig = (
  <StrictMode>
    <OidcProvider
      config={config}
      onSigninCallback={(session: Session) => navigate(typeof session.appState === "string" ? session.appState : "/")}
    >
      <Profile />
    </OidcProvider>
  </StrictMode>
);

const made: Promise<OidcClient> = OidcClient.create(config);
export const withPromise = (
  <OidcProvider client={made} skipSigninCallback>
    <Profile />
  </OidcProvider>
);
export async function withClient(): Promise<ReactNode> {
  const client = await made;
  return <OidcProvider client={client}>{null}</OidcProvider>;
}

// @ts-expect-error: config or client, not both
export const both = <OidcProvider config={config} client={made} />;
// @ts-expect-error: one of them is required
export const neither = <OidcProvider />;
// @ts-expect-error: a configuration with a typo
export const typo = <OidcProvider config={{ ...config, redirectURI: "x" }} />;
// @ts-expect-error: onSigninCallback receives a Session
export const wrongCallback = <OidcProvider config={config} onSigninCallback={(s: string) => s} />;

const props: OidcProviderProps = { config, children: <p /> };
export const spread = <OidcProvider {...props} />;

// ---- useOidc ----

function Profile() {
  const oidc: OidcState = useOidc();
  const { isLoading, error, signedOutReason, client, signinRedirect, signinPopup, signinSilent, signoutRedirect, getAccessToken } = oidc;
  const [token, setToken] = useState<string | null>(null);
  useEffect(() => {
    // Safe before the provider's own effect: it waits for the client and the callback.
    void getAccessToken().then(setToken, (e: OidcError) => console.warn(e.code));
  }, [getAccessToken]);

  const reason: SignedOutReason | null = signedOutReason;
  const code: string | undefined = error?.code;
  const maybeClient: OidcClient | null = client;
  // @ts-expect-error: the session may be null
  const subject: string | undefined = oidc.session.subject;

  if (isLoading) return <p>Loading…</p>;
  if (!oidc.isAuthenticated) {
    // Signed out, or a session whose access token expired unrenewed.
    const none: Session | null = oidc.session;
    return (
      <p>
        {none?.subject}
        {reason}
        {code}
        {String(maybeClient)}
        {subject}
        <button onClick={() => void signinRedirect({ loginHint: "ana@example.com", appState: { from: "/" } })}>Sign in</button>
        <button onClick={() => signinPopup({}, { window: window.open("", "signin") ?? undefined }).then((s: Session) => s.subject)}>
          Popup
        </button>
      </p>
    );
  }
  // Narrowed by isAuthenticated.
  const session: Session = oidc.session;
  const expiresAt: number | undefined = session.expiresAt;
  return (
    <section>
      <h1>{String(session.claims?.["name"])}</h1>
      <time>{expiresAt}</time>
      <p>{token}</p>
      <button onClick={() => void signinSilent().then((s) => s.accessToken)}>Refresh</button>
      <button onClick={() => void signoutRedirect({ postLogoutRedirectUri: "https://app.example.com/" })}>Sign out</button>
      {/* @ts-expect-error: getAccessToken takes no options */}
      <button onClick={() => void getAccessToken({ force: true })}>Token</button>
      {/* @ts-expect-error: an unknown sign-in option */}
      <button onClick={() => void signinRedirect({ loginhint: "x" })}>Typo</button>
    </section>
  );
}

// ---- RequireAuth and withAuthenticationRequired ----

const requireProps: RequireAuthProps = { fallback: <p>Signing in…</p>, signinOptions: { prompt: "login" } };
export const guarded = (
  <RequireAuth {...requireProps}>
    <Profile />
  </RequireAuth>
);
export const plain = (
  <RequireAuth fallback="Signing in…">
    <p>secret</p>
  </RequireAuth>
);
// @ts-expect-error: signinOptions are AuthorizeOptions
export const wrongOptions = <RequireAuth signinOptions={{ prompt: "never" }} />;

function Account({ id }: { id: string }) {
  return <p>{id}</p>;
}
const options: WithAuthenticationRequiredOptions = { fallback: null };
const GuardedAccount = withAuthenticationRequired(Account, options);
export const account = <GuardedAccount id="42" />;
// @ts-expect-error: the wrapped component's props are kept
export const missingProp = <GuardedAccount />;

// Destructured, `session` is narrowed by `isAuthenticated` too.
export function Destructured() {
  const { isAuthenticated, session } = useOidc();
  return isAuthenticated ? <p>{session.subject}</p> : null;
}
