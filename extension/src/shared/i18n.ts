// The person's words, in their browser's language: every user-facing string comes from extension/_locales/
// through t(). Keys are checked by tsc against the English catalogue (a type-only import: nothing of it is
// bundled), and the unit test extension/src/shared/i18n.test.ts checks every catalogue, every t('…') call
// and every data-i18n attribute against each other. What the page can see (DOMException messages) is never
// translated: it stays the browser's own words.
import type english from '../../_locales/en/messages.json';

export type MessageKey = keyof typeof english;

/**
 * The message for `key` with $1…$9 filled from `substitutions` (numbers are formatted as written). An
 * unknown key gives the key itself, so a missing translation shows up instead of a blank.
 */
export function t(key: MessageKey, ...substitutions: (string | number)[]): string {
  const text = chrome.i18n.getMessage(key, substitutions.map(String));
  return text || key;
}

/** The language of the messages actually shown (the catalogue says it: the UI language may have none). */
export function messagesLanguage(): string {
  return t('languageTag');
}
