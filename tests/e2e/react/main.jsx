// The binding's harness for ../react.test.mjs: what the example cannot show from outside. The
// provider, in <StrictMode>, gets a configuration or a client the page made (wrapped to count the
// calls the binding makes on it); a probe records every state it renders and asks for an access
// token in its mount effect, which runs before the provider's own. window.harness lets the test
// unmount the tree, change the configuration and read what happened. The mode comes from
// sessionStorage (it survives the trip to the OP): "config" (default), "client", "disposed",
// "require" (the probe behind <RequireAuth>, the sign-in's appState recorded), "require-skip"
// (the same with skipSigninCallback: the page handles the callback itself) or "late" (a client
// the app made with an idle timeout, rendered behind <RequireAuth> only once it has no session:
// the provider subscribes after any sign-out the client announced).
//
// Built by the test with the example's Vite and React (node_modules links to
// examples/react/node_modules); JSX by Vite's default transform, without @vitejs/plugin-react.

import { StrictMode, useEffect } from "react";
import { createRoot, hydrateRoot } from "react-dom/client";
import { renderToString } from "react-dom/server";
import { OidcClient } from "oidc-rp-wasm";
import { OidcProvider, RequireAuth, useOidc } from "oidc-rp-wasm/react";

const mode = sessionStorage.getItem("harness-mode") ?? "config";
const config = (scope = "openid profile offline_access") => ({
  issuer: window.E2E_ISSUER,
  clientId: "spa",
  redirectUri: `${location.origin}/`,
  scope,
  storage: "session",
});

const calls = {};
/** The client, with every method call counted (bound to the real client: its fields are private). */
function counted(client) {
  return new Proxy(client, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      return (...args) => {
        calls[key] = (calls[key] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
}

const outcome = (promise) =>
  promise.then(
    (value) => ({ ok: typeof value === "string" ? `${value.length} characters` : value }),
    (e) => ({ code: e.code ?? e.name }),
  );

const record = { renders: [], early: [], clients: [], calls };
window.record = record;

function Probe() {
  const oidc = useOidc();
  const { isLoading, isAuthenticated, error, client, getAccessToken } = oidc;
  record.renders.push({ isLoading, isAuthenticated, error: error?.code ?? null });
  window.oidc = oidc;
  if (client && !record.clients.includes(client)) record.clients.push(client);
  useEffect(() => {
    // Runs before the provider's effect made the client: must wait for it and for the callback.
    outcome(getAccessToken()).then((r) => record.early.push(r));
  }, [getAccessToken]);
  return <p id="state">{isLoading ? "loading" : isAuthenticated ? "signed-in" : "signed-out"}</p>;
}

/**
 * With "harness-navigate-early": what a router's redirect does on the callback page (React
 * Router's <Navigate>, say), in a child's mount effect, before the provider's own effect ran.
 */
function EarlyNavigator() {
  useEffect(() => {
    if (sessionStorage.getItem("harness-navigate-early") && new URLSearchParams(location.search).has("code")) {
      history.replaceState(null, "", "/elsewhere");
    }
  }, []);
  return null;
}

/** With skipSigninCallback: the app's own handling of the response in the URL. */
function OwnCallback() {
  const { client } = useOidc();
  useEffect(() => {
    if (!client || !new URLSearchParams(location.search).has("code") || record.ownCallback) return;
    record.ownCallback = "started";
    client.handleRedirectCallback().then(
      () => (record.ownCallback = "done"),
      (e) => (record.ownCallback = e.code),
    );
  }, [client]);
  return null;
}

/** Resolves once `client` has no session (polled each task: the app's own pace). */
async function withoutSession(client) {
  while (client.session !== null) await new Promise((resolve) => setTimeout(resolve, 10));
  return client;
}

// "disposed": a client the app already disposed of (an app's own effect cleanup, say).
// "client" with `?wait=expired` in the URL: the app hands its client to the provider only once
// the client announced `expired` (a session restored expired: the provider subscribes too late to
// hear it).
const expiredFirst = (client) =>
  new URLSearchParams(location.search).get("wait") === "expired"
    ? new Promise((resolve) => {
        const off = client.on("expired", () => {
          off();
          resolve(client);
        });
      })
    : client;

const given =
  mode === "client"
    ? OidcClient.create(config()).then(expiredFirst).then(counted)
    : mode === "disposed"
      ? OidcClient.create(config()).then((client) => (client.dispose(), client))
      : mode === "late"
        ? OidcClient.create({ ...config(), idleTimeoutSeconds: 600 }).then(withoutSession).then(counted)
        : null;
const tree = (scope) => (
    <StrictMode>
      {given && mode === "late" ? (
        <OidcProvider client={given}>
          <RequireAuth fallback={<p id="state">signed-out</p>}>
            <Probe />
          </RequireAuth>
        </OidcProvider>
      ) : given ? (
        <OidcProvider client={given}>
          <Probe />
        </OidcProvider>
      ) : mode === "require-skip" ? (
        <OidcProvider config={config(scope)} skipSigninCallback>
          <OwnCallback />
          <RequireAuth>
            <Probe />
          </RequireAuth>
        </OidcProvider>
      ) : mode === "require" ? (
        <OidcProvider
          config={config(scope)}
          onSigninCallback={(session) => {
            record.appState = session.appState;
            // With "harness-throw": an app callback that throws changes nothing in the binding.
            if (sessionStorage.getItem("harness-throw")) throw new Error("the app's own bug");
          }}
        >
          {/* A prop passed through as `undefined` keeps the default appState. */}
          <RequireAuth signinOptions={{ appState: undefined }}>
            <Probe />
          </RequireAuth>
        </OidcProvider>
      ) : (
        <OidcProvider config={config(scope)} onSigninCallback={() => (record.onSigninCallback = (record.onSigninCallback ?? 0) + 1)}>
          <EarlyNavigator />
          <Probe />
        </OidcProvider>
      )}
    </StrictMode>
);
// With "harness-hydrate": the markup a server rendered, hydrated (the provider's first render
// then reads no URL: it gets the server's snapshot).
const container = document.getElementById("root");
let root;
if (sessionStorage.getItem("harness-hydrate")) {
  container.innerHTML = renderToString(tree());
  root = hydrateRoot(container, tree());
} else {
  root = createRoot(container);
  root.render(tree());
}
const render = (scope) => root.render(tree(scope));

const tick = () => new Promise((resolve) => setTimeout(resolve, 50));

window.harness = {
  given,
  /** Renders the provider with another scope: another configuration, so another client. */
  async rescope(scope) {
    render(scope);
    await tick();
  },
  async unmount() {
    root.unmount();
    await tick();
  },
  /** What each client seen so far answers now: `on()` throws `disposed` once it was disposed of. */
  alive() {
    return record.clients.map((client) => {
      try {
        client.on("signedIn", () => {})();
        return true;
      } catch (e) {
        return e.code;
      }
    });
  },
};
