// WebIDL conversions and error names exactly as the browser's (ARCHITECTURE.md rules 7 and 9): every member of
// PublicKeyCredentialCreationOptions / RequestOptions given odd values (null, {}, [], numbers, unknown strings, a
// missing required member) and every extension input, for create and get, runs in the browser alone and with
// Keyplace, both with the browser's virtual authenticator.
// - Where the browser alone rejects, Keyplace must reject with the same error name and open no window.
// - Where the browser alone resolves, Keyplace takes the request (its window opens; the test cancels it) unless the
//   row says it goes to the browser (rule 9), and then it must resolve there too. A row that rejects with Keyplace
//   where the browser resolves fails either way.
// The expected outcome is measured in the same browser at run time, never written down: Chromium and Firefox
// differ (members one of them lacks are ignored there), and Keyplace must match each.

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachBrowser } from '../drivers/index.mjs';
import { startRpServer } from '../support/rp-server.mjs';

const PIN = '730418';

/** A row: title, ceremony, member path, the value as page JavaScript ('DEL' removes it), and options. */
const rows = [];
const row = (kind, path, value, o = {}) => rows.push({ kind, path, value, ...o });
const each = (kind, path, values, o) => {
  for (const value of values) row(kind, path, value, o);
};

// Odd values every member gets; a member's own follow.
const ODD = ['null', '{}', '[]', '5'];

// --- create: PublicKeyCredentialCreationOptions ---
each('create', 'rp', ['DEL', ...ODD, "'x'"]);
each('create', 'rp.name', ['DEL', ...ODD]);
each('create', 'rp.id', [...ODD, "''", "['localhost']"]);
// Chromium compares the RP ID as given (SecurityError); Firefox lowercases it: Keyplace lets each browser answer.
row('create', 'rp.id', "'LOCALHOST'", { route: 'browser' });
each('create', 'user', ['DEL', ...ODD, "[buf(4), 'n', 'd']"]);
each('create', 'user.id', ['DEL', ...ODD, "'abcd'", 'buf(65)', 'new DataView(new ArrayBuffer(8))']);
// An empty user handle is a TypeError in the spec; where a browser makes one anyway, it is the browser's passkey.
row('create', 'user.id', 'buf(0)', { route: 'browser' });
each('create', 'user.name', ['DEL', ...ODD]);
each('create', 'user.displayName', ['DEL', ...ODD]);
each('create', 'challenge', ['DEL', ...ODD, "'abc'", 'new Uint16Array(16)']);
each('create', 'pubKeyCredParams', [
  'DEL',
  'null',
  '{}',
  "'x'",
  '[]',
  '[null]',
  '[{}]',
  "[{ type: 'public-key' }]",
  '[{ alg: -7 }]',
  "[{ type: 'unknown', alg: -7 }, { type: 'public-key', alg: -7 }]",
  "[{ type: 'public-key', alg: '-7' }]",
  "[{ type: 'public-key', alg: 4294967289 }]",
]);
// An algorithm nobody supports: the browser's NotSupportedError, never an earlier one of Keyplace's.
row('create', 'pubKeyCredParams', "[{ type: 'public-key', alg: -65535 }]");
// null, {} and 'abc' convert to 0, which ends the ceremony at once in Chromium (no window then); Firefox clamps it.
each('create', 'timeout', ['-1', '1e20', 'true', 'null', '{}', "'abc'"]);
each('create', 'excludeCredentials', [
  'null',
  '{}',
  "'x'",
  '[null]',
  '[{}]',
  "[{ type: 'public-key' }]",
  "[{ type: 'public-key', id: 'AAAA' }]",
  "[{ type: 'unknown', id: buf(16) }]",
  "[{ type: 'public-key', id: buf(16), transports: null }]",
  "[{ type: 'public-key', id: buf(16), transports: 'usb' }]",
  "[{ type: 'public-key', id: buf(16), transports: [5, 'unknown'] }]",
]);
each('create', 'authenticatorSelection', ['null', '[]', '5', "'x'"]);
each('create', 'authenticatorSelection.authenticatorAttachment', [...ODD, "'unknown'"]);
each('create', 'authenticatorSelection.residentKey', [...ODD, "'unknown'"]);
each('create', 'authenticatorSelection.requireResidentKey', ['null', "'yes'", '{}', '0']);
each('create', 'authenticatorSelection.userVerification', [...ODD, "'unknown'", "['discouraged']"]);
each('create', 'attestation', [...ODD, "'unknown'"]);
// L3's attestationFormats: members a browser does not know it ignores, and so does Keyplace.
each('create', 'attestationFormats', ['null', "'packed'", '[5]']);
each('create', 'hints', ['null', "'security-key'", '{}', "[5, 'unknown']"]);
each('create', 'extensions', ['null', '[]', '5', "'x'"]);
// --- create: extension inputs ---
each('create', 'extensions.appid', ["'https://localhost'", 'null']);
// Not the caller's own https domain: Chromium refuses it, Firefox ignores appidExclude; each answers it itself.
each('create', 'extensions.appidExclude', ["'https://localhost'"], { route: 'browser' });
each('create', 'extensions.credProps', ['null', "'x'", '{}']);
each('create', 'extensions.largeBlob', [
  'null',
  '5',
  '{}',
  "{ support: 'unknown' }",
  "{ support: 'preferred' }",
  '{ read: true }',
  '{ write: buf(4) }',
  "{ support: 'preferred', read: false }",
]);
// largeBlob required: Keyplace cannot serve it, so the browser answers (rule 9).
row('create', 'extensions.largeBlob', "{ support: 'required' }", { route: 'browser' });
each('create', 'extensions.prf', [
  'null',
  '5',
  '{}',
  '{ eval: null }',
  '{ eval: {} }',
  "{ eval: { first: 'x' } }",
  '{ eval: { first: buf(32) } }',
  '{ evalByCredential: {} }',
  '{ evalByCredential: { AAAA: { first: buf(32) } } }',
]);
// What Chromium refuses (NotSupportedError) and other browsers may ignore: each browser answers it itself.
each('create', 'extensions.credentialProtectionPolicy', ["'unknown'", '5'], { route: 'browser' });
each('create', 'extensions.minPinLength', ['true']);

