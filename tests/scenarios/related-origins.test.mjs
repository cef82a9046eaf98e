// Related origin requests (WebAuthn L3 §5.11; ARCHITECTURE.md rules 1 and 9): https://login.shop.test uses
// the RP ID accounts.keyplace.test, whose /.well-known/webauthn lists it. Keyplace fetches that document,
// checks it and serves the request in its window; a request whose RP ID does not list the page ends exactly
// as it ends in the browser alone, with no Keyplace window. The host names map to the loopback in the
// browser and the HTTPS server uses a certificate the test makes; the document is fetched on port 443, so the
// server listens there (the suite is skipped with the reason when it cannot).

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, it } from 'node:test';
import { forEachBrowser } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { makeTestCertificate, opensslUnavailable } from '../support/tls.mjs';

const PAGE_HOST = 'login.shop.test';
const RP_ID = 'accounts.keyplace.test';
const CLOSED_RP_ID = 'closed.keyplace.test';
const PIN = '730418';

/** Why port 443 cannot be used here, or null. */
async function port443Unavailable() {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', (err) => resolve(`cannot listen on 127.0.0.1:443 (${err.code}): run as root`));
    probe.listen(443, '127.0.0.1', () => probe.close(() => resolve(null)));
  });
}
const unavailable = (await opensslUnavailable()) ?? (await port443Unavailable());

const outcome = (v) => (v.error ? { error: v.error.name ?? String(v.error) } : { verified: v.verified });

forEachBrowser('related origins', { timeout: 300_000, skip: unavailable }, (browser) => {
  let rp, alone, driver, alonePage, page;

  before(async () => {
    const certificate = await makeTestCertificate([PAGE_HOST, RP_ID, CLOSED_RP_ID]);
    rp = await startRpServer({
      tls: {
        ...certificate,
        port: 443,
        pageHost: PAGE_HOST,
        wellKnown: {
          [RP_ID]: ['https://unrelated.example', `https://${PAGE_HOST}`],
          [CLOSED_RP_ID]: ['https://elsewhere.example'],
        },
      },
    });
    const testHosts = { names: [PAGE_HOST, RP_ID, CLOSED_RP_ID], spkiSha256: certificate.spkiSha256 };
    alone = await browser.launch({ extension: false, host: false, testHosts });
    alonePage = await alone.openPage(rp.url('/'));
    await alone.addVirtualAuthenticator(alonePage);
    driver = await browser.launch({ testHosts });
    page = await driver.openPage(rp.url('/'));
    await driver.addVirtualAuthenticator(page);
  });
  after(async () => {
    await alone?.close();
    await driver?.close();
    await rp?.close();
  });

  let credentialId;

  it('registers a vault passkey for the related RP ID; the RP verifies origin and RP ID', async () => {
    const { win, result } = await driver.startCeremony(
      page,
      (rpId) => kp.register({ username: 'ada', rpId, residentKey: 'required' }),
      RP_ID,
    );
    await win.createInVault({ account: 'ada', pin: PIN, newPin: true });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.rpID, RP_ID);
    assert.equal(v.clientData.origin, `https://${PAGE_HOST}`);
    assert.equal(v.userVerified, true);
    credentialId = v.credentialId;
  });

  it('signs in with it from the related origin (PIN, library defaults)', async () => {
    assert.ok(credentialId, 'the registration above must have passed');
    const { win, result } = await driver.startCeremony(
      page,
      ({ rpId, id }) => kp.login({ rpId, allowCredentials: [id] }),
      { rpId: RP_ID, id: credentialId },
    );
    await win.signIn({ pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.rpID, RP_ID);
  });

  it('the browser’s own passkey for the related RP ID: the same outcome with Keyplace as without', async (t) => {
    const call = (rpId) => kp.register({ username: 'grace', rpId, residentKey: 'discouraged' });
    const expected = outcome(await alonePage.evaluate(call, RP_ID));
    const { win, result } = await driver.startCeremony(page, call, RP_ID);
    await win.createInBrowser();
    const got = outcome(await result);
    t.diagnostic(`browser alone: ${JSON.stringify(expected)}; with Keyplace (Browser chosen): ${JSON.stringify(got)}`);
    assert.deepEqual(got, expected);
  });

  it('an RP ID whose document does not list the page: no window, and the browser’s own outcome', async (t) => {
    const call = (rpId) => kp.register({ username: 'eve', rpId, timeout: 4_000 });
    const expected = outcome(await alonePage.evaluate(call, CLOSED_RP_ID));
    const { result, consentWindows } = await driver.withoutWindow(page, call, CLOSED_RP_ID);
    t.diagnostic(`browser alone: ${JSON.stringify(expected)}; with Keyplace: ${JSON.stringify(outcome(result))}`);
    assert.deepEqual(consentWindows, []);
    assert.deepEqual(outcome(result), expected);
    assert.equal(expected.error, 'SecurityError');
  });
});
