// Keyplace's own pages (consent window, popup, options) must be usable by everyone: axe-core finds no
// violations in light and dark themes, and a registration works with the keyboard alone. The test also
// saves the screenshots the README shows.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { launchKeyplace, EXTENSION_ORIGIN, REPO_ROOT } from '../support/browser.mjs';
import { startRpServer } from '../support/rp-server.mjs';
import { startCeremony, cancel } from '../support/consent.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const SCREENSHOTS = path.join(REPO_ROOT, 'tests/screenshots');
const PIN = '246810';

/** Runs axe-core in the page (evaluated over CDP, so the extension's CSP does not block it). */
async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

async function checkBothThemes(page, what) {
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    assert.deepEqual(await axeViolations(page), [], `${what} (${colorScheme} theme)`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Presses Tab until the focused element has this accessible label (keyboard only; bounded). */
async function tabTo(page, label) {
  for (let i = 0; i < 20; i++) {
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return '';
      const byFor = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : '';
      return (el.getAttribute('aria-label') || byFor || el.closest('label')?.textContent || el.textContent || '').trim();
    });
    if (focused.startsWith(label)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached "${label}"`);
}

describe('accessibility of the consent window, popup and options', { timeout: 180_000 }, () => {
  let session, rp, page;

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    rp = await startRpServer();
    session = await launchKeyplace();
    page = await session.newPage(rp.url('/'));
  });
  after(async () => {
    await session?.close();
    await rp?.close();
  });

  it('the registration window has no axe violations (light and dark)', async () => {
    const { win, result } = await startCeremony(session.context, page, () => kp.register({ username: 'erin' }));
    await win.getByRole('radio', { name: /^Vault/ }).check();
    await win.getByLabel('PIN', { exact: true }).waitFor();
    await checkBothThemes(win, 'registration window');
    await win.screenshot({ path: path.join(SCREENSHOTS, 'consent-window.png'), fullPage: true });
    await cancel(win);
    assert.equal((await result).error?.name, 'NotAllowedError');
  });

  it('a registration works with the keyboard alone', async () => {
    const { win, result } = await startCeremony(session.context, page, () =>
      kp.register({ username: 'erin', userVerification: 'required' }),
    );
    await win.getByRole('radio', { name: /^Vault/ }).waitFor();
    // Arrow keys move within the radio group; the Vault choice is reachable without a mouse.
    await tabTo(win, 'Vault');
    await win.keyboard.press('Space');
    await tabTo(win, 'Account name');
    await win.keyboard.press('Control+A');
    await win.keyboard.type('erin-keyboard');
    await tabTo(win, 'PIN');
    await win.keyboard.type(PIN);
    await tabTo(win, 'Confirm PIN');
    await win.keyboard.type(PIN);
    const closed = win.waitForEvent('close', { timeout: 0 });
    await win.keyboard.press('Enter');
    await closed;
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
    assert.equal(v.userVerified, true);
  });

  it('the sign-in window has no axe violations', async () => {
    const { win, result } = await startCeremony(session.context, page, () => kp.login({ userVerification: 'required' }));
    await win.getByRole('button', { name: 'Sign in' }).waitFor();
    await checkBothThemes(win, 'sign-in window');
    await win.screenshot({ path: path.join(SCREENSHOTS, 'sign-in-window.png'), fullPage: true });
    await cancel(win);
    assert.equal((await result).error?.name, 'NotAllowedError');
  });

  it('the popup has no axe violations (light and dark)', async () => {
    const popup = await session.newPage(`${EXTENSION_ORIGIN}/popup.html?site=localhost`);
    await popup.setViewportSize({ width: 420, height: 560 });
    await popup.getByRole('listitem').first().waitFor();
    await checkBothThemes(popup, 'popup');
    await popup.screenshot({ path: path.join(SCREENSHOTS, 'popup.png'), fullPage: true });
    await popup.close();
  });

  it('the options page has no axe violations (light and dark)', async () => {
    const options = await session.newPage(`${EXTENSION_ORIGIN}/options.html`);
    await options.setViewportSize({ width: 900, height: 700 });
    await options.getByRole('heading', { level: 1 }).waitFor();
    await checkBothThemes(options, 'options');
    await options.screenshot({ path: path.join(SCREENSHOTS, 'options.png'), fullPage: true });
    await options.close();
  });
});
