import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Choice } from '../shared/messages';
import {
  cleanRules,
  cleanSettings,
  DEFAULT_SETTINGS,
  lookUpRule,
  normalizeSite,
  type RegistrableDomain,
} from './rule-lookup';

// A stand-in for the core's Public Suffix List: the last two labels, or co.uk's three; not a domain → TypeError.
const registrableDomain: RegistrableDomain = (name) => {
  if (/^[\d.]+$/.test(name) || !name.includes('.')) throw new TypeError(`${name} is not a domain`);
  const labels = name.split('.');
  return labels.slice(name.endsWith('.co.uk') ? -3 : -2).join('.');
};

const stored = (rules: Record<string, Choice>, defaultChoice: Choice = 'ask') => ({
  rules,
  settings: { ...DEFAULT_SETTINGS, defaultChoice },
});

describe('lookUpRule', () => {
  it('applies a registrable-domain rule to its subdomains', () => {
    assert.deepEqual(lookUpRule(stored({ 'bank.co.uk': 'hardware' }), 'login.bank.co.uk', registrableDomain), {
      site: 'bank.co.uk',
      choice: 'hardware',
      ruleSite: 'bank.co.uk',
    });
  });

  it('prefers an exact RP ID rule to the registrable domain one', () => {
    const rules = stored({ 'bank.example': 'vault', 'login.bank.example': 'browser' });
    assert.deepEqual(lookUpRule(rules, 'Login.Bank.Example', registrableDomain), {
      site: 'bank.example',
      choice: 'browser',
      ruleSite: 'login.bank.example',
    });
    assert.equal(lookUpRule(rules, 'www.bank.example', registrableDomain).choice, 'vault');
  });

  it('falls back to the default choice, with no rule site', () => {
    assert.deepEqual(lookUpRule(stored({ 'other.example': 'vault' }, 'hardware'), 'shop.example', registrableDomain), {
      site: 'shop.example',
      choice: 'hardware',
      ruleSite: null,
    });
  });

  it('does not match a rule for a parent that is not the registrable domain', () => {
    // example.co.uk rules do not cover bank.co.uk: co.uk is a public suffix.
    assert.equal(lookUpRule(stored({ 'co.uk': 'browser' }), 'bank.co.uk', registrableDomain).choice, 'ask');
  });
});

describe('normalizeSite', () => {
  it('turns what a person typed into a rule key', () => {
    assert.deepEqual(normalizeSite('  https://Login.Bank.Example/path?q ', registrableDomain), {
      site: 'login.bank.example',
    });
    assert.deepEqual(normalizeSite('bank.example.', registrableDomain), { site: 'bank.example' });
  });

  it('refuses empty input and IP addresses in plain words', () => {
    assert.match((normalizeSite(' ', registrableDomain) as { error: string }).error, /Enter a site/);
    assert.match((normalizeSite('192.168.1.1', registrableDomain) as { error: string }).error, /IP addresses/);
  });
});

describe('stored values', () => {
  it('drops rules that are not choices', () => {
    assert.deepEqual(cleanRules({ 'a.example': 'vault', 'b.example': 'cloud', 'c.example': 3 }), {
      'a.example': 'vault',
    });
    assert.deepEqual(cleanRules(null), {});
  });

  it('replaces invalid settings with the defaults', () => {
    assert.deepEqual(cleanSettings({ defaultChoice: 'browser', vaultLockSeconds: 60 }), {
      defaultChoice: 'browser',
      vaultLockSeconds: 60,
    });
    assert.deepEqual(cleanSettings({ defaultChoice: 'nowhere', vaultLockSeconds: 86_401 }), DEFAULT_SETTINGS);
    assert.deepEqual(cleanSettings({ vaultLockSeconds: 1.5 }), DEFAULT_SETTINGS);
  });
});
