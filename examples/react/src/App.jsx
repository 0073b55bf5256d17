// The app: who is signed in and their claims, the access token's expiry, buttons to refresh and
// sign out, and a route behind <RequireAuth>. Everything comes from useOidc(), which re-renders on
// the client's events (a refresh, a sign-out in another tab, ...).

import { useEffect, useRef, useState } from "react";
import { RequireAuth, useOidc } from "oidc-rp-wasm/react";

import { navigate, usePath } from "./router.js";

export function App() {
  const path = usePath();
  useSignoutReturn();
  return (
    <>
      <header>
        <nav>
          <Link to="/">Home</Link> · <Link to="/protected?tab=claims#top">Protected page</Link>
        </nav>
        <Status />
      </header>
      <main>
        {path === "/protected" ? (
          <RequireAuth fallback={<NotSignedIn />}>
            <Protected />
          </RequireAuth>
        ) : (
          <Home />
        )}
      </main>
    </>
  );
}

function Link({ to, children }) {
  const go = (event) => {
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={go}>
      {children}
    </a>
  );
}

function Status() {
  const { isLoading, isAuthenticated, session, signedOutReason, error } = useOidc();
  const status = isLoading ? "loading" : isAuthenticated ? "signed-in" : "signed-out";
  return (
    <p>
      <strong data-testid="status">{status}</strong>
      {isAuthenticated && <> as <span data-testid="subject">{session.subject}</span></>}
      {signedOutReason && (
        <>
          {" "}
          (signed out: <span data-testid="signed-out-reason">{signedOutReason}</span>)
        </>
      )}
      {error && (
        <>
          {" "}
          — error <code data-testid="error">{error.code ?? error.name}</code>: {error.message}
        </>
      )}
    </p>
  );
}

function Home() {
  const { isLoading, isAuthenticated, signinRedirect } = useOidc();
  if (isLoading) return null;
  if (!isAuthenticated) {
    return (
      <button data-testid="signin" onClick={() => signinRedirect({ appState: "/" })}>
        Sign in
      </button>
    );
  }
  return <Profile />;
}

function Profile() {
  const { session, signinSilent, signoutRedirect, getAccessToken } = useOidc();
  const [token, setToken] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = (work) => () => {
    setBusy(true);
    work().finally(() => setBusy(false));
  };
  return (
    <section>
      <h1>Hello, {String(session.claims?.name ?? session.subject)}</h1>
      <p>
        Access token expires at{" "}
        <time data-testid="expires-at" data-value={session.expiresAt} dateTime={new Date(session.expiresAt * 1000).toISOString()}>
          {new Date(session.expiresAt * 1000).toLocaleTimeString()}
        </time>
        {session.hasRefreshToken ? " (with a refresh token)" : ""}
      </p>
      <p>
        {/* With a refresh token, signinSilent() refreshes; the `refreshed` event re-renders this. */}
        <button data-testid="refresh" disabled={busy} onClick={run(() => signinSilent().catch(() => {}))}>
          Refresh
        </button>{" "}
        <button
          data-testid="token"
          disabled={busy}
          onClick={run(() => getAccessToken().then((t) => setToken(t), () => setToken(null)))}
        >
          Get the access token
        </button>{" "}
        <button data-testid="signout" onClick={() => signoutRedirect()}>
          Sign out
        </button>
      </p>
      {token && <p data-testid="token-value">Access token: {token.slice(0, 12)}… ({token.length} characters)</p>}
      <h2>Claims of the ID token</h2>
      <pre data-testid="claims">{JSON.stringify(session.claims, null, 2)}</pre>
    </section>
  );
}

/**
 * <RequireAuth>'s fallback: it is redirecting to the OP, except after a sign-out (it never undoes
 * one) or an error (the status line shows it; `abandoned` when the user came back from the OP
 * with Back), where the user chooses to sign in again.
 */
function NotSignedIn() {
  const { signedOutReason, error, signinRedirect } = useOidc();
  if (signedOutReason === null && error === null) return <p data-testid="redirecting">Signing you in…</p>;
  return (
    <button data-testid="signin-again" onClick={() => signinRedirect({ appState: location.pathname + location.search + location.hash })}>
      Sign in again
    </button>
  );
}

function Protected() {
  const { session, signoutRedirect } = useOidc();
  return (
    <section data-testid="protected">
      <h1>Protected page</h1>
      <p>
        Only signed-in users see this: <span data-testid="protected-subject">{session.subject}</span>, at{" "}
        <code data-testid="location">{location.pathname + location.search + location.hash}</code>.
      </p>
      <button data-testid="protected-signout" onClick={() => signoutRedirect()}>
        Sign out
      </button>
    </section>
  );
}

/**
 * Back from the OP's logout (`?state=...` on the post-logout redirect URI, no code): the SDK
 * checks the state, then the address bar is cleaned. Once, whatever StrictMode repeats.
 */
function useSignoutReturn() {
  const { client } = useOidc();
  const done = useRef(false);
  useEffect(() => {
    const query = new URLSearchParams(location.search);
    if (!client || done.current || !query.has("state") || query.has("code") || query.has("error")) return;
    done.current = true;
    client.handleSignoutCallback().then(
      () => navigate("/", { replace: true }),
      () => {},
    );
  }, [client]);
}