// --- get: PublicKeyCredentialRequestOptions (allowCredentials names this browser's own passkey by default) ---
each('get', 'challenge', ['DEL', ...ODD, "'abc'"]);
each('get', 'timeout', ['null', "'abc'", '{}']);
each('get', 'rpId', [...ODD, "''"]);
row('get', 'rpId', "'LOCALHOST'", { route: 'browser' });
each('get', 'allowCredentials', [
  'null',
  '{}',
  "'x'",
  '[null]',
  '[{}]',
  "[{ type: 'public-key' }]",
  "[{ type: 'public-key', id: 'AAAA' }]",
  "[{ type: 'public-key', id: knownId(), transports: null }]",
  "[{ type: 'public-key', id: knownId(), transports: 'usb' }]",
  "[{ type: 'public-key', id: knownId(), transports: [5, 'unknown'] }]",
  "[{ type: 'unknown', id: buf(16) }, { type: 'public-key', id: knownId() }]",
]);
each('get', 'userVerification', [...ODD, "'unknown'"]);
each('get', 'hints', ['null', "'security-key'", "[5, 'unknown']"]);
each('get', 'extensions', ['null', '[]', '5', "'x'"]);
// --- get: extension inputs ---
each('get', 'extensions.appid', ['null', '5', "'https://keyplace.invalid'"]);
each('get', 'extensions.credProps', ['true'], { route: 'browser' });
each('get', 'extensions.largeBlob', [
  '{}',
  "{ support: 'required' }",
  "{ support: 'preferred' }",
  '{ read: true, write: buf(4) }',
  '{ read: true }',
  '{ write: buf(4) }',
]);
each('get', 'extensions.prf', [
  'null',
  '{}',
  '{ eval: {} }',
  "{ eval: { first: 'x' } }",
  '{ eval: { first: buf(32) } }',
  '{ evalByCredential: {} }',
  "{ evalByCredential: { '!!': { first: buf(32) } } }",
  '{ evalByCredential: { AAAA: { first: buf(32) } } }',
  '{ evalByCredential: { [knownIdText()]: { first: buf(32) } } }',
  '{ evalByCredential: { [knownIdText()]: {} } }',
]);

