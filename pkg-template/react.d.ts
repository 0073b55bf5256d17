/**
 * oidc-rp-wasm/react: the React binding of oidc-rp-wasm (React 18 or later).
 *
 * ```tsx
 * import { OidcProvider, useOidc, RequireAuth } from "oidc-rp-wasm/react";
 *
 * createRoot(root).render(
 *   <StrictMode>
 *     <OidcProvider config={config} onSigninCallback={(s) => navigate(String(s.appState ?? "/"))}>
 *       <App />
 *     </OidcProvider>
 *   </StrictMode>,
 * );
 *
 * function Profile() {
 *   const { session, isLoading, signinRedirect } = useOidc();
 *   if (isLoading) return <p>Loading…</p>;
 *   if (!session) return <button onClick={() => signinRedirect()}>Sign in</button>;
 *   return <p>Hello {String(session.claims?.name)}</p>;
 * }
 * ```
 *
 * A separate entry of the package: `import { OidcClient } from "oidc-rp-wasm"` does not load it.
 *
 * @packageDocumentation
 */

import type { ComponentType, FunctionComponent, ReactElement, ReactNode } from "react";
import type {
  AuthorizeOptions,
  LogoutOptions,
  OidcClient,
  OidcClientConfig,
  OidcError,
  PopupOptions,
  PopupSigninOptions,
  Session,
  SignedOutReason,
} from "./index.js";

/** What {@link OidcProvider} takes besides the client: the callback handling and the children. */
export interface OidcProviderBaseProps {
  /**
   * Called once after the provider completed a sign-in from the redirect callback in the URL, with
   * the new session: navigate to `session.appState` here (the route a sign-in started from, which
   * {@link RequireAuth} sets). The SDK has already removed the response from the address bar.
   */
  onSigninCallback?: ((session: Session) => void) | undefined;
  /**
   * Leave a redirect callback in the URL to the app (it calls `handleRedirectCallback()` itself).
   * Default `false`: the provider handles a response it finds in the URL (query, fragment or the
   * form_post service worker's `?oidc_form_post=`) on the page of `config.redirectUri` (with
   * `client`, on any page). It reads the URL as it was when the provider first rendered, so a
   * child that moves the address bar in its mount effect (a router's redirect) loses nothing.
   * With it, {@link RequireAuth} starts no sign-in on a page that loaded with a response for
   * `config.redirectUri`, until the app's `handleRedirectCallback()` signs the user in (or a
   * session ends): the SDK cleans the URL as it starts, before the session comes.
   */
  skipSigninCallback?: boolean | undefined;
  children?: ReactNode;
}

/**
 * The props of {@link OidcProvider}: a configuration, from which the provider makes the client
 * (once per mount, disposed on unmount), or a client the app made (or the promise of one,
 * made once, outside any render), which the provider uses but does not dispose.
 */
export type OidcProviderProps = OidcProviderBaseProps &
  (
    | {
        /**
         * The client's configuration, compared by value (its JSON): an object literal in the JSX is
         * the same configuration on every render; a different one makes a new client.
         */
        config: OidcClientConfig;
        client?: undefined;
      }
    | {
        /**
         * A client the app made, or the promise `OidcClient.create()` returned. Make it once (at
         * module level, say): a new one on every render would be a new client on every render.
         */
        client: OidcClient | PromiseLike<OidcClient>;
        config?: undefined;
      }
  );

/**
 * Provides an {@link OidcClient} to the components below it. In the browser it makes the client
 * (never while rendering, never on a server, once even under StrictMode's double mount), handles a
 * redirect callback in the URL once, calls `onSigninCallback`, keeps the session {@link useOidc}
 * returns up to date from the client's events, and disposes the client when it unmounts. On a
 * server it renders its children in the loading state.
 */
export declare function OidcProvider(props: OidcProviderProps): ReactElement | null;

