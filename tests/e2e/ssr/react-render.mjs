// Server-side rendering with oidc-rp-wasm/react (run by ../react-ssr.test.mjs inside a project
// where the `npm pack` tarball, react and react-dom are installed): renderToString of a tree with
// <OidcProvider>, useOidc(), <RequireAuth> and withAuthenticationRequired, in plain Node, where
// every browser global the binding could reach for is a trap that records who touched it while
// rendering.
// Prints what it saw as JSON.

const touches = [];
const TRAPPED = ['window', 'document', 'location', 'history', 'localStorage', 'sessionStorage', 'indexedDB', 'navigator', 'self'];
for (const name of TRAPPED) {
  const own = Object.getOwnPropertyDescriptor(globalThis, name);
  if (own && !own.configurable) continue;
  const value = own && ('value' in own ? own.value : undefined);
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      touches.push({ name, stack: new Error().stack.split('\n').slice(2, 6).join('\n') });
      return value;
    },
  });
}
let fetches = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = (...args) => {
  fetches += 1;
  return realFetch(...args);
};

const binding = await import('oidc-rp-wasm/react');
const { OidcProvider, useOidc, RequireAuth, withAuthenticationRequired } = binding;
const { createElement: h } = await import('react');
const { renderToString } = await import('react-dom/server');

const config = { issuer: 'https://id.example.com', clientId: 'spa', redirectUri: 'https://app.example.com/' };
const seen = [];
let captured;

function Status() {
  const oidc = useOidc();
  seen.push({ isLoading: oidc.isLoading, isAuthenticated: oidc.isAuthenticated, session: oidc.session, client: oidc.client, error: oidc.error });
  captured ??= oidc;
  return h('p', { id: 'status' }, oidc.isLoading ? 'loading' : oidc.isAuthenticated ? 'signed-in' : 'signed-out');
}
const Account = withAuthenticationRequired(() => h('p', null, 'account-page'), { fallback: h('p', { id: 'hoc-fallback' }, 'checking the session') });

const tree = (props) =>
  h(
    OidcProvider,
    props,
    h(Status),
    h(RequireAuth, { fallback: h('p', { id: 'fallback' }, 'signing in') }, h('p', null, 'protected-page')),
    h(Account),
  );

const withConfig = renderToString(tree({ config, onSigninCallback: () => seen.push('onSigninCallback') }));
// An app that makes its own client: a promise that never settles on a server.
const withClient = renderToString(tree({ client: new Promise(() => {}) }));
let outside;
try {
  renderToString(h(Status));
} catch (e) {
  outside = e.message;
}
const rendering = touches.splice(0);

// A method of useOidc() called on a server (in an event handler that never runs there, say): it
// has no client to wait for, and says so (it may look for `window` to know where it is).
const early = await captured.getAccessToken().then(
  () => ({ ok: true }),
  (e) => ({ name: e.name, code: e.code }),
);

console.log(
  JSON.stringify({
    exports: Object.keys(binding).sort(),
    withConfig,
    withClient,
    outside,
    seen,
    early,
    fetches,
    touches: rendering,
    touchesAfter: touches,
  }),
);
