// A Keyplace credential is shaped like the browser's own (WebAuthn L3, WebIDL): no own properties; attributes and
// methods on the interface prototypes; the same prototype chain, tags, JSON and method results. A passkey the
// browser's virtual authenticator made and a Keyplace vault passkey, both in the Keyplace browser, are compared
// property by property, for registration and for sign-in.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBrowser, withRelyingPartyPage } from '../drivers/index.mjs';

const PIN = '640218';

/** Runs in the page: a ceremony verified by the RP (keepLastCredential keeps its credential object). */
function keep({ kind, username, allow }) {
  return kind === 'create'
    ? kp.register({ username, residentKey: 'required' })
    : kp.login({ allowCredentials: allow });
}

/**
 * Runs in the page: the last credential the page got, described the way a page could tell two apart; how functions
 * print is read by a script of the page itself (see inPageRealm).
 */
function describeLast() {
  const c = window.__last;
  const chainOf = (o) => {
    const chain = [];
    for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      chain.push(Object.prototype.toString.call(p));
    }
    return chain;
  };
  const members = (o) => {
    const out = {};
    for (let p = Object.getPrototypeOf(o); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const key of Object.getOwnPropertyNames(p)) {
        if (key === 'constructor' || key in out) continue;
        const d = Object.getOwnPropertyDescriptor(p, key);
        let value;
        try {
          value = d.get ? o[key] : typeof d.value === 'function' && d.value.length === 0 ? o[key]() : undefined;
        } catch (err) {
          value = `throws ${err.name}`;
        }
        const kind = (v) =>
          v === null ? 'null' : ArrayBuffer.isView(v) ? 'view' : Object.prototype.toString.call(v).slice(8, -1);
        out[key] = {
          kind: d.get ? 'getter' : typeof d.value,
          enumerable: d.enumerable,
          configurable: d.configurable,
          writable: d.writable,
          value: kind(value),
          // [SameObject] attributes give the same object at every read.
          sameEachTime: d.get ? Object.is(Reflect.get(o, key), Reflect.get(o, key)) : undefined,
        };
      }
    }
    return out;
  };
  /**
   * fn() run by a script of the page's own and its JSON value. Firefox runs WebDriver's scripts in
   * a sandbox whose Function is not the page's, so `Function.prototype.toString` there is not what a page calls.
   */
  function inPageRealm(fn) {
    const script = document.createElement('script');
    script.textContent = `document.currentScript.dataset.out = JSON.stringify((${fn})())`;
    document.head.append(script);
    script.remove();
    return JSON.parse(script.dataset.out);
  }

  /**
   * Runs in the page's realm: how the credential interfaces' getters and methods print and what their prototype is,
   * and, for comparison, how the browser prints a native getter and method of an interface Keyplace never touches.
   */
  function functionsAsThePageSees() {
    const print = Function.prototype.toString;
    const getter = Object.getOwnPropertyDescriptor(PublicKeyCredential.prototype, 'rawId').get;
    const method = PublicKeyCredential.prototype.getClientExtensionResults;
    const nativeGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get;
    return {
      getter: print.call(getter),
      getterOwnToString: getter.toString(),
      method: print.call(method),
      methodOwnToString: `${method}`,
      prototypes: [getter, method, print].map((f) => Object.getPrototypeOf(f) === Function.prototype),
      nativeLikeGetter: print.call(nativeGetter).replace('aborted', 'rawId'),
      nativeLikeMethod: print.call(AbortSignal.prototype.throwIfAborted).replace('throwIfAborted', method.name),
    };
  }
  return {
    ownKeys: Reflect.ownKeys(c).map(String),
    responseOwnKeys: Reflect.ownKeys(c.response).map(String),
    tag: Object.prototype.toString.call(c),
    responseTag: Object.prototype.toString.call(c.response),
    chain: chainOf(c),
    responseChain: chainOf(c.response),
    instanceOf: c instanceof PublicKeyCredential && c.response instanceof AuthenticatorResponse,
    members: members(c),
    responseMembers: members(c.response),
    jsonKeys: Object.keys(JSON.parse(JSON.stringify(c))).sort(),
    jsonResponseKeys: Object.keys(JSON.parse(JSON.stringify(c)).response).sort(),
    spreadKeys: Object.keys({ ...c }),
    functions: inPageRealm(functionsAsThePageSees),
  };
}

/** A Keyplace object's getters and methods print as the browser prints a native one. */
function assertPrintsNative(functions) {
  assert.equal(functions.getter, functions.nativeLikeGetter);
  assert.equal(functions.getterOwnToString, functions.nativeLikeGetter);
  assert.equal(functions.method, functions.nativeLikeMethod);
  assert.equal(functions.methodOwnToString, functions.nativeLikeMethod);
  assert.deepEqual(functions.prototypes, [true, true, true]);
}

