// Three browser engines behind one thin interface, for scenarios written once (engines.test.mjs):
//
//   chromium      the system Chromium over CDP, through puppeteer-core
//   firefox       Firefox ESR over WebDriver BiDi, through puppeteer-core
//   webkit        WebKitGTK's MiniBrowser over WebDriver classic (lib/webdriver.mjs), under xvfb-run
//   webkit-itp    the same with Intelligent Tracking Prevention on (--enable-itp)
//
// None of them downloads a browser: puppeteer-core never does, and each engine is a Debian
// package (scripts/setup.sh). Each engine sends every request that is not to loopback to a proxy
// port where nothing listens, so it fails at once (lib/browser.mjs aborts them in Playwright's
// contexts for the same reason: the OP's dev login page imports a web font from the internet).
// Every engine runs with its popup blocker on: a window.open without user activation is refused,
// so a popup needs a real click (`tab.click`), which each driver performs as input events the
// page cannot tell from a user's.
//
// An engine is { name, limits, newTab(url), logs(), close() } (logs: its pages' console messages
// and uncaught errors, as '[pageerror …' lines); a tab is
// { goto, url, eval, waitFor, waitForUrl, click, type, text, close }. `eval(fn, ...args)` runs
// `fn` in the page (a returned promise is awaited) and gives back its JSON value. What a driver
// cannot do is in `limits`, so that a scenario asserts what can be asserted there:
// - `console: false`: no console messages or uncaught page errors (WebDriver classic);
// - `evalHasActivation: true`: the driver's scripts carry user activation (puppeteer's evaluate
//   does, over CDP and BiDi alike), so only a page's own script can show the popup blocker.

import puppeteer from 'puppeteer-core';

import { CHROMIUM_PATH } from './browser.mjs';
import { freePort, startWebKit } from './webdriver.mjs';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** The engines `make test` runs; E2E_ENGINES=firefox,webkit picks some. */
export const ENGINES = (process.env.E2E_ENGINES ?? 'chromium,firefox,webkit,webkit-itp').split(',').filter(Boolean);

const POLL_MS = 25;

/** Polls `probe()` until it returns a truthy value (errors while a page navigates count as no). */
async function poll(probe, { timeout = 15_000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    await new Promise((ok) => setTimeout(ok, POLL_MS));
  }
}

/** What every tab can do on top of its driver's few primitives. */
class Tab {
  /** Waits until `fn(...args)` is truthy in the page; returns its value. */
  waitFor(fn, args = [], { timeout, what } = {}) {
    return poll(() => this.eval(fn, ...args), { timeout, what: what ?? String(fn).slice(0, 120) });
  }

  /** Waits until the address is one that `test(url: URL)` accepts; returns it. */
  async waitForUrl(test, { timeout, what = 'a URL' } = {}) {
    return poll(async () => {
      const url = new URL(await this.url());
      return test(url) ? url : null;
    }, { timeout, what });
  }
}

// ---- puppeteer-core: Chromium over CDP, Firefox over WebDriver BiDi ----

class PuppeteerTab extends Tab {
  constructor(page) {
    super();
    this.page = page;
  }

  async goto(url) {
    await this.page.goto(url, { waitUntil: 'load' });
  }

  async url() {
    return this.page.url();
  }

  eval(fn, ...args) {
    return this.page.evaluate(fn, ...args);
  }

  click(selector) {
    return this.page.locator(selector).click();
  }

  type(selector, text) {
    return this.page.locator(selector).fill(text);
  }

  text(selector) {
    return this.page.$eval(selector, (e) => e.textContent);
  }

  get closed() {
    return this.page.isClosed();
  }

  async close() {
    if (!this.page.isClosed()) await this.page.close();
  }
}

