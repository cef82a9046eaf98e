// Extension outputs as the browser gives them (WebAuthn L3 §10.1): for the same inputs, a Keyplace vault passkey's
// getClientExtensionResults() equals that of a passkey the browser's own virtual authenticator made, in the same
// browser: largeBlob (which Keyplace's stores do not offer: `supported: false`, no blob, `written: false`, as the
// browser says for an authenticator without it), credProps, and unknown extensions (ignored). Where the browser
// itself refuses an input, Keyplace refuses it the same way.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBrowser, withRelyingPartyPage } from '../drivers/index.mjs';

const PIN = '640218';

/** Runs in the page: one ceremony with `extensions`; the credential's id and its extension outputs. */
async function ceremony({ kind, extensions, allow, user }) {
  const bytes = (n) => crypto.getRandomValues(new Uint8Array(n));
  const publicKey =
    kind === 'create'
      ? {
          rp: { name: 'Keyplace test' },
          user: { id: new TextEncoder().encode(user), name: user, displayName: user },
          challenge: bytes(32),
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
          extensions,
        }
      : {
          challenge: bytes(32),
          allowCredentials: [
            {
              type: 'public-key',
              id: Uint8Array.from(atob(allow.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
            },
          ],
          userVerification: 'required',
          extensions,
        };
  try {
    const credential = await navigator.credentials[kind]({ publicKey });
    return { id: credential.id, outputs: JSON.parse(JSON.stringify(credential.getClientExtensionResults())) };
  } catch (err) {
    return { error: err.name };
  }
}

const CREATE_INPUTS = {
  'largeBlob preferred, credProps and an unknown extension': {
    largeBlob: { support: 'preferred' },
    credProps: true,
    keyplaceUnknown: 1,
  },
  'largeBlob without support': { largeBlob: {} },
};
const GET_INPUTS = {
  'largeBlob read': { largeBlob: { read: true } },
  'largeBlob write': { largeBlob: { write: new Uint8Array(4) } },
  'no extensions': {},
};

forEachBrowser('extension outputs like the browser’s', { timeout: 240_000 }, (browser) => {
  let driver, page;
  const made = {};

  withRelyingPartyPage(browser, (d, _rp, p) => {
    [driver, page] = [d, p];
  });

  for (const [name, extensions] of Object.entries(CREATE_INPUTS)) {
    it(`create, ${name}: the same outputs`, async () => {
      if (!made.authenticator) made.authenticator = await driver.addVirtualAuthenticator(page);
      const native = await driver.startCeremony(page, ceremony, { kind: 'create', extensions, user: `native-${name}` });
      await native.win.createInBrowser();
      const n = await native.result;
      const vault = await driver.startCeremony(page, ceremony, { kind: 'create', extensions, user: `vault-${name}` });
      await vault.win.createInVault({ account: `vault-${name}`, pin: PIN, newPin: !made.vault });
      const v = await vault.result;
      made.native ??= n.id;
      made.vault ??= v.id;
      assert.deepEqual(v.outputs, n.outputs);
    });
  }

  for (const [name, extensions] of Object.entries(GET_INPUTS)) {
    it(`get, ${name}: the same outputs`, async () => {
      assert.ok(made.native && made.vault, 'both passkeys were made');
      // The browser's passkey goes to the browser without a window (its id is not Keyplace's); the Keyplace one
      // through the consent window.
      const native = await driver.withoutWindow(page, ceremony, { kind: 'get', extensions, allow: made.native });
      // Where the browser refuses the inputs (Firefox and a largeBlob write), Keyplace must refuse alike, without a
      // window.
      const vault = await driver.startCeremony(
        page,
        ceremony,
        { kind: 'get', extensions, allow: made.vault },
        { allowNoWindow: Boolean(native.result.error) },
      );
      if (vault.win) await vault.win.signIn({ pin: PIN });
      const v = await vault.result;
      if (native.result.error) assert.equal(vault.win, null, 'no window where the browser refuses');
      assert.deepEqual(
        { outputs: v.outputs, error: v.error },
        { outputs: native.result.outputs, error: native.result.error },
      );
    });
  }
});
