// One passkey, two browsers: a Chromium and a Firefox on the same computer share Keyplace's data dir
// (each browser starts its own keyplace-host process on the same database). A vault passkey registered
// in Chromium signs in from Firefox; then both browsers sign in at the same time, several times, and
// every assertion verifies at one relying party with distinct, strictly increasing counters: nothing
// lost or corrupted by the two host processes. Inherently both browsers: one scenario, not one per browser.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BROWSERS, browserUnavailable, launchBrowser } from '../drivers/index.mjs';
import { withPrf } from '../support/prf-page.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const PIN = '615273';
const ROUNDS = 5; // rounds of two simultaneous sign-ins (one per browser)

// Runs in the page (either browser): the page's half of a sign-in, without verifying, so the test can
// hand the RP the assertions in counter order (an RP rejects a counter lower than one it already saw,
// and two browsers answering at once may reach it in either order).
async function assertOnly(opts) {
  const { flowId, options, error } = await kp.postJson('/api/login/options', opts);
  if (!flowId) return { error: { name: 'RpError', message: String(error) } };
  const publicKey = Object.assign({}, options, { challenge: kp.b64u.decode(options.challenge) });
  if (options.allowCredentials) {
    publicKey.allowCredentials = options.allowCredentials.map((c) => Object.assign({}, c, { id: kp.b64u.decode(c.id) }));
  }
  try {
    const cred = await navigator.credentials.get({ publicKey });
    return { flowId, credential: kp.encodeCredential(cred) };
  } catch (err) {
    return { error: { name: err?.name, message: err?.message } };
  }
}

function counterOf(credential) {
  const authData = Buffer.from(credential.response.authenticatorData, 'base64url');
  return authData.readUInt32BE(33);
}

async function verify(rp, { flowId, credential }) {
  const res = await fetch(rp.url('/api/login/verify'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ flowId, response: credential }),
  });
  return res.json();
}

const skip =
  (!(BROWSERS.includes('chromium') && BROWSERS.includes('firefox')) && `needs both browsers (KEYPLACE_BROWSERS=${BROWSERS.join(',')})`) ||
  browserUnavailable('chromium') ||
  browserUnavailable('firefox') ||
  false;

