// For unit tests only (extension/scripts/unit-tests.mjs imports it first; never bundled): chrome.i18n as the
// browser answers it for an English UI, from the real en/messages.json, so modules that call t() run under node.
// The real lookup is checked end to end (tests/scenarios/languages.test.mjs).
import english from '../../_locales/en/messages.json';

export interface CatalogueEntry {
  message: string;
  description?: string;
  placeholders?: Record<string, { content: string; example?: string }>;
}
export type Catalogue = Record<string, CatalogueEntry>;

/**
 * chrome.i18n.getMessage's rules: $NAME$ (any case) is its placeholder's content, in which $1…$9 are the
 * substitutions; $$ is a dollar sign; an unknown key is ''.
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

export const englishI18n = {
  getMessage: (key: string, substitutions?: string | string[]) =>
    formatMessage(english as Catalogue, key, typeof substitutions === 'string' ? [substitutions] : (substitutions ?? [])),
  getUILanguage: () => 'en',
};

const global = globalThis as unknown as { chrome?: { i18n?: unknown } };
global.chrome ??= {};
global.chrome.i18n ??= englishI18n;
