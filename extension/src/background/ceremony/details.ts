// What the consent window shows for a ceremony: pure, from the prepared request, the host's answer and the
// site's rule.
import {
  type AccountChoice,
  type ConsentDetails,
  type SiteRule,
  type StoreId,
  type StoreStatus,
  wantsUserVerification,
} from '../../shared/messages';
import { type MessageKey, t } from '../../shared/i18n';
import type { PreparedCreate, PreparedGet } from '../core';
import type { HostCredential, HostHello } from '../host/api';
import { keyplaceLocation } from '../locations/wording';

/** The stores' names, for t(). */
export const STORE_NAME: Record<StoreId, MessageKey> = { hardware: 'storeNameHardware', vault: 'storeNameVault' };

/** Both stores, as the host reports them; a host that did not answer leaves both unavailable. */
export function storesFrom(hello: HostHello | null): StoreStatus[] {
  const vault = hello?.stores.find((s) => s.id === 'vault');
  const hardware = hello?.stores.find((s) => s.id === 'hardware');
  return [
    { id: 'hardware', available: !!hardware?.available, reason: hardware?.reason ?? t('storeHardwareMissing') },
    vault ? { ...vault, id: 'vault' } : { id: 'vault', available: false, reason: t('storeHostUnreachable') },
  ];
}

/**
 * The window orders its choices by the site's hints: when the most preferred known hint is a security key or a
 * phone ("hybrid"), the Browser choice, which reaches those, comes first and is preselected.
 */
export function browserFirst(hints: readonly string[]): boolean {
  return hints[0] === 'security-key' || hints[0] === 'hybrid';
}

/** Registration: the stores, and the rule (or default choice) that limits them, or why the default cannot apply. */
export function detailsFor(
  prepared: PreparedCreate,
  caller: { origin: string },
  hello: HostHello | null,
  hostProblem: string | null,
  policy: SiteRule,
): ConsentDetails {
  const stores = storesFrom(hello);
  let rule: ConsentDetails['rule'] = null;
  let defaultProblem: string | null = null;
  if (policy.choice === 'hardware' || policy.choice === 'vault') {
    const store = stores.find((s) => s.id === policy.choice);
    if (policy.ruleSite !== null) {
      // A rule for this site is kept even when its store is unavailable: the window says so.
      rule = { site: policy.ruleSite, store: policy.choice, fromDefault: false };
    } else if (store?.available) {
      rule = { site: policy.site, store: policy.choice, fromDefault: true };
    } else {
      // The default is a preference, not a promise made for this site: let the person choose.
      defaultProblem = t('defaultUnavailable', t(STORE_NAME[policy.choice]), store?.reason ?? t('unknownReason'));

    }
  }
  return {
    site: policy.site,
    rule,
    defaultProblem,
    browserFirst: browserFirst(prepared.hints),
    kind: 'create',
    rpId: prepared.rpId,
    origin: caller.origin,
    userName: prepared.user.name,
    userDisplayName: prepared.user.displayName,
    userVerification: prepared.userVerification,
    stores,
    hostProblem,
    accounts: [],
  };
}

/** Whether signing with this passkey needs a PIN in the window. */
export function needsPin(credential: HostCredential, hello: HostHello, userVerification: string): boolean {
  // The chip checks a hardware passkey's PIN at every use; the vault needs it when locked or for UV.
  if (credential.store === 'hardware') return true;
  const vault = hello.stores.find((s) => s.id === 'vault');
  return wantsUserVerification(userVerification) || !vault?.unlocked;
}

/** Sign-in: the Keyplace passkeys that can answer, and where each is. */
export function signInDetails(
  prepared: PreparedGet,
  caller: { origin: string },
  candidates: HostCredential[],
  hello: HostHello,
): ConsentDetails {
  const accounts: AccountChoice[] = candidates.map((c) => ({
    credentialId: c.credential_id,
    userName: c.user_name,
    userDisplayName: c.user_display_name,
    store: c.store,
    location: keyplaceLocation(c.store, c.imported_from, c.held_by_tpm),
    needsPin: needsPin(c, hello, prepared.userVerification),
  }));
  return {
    kind: 'get',
    rpId: prepared.rpId,
    origin: caller.origin,
    userName: '',
    userDisplayName: '',
    userVerification: prepared.userVerification,
    stores: [],
    hostProblem: null,
    accounts,
  };
}
