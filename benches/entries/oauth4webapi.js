// The oauth4webapi functions an SPA's code flow with PKCE, refresh and ID token signature check
// needs (exactly what site/lanes.js calls); the bench pages use this bundle.
export {
  allowInsecureRequests,
  discoveryRequest,
  processDiscoveryResponse,
  generateRandomCodeVerifier,
  generateRandomState,
  generateRandomNonce,
  calculatePKCECodeChallenge,
  validateAuthResponse,
  None,
  authorizationCodeGrantRequest,
  processAuthorizationCodeResponse,
  refreshTokenGrantRequest,
  processRefreshTokenResponse,
  getValidatedIdTokenClaims,
  validateApplicationLevelSignature,
} from 'oauth4webapi';
