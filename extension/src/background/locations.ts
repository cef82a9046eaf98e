// Where each passkey is, in words a person understands. Keyplace passkeys come from the host; passkeys
// the browser made are recorded here from public facts only (AAGUID, flags, attachment), never keys.
import type { BrowserCredentialSummary, PasskeyRow, PopupList, StoreId } from '../shared/messages';
import type { Host, HostCredential } from './host-api';
import type { RegistrationFacts } from './core';

const STORAGE_KEY = 'browserPasskeys';

export interface BrowserPasskey {
  credentialId: string;
  rpId: string;
  userName: string;
  aaguid: string;
  backupEligible: boolean;
  backupState: boolean;
  attachment: string | null;
  transports: string[];
  location: string;
  createdAt: number;
}

export function keyplaceLocation(store: StoreId): string {
  return store === 'hardware' ? 'TPM on this computer (cannot be copied)' : 'Keyplace vault on this computer';
}

/** Without a named provider, the flags and the attachment still say whether it can leave this device. */
export function browserLocation(facts: { backupEligible: boolean; backupState: boolean; attachment: string | null }): string {
  if (facts.backupState) return 'Browser or password manager (synced)';
  if (facts.backupEligible) return 'Browser or password manager (may be synced)';
  if (facts.attachment === 'cross-platform') return 'Security key or phone (this device only)';
  return 'Browser or security key (this device only)';
}

async function loadBrowserPasskeys(): Promise<BrowserPasskey[]> {
  const stored = await chrome.storage.local.get(STORAGE_KEY);
  const list = stored[STORAGE_KEY];
  return Array.isArray(list) ? (list as BrowserPasskey[]) : [];
}

export async function recordBrowserPasskey(
  rpId: string,
  userName: string,
  summary: BrowserCredentialSummary,
  facts: RegistrationFacts,
): Promise<void> {
  const attachment = summary.authenticatorAttachment;
  const record: BrowserPasskey = {
    credentialId: facts.credentialId,
    rpId,
    userName,
    aaguid: facts.aaguid,
    backupEligible: facts.flags.be,
    backupState: facts.flags.bs,
    attachment,
    transports: summary.transports.filter((t) => typeof t === 'string').slice(0, 8),
    location: browserLocation({ backupEligible: facts.flags.be, backupState: facts.flags.bs, attachment }),
    createdAt: Date.now(),
  };
  const list = (await loadBrowserPasskeys()).filter((p) => p.credentialId !== record.credentialId);
  list.push(record);
  await chrome.storage.local.set({ [STORAGE_KEY]: list });
}

function keyplaceRow(c: HostCredential): PasskeyRow {
  return {
    credentialId: c.credential_id,
    rpId: c.rp_id,
    userName: c.user_name,
    location: keyplaceLocation(c.store),
    keyplace: true,
    createdAt: c.created_at,
    lastUsedAt: c.last_used_at,
    signCount: c.sign_count,
  };
}

export async function listPasskeys(host: Host): Promise<PopupList> {
  let hostProblem: string | null = null;
  let fromHost: HostCredential[] = [];
  try {
    fromHost = await host.list();
  } catch (err) {
    hostProblem = err instanceof Error ? err.message : String(err);
  }
  const rows = fromHost.map(keyplaceRow);
  for (const p of await loadBrowserPasskeys()) {
    rows.push({
      credentialId: p.credentialId,
      rpId: p.rpId,
      userName: p.userName,
      location: p.location,
      keyplace: false,
      createdAt: p.createdAt,
      lastUsedAt: null,
      signCount: null,
    });
  }
  rows.sort((a, b) => a.rpId.localeCompare(b.rpId) || a.userName.localeCompare(b.userName));
  return { rows, hostProblem };
}
