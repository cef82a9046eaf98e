// Frames: about:blank and blob: frames the page makes itself go through Keyplace with the creator's origin,
// whichever realm made the option buffers; a cross-origin frame (another port of localhost, so the same
// RP ID) needs the publickey-credentials-create permission (ARCHITECTURE.md rule 1) and, to create, transient user
// activation (a click in it), and the RP accepts what it makes with crossOrigin and topOrigin set.
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBrowser } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const PIN = '284619';

// Runs in the page: registers from a fresh same-origin frame (about:blank or blob:), with the option
// buffers made in the realm named by `realm` ('frame' or 'page'), and has the RP verify the result.
async function registerFromFrame({ kind, realm, username }) {
  const frame = document.createElement('iframe');
  if (kind === 'blob') frame.src = URL.createObjectURL(new Blob(['<p>frame</p>'], { type: 'text/html' }));
  const loaded = kind === 'blob' ? new Promise((r) => (frame.onload = r)) : Promise.resolve();
  document.body.append(frame);
  await loaded;
  const w = frame.contentWindow;
  const { flowId, options } = await kp.postJson('/api/register/options', { username, userVerification: 'required' });
  const bytes = (text) => {
    const buffer = kp.b64u.decode(text); // an ArrayBuffer of the page's realm
    if (realm === 'page') return buffer;
    const copy = new w.ArrayBuffer(buffer.byteLength);
    new w.Uint8Array(copy).set(new Uint8Array(buffer));
    return copy;
  };
  const publicKey = Object.assign({}, options, {
    challenge: bytes(options.challenge),
    user: Object.assign({}, options.user, { id: bytes(options.user.id) }),
    excludeCredentials: [],
  });
  let cred;
  try {
    cred = await w.navigator.credentials.create({ publicKey });
  } catch (err) {
    return { error: { name: err.name, message: err.message } };
  }
  return kp.postJson('/api/register/verify', { flowId, response: kp.encodeCredential(cred) });
}

// Runs in the page: frames `src` (another origin), with `allow` as its permissions policy.
async function addFrame({ src, allow }) {
  const frame = document.createElement('iframe');
  if (allow) frame.allow = allow;
  frame.src = src;
  await new Promise((resolve) => {
    frame.onload = resolve;
    document.body.append(frame);
  });
}

// Runs in the page: frames `src` (with `allow`) unless the page has such a frame already, and asks the framed RP
// page to run a ceremony (rp-page.js answers kpFrameCall messages from its parent).
async function ceremonyInFrame({ src, allow, kind, opts }) {
  let frame = [...document.querySelectorAll('iframe')].find((f) => f.src === src);
  if (!frame) {
    frame = document.createElement('iframe');
    if (allow) frame.allow = allow;
    frame.src = src;
    await new Promise((resolve) => {
      frame.onload = resolve;
      document.body.append(frame);
    });
  }
  const id = Math.random().toString(36).slice(2);
  return new Promise((resolve) => {
    window.addEventListener('message', (e) => {
      if (e.data && e.data.kpFrameResult === id) resolve(e.data.result);
    });
    frame.contentWindow.postMessage({ kpFrameCall: id, kind, opts }, '*');
  });
}

forEachBrowser('frames: about:blank, blob: and cross-origin', { timeout: 240_000 }, (browser) => {
  let driver, rp, otherRp, page;
  let vaultHasPin = false;

  before(async () => {
    rp = await startRpServer();
    otherRp = await startRpServer();
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
    await otherRp?.close();
  });

  for (const kind of ['about:blank', 'blob']) {
    it(`registers from ${kind === 'blob' ? 'a blob:' : 'an about:blank'} frame with the creator's origin; the RP verifies`, async () => {
      const username = `frame-${kind.replace(/\W/g, '')}`;
      const { win, result } = await driver.startCeremony(page, registerFromFrame, { kind: kind === 'blob' ? 'blob' : 'blank', realm: 'frame', username });
      await win.createInVault({ account: username, pin: PIN, newPin: !vaultHasPin });
      vaultHasPin = true;
      const v = await result;
      assert.equal(v.error, undefined, JSON.stringify(v.error));
      assert.equal(v.verified, true, JSON.stringify(v));
      assert.equal(v.clientData.origin, rp.origin);
      assert.equal(v.clientData.crossOrigin ?? false, false);
    });
  }

  it("accepts option buffers from another realm (the page's ArrayBuffers in the frame's call), as WebIDL does", async () => {
    const { win, result } = await driver.startCeremony(page, registerFromFrame, { kind: 'blank', realm: 'page', username: 'cross-realm' });
    await win.createInVault({ account: 'cross-realm', pin: PIN, newPin: !vaultHasPin });
    vaultHasPin = true;
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
  });

  it('a cross-origin frame without the publickey-credentials-create permission gets NotAllowedError and no window', async () => {
    const { result, consentWindows } = await driver.withoutWindow(page, ceremonyInFrame, { src: otherRp.url('/'), kind: 'register', opts: { username: 'framed' } });
    assert.equal(result.error?.name, 'NotAllowedError', JSON.stringify(result));
    assert.deepEqual(consentWindows, []);
    assert.equal(otherRp.credentials.size, 0);
  });

  it('a cross-origin frame with the permission but no user activation: the browser\'s NotAllowedError, no window', async () => {
    const src = otherRp.url('/?no-activation');
    const call = { src, allow: 'publickey-credentials-create', kind: 'register', opts: { username: 'framed' } };
    const { result, consentWindows } = await driver.withoutWindow(page, ceremonyInFrame, call);
    assert.equal(result.error?.name, 'NotAllowedError', JSON.stringify(result));
    assert.deepEqual(consentWindows, []);
  });

  it('a cross-origin frame with the permission: the passkey carries crossOrigin and topOrigin, and its RP verifies', async (t) => {
    // A frame of its own (earlier tests left theirs in the page, without the permission).
    const src = otherRp.url('/?allowed');
    const call = { src, allow: 'publickey-credentials-create', kind: 'register', opts: { username: 'framed', userVerification: 'required' } };
    if (browser.name === 'firefox') {
      // Firefox gives extensions no permissions-policy API, so Keyplace cannot tell whether the frame is
      // allowed and hands the request to Firefox itself (never worse than the browser alone: rule 9).
      const { consentWindows } = await driver.withoutWindow(page, ceremonyInFrame, call);
      assert.deepEqual(consentWindows, []);
      return t.skip('Firefox: the permission cannot be read, so the request goes to the browser, not through Keyplace');
    }
    // A cross-origin frame creates only with transient user activation (WebAuthn L3 §5.1.3 step 2): a click in it.
    await page.evaluate(addFrame, call);
    await (await driver.frame(page, src)).click('heading', 'Keyplace test RP');
    const { win, result } = await driver.startCeremony(page, ceremonyInFrame, call);
    // The window names the frame's origin, the one the passkey is for.
    assert.ok((await win.text()).includes(otherRp.origin), 'the window names the frame\'s origin');
    await win.createInVault({ account: 'framed', pin: PIN, newPin: !vaultHasPin });
    vaultHasPin = true;
    const v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.clientData.origin, otherRp.origin);
    assert.equal(v.clientData.crossOrigin, true);
    assert.equal(v.clientData.topOrigin, rp.origin);
  });
});
