// Site rules and settings: where passkeys for a site go ("hardware" | "vault" | "browser" | "ask"), a
// default choice, and the vault lock time. Rules are keyed by a registrable domain (bank.example covers
// login.bank.example) or by an exact RP ID; an exact RP ID rule wins. Kept in chrome.storage.local and
// cached here, so a ceremony does not wait for storage; the vault lock time is the host's (`configure`),
// because Chrome and Firefox share one host.
import { t } from '../shared/i18n';
import type { Choice, RulesAnswer, Settings, SiteRule } from '../shared/messages';
import { core } from './core';
import type { Host } from './host/api';
import { shownProblem } from './host/port';

import {
  cleanRules,
  cleanSettings,
  isChoice,
  lookUpRule,
  normalizeSite as normalizeSiteWith,
  type StoredRules,
  validLockSeconds,
} from './rule-lookup';

const RULES_KEY = 'siteRules';
const SETTINGS_KEY = 'settings';

let cache: Promise<StoredRules> | null = null;

function load(): Promise<StoredRules> {
  cache ??= chrome.storage.local.get([RULES_KEY, SETTINGS_KEY]).then(
    (stored) => ({ rules: cleanRules(stored[RULES_KEY]), settings: cleanSettings(stored[SETTINGS_KEY]) }),
    (err) => {
      cache = null;
      throw err;
    },
  );
  return cache;
}

/** Starts reading the rules at the worker's start, while the WASM core compiles: a cold ceremony then finds them
 * read instead of waiting for storage after preparing its request. A failed read is retried by the next load(). */
export function preloadRules(): void {
  load().catch(() => undefined);
}

// Another extension page (or another worker start) may change them: drop the cache.
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && (RULES_KEY in changes || SETTINGS_KEY in changes)) cache = null;
});

// Site names go through the core's Public Suffix List: the core must be ready.
const registrableDomain = (name: string) => core.registrableDomain(name);

const normalizeSite = (input: string) => normalizeSiteWith(input, registrableDomain);

/** The rule for an RP ID: an exact RP ID rule first, else the rule of its registrable domain, else the default. */
export async function ruleFor(rpId: string): Promise<SiteRule> {
  return lookUpRule(await load(), rpId, registrableDomain);
}

export async function listRules(): Promise<{ site: string; choice: Choice }[]> {
  const { rules } = await load();
  return Object.entries(rules)
    .map(([site, choice]) => ({ site, choice }))
    .sort((a, b) => a.site.localeCompare(b.site));
}

async function writeRules(change: (rules: Record<string, Choice>) => void): Promise<void> {
  const stored = await load();
  const rules = { ...stored.rules };
  change(rules);
  await chrome.storage.local.set({ [RULES_KEY]: rules });
  cache = Promise.resolve({ ...stored, rules });
}

export async function setRule(
  siteInput: string,
  choice: unknown,
): Promise<RulesAnswer<{ site: string; choice: Choice }>> {
  if (!isChoice(choice)) return { ok: false, error: t('ruleChooseStore') };
  const normalized = normalizeSite(String(siteInput ?? ''));
  if ('error' in normalized) return { ok: false, error: normalized.error };
  await writeRules((rules) => (rules[normalized.site] = choice));
  return { ok: true, value: { site: normalized.site, choice } };
}

export async function removeRule(siteInput: string): Promise<RulesAnswer<{ site: string }>> {
  const normalized = normalizeSite(String(siteInput ?? ''));
  if ('error' in normalized) return { ok: false, error: normalized.error };
  await writeRules((rules) => delete rules[normalized.site]);
  return { ok: true, value: { site: normalized.site } };
}

/** The rule for what the popup or options page names: a site, an RP ID or a URL. */
export async function ruleForInput(siteInput: string): Promise<RulesAnswer<SiteRule>> {
  const normalized = normalizeSite(String(siteInput ?? ''));
  if ('error' in normalized) return { ok: false, error: normalized.error };
  return { ok: true, value: await ruleFor(normalized.site) };
}

/** Settings; the vault lock time comes from the host when it answers (it is the one that keeps it). */
export async function getSettings(host: Host): Promise<Settings & { hostProblem: string | null }> {
  const { settings } = await load();
  try {
    const hello = await host.hello();
    return { ...settings, vaultLockSeconds: hello.vault_unlock_seconds, hostProblem: null };
  } catch (err) {
    return { ...settings, hostProblem: shownProblem(err) };
  }
}

export async function setSettings(host: Host, change: Partial<Settings>): Promise<RulesAnswer<Settings>> {
  const current = (await load()).settings;
  const next: Settings = { ...current };
  if (change.defaultChoice !== undefined) {
    if (!isChoice(change.defaultChoice)) return { ok: false, error: t('defaultChooseStore') };
    next.defaultChoice = change.defaultChoice;
  }
  if (change.vaultLockSeconds !== undefined) {
    if (!validLockSeconds(change.vaultLockSeconds))
      return { ok: false, error: t('lockTimeRange', 86_400) };
    try {
      await host.configure({ vault_unlock_seconds: change.vaultLockSeconds });
    } catch (err) {
      return { ok: false, error: t('lockTimeNotChanged', shownProblem(err)) };
    }
    next.vaultLockSeconds = change.vaultLockSeconds;
  }
  const stored = await load();
  await chrome.storage.local.set({ [SETTINGS_KEY]: next });
  cache = Promise.resolve({ ...stored, settings: next });
  return { ok: true, value: next };
}
