// Never worse than the browser alone (ARCHITECTURE.md rule 9): a request Keyplace cannot serve completely goes
// to the browser untouched, with no Keyplace window, and ends exactly as it ends in the same browser without
// Keyplace. Each case runs in a browser without the extension and in one with it, both with the browser's
// virtual authenticator, and the two outcomes (verified, or the error's name) must be the same.

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachBrowser } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

/** What a relying party saw: verified (and by whom), or the error the page got. */
const outcome = (v) => (v.error ? { error: v.error.name ?? String(v.error) } : { verified: v.verified });

const CASES = [
  {
    title: 'an RS256-only registration',
    call: () => kp.register({ username: 'rsa', algorithms: [-257], residentKey: 'discouraged', timeout: 10_000 }),
  },
  {
    title: 'a registration asking for a security key or phone (cross-platform)',
    call: () =>
      kp.register({
        username: 'roaming',
        authenticatorAttachment: 'cross-platform',
        residentKey: 'discouraged',
        timeout: 4_000,
      }),
  },
  {
    title: 'a registration insisting on credProtect "userVerificationRequired"',
    call: () =>
      kp.register({
        username: 'protected',
        residentKey: 'required',
        userVerification: 'required',
        extensions: { credentialProtectionPolicy: 'userVerificationRequired', enforceCredentialProtectionPolicy: true },
        timeout: 10_000,
      }),
  },
  {
    title: 'a registration requiring largeBlob',
    call: () =>
      kp.register({
        username: 'blob',
        residentKey: 'required',
        extensions: { largeBlob: { support: 'required' } },
        timeout: 10_000,
      }),
  },
  {
    title: 'a registration with no algorithm anybody supports',
    call: () => kp.register({ username: 'nobody', algorithms: [-65535], residentKey: 'discouraged', timeout: 4_000 }),
  },
  {
    title: 'a registration for an RP ID that is not this site’s (keyplace.invalid from localhost)',
    call: () => kp.register({ username: 'foreign', rpId: 'keyplace.invalid', timeout: 4_000 }),
  },
  {
    title: 'a sign-in for an RP ID that is not this site’s',
    call: () => kp.login({ rpId: 'keyplace.invalid', timeout: 4_000 }),
  },
];

forEachBrowser('never worse than the browser alone', { timeout: 300_000 }, (browser) => {
  let rp, alone, withKeyplace, alonePage, keyplacePage;

  before(async () => {
    rp = await startRpServer();
    alone = await browser.launch({ extension: false, host: false });
    alonePage = await alone.openPage(rp.url('/'));
    await alone.addVirtualAuthenticator(alonePage);
    withKeyplace = await browser.launch();
    keyplacePage = await withKeyplace.openPage(rp.url('/'));
    await withKeyplace.addVirtualAuthenticator(keyplacePage);
  });
  after(async () => {
    await alone?.close();
    await withKeyplace?.close();
    await rp?.close();
  });

  for (const { title, call } of CASES) {
    it(`${title}: the same outcome with Keyplace as without, and no Keyplace window`, async (t) => {
      const expected = outcome(await alonePage.evaluate(call));
      const { result, consentWindows } = await withKeyplace.withoutWindow(keyplacePage, call);
      t.diagnostic(`browser alone: ${JSON.stringify(expected)}; with Keyplace: ${JSON.stringify(outcome(result))}`);
      assert.deepEqual(consentWindows, []);
      assert.deepEqual(outcome(result), expected);
    });
  }
});
