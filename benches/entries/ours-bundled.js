// Our package's JS entry (the pump) through the same esbuild --minify as the peers, as an app's
// bundler would ship it: `{ OidcClient }`, and `init` for an app that says where the wasm is
// (`init({ module_or_path })`). The package name resolves to the package the run measures
// (lib/sizes.mjs: esbuild `alias`), whose wasm files are copied next to the bundle, where the
// bundle finds them by `import.meta.url`; the `ours-bundled` lane of the throttled cold start loads it.
export { OidcClient, init } from 'oidc-rp-wasm';
