// The Chromium and Firefox manifests describe one extension: whatever the page, the person or a reviewer
// sees (content scripts, permissions, toolbar button, options page, CSP) must be the same in both, so
// the two files cannot drift apart. Only the browser-specific keys may differ.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const read = async (name) => JSON.parse(await readFile(path.join(ROOT, 'manifests', name), 'utf8'));
const chromium = await read('chromium.json');
const firefox = await read('firefox.json');

// Keys each browser may have on its own; everything else must be equal.
const CHROMIUM_ONLY = new Set(['key', 'minimum_chrome_version']);
const FIREFOX_ONLY = new Set(['browser_specific_settings']);

describe('manifests/chromium.json and manifests/firefox.json', () => {
  for (const key of ['content_scripts', 'permissions', 'host_permissions', 'action', 'options_ui', 'content_security_policy']) {
    it(`agree on ${key}`, () => {
      assert.ok(chromium[key] !== undefined, `chromium.json has no ${key}`);
      assert.deepEqual(firefox[key], chromium[key]);
    });
  }

  it('agree on content script files, world, run_at and all_frames (named, for a readable failure)', () => {
    const shape = (m) => m.content_scripts.map((c) => ({ js: c.js, world: c.world ?? 'ISOLATED', run_at: c.run_at, all_frames: c.all_frames ?? false }));
    assert.deepEqual(shape(firefox), shape(chromium));
  });

  it('agree on every other key, except the browser-specific ones', () => {
    const common = (m, only) => Object.fromEntries(Object.entries(m).filter(([k]) => !only.has(k) && k !== 'background'));
    assert.deepEqual(common(firefox, FIREFOX_ONLY), common(chromium, CHROMIUM_ONLY));
  });

  it('Firefox: fixed add-on id, Firefox 128+, an event-page module background with the same script', () => {
    assert.equal(firefox.browser_specific_settings?.gecko?.id, 'keyplace@keyplace.dev');
    assert.equal(firefox.browser_specific_settings.gecko.strict_min_version, '128.0');
    assert.deepEqual(firefox.background, { scripts: [chromium.background.service_worker], type: 'module' });
    for (const key of CHROMIUM_ONLY) assert.equal(firefox[key], undefined, `${key} is Chromium-only`);
  });
});
