// Checks the test harness itself, without Keyplace: the relying party against Chromium's own virtual
// authenticator, and the launch recipe + window helpers against a tiny stub extension.
// If these fail, the e2e results mean nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startRpServer } from '../support/rp-server.mjs';
import {
  CHROMIUM,
  chromiumArgs,
  browserEnv,
  makeTempDirs,
  nextConsentWindow,
  serviceWorker,
  virtualAuthenticator,
  watchConsentWindows,
} from '../drivers/chromium-launch.mjs';
import { rm } from 'node:fs/promises';

// A stub that opens /consent.html in a popup window when the page posts {stub:'open'}, like Keyplace does.
async function writeStubExtension(dir) {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      manifest_version: 3,
      name: 'harness stub',
      version: '1',
      background: { service_worker: 'bg.js', type: 'module' },
      content_scripts: [{ matches: ['http://localhost/*'], js: ['cs.js'], run_at: 'document_start' }],
    }),
  );
  await writeFile(
    path.join(dir, 'bg.js'),
    `chrome.runtime.onMessage.addListener((m, sender, reply) => {
       chrome.windows.create({ url: 'consent.html?for=' + encodeURIComponent(sender.origin), type: 'popup', width: 400, height: 500 });
       reply({ ok: true });
     });`,
  );
  await writeFile(
    path.join(dir, 'cs.js'),
    `window.addEventListener('message', (e) => { if (e.source === window && e.data && e.data.stub === 'open') chrome.runtime.sendMessage({ open: true }); });`,
  );
  await writeFile(
    path.join(dir, 'consent.html'),
    `<!doctype html><title>stub consent</title><label><input type="radio" name="s"> Vault</label><button>Cancel</button>`,
  );
}

describe('relying party + Chromium virtual authenticator (no extension)', () => {
  let rp, dirs, context, page, va;
  before(async () => {
    rp = await startRpServer();
    dirs = await makeTempDirs('keyplace-harness-');
    context = await chromium.launchPersistentContext(dirs.profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: chromiumArgs(null),
      env: browserEnv(dirs),
      viewport: null,
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(rp.url('/'));
    va = await virtualAuthenticator(page);
  });
  after(async () => {
    await context?.close();
    await rp?.close();
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  let credentialId;
  it('registers and the RP library verifies it', async () => {
    const v = await page.evaluate(() => kp.register({ username: 'bob', userVerification: 'required', residentKey: 'required' }));
    assert.equal(v.error, undefined, JSON.stringify(v.error));
    assert.equal(v.verified, true);
    assert.equal(v.fmt, 'none');
    assert.equal(v.userVerified, true);
    assert.equal(v.clientData.origin, rp.origin);
    assert.equal(v.clientData.type, 'webauthn.create');
    credentialId = v.credentialId;
    assert.equal((await va.credentials()).length, 1);
  });

  it('signs in with allowCredentials and the counter grows', async () => {
    const v1 = await page.evaluate((id) => kp.login({ allowCredentials: [id], userVerification: 'required' }), credentialId);
    assert.equal(v1.verified, true, v1.error);
    assert.equal(v1.credentialId, credentialId);
    assert.equal(v1.userHandleMatches, true);
    const v2 = await page.evaluate(() => kp.login({ userVerification: 'preferred' }));
    assert.equal(v2.verified, true, v2.error);
    assert.ok(v2.newCounter > v1.newCounter || v2.newCounter === 0);
  });

  it('reports browser rejections as {error:{name}}', async () => {
    const v = await page.evaluate(() => kp.register({ username: 'bob', rpId: 'example.com' }));
    assert.equal(v.error?.name, 'SecurityError');
    const ip = await context.newPage();
    await ip.goto(rp.ipUrl('/'));
    const v2 = await ip.evaluate(() => kp.register({ username: 'bob' }));
    assert.ok(['SecurityError', 'NotAllowedError'].includes(v2.error?.name), JSON.stringify(v2));
    await ip.close();
  });
});

describe('launch recipe and window helpers (stub extension)', () => {
  let rp, dirs, context;
  before(async () => {
    rp = await startRpServer();
    dirs = await makeTempDirs('keyplace-harness-');
    const ext = path.join(dirs.root, 'stub-ext');
    await writeStubExtension(ext);
    context = await chromium.launchPersistentContext(dirs.profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: chromiumArgs(ext),
      env: browserEnv(dirs),
      viewport: null,
    });
  });
  after(async () => {
    await context?.close();
    await rp?.close();
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  it('loads the extension and catches its popup window as a page event', async () => {
    const worker = await serviceWorker(context, 'chrome-extension://');
    const extOrigin = worker.url().split('/').slice(0, 3).join('/'); // URL.origin is "null" for chrome-extension: in node
    const page = await context.newPage();
    await page.goto(rp.url('/'));
    const watch = watchConsentWindows(context);
    const win = nextConsentWindow(context);
    await page.evaluate(() => window.postMessage({ stub: 'open' }, '*'));
    const consent = await win;
    assert.ok(consent.url().startsWith(`${extOrigin}/consent.html`), consent.url());
    assert.equal(new URL(consent.url()).searchParams.get('for'), rp.origin);
    await consent.getByRole('radio', { name: 'Vault' }).check();
    const closed = consent.waitForEvent('close');
    await consent.close();
    await closed;
    assert.equal(watch.consentPages().length, 1);
    watch.stop();
  });
});
