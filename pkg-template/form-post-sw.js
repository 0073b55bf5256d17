// oidc-rp-wasm form_post service worker.
//
// Lets a static single-page app receive `response_mode=form_post` (OAuth 2.0 Form Post Response
// Mode): the OP's POST to the redirect URI never reaches a server. Copy this file to the root of
// your site and register it once:
//
//   navigator.serviceWorker.register('/form-post-sw.js');
//
// Register it as `/form-post-sw.js?paths=/callback,/silent-callback.html` to intercept only
// those paths (your redirect URIs' paths). Without `paths` it never takes a form posted from a
// page of your own origin: the OP posts from its own pages, while a form of your app (an address
// form with fields named `state` and `code`) goes to your server as usual. An OP on your app's
// own origin needs `paths`.
//
// Protocol with the SDK (its pumps: index.js in the package, src/web in the crate):
// 1. A navigation that POSTs an application/x-www-form-urlencoded body with `state` and `code` or
//    `error` is answered with a 303 redirect to the same URL plus `oidc_form_post=<id>`; the body
//    is kept in Cache Storage and handed out only within five minutes (bodies nobody came for
//    are deleted when the next one is kept).
// 2. The page, now at that URL, fetches `?oidc_form_post_body=<id>` (a same-origin GET) and gets
//    the body once; a second fetch, or an unknown or stale id, is a 404.
// Every other request is left alone.

const CACHE = 'oidc-rp-wasm-form-post';
const KEY_PREFIX = '/__oidc-rp-wasm/form-post/';
const STORED_AT = 'x-oidc-rp-wasm-stored-at';
const MAX_AGE_MS = 5 * 60 * 1000;
const FORM = 'application/x-www-form-urlencoded';
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const paths = (new URL(self.location.href).searchParams.get('paths') || '')
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);

  if (request.mode === 'navigate') {
    if (
      request.method === 'POST' &&
      mediaType(request.headers.get('content-type')) === FORM &&
      (paths.length === 0 ? !fromOwnPage(request) : paths.includes(url.pathname))
    ) {
      event.respondWith(intercept(request));
    }
    return;
  }

  if (request.method === 'GET' && url.origin === self.location.origin) {
    const id = url.searchParams.get('oidc_form_post_body');
    if (id !== null) event.respondWith(takeBody(id));
  }
});

// Whether a navigation was started by a page of this origin (its referrer; a page that sends no
// referrer counts as another origin's).
function fromOwnPage(request) {
  try {
    return new URL(request.referrer).origin === self.location.origin;
  } catch {
    return false;
  }
}

function mediaType(contentType) {
  return (contentType || '').split(';')[0].trim().toLowerCase();
}

function keyFor(id) {
  return new URL(KEY_PREFIX + id, self.location.origin).href;
}

// A form POST navigation: keep the body and redirect if it is an authorization response,
// otherwise (or if Cache Storage fails) let it through to the network unchanged.
async function intercept(request) {
  try {
    return await keepAndRedirect(request);
  } catch {
    return fetch(request);
  }
}

async function keepAndRedirect(request) {
  const body = await request.clone().text();
  const params = new URLSearchParams(body);
  if (!params.has('state') || !(params.has('code') || params.has('error'))) {
    return fetch(request);
  }

  const cache = await caches.open(CACHE);
  await purgeStale(cache);
  const id = crypto.randomUUID();
  await cache.put(
    keyFor(id),
    new Response(body, {
      headers: { 'content-type': FORM, [STORED_AT]: String(Date.now()) },
    }),
  );

  const target = new URL(request.url);
  target.searchParams.set('oidc_form_post', id);
  return Response.redirect(target.href, 303);
}

// Hands a stored body to the page once.
async function takeBody(id) {
  const cache = await caches.open(CACHE);
  const stored = ID.test(id) ? await cache.match(keyFor(id)) : undefined;
  if (!stored) return notFound();
  await cache.delete(keyFor(id));
  if (isStale(stored)) return notFound();
  return new Response(await stored.text(), {
    status: 200,
    headers: { 'content-type': FORM, 'cache-control': 'no-store' },
  });
}

function notFound() {
  return new Response('', { status: 404, headers: { 'cache-control': 'no-store' } });
}

function isStale(response) {
  const storedAt = Number(response.headers.get(STORED_AT));
  return !(storedAt > Date.now() - MAX_AGE_MS);
}

// Drops bodies nobody came for (a tab closed mid-sign-in).
async function purgeStale(cache) {
  for (const key of await cache.keys()) {
    const response = await cache.match(key);
    if (!response || isStale(response)) await cache.delete(key);
  }
}
