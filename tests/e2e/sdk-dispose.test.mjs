// A page that creates and disposes many clients (React remounts, hot reloads) ends up holding no
// more than one that created one: against the real OP, with a signed-in session restored by every
// client (so each has its refresh timer, its tab channel and its page listeners).
//
// - The wasm's memory: one module serves every client of the page; a disposed client's machine
//   goes back to it. Its size after 400 create/dispose rounds is the size after the first 40.
// - The JavaScript side: a disposed client's pump is garbage once the app drops the client (no
//   timer, page listener, channel or pending promise keeps it, nor the app's handlers). The heap
//   after a forced collection (CDP HeapProfiler.collectGarbage, Runtime.getHeapUsage) is where
//   it was 400 clients earlier.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';

let env;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.close();
});

/**
 * Keeps the package's wasm memory where a test can read it: the pump instantiates with
 * `WebAssembly.instantiateStreaming` (or `instantiate`), whose instance exports `memory`.
 */
function recordWasmMemory() {
  const keep = (result) => {
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    if (instance?.exports?.memory) window.__wasmMemory = instance.exports.memory;
    return result;
  };
  const streaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = (...args) => streaming.apply(WebAssembly, args).then(keep);
  const plain = WebAssembly.instantiate;
  WebAssembly.instantiate = (...args) => plain.apply(WebAssembly, args).then(keep);
}

/** Signs in on the example app; returns the app with its configuration. */
async function signedIn(context) {
  const app = await App.open(context, env);
  await app.signinRedirect();
  await app.waitSignedIn();
  return app;
}

test('dispose: 400 clients created and disposed leave the wasm memory at its size after 40', (t) =>
  inContext(env, {}, async ({ context }) => {
    await context.addInitScript(recordWasmMemory);
    const app = await signedIn(context);
    const result = await app.page.evaluate(async () => {
      const { OidcClient } = await import('oidc-rp-wasm');
      const config = window.__example.config;
      const sizes = {};
      let signedInClients = 0;
      for (let round = 1; round <= 400; round++) {
        const client = await OidcClient.create(config);
        client.on('refreshed', () => {});
        if (client.session) signedInClients++;
        // A call still running when the client goes: it settles as `disposed`.
        const pending = client.refresh().catch((e) => e.code);
        client.dispose();
        const code = await pending;
        if (code !== 'disposed' && typeof code === 'string') throw new Error(`refresh ended with ${code}`);
        if (round === 40 || round === 400) sizes[round] = window.__wasmMemory.buffer.byteLength;
      }
      return { sizes, signedInClients };
    });
    t.diagnostic(`wasm memory after 40 clients ${result.sizes[40]} B, after 400 ${result.sizes[400]} B`);
    assert.equal(result.signedInClients, 400, 'every client restored the signed-in session');
    assert.ok(result.sizes[40] > 0);
    assert.equal(result.sizes[400], result.sizes[40], `wasm memory after 40 rounds ${result.sizes[40]} B, after 400 ${result.sizes[400]} B`);
  }));

test('dispose: 500 clients created and disposed leave the JavaScript heap where 100 left it (no timer, listener or channel keeps a pump)', (t) =>
  inContext(env, {}, async ({ context }) => {
    const app = await signedIn(context);
    const cdp = await context.newCDPSession(app.page);
    /** `rounds` more clients created, each with a handler and a call under way, then disposed. */
    const churn = (rounds) =>
      app.page.evaluate(async (rounds) => {
        const { OidcClient } = await import('oidc-rp-wasm');
        const config = window.__example.config;
        let signedInClients = 0;
        for (let round = 0; round < rounds; round++) {
          const client = await OidcClient.create(config);
          // A handler holding something sizeable, as an app's closure over its state would.
          const state = new Array(256).fill(round);
          client.on('expiring', () => state.length);
          if (client.session) signedInClients++;
          const pending = client.getAccessToken().catch((e) => e.code);
          client.dispose();
          await pending;
        }
        return signedInClients;
      }, rounds);
    const heapAfterGc = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    assert.equal(await churn(100), 100, 'every client restored the signed-in session');
    const after100 = await heapAfterGc();
    assert.equal(await churn(400), 400);
    const after500 = await heapAfterGc();
    // A pump kept alive holds its closures, maps, page listeners and the handler's 2 KB array:
    // 400 of them are well over 1 MB. What is left is the heap's own noise.
    const growth = after500 - after100;
    t.diagnostic(`heap after 100 clients ${after100} B, after 500 ${after500} B`);
    assert.ok(growth < 256 * 1024, `the heap grew by ${growth} B over 400 disposed clients (${after100} → ${after500})`);
  }));
