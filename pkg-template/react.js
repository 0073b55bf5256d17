// @ts-check
// oidc-rp-wasm/react: the React binding (React 18 or later). A separate entry of the package, so
// `import { OidcClient } from "oidc-rp-wasm"` carries none of it; index.js never imports this file.
//
// <OidcProvider> keeps one client per configuration and a small store of what the app renders
// (session, isLoading, error, signedOutReason), updated from the client's events; useOidc() reads
// it with useSyncExternalStore, so a concurrent render never sees two different sessions. The
// client is made in an effect (never while rendering, never on a server), once even under
// StrictMode's mount, unmount and mount again: its entry outlives an unmount for one task, and a
// mount in between takes it back. The redirect callback in the URL is handled once per entry.
// Types and documentation: react.d.ts.

import { createContext, createElement, useContext, useEffect, useInsertionEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { OidcClient, _oidcError as oidcError } from './index.js';

/**
 * @typedef {import('./index.js').OidcClientConfig} OidcClientConfig
 * @typedef {import('./index.js').Session} Session
 * @typedef {import('./index.js').AuthorizeOptions} AuthorizeOptions
 * @typedef {{ client: OidcClient | null, session: Session | null, isLoading: boolean, error: Error | null,
 *   signedOutReason: string | null, expired: boolean }} State
 * @typedef {{ key: unknown, owned: boolean, users: number, timer: any, state: State, listeners: Set<() => void>,
 *   client: OidcClient | null, created: Promise<OidcClient>, ready: Promise<OidcClient>, callback: Promise<Session> | null,
 *   offs: (() => void)[], stopped: boolean, delivered: boolean, redirecting: boolean, set: (patch: Partial<State>) => void,
 *   failed: unknown, signedIn: Session | null, appCallback: boolean, deliverers: Set<(session: Session) => void>, start: () => void }} Entry
 */

/** What every render sees before the client exists: on the server, and on the first render in the browser. */
const LOADING = Object.freeze({ client: null, session: null, isLoading: true, error: null, signedOutReason: null, expired: false });

/**
 * The live entries: a configuration's JSON (or a client the app made) -> its entry. Two
 * providers with the same configuration share one client.
 * @type {Map<unknown, Entry>}
 */
const entries = new Map();

const inBrowser = () => typeof window !== 'undefined' && typeof document !== 'undefined';

/**
 * Whether `href` (the page's URL) holds an authorization response for `redirectUri` (any,
 * without one).
 * @param {string | undefined} redirectUri
 * @param {string} href
 */
function callbackInUrl(redirectUri, href) {
  const here = new URL(href);
  if (typeof redirectUri === 'string') {
    try {
      const target = new URL(redirectUri, here);
      if (target.origin !== here.origin || target.pathname !== here.pathname) return false;
    } catch {
      return false;
    }
  }
  // form_post, through the package's service worker: the body waits under this id.
  if (here.searchParams.has('oidc_form_post')) return true;
  /** @param {URLSearchParams} p */
  const response = (p) => p.has('state') && (p.has('code') || p.has('error'));
  return response(here.searchParams) || response(new URLSearchParams(here.hash.slice(1)));
}

/**
 * Makes the entry of a client: creates it (or takes the app's), subscribes to its events and
 * handles the redirect callback when the URL has one.
 * @param {unknown} key
 * @param {OidcClientConfig | undefined} config
 * @param {OidcClient | PromiseLike<OidcClient> | undefined} given
 * @param {boolean} skipCallback
 * @param {string} href the page's URL when the provider first rendered ('' when unknown)
 * @param {boolean} appHandles `skipSigninCallback`: the app handles a response in that URL
 * @returns {Entry}
 */
function makeEntry(key, config, given, skipCallback, href, appHandles) {
  const entry = /** @type {Entry} */ (/** @type {unknown} */ ({
    key,
    owned: given === undefined,
    users: 0,
    timer: null,
    state: LOADING,
    listeners: new Set(),
    client: null,
    offs: [],
    stopped: false,
    delivered: false,
    redirecting: false,
    failed: null,
    signedIn: null,
    deliverers: new Set(),
  }));
  /** @param {Partial<State>} patch */
  entry.set = (patch) => {
    if (entry.stopped) return;
    entry.state = { ...entry.state, ...patch };
    for (const listener of entry.listeners) listener();
  };
  // The URL of the provider's first render: the children's mount effects run before this one,
  // and a router's redirect there may already have moved the address bar on.
  href ||= window.location.href;
  const inUrl = callbackInUrl(config?.redirectUri, href);
  const callback = !skipCallback && inUrl;
  // The page loaded with a response the app handles itself (the SDK cleans the address bar as
  // it starts, before the session comes).
  entry.appCallback = appHandles && inUrl;
  entry.start = () => start(entry, config, given, callback, href);
  entry.start();
  return entry;
}

/**
 * Creates the entry's client (or takes the app's), subscribes to its events and handles the
 * callback; again after a failed create (the OP unreachable while the page loaded), when the
 * app next calls a method.
 * @param {Entry} entry
 * @param {OidcClientConfig | undefined} config
 * @param {OidcClient | PromiseLike<OidcClient> | undefined} given
 * @param {boolean} callback
 * @param {string} href
 */
function start(entry, config, given, callback, href) {
  const set = entry.set;
  entry.failed = null;
  entry.created = Promise.resolve(given === undefined ? OidcClient.create(/** @type {OidcClientConfig} */ (config)) : given).then(
    (client) => {
      entry.client = client;
      if (entry.stopped) return client;
      const now = () => client.session;
      entry.offs.push(
        client.on('signedIn', () => {
          // The response the page loaded with is handled (by the app): <RequireAuth> may sign in
          // again later (after `refresh_failed`, say).
          entry.appCallback = false;
          set({ session: now(), error: null, signedOutReason: null, expired: false });
        }),
        client.on('refreshed', () => set({ session: now(), error: null, expired: false })),
        client.on('refreshFailed', (error) => set({ session: now(), error })),
        // The machine announces it once per access token, for a session restored expired too.
        client.on('expired', () => set({ session: now(), expired: true })),
        client.on('signedOut', ({ reason }) => {
          // A callback the app handles and that failed leaves no session to wait for.
          entry.appCallback = false;
          set({ session: null, error: null, signedOutReason: reason, expired: false });
        }),
      );
      // On a callback the app stays loading until the callback is handled: no signed-out flash.
      // A client the app made may have announced a sign-out before this subscribed (a session
      // restored idle ends just after `create()`): its reason keeps <RequireAuth> from signing
      // the user back in.
      // The same for an `expired` it announced before (a session restored expired, with no
      // refresh token to renew it).
      set({
        client,
        session: now(),
        signedOutReason: client.signedOutReason ?? null,
        expired: /** @type {any} */ (client).expiredAnnounced === true,
        isLoading: callback,
      });
      return client;
    })
    // A failed create, or a client the app had disposed of (`on()` throws `disposed`).
    .catch((error) => {
      entry.failed = error;
      set({ isLoading: false, error });
      throw error;
    });
  entry.callback = callback
    ? entry.created.then((client) =>
        // Still at that URL: the SDK reads it and cleans the address bar; moved on: the response
        // is read from the URL it came in, and the address bar is the router's.
        client.handleRedirectCallback(window.location.href === href ? undefined : href).then(
          (session) => {
            set({ session, isLoading: false, error: null, signedOutReason: null, expired: false });
            entry.signedIn = session;
            deliver(entry);
            return session;
          },
          (error) => {
            set({ session: client.session, isLoading: false, error });
            throw error;
          },
        ),
      )
    : null;
  // The methods of useOidc() wait for this: the client, and the callback handled, whatever its outcome.
  entry.ready = entry.callback ? entry.callback.then(() => entry.created, () => entry.created) : entry.created;
  entry.ready.catch(() => {});
  entry.callback?.catch(() => {});
}

/**
 * Hands the session of the callback to one provider's `onSigninCallback`, once per entry: the
 * first provider mounted then, or the next one to mount.
 * @param {Entry} entry
 */
function deliver(entry) {
  const [first] = entry.deliverers;
  const session = entry.signedIn;
  if (!first || entry.delivered || !session) return;
  entry.delivered = true;
  // Outside the binding's promises: an exception of the app's callback is reported as the
  // page's own (uncaught), and changes nothing here.
  queueMicrotask(() => first(session));
}

/**
 * Takes the entry of `key`, making it when there is none: an entry released within the last
 * task (StrictMode's unmount and mount again, a re-keyed provider) is the same client.
 * @param {unknown} key
 * @param {OidcClientConfig | undefined} config
 * @param {OidcClient | PromiseLike<OidcClient> | undefined} given
 * @param {boolean} skipCallback
 * @param {string} href
 * @param {boolean} appHandles
 */
function acquire(key, config, given, skipCallback, href, appHandles) {
  let entry = entries.get(key);
  if (!entry) {
    entry = makeEntry(key, config, given, skipCallback, href, appHandles);
    entries.set(key, entry);
  }
  clearTimeout(entry.timer);
  entry.timer = null;
  entry.users += 1;
  return entry;
}

/** Lets go of `entry`; the last user's release stops it after the current task, unless taken back. */
function release(/** @type {Entry} */ entry) {
  entry.users -= 1;
  if (entry.users > 0) return;
  entry.timer = setTimeout(() => {
    if (entry.users > 0) return;
    entries.delete(entry.key);
    entry.stopped = true;
    for (const off of entry.offs) off();
    entry.offs = [];
    entry.listeners.clear();
    // A client the provider made is disposed of; one the app gave stays the app's.
    if (entry.owned) entry.created.then((client) => client.dispose(), () => {});
  }, 0);
}

/**
 * What a provider hands down: the entry it holds (none on the server and before its effect ran),
 * and the store useSyncExternalStore reads through it.
 */
class Link {
  constructor() {
    /** @type {Entry | null} */
    this.entry = null;
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    /** @type {((entry: Entry) => void)[]} */
    this.waiting = [];
    /** @param {() => void} listener */
    this.subscribe = (listener) => {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    };
    /** @returns {State} */
    this.getSnapshot = () => this.entry?.state ?? LOADING;
    this.notify = () => {
      for (const listener of this.listeners) listener();
    };
    this.methods = makeMethods(this);
  }

  /** @param {Entry} entry */
  attach(entry) {
    this.entry = entry;
    entry.listeners.add(this.notify);
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(entry);
    this.notify();
  }

  /**
   * Kept as `this.entry` until another is attached: StrictMode's second mount takes it back, and
   * after a real unmount the methods answer as its disposed client does instead of waiting.
   * @param {Entry} entry
   */
  detach(entry) {
    entry.listeners.delete(this.notify);
  }

  /** The client once it is made and the callback handled; rejects as create() did. */
  client() {
    if (this.entry) return this.entry.ready;
    // On a server, create() rejects at once with the SDK's own `unsupported` error (one that
    // isOidcError recognises), before it reads the configuration.
    if (!inBrowser()) return OidcClient.create(/** @type {any} */ (null));
    return new Promise((resolve) => this.waiting.push(resolve)).then((entry) => /** @type {Entry} */ (entry).ready);
  }
}

/** The methods of useOidc(): stable, and waiting for the client (and the callback) when called early. */
function makeMethods(/** @type {Link} */ link) {
  /**
   * After a failed create of the provider's own client (offline as the page loaded, say), a
   * call creates it again: the app's next sign-in works once the OP can be reached.
   * @param {(client: OidcClient) => any} call
   */
  const later = (call) =>
    link.client().then(call, (error) => {
      const entry = link.entry;
      if (!entry || !entry.owned || entry.stopped) throw error;
      if (entry.failed === error) {
        entry.set({ isLoading: true, error: null });
        entry.start();
      } else if (entry.failed !== null) {
        throw error;
      }
      // Made again now, or by a call just before this one.
      return entry.ready.then(call);
    });
  /** The client when it is ready now, so that a popup opens in the click's own task. */
  const now = () => {
    const entry = link.entry;
    return entry?.client && !entry.stopped && !entry.state.isLoading ? entry.client : null;
  };
  return {
    /** @param {AuthorizeOptions} [options] */
    signinRedirect: (options) => later((c) => c.signinRedirect(options)),
    /** @param {AuthorizeOptions} [options] @param {import('./index.js').PopupOptions} [popup] */
    signinPopup: (options, popup) => {
      const client = now();
      return client ? client.signinPopup(options, popup) : later((c) => c.signinPopup(options, popup));
    },
    /** @param {AuthorizeOptions} [options] */
    signinSilent: (options) => later((c) => c.signinSilent(options)),
    /** @param {import('./index.js').LogoutOptions} [options] */
    signoutRedirect: (options) => later((c) => c.signoutRedirect(options)),
    getAccessToken: () => later((c) => c.getAccessToken()),
  };
}

/** @type {import('react').Context<Link | null>} */
const Context = createContext(/** @type {Link | null} */ (null));

const NOOP = () => {};
/** The page's URL as an external store that never changes: the browser's, or '' on a server. */
const noSubscription = () => NOOP;
const pageUrl = () => window.location.href;
const noPageUrl = () => '';

/**
 * Provides the client to the tree below. Give `config` (the provider makes the client) or
 * `client` (one the app made, or the promise `OidcClient.create()` returned).
 * @param {{ config?: OidcClientConfig, client?: OidcClient | PromiseLike<OidcClient>, onSigninCallback?: (session: Session) => void,
 *   skipSigninCallback?: boolean, children?: import('react').ReactNode }} props
 */
export function OidcProvider(props) {
  const { config, client, skipSigninCallback = false, children } = props;
  if ((config === undefined) === (client === undefined)) {
    throw new TypeError('<OidcProvider> takes either `config` or `client`');
  }
  const [link] = useState(() => new Link());
  // Rendering comes before every effect, a child's included. Read as an external store: a server
  // render (and the hydration that matches it) reads no browser global and gets '', and the
  // entry then reads the URL in its effect.
  const [href] = useState(useSyncExternalStore(noSubscription, pageUrl, noPageUrl));
  // The URL whose callback the provider handles: its first render's, or after a hydration (which
  // renders '') the URL when the commit begins, which no child's effect has moved yet. An
  // insertion effect runs before every layout and passive effect of its commit, and never on a
  // server (where React 18 warns about a layout effect); it only reads the address here.
  // Only the provider's first client handles it: a later one (another configuration) would find
  // its transaction spent, state_mismatch.
  const callbackUrl = useRef(href);
  const handled = useRef(false);
  useInsertionEffect(() => {
    callbackUrl.current ||= window.location.href;
  }, []);
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });
  // The configuration by value: an object literal written in the JSX is the same configuration on
  // every render.
  const key = client ?? JSON.stringify(config);
  useEffect(() => {
    if (!inBrowser()) return NOOP;
    const entry = acquire(key, config, client, skipSigninCallback || handled.current, callbackUrl.current, skipSigninCallback);
    handled.current = true;
    link.attach(entry);
    /** @param {Session} session */
    const deliverer = (session) => latest.current.onSigninCallback?.(session);
    entry.deliverers.add(deliverer);
    // A callback handled while no provider was mounted (StrictMode's unmount) comes now.
    queueMicrotask(() => deliver(entry));
    return () => {
      entry.deliverers.delete(deliverer);
      link.detach(entry);
      release(entry);
    };
    // The key stands for config and client.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return createElement(Context.Provider, { value: link }, children);
}

/** @param {string} hook */
function useLink(hook) {
  const link = useContext(Context);
  if (!link) throw new Error(`oidc-rp-wasm/react: ${hook} must be used inside an <OidcProvider>`);
  return link;
}

const serverSnapshot = () => LOADING;

/** The session and the client's methods; re-renders on the client's events. */
export function useOidc() {
  const link = useLink('useOidc()');
  const state = useSyncExternalStore(link.subscribe, link.getSnapshot, serverSnapshot);
  return useMemo(
    () => ({
      session: state.session,
      isLoading: state.isLoading,
      // Not with an access token that expired and was not renewed (`expired`, until the next
      // sign-in or refresh): the app would call its API with it.
      isAuthenticated: state.session !== null && !state.expired,
      error: state.error,
      signedOutReason: state.signedOutReason,
      client: state.client,
      ...link.methods,
    }),
    [state, link],
  );
}

/**
 * Where the app is: path, query and fragment, the `appState` of a sign-in started here. A path
 * that starts with several slashes (`https://app.example//evil.example/`, a link anyone can send)
 * keeps one: as it is, `//evil.example/` is another site to `location.replace()` and routers.
 */
const here = () => window.location.pathname.replace(/^\/+/, '/') + window.location.search + window.location.hash;

/**
 * Renders `children` with a session, else `fallback`; without a session (and without an error or
 * a sign-out in this page's life), starts one sign-in by redirect with the current location as
 * `appState`. A sign-out is never undone: `signoutRedirect()` announces `signedOut` before its
 * navigation to the OP, which a sign-in started then would cancel, and an idle sign-out is local,
 * so a redirect to the OP would sign the user straight back in. A session that ended because the
 * OP refused its refresh token (`refresh_failed`) is not a sign-out: it signs in again.
 * @param {{ fallback?: import('react').ReactNode, signinOptions?: AuthorizeOptions, children?: import('react').ReactNode }} props
 */
export function RequireAuth({ fallback = null, signinOptions, children }) {
  const link = useLink('<RequireAuth>');
  const state = useSyncExternalStore(link.subscribe, link.getSnapshot, serverSnapshot);
  const signedOut = state.signedOutReason !== null && state.signedOutReason !== 'refresh_failed';
  const needed = !state.isLoading && state.session === null && state.error === null && !signedOut;
  const options = useRef(signinOptions);
  options.current = signinOptions;
  useEffect(() => {
    const entry = link.entry;
    // Once per client: StrictMode's second effect and every other <RequireAuth> find it started.
    if (!needed || !entry || entry.redirecting) return;
    // With `skipSigninCallback`, the app handles the response the page loaded with: its session
    // comes with `signedIn`, and a sign-in started now would leave the page before the exchange.
    if (entry.appCallback) return;
    entry.redirecting = true;
    entry.ready
      // Refused (`abandoned`) when the user came back from the OP with Back to a page that
      // reloaded (not kept in the back/forward cache: served no-store, say).
      .then((client) => {
        const signin = { ...options.current };
        // `{ appState: undefined }` (a prop passed through) keeps the default.
        if (signin.appState === undefined) signin.appState = here();
        return /** @type {any} */ (client).signinRedirect(signin, { unlessLeft: true });
      })
      .then(() => whenBack(entry))
      .catch((error) => {
        entry.redirecting = false;
        entry.set({ error });
      });
  }, [needed, link]);
  return state.session !== null ? children : fallback;
}

/**
 * After <RequireAuth>'s navigation to the OP: a page restored from the back/forward cache (the
 * user pressed Back at the OP) would otherwise show the fallback for ever, since the sign-in it
 * waits for was left. It gets the error `abandoned` instead and starts no sign-in: one started
 * on its own would send Back to the OP again.
 * @param {Entry} entry
 */
function whenBack(entry) {
  if (entry.stopped) return;
  const back = (/** @type {PageTransitionEvent} */ event) => {
    if (!event.persisted) return;
    window.removeEventListener('pageshow', back);
    entry.redirecting = false;
    entry.set({ error: oidcError('abandoned', 'the sign-in was left at the OP: the page came back from the back/forward cache') });
  };
  window.addEventListener('pageshow', back);
  entry.offs.push(() => window.removeEventListener('pageshow', back));
}

/**
 * `Component` behind {@link RequireAuth}.
 * @template P
 * @param {import('react').ComponentType<P>} Component
 * @param {{ fallback?: import('react').ReactNode, signinOptions?: AuthorizeOptions }} [options]
 */
export function withAuthenticationRequired(Component, options = {}) {
  /** @param {P} props */
  function Authenticated(props) {
    return createElement(RequireAuth, options, createElement(/** @type {any} */ (Component), /** @type {any} */ (props)));
  }
  Authenticated.displayName = `withAuthenticationRequired(${Component.displayName || Component.name || 'Component'})`;
  return Authenticated;
}
