// WebAuthn prf with Keyplace vault passkeys (the extension password managers and encrypted apps derive keys with):
// the same input gives the same value at registration and at every sign-in, another input or another passkey gives
// another value, evalByCredential picks per passkey, and the relying party verifies every ceremony. The values'
// construction (hmac-secret with the credential's own secret) is cross-checked in native-host/src/stores/vault_prf.rs.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { accountName, forEachBrowser, withRelyingPartyPage } from '../drivers/index.mjs';
import { withPrf } from '../support/prf-page.mjs';

const PIN = '905127';

forEachBrowser('prf with Keyplace vault passkeys', { timeout: 300_000 }, (browser) => {
  let driver, page;
  const ids = {};
  let firstValue;

  withRelyingPartyPage(browser, (d, _rp, p) => {
    [driver, page] = [d, p];
  });

  const signIn = async (account, arg) => {
    const { win, result } = await driver.startCeremony(page, withPrf, { kind: 'get', ...arg });
    await win.signIn({ account, pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    return v;
  };

  it('registers a vault passkey with prf: enabled, and a value for eval', async () => {
    const { win, result } = await driver.startCeremony(page, withPrf, {
      kind: 'create',
      username: 'prf-one',
      prf: { eval: { first: 'salt one' } },
    });
    await win.createInVault({ account: 'prf-one', pin: PIN, newPin: true });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.prf.enabled, true);
    assert.equal(Buffer.from(v.prf.first, 'base64url').length, 32);
    ids.one = v.credentialId;
    firstValue = v.prf.first;
  });

  it('signs in with the same input: the same value; with another: another', async () => {
    const same = await signIn('prf-one', { allow: [ids.one], prf: { eval: { first: 'salt one' } } });
    assert.equal(same.prf.first, firstValue);
    assert.equal(same.prf.enabled, undefined, 'enabled is a registration output only');
    const two = await signIn('prf-one', { allow: [ids.one], prf: { eval: { first: 'salt two', second: 'salt one' } } });
    assert.notEqual(two.prf.first, firstValue);
    assert.equal(two.prf.second, firstValue);
  });

  it('evalByCredential picks each passkey’s own input, and another passkey has another secret', async () => {
    const { win, result } = await driver.startCeremony(page, withPrf, {
      kind: 'create',
      username: 'prf-two',
      prf: {},
    });
    await win.createInVault({ account: 'prf-two', pin: PIN });
    const created = await result;
    assert.equal(created.verified, true, JSON.stringify(created));
    assert.equal(created.prf.enabled, true);
    assert.equal(created.prf.first, undefined, 'no eval, no value');
    ids.two = created.credentialId;

    const byCredential = {
      allow: [ids.one, ids.two],
      prf: { eval: { first: 'salt two' }, evalByCredential: { [ids.two]: { first: 'salt one' } } },
    };
    const two = await signIn('prf-two', byCredential);
    assert.equal(two.credentialId, ids.two);
    assert.notEqual(two.prf.first, firstValue, 'same input, another passkey');
    const one = await signIn('prf-one', byCredential);
    assert.equal(one.credentialId, ids.one);
    const again = await signIn('prf-one', { allow: [ids.one], prf: { eval: { first: 'salt two' } } });
    assert.equal(one.prf.first, again.prf.first, 'without its own entry, a passkey takes eval');
  });

  it('no prf asked: no prf output', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.login({}));
    await win.waitFor('radio', accountName('prf-one'));
    await win.signIn({ account: 'prf-one', pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.deepEqual(v.clientExtensionResults, {});
  });
});
