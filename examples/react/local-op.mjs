// `npm run op`: a local OpenID Provider for trying the example without one of your own: the
// node-oidc-provider of the repository's end-to-end tests (tests/e2e/lib/op.mjs; install it with
// `npm ci` in tests/e2e, or `make setup`), on http://127.0.0.1:9000, with the public client "spa"
// registered for the Vite dev server (http://localhost:5173/) and `vite preview`
// (http://localhost:4173/). Its login page takes any login and any password. Ctrl-C stops it.
//
// Environment: OP_PORT (default 9000).

import { startOp } from '../../tests/e2e/lib/op.mjs';

const port = Number(process.env.OP_PORT ?? 9000);
const apps = ['http://localhost:5173/', 'http://127.0.0.1:5173/', 'http://localhost:4173/', 'http://127.0.0.1:4173/'];
const op = await startOp({ port, clients: [{ client_id: 'spa', redirect_uris: apps, post_logout_redirect_uris: apps }] });

console.log(`OP listening: issuer ${op.issuer}, client "spa" (any login, any password)
Now, in another terminal in examples/react:
  VITE_OIDC_ISSUER=${op.issuer} npm run dev`);

process.on('SIGINT', () => op.close().then(() => process.exit(0)));