describe('Chromium + Firefox: one passkey, two browsers', { timeout: 360_000, skip }, () => {
  let dataDir, rp, chromium, chromePage, firefox, firefoxPage;
  let credentialId;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'keyplace-shared-data-'));
    rp = await startRpServer();
    // One after the other: each install adds its browser's id to the shared allowed-extensions list.
    chromium = await launchBrowser('chromium', { dataDir });
    firefox = await launchBrowser('firefox', { dataDir });
    chromePage = await chromium.openPage(rp.url('/'));
    firefoxPage = await firefox.openPage(rp.url('/'));
  });
  after(async () => {
    await firefox?.close();
    await chromium?.close();
    await rp?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
  });

  it('a vault passkey registered in Chromium signs in from Firefox; the RP verifies both', async () => {
    const { win, result } = await chromium.startCeremony(chromePage, () =>
      kp.register({ username: 'alice', userVerification: 'required', residentKey: 'required' }),
    );
    await win.createInVault({ account: 'alice', pin: PIN, newPin: true });
    const reg = await result;
    assert.equal(reg.verified, true, JSON.stringify(reg));
    credentialId = reg.credentialId;

    const signIn = await firefox.startCeremony(
      firefoxPage,
      (id) => kp.login({ username: 'alice', allowCredentials: [id], userVerification: 'required' }),
      credentialId,
    );
    await signIn.win.signIn({ account: 'alice', pin: PIN });
    const v = await signIn.result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.userVerified, true);
    assert.equal(v.newCounter, 1);
    assert.equal(v.clientData.origin, rp.origin);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs }, { be: true, bs: false });
  });

  it(`both browsers sign in at the same moment, ${ROUNDS} times: every assertion verifies, counters distinct and increasing`, async (t) => {
    const options = { allowCredentials: [credentialId], userVerification: 'required' };
    const fromChromium = [];
    const fromFirefox = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Both windows open and filled in, then both "Sign in" buttons clicked together, so the two host
      // processes sign (and bump the shared counter) at the same moment.
      const [c, f] = await Promise.all([
        chromium.startCeremony(chromePage, assertOnly, options),
        firefox.startCeremony(firefoxPage, assertOnly, options),
      ]);
      await c.win.fillSignIn({ account: 'alice', pin: PIN });
      await f.win.fillSignIn({ account: 'alice', pin: PIN });
      const [chromeButton, firefoxButton] = [await c.win.button('Sign in'), await f.win.button('Sign in')];
      await Promise.all([c.win.clickAndClose('Sign in', chromeButton), f.win.clickAndClose('Sign in', firefoxButton)]);
      const [cv, fv] = await Promise.all([c.result, f.result]);
      fromChromium.push({ browser: 'chromium', ...cv });
      fromFirefox.push({ browser: 'firefox', ...fv });
    }
    const all = [...fromChromium, ...fromFirefox];
    for (const a of all) assert.equal(a.error, undefined, `${a.browser}: ${JSON.stringify(a.error)}`);
    t.diagnostic(`counters: chromium ${fromChromium.map((a) => counterOf(a.credential))}, firefox ${fromFirefox.map((a) => counterOf(a.credential))}`);

    // Each browser's own sign-ins came one after the other: their counters grow.
    for (const list of [fromChromium, fromFirefox]) {
      const counters = list.map((a) => counterOf(a.credential));
      for (let i = 1; i < counters.length; i++) assert.ok(counters[i] > counters[i - 1], `${list[0].browser}: ${counters}`);
    }
    // Together: all distinct, all after the first Firefox sign-in (counter 1).
    const counters = all.map((a) => counterOf(a.credential));
    assert.equal(new Set(counters).size, counters.length, `duplicate counters: ${counters}`);
    assert.ok(Math.min(...counters) > 1, `counters: ${counters}`);

    // The RP judges every one, in counter order.
    const ordered = [...all].sort((a, b) => counterOf(a.credential) - counterOf(b.credential));
    for (const a of ordered) {
      const v = await verify(rp, a);
      assert.equal(v.verified, true, `${a.browser} counter ${counterOf(a.credential)}: ${JSON.stringify(v)}`);
      assert.equal(v.credentialId, credentialId);
      assert.equal(v.newCounter, counterOf(a.credential));
      assert.equal(v.userVerified, true);
      assert.equal(v.clientData.origin, rp.origin);
    }
  });

  it('afterwards either browser still signs in, with the next counter', async () => {
    const last = [...rp.credentials.values()].find((c) => c.id === credentialId).counter;
    const { win, result } = await firefox.startCeremony(firefoxPage, (id) => kp.login({ allowCredentials: [id], userVerification: 'required' }), credentialId);
    await win.signIn({ account: 'alice', pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.newCounter, last + 1);
  });

  it('PRF: a vault passkey registered in Firefox gives the same value for the same input in Chromium', async () => {
    const created = await firefox.startCeremony(firefoxPage, withPrf, {
      kind: 'create',
      username: 'prf-both',
      prf: { eval: { first: 'one input, two browsers' } },
    });
    await created.win.createInVault({ account: 'prf-both', pin: PIN });
    const reg = await created.result;
    assert.equal(reg.verified, true, JSON.stringify(reg));
    assert.equal(Buffer.from(reg.prf.first, 'base64url').length, 32);

    const signIn = await chromium.startCeremony(chromePage, withPrf, {
      kind: 'get',
      allow: [reg.credentialId],
      prf: { eval: { first: 'one input, two browsers' }, evalByCredential: { [reg.credentialId]: { first: 'other', second: 'one input, two browsers' } } },
    });
    await signIn.win.signIn({ account: 'prf-both', pin: PIN });
    const v = await signIn.result;
    assert.equal(v.verified, true, JSON.stringify(v));
    // evalByCredential wins over eval for its passkey: `second` carries the input given at registration.
    assert.equal(v.prf.second, reg.prf.first);
    assert.notEqual(v.prf.first, reg.prf.first);
  });
});