/** The client's methods as {@link useOidc} returns them: stable, and safe to call at any time. */
export interface OidcMethods {
  /**
   * {@link OidcClient.signinRedirect}. Called before the client exists (a child's effect, which
   * runs before the provider's), it waits for the client and for the callback to be handled.
   */
  signinRedirect(options?: AuthorizeOptions): Promise<void>;
  /**
   * {@link OidcClient.signinPopup}: call it in the click handler itself. Once the client exists the
   * popup opens before this returns; while it is still loading the call waits for it, and a
   * browser may then block the popup (pass `popup.window`, opened in the click, to be safe).
   */
  signinPopup(options?: PopupSigninOptions, popup?: PopupOptions): Promise<Session>;
  /** {@link OidcClient.signinSilent}: the refresh token when one is held, else a hidden iframe. */
  signinSilent(options?: AuthorizeOptions): Promise<Session>;
  /** {@link OidcClient.signoutRedirect}: ends the session in every tab and leaves for the OP. */
  signoutRedirect(options?: LogoutOptions): Promise<void>;
  /**
   * {@link OidcClient.getAccessToken}, refreshed when needed. Never reads a token before the session
   * is restored: an early call waits for the client and for the redirect callback to be handled.
   */
  getAccessToken(): Promise<string>;
}

/** What the components below the provider render from. */
export interface OidcStateBase {
  /**
   * `true` until the client exists and, on a redirect callback, until the callback is handled:
   * then `false`, once (no signed-out flash on the callback page). Always `true` on a server.
   */
  readonly isLoading: boolean;
  /**
   * The last failure: `create()` (a bad configuration, the OP unreachable), the redirect callback
   * (`access_denied`, `state_mismatch`, ...), a failed refresh (`refreshFailed`, the session is kept),
   * or the sign-in {@link RequireAuth} started. `null` again after the next sign-in or refresh.
   */
  readonly error: OidcError | null;
  /** Why the session last ended (`signedOut`): `"signout"`, `"other_tab"`, `"idle"` or `"refresh_failed"`; `null` until it does. */
  readonly signedOutReason: SignedOutReason | null;
  /** The client, once made (`null` on a server and before that). */
  readonly client: OidcClient | null;
}

/** The session and the methods, as {@link useOidc} returns them. */
export type OidcState = OidcStateBase &
  OidcMethods &
  (
    | {
        /** The current session (a snapshot, renewed on every event). */
        readonly session: Session;
        /**
         * Whether there is a session whose access token has not expired unrenewed: `false` from
         * the client's `expired` event until the next sign-in or refresh.
         */
        readonly isAuthenticated: true;
      }
    | { readonly session: Session | null; readonly isAuthenticated: false }
  );

/**
 * The session, its state and the client's methods. Re-renders the component on the client's
 * events (`signedIn`, `refreshed`, `refreshFailed`, `expired`, `signedOut` with its reason), read
 * through `useSyncExternalStore`: a concurrent render never sees two sessions.
 *
 * @throws {Error} outside an {@link OidcProvider}.
 */
export declare function useOidc(): OidcState;

/** The props of {@link RequireAuth}. */
export interface RequireAuthProps {
  /** What to render while there is no session: loading, redirecting, or after an error. Default nothing. */
  fallback?: ReactNode;
  /**
   * Options of the sign-in it starts; `appState` defaults to the current location (path, query
   * and fragment), for `onSigninCallback` to go back to.
   */
  signinOptions?: AuthorizeOptions | undefined;
  children?: ReactNode;
}

/**
 * Renders its children when there is a session, else `fallback`. When the provider has finished
 * loading and there is no session (and no error), it starts one sign-in by redirect, with the
 * current location as `appState`: once per client, however many `<RequireAuth>` are mounted and
 * whatever StrictMode repeats. After an error (a refused sign-in, say) it starts none: render
 * `useOidc().error` in the fallback. Nor after a sign-out in this page's life (`signedOutReason`
 * set: this tab's `signoutRedirect()`, another tab's sign-out, the idle timeout): a sign-in then
 * would cancel the logout's navigation or sign the user straight back in at the OP. Render a
 * sign-in button in the fallback for that case. A session that ended because the OP refused its
 * refresh token (`refresh_failed`, in this tab) is not a sign-out: it starts a sign-in again.
 * Nor when the user comes back from the OP with Back, whether the browser restores the page from
 * its back/forward cache or loads it again: `error` is then `abandoned`, and a sign-in started on
 * its own would send Back to the OP again (once: the next one goes).
 */
export declare function RequireAuth(props: RequireAuthProps): ReactElement | null;

/** The options of {@link withAuthenticationRequired}: those of {@link RequireAuth}. */
export type WithAuthenticationRequiredOptions = Omit<RequireAuthProps, "children">;

/** `Component` behind a {@link RequireAuth}. */
export declare function withAuthenticationRequired<P extends object>(
  Component: ComponentType<P>,
  options?: WithAuthenticationRequiredOptions,
): FunctionComponent<P>;
