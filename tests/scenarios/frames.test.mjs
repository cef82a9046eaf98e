// Frames the page makes itself: about:blank and blob: frames. Where the browser runs the shim in them
// (Firefox injects content scripts there), a registration from such a frame goes through Keyplace; the
// origin must be the creator's and the RP must accept the result, whichever realm made the option buffers.
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

forEachBrowser('about:blank and blob: frames', { timeout: 240_000 }, (browser) => {
  let driver, rp, page;
  let vaultHasPin = false;

  before(async () => {
    rp = await startRpServer();
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
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
});
