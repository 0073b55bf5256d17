// For reference only: our package's JS entry through the same esbuild --minify as the peers
// (the wasm is counted as shipped). Not loaded by any page.
export { OidcClient } from '../../pkg/index.js';
