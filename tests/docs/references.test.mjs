// ARCHITECTURE.md is the one map of the project, and "ARCHITECTURE.md rule N" in a comment must lead
// somewhere real. These checks keep the map and the references to it honest: every path (and symbol)
// the map names exists, the code cites the map rather than documents outside the repository, and every
// rule number cited is one of the map's rules. No browser and no build needed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SELF = path.relative(ROOT, fileURLToPath(import.meta.url));
const MAP = 'ARCHITECTURE.md';
const RULE_COUNT = 10;

/** Folders whose source, test and documentation files must cite ARCHITECTURE.md, never outside documents. */
const SCANNED_DIRS = ['native-host', 'wasm-core', 'extension', 'tests', 'xtask', 'manifests'];
const SCANNED_EXTENSIONS = new Set(['.rs', '.ts', '.mjs', '.js', '.cjs', '.sh', '.md', '.json', '.toml', '.html']);
/** Never walked: dependencies and build output (not ours to check, and absent before a build). */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', 'target', 'dist', 'build']);
/** A path the map may name although it exists only after a build. */
const BUILD_OUTPUT = /^(extension\/(dist|build)|target)(\/|$)/;
/** What looks like a path into the repository when it appears in backticks. */
const REPO_PATH = new RegExp(
  [
    String.raw`^(\.ci|extension|manifests|native-host|tests|wasm-core|xtask)/\S*$`,
    String.raw`^[A-Z][A-Z_]*\.md$`,
    String.raw`^(Cargo\.toml|Cargo\.lock|package\.json|package-lock\.json)$`,
  ].join('|'),
);

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...walk(rel));
    } else if (entry.isFile()) {
      out.push(rel);
    }
  }
  return out;
}

const allFiles = SCANNED_DIRS.concat(['.ci']).filter((d) => existsSync(path.join(ROOT, d))).flatMap(walk);
const read = (rel) => readFileSync(path.join(ROOT, rel), 'utf8');
const lineOf = (text, index) => text.slice(0, index).split('\n').length;

/** `a/{b,c}.mjs` → `a/b.mjs`, `a/c.mjs`. */
function expandBraces(p) {
  const m = /\{([^{}]*)\}/.exec(p);
  if (!m) return [p];
  return m[1].split(',').flatMap((alt) => expandBraces(p.slice(0, m.index) + alt + p.slice(m.index + m[0].length)));
}

function exists(rel) {
  const clean = rel.replace(/[.,;:]+$/, '');
  if (BUILD_OUTPUT.test(clean)) return true;
  if (clean.includes('*')) {
    const escaped = clean.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`^${escaped.replace(/\*\*\/?/g, '.{0,}').replace(/\*/g, '[^/]*')}$`);
    return allFiles.some((f) => pattern.test(f) || pattern.test(`${f}/`));
  }
  return existsSync(path.join(ROOT, clean));
}

/** GitHub's anchor for a heading. */
const slug = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
const headingsOf = (text) => [...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => m[1].replace(/`/g, ''));

/**
 * Every repository path a Markdown file names: links and images (relative to the file), and the paths in
 * backticks (from the repository root).
 */
function citedPaths(file) {
  const text = read(file);
  const dir = path.posix.dirname(file);
  const cited = [];
  const add = (target, index) => {
    const [bare, anchor] = target.split('#');
    const rel = bare === '' ? file : path.posix.normalize(path.posix.join(dir, bare));
    cited.push({ rel, anchor: anchor ?? null, where: `${file}:${lineOf(text, index)}`, raw: target });
  };
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (!/^[a-z]+:/i.test(m[1])) add(m[1], m.index);
  }
  for (const m of text.matchAll(/<img[^>]*\ssrc="([^"]+)"/g)) {
    if (!/^[a-z]+:/i.test(m[1])) add(m[1], m.index);
  }
  for (const m of text.matchAll(/`([^`\n]+)`/g)) {
    for (const token of m[1].split(/\s+/)) {
      const t = token.replace(/[.,;:)]+$/, '');
      if (!REPO_PATH.test(t)) continue;
      const where = `${file}:${lineOf(text, m.index)}`;
      for (const p of expandBraces(t)) cited.push({ rel: p, anchor: null, where, raw: t });
    }
  }
  return cited;
}

