// For reference only: oidc-client-ts's lower-level OidcClient alone (no user store, no popup or
// iframe navigators, no silent renew).
export { OidcClient } from 'oidc-client-ts';
