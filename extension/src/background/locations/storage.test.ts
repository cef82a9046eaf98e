import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Host } from '../host/api';
import {
  type BrowserPasskey,
  checkAccountName,
  deletePasskey,
  loadBrowserPasskeys,
  MAX_RECORDS,
  MAX_RECORDS_PER_SITE,
  recordBrowserRegistration,
  recordBrowserSignIn,
  renamePasskey,
} from './storage';
import { englishI18n } from '../../shared/i18n-testing';

// chrome.storage.local as a plain object.
let stored: Record<string, unknown> = {};
beforeEach(() => {
  stored = {};
  const local = {
    get: async (key: string) => (key in stored ? { [key]: structuredClone(stored[key]) } : {}),
    set: async (items: Record<string, unknown>) => void Object.assign(stored, structuredClone(items)),
  };
  (globalThis as unknown as { chrome: unknown }).chrome = { storage: { local }, i18n: englishI18n };
});

const GOOGLE = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';
const registration = (credentialId: string, be = true) => ({
  aaguid: GOOGLE,
  credentialId,
  flags: { be, bs: be },
  signCount: 0,
});

describe('recorded browser passkeys', () => {
  it('records a registration from public facts, cleaning what the page sent', async () => {
    await recordBrowserRegistration(
      'shop.example',
      'a'.repeat(80),
      { authenticatorAttachment: 'telepathy', transports: ['internal', 7, 'x'.repeat(40), 'hybrid'] },
      registration('c1'),
    );
    const [p] = await loadBrowserPasskeys();
    assert.equal(p.credentialId, 'c1');
    assert.equal(p.userName.length, 64);
    assert.equal(p.attachment, null);
    assert.deepEqual(p.transports, ['internal', 'hybrid']);
    assert.equal(p.location, 'Google Password Manager (synced)');
    assert.equal(p.seenAt, 'registration');
  });

  it('replaces the record of a credential registered again', async () => {
    await recordBrowserRegistration(
      'shop.example',
      'ada',
      { authenticatorAttachment: null, transports: [] },
      registration('c1'),
    );
    await recordBrowserRegistration(
      'shop.example',
      'ada2',
      { authenticatorAttachment: null, transports: [] },
      registration('c1', false),
    );
    const list = await loadBrowserPasskeys();
    assert.equal(list.length, 1);
    assert.equal(list[0].userName, 'ada2');
    assert.equal(list[0].backupEligible, false);
  });

  it('records a sign-in with an unknown credential once, then updates its last use and counter', async () => {
    const facts = { flags: { be: false, bs: false }, signCount: 5 };
    assert.equal(await recordBrowserSignIn('bank.example', 'k1', 'cross-platform', facts), true);
    assert.equal(await recordBrowserSignIn('bank.example', 'k1', 'cross-platform', { ...facts, signCount: 6 }), false);
    const list = await loadBrowserPasskeys();
    assert.equal(list.length, 1);
    assert.equal(list[0].signCount, 6);
    assert.equal(list[0].seenAt, 'sign-in');
    assert.equal(list[0].location, 'Security key or phone (on one device)');
  });

  it('never replaces or shadows another site’s record of the same id', async () => {
    const none = { authenticatorAttachment: null, transports: [] };
    assert.equal(await recordBrowserRegistration('bank.example', 'ada', none, registration('same')), true);
    assert.equal(await recordBrowserRegistration('evil.example', 'x', none, registration('same')), false);
    const facts = { flags: { be: false, bs: false }, signCount: 1 };
    assert.equal(await recordBrowserSignIn('evil.example', 'same', 'platform', facts), false);
    const list = await loadBrowserPasskeys();
    assert.deepEqual(
      list.map((p) => [p.rpId, p.userName]),
      [['bank.example', 'ada']],
    );
  });

  it('records at most MAX_RECORDS_PER_SITE per site and MAX_RECORDS in all, so storage cannot fill up', async () => {
    const none = { authenticatorAttachment: null, transports: [] };
    for (let i = 0; i < MAX_RECORDS_PER_SITE; i++) {
      assert.equal(await recordBrowserRegistration('flood.example', `u${i}`, none, registration(`f${i}`)), true);
    }
    assert.equal(await recordBrowserRegistration('flood.example', 'more', none, registration('f-more')), false);
    const facts = { flags: { be: false, bs: false }, signCount: 1 };
    assert.equal(await recordBrowserSignIn('flood.example', 'f-signin', 'platform', facts), false);
    // Re-registering one it holds still updates it.
    assert.equal(await recordBrowserRegistration('flood.example', 'again', none, registration('f0')), true);
    assert.equal((await loadBrowserPasskeys()).length, MAX_RECORDS_PER_SITE);
    // In all: a full list takes nothing new from any site.
    stored.browserPasskeys = Array.from({ length: MAX_RECORDS }, (_, i) => ({ credentialId: `x${i}`, rpId: `s${i}.example` }));
    assert.equal(await recordBrowserRegistration('new.example', 'n', none, registration('n1')), false);
  });

  it('keeps every concurrent change (read-modify-write is serialized)', async () => {
    const facts = { flags: { be: true, bs: true }, signCount: 1 };
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => recordBrowserSignIn('site.example', id, 'platform', facts)));
    assert.deepEqual((await loadBrowserPasskeys()).map((p) => p.credentialId).sort(), ['a', 'b', 'c', 'd']);
  });
});

describe('popup rename and delete', () => {
  function fakeHost() {
    const calls: string[] = [];
    const host = {
      rename: async (id: string, name: string) => {
        calls.push(`rename ${id} ${name}`);
        return true;
      },
      delete: async (id: string) => {
        calls.push(`delete ${id}`);
        return false;
      },
    } as unknown as Host;
    return { host, calls };
  }

  it('renames and deletes a Keyplace passkey in the host, a recorded one in storage', async () => {
    stored.browserPasskeys = [{ credentialId: 'br', rpId: 'a.example', userName: 'old' } as BrowserPasskey];
    const { host, calls } = fakeHost();
    assert.deepEqual(await renamePasskey(host, 'kp', true, '  New name '), { ok: true });
    assert.deepEqual(calls, ['rename kp New name']);
    assert.deepEqual(await renamePasskey(host, 'br', false, 'Mine'), { ok: true });
    assert.equal((await loadBrowserPasskeys())[0].userName, 'Mine');

    assert.deepEqual(await deletePasskey(host, 'kp', true), { ok: false, error: 'That passkey is no longer there.' });
    assert.deepEqual(await deletePasskey(host, 'br', false), { ok: true });
    assert.deepEqual(await loadBrowserPasskeys(), []);
    assert.deepEqual(calls, ['rename kp New name', 'delete kp']);
  });

  it('refuses names that are empty, too long or hold control characters', async () => {
    assert.equal(checkAccountName('  Ada  '), 'Ada');
    assert.throws(() => checkAccountName('   '), /1 to 64/);
    assert.throws(() => checkAccountName('x'.repeat(65)), /1 to 64/);
    assert.throws(() => checkAccountName('a\nb'), /control characters/);
    const { host } = fakeHost();
    assert.deepEqual(await renamePasskey(host, '', true, 'x'), { ok: false, error: 'No passkey was named.' });
  });
});
