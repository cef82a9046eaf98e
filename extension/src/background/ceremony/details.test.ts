import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SiteRule } from '../../shared/messages';
import type { PreparedCreate, PreparedGet } from '../core';
import type { HostCredential, HostHello } from '../host/api';
import { browserFirst, detailsFor, signInDetails, storesFrom } from './details';

const prepared: PreparedCreate = {
  rpId: 'login.bank.example',
  rpName: 'Bank',
  user: { id: 'dXNlcg', name: 'ada', displayName: 'Ada' },
  clientDataJSON: 'e30',
  clientDataHash: 'aGFzaA',
  excludeCredentialIds: [],
  alg: -7,
  residentKey: 'required',
  userVerification: 'preferred',
  authenticatorAttachment: null,
  attestation: 'none',
  credPropsRequested: false,
  timeoutMs: 60_000,
  hints: [],
};
const caller = { origin: 'https://login.bank.example' };
const hello = (hardware: boolean, unlocked = true): HostHello => ({
  version: '0.1.0',
  vault_unlock_seconds: 300,
  stores: [
    { id: 'vault', available: true, initialized: true, unlocked, protection: 'pin_only' },
    hardware ? { id: 'hardware', available: true } : { id: 'hardware', available: false, reason: 'No TPM was found.' },
  ],
});
const policy = (choice: SiteRule['choice'], ruleSite: string | null): SiteRule => ({
  site: 'bank.example',
  choice,
  ruleSite,
});

describe('detailsFor (registration)', () => {
  it('offers both stores as the host reports them when the site has no rule', () => {
    const details = detailsFor(prepared, caller, hello(true), null, policy('ask', null));
    assert.equal(details.rule, null);
    assert.equal(details.defaultProblem, null);
    assert.equal(details.site, 'bank.example');
    assert.deepEqual(
      details.stores.map((s) => [s.id, s.available]),
      [
        ['hardware', true],
        ['vault', true],
      ],
    );
    assert.equal(details.userName, 'ada');
  });

  it("keeps a site's own rule even when its store is unavailable", () => {
    const details = detailsFor(prepared, caller, hello(false), null, policy('hardware', 'login.bank.example'));
    assert.deepEqual(details.rule, { site: 'login.bank.example', store: 'hardware', fromDefault: false });
    assert.equal(details.defaultProblem, null);
    assert.equal(details.stores[0].reason, 'No TPM was found.');
  });

  it('applies an available default choice as a rule from the default', () => {
    const details = detailsFor(prepared, caller, hello(true), null, policy('vault', null));
    assert.deepEqual(details.rule, { site: 'bank.example', store: 'vault', fromDefault: true });
  });

  it('lets the person choose, and says why, when the default store is unavailable', () => {
    const details = detailsFor(prepared, caller, hello(false), null, policy('hardware', null));
    assert.equal(details.rule, null);
    assert.equal(
      details.defaultProblem,
      'Your default choice, Hardware, is unavailable: No TPM was found. Choose another place for this passkey.',
    );
  });

  it('shows both stores unavailable, and the problem, when the host did not answer', () => {
    const details = detailsFor(prepared, caller, null, 'The Keyplace host is not installed.', policy('ask', null));
    assert.equal(details.hostProblem, 'The Keyplace host is not installed.');
    assert.ok(details.stores.every((s) => !s.available));
    assert.deepEqual(storesFrom(null)[1], {
      id: 'vault',
      available: false,
      reason: 'The Keyplace host is not reachable.',
    });
  });
});

describe('signInDetails', () => {
  const get = (userVerification: PreparedGet['userVerification']): PreparedGet => ({
    rpId: 'bank.example',
    clientDataJSON: 'e30',
    clientDataHash: 'aGFzaA',
    allowCredentialIds: [],
    userVerification,
    timeoutMs: 60_000,
  });
  const credential = (id: string, store: HostCredential['store']): HostCredential => ({
    credential_id: id,
    rp_id: 'bank.example',
    user_id: 'dQ',
    user_name: `${id}@bank.example`,
    user_display_name: id,
    store,
    aaguid: '00000000-0000-0000-0000-000000000000',
    created_at: 1,
    last_used_at: null,
    sign_count: 0,
    backup_eligible: false,
    backup_state: false,
    resident_key: true,
  });
  const candidates = [credential('chip', 'hardware'), credential('vaulted', 'vault')];

  it('asks for the PIN of a hardware passkey always, of the vault unless UV is discouraged and it is unlocked', () => {
    const pins = (uv: PreparedGet['userVerification'], unlocked: boolean) =>
      signInDetails(get(uv), caller, candidates, hello(true, unlocked)).accounts.map((a) => [
        a.credentialId,
        a.needsPin,
      ]);
    assert.deepEqual(pins('discouraged', true), [
      ['chip', true],
      ['vaulted', false],
    ]);
    assert.deepEqual(pins('discouraged', false)[1], ['vaulted', true]);
    // "preferred" asks like "required": a relying party's library requires UV by default.
    assert.deepEqual(pins('preferred', true)[1], ['vaulted', true]);
    assert.deepEqual(pins('required', true)[1], ['vaulted', true]);
  });

  it('lists each passkey with where it lives', () => {
    const details = signInDetails(get('preferred'), caller, candidates, hello(true));
    assert.equal(details.kind, 'get');
    assert.equal(details.origin, 'https://login.bank.example');
    assert.match(details.accounts[0].location, /TPM/);
    assert.equal(details.accounts[1].userName, 'vaulted@bank.example');
  });
});

describe('hints', () => {
  it('put Browser first when the most preferred known hint is a security key or a phone', () => {
    assert.equal(browserFirst(['security-key']), true);
    assert.equal(browserFirst(['hybrid', 'client-device']), true);
    assert.equal(browserFirst(['client-device', 'security-key']), false);
    assert.equal(browserFirst([]), false);
    const policy: SiteRule = { site: 'bank.example', choice: 'ask', ruleSite: null };
    assert.equal(
      detailsFor({ ...prepared, hints: ['security-key'] }, caller, hello(true), null, policy).browserFirst,
      true,
    );
    assert.equal(detailsFor(prepared, caller, hello(true), null, policy).browserFirst, false);
  });
});
