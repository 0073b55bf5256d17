// What an SPA imports from oidc-client-ts: the UserManager (redirect, popup and silent sign-in,
// refresh, user store), the counterpart of our OidcClient. The bench pages use this bundle.
export { UserManager } from 'oidc-client-ts';
