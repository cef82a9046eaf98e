// Typed calls of keyplace-host's wire protocol (native-host/PROTOCOL.md).

import type { StoreId } from '../../shared/messages';
import { HostPort } from './port';

export interface HostStore {
  id: StoreId;
  available: boolean;
  initialized?: boolean;
  unlocked?: boolean;
  reason?: string;
}

export interface HostHello {
  version: string;
  stores: HostStore[];
  vault_unlock_seconds: number;
}

export interface HostCreated {
  credential_id: string;
  public_key: string;
  aaguid: string;
  sign_count: number;
  user_verified: boolean;
  backup_eligible: boolean;
  backup_state: boolean;
  store: StoreId;
}

export interface HostSigned {
  authenticator_data: string;
  signature: string;
  user_handle: string;
  sign_count: number;
  user_verified: boolean;
}

export interface HostCredential {
  credential_id: string;
  rp_id: string;
  user_id: string;
  user_name: string;
  user_display_name: string;
  store: StoreId;
  aaguid: string;
  created_at: number;
  last_used_at: number | null;
  sign_count: number;
  backup_eligible: boolean;
  backup_state: boolean;
  resident_key: boolean;
}

/** `list` with `slim`: what the popup shows. */
export type HostSlimCredential = Pick<
  HostCredential,
  'credential_id' | 'rp_id' | 'user_name' | 'store' | 'created_at' | 'last_used_at' | 'sign_count'
>;

/** One page of `list` (PROTOCOL.md): `next` is the cursor for the page after, null on the last one. */
export interface HostListPage<T> {
  credentials: T[];
  next: string | null;
  total: number;
}

export interface ListParams {
  rp_id?: string;
  credential_ids?: string[];
  /** Substring of the RP ID or the account name, ASCII letters in any case. */
  query?: string;
  /** 1 to 500 (the host's default and most). */
  limit?: number;
  after?: string;
  slim?: boolean;
}

/** Pages a `list` with no page size of its own may follow (each at most 500 rows): a guard, never reached by a lookup. */
const MAX_FOLLOWED_PAGES = 20;

export interface CreateParams {
  store: StoreId;
  rp_id: string;
  user: { id: string; name: string; display_name: string };
  pin: string | null;
  exclude_credential_ids: string[];
  resident_key: boolean;
  require_user_verification: boolean;
}

export interface SignParams {
  credential_id: string;
  authenticator_data: string;
  client_data_hash: string;
  pin: string | null;
  require_user_verification: boolean;
}

export class Host {
  constructor(private readonly port = new HostPort()) {}

  hello(): Promise<HostHello> {
    return this.port.request('hello');
  }
  create(params: CreateParams): Promise<HostCreated> {
    return this.port.request('create', params);
  }
  sign(params: SignParams): Promise<HostSigned> {
    return this.port.request('sign', params);
  }
  /** Every credential of a lookup (sign-in: one RP ID, maybe the page's ids), following `next` if there is one. */
  async list(filter: { rp_id?: string; credential_ids?: string[] } = {}): Promise<HostCredential[]> {
    let page = await this.listPage<HostCredential>(filter);
    const credentials = page.credentials;
    for (let i = 1; page.next && i < MAX_FOLLOWED_PAGES; i++) {
      page = await this.listPage<HostCredential>({ ...filter, after: page.next });
      credentials.push(...page.credentials);
    }
    return credentials;
  }
  /** One page of `list`; `slim` rows are HostSlimCredential. */
  listPage<T extends HostSlimCredential = HostCredential>(params: ListParams): Promise<HostListPage<T>> {
    return this.port.request<HostListPage<T>>('list', params);
  }
  /** Packed self-attestation: the new key signs its own registration (host checks it is exactly that). */
  async attest(params: {
    credential_id: string;
    authenticator_data: string;
    client_data_hash: string;
    pin: string | null;
  }): Promise<string> {
    const { signature } = await this.port.request<{ signature: string }>('attest', params);
    return signature;
  }
  async delete(credentialId: string): Promise<boolean> {
    const { deleted } = await this.port.request<{ deleted: boolean }>('delete', { credential_id: credentialId });
    return deleted;
  }
  /** Changes the account name Keyplace shows (1 to 64 characters); false when there is no such passkey. */
  async rename(credentialId: string, userName: string): Promise<boolean> {
    const { renamed } = await this.port.request<{ renamed: boolean }>('rename', {
      credential_id: credentialId,
      user_name: userName,
    });
    return renamed;
  }
  /** How long a correct vault PIN keeps the vault unlocked (0 = ask every time); the host persists it. */
  async configure(params: { vault_unlock_seconds: number }): Promise<void> {
    await this.port.request('configure', params);
  }
  /** Raw round trip, for the benchmark. */
  ping(): Promise<unknown> {
    return this.port.request('hello');
  }
}
