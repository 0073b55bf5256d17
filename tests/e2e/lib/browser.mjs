// Chromium for the end-to-end tests: the system browser driven by playwright-core (which never
// downloads one), cut off from everything but loopback, plus helpers that act as the user on
// node-oidc-provider's development login, consent and logout pages.

import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launches Chromium. `bfcache: true` keeps its back/forward cache on (playwright-core turns it
 * off by default): Back then restores a page, firing freeze, resume and pageshow as browsers do.
 */
export function launchBrowser({ bfcache = false } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    ignoreDefaultArgs: bfcache ? ['--disable-back-forward-cache'] : [],
    args: [
      '--no-sandbox', // the test machine runs as root inside a container
      '--disable-gpu',
      '--no-first-run',
      // No calls home, no component or sync downloads: there is no internet, and waiting on
      // them only slows the run down.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for URLs that stay on this machine (and for non-network schemes). */
export function isLoopback(url) {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'http:' && protocol !== 'https:' && protocol !== 'ws:' && protocol !== 'wss:') return true;
  return LOOPBACK.has(hostname);
}

/**
 * A fresh browser context (its own cookies and storage: a new "browser profile") in which
 * every non-loopback request is aborted at once. Without this, the dev login page's
 * @import of a web font from the internet would hang until the network stack gives up, and
 * with it the page's load event.
 */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext(options);
  await context.route('**/*', (route) =>
    isLoopback(route.request().url()) ? route.fallback() : route.abort('blockedbyclient'),
  );
  return context;
}

// The dev interaction pages (oidc-provider lib/views/login.js and interaction.js) each hold a
// form with a hidden <input name="prompt"> telling which page it is:
//   login:   prompt=login,   <input name="login">, <input name="password">, button[type=submit]
//   consent: prompt=consent, button[type=submit] ("Continue")
// Both are served under /interaction/<uid> on the OP.
const PROMPT_INPUT = 'form input[type="hidden"][name="prompt"]';

const isInteraction = (url) => url.pathname.startsWith('/interaction/');

/**
 * Acts as the user at the OP: fills the dev login form and confirms the consent page, in
 * whatever order and number they appear, until the browser leaves the interaction pages.
 * Returns the pages seen, e.g. ['login', 'consent'], or [] when the OP showed none.
 *
 * `until` (string prefix, RegExp or URL predicate) is where the flow ends, typically the
 * redirect URI. Without it an interaction page is expected to appear (the caller knows the
 * OP will ask); with it, reaching `until` without any page is fine too, so the helper can
 * be called whether or not the OP remembers the login and consent. Note that for form_post
 * and web_message the flow ends on an OP page (/auth/<uid>) that posts the response on.
 */
export async function loginAtOp(page, { login = 'ana@example.com', password = 'secret', until, timeout = 15_000 } = {}) {
  const done = until === undefined ? () => false : matcher(until);
  const seen = [];
  for (;;) {
    await page.waitForURL((url) => isInteraction(url) || done(url), { waitUntil: 'commit', timeout });
    const url = new URL(page.url());
    if (!isInteraction(url)) return seen;

    // The prompt input also tells a login page from a consent page that reuses the same URL
    // shape; getAttribute waits for it to be in the DOM.
    const kind = await page.locator(PROMPT_INPUT).getAttribute('value', { timeout });
    if (seen.length >= 4) throw new Error(`OP keeps asking (${seen.join(', ')}, ${kind})`);
    seen.push(kind);
    if (kind === 'login') {
      await page.locator('input[name="login"]').fill(login, { timeout });
      await page.locator('input[name="password"]').fill(password, { timeout });
    } else if (kind !== 'consent') {
      throw new Error(`unknown OP interaction page: prompt=${kind}`);
    }
    const before = page.url();
    // Each submit leads to a new URL: the next interaction (new uid) or the way out.
    await Promise.all([
      page.waitForURL((u) => u.href !== before, { waitUntil: 'commit', timeout }),
      page.locator('form button[type="submit"]').first().click({ timeout }),
    ]);
    if (until === undefined && !isInteraction(new URL(page.url()))) return seen;
  }
}

/**
 * Confirms node-oidc-provider's RP-Initiated Logout page ("Yes, sign me out"). Call it when
 * the browser is on (or heading to) the OP's end_session endpoint with a session there.
 */
export async function confirmLogoutAtOp(page, { timeout = 15_000 } = {}) {
  await page.locator('button[name="logout"][value="yes"]').click({ timeout });
}

function matcher(until) {
  if (typeof until === 'function') return until;
  if (until instanceof RegExp) return (url) => until.test(url.href);
  return (url) => url.href.startsWith(String(until));
}
