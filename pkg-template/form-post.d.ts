/**
 * oidc-rp-wasm/form-post: registers the form_post service worker (`form-post-sw.js`, shipped in
 * the package: copy it to your site's root) for the client's redirect URIs, so that it takes the
 * form POSTs to their paths and nothing else.
 *
 * ```ts
 * import { registerFormPostWorker } from "oidc-rp-wasm/form-post";
 *
 * await registerFormPostWorker(config); // before the first form_post sign-in
 * const client = await OidcClient.create(config);
 * ```
 *
 * A separate entry of the package: `import { OidcClient } from "oidc-rp-wasm"` does not load it.
 *
 * @packageDocumentation
 */

import type { OidcClientConfig, OidcError } from "./index.js";

/** What the worker needs of the client's configuration: the redirect URIs. */
export type FormPostWorkerConfig = Pick<OidcClientConfig, "redirectUri" | "silentRedirectUri">;

/**
 * The URL to register `form-post-sw.js` with: `script` (default `"/form-post-sw.js"`) with
 * `?paths=` naming the paths of `redirectUri` and `silentRedirectUri` that are on this page's
 * origin. For a page under Trusted Types, pass it through your policy and register it yourself.
 *
 * @throws {OidcError} `invalid_config` (field `redirectUri`) when no redirect URI is on this
 *   page's origin.
 */
export function formPostWorkerUrl(config: FormPostWorkerConfig, script?: string): string;

/**
 * Registers `form-post-sw.js` for the configuration's redirect URIs (see
 * {@link formPostWorkerUrl}) and resolves with its registration once it is active
 * (`navigator.serviceWorker.ready`): a form_post sign-in may start then. Popup and silent
 * sign-ins also need the page to be controlled by the worker, which it is once the worker has
 * claimed it (`navigator.serviceWorker.controller`).
 *
 * @throws {OidcError} `invalid_config` as {@link formPostWorkerUrl}; `unsupported` where there
 *   are no service workers (not a secure context); what `register` throws otherwise.
 */
export function registerFormPostWorker(
  config: FormPostWorkerConfig,
  script?: string,
): Promise<ServiceWorkerRegistration>;
