// A passkey in the Keyplace vault, from registration to repeated sign-ins, judged by @simplewebauthn/server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchKeyplace, EXTENSION_ORIGIN } from '../support/browser.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startCeremony, createInVault, signIn, submitSignIn, alertText, pinField, confirmPinField } from '../support/consent.mjs';

const VAULT_AAGUID = '62ee5665-1fea-485b-9a24-9ccac93787c2';
const PIN = '482913';

describe('Keyplace vault', { timeout: 180_000 }, () => {
  let session, rp, page;
  let credentialId;
  let lastCounter = 0;

  before(async () => {
    rp = await startRpServer();
    session = await launchKeyplace();
    page = await session.newPage(rp.url('/'));
  });
  after(async () => {
    await session?.close();
    await rp?.close();
  });

  it('registers with a new vault PIN and the RP verifies it', async () => {
    const { win, result } = await startCeremony(session.context, page, () =>
      kp.register({ username: 'alice', userVerification: 'required', residentKey: 'required' }),
    );
    // The three storage classes are offered; the vault has no PIN yet, so it asks for one twice.
    await win.getByRole('radio', { name: /^Vault/ }).waitFor(); // the window renders after asking the background
    for (const name of [/^Hardware/, /^Vault/, /^Browser/]) assert.equal(await win.getByRole('radio', { name }).count(), 1, String(name));
    await win.getByRole('radio', { name: /^Vault/ }).check();
    await pinField(win).waitFor();
    await confirmPinField(win).waitFor();
    await createInVault(win, { account: 'alice', pin: PIN, newPin: true });

    const v = await result;
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.fmt, 'none');
    assert.equal(v.aaguid, VAULT_AAGUID);
    assert.equal(v.userVerified, true);
    assert.deepEqual({ be: v.flags.be, bs: v.flags.bs, uv: v.flags.uv, up: v.flags.up }, { be: true, bs: false, uv: true, up: true });
    assert.equal(v.credentialDeviceType, 'multiDevice');
    assert.equal(v.credentialBackedUp, false);
    assert.equal(v.counter, 0);
    assert.equal(v.clientData.origin, rp.origin);
    assert.equal(v.rpID, 'localhost');
    credentialId = v.credentialId;
  });

  it('signs in with the PIN: verified, UV, counter 1', async () => {
    const { win, result } = await startCeremony(
      session.context,
      page,
      (id) => kp.login({ username: 'alice', allowCredentials: [id], userVerification: 'required' }),
      credentialId,
    );
    await signIn(win, { account: 'alice', pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.newCounter, 1);
    assert.equal(v.userVerified, true);
    assert.equal(v.userHandleMatches, true);
    assert.equal(v.credentialDeviceType, 'multiDevice');
    assert.equal(v.credentialBackedUp, false);
    assert.equal(v.clientData.origin, rp.origin);
    lastCounter = v.newCounter;
  });

  it('signs in again (discoverable, no allowCredentials): counter 2', async () => {
    const { win, result } = await startCeremony(session.context, page, () => kp.login({ userVerification: 'required' }));
    await signIn(win, { account: 'alice', pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.credentialId, credentialId);
    assert.equal(v.newCounter, 2);
    assert.equal(v.username, 'alice');
    lastCounter = v.newCounter;
  });

  it('a wrong PIN shows an alert, then the right PIN still works (counter +1 only)', async () => {
    const { win, result } = await startCeremony(session.context, page, () => kp.login({ userVerification: 'required' }));
    await submitSignIn(win, { account: 'alice', pin: '000000' });
    const problem = await alertText(win);
    assert.match(problem, /PIN/i);
    assert.equal(win.isClosed(), false);
    await signIn(win, { pin: PIN });
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.userVerified, true);
    // The failed try must not have signed anything.
    assert.equal(v.newCounter, lastCounter + 1);
  });

  it('the popup lists the passkey under "localhost" as "Keyplace vault on this computer"', async () => {
    const popup = await session.newPage(`${EXTENSION_ORIGIN}/popup.html`);
    const heading = popup.getByRole('heading', { name: 'localhost', exact: true });
    await heading.waitFor();
    const item = popup.getByRole('listitem').filter({ hasText: 'alice' });
    await item.waitFor();
    assert.equal(await item.count(), 1);
    assert.match(await item.innerText(), /Keyplace vault on this computer/);
    // Grouping: the nearest site heading before the passkey is "localhost".
    const siteOfItem = await item.evaluate((li) => {
      const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6,[role=heading]')];
      const before = headings.filter((h) => h.compareDocumentPosition(li) & Node.DOCUMENT_POSITION_FOLLOWING);
      return before.at(-1)?.textContent.trim();
    });
    assert.equal(siteOfItem, 'localhost');
    await popup.close();
  });
});
