import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserWhereabouts, keyplaceLocation, keyplaceWhereabouts, type LocationFacts, providerName } from './wording';

const GOOGLE = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';
const APPLE = 'FBFC3007-154E-4ECC-8C0B-6E020557D7BD';
const YUBIKEY = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';
const WINDOWS_HELLO = '08987058-cadc-4b81-b6e1-30de50dcbe96';
const ZERO = '00000000-0000-0000-0000-000000000000';

const facts = (f: Partial<LocationFacts>): LocationFacts => ({
  aaguid: null,
  backupEligible: false,
  backupState: false,
  attachment: null,
  transports: [],
  ...f,
});

describe('providerName', () => {
  it('names known AAGUIDs in any case, with the name people know', () => {
    assert.equal(providerName(GOOGLE), 'Google Password Manager');
    assert.equal(providerName(APPLE), 'iCloud Keychain');
  });

  it('has no name for the all-zero, unknown or missing AAGUID', () => {
    assert.equal(providerName(ZERO), null);
    assert.equal(providerName('12345678-1234-1234-1234-123456789abc'), null);
    assert.equal(providerName(null), null);
  });
});

describe('browserWhereabouts', () => {
  it('says synced for a known provider that may back it up', () => {
    assert.deepEqual(browserWhereabouts(facts({ aaguid: GOOGLE, backupEligible: true, backupState: true })), {
      location: 'Google Password Manager (synced)',
      provider: 'Google Password Manager',
      icon: 'cloud',
    });
  });

  it('names a known security key by its model', () => {
    const where = browserWhereabouts(facts({ aaguid: YUBIKEY, attachment: 'cross-platform', transports: ['usb'] }));
    assert.equal(where.location, 'Security key (YubiKey 5 Series)');
    assert.equal(where.icon, 'key');
  });

  it('says this device only for a known platform authenticator that cannot sync', () => {
    assert.equal(
      browserWhereabouts(facts({ aaguid: WINDOWS_HELLO, attachment: 'platform' })).location,
      'Windows Hello (this device only)',
    );
  });

  it('falls back to the flags and the transports without a known AAGUID', () => {
    assert.equal(
      browserWhereabouts(facts({ aaguid: ZERO, backupEligible: true, backupState: true })).location,
      'Synced passkey provider (synced)',
    );
    assert.equal(browserWhereabouts(facts({ backupEligible: true })).location, 'Passkey provider (may be synced)');
    assert.equal(
      browserWhereabouts(facts({ transports: ['nfc'] })).location,
      'Unknown security key (this device only)',
    );
    assert.equal(
      browserWhereabouts(facts({ attachment: 'platform' })).location,
      'Browser or security key (this device only)',
    );
  });

  it('words a passkey first seen at a sign-in without trusting an AAGUID', () => {
    assert.equal(
      browserWhereabouts(facts({ aaguid: GOOGLE, fromSignIn: true })).location,
      'Browser or security key (on one device)',
    );
    assert.equal(
      browserWhereabouts(facts({ attachment: 'cross-platform', fromSignIn: true })).location,
      'Security key or phone (on one device)',
    );
  });
});

describe('keyplaceWhereabouts', () => {
  it('tells the TPM from the vault', () => {
    assert.equal(keyplaceWhereabouts('hardware').icon, 'chip');
    assert.match(keyplaceWhereabouts('hardware').location, /cannot be copied/);
    assert.equal(keyplaceWhereabouts('vault').location, 'Keyplace vault on this computer');
    assert.equal(
      keyplaceWhereabouts('vault', null, true).location,
      "Keyplace vault on this computer, held by its TPM (copied only with another device's approval)",
    );
    assert.equal(keyplaceWhereabouts('hardware', null, true).icon, 'chip', 'only vault passkeys are held so');
  });
});

describe('keyplaceWhereabouts', () => {
  it('says where an imported vault passkey came from, and that it was synced', () => {
    assert.deepEqual(keyplaceWhereabouts('vault', '1Password'), {
      location: 'Keyplace vault on this computer — imported from 1Password, was synced',
      provider: 'the Keyplace vault on this computer',
      icon: 'vault',
    });
    assert.equal(keyplaceLocation('vault', null), 'Keyplace vault on this computer');
    assert.equal(keyplaceLocation('hardware', 'ignored'), 'TPM on this computer (cannot be copied)');
  });
});
