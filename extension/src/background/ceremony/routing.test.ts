import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  browserAllowed,
  browserAnswersFirst,
  hostUnreachableNotice,
  offersPlatformAuthenticator,
  routeRegistration,
  routeSignIn,
  ruleViolation,
  signInLookup,
} from './routing';

describe('requests the browser answers first', () => {
  const plain = {
    kind: 'create' as const,
    permissionAllowed: true,
    sameOriginWithAncestors: true,
    activated: false,
    client: 'chromium' as const,
  };

  it('sends a forbidding or unreadable policy, a cross-origin create without activation, a conditional create', () => {
    assert.equal(browserAnswersFirst(plain), false);
    assert.equal(browserAnswersFirst({ ...plain, permissionAllowed: false }), true);
    assert.equal(browserAnswersFirst({ ...plain, permissionAllowed: null }), false);
    assert.equal(browserAnswersFirst({ ...plain, permissionAllowed: null, sameOriginWithAncestors: false }), true);
    assert.equal(browserAnswersFirst({ ...plain, sameOriginWithAncestors: false }), true);
    assert.equal(browserAnswersFirst({ ...plain, sameOriginWithAncestors: false, activated: true }), false);
    assert.equal(browserAnswersFirst({ ...plain, sameOriginWithAncestors: false, activated: null }), false);
    assert.equal(browserAnswersFirst({ ...plain, kind: 'get', sameOriginWithAncestors: false }), false);
    assert.equal(browserAnswersFirst({ ...plain, mediation: 'conditional' }), true);
    assert.equal(browserAnswersFirst({ ...plain, kind: 'get', mediation: 'conditional' }), false);
  });

  it('sends mediation "silent" to the browser in Firefox only, which refuses it', () => {
    assert.equal(browserAnswersFirst({ ...plain, mediation: 'silent' }), false);
    assert.equal(browserAnswersFirst({ ...plain, mediation: 'silent', client: 'firefox' }), true);
    assert.equal(browserAnswersFirst({ ...plain, kind: 'get', mediation: 'silent', client: 'firefox' }), true);
  });
});

describe('registration routing', () => {
  const platform = { authenticatorAttachment: null };

  it('sends a Browser rule (or default) straight to the browser, anything else to the window', () => {
    assert.equal(
      routeRegistration({ site: 'a.example', choice: 'browser', ruleSite: 'a.example' }, platform),
      'browser',
    );
    assert.equal(routeRegistration({ site: 'a.example', choice: 'browser', ruleSite: null }, platform), 'browser');
    for (const choice of ['ask', 'vault', 'hardware'] as const) {
      assert.equal(routeRegistration({ site: 'a.example', choice, ruleSite: null }, platform), 'window');
    }
  });

  it('sends a request for a security key or phone (cross-platform) to the browser, whatever the rule', () => {
    for (const choice of ['ask', 'vault', 'hardware', 'browser'] as const) {
      const policy = { site: 'a.example', choice, ruleSite: 'a.example' };
      assert.equal(routeRegistration(policy, { authenticatorAttachment: 'cross-platform' }), 'browser', choice);
    }
    assert.equal(
      routeRegistration(
        { site: 'a.example', choice: 'vault', ruleSite: null },
        { authenticatorAttachment: 'platform' },
      ),
      'window',
    );
  });

  it('forbids the Browser choice only under a Hardware rule of the site itself', () => {
    assert.equal(browserAllowed({ site: 'bank.example', store: 'hardware', fromDefault: false }), false);
    assert.equal(browserAllowed({ site: 'bank.example', store: 'hardware', fromDefault: true }), true);
    assert.equal(browserAllowed({ site: 'bank.example', store: 'vault', fromDefault: false }), true);
    assert.equal(browserAllowed(null), true);
  });

  it('refuses a store the rule does not allow, in words', () => {
    assert.equal(
      ruleViolation({ site: 'bank.example', store: 'hardware', fromDefault: false }, 'vault'),
      'Your rule for bank.example allows only Hardware.',
    );
    assert.equal(ruleViolation({ site: 'bank.example', store: 'hardware', fromDefault: false }, 'hardware'), null);
    assert.equal(ruleViolation(null, 'vault'), null);
  });
});

describe('sign-in routing', () => {
  const ours = [{ credential_id: 'kp1' }, { credential_id: 'kp2' }];

  it("asks the host for the page's allowCredentials when there are any", () => {
    assert.deepEqual(signInLookup({ rpId: 'a.example', allowCredentialIds: [] }), { rp_id: 'a.example' });
    assert.deepEqual(signInLookup({ rpId: 'a.example', allowCredentialIds: ['x', 'kp1'] }), {
      rp_id: 'a.example',
      credential_ids: ['x', 'kp1'],
    });
  });

  it('hands a request naming only foreign credentials (a security key) to the browser', () => {
    assert.deepEqual(routeSignIn(['security-key-id'], []), { to: 'browser' });
    // Even if a lookup returned passkeys the page did not name, they do not count.
    assert.deepEqual(routeSignIn(['security-key-id'], ours), { to: 'browser' });
  });

  it('opens the window with the Keyplace passkeys the page allows', () => {
    assert.deepEqual(routeSignIn(['security-key-id', 'kp2'], ours), {
      to: 'window',
      candidates: [{ credential_id: 'kp2' }],
    });
    assert.deepEqual(routeSignIn([], ours), { to: 'window', candidates: ours });
  });

  it('hands a site without Keyplace passkeys to the browser', () => {
    assert.deepEqual(routeSignIn([], []), { to: 'browser' });
  });

  it('says in one line why the browser handled it when the host is missing', () => {
    const notice = hostUnreachableNotice('The Keyplace host is not installed.\n  Run "keyplace-host install".');
    assert.equal(
      notice,
      'Keyplace could not reach its host, so your browser handled this sign-in. The Keyplace host is not installed. Run "keyplace-host install".',
    );
    assert.ok(hostUnreachableNotice('x'.repeat(1000)).length <= 300);
  });
});

describe('isUserVerifyingPlatformAuthenticatorAvailable', () => {
  it('is Keyplace when any of its stores can make a passkey, else the browser answers', () => {
    assert.equal(offersPlatformAuthenticator({ stores: [{ available: true }, { available: false }] }), true);
    assert.equal(offersPlatformAuthenticator({ stores: [{ available: false }, { available: false }] }), false);
    assert.equal(offersPlatformAuthenticator({ stores: [] }), false);
  });
});
