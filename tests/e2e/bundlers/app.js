// The app every bundler builds: what a new user writes after reading the README. It makes a
// client, sends the user to the OP, and completes the sign-in when the OP sends them back. The
// OP's issuer comes from the test (window.E2E_ISSUER); the page reports in window.result.

import { OidcClient, isOidcError } from "oidc-rp-wasm";

export async function main() {
  const result = {};
  try {
    const client = await OidcClient.create({
      issuer: window.E2E_ISSUER,
      clientId: "spa",
      redirectUri: location.origin + "/",
      postLogoutRedirectUri: location.origin + "/",
      scope: "openid profile",
    });
    window.client = client;
    if (new URLSearchParams(location.search).has("code")) {
      const session = await client.handleRedirectCallback();
      result.subject = session.subject;
    } else {
      result.authorizeUrl = await client.authorizeUrl();
    }
  } catch (e) {
    result.error = { code: e.code, reason: e.reason, message: e.message, isOidcError: isOidcError(e) };
  }
  window.result = result;
}
