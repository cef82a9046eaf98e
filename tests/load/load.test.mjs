// The load of tests/load/load.mjs, smaller: two host processes (Chromium's and Firefox's) on one database, 200
// interleaved registrations, sign-ins, renames and deletes; nothing lost, no counter value lost or repeated.
// ARCHITECTURE.md rule 4 (the host owns the counter, one counter for two hosts).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { it } from 'node:test';
import { hostBinary } from '../support/build-outputs.mjs';
import { formatFigures, runLoad } from './load.mjs';

it('200 interleaved ceremonies on two hosts lose no passkey and no counter value', { timeout: 180_000, skip: !existsSync(hostBinary()) && `${hostBinary()} is not built` }, async () => {
  const figures = await runLoad({ operations: 200, seed: 7 });
  console.log(formatFigures(figures));
  assert.deepEqual(figures.problems, []);
  assert.ok(figures.operations >= 190, `only ${figures.operations} operations completed`);
  for (const kind of ['create', 'sign', 'rename', 'delete']) {
    assert.ok(figures.perOperation[kind].count > 0, `no ${kind} ran`);
  }
});