function missingPaths(file) {
  const problems = [];
  for (const c of citedPaths(file)) {
    if (!exists(c.rel)) {
      problems.push(`${c.where}: ${c.raw} does not exist`);
    } else if (c.anchor && c.rel.endsWith('.md') && statSync(path.join(ROOT, c.rel)).isFile()) {
      const headings = headingsOf(read(c.rel));
      if (!headings.some((h) => slug(h) === c.anchor)) problems.push(`${c.where}: ${c.raw}: no such heading`);
    }
  }
  return problems;
}

/** A name of code in backticks: `signIn`, `Service::handle`, `host.create()`, `MAX_INCOMING`. */
const CODE_NAME = /^[A-Za-z_$][\w$]*(?:(?:::|\.)[A-Za-z_$][\w$]*)*(?:\(\))?$/;

/**
 * In the map, `path` (`symbol`, or `symbol`: why) says where something is: every code name in backticks inside
 * those parentheses must appear in that file (or, for a folder, in a file under it).
 */
function missingSymbols(file) {
  const text = read(file);
  const problems = [];
  for (const m of text.matchAll(/`([^`\s]+)`\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)) {
    const target = m[1];
    // A pattern (`a/*.ts`, `a/{b,c}.mjs`) names no one file to look in.
    if (!REPO_PATH.test(target) || BUILD_OUTPUT.test(target) || /[*{]/.test(target) || !exists(target)) continue;
    const files = statSync(path.join(ROOT, target)).isDirectory()
      ? allFiles.filter((f) => f.startsWith(`${target.replace(/\/$/, '')}/`))
      : [target];
    const source = files.map(read).join('\n');
    for (const s of m[2].matchAll(/`([^`]+)`/g)) {
      if (!CODE_NAME.test(s[1])) continue;
      for (const name of s[1].replace(/\(\)$/, '').split(/::|\./)) {
        const word = new RegExp(`(^|[^A-Za-z0-9_$])${name.replace(/[$]/g, '\\$')}($|[^A-Za-z0-9_$])`);
        if (!word.test(source)) problems.push(`${file}:${lineOf(text, m.index)}: ${target} has no ${name}`);
      }
    }
  }
  return problems;
}

const scannedFiles = allFiles.filter(
  (f) => f !== SELF && !f.startsWith('.ci/') && SCANNED_EXTENSIONS.has(path.extname(f)),
);

/** Lines of the scanned files that match a pattern, as `file:line: text`. */
function offenders(check) {
  const found = [];
  for (const file of scannedFiles) {
    const lines = read(file).split('\n');
    lines.forEach((line, i) => {
      const why = check(line, file);
      if (why) found.push(`${file}:${i + 1}: ${why}: ${line.trim().slice(0, 140)}`);
    });
  }
  return found;
}

/** "../shared" that leaves the repository (the extension's own extension/src/shared/ is fine). */
function leavesRepo(line, file) {
  if (/\/work\/shared\b/.test(line)) return true;
  for (const m of line.matchAll(/((?:\.\.\/)+)shared\b/g)) {
    const resolved = path.resolve(ROOT, path.dirname(file), m[1], 'shared');
    if (path.relative(ROOT, resolved).startsWith('..')) return true;
  }
  return false;
}

function outsideCitation(line, file) {
  if (/DESIGN\.md/.test(line)) return 'cites DESIGN.md (cite ARCHITECTURE.md instead)';
  if (/\brecipes\//.test(line)) return 'cites recipes/ (outside the repository)';
  if (leavesRepo(line, file)) return 'cites ../shared (outside the repository)';
  if (/\binvariants?\s*#?\d+/i.test(line)) return 'cites "invariant N" (write "ARCHITECTURE.md rule N")';
  return null;
}

/** Rule numbers cited as "rule 4", "rules 4 and 5", "ARCHITECTURE.md rule 7"; each must be 1–10. */
function citedRuleNumbers(line) {
  const numbers = [];
  for (const m of line.matchAll(/\brules?\s+(\d+(?:\s*(?:,|and|or|&|-|–|to)\s*\d+)*)\b/gi)) {
    for (const n of m[1].match(/\d+/g)) numbers.push(Number(n));
  }
  return numbers;
}

function unknownRule(line) {
  const bad = citedRuleNumbers(line).filter((n) => !(n >= 1 && n <= RULE_COUNT));
  return bad.length ? `cites rule ${bad.join(', ')}; ARCHITECTURE.md has rules 1–${RULE_COUNT}` : null;
}

/** Space between words of a comment, which may go on after a line break and the comment's marker. */
const GAP = String.raw`(?:[\s*#]|//[/!]?)+`;
const SECTION_CITATION = new RegExp(
  String.raw`ARCHITECTURE\.md[,:]?${GAP}(?:section${GAP}|§\s*)?["“]([^"”]{1,80})["”]`,
  'g',
);
const ANCHOR_CITATION = /ARCHITECTURE\.md#([\w-]+)/g;

/** Sections of the map cited as ARCHITECTURE.md "Storage classes" (or #storage-classes), even across lines. */
function unknownSections() {
  const headings = existsSync(path.join(ROOT, MAP)) ? headingsOf(read(MAP)) : [];
  const found = [];
  for (const file of scannedFiles) {
    const text = read(file);
    for (const m of text.matchAll(SECTION_CITATION)) {
      const wanted = m[1].replace(new RegExp(`\\s*\\n${GAP}`, 'g'), ' ').trim();
      if (!headings.some((h) => h.toLowerCase().includes(wanted.toLowerCase()))) {
        found.push(`${file}:${lineOf(text, m.index)}: cites ARCHITECTURE.md "${wanted}", which has no such section`);
      }
    }
    for (const m of text.matchAll(ANCHOR_CITATION)) {
      if (!headings.some((h) => slug(h) === m[1])) {
        found.push(`${file}:${lineOf(text, m.index)}: cites ARCHITECTURE.md#${m[1]}, which has no such heading`);
      }
    }
  }
  return found;
}

/** Fails with one `file:line: why` per problem (a plain list reads better than a diff of arrays). */
function assertNone(problems, what) {
  if (problems.length) assert.fail(`${what} (${problems.length}):\n  ${problems.join('\n  ')}`);
}

describe('ARCHITECTURE.md and the references to it', () => {
  it(`${MAP} numbers its security rules 1–${RULE_COUNT}, in order`, () => {
    assert.ok(existsSync(path.join(ROOT, MAP)), `${MAP} is missing at the repository root`);
    const numbers = [...read(MAP).matchAll(/^###\s+Rule\s+(\d+)\b/gm)].map((m) => Number(m[1]));
    assert.deepEqual(numbers, Array.from({ length: RULE_COUNT }, (_, i) => i + 1));
  });

  it(`every path ${MAP} names exists, and so does every symbol it places in a file`, () => {
    assert.ok(existsSync(path.join(ROOT, MAP)), `${MAP} is missing at the repository root`);
    const problems = [...missingPaths(MAP), ...missingSymbols(MAP)];
    assertNone(problems, `${MAP} names what is not there`);
  });

  it('every path, link and image in README.md exists', () => {
    const problems = missingPaths('README.md');
    assertNone(problems, 'README.md links to what is not there');
  });

  it('no source or test file cites DESIGN.md, recipes/, ../shared or "invariant N"', () => {
    const problems = offenders(outsideCitation);
    assertNone(problems, 'Cite ARCHITECTURE.md (rule N, or a section) instead');
  });

  it(`every rule (1–${RULE_COUNT}) and every section of ${MAP} cited in the code exists`, () => {
    const problems = [...offenders(unknownRule), ...unknownSections()];
    assertNone(problems, 'Unknown rule or section of ARCHITECTURE.md');
  });
});
