// Mozilla's own linter (web-ext lint, the checks addons.mozilla.org runs) on the built Firefox extension:
// no errors allowed; warnings and notices are listed in the test output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webExt from 'web-ext';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SOURCE = path.join(ROOT, 'extension/dist/firefox');

describe('web-ext lint on extension/dist/firefox', { timeout: 120_000 }, () => {
  it('reports no errors', async (t) => {
    assert.ok(existsSync(path.join(SOURCE, 'manifest.json')), `build it first: node extension/build.mjs firefox (${SOURCE})`);
    // The linter always prints its report with console.log; the result object is what we judge, and
    // its messages are listed below as diagnostics instead.
    const consoleLog = console.log;
    console.log = () => {};
    let report;
    try {
      report = await webExt.cmd.lint(
        { sourceDir: SOURCE, output: 'json', pretty: false, metadata: false, selfHosted: false, boring: true, warningsAsErrors: false },
        { shouldExitProgram: false },
      );
    } finally {
      console.log = consoleLog;
    }
    const line = (m) => `${m.code} (${m.file ?? '-'}): ${m.message}${m.description ? ` — ${m.description}` : ''}`;
    for (const w of report.warnings ?? []) t.diagnostic(`warning ${line(w)}`);
    for (const n of report.notices ?? []) t.diagnostic(`notice ${line(n)}`);
    assert.deepEqual((report.errors ?? []).map(line), []);
    assert.equal(report.summary.errors, 0);
  });
});
