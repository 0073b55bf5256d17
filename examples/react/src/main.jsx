// The whole setup: the configuration, <OidcProvider> inside <StrictMode>, and where to go after
// the sign-in (the route <RequireAuth> started it from, which the SDK kept as appState).

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { OidcProvider } from "oidc-rp-wasm/react";

import { App } from "./App.jsx";
import { navigate } from "./router.js";

const issuer = import.meta.env.VITE_OIDC_ISSUER;

/** @type {import("oidc-rp-wasm").OidcClientConfig} */
const config = {
  issuer,
  clientId: import.meta.env.VITE_OIDC_CLIENT_ID || "spa",
  redirectUri: `${location.origin}/`,
  postLogoutRedirectUri: `${location.origin}/`,
  scope: import.meta.env.VITE_OIDC_SCOPE || "openid profile email offline_access",
  // Shared by the tabs of this origin (a sign-out in one ends the others), and kept across reloads.
  storage: "local",
  // "form_post" (or unset: query). form_post needs the package's service worker in public/.
  responseMode: import.meta.env.VITE_OIDC_RESPONSE_MODE || undefined,
};

if (config.responseMode === "form_post") {
  // public/form-post-sw.js, copied from node_modules/oidc-rp-wasm (see README.md): Vite serves
  // public/ at the site's root. It must be active before the OP posts the response.
  await navigator.serviceWorker.register("/form-post-sw.js");
  await navigator.serviceWorker.ready;
}

/**
 * Back to where the sign-in started: a place on this site, or the home page. The origin is
 * checked, not a leading "/": `//evil.example/` starts with one and is another site.
 */
function onSigninCallback(session) {
  const back = new URL(typeof session.appState === "string" ? session.appState : "/", location.origin);
  navigate(back.origin === location.origin ? back.pathname + back.search + back.hash : "/", { replace: true });
}

createRoot(document.getElementById("root")).render(
  <StrictMode>
    {issuer ? (
      <OidcProvider config={config} onSigninCallback={onSigninCallback}>
        <App />
      </OidcProvider>
    ) : (
      <p>
        Set <code>VITE_OIDC_ISSUER</code> to your OpenID Provider's issuer (see README.md).
      </p>
    )}
  </StrictMode>,
);
