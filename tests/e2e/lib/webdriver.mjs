// WebKitGTK for the end-to-end tests, driven over WebDriver classic (the W3C WebDriver HTTP
// protocol) by WebKitWebDriver, spoken directly with fetch: no client package. WebKitWebDriver
// starts WebKitGTK's MiniBrowser in automation mode, which needs an X display: the driver runs
// under `xvfb-run`, and the browser inherits its display.
//
// WebDriver classic has one current window per session, no console messages, no network
// interception, and the scripts it runs have no user activation (a popup needs a real click,
// which Element Click is).

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** The W3C "web element identifier" key of an element reference. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A free loopback port (WebKitWebDriver takes no port 0; nothing listens there once it is returned). */
export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

export class WebDriverError extends Error {
  constructor(status, value, what) {
    super(`WebDriver ${what}: ${value?.error ?? status} ${value?.message ?? ''}`.trim());
    this.name = 'WebDriverError';
    this.error = value?.error;
  }
}

/**
 * Starts WebKitWebDriver under xvfb-run and opens one session (one MiniBrowser). `args` are
 * MiniBrowser's own (e.g. ['--enable-itp']). Returns a Session.
 */
export async function startWebKit({ args = [] } = {}) {
  const port = await freePort();
  // Its own process group, so that close() ends xvfb-run, Xvfb, the driver and the browser.
  const child = spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x1024x24', WEBKIT_DRIVER, `--port=${port}`], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise((ok) => child.once('exit', (code) => ok(code)));
  // Should the test process end without close() (a crash), the group goes with it.
  const onExit = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  process.once('exit', onExit);
  const kill = async () => {
    process.off('exit', onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    await exited;
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    // The driver answers /status once it listens: wait for that (or for it to die).
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited (${child.exitCode}): ${stderr}`);
      const ready = await fetch(`${base}/status`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not start: ${stderr}`);
      await new Promise((ok) => setTimeout(ok, 50)); // polling the driver's port, not the page
    }
    const created = await call(base, 'POST', '/session', {
      capabilities: {
        alwaysMatch: {
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation', ...args] },
        },
      },
    }, 'new session');
    return new Session(base, created.sessionId, created.capabilities, kill);
  } catch (err) {
    await kill();
    throw err;
  }
}

async function call(base, method, path, body, what = `${method} ${path}`) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError(res.status, { message: text }, what);
  }
  if (!res.ok || json.value?.error) throw new WebDriverError(res.status, json.value, what);
  return json.value;
}

/** One WebDriver session: one browser with its windows, one of which is current. */
export class Session {
  constructor(base, id, capabilities, kill) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
    this.kill = kill;
    this.current = null;
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body, `${method} ${path}`);
  }

  async windowHandles() {
    return this.cmd('GET', '/window/handles');
  }

  async currentHandle() {
    if (this.current === null) this.current = await this.cmd('GET', '/window');
    return this.current;
  }

  /** Makes `handle` the current window (a no-op when it is). */
  async switchTo(handle) {
    if (this.current === handle) return;
    await this.cmd('POST', '/window', { handle });
    this.current = handle;
  }

  /** Opens a new tab and returns its handle (it does not become current). */
  async newTab() {
    const { handle } = await this.cmd('POST', '/window/new', { type: 'tab' });
    return handle;
  }

  /**
   * Closes the current window and makes another current (commands such as New Window need one);
   * returns the handles left.
   */
  async closeWindow() {
    const left = await this.cmd('DELETE', '/window');
    this.current = null;
    if (left.length > 0) await this.switchTo(left[0]);
    return left;
  }

  navigate(url) {
    return this.cmd('POST', '/url', { url });
  }

  url() {
    return this.cmd('GET', '/url');
  }

  /** Runs `source` (a function body; a returned promise is awaited) with `args`. */
  execute(source, args = []) {
    return this.cmd('POST', '/execute/sync', { script: source, args });
  }

  async find(selector) {
    const found = await this.cmd('POST', '/element', { using: 'css selector', value: selector });
    return found[ELEMENT];
  }

  /** Element Click: a real (trusted) click at the element's centre, with user activation. */
  async click(selector) {
    await this.cmd('POST', `/element/${await this.find(selector)}/click`, {});
  }

  async type(selector, text) {
    const element = await this.find(selector);
    await this.cmd('POST', `/element/${element}/clear`, {});
    await this.cmd('POST', `/element/${element}/value`, { text });
  }

  async text(selector) {
    return this.cmd('GET', `/element/${await this.find(selector)}/text`);
  }

  async close() {
    try {
      await this.cmd('DELETE', '');
    } catch {
      // the browser may be gone already; the process group goes next anyway
    }
    await this.kill();
  }
}
