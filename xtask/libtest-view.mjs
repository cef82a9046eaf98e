// Shows Rust tests run with libtest's JSON output (--format json) the way people read them, and keeps the JSON
// lines unchanged in a report file for xtask/summary.mjs. Usage: cargo test ... | node xtask/libtest-view.mjs FILE
// Passing tests are counted, not listed; failures are shown with the output libtest captured for them. Lines
// that are not libtest JSON (cargo's messages, what tests wrote to stderr) are shown as they come.
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

const report = createWriteStream(process.argv[2]);
const show = (text) => process.stdout.write(`${text}\n`);

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  report.write(`${line}\n`);
  let event;
  try {
    event = JSON.parse(line);
  } catch {
    show(line);
    continue;
  }
  if (event?.type === 'suite' && event.event === 'started') show(`running ${event.test_count} tests`);
  else if (event?.type === 'suite') {
    const time = event.exec_time === undefined ? '' : `; finished in ${event.exec_time.toFixed(2)}s`;
    show(
      `test result: ${event.event}. ${event.passed} passed; ${event.failed} failed; ${event.ignored} ignored; ` +
        `${event.filtered_out} filtered out${time}\n`,
    );
  } else if (event?.type === 'test' && event.event === 'failed') {
    show(`test ${event.name} ... FAILED`);
    if (event.stdout) show(event.stdout.replace(/^/gm, '    ').trimEnd());
    if (event.message) show(`    ${event.message}`);
  } else if (event?.type === 'test' && event.event === 'ignored') show(`test ${event.name} ... ignored`);
  else if (event?.type === 'test' && event.event === 'timeout') show(`test ${event.name} has been running for over 60 seconds`);
  else if (event?.type !== 'test') show(line);
}
await new Promise((resolve) => report.end(resolve));
