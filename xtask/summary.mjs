// The closing summary of `xtask/xtask.sh test` (and `lint`), computed only from each stage's exit code and its
// machine-readable report, never from the human output. Usage: node xtask/summary.mjs <reports-dir>
//
// <reports-dir>/stages.tsv has one line per stage, in the order they ran: name, kind, exit status, the report
// file (or, for a skipped stage, why) and, optionally, seconds taken. Kinds:
//   check    a named check (rustfmt, clippy, tsc, Biome, the build): shown as ok or FAILED; a failed check adds one
//            to `failed`, a passing one adds nothing to `passed` (which counts tests only);
//   libtest  Rust tests, libtest's JSON lines (--format json);
//   junit    node's test runner, its JUnit report;
//   skipped  not run; shown, never counted.
// A test stage counts its tests; when it exits non-zero without a failing test in its report (a crash, a compile
// error, a missing report), that stage counts as one failure. The last line is `N passed, N failed` (and
// `, N skipped` when tests were skipped or ignored); the exit status is 1 when anything failed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Counts libtest's JSON events. A test that started but never reported (its binary crashed) failed. */
export function readLibtest(text) {
  const result = { passed: 0, failed: 0, skipped: 0, failures: [] };
  let running = new Set();
  const stopped = () => {
    for (const name of running) {
      result.failed += 1;
      result.failures.push(`${name} (did not finish)`);
    }
    running = new Set();
  };
  for (const line of text.split('\n')) {
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      continue; // output a test wrote straight to stdout, bypassing libtest's capture
    }
    if (event?.type === 'suite' && event.event === 'started') stopped();
    if (event?.type !== 'test') continue;
    if (event.event === 'started') running.add(event.name);
    else running.delete(event.name);
    if (event.event === 'ok') result.passed += 1;
    else if (event.event === 'ignored') result.skipped += 1;
    else if (event.event === 'failed') {
      result.failed += 1;
      result.failures.push(event.name);
    }
  }
  stopped();
  return result;
}

const TAG = /<(\/?)([A-Za-z]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g;
// Node 20's JUnit reporter escapes quotes in attribute values twice (`&amp;quot;`).
const xmlText = (text) =>
  text
    .replace(/&(lt|gt|quot|apos|amp);/g, (_, e) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e])
    .replace(/&quot;/g, '"');

/**
 * Counts the test cases of node's JUnit report: each <testcase> is one test (suites with subtests are
 * <testsuite>s); it failed if it holds a <failure>, was skipped (skip or todo) if it holds a <skipped>.
 * Every '<' in text and attribute values is escaped, so the tags can be read without an XML library.
 */
export function readJunit(text) {
  const result = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const suites = [];
  let current = null;
  for (const [, closing, tag, attributes, selfClosing] of text.matchAll(TAG)) {
    const name = xmlText(/\bname="([^"]*)"/.exec(attributes)?.[1] ?? '');
    if (tag === 'testsuite') {
      if (closing) suites.pop();
      else if (!selfClosing) suites.push(name);
    } else if (tag === 'testcase') {
      if (!closing) current = { name: [...suites, name].join(' › '), failed: false, skipped: false };
      if (closing || selfClosing) {
        if (current.failed) {
          result.failed += 1;
          result.failures.push(current.name);
        } else if (current.skipped) result.skipped += 1;
        else result.passed += 1;
        current = null;
      }
    } else if (current && !closing && (tag === 'failure' || tag === 'error')) current.failed = true;
    else if (current && !closing && tag === 'skipped') current.skipped = true;
  }
  return result;
}

const readers = { libtest: readLibtest, junit: readJunit };

function summarise(dir) {
  const stages = readFileSync(join(dir, 'stages.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, kind, status, detail, seconds] = line.split('\t');
      const time = seconds && seconds !== '0' ? `${seconds}s` : '';
      return { name, kind, status: Number(status), detail, time };
    });
  const total = { passed: 0, failed: 0, skipped: 0 };
  const failures = [];
  const rows = [];
  for (const stage of stages) {
    if (stage.kind === 'skipped') {
      rows.push(['skipped', stage.name, '', stage.detail]);
      continue;
    }
    if (stage.kind === 'check') {
      if (stage.status !== 0) {
        total.failed += 1;
        failures.push(`${stage.name}: exit status ${stage.status}`);
      }
      rows.push([stage.status === 0 ? 'ok' : 'FAILED', stage.name, stage.time, '']);
      continue;
    }
    const report = join(dir, stage.detail);
    const counts = existsSync(report)
      ? readers[stage.kind](readFileSync(report, 'utf8'))
      : { passed: 0, failed: 0, skipped: 0, failures: [] };
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
    failures.push(...counts.failures.map((test) => `${stage.name}: ${test}`));
    let note = `${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`;
    if (stage.status !== 0 && counts.failed === 0) {
      total.failed += 1;
      const why = existsSync(report) ? 'without a failing test in its report' : 'and wrote no report';
      failures.push(`${stage.name}: exit status ${stage.status} ${why}`);
      note += ` (exit status ${stage.status} ${why})`;
    }
    rows.push([stage.status === 0 && counts.failed === 0 ? 'ok' : 'FAILED', stage.name, stage.time, note]);
  }

  const width = Math.max(...rows.map(([, name]) => name.length));
  console.log('\nStages:');
  for (const [state, name, time, note] of rows) {
    console.log(`  ${state.padEnd(8)}${name.padEnd(width + 2)}${time.padStart(6)}  ${note}`.trimEnd());
  }
  if (failures.length > 0) {
    console.log('\nFailed:');
    for (const failure of failures) console.log(`  ${failure}`);
  }
  console.log();
  console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
  return total.failed === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!process.argv[2]) {
    console.error('Usage: node xtask/summary.mjs <reports-dir>');
    process.exit(2);
  }
  process.exitCode = summarise(process.argv[2]);
}
