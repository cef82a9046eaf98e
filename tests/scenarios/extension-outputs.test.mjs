// Extension outputs as the browser gives them (WebAuthn L3 §10.1): for the same inputs, a Keyplace vault passkey's
// getClientExtensionResults() equals that of a passkey the browser's own virtual authenticator made, in the same
// browser: largeBlob (which Keyplace's stores do not offer: `supported: false`, no blob, `written: false`, as the
// browser says for an authenticator without it), credBlob and getCredBlob (no blobs kept either: `credBlob: false`
// and an empty blob in Chromium, nothing in Firefox), credProps, and unknown extensions (ignored); toJSON()'s form
// too. Where the browser itself refuses an input, Keyplace refuses it the same way.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBrowser, withRelyingPartyPage } from '../drivers/index.mjs';

const PIN = '640218';

/**
 * Runs in the page: one ceremony with `extensions` ({$u8: [...]} becomes a Uint8Array made in the page: WebDriver
 * would pass a typed array as a plain object); the credential's id, its extension outputs with each ArrayBuffer
 * as {ArrayBuffer: bytes}, and those outputs as toJSON() gives them.
 */
async function ceremony({ kind, extensions: given, allow, user }) {
  const bytes = (n) => crypto.getRandomValues(new Uint8Array(n));
  const inPage = (v) =>
    Array.isArray(v?.$u8)
      ? new Uint8Array(v.$u8)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inPage(x)]))
        : v;
  const shown = (v) =>
    v instanceof ArrayBuffer
      ? { ArrayBuffer: [...new Uint8Array(v)] }
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shown(x)]))
        : v;
  const extensions = inPage(given);
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
    return {
      id: credential.id,
      outputs: shown(credential.getClientExtensionResults()),
      json: credential.toJSON().clientExtensionResults,
    };
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
  // Chromium says whether the authenticator stored the blob (Keyplace keeps none: false); Firefox ignores both.
  // (No more creates: Chromium's virtual authenticator holds three discoverable credentials.)
  'credBlob, and getCredBlob (a sign-in input)': { credBlob: { $u8: [1, 2, 3] }, getCredBlob: true },
};
const GET_INPUTS = {
  'largeBlob read': { largeBlob: { read: true } },
  'largeBlob write': { largeBlob: { write: { $u8: [0, 0, 0, 0] } } },
  // Chromium gives the blob the authenticator holds (none: an empty ArrayBuffer); Firefox ignores it.
  getCredBlob: { getCredBlob: true },
  'getCredBlob false, and credBlob (a registration input)': { getCredBlob: false, credBlob: { $u8: [1] } },
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
      assert.deepEqual(
        { outputs: v.outputs, json: v.json, error: v.error },
        { outputs: n.outputs, json: n.json, error: n.error },
      );
    });
  }

  for (const [name, extensions] of Object.entries(GET_INPUTS)) {
    it(`get, ${name}: the same outputs`, async () => {
      assert.ok(made.native && made.vault, 'both passkeys were made');
      // The browser's passkey goes to the browser without a window (its id is not Keyplace's); the Keyplace one
      // through the consent window.
      const native = await driver.withoutWindow(page, ceremony, { kind: 'get', extensions, allow: made.native });
      // Where the browser refuses the inputs, Keyplace must refuse alike, without a window.
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
        { outputs: v.outputs, json: v.json, error: v.error },
        { outputs: native.result.outputs, json: native.result.json, error: native.result.error },
      );
    });
  }
});
