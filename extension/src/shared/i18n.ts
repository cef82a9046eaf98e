// The person's words, in their browser's language: every user-facing string comes from extension/_locales/
// through t(). Keys are checked by tsc against the English catalogue (a type-only import: nothing of it is
// bundled), and the unit test extension/src/shared/i18n.test.ts checks every catalogue, every t('…') call
// and every data-i18n attribute against each other. What the page can see (DOMException messages) is never
// translated: it stays the browser's own words.
import type english from '../../_locales/en/messages.json';

export type MessageKey = keyof typeof english;

export interface CatalogueEntry {
  message: string;
  description?: string;
  placeholders?: Record<string, { content: string; example?: string }>;
}
export type Catalogue = Record<string, CatalogueEntry>;

/**
 * chrome.i18n.getMessage's rules over a catalogue: $NAME$ (any case) is its placeholder's content, in which $1…$9
 * are the substitutions; $$ is a dollar sign; an unknown key is ''.
 */
export function formatMessage(catalogue: Catalogue, key: string, substitutions: string[] = []): string {
  const entry = Object.entries(catalogue).find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1];
  if (!entry) return '';
  const placeholders = new Map(Object.entries(entry.placeholders ?? {}).map(([name, p]) => [name.toLowerCase(), p.content]));
  const fill = (text: string) => text.replace(/\$(\d)/g, (_, n: string) => substitutions[Number(n) - 1] ?? '');
  return entry.message.replace(/\$\$|\$([A-Za-z0-9_@]+)\$/g, (whole, name: string | undefined) => {
    if (!name) return '$';
    const content = placeholders.get(name.toLowerCase());
    return content === undefined ? whole : fill(content);
  });
}

/**
 * Chromium caches one message table per extension process, fetched by a synchronous call to the browser; when that
 * call fails (seen when the first extension page of a process is closed while it loads, e.g. the first-run tab), the
 * empty table stays for the life of the process and every getMessage answers '' — even '@@extension_id'. Then the
 * catalogue is read here instead: at once in a page (a synchronous read of a packaged file), from the next call on
 * in the background (which cannot read synchronously).
 */
let ownCatalogue: Catalogue | null = null;
let reading = false;

function catalogueUrls(): string[] {
  const ui = chrome.i18n.getUILanguage?.() ?? 'en';
  const [language, region] = ui.split(/[-_]/);
  const names = [region ? `${language}_${region.toUpperCase()}` : '', language, 'en'].filter(Boolean);
  return [...new Set(names)].map((name) => chrome.runtime.getURL(`_locales/${name}/messages.json`));
}

function readOwnCatalogue(): void {
  if (reading) return;
  reading = true;
  if (typeof XMLHttpRequest === 'function') {
    for (const url of catalogueUrls()) {
      try {
        const request = new XMLHttpRequest();
        request.open('GET', url, false);
        request.send();
        if (request.status === 200 || request.status === 0) {
          ownCatalogue = JSON.parse(request.responseText) as Catalogue;
          return;
        }
      } catch {
        // Not this language: the next one.
      }
    }
    return;
  }
  void (async () => {
    for (const url of catalogueUrls()) {
      const found = await fetch(url).then((r) => (r.ok ? (r.json() as Promise<Catalogue>) : null), () => null);
      if (found) {
        ownCatalogue = found;
        return;
      }
    }
  })();
}

/**
 * The message for `key` with $1…$9 filled from `substitutions` (numbers are formatted as written). A key with no
 * message gives the key itself, so a missing translation shows up instead of a blank.
 */
export function t(key: MessageKey, ...substitutions: (string | number)[]): string {
  const strings = substitutions.map(String);
  const text = chrome.i18n.getMessage(key, strings);
  if (text) return text;
  if (!ownCatalogue && chrome.i18n.getMessage('@@extension_id') === '') readOwnCatalogue();
  return (ownCatalogue && formatMessage(ownCatalogue, key, strings)) || key;
}

/**
 * Fetches the extension process's message table now (the background at start-up): Chromium keeps the first answer
 * for the whole process, pages included, so it is best asked while nothing is closing.
 */
export function warmUpMessages(): void {
  if (chrome.i18n.getMessage('@@extension_id') === '') readOwnCatalogue();
}

/** The language of the messages actually shown
 (the catalogue says it: the UI language may have none). */
export function messagesLanguage(): string {
  return t('languageTag');
}
