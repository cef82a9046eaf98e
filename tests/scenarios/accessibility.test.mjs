// Keyplace's own pages (consent window, popup, options) must be usable by everyone: axe-core finds no
// violations in light and dark themes, and a registration works with the keyboard alone. In Chromium the
// test also saves the screenshots the README shows (tests/screenshots/).
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { forEachBrowser, until } from '../drivers/index.mjs';
import { REPO_ROOT } from '../support/build-outputs.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const SCREENSHOTS = path.join(REPO_ROOT, 'tests/screenshots');
const PIN = '246810';

async function checkBothThemes(surface, what) {
  for (const scheme of ['light', 'dark']) {
    await surface.colorScheme(scheme);
    assert.deepEqual(await surface.axeViolations(), [], `${what} (${scheme} theme)`);
  }
  await surface.colorScheme('light');
}

/** Presses Tab until the focused element has this accessible label (keyboard only; bounded). */
async function tabTo(surface, label) {
  for (let i = 0; i < 20; i++) {
    if ((await surface.focusedLabel()).startsWith(label)) return;
    await surface.press('Tab');
  }
  throw new Error(`Tab never reached "${label}"`);
}

forEachBrowser('accessibility of the consent window, popup and options', { timeout: 240_000 }, (browser) => {
  let driver, rp, page;
  // The README's pictures come from one browser only, so they do not change with the order of the runs.
  const screenshot = async (surface, name, size) => {
    if (browser.name !== 'chromium') return;
    if (size) await surface.setSize(...size);
    await surface.screenshot(path.join(SCREENSHOTS, name));
  };

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    rp = await startRpServer();
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
  });
  after(async () => {
    await driver?.close();
    await rp?.close();
  });

  it('the registration window has no axe violations (light and dark)', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'erin' }));
    await win.check('radio', /^Vault/);
    await win.waitFor(null, 'PIN');
    await checkBothThemes(win, 'registration window');
    await screenshot(win, 'consent-window.png');
    await win.cancel();
    assert.equal((await result).error?.name, 'NotAllowedError');
  });

  it('a registration works with the keyboard alone', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'erin', userVerification: 'required' }));
    await win.waitFor('radio', /^Vault/);
    // Arrow keys move within the radio group; the Vault choice is reachable without a mouse.
    await tabTo(win, 'Vault');
    await win.press('Space');
    await tabTo(win, 'Account name');
    await win.press('Control+A');
    await win.type('erin-keyboard');
    await tabTo(win, 'PIN');
    await win.type(PIN);
    await tabTo(win, 'Confirm PIN');
    await win.type(PIN);
    const closed = win.waitClosed();
    await win.press('Enter');
    await closed;
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.userVerified, true);
  });

  it('the sign-in window has no axe violations', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await win.waitFor('button', 'Sign in');
    await checkBothThemes(win, 'sign-in window');
    await screenshot(win, 'sign-in-window.png');
    await win.cancel();
    assert.equal((await result).error?.name, 'NotAllowedError');
  });

  it('the popup has no axe violations (light and dark)', async () => {
    const popup = await driver.openExtensionPage('popup.html?site=localhost');
    await popup.waitFor('listitem');
    await checkBothThemes(popup, 'popup');
    await screenshot(popup, 'popup.png', [420, 560]);
    await popup.close();
  });

  it('the options page has no axe violations (light and dark)', async () => {
    const options = await driver.openExtensionPage('options.html');
    await until('the options heading', () => options.evaluate(() => document.querySelector('h1') !== null));
    await checkBothThemes(options, 'options');
    await screenshot(options, 'options.png', [900, 700]);
    await options.close();
  });
});