/**
 * Runs in the page: each getter and method (without arguments) of the credential interfaces, taken from its
 * prototype as a page that keeps them would, called on the browser's credential and on the last one (Keyplace's).
 * They are taken after Keyplace's first credential: one taken before stays the browser's (README, "Conformance").
 */
function takenAndCalled() {
  const kind = (v) => (v === null ? 'null' : Object.prototype.toString.call(v).slice(8, -1));
  const calls = (o, protos) => {
    const out = {};
    for (const proto of protos) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, name);
        const fn = d.get ?? d.value;
        if (name === 'constructor' || typeof fn !== 'function' || (!d.get && fn.length)) continue;
        try {
          out[name] = kind(Reflect.apply(fn, o, []));
        } catch (err) {
          out[name] = `throws ${err.name}`;
        }
      }
    }
    return out;
  };
  const describe = (c) => ({
    credential: calls(c, [PublicKeyCredential.prototype, Credential.prototype]),
    response: calls(c.response, [AuthenticatorAttestationResponse.prototype, AuthenticatorResponse.prototype]),
  });
  const rawId = Object.getOwnPropertyDescriptor(PublicKeyCredential.prototype, 'rawId').get;
  return {
    native: describe(window.__native),
    keyplace: describe(window.__last),
    sameRawId: Reflect.apply(rawId, window.__last, []) === window.__last.rawId,
  };
}

/** rp-page's ceremony keeps nothing: wrap navigator.credentials so the page keeps the last credential it got. */
function keepLastCredential() {
  for (const name of ['create', 'get']) {
    const original = navigator.credentials[name].bind(navigator.credentials);
    navigator.credentials[name] = async (options) => {
      const credential = await original(options);
      window.__last = credential;
      return credential;
    };
  }
}

forEachBrowser('credential objects shaped like the browser’s', { timeout: 240_000 }, (browser) => {
  let driver, page;
  const shapes = {};
  let nativeId;
  let vaultId;

  withRelyingPartyPage(browser, (d, _rp, p) => {
    [driver, page] = [d, p];
  });

  it('a registration by the browser and one by Keyplace', async () => {
    await driver.addVirtualAuthenticator(page);
    await page.evaluate(keepLastCredential);
    const native = await driver.startCeremony(page, keep, { kind: 'create', username: 'native' });
    await native.win.createInBrowser();
    const n = await native.result;
    assert.equal(n.verified, true, JSON.stringify(n));
    nativeId = n.credentialId;
    shapes.nativeCreate = await page.evaluate(describeLast);
    await page.evaluate(() => {
      window.__native = window.__last;
    });
    const vault = await driver.startCeremony(page, keep, { kind: 'create', username: 'vault' });
    await vault.win.createInVault({ account: 'vault', pin: PIN, newPin: true });
    const v = await vault.result;
    assert.equal(v.verified, true, JSON.stringify(v));
    vaultId = v.credentialId;
    shapes.vaultCreate = await page.evaluate(describeLast);
  });

  it('registration objects: the same own keys, chain, members, JSON and toString', (t) => {
    const { nativeCreate: n, vaultCreate: k } = shapes;
    assert.ok(n && k, 'both registrations');
    t.diagnostic(`native members: ${JSON.stringify(n.members)}`);
    for (const key of Object.keys(n)) assert.deepEqual(k[key], n[key], key);
    assertPrintsNative(k.functions);
  });

  it('getters and methods taken from the prototypes answer for Keyplace’s credential as for the browser’s', async () => {
    const { native, keyplace, sameRawId } = await page.evaluate(takenAndCalled);
    assert.ok(Object.keys(native.credential).includes('rawId') && Object.keys(native.response).includes('getPublicKey'));
    assert.deepEqual(keyplace, native);
    assert.equal(sameRawId, true, 'the getter gives the [SameObject] rawId');
  });

  it('sign-in objects: the same as the browser’s', async () => {
    await page.evaluate(keepLastCredential);
    const nativeSignIn = await driver.withoutWindow(page, keep, { kind: 'get', allow: [nativeId] });
    assert.equal(nativeSignIn.result.verified, true, JSON.stringify(nativeSignIn.result));
    const n = await page.evaluate(describeLast);
    const vault = await driver.startCeremony(page, keep, { kind: 'get', allow: [vaultId] });
    await vault.win.signIn({ pin: PIN });
    const v = await vault.result;
    assert.equal(v.verified, true, JSON.stringify(v));
    const k = await page.evaluate(describeLast);
    for (const key of Object.keys(n)) assert.deepEqual(k[key], n[key], key);
    // The getters are Keyplace's since the registration: compared with a native one, not with themselves.
    assertPrintsNative(k.functions);
  });
});
