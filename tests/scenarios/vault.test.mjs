// A passkey in the Keyplace vault, from registration to repeated sign-ins, judged by @simplewebauthn/server;
// then the popup lists it with its location. In every selected browser.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBrowser, until, withRelyingPartyPage } from '../drivers/index.mjs';

const VAULT_AAGUID = '62ee5665-1fea-485b-9a24-9ccac93787c2';
const PIN = '482913';

forEachBrowser('Keyplace vault', { timeout: 240_000 }, (browser) => {
  let driver, rp, page;
  let credentialId;
  let lastCounter = 0;

  withRelyingPartyPage(browser, (d, r, p) => {
    [driver, rp, page] = [d, r, p];
  });

  it('registers with a new vault PIN; the RP verifies it (BE=1 BS=0, UV, counter 0)', async () => {
    const { win, result } = await driver.startCeremony(page, () =>
      kp.register({ username: 'alice', userVerification: 'required', residentKey: 'required' }),
    );
    // The three storage classes are offered; the vault has no PIN yet, so it asks for one twice.
    await win.waitFor('radio', /^Vault/); // the window renders after asking the background
    for (const name of [/^Hardware/, /^Vault/, /^Browser/])
      assert.equal(await win.count('radio', name), 1, String(name));
    await win.check('radio', /^Vault/);
    await win.waitFor(null, 'PIN');
    await win.waitFor(null, 'Confirm PIN');
    // No TPM and no secret store for this host: the window says the PIN alone protects the vault, and asks for 6+.
    assert.match(await win.text(), /Only this PIN protects the vault on this computer/);
    await win.fill('Account name', 'alice');
    await win.fill('PIN', '48291');
    await win.fill('Confirm PIN', '48291');
    await win.click('button', 'Create passkey');
    assert.equal(await win.alertText(), 'Choose a PIN of at least 6 characters.');
    await win.createInVault({ account: 'alice', pin: PIN, newPin: true });

    const v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.fmt, 'none');
    assert.equal(v.aaguid, VAULT_AAGUID);
    assert.equal(v.userVerified, true);
    assert.deepEqual(
      { be: v.flags.be, bs: v.flags.bs, uv: v.flags.uv, up: v.flags.up },
      { be: true, bs: false, uv: true, up: true },
    );
    assert.equal(v.credentialDeviceType, 'multiDevice');
    assert.equal(v.credentialBackedUp, false);
    assert.equal(v.counter, 0);
    assert.equal(v.clientData.origin, rp.origin);
    assert.equal(v.rpID, 'localhost');
    assert.equal(v.isPublicKeyCredential, true);
    credentialId = v.credentialId;
  });

  it('signs in with the PIN: verified, UV, BE=1 BS=0, counter 1', async () => {
    const { win, result } = await driver.startCeremony(
      page,
      (id) => kp.login({ username: 'alice', allowCredentials: [id], userVerification: 'required' }),
      credentialId,
    );
    await win.signIn({ account: 'alice', pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.newCounter, 1);
    assert.equal(v.userVerified, true);
    assert.equal(v.userHandleMatches, true);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs, uv: v.flags.uv }, { be: true, bs: false, uv: true });
    assert.equal(v.credentialDeviceType, 'multiDevice');
    assert.equal(v.credentialBackedUp, false);
    assert.equal(v.clientData.origin, rp.origin);
    lastCounter = v.newCounter;
  });

  it('signs in again (discoverable, no allowCredentials): counter 2', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await win.signIn({ account: 'alice', pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.newCounter, 2);
    assert.ok(v.newCounter > lastCounter, `counter ${v.newCounter} after ${lastCounter}`);
    assert.equal(v.userVerified, true);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs }, { be: true, bs: false });
    assert.equal(v.username, 'alice');
    lastCounter = v.newCounter;
  });

  it('"preferred" with the vault unlocked still asks the PIN; the RP verifies with its library defaults', async () => {
    // The vault is unlocked by the sign-ins above, yet "preferred" means the PIN at every ceremony, and UV=1
    // only then: @simplewebauthn/server requires UV unless told otherwise (the test RP sends no override here).
    const { win, result } = await driver.startCeremony(page, () => kp.login({ userVerification: 'preferred' }));
    await win.fillSignIn({ account: 'alice' });
    assert.equal(await win.isVisible(null, 'PIN'), true, 'the PIN is asked although the vault is unlocked');
    await win.signIn({ pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.userVerified, true);
    assert.equal(v.flags.uv, true);
    assert.equal(v.newCounter, lastCounter + 1);
    lastCounter = v.newCounter;
  });

  it('"discouraged" with the vault unlocked signs without a PIN, and says UV=0', async () => {
    const { win, result } = await driver.startCeremony(page, () =>
      kp.login({ userVerification: 'discouraged', requireUserVerification: false }),
    );
    await win.fillSignIn({ account: 'alice' });
    assert.equal(await win.isVisible(null, 'PIN'), false, 'no PIN field for an unlocked vault under "discouraged"');
    await win.clickAndClose('Sign in');
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.flags.uv, false);
    assert.equal(v.newCounter, lastCounter + 1);
    lastCounter = v.newCounter;
  });

  it("the site's hints order the window's choices: a security key first puts Browser first", async () => {
    // [hints, the first choice, the preselected one]: no TPM here, so Hardware is shown but unavailable.
    for (const [hints, first, preselected] of [
      [['security-key'], /^Browser/, /^Browser/],
      [['hybrid', 'client-device'], /^Browser/, /^Browser/],
      [['client-device', 'security-key'], /^Hardware/, /^Vault/],
    ]) {
      const { win, result } = await driver.startCeremony(
        page,
        (h) => kp.register({ username: 'hinted', hints: h }),
        hints,
      );
      await win.waitFor('radio', /^Vault/);
      // The choices in the window's order, by their labels (what a person reads top to bottom).
      const radios = await win.evaluate(() =>
        [...document.querySelectorAll('input[type=radio]')].map((r) => r.labels?.[0]?.innerText ?? ''),
      );
      assert.match(radios[0] ?? '', first, `${hints}: ${JSON.stringify(radios)}`);
      assert.equal(await win.isChecked('radio', preselected), true, `${hints}: ${preselected} is preselected`);
      await win.cancel();
      assert.equal((await result).error?.name, 'NotAllowedError');
    }
  });

  it('a wrong PIN shows an alert, then the right PIN still works (counter +1 only)', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await win.submitSignIn({ account: 'alice', pin: '000000' });
    assert.match(await win.alertText(), /PIN/i);
    assert.equal(await win.isClosed(), false);
    await win.signIn({ pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.userVerified, true);
    // The failed try must not have signed anything.
    assert.equal(v.newCounter, lastCounter + 1);
  });

  it('the popup lists the passkey under "localhost" as "Keyplace vault on this computer"', async () => {
    const popup = await driver.openExtensionPage('popup.html');
    await popup.waitFor('heading', 'localhost');
    const alice = await until('the popup to list alice', async () => {
      const found = (await popup.texts('listitem')).filter((t) => /alice/.test(t));
      return found.length ? found : null;
    });
    assert.equal(alice.length, 1, JSON.stringify(alice));
    assert.match(alice[0], /Keyplace vault on this computer/);
    assert.equal(await popup.count('heading', 'localhost'), 1);
    // Grouping: the nearest site heading before the passkey is "localhost".
    const siteOfItem = await popup.evaluate(() => {
      const li = [...document.querySelectorAll('li,[role=listitem]')].find((el) => el.textContent.includes('alice'));
      const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6,[role=heading]')];
      return headings
        .filter((h) => h.compareDocumentPosition(li) & Node.DOCUMENT_POSITION_FOLLOWING)
        .at(-1)
        ?.textContent.trim();
    });
    assert.equal(siteOfItem, 'localhost');
    await popup.close();
  });

  it("the extension's own metrics record the vault ceremonies (what the benchmark reads)", async () => {
    const metrics = await driver.metrics();
    const vault = (metrics?.ceremonies ?? []).filter((c) => c.store === 'vault');
    assert.deepEqual([...new Set(vault.map((c) => c.kind))].sort(), ['create', 'get'], JSON.stringify(metrics));
    assert.ok(vault.filter((c) => c.kind === 'get').length >= 3, JSON.stringify(vault));
  });
});
