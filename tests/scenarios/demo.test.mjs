// The README's demo (xtask/demo.mjs), as a person's first five minutes run it, headless: the demo site, a browser
// with Keyplace in a throwaway profile, a vault passkey created in the real Keyplace window and verified by the
// relying party, a sign-in, and the popup saying where the passkey lives. Run as the README's command runs it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import { promisify } from 'node:util';
import { forEachBrowser } from '../drivers/index.mjs';
import { REPO_ROOT } from '../support/build-outputs.mjs';

const run = promisify(execFile);

forEachBrowser('the demo (xtask/demo.mjs --smoke)', { timeout: 240_000 }, (browser) => {
  it('creates a passkey, signs in with it and shows where it lives', async () => {
    const { stdout } = await run('node', [path.join(REPO_ROOT, 'xtask/demo.mjs'), '--smoke', browser.name], {
      cwd: REPO_ROOT,
      timeout: 200_000,
    });
    assert.match(stdout, /The relying party verified the registration/);
    assert.match(stdout, /The relying party verified the sign-in/);
    assert.match(stdout, /The popup lists demo-user, in the Keyplace vault on this computer/);
    assert.match(stdout, new RegExp(`Smoke test passed in ${browser.name}`));
  });

  it('refuses to start a window where there is no display, and says what to do', async () => {
    const env = { ...process.env };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const failed = await run('node', [path.join(REPO_ROOT, 'xtask/demo.mjs'), browser.name], { cwd: REPO_ROOT, env }).then(
      () => null,
      (err) => err,
    );
    assert.ok(failed, 'the demo started without a display');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /No display here: .*--smoke/);
  });
});
