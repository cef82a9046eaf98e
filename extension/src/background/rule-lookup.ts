// The pure part of site rules (rules.ts keeps them in chrome.storage): which rule applies to an RP ID, what a
// person typed as a site, and what stored values are valid. The registrable domain comes from the caller
// (the core's Public Suffix List), so this file runs without the core.
import { t } from '../shared/i18n';
import type { Choice, Settings, SiteRule } from '../shared/messages';

export const CHOICES: readonly Choice[] = ['hardware', 'vault', 'browser', 'ask'];
export const DEFAULT_SETTINGS: Settings = { defaultChoice: 'ask', vaultLockSeconds: 300 };
/** A day: longer than that is not a "lock time" any more. */
export const MAX_LOCK_SECONDS = 86_400;

/** The registrable domain of a domain name; throws (TypeError) for IP addresses and other non-domains. */
export type RegistrableDomain = (name: string) => string;

export interface StoredRules {
  rules: Record<string, Choice>;
  settings: Settings;
}

export function isChoice(value: unknown): value is Choice {
  return typeof value === 'string' && (CHOICES as readonly string[]).includes(value);
}

export function validLockSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_LOCK_SECONDS;
}

/** Stored rules as they should be: anything that is not a choice is dropped. */
export function cleanRules(value: unknown): Record<string, Choice> {
  const rules: Record<string, Choice> = {};
  if (value && typeof value === 'object') {
    for (const [site, choice] of Object.entries(value)) if (isChoice(choice)) rules[site] = choice;
  }
  return rules;
}

/** Stored settings as they should be: an invalid or missing value becomes its default. */
export function cleanSettings(value: unknown): Settings {
  const v = (value && typeof value === 'object' ? value : {}) as Partial<Settings>;
  return {
    defaultChoice: isChoice(v.defaultChoice) ? v.defaultChoice : DEFAULT_SETTINGS.defaultChoice,
    vaultLockSeconds: validLockSeconds(v.vaultLockSeconds) ? v.vaultLockSeconds : DEFAULT_SETTINGS.vaultLockSeconds,
  };
}

/**
 * The site a person means for an RP ID: its registrable domain (login.bank.co.uk → bank.co.uk). A value that
 * is not a domain is returned as it is (lower case).
 */
export function siteOf(rpId: string, registrableDomain: RegistrableDomain): string {
  try {
    return registrableDomain(rpId);
  } catch {
    return rpId.toLowerCase();
  }
}

/** The rule for an RP ID: an exact RP ID rule first, else the rule of its registrable domain, else the default. */
export function lookUpRule(stored: StoredRules, rpId: string, registrableDomain: RegistrableDomain): SiteRule {
  const { rules, settings } = stored;
  const id = rpId.toLowerCase();
  const site = siteOf(id, registrableDomain);
  if (rules[id]) return { site, choice: rules[id], ruleSite: id };
  if (rules[site]) return { site, choice: rules[site], ruleSite: site };
  return { site, choice: settings.defaultChoice, ruleSite: null };
}

/**
 * What a person typed as a site ("Bank.example", "https://login.bank.example/x") → the rule key
 * ("bank.example", "login.bank.example"), or an error in plain words.
 */
export function normalizeSite(
  input: string,
  registrableDomain: RegistrableDomain,
): { site: string } | { error: string } {
  let text = input.trim().toLowerCase();
  if (!text) return { error: t('siteEnter') };
  try {
    text = new URL(text.includes('://') ? text : `https://${text}`).hostname;
  } catch {
    return { error: t('siteInvalid', input.trim()) };
  }
  text = text.replace(/\.$/, '');
  try {
    registrableDomain(text); // TypeError for IP addresses and other non-domains
  } catch {
    return { error: t('siteIpAddress', input.trim()) };

  }
  return { site: text };
}
