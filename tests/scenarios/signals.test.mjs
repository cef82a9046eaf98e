// The Signal API (WebAuthn L3 §5.1.10) with Keyplace's passkeys: a passkey the site no longer knows or accepts is
// hidden from sign-in and marked in the popup, where the person keeps or deletes it; a renamed account gets its
// new name; only the site's own RP ID counts. The page's promise is the browser's own (the browser applies the
// signal to its passkeys), so it resolves or rejects exactly as without Keyplace.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { accountName, forEachBrowser, until, withRelyingPartyPage } from '../drivers/index.mjs';

const PIN = '604182';

forEachBrowser('Signal API', { timeout: 300_000 }, (browser) => {
  let driver, rp, page;
  const ids = {};
  let userId;

  withRelyingPartyPage(browser, (d, r, p) => {
    [driver, rp, page] = [d, r, p];
  });

  /** The accounts a discoverable sign-in offers in the Keyplace window (then cancelled). */
  async function offered() {
    await page.bringToFront(); // a popup tab may be in front: a background tab starts no ceremony
    const { win, result } = await driver.startCeremony(page, () => kp.login({}));
    await win.waitFor('button', 'Sign in');
    const names = [];
    for (const name of ['ana-phone', 'ana-laptop', 'ana.new'])
      if ((await win.count('radio', accountName(name))) > 0) names.push(name);
    await win.cancel();
    assert.equal((await result).error?.name, 'NotAllowedError');
    return names;
  }

  const signal = (method, options) =>
    page.evaluate(
      async ({ method, options }) => {
        if (typeof PublicKeyCredential[method] !== 'function') return { missing: true };
        try {
          await PublicKeyCredential[method](options);
          return { ok: true };
        } catch (err) {
          return { error: err.name };
        }
      },
      { method, options },
    );

  /** Waits for the popup to show (or no longer show) the site's word on an account's row. */
  async function popupSays(account, words) {
    const popup = await driver.openExtensionPage('popup.html?site=localhost');
    try {
      await until(`the popup's row for ${account} to ${words ? `say "${words}"` : 'carry no mark'}`, async () => {
        const rows = (await popup.texts('listitem')).filter((t) => t.includes(account));
        if (!rows.length) return false;
        return words ? rows.some((t) => t.includes(words)) : rows.every((t) => !/says it no longer|no longer accepts/.test(t));
      });
      return popup;
    } catch (err) {
      await popup.close();
      throw err;
    }
  }

  it('two vault passkeys of one account', async () => {
    for (const account of ['ana-phone', 'ana-laptop']) {
      const { win, result } = await driver.startCeremony(page, () =>
        kp.register({ username: 'ana', residentKey: 'required' }),
      );
      await win.createInVault({ account, pin: PIN, newPin: account === 'ana-phone' });
      const v = await result;
      assert.equal(v.verified, true, JSON.stringify(v));
      ids[account] = v.credentialId;
    }
    userId = Buffer.from(rp.users.get('ana').id).toString('base64url');
    assert.deepEqual(await offered(), ['ana-phone', 'ana-laptop']);
  });

  it('signalUnknownCredential hides the passkey; the popup marks it and "Keep" brings it back', async (t) => {
    const answer = await signal('signalUnknownCredential', { rpId: 'localhost', credentialId: ids['ana-phone'] });
    t.diagnostic(`the page's promise: ${JSON.stringify(answer)}`);
    assert.equal(answer.error, undefined);
    const popup = await popupSays('ana-phone', 'localhost says it no longer knows this passkey');
    assert.deepEqual(await offered(), ['ana-laptop']);
    await popup.click('button', 'Keep ana-phone');
    await until('the mark to go', async () => !(await popup.text()).includes('no longer knows'));
    await popup.close();
    assert.deepEqual(await offered(), ['ana-phone', 'ana-laptop']);
  });

  it('signalAllAcceptedCredentials hides the account’s other passkeys, and shows them again once accepted', async () => {
    await signal('signalAllAcceptedCredentials', {
      rpId: 'localhost',
      userId,
      allAcceptedCredentialIds: [ids['ana-laptop']],
    });
    await (await popupSays('ana-phone', 'localhost no longer accepts this passkey')).close();
    assert.deepEqual(await offered(), ['ana-laptop']);
    await signal('signalAllAcceptedCredentials', {
      rpId: 'localhost',
      userId,
      allAcceptedCredentialIds: [ids['ana-laptop'], ids['ana-phone']],
    });
    await (await popupSays('ana-phone', null)).close();
    assert.deepEqual(await offered(), ['ana-phone', 'ana-laptop']);
  });

  it('signalCurrentUserDetails renames the account’s passkeys', async () => {
    await signal('signalCurrentUserDetails', { rpId: 'localhost', userId, name: 'ana.new', displayName: 'Ana' });
    await (await popupSays('ana.new', null)).close();
    assert.deepEqual(await offered(), ['ana.new']);
  });

  it('another site’s RP ID and malformed ids change nothing; the page gets the browser’s own answer', async (t) => {
    const foreign = await signal('signalUnknownCredential', { rpId: 'keyplace.invalid', credentialId: ids['ana-phone'] });
    const malformed = await signal('signalUnknownCredential', { rpId: 'localhost', credentialId: '+not/base64url=' });
    t.diagnostic(`foreign: ${JSON.stringify(foreign)}; malformed: ${JSON.stringify(malformed)}`);
    // The browser's own answer where it has the Signal API; Keyplace's (the same names) where only Keyplace serves it.
    assert.equal(foreign.error, 'SecurityError');
    assert.equal(malformed.error, 'TypeError');
    // Keyplace's own check refused both: after a real signal that follows them, nothing else is marked.
    await signal('signalCurrentUserDetails', { rpId: 'localhost', userId, name: 'ana.final', displayName: 'Ana' });
    await (await popupSays('ana.final', null)).close();
    await page.bringToFront();
    const { win, result } = await driver.startCeremony(page, () => kp.login({}));
    await win.waitFor('button', 'Sign in');
    assert.equal(await win.count('radio', accountName('ana.final')), 2);
    await win.cancel();
    assert.equal((await result).error?.name, 'NotAllowedError');
  });
});
