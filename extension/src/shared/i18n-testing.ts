// For unit tests only (extension/scripts/unit-tests.mjs imports it first; never bundled): chrome.i18n as the
// browser answers it for an English UI, from the real en/messages.json, so modules that call t() run under node.
// The real lookup is checked end to end (tests/scenarios/languages.test.mjs).
import english from '../../_locales/en/messages.json';
import { type Catalogue, formatMessage } from './i18n';

export const englishI18n = {
  getMessage: (key: string, substitutions?: string | string[]) =>
    key === '@@extension_id'
      ? 'keyplace-unit-tests'
      : formatMessage(english as Catalogue, key, typeof substitutions === 'string' ? [substitutions] : (substitutions ?? [])),
  getUILanguage: () => 'en',
};

const global = globalThis as unknown as { chrome?: { i18n?: unknown } };
global.chrome ??= {};
global.chrome.i18n ??= englishI18n;
