import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CopyRow, RecoveryAnswer, RecoveryParams } from '../generated/host-protocol';
import { copyWhereabouts, devicesView, listOf, recovery } from './devices';
import type { Host } from './host/api';

const row = (c: Partial<CopyRow>): CopyRow => ({
  credential_id: 'AAAA',
  rp_id: 'example.com',
  user_name: 'alice',
  role: 'requested',
  source: 'desktop',
  target: 'laptop-2',
  approver: null,
  at: 1,
  ...c,
});

describe('copyWhereabouts', () => {
  it('on the source: this computer and the targets, copies need approval', () => {
    assert.deepEqual(copyWhereabouts([row({}), row({ target: 'phone' }), row({ credential_id: 'BBBB' })]), {
      AAAA: 'Keyplace vault on this computer, laptop-2 and phone (copies need approval)',
      BBBB: 'Keyplace vault on this computer and laptop-2 (copies need approval)',
    });
  });

  it('on the target: where it came from and who approved it', () => {
    assert.deepEqual(copyWhereabouts([row({ role: 'imported', approver: 'laptop' })]), {
      AAAA: 'Keyplace vault on this computer and desktop (copied here with approval from laptop)',
    });
  });

  it('a copy this device only approved is not one of its passkeys: no words', () => {
    assert.deepEqual(copyWhereabouts([row({ role: 'approved', approver: 'laptop' })]), {});
  });

  it('lists names as a person writes them', () => {
    assert.equal(listOf([]), '');
    assert.equal(listOf(['a']), 'a');
    assert.equal(listOf(['a', 'b', 'c']), 'a, b and c');
  });
});

describe('devicesView', () => {
  it('keeps enrolled devices only, this one first as the host sends them', () => {
    const device = (name: string, enrolled = true, thisDevice = false) => ({
      id: name,
      short_id: name,
      name,
      this_device: thisDevice,
      enrolled,
      approved_by: null,
      added_at: 1,
      removed_by: enrolled ? null : 'desktop',
    });
    const view = devicesView({
      this_device: device('desktop', true, true),
      devices: [device('desktop', true, true), device('laptop-2'), device('old', false)],
      copies: [],
    });
    assert.deepEqual(
      view.devices.map((d) => d.name),
      ['desktop', 'laptop-2'],
    );
    assert.equal(view.thisDevice?.name, 'desktop');
  });
});

describe('recovery', () => {
  const devices = { this_device: null, devices: [], copies: [] };
  const sheetRow = {
    id: 'cGFwZXI',
    short_id: '0102-0304',
    name: 'paper',
    this_device: false,
    enrolled: true,
    approved_by: 'desktop',
    added_at: 1,
    removed_by: null,
    recovery_sheet: true,
  };
  /** A host whose `recovery` answers `answer` (or throws it), and remembers what it was asked. */
  const hostAnswering = (answer: RecoveryAnswer | Error) => {
    const asked: RecoveryParams[] = [];
    const host = {
      recovery: async (params: RecoveryParams) => {
        asked.push(params);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    } as unknown as Host;
    return { host, asked };
  };

  it('forwards a made sheet: its code once, its name, the ring; the sheet listed as one', async () => {
    const { host, asked } = hostAnswering({
      code: 'KPRS1-AAAAA',
      sheet: sheetRow,
      ring: '{}',
      devices: { ...devices, devices: [sheetRow] },
    });
    const answer = await recovery(host, { action: 'make', name: 'paper', pin: '123456' });
    assert.deepEqual(asked, [{ action: 'make', name: 'paper', pin: '123456' }]);
    assert.ok(answer.ok);
    assert.equal(answer.code, 'KPRS1-AAAAA');
    assert.equal(answer.sheet, 'paper');
    assert.equal(answer.devices.devices[0]?.recoverySheet, true);
  });

  it('maps an approval with the sheet as copy-approve does, and the ring code of a join', async () => {
    const { host } = hostAnswering({
      approval: { approval: '{}', source: 'desktop', target: 'paper', chip_held: false },
      ring_code: '1234 5678 9012',
      devices,
    });
    const answer = await recovery(host, { action: 'approve_copy', request: '{}', code: 'KPRS1-AAAAA' });
    assert.ok(answer.ok);
    assert.deepEqual(answer.approval, { approval: '{}', source: 'desktop', target: 'paper', chipHeld: false });
    assert.equal(answer.ringCode, '1234 5678 9012');
  });

  it("passes the host's refusal on in its words; an unknown action never reaches the host", async () => {
    const typo = hostAnswering(new Error('a character is mistyped: check it against the sheet'));
    const refused = await recovery(typo.host, { action: 'approve_join', request: 'x', code: 'KPRS1-AAAAB' });
    assert.deepEqual(refused, { ok: false, error: 'a character is mistyped: check it against the sheet' });
    const unknown = hostAnswering({ devices });
    const answer = await recovery(unknown.host, { action: 'print' });
    assert.equal(answer.ok, false);
    assert.deepEqual(unknown.asked, []);
  });
});