// --- CredentialCreationOptions / CredentialRequestOptions themselves: `publicKey` and `mediation` (an enum) ---
for (const kind of ['create', 'get']) {
  each(kind, 'publicKey', ["'x'", '[]', '5']);
  each(kind, 'mediation', ["'unknown'", '5', '{}', "['optional']", "'required'", "'silent'"]);
}
for (const r of rows.filter((x) => ['publicKey', 'mediation'].includes(x.path))) r.top = true;

// A cross-origin frame that the permissions policy allows to create must also have transient user activation
// (WebAuthn L3 §5.1.3 step 2); this one is asked by a message, with none.
rows.push({
  kind: 'create',
  path: 'a cross-origin frame allowed to create, without user activation',
  call: "(a) => inFrame(a.otherUrl, 'register', { username: 'webidl-frame', timeout: 5000 }, 'publickey-credentials-create')",
});

// `signal` is not AbortSignal: the browser's TypeError (the page shim leaves such a call to the browser).
for (const kind of ['create', 'get']) each(kind, 'signal', ['null', '5', '{}'], { top: true });
// Members the browser does not read may hold what cannot be cloned: the browser's outcome, never a hang.
for (const kind of ['create', 'get']) each(kind, 'unknownMember', ['Symbol()']);

// --- helpers installed in the page (plain functions, serialized into it) ---
function pageHelpers() {
  window.buf = (n) => new Uint8Array(n).fill(7);
  window.knownIdText = () => window.knownPasskey;
  window.knownId = () => kp.b64u.decode(window.knownPasskey);
  window.settle = async (work) => {
    try {
      const v = await work();
      // A frame's call answers with the RP's verdict or the error, not a credential.
      if (v && typeof v === 'object' && ('verified' in v || 'error' in v)) return v;
      return { resolved: v === null ? 'null' : typeof v };
    } catch (err) {
      return { error: { name: err?.name ?? String(err) } };
    }
  };
  window.inFrame = (src, kind, opts, allow) =>
    new Promise((resolve) => {
      const frame = document.createElement('iframe');
      frame.allow = allow;
      frame.src = src;
      const id = Math.random().toString(36).slice(2);
      window.addEventListener('message', (e) => e.data?.kpFrameResult === id && resolve(e.data.result));
      frame.onload = () => frame.contentWindow.postMessage({ kpFrameCall: id, kind, opts }, '*');
      document.body.append(frame);
    });
  /** A copy of `o` with the member at `path` set to `value`, or removed when `value` is `del`. */
  window.put = (o, path, value, del) => {
    const [head, ...rest] = path.split('.');
    const copy = Array.isArray(o) ? [...o] : { ...o };
    if (rest.length) copy[head] = window.put(o[head] ?? {}, rest.join('.'), value, del);
    else if (value === del) delete copy[head];
    else copy[head] = value;
    return copy;
  };
  // navigator.credentials with the RP's own options, one member changed (`top`: of the outer dictionary).
  window.raw = (kind, change, top = (x) => x) =>
    settle(async () => {
      const path = kind === 'create' ? '/api/register/options' : '/api/login/options';
      const { options } = await kp.postJson(path, { username: 'webidl-raw', timeout: 5_000 });
      const o = { ...options, challenge: kp.b64u.decode(options.challenge) };
      if (kind === 'create') {
        o.user = { ...o.user, id: kp.b64u.decode(options.user.id) };
        o.excludeCredentials = [];
      } else {
        o.allowCredentials = [{ type: 'public-key', id: knownId() }];
      }
      return navigator.credentials[kind](top({ publicKey: change(o) }));
    });
}

/** The page function of a row: `DEL` (a fresh object) stands for "remove the member". */
function pageCall({ kind, path, value, call, top }) {
  if (call) return new Function('a', `return settle(() => (${call})(a));`);
  const change = `(o) => put(o, ${JSON.stringify(path)}, (${value}), DEL)`;
  const args = top ? `(o) => o, ${change}` : change;
  return new Function('a', `const DEL = {}; return raw(${JSON.stringify(kind)}, ${args});`);
}

