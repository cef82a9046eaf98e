// The page and Keyplace's own traffic (ARCHITECTURE.md rule 2): the shim and the bridge talk over a private
// MessagePort handed over before any page script runs, so a page can neither read Keyplace's answers nor
// post requests the bridge accepts, and nothing global tells it the extension is there.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBrowser, withRelyingPartyPage } from '../drivers/index.mjs';

const PIN = '739104';

forEachBrowser('the page cannot read or forge the shim↔bridge channel', { timeout: 240_000 }, (browser) => {
  let driver, page;

  withRelyingPartyPage(browser, (d, _rp, p) => {
    [driver, page] = [d, p];
  });

  it('a whole registration and sign-in put no message where the page can see it', async () => {
    // The page's first script listens (capture phase) to every message its window receives, from the start.
    assert.deepEqual(await page.evaluate(() => window.__messages), [], 'messages before any ceremony');
    const created = await driver.startCeremony(page, () =>
      kp.register({ username: 'erin', userVerification: 'required' }),
    );
    await created.win.createInVault({ account: 'erin', pin: PIN, newPin: true });
    const registration = await created.result;
    assert.equal(registration.verified, true, JSON.stringify(registration));
    const signedIn = await driver.startCeremony(
      page,
      (id) => kp.login({ allowCredentials: [id], userVerification: 'required' }),
      registration.credentialId,
    );
    await signedIn.win.signIn({ account: 'erin', pin: PIN });
    const login = await signedIn.result;
    assert.equal(login.verified, true, JSON.stringify(login));
    assert.deepEqual(await page.evaluate(() => window.__messages), [], 'messages the page saw');
  });

  it('requests posted on the window in the shim’s old format open no window and get no answer', async () => {
    // A valid registration for this very site: had the bridge taken it, it would have opened a window.
    await page.evaluate(() => {
      const bytes = (n) => ({ $bytes: kp.b64u.encode(crypto.getRandomValues(new Uint8Array(n))) });
      const publicKey = {
        rp: { name: 'forged' },
        user: { id: bytes(8), name: 'mallory', displayName: 'mallory' },
        challenge: bytes(32),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      };
      for (const kp2 of ['kp-req', 'kp-hello'])
        window.postMessage({ kp: kp2, id: 'forged0000000001', kind: 'create', publicKey }, '*');
      const channel = new MessageChannel();
      window.postMessage({ kp: 'kp-hello' }, '*', [channel.port2]); // a second "bridge" the shim must ignore
    });
    // A genuine ceremony afterwards: the only window is its own, and once it is cancelled none is left.
    const { win, result } = await driver.startCeremony(page, () => kp.register({ username: 'frank' }));
    assert.equal(await win.value(null, 'Account name'), 'frank');
    assert.doesNotMatch(await win.text(), /mallory/);
    await win.cancel();
    assert.equal((await result).error?.name, 'NotAllowedError');
    assert.deepEqual((await driver.withoutWindow(page, () => null)).consentWindows, []);
    const seen = await page.evaluate(() =>
      window.__messages.filter(
        (m) => m.data?.kp !== undefined && m.data.id !== 'forged0000000001' && m.data.kp !== 'kp-hello',
      ),
    );
    assert.deepEqual(seen, [], 'the page saw an answer');
  });

  it('no global marker, and the patched methods look like the browser’s own', async () => {
    // Read by a script of the page's own: Firefox runs WebDriver's scripts in a sandbox whose Function (and so
    // Function.prototype.toString) is not the page's.
    const inPageRealm = (src) => {
      const script = document.createElement('script');
      script.textContent = `document.currentScript.dataset.out = JSON.stringify((${src})())`;
      document.head.append(script);
      script.remove();
      return JSON.parse(script.dataset.out);
    };
    const shape = await page.evaluate(inPageRealm, String(() => {
      const proto = CredentialsContainer.prototype;
      const describe = (fn) => ({
        source: Function.prototype.toString.call(fn),
        name: fn.name,
        length: fn.length,
        hasPrototype: Object.hasOwn(fn, 'prototype'),
        constructs: (() => {
          try {
            Reflect.construct(fn, []);
            return true;
          } catch {
            return false;
          }
        })(),
        functionPrototype: Object.getPrototypeOf(fn) === Function.prototype,
      });
      return {
        globals: Object.getOwnPropertyNames(window).filter((k) => /keyplace/i.test(k)),
        create: describe(proto.create),
        get: describe(proto.get),
        isUserVerifyingPlatformAuthenticatorAvailable: describe(
          PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable,
        ),
        toString: describe(Function.prototype.toString),
        toStringOfToString: Function.prototype.toString.toString(),
        descriptor: (({ writable, enumerable, configurable }) => ({ writable, enumerable, configurable }))(
          Object.getOwnPropertyDescriptor(proto, 'create'),
        ),
      };
    }));
    assert.deepEqual(shape.globals, []);
    for (const [name, fn] of Object.entries({
      create: shape.create,
      get: shape.get,
      isUserVerifyingPlatformAuthenticatorAvailable: shape.isUserVerifyingPlatformAuthenticatorAvailable,
      toString: shape.toString,
    })) {
      const native = new RegExp(`^function ${name}\\(\\) \\{\\s*\\[native code\\]\\s*\\}$`);
      assert.match(fn.source, native, name);
      assert.deepEqual(
        {
          name: fn.name,
          length: fn.length,
          hasPrototype: fn.hasPrototype,
          constructs: fn.constructs,
          functionPrototype: fn.functionPrototype,
        },
        {
          name,
          length: 0,
          hasPrototype: false,
          constructs: false,
          functionPrototype: true,
        },
      );
    }
    assert.equal(shape.toStringOfToString, shape.toString.source);
    assert.deepEqual(shape.descriptor, { writable: true, enumerable: true, configurable: true });
  });
});
