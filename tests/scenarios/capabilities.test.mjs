// What the page is told about the platform (ARCHITECTURE.md rule 9): isUserVerifyingPlatformAuthenticatorAvailable()
// says true where Keyplace offers a store that verifies the person (sites hide their passkey button on false),
// and gives the browser's own answer when Keyplace cannot serve (host missing). Compared with the same browser
// without the extension.

import assert from 'node:assert/strict';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { forEachBrowser } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const uvpaa = () => PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable();

forEachBrowser('isUserVerifyingPlatformAuthenticatorAvailable', { timeout: 240_000 }, (browser) => {
  let rp, alone, driver, page, browserAlone;

  before(async () => {
    rp = await startRpServer();
    alone = await browser.launch({ extension: false, host: false });
    browserAlone = await (await alone.openPage(rp.url('/'))).evaluate(uvpaa);
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

  it('with the host missing, it is the browser’s own answer', async () => {
    const manifest = await readFile(driver.nativeHostManifest, 'utf8');
    await unlink(driver.nativeHostManifest);
    try {
      // A new background: its next connectNative finds no host.
      await driver.restartBackground(page);
      assert.equal(await page.evaluate(uvpaa), browserAlone);
    } finally {
      await writeFile(driver.nativeHostManifest, manifest);
    }
  });
});