// A frame's call answers with the RP's verdict: verified counts as resolved.
const outcome = (v) => (v?.error ? { error: v.error.name } : v?.verified !== undefined ? { resolved: 'object' } : v);
const title = (r) => `${r.kind}: ${r.path}${r.call ? '' : r.value === 'DEL' ? ' missing' : ` = ${r.value}`}`;

forEachBrowser('WebIDL conversions and error names as the browser alone', { timeout: 1_200_000 }, (browser) => {
  let rp, other, alone, driver, alonePage, page;

  /** Registers a passkey in `d` (the browser alone: its virtual authenticator; Keyplace: a vault passkey). */
  const knownPasskey = async (d, p, username, withKeyplace) => {
    const register = (u) => kp.register({ username: u, residentKey: 'required', timeout: 10_000 });
    let verdict;
    if (withKeyplace) {
      const { win, result } = await d.startCeremony(p, register, username);
      await win.createInVault({ account: username, pin: PIN, newPin: true });
      verdict = await result;
    } else {
      verdict = await p.evaluate(register, username);
    }
    assert.equal(verdict.verified, true, JSON.stringify(verdict));
    const list = await p.evaluate(async () => (await fetch('/api/credentials')).json());
    const id = list.find((c) => c.username === username)?.id;
    assert.ok(id, `the RP knows ${username}'s passkey`);
    await p.evaluate((known) => {
      window.knownPasskey = known;
    }, id);
  };

  before(async () => {
    rp = await startRpServer();
    other = await startRpServer(); // another port of localhost: another origin, the same RP ID
    alone = await browser.launch({ extension: false, host: false });
    alonePage = await alone.openPage(rp.url('/'));
    await alone.addVirtualAuthenticator(alonePage);
    driver = await browser.launch();
    page = await driver.openPage(rp.url('/'));
    await driver.addVirtualAuthenticator(page);
    for (const p of [alonePage, page]) await p.evaluate(pageHelpers);
    await knownPasskey(alone, alonePage, 'webidl-alone', false);
    await knownPasskey(driver, page, 'webidl-keyplace', true);
  });
  after(async () => {
    await alone?.close();
    await driver?.close();
    await other?.close();
    await rp?.close();
  });
  const urls = () => ({ otherUrl: other.url('/') });

  it(`has a row for every member and extension input (${rows.length} rows)`, () => {
    assert.ok(rows.length >= 150, `${rows.length} rows`);
  });

  for (const r of rows) {
    it(`${title(r)}: the browser's outcome`, { todo: r.todo }, async (t) => {
      const call = pageCall(r);
      const expected = outcome(await alonePage.evaluate(call, urls()));
      if (expected.error) {
        const { result, consentWindows } = await driver.withoutWindow(page, call, urls());
        t.diagnostic(`browser alone: ${JSON.stringify(expected)}; with Keyplace: ${JSON.stringify(outcome(result))}`);
        assert.deepEqual(consentWindows, [], 'no Keyplace window where the browser rejects');
        assert.deepEqual(outcome(result), expected);
        return;
      }
      // The browser resolves: Keyplace takes the request (its window opens; cancelled here), or hands it on.
      const { win, result } = await driver.startCeremony(page, call, urls(), { allowNoWindow: true });
      if (win) await win.cancel();
      const got = outcome(await result);
      t.diagnostic(`browser alone: ${JSON.stringify(expected)}; with Keyplace: ${win ? 'its window' : JSON.stringify(got)}`);
      if (r.route === 'browser') {
        assert.equal(win, null, 'this request goes to the browser, not to a Keyplace window');
        assert.deepEqual(got, expected);
      } else {
        assert.ok(win, `Keyplace should take a request the browser accepts; it answered ${JSON.stringify(got)}`);
        assert.deepEqual(got, { error: 'NotAllowedError' }, 'cancelled in the window');
      }
    });
  }
});
