// Firefox: a passkey in the Keyplace vault, from registration to repeated sign-ins, judged by
// @simplewebauthn/server; then the popup lists it with its location.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By } from 'selenium-webdriver';
import { launchFirefox, firefoxUnavailable } from '../support/firefox.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const VAULT_AAGUID = '62ee5665-1fea-485b-9a24-9ccac93787c2';
const PIN = '482913';

describe('Firefox: Keyplace vault', { timeout: 240_000, skip: firefoxUnavailable() ?? false }, () => {
  let ff, rp, page;
  let credentialId;

  before(async () => {
    rp = await startRpServer();
    ff = await launchFirefox();
    page = await ff.openPage(rp.url('/'));
  });
  after(async () => {
    await ff?.close();
    await rp?.close();
  });

  it('registers with a new vault PIN; the RP verifies it (BE=1 BS=0, UV, counter 0)', async () => {
    const { win, call } = await ff.startCeremony(page, () =>
      kp.register({ username: 'alice', userVerification: 'required', residentKey: 'required' }),
    );
    await ff.byName('radio', /^Vault/); // the window renders once the background has answered
    for (const name of [/^Hardware/, /^Vault/, /^Browser/]) assert.equal((await ff.findByName('radio', name)).length, 1, String(name));
    await ff.createInVault(win, { account: 'alice', pin: PIN, newPin: true }, page);

    const v = await ff.result(call);
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.fmt, 'none');
    assert.equal(v.aaguid, VAULT_AAGUID);
    assert.equal(v.userVerified, true);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs, uv: v.flags.uv, up: v.flags.up }, { be: true, bs: false, uv: true, up: true });
    assert.equal(v.counter, 0);
    assert.equal(v.clientData.origin, rp.origin);
    assert.equal(v.rpID, 'localhost');
    assert.equal(v.isPublicKeyCredential, true);
    credentialId = v.credentialId;
  });

  let lastCounter = 0;
  it('signs in with the PIN: verified, UV, BE=1 BS=0, counter 1', async () => {
    const { win, call } = await ff.startCeremony(
      page,
      (id) => kp.login({ username: 'alice', allowCredentials: [id], userVerification: 'required' }),
      credentialId,
    );
    await ff.signIn(win, { account: 'alice', pin: PIN }, page);
    const v = await ff.result(call);
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.newCounter, 1);
    assert.equal(v.userVerified, true);
    assert.equal(v.userHandleMatches, true);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs, uv: v.flags.uv }, { be: true, bs: false, uv: true });
    assert.equal(v.clientData.origin, rp.origin);
    lastCounter = v.newCounter;
  });

  it('signs in again (discoverable): the counter grows', async () => {
    const { win, call } = await ff.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await ff.signIn(win, { account: 'alice', pin: PIN }, page);
    const v = await ff.result(call);
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.ok(v.newCounter > lastCounter, `counter ${v.newCounter} after ${lastCounter}`);
    assert.equal(v.userVerified, true);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs }, { be: true, bs: false });
    assert.equal(v.username, 'alice');
    lastCounter = v.newCounter;
  });

  it('a wrong PIN shows an alert and signs nothing; the right PIN then works', async () => {
    const { win, call } = await ff.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await ff.submitSignIn({ account: 'alice', pin: '000000' });
    assert.match(await ff.alertText(), /PIN/i);
    await ff.signIn(win, { pin: PIN }, page);
    const v = await ff.result(call);
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.newCounter, lastCounter + 1);
  });

  it('the popup (moz-extension://…/popup.html) lists the passkey under "localhost" as "Keyplace vault on this computer"', async () => {
    await ff.openExtensionPage('popup.html');
    let texts = [];
    await ff.driver.wait(async () => {
      const items = await ff.driver.findElements(By.css('li, [role=listitem]'));
      texts = await Promise.all(items.map((li) => li.getText()));
      return texts.some((t) => /alice/.test(t));
    }, 30_000, 'the popup listed no passkey for alice');
    const alice = texts.filter((t) => /alice/.test(t));
    assert.equal(alice.length, 1, `list items: ${JSON.stringify(texts)}`);
    assert.match(alice[0], /Keyplace vault on this computer/);
    const headings = await ff.findByName('heading', 'localhost');
    assert.equal(headings.length, 1, 'a "localhost" heading');
    // Grouping: the nearest heading before the passkey's item is "localhost".
    const site = await ff.driver.executeScript(() => {
      const li = [...document.querySelectorAll('li,[role=listitem]')].find((el) => el.textContent.includes('alice'));
      const hs = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6,[role=heading]')];
      return hs.filter((h) => h.compareDocumentPosition(li) & Node.DOCUMENT_POSITION_FOLLOWING).at(-1)?.textContent.trim();
    });
    assert.equal(site, 'localhost');
    await ff.driver.close();
    await ff.switchTo(page);
  });
});
