import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HelloAnswer, ImportAnswer, ImportParams } from '../generated/host-protocol';
import { type ImportHost, inspectImport, runImport } from './import';

const ANSWER: ImportAnswer = {
  exporter: 'Exporter',
  imported: 0,
  passkeys: [
    {
      credential_id: 'AAAA',
      rp_id: 'example.com',
      user_name: 'jane',
      user_display_name: 'Jane',
      account: 'jane@example.com',
      status: 'ready',
    },
    {
      credential_id: 'BBBB',
      rp_id: 'ed.example',
      user_name: 'jane',
      user_display_name: 'Jane',
      account: 'jane@example.com',
      status: 'cannot_import',
      reason: 'its key is Ed25519',
    },
  ],
};

function fakeHost(initialized: boolean, fail?: string): ImportHost & { asked: ImportParams[] } {
  const asked: ImportParams[] = [];
  const hello: HelloAnswer = {
    version: '0',
    vault_unlock_seconds: 0,
    stores: [{ id: 'vault', available: true, initialized, unlocked: false, protection: 'pin_only' }],
  };
  return {
    asked,
    hello: async () => hello,
    import: async (params: ImportParams) => {
      asked.push(params);
      if (fail) throw new Error(fail);
      return ANSWER;
    },
  } as ImportHost & { asked: ImportParams[] };
}

describe('import', () => {
  it('inspects a file and says whether the vault has a PIN yet', async () => {
    const host = fakeHost(false);
    const view = await inspectImport(host, '{"version": {}}');
    assert.deepEqual(host.asked, [{ action: 'inspect', file: '{"version": {}}' }]);
    assert.ok(view.ok);
    assert.equal(view.vaultHasPin, false);
    assert.equal(view.newPinChars, 6, 'no TPM counts wrong PINs of this vault');
    assert.equal(view.exporter, 'Exporter');
    assert.deepEqual(view.passkeys[1], {
      credentialId: 'BBBB',
      rpId: 'ed.example',
      userName: 'jane',
      userDisplayName: 'Jane',
      account: 'jane@example.com',
      status: 'cannot_import',
      reason: 'its key is Ed25519',
    });
  });

  it('imports the chosen ids with the PIN, and says the host refusal in its words', async () => {
    const host = fakeHost(true);
    assert.ok((await runImport(host, 'file', ['AAAA'], '1234')).ok);
    assert.deepEqual(host.asked, [{ action: 'import', file: 'file', credential_ids: ['AAAA'], pin: '1234' }]);
    assert.deepEqual(await runImport(host, 'file', 'AAAA', '1234'), { ok: false, error: 'No passkey was chosen.' });
    assert.deepEqual(await runImport(host, 'file', ['AAAA'], ''), { ok: false, error: 'The PIN is missing.' });
    assert.deepEqual(await inspectImport(fakeHost(true, 'That PIN is not right.'), 'x'), {
      ok: false,
      error: 'That PIN is not right.',
    });
  });
});
