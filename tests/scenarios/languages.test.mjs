// Keyplace speaks the browser's language: with a German browser the consent window, the popup, the options and
// the first-run page are German (extension/_locales/de), including the words the background puts together
// (where a passkey is, a wrong PIN), while the page still gets the browser's English DOMException messages.
// How each browser is switched to German: tests/drivers/chromium-launch.mjs and firefox-session.mjs (uiLanguage).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBrowser, until, withRelyingPartyPage } from '../drivers/index.mjs';

const PIN = '246810';

forEachBrowser('Keyplace in German', { timeout: 240_000 }, (browser) => {
  let driver;
  let page;
  withRelyingPartyPage(
    browser,
    (d, _rp, p) => {
      driver = d;
      page = p;
    },
    { uiLanguage: 'de' },
  );

  it('the registration window is German, its three places named as in English', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'greta' }));
    await win.waitFor('radio', /^Tresor — Keyplace-Tresor auf diesem Computer/);
    await win.waitFor('radio', /^Hardware — der Chip in diesem Computer/);
    await win.waitFor('radio', /^Browser — Ihr Browser/);
    assert.equal(await win.evaluate(() => document.documentElement.lang), 'de');
    assert.equal(await win.evaluate(() => document.querySelector('h1').textContent), 'Passkey für localhost erstellen');
    assert.equal(await win.isVisible('button', 'Abbrechen'), true);
    await win.clickAndClose('Abbrechen');
    const error = (await result).error;
    assert.equal(error?.name, 'NotAllowedError');
    // The page never sees the person's language.
    assert.equal(error?.message, 'The operation either timed out or was not allowed.');
  });

  it('a vault passkey is made in German', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'greta' }));
    await win.check('radio', /^Tresor/);
    await win.fill('Kontoname', 'greta');
    await win.fill('PIN', PIN);
    await win.fill('PIN bestätigen', PIN);
    await win.clickAndClose('Passkey erstellen');
    const v = await result;
    assert.equal(v.verified, true, JSON.stringify(v));
  });

  it('a wrong PIN is told in German (a problem the background words)', async () => {
    const { win, result } = await driver.startCeremony(page, () => kp.login({ userVerification: 'required' }));
    await win.waitFor('button', 'Anmelden');
    await win.fill('PIN', '000000');
    await win.click('button', 'Anmelden');
    assert.match(await win.alertText(), /^Falsche PIN\./);
    await win.fill('PIN', PIN);
    await win.clickAndClose('Anmelden');
    assert.equal((await result).verified, true);
  });

  it('the popup is German, where a passkey is included', async () => {
    const popup = await driver.openExtensionPage('popup.html?site=localhost');
    await popup.waitFor('heading', 'Wo Ihre Passkeys sind');
    await popup.waitFor('searchbox', 'Passkeys durchsuchen');
    await popup.waitFor('heading', 'Diese Website: localhost');
    const row = await until('the row of greta', async () => (await popup.texts('listitem')).find((t) => t.includes('greta')));
    assert.match(row, /Keyplace-Tresor auf diesem Computer/);
    assert.match(row, /Erstellt am/);
    assert.equal(await popup.isVisible('button', 'greta umbenennen'), true);
    // Your devices (popup/devices.ts): none yet on this computer.
    await popup.waitFor('heading', 'Ihre Geräte');
    await popup.waitForText('Dieser Computer gehört noch nicht zu Ihren Geräten.');
    assert.equal(await popup.isVisible('button', 'Ihre Geräte hier einrichten…'), true);
    await popup.close();

    // The import dialog is built by its script: its words come from the catalogue too.
    const importing = await driver.openExtensionPage('popup.html?import');
    await importing.waitFor('heading', 'Passkeys importieren');
    assert.equal(await importing.isVisible('button', 'Importieren'), true);
    await importing.close();
  });


  it('the options and the first-run page are German', async () => {
    const options = await driver.openExtensionPage('options.html');
    await options.waitFor('heading', 'Keyplace-Optionen');
    assert.equal(await options.count('combobox', 'Tresor sperren nach'), 1);

    assert.match(await options.text(), /Website-Regeln/);
    await options.close();
    const welcome = await driver.openExtensionPage('welcome.html');
    await welcome.waitFor('heading', 'Willkommen bei Keyplace');
    assert.match(await welcome.text(), /kann nicht kopiert werden/);
    await welcome.close();
  });
});
