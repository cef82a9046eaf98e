// What the page is told about the platform (ARCHITECTURE.md rule 9): isUserVerifyingPlatformAuthenticatorAvailable()
// says true where Keyplace offers a store that verifies the person (sites hide their passkey button on false),
// and gives the browser's own answer when Keyplace cannot serve (host missing); getClientCapabilities() reports a
// capability only where every path serves it. Compared with the same browser without the extension.

import assert from 'node:assert/strict';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { forEachBrowser } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const uvpaa = () => PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable();
const capabilities = () =>
  typeof PublicKeyCredential.getClientCapabilities === 'function' ? PublicKeyCredential.getClientCapabilities() : null;

forEachBrowser('isUserVerifyingPlatformAuthenticatorAvailable and getClientCapabilities', { timeout: 240_000 }, (browser) => {
  let rp, alone, driver, page, browserAlone, capabilitiesAlone;

  before(async () => {
    rp = await startRpServer();
    alone = await browser.launch({ extension: false, host: false });
    const alonePage = await alone.openPage(rp.url('/'));
    browserAlone = await alonePage.evaluate(uvpaa);
    capabilitiesAlone = await alonePage.evaluate(capabilities);
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
  });
  after(async () => {
    await alone?.close();
    await driver?.close();
    await rp?.close();
  });

  it('is true with Keyplace and its vault, whatever the browser alone says', async (t) => {
    t.diagnostic(`the browser alone says ${browserAlone}`);
    assert.equal(await page.evaluate(uvpaa), true);
  });

  it('getClientCapabilities: true only where Keyplace and the browser both serve it', async (t) => {
    const merged = await page.evaluate(capabilities);
    t.diagnostic(`browser alone: ${JSON.stringify(capabilitiesAlone)}; with Keyplace: ${JSON.stringify(merged)}`);
    if (capabilitiesAlone === null) {
      assert.equal(merged, null, 'Keyplace adds no getClientCapabilities the browser lacks');
      return;
    }
    assert.equal(merged.passkeyPlatformAuthenticator, true);
    assert.equal(merged.userVerifyingPlatformAuthenticator, true);
    // Autofill offers Keyplace's passkeys beside the browser's (autofill.test.mjs).
    assert.equal(merged.conditionalGet, true);
    for (const key of ['hybridTransport', 'relatedOrigins', 'extension:credProps']) {
      assert.equal(merged[key], capabilitiesAlone[key], key);
    }
    // PRF works on every path (both Keyplace stores serve it: prf.test.mjs); Keyplace's own passkeys have no large
    // blob yet, so a site must not count on one on every path.
    if ('extension:prf' in capabilitiesAlone) assert.equal(merged['extension:prf'], capabilitiesAlone['extension:prf']);
    if ('extension:largeBlob' in capabilitiesAlone) assert.equal(merged['extension:largeBlob'], false);
    assert.deepEqual(Object.keys(merged).sort(), [...new Set([...Object.keys(capabilitiesAlone), 'passkeyPlatformAuthenticator', 'userVerifyingPlatformAuthenticator', 'conditionalGet'])].sort());
  });

  it('with the host missing, it is the browser’s own answer', async () => {
    const manifest = await readFile(driver.nativeHostManifest, 'utf8');
    await unlink(driver.nativeHostManifest);
    try {
      // A new background: its next connectNative finds no host.
      await driver.restartBackground(page);
      assert.equal(await page.evaluate(uvpaa), browserAlone);
      assert.deepEqual(await page.evaluate(capabilities), capabilitiesAlone);
    } finally {
      await writeFile(driver.nativeHostManifest, manifest);
    }
  });
});
