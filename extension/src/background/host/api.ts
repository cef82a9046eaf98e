// Typed calls of keyplace-host's wire protocol (native-host/PROTOCOL.md).

import type {
  AttestAnswer,
  AttestParams,
  ConfigureParams,
  CopyApproveAnswer,
  CopyApproveParams,
  CopyImportAnswer,
  CopyReleaseAnswer,
  CopyReleaseParams,
  CopyImportParams,
  CopyInspectAnswer,
  CopyInspectParams,
  CopyRequestAnswer,
  CopyRequestParams,
  CreateAnswer,
  CreateParams,
  CredentialRow,
  DeleteAnswer,
  DeleteParams,
  DevicesAnswer,
  HelloAnswer,
  ImportAnswer,
  ImportParams,
  ListPage,
  ListParams,
  RecoveryAnswer,
  RecoveryParams,
  RenameAnswer,
  RenameParams,
  RingAnswer,
  RingParams,
  SignAnswer,
  SignParams,
  SlimCredentialRow,
  StoreStatus,
} from '../../generated/host-protocol';
import { HostPort } from './port';

// The wire types are generated from the host's Rust types; these are the names the extension uses.
export type { CreateParams, ListParams, SignParams };
export type HostStore = StoreStatus;
export type HostHello = HelloAnswer;
export type HostCreated = CreateAnswer;
export type HostSigned = SignAnswer;
export type HostCredential = CredentialRow;
/** `list` with `slim`: what the popup shows. */
export type HostSlimCredential = SlimCredentialRow;
/** One page of `list` (PROTOCOL.md): `next` is the cursor for the page after, null on the last one. */
export type HostListPage<T> = ListPage<T>;

/** Pages a `list` with no page size of its own may follow (each at most 500 rows): a guard, never reached by a lookup. */
const MAX_FOLLOWED_PAGES = 20;

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
  async list(filter: Pick<ListParams, 'rp_id' | 'credential_ids'> = {}): Promise<HostCredential[]> {
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
  async attest(params: AttestParams): Promise<string> {
    const { signature } = await this.port.request<AttestAnswer>('attest', params);
    return signature;
  }
  async delete(credentialId: string): Promise<boolean> {
    const params: DeleteParams = { credential_id: credentialId };
    const { deleted } = await this.port.request<DeleteAnswer>('delete', params);
    return deleted;
  }
  /** Changes the account name Keyplace shows (1 to 64 characters); false when there is no such passkey. */
  async rename(credentialId: string, userName: string): Promise<boolean> {
    const params: RenameParams = { credential_id: credentialId, user_name: userName };
    const { renamed } = await this.port.request<RenameAnswer>('rename', params);
    return renamed;
  }
  /** How long a correct vault PIN keeps the vault unlocked (0 = ask every time); the host persists it. */
  async configure(params: ConfigureParams): Promise<void> {
    await this.port.request('configure', params);
  }
  /** Your devices and this device's log of copies (PROTOCOL.md `devices`). */
  devices(): Promise<DevicesAnswer> {
    return this.port.request('devices', {});
  }
  /** A copy request for vault passkeys to an enrolled device (encrypted to it, signed here). */
  copyRequest(params: CopyRequestParams): Promise<CopyRequestAnswer> {
    return this.port.request('copy_request', params);
  }
  copyInspect(params: CopyInspectParams): Promise<CopyInspectAnswer> {
    return this.port.request('copy_inspect', params);
  }
  /** Approval by this device (never the source's own: the host refuses). */
  copyApprove(params: CopyApproveParams): Promise<CopyApproveAnswer> {
    return this.port.request('copy_approve', params);
  }
  /** On the source: its TPM duplicates approved TPM-held passkeys for their target. */
  copyRelease(params: CopyReleaseParams): Promise<CopyReleaseAnswer> {
    return this.port.request('copy_release', params);
  }
  copyImport(params: CopyImportParams): Promise<CopyImportAnswer> {
    return this.port.request('copy_import', params);
  }
  /** Enrolment and removal of devices (every change after a device's PIN; a join only with an approval). */
  ring(params: RingParams): Promise<RingAnswer> {
    return this.port.request('ring', params);
  }
  /** A recovery sheet: make one, approve with its code, restore a backup made for it on a new computer. */
  recovery(params: RecoveryParams): Promise<RecoveryAnswer> {
    return this.port.request('recovery', params);
  }
  /** Passkeys from another manager's CXF export: what the file holds, or import the chosen ones into the vault. */
  import(params: ImportParams): Promise<ImportAnswer> {
    return this.port.request('import', params);
  }
  /** Raw round trip, for the benchmark. */
  ping(): Promise<unknown> {
    return this.port.request('hello');
  }
}
