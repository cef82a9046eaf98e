// The catalogues (extension/_locales/*/messages.json) against each other and against the code: every language
// has the same keys and placeholders, every key the code and pages use exists (with as many substitutions as
// its placeholders), no key is unused, and no visible English is left outside the catalogue in the UI.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DefaultTreeAdapterMap, parse } from 'parse5';
import ts from 'typescript';
import { type Catalogue, formatMessage } from './i18n';

const EXTENSION = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(EXTENSION, 'src');
const LOCALES = join(EXTENSION, '_locales');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

const languages = readdirSync(LOCALES).sort();
const catalogues: Record<string, Catalogue> = Object.fromEntries(
  languages.map((lang) => [lang, readJson(join(LOCALES, lang, 'messages.json'))]),
);
const english = catalogues.en;

const filesUnder = (dir: string, suffix: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name))
    .sort();
/** The extension's own code (the generated protocol types and the tests are not the person's UI). */
const sources = filesUnder(SRC, '.ts').filter((f) => !f.endsWith('.test.ts') && !f.endsWith('i18n-testing.ts'));
const uiSources = sources.filter((f) => f.includes('/src/ui/'));

const pages = filesUnder(join(SRC, 'ui'), '.html');

/** Background modules whose strings are the person's (the others also hold what pages see, in English). */
const PERSON_FACING_BACKGROUND = [
  'background/locations/wording.ts',
  'background/locations/site-signals.ts',
  'background/notices.ts',
  'background/rules.ts',
  'background/rule-lookup.ts',
  'background/ceremony/details.ts',
  'background/ceremony/routing.ts',
  'background/import.ts',
  'background/devices.ts',
];

const placeholdersUsed = (message: string) =>
  [...message.matchAll(/\$([A-Za-z0-9_@]+)\$/g)].map((m) => m[1].toLowerCase()).sort();
const markers = (message: string) => [...message.matchAll(/\[\[(.*?)\]\]/g)].length;
/** How many substitutions a message takes: the highest $n its placeholders use. */
const arity = (entry: Catalogue[string]) =>
  Math.max(0, ...Object.values(entry.placeholders ?? {}).flatMap((p) => [...p.content.matchAll(/\$(\d)/g)].map((m) => Number(m[1]))));

// ---- What the code and the pages use --------------------------------------------------------------------------

interface Use {
  key: string;
  where: string;
  substitutions?: number;
}

