// Runs the extension's unit tests: every extension/src/**/*.test.ts on node's test runner, TypeScript loaded
// by tsx (node 20 has neither TypeScript support nor globs for --test). Extra arguments go to node, e.g.
// `node extension/scripts/unit-tests.mjs --test-name-pattern=handoff`. Exits with node's status. Each test
// file starts with chrome.i18n answering from the English catalogue (extension/src/shared/i18n-testing.ts).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'extension', 'src');

const files = readdirSync(src, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
  .map((entry) => relative(root, join(entry.parentPath ?? entry.path, entry.name)))
  .sort();
if (files.length === 0) {
  console.error(`No *.test.ts files under ${relative(root, src)}`);
  process.exit(1);
}

const i18n = './extension/src/shared/i18n-testing.ts';
const args = ['--import', 'tsx', '--import', i18n, '--test', ...process.argv.slice(2), ...files];
const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

process.exit(run.status ?? 1);