async function launchPuppeteer(name) {
  const logs = [];
  const deadProxy = `127.0.0.1:${await freePort()}`;
  let browser;
  if (name === 'chromium') {
    browser = await puppeteer.launch({
      browser: 'chrome',
      executablePath: CHROMIUM_PATH,
      headless: true,
      // puppeteer turns the popup blocker off by default: keep it on, as users have it.
      ignoreDefaultArgs: ['--disable-popup-blocking'],
      // Chromium never sends loopback through a proxy (unless told <-loopback>).
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', `--proxy-server=http://${deadProxy}`],
    });
  } else {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      // puppeteer's Firefox profile allows popups without a click: block them, as Firefox does.
      extraPrefsFirefox: {
        'dom.disable_open_during_load': true,
        'network.proxy.type': 1,
        'network.proxy.http': deadProxy.split(':')[0],
        'network.proxy.http_port': Number(deadProxy.split(':')[1]),
        'network.proxy.ssl': deadProxy.split(':')[0],
        'network.proxy.ssl_port': Number(deadProxy.split(':')[1]),
        'network.proxy.no_proxies_on': '127.0.0.1, localhost',
      },
    });
  }
  // One profile for the whole run (a new one where the driver has none would cost a browser).
  const context = browser.defaultBrowserContext();
  const watch = (page) => {
    const tag = () => {
      try {
        const u = new URL(page.url());
        return `${u.host}${u.pathname}`;
      } catch {
        return page.url();
      }
    };
    page.on('console', (m) => logs.push(`[console.${m.type()} ${tag()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror ${tag()}] ${e?.stack ?? e}`));
  };
  for (const page of await context.pages()) watch(page);
  context.on('targetcreated', async (target) => {
    const page = await target.page().catch(() => null);
    if (page) watch(page);
  });

  return {
    name,
    limits: { console: true, evalHasActivation: true },
    async newTab(url) {
      const page = await context.newPage();
      // A click on a button that stays disabled (an app that failed to start) fails in 10 s, not 30.
      page.setDefaultTimeout(10_000);
      const tab = new PuppeteerTab(page);
      if (url) await tab.goto(url);
      return tab;
    },
    logs: () => logs,
    close: () => browser.close(),
  };
}

// ---- WebDriver classic: WebKitGTK ----

class WebDriverTab extends Tab {
  constructor(session, handle) {
    super();
    this.session = session;
    this.handle = handle;
    this.closed = false;
  }

  async use() {
    await this.session.switchTo(this.handle);
    return this.session;
  }

  async goto(url) {
    await (await this.use()).navigate(url);
  }

  async url() {
    return (await this.use()).url();
  }

  async eval(fn, ...args) {
    return (await this.use()).execute(`return (${fn}).apply(null, arguments);`, args);
  }

  async click(selector) {
    await (await this.use()).click(selector);
  }

  async type(selector, text) {
    await (await this.use()).type(selector, text);
  }

  async text(selector) {
    return (await this.use()).text(selector);
  }

  async close() {
    if (this.closed) return;
    await (await this.use()).closeWindow();
    this.closed = true;
  }
}

async function launchWebKit(name) {
  const args = [`--proxy=http://127.0.0.1:${await freePort()}`, '--ignore-host=127.0.0.1', '--ignore-host=localhost'];
  if (name === 'webkit-itp') args.push('--enable-itp');
  const session = await startWebKit({ args });
  // The window the session starts with is the first tab.
  let first = new WebDriverTab(session, await session.currentHandle());
  return {
    name,
    limits: { console: false, evalHasActivation: false },
    async newTab(url) {
      let tab = first;
      first = null;
      if (!tab) tab = new WebDriverTab(session, await session.newTab());
      if (url) await tab.goto(url);
      return tab;
    },
    logs: () => ['(WebDriver classic: no console messages in WebKit)'],
    close: () => session.close(),
  };
}

/** Launches engine `name` (one of ENGINES' names). */
export function launchEngine(name) {
  if (name === 'chromium' || name === 'firefox') return launchPuppeteer(name);
  if (name === 'webkit' || name === 'webkit-itp') return launchWebKit(name);
  throw new Error(`unknown engine ${name}`);
}