const parsed = new Map(
  sources.map((file) => [file, ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)]),
);
const at = (node: ts.Node) => {
  const source = node.getSourceFile();
  return `${relative(EXTENSION, source.fileName)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
};
const walk = (node: ts.Node, visit: (n: ts.Node) => void): void => {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
};
const isT = (node: ts.Node): node is ts.CallExpression =>
  ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 't';

/** t('key', …) calls with a literal key; string literals equal to a key (maps of keys passed to t() later). */
function codeUses(): { calls: Use[]; mentioned: Set<string> } {
  const calls: Use[] = [];
  const mentioned = new Set<string>();
  for (const source of parsed.values()) {
    walk(source, (node) => {
      if (isT(node) && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
        calls.push({ key: node.arguments[0].text, where: at(node), substitutions: node.arguments.length - 1 });
      } else if (ts.isStringLiteral(node) && Object.hasOwn(english, node.text)) {
        mentioned.add(node.text);
      }
    });
  }
  return { calls, mentioned };
}

type Element = DefaultTreeAdapterMap['element'];
type ChildNode = DefaultTreeAdapterMap['childNode'];
const isElement = (node: ChildNode | DefaultTreeAdapterMap['document']): node is Element => 'tagName' in node;
const attr = (el: Element, name: string) => el.attrs.find((a) => a.name === name)?.value;

function elementsOf(file: string): Element[] {
  const all: Element[] = [];
  const visit = (node: DefaultTreeAdapterMap['parentNode']) => {
    for (const child of node.childNodes) {
      if (!isElement(child)) continue;
      all.push(child);
      visit(child);
      if (child.tagName === 'template') visit((child as DefaultTreeAdapterMap['template']).content);
    }
  };
  visit(parse(readFileSync(file, 'utf8')));
  return all;
}

const I18N_ATTRIBUTES = ['data-i18n', 'data-i18n-aria-label', 'data-i18n-placeholder', 'data-i18n-title', 'data-i18n-value'];

function pageUses(): Use[] {
  const uses: Use[] = [];
  for (const file of pages) {
    for (const el of elementsOf(file)) {
      for (const name of I18N_ATTRIBUTES) {
        const key = attr(el, name);
        if (key !== undefined) uses.push({ key, where: `${relative(EXTENSION, file)} <${el.tagName} ${name}>` });
      }
    }
  }
  return uses;
}

const manifestUses = (): Use[] =>
  ['chromium', 'firefox'].flatMap((browser) => {
    const text = readFileSync(join(EXTENSION, '..', 'manifests', `${browser}.json`), 'utf8');
    return [...text.matchAll(/__MSG_([A-Za-z0-9_@]+)__/g)].map((m) => ({ key: m[1], where: `manifests/${browser}.json` }));
  });

// ---- Visible text left outside the catalogue ------------------------------------------------------------------

/** Two words of prose ("Save as", "not shown"): what a person reads, not a selector, a path or an id. */
const PROSE = /[A-Za-z]{2,}[,.;:!?…]*\s+[A-Za-z]{2,}/;
const hasLetters = /[A-Za-z]/;
/** Where text becomes what the person sees or hears. */
const TEXT_PROPERTIES = new Set(['textContent', 'innerText', 'innerHTML', 'title', 'placeholder', 'ariaLabel', 'alt', 'label']);
const TEXT_ATTRIBUTES = new Set(['aria-label', 'title', 'placeholder', 'alt', 'aria-description']);
const TEXT_METHODS = new Set(['append', 'prepend', 'replaceChildren', 'before', 'after', 'replaceWith', 'createTextNode']);
/** Attributes that hold names for machines (class lists, id references), never words. */
const NAME_ATTRIBUTES = new Set(['class', 'className', 'id', 'aria-labelledby', 'aria-describedby', 'data-action']);

const literalText = (node: ts.Node): string | null => {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
  return null;
};

/** Words a declaration's comment says are not translated (product names). */
const saysNotTranslated = (node: ts.Node) =>
  (ts.getLeadingCommentRanges(node.getSourceFile().text, node.getFullStart()) ?? []).some((range) =>
    /not translated/.test(node.getSourceFile().text.slice(range.pos, range.end)),
  );

/**
 * A literal that is only for developers or machines (an import, a t() key, an Error's or the console's words), or
 * under a declaration whose comment says "not translated".
 */
function exempt(node: ts.Node): boolean {
  for (let up: ts.Node | undefined = node.parent; up; up = up.parent) {
    if (ts.isVariableStatement(up) && saysNotTranslated(up)) return true;
    if (ts.isPropertyAssignment(up) && NAME_ATTRIBUTES.has(literalText(up.name) ?? up.name.getText())) return true;


    if (ts.isImportDeclaration(up) || ts.isExportDeclaration(up) || isT(up)) return true;
    if (ts.isNewExpression(up) && ts.isIdentifier(up.expression) && up.expression.text.endsWith('Error')) return true;
    if (ts.isCallExpression(up)) {
      const callee = up.expression.getText();
      if (callee.startsWith('console.') || /querySelector(All)?$|closest$|matches$/.test(callee)) return true;
    }
  }
  return false;
}

function untranslated(files: string[], { sinksOnly }: { sinksOnly: boolean }): string[] {
  const found: string[] = [];
  const flag = (node: ts.Node, why: string) => {
    const text = literalText(node);
    if (text !== null && hasLetters.test(text) && !exempt(node)) found.push(`${at(node)} ${why}: ${node.getText()}`);
  };
  for (const file of files) {
    walk(parsed.get(file) as ts.SourceFile, (node) => {
      // element.textContent = 'words' (and title, placeholder, …)
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const left = node.left;
        if (ts.isPropertyAccessExpression(left) && TEXT_PROPERTIES.has(left.name.text)) flag(node.right, left.name.text);
      }
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
        // setAttribute('aria-label', 'words')
        if (method === 'setAttribute' && node.arguments[0] && TEXT_ATTRIBUTES.has(literalText(node.arguments[0]) ?? '')) {
          flag(node.arguments[1], 'setAttribute');
        }
        // node.append('words'), document.createTextNode('words')
        if (TEXT_METHODS.has(method)) for (const arg of node.arguments) flag(arg, method);
        // element(tag, { 'aria-label': 'words' }, 'words')
        if (method === 'element') {
          const [, attributes, ...children] = node.arguments;
          if (attributes && ts.isObjectLiteralExpression(attributes)) {
            for (const p of attributes.properties) {
              if (ts.isPropertyAssignment(p) && TEXT_ATTRIBUTES.has(literalText(p.name) ?? p.name.getText())) {
                flag(p.initializer, `element attribute ${p.name.getText()}`);
              }
            }
          }
          for (const child of children) flag(child, 'element child');
        }
      }
      // Anywhere else: prose in a literal ('Some words' kept in a constant and shown later).
      if (!sinksOnly) {
        const text = literalText(node);
        if (text !== null && PROSE.test(text) && !exempt(node)) found.push(`${at(node)} prose: ${node.getText()}`);
      }
    });
  }
  return [...new Set(found)];
}

function untranslatedInPages(): string[] {
  const found: string[] = [];
  for (const file of pages) {
    const where = relative(EXTENSION, file);
    for (const el of elementsOf(file)) {
      if (el.tagName === 'style' || el.tagName === 'script') continue;
      for (const child of el.childNodes) {
        if (child.nodeName === '#text' && hasLetters.test((child as DefaultTreeAdapterMap['textNode']).value)) {
          if (attr(el, 'data-i18n') === undefined) found.push(`${where} <${el.tagName}> text without data-i18n`);
        }
      }
      for (const name of TEXT_ATTRIBUTES) {
        const value = attr(el, name);
        if (value !== undefined && hasLetters.test(value)) found.push(`${where} <${el.tagName} ${name}="${value}">`);
      }
    }
  }
  return found;
}

// ---- The tests --------------------------------------------------------------------------------------------------

describe('the catalogues', () => {
  it('exist for English (the default) and at least one more language', () => {
    assert.ok(languages.includes('en'), 'en');
    assert.ok(languages.length >= 2, `languages: ${languages.join(', ')}`);
    for (const browser of ['chromium', 'firefox']) {
      assert.equal(readJson(join(EXTENSION, '..', 'manifests', `${browser}.json`)).default_locale, 'en', browser);
    }
  });

  it('use key names the browsers accept, none differing only in case', () => {
    for (const [lang, catalogue] of Object.entries(catalogues)) {
      const lower = new Set<string>();
      for (const key of Object.keys(catalogue)) {
        assert.match(key, /^[A-Za-z0-9_]+$/, `${lang}: ${key}`);
        assert.ok(!lower.has(key.toLowerCase()), `${lang}: ${key} twice (keys are case-insensitive)`);
        lower.add(key.toLowerCase());
      }
    }
  });

  for (const lang of languages.filter((l) => l !== 'en')) {
    it(`${lang} has the same keys, placeholders and [[parts]] as en`, () => {
      const other = catalogues[lang];
      assert.deepEqual(Object.keys(other).sort(), Object.keys(english).sort());
      for (const [key, entry] of Object.entries(english)) {
        const translated = other[key];
        assert.ok(translated.message.trim(), `${lang}: ${key} is empty`);
        assert.deepEqual(placeholdersUsed(translated.message).filter((p, i, a) => a.indexOf(p) === i), placeholdersUsed(entry.message).filter((p, i, a) => a.indexOf(p) === i), `${lang}: ${key} placeholders in the message`);
        const contents = (e: typeof entry) => Object.fromEntries(Object.entries(e.placeholders ?? {}).map(([n, p]) => [n.toLowerCase(), p.content]));
        assert.deepEqual(contents(translated), contents(entry), `${lang}: ${key} placeholder definitions`);
        assert.equal(markers(translated.message), markers(entry.message), `${lang}: ${key} [[parts]]`);
      }
    });
  }

  it('define every placeholder their messages use, and use every one they define', () => {
    for (const [lang, catalogue] of Object.entries(catalogues)) {
      for (const [key, entry] of Object.entries(catalogue)) {
        const defined = Object.keys(entry.placeholders ?? {}).map((n) => n.toLowerCase()).sort();
        const used = [...new Set(placeholdersUsed(entry.message))].sort();
        assert.deepEqual(used, defined, `${lang}: ${key}`);
      }
    }
  });

  it('are formatted as chrome.i18n does it (the rules the unit tests rely on)', () => {
    const sample: Catalogue = { a: { message: 'Hi $WHO$, $$5 at $Where$', placeholders: { who: { content: '$1' }, where: { content: 'the $2' } } } };
    assert.equal(formatMessage(sample, 'A', ['Ann', 'door']), 'Hi Ann, $5 at the door');
    assert.equal(formatMessage(sample, 'missing'), '');
  });
});

describe('the code, the pages and the manifests against the catalogue', () => {
  const { calls, mentioned } = codeUses();
  const used = [...calls, ...pageUses(), ...manifestUses()];

  it('use only keys that exist in en', () => {
    const missing = used.filter((u) => !Object.hasOwn(english, u.key)).map((u) => `${u.where}: ${u.key}`);
    assert.deepEqual(missing, []);
    assert.ok(calls.length > 100, `t() calls found: ${calls.length}`);
  });

  it('give each t() call as many substitutions as its message has placeholders', () => {
    const wrong = calls
      .filter((c) => Object.hasOwn(english, c.key) && c.substitutions !== arity(english[c.key]))
      .map((c) => `${c.where}: ${c.key} gets ${c.substitutions}, takes ${arity(english[c.key])}`);
    assert.deepEqual(wrong, []);
  });

  it('fill each page element whose message has [[parts]] with as many child elements', () => {
    const wrong: string[] = [];
    for (const file of pages) {
      for (const el of elementsOf(file)) {
        const key = attr(el, 'data-i18n');
        if (!key || !Object.hasOwn(english, key)) continue;
        const children = el.childNodes.filter(isElement).length;
        if (children !== markers(english[key].message)) wrong.push(`${relative(EXTENSION, file)} ${key}: ${children} elements`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('leave no key unused', () => {
    const usedKeys = new Set([...used.map((u) => u.key), ...mentioned]);
    assert.deepEqual(Object.keys(english).filter((key) => !usedKeys.has(key)), []);
  });
});

describe('no visible English outside the catalogue', () => {
  it('in the pages: every text and accessible name comes from data-i18n', () => {
    assert.deepEqual(untranslatedInPages(), []);
  });

  it('in the UI scripts: no literal text shown, and no prose kept for later', () => {
    assert.deepEqual(untranslated(uiSources, { sinksOnly: false }), []);
  });

  it('in the background modules that word things for the person', () => {
    const files = PERSON_FACING_BACKGROUND.map((f) => join(SRC, f));
    for (const f of files) assert.ok(parsed.has(f), `${f} exists`);
    assert.deepEqual(untranslated(files, { sinksOnly: false }), []);
  });

  it('would catch one: the scan finds an untranslated string when there is one', () => {
    const probe = ts.createSourceFile(
      join(SRC, 'ui/probe.ts'),
      [
        "byId('x').textContent = 'Hello';",
        "const WORDS = 'Not translated yet';",
        "el.setAttribute('aria-label', `Open $" + "{x}`);", // a template literal with a substitution
      ].join('\n'),
      ts.ScriptTarget.ES2022,
      true,
    );
    parsed.set(probe.fileName, probe);
    try {
      assert.equal(untranslated([probe.fileName], { sinksOnly: false }).length, 3);
    } finally {
      parsed.delete(probe.fileName);
    }
  });
});

describe('t() when the browser has lost the message table (Chromium, see i18n.ts)', () => {
  it('reads the catalogue of the UI language itself, synchronously in a page', async () => {
    const global = globalThis as unknown as Record<string, unknown>;
    const saved = { chrome: global.chrome, XMLHttpRequest: global.XMLHttpRequest };
    const asked: string[] = [];
    // A page's XMLHttpRequest over the packaged files (extension/_locales), and a getMessage that answers ''.
    global.XMLHttpRequest = class {
      status = 0;
      responseText = '';
      private url = '';
      open(_method: string, url: string) {
        this.url = url;
      }
      send() {
        asked.push(this.url);
        const path = join(EXTENSION, this.url.replace('ext:/', ''));
        this.responseText = readFileSync(path, 'utf8'); // throws for a language with no catalogue, as a browser does
        this.status = 200;
      }
    };
    global.chrome = {
      i18n: { getMessage: () => '', getUILanguage: () => 'de-AT' },
      runtime: { getURL: (path: string) => `ext://${path}` },
    };
    try {
      const { t } = await import(`./i18n.ts?lost=${Date.now()}`);
      assert.equal(t('consentCreateTitle', 'example.com'), 'Passkey für example.com erstellen');
      assert.deepEqual(asked, ['ext://_locales/de_AT/messages.json', 'ext://_locales/de/messages.json']);
      assert.equal(t('popupPasskeyCountOther', 3), '3 Passkeys');
      assert.equal(asked.length, 2, 'read once');
    } finally {
      Object.assign(global, saved);
    }
  });
});
