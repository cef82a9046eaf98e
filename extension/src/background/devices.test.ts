import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CopyRow } from '../generated/host-protocol';
import { copyWhereabouts, devicesView, listOf } from './devices';

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
