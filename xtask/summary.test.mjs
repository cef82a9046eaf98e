// The closing summary's readers, on reports made by the real tools (node's JUnit reporter) or copied from them
// (libtest's JSON lines), and its rules for stages that fail without a failing test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readJunit, readLibtest } from './summary.mjs';

const dir = mkdtempSync(join(tmpdir(), 'keyplace-summary-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const summaryScript = fileURLToPath(new URL('./summary.mjs', import.meta.url));

// A child `node --test` must not think it reports to this test run.
function childEnv() {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

test("node's JUnit report: leaves are tests; failures, skips and todos counted; names keep their suite", () => {
  const fixture = join(dir, 'fixture.test.mjs');
  writeFileSync(
    fixture,
    `import { describe, it, before, test } from 'node:test';
test('passes', () => {});
test('skipped', { skip: true }, () => {});
test('todo', { todo: true }, () => {});
test('fails <with> "markup" & more', () => { throw new Error('<no>'); });
describe('group', () => { it('inner passes', () => {}); it('inner fails', () => { throw new Error('x'); }); });
describe('hook', () => { before(() => { throw new Error('hook'); }); it('never runs', () => {}); });
test('parent', async (t) => { await t.test('child', () => {}); });
`,
  );
  const report = join(dir, 'fixture.xml');
  const run = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=junit', `--test-reporter-destination=${report}`, fixture],
    { env: childEnv() },
  );
  assert.equal(run.status, 1);
  const counts = readJunit(readFileSync(report, 'utf8'));
  assert.deepEqual(counts, {
    passed: 3,
    failed: 3,
    skipped: 2,
    failures: ['fails <with> "markup" & more', 'group › inner fails', 'hook › never runs'],
  });
});

test('libtest JSON: counts per test; a test that started but never finished failed; stray lines ignored', () => {
  const lines = [
    '{ "type": "suite", "event": "started", "test_count": 3 }',
    '{ "type": "test", "event": "started", "name": "a::ok" }',
    '{ "type": "test", "name": "a::ok", "event": "ok" }',
    '{ "type": "test", "event": "started", "name": "a::bad" }',
    'printed by a child process',
    '{ "type": "test", "name": "a::bad", "event": "failed", "stdout": "assertion failed" }',
    '{ "type": "test", "name": "a::later", "event": "ignored" }',
    '{ "type": "suite", "event": "failed", "passed": 1, "failed": 1, "ignored": 1, "measured": 0, "filtered_out": 0 }',
    '{ "type": "suite", "event": "started", "test_count": 2 }',
    '{ "type": "test", "event": "started", "name": "b::crashes" }',
    '{ "type": "suite", "event": "started", "test_count": 1 }',
    '{ "type": "test", "event": "started", "name": "c::ok" }',
    '{ "type": "test", "name": "c::ok", "event": "ok" }',
    '{ "type": "suite", "event": "ok", "passed": 1, "failed": 0, "ignored": 0, "measured": 0, "filtered_out": 0 }',
  ];
  assert.deepEqual(readLibtest(lines.join('\n')), {
    passed: 2,
    failed: 2,
    skipped: 1,
    failures: ['a::bad', 'b::crashes (did not finish)'],
  });
});

test('summary: a failed check and a test stage that exits non-zero without a failing test each count once', () => {
  const reports = join(dir, 'reports');
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  writeFileSync(
    join(reports, 'rust.jsonl'),
    '{ "type": "test", "name": "a", "event": "ok" }\n{ "type": "test", "name": "b", "event": "ignored" }\n',
  );
  writeFileSync(join(reports, 'node.xml'), '<testsuites><testcase name="t" classname="test"/></testsuites>');
  writeFileSync(
    join(reports, 'stages.tsv'),
    [
      'rustfmt\tcheck\t0\t-\t1',
      'clippy\tcheck\t101\t-\t42',
      'Rust tests\tlibtest\t0\trust.jsonl',
      'Unit tests\tskipped\t-\tno script',
      'Node tests\tjunit\t1\tnode.xml',
      'Crashed\tjunit\t1\tmissing.xml',
    ].join('\n'),
  );
  const run = spawnSync(process.execPath, [summaryScript, reports], { encoding: 'utf8' });
  const lines = run.stdout.trimEnd().split('\n');
  assert.equal(lines.at(-1), '2 passed, 3 failed, 1 skipped');
  assert.equal(run.status, 1);
  assert.match(run.stdout, /clippy: exit status 101/);
  assert.match(run.stdout, /FAILED +clippy +42s/);
  assert.match(run.stdout, /Node tests: exit status 1 without a failing test in its report/);
  assert.match(run.stdout, /Crashed: exit status 1 and wrote no report/);
  assert.match(run.stdout, /skipped +Unit tests +no script$/m);

  writeFileSync(join(reports, 'stages.tsv'), 'rustfmt\tcheck\t0\t-\nNode tests\tjunit\t0\tnode.xml\n');
  const clean = spawnSync(process.execPath, [summaryScript, reports], { encoding: 'utf8' });
  assert.equal(clean.stdout.trimEnd().split('\n').at(-1), '1 passed, 0 failed');
  assert.equal(clean.status, 0);
});
