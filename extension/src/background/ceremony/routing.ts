// Which ceremonies go to the Keyplace window and which to the browser's own WebAuthn. Pure. The browser gets
// what Keyplace cannot or must not answer (ARCHITECTURE.md rule 9: never worse than the browser alone).
import type { ConsentDetails, SiteRule, StoreId } from '../../shared/messages';
import { t } from '../../shared/i18n';
import { oneLine } from '../notices';
import { STORE_NAME } from './details';

/**
 * What the page gets when Keyplace cannot take a request it was handed (the core refused the options, or
 * something failed before the person was asked): the browser, with the page's own options. The browser then
 * answers as it would without Keyplace: a related origin or an algorithm Keyplace lacks may well work there,
 * and a request that is wrong everywhere gets the browser's own error, not a guess of Keyplace's.
 */
export const TO_THE_BROWSER = { outcome: 'browser' } as const;

/**
 * Registration: a "browser" rule (or default) goes straight to the browser, whose UI is the prompt; so does a
 * request for a security key or a phone (`authenticatorAttachment: "cross-platform"`), which Keyplace is not.
 */
export function routeRegistration(
  policy: SiteRule,
  prepared: { authenticatorAttachment: 'platform' | 'cross-platform' | null },
): 'browser' | 'window' {
  if (prepared.authenticatorAttachment === 'cross-platform') return 'browser';
  return policy.choice === 'browser' ? 'browser' : 'window';
}

/**
 * Requests the browser answers before Keyplace looks at the options: one from a document Keyplace may not serve (a
 * frame whose permissions policy forbids WebAuthn, or that Keyplace cannot read; a cross-origin frame creating
 * without transient user activation, WebAuthn L3 §5.1.3 step 2), a conditional create (an automatic upgrade never
 * opens a window the person did not ask for), and mediation "silent" in Firefox, which refuses it
 * (NotSupportedError) where Chromium treats it as "optional". The browser then gives its own answer, its TypeError
 * first where the options are wrong too.
 */
export function browserAnswersFirst(request: {
  kind: 'create' | 'get';
  mediation?: string;
  permissionAllowed: boolean | null;
  sameOriginWithAncestors: boolean;
  activated: boolean | null;
  client: 'chromium' | 'firefox';
}): boolean {
  const crossOrigin = !request.sameOriginWithAncestors;
  if (request.permissionAllowed === false || (request.permissionAllowed === null && crossOrigin)) return true;
  if (request.kind === 'create' && (request.mediation === 'conditional' || (crossOrigin && request.activated === false))) {
    return true;
  }
  return request.mediation === 'silent' && request.client === 'firefox';
}

/** "Hardware only" for a site means no other place for it, whatever a window sends. */
export function browserAllowed(rule: ConsentDetails['rule']): boolean {
  return !(rule && !rule.fromDefault && rule.store === 'hardware');
}

/** The problem when a window chose a store the site's rule does not allow, else null. */
export function ruleViolation(rule: ConsentDetails['rule'], store: StoreId): string | null {
  return rule && store !== rule.store ? t('ruleAllowsOnly', rule.site, t(STORE_NAME[rule.store])) : null;

}

/** Sign-in: what to ask the host for, the page's allowCredentials included when it has any. */
export function signInLookup(prepared: { rpId: string; allowCredentialIds: string[] }): {
  rp_id: string;
  credential_ids?: string[];
} {
  return prepared.allowCredentialIds.length
    ? { rp_id: prepared.rpId, credential_ids: prepared.allowCredentialIds }
    : { rp_id: prepared.rpId };
}

/**
 * Sign-in: the window only with the Keyplace passkeys that can answer this request (of the page's
 * allowCredentials when it has any). Foreign ids only (e.g. a security key's) or no Keyplace passkey for
 * the site: the browser, untouched, so security-key MFA keeps working.
 */
export function routeSignIn<T extends { credential_id: string }>(
  allowCredentialIds: readonly string[],
  found: readonly T[],
): { to: 'window'; candidates: T[] } | { to: 'browser' } {
  const candidates = allowCredentialIds.length
    ? found.filter((c) => allowCredentialIds.includes(c.credential_id))
    : [...found];
  return candidates.length ? { to: 'window', candidates } : { to: 'browser' };
}

/**
 * isUserVerifyingPlatformAuthenticatorAvailable(): Keyplace is one when a store that verifies the person (vault PIN,
 * hardware PIN) can make passkeys here; otherwise the page gets the browser's own answer.
 */
export function offersPlatformAuthenticator(hello: { stores: readonly { available: boolean }[] }): boolean {
  return hello.stores.some((store) => store.available);
}

/** Sign-in with the host unreachable: the browser handles it (fail open) and this one line says why. */
export function hostUnreachableNotice(problem: string): string {
  return oneLine(t('noticeHostUnreachable', problem));
}
