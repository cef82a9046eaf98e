// generated from native-host/src/protocol by ts-rs; do not edit;
// KEYPLACE_UPDATE_GENERATED=1 cargo test -p keyplace-host generated_typescript to refresh

/**
 * Binary value carried as base64url without padding (a `string` in TypeScript).
 */
export type B64u = string;

/**
 * Where a passkey's private key lives: the same strings on the wire and in the database's `store` column.
 */
export type StoreId = "vault" | "hardware";

/**
 * A request whose envelope was valid; params are not checked yet (requests.rs has each method's).
 */
export type HostRequest = { id: number, method: string, 
/**
 * May be left out or `null` (read as `{}`).
 */
params: Record<string, unknown>, };

/**
 * One answer frame. `id` is `None` only when the request had no usable id. `result` is one of the answers in
 * answers.rs, serialized (its type depends on the method).
 */
export type HostResponse = { id: number | null, result?: unknown, error?: ErrorBody, };

/**
 * What went wrong, for the extension to act on (PROTOCOL.md, "Error codes").
 */
export type ErrorCode = "bad_request" | "unknown_method" | "not_found" | "pin_required" | "wrong_pin" | "locked" | "excluded" | "rp_mismatch" | "store_unavailable" | "internal";

/**
 * What a failure tells besides its message; every field is left out when unknown.
 */
export type ErrorDetails = { 
/**
 * `pin_required`: why a PIN is needed (`set_pin`, `unlock`, `user_verification`, `set_key_pin`, `key_pin`);
 * `store_unavailable`: why the store cannot be used, in plain words.
 */
reason?: string, 
/**
 * `wrong_pin`, `locked`: about how long until the chip accepts a PIN again.
 */
retry_after_seconds?: number, 
/**
 * `wrong_pin` on hardware: how many more wrong PINs the chip accepts before it locks.
 */
tries_left?: number, };

/**
 * A failure answer; `details` is sent only when it has something in it.
 */
export type ErrorBody = { code: ErrorCode, message: string, details?: ErrorDetails, };

/**
 * `hello`, `lock`: no params (an empty object, or none at all).
 */
export type EmptyParams = Record<symbol, never>;

/**
 * `hello`.
 */
export type HelloAnswer = { version: string, stores: Array<StoreStatus>, vault_unlock_seconds: number, };

/**
 * One store's entry in `hello`'s `stores`, told apart by `id`.
 */
export type StoreStatus = { "id": "vault", 
/**
 * Always true: the vault needs nothing but the database.
 */
available: boolean, 
/**
 * Whether the vault has a PIN yet.
 */
initialized: boolean, 
/**
 * Whether this host process holds the vault's key now.
 */
unlocked: boolean, 
/**
 * What keeps the vault's key on this computer (before the first PIN: what will), for the PIN policy the
 * window states and applies.
 */
protection: VaultProtectionKind, } | { "id": "hardware", available: boolean, 
/**
 * Which hardware; absent where the platform has none.
 */
kind?: HardwareKind, 
/**
 * Why it cannot be used, in plain words: only when `available` is false.
 */
reason?: string, };

/**
 * The hardware behind the `hardware` store on this platform.
 */
export type HardwareKind = "tpm" | "secure_enclave" | "windows_tpm";

/**
 * What keeps the vault's data key on this computer (`stores::protection::VaultProtection`, on the wire).
 */
export type VaultProtectionKind = "tpm" | "os_secret" | "pin_only";

export type UserParams = { 
/**
 * 1 to 64 bytes.
 */
id: B64u, name: string, display_name: string, };

export type CreateParams = { store: StoreId, rp_id: string, user: UserParams, pin?: string | null, exclude_credential_ids?: Array<B64u> | null, resident_key?: boolean, require_user_verification?: boolean, 
/**
 * WebAuthn `prf`: give the credential a PRF secret (a store that cannot answers `prf_enabled: false`).
 */
prf?: boolean, 
/**
 * With `prf`: one or two 32-byte salts to evaluate at once (the core made them from the site's inputs).
 */
prf_salts?: Array<B64u> | null, };

/**
 * `create`.
 */
export type CreateAnswer = { 
/**
 * 16 random bytes.
 */
credential_id: B64u, 
/**
 * SEC1 uncompressed P-256 point, 65 bytes.
 */
public_key: B64u, 
/**
 * The store's AAGUID, as a UUID.
 */
aaguid: string, 
/**
 * Always 0.
 */
sign_count: number, 
/**
 * True only when the host checked the PIN in this request.
 */
user_verified: boolean, backup_eligible: boolean, backup_state: boolean, store: StoreId, 
/**
 * `prf` was asked for and this store gave the credential a PRF secret.
 */
prf_enabled: boolean, 
/**
 * HMAC-SHA-256 of each of `prf_salts` under that secret, in order.
 */
prf_results?: Array<B64u>, };

export type SignParams = { credential_id: B64u, 
/**
 * Exactly 37 bytes: rpIdHash | flags | counter.
 */
authenticator_data: B64u, 
/**
 * 32 bytes.
 */
client_data_hash: B64u, pin?: string | null, require_user_verification?: boolean, 
/**
 * WebAuthn `prf`: one or two 32-byte salts to evaluate with the credential's PRF secret, in this same request
 * (so the RP ID rule of `sign` applies to them too).
 */
prf_salts?: Array<B64u> | null, };

/**
 * `sign`.
 */
export type SignAnswer = { 
/**
 * As signed: the host's counter and flags.
 */
authenticator_data: B64u, 
/**
 * DER ECDSA P-256 / SHA-256.
 */
signature: B64u, user_handle: B64u, sign_count: number, user_verified: boolean, 
/**
 * HMAC-SHA-256 of each of `prf_salts` under the credential's PRF secret; absent when none were given or the
 * store has no PRF for its keys.
 */
prf_results?: Array<B64u>, };

export type AttestParams = { credential_id: B64u, 
/**
 * The registration's, with attested credential data.
 */
authenticator_data: B64u, 
/**
 * 32 bytes.
 */
client_data_hash: B64u, pin?: string | null, };

/**
 * `attest`.
 */
export type AttestAnswer = { 
/**
 * DER ECDSA P-256 / SHA-256 over `authenticator_data || client_data_hash`.
 */
signature: B64u, };

export type ListParams = { rp_id?: string | null, credential_ids?: Array<B64u> | null, 
/**
 * Case-insensitive (ASCII letters) substring of the RP ID or the account name.
 */
query?: string | null, 
/**
 * Page size: default and most `service::LIST_MAX_LIMIT`.
 */
limit?: number | null, 
/**
 * The `next` of the previous page.
 */
after?: string | null, 
/**
 * Only what the popup shows: no user id, display name, AAGUID or flags.
 */
slim?: boolean, };

/**
 * `list`: one page; `Row` is [`CredentialRow`], or [`SlimCredentialRow`] when asked with `slim`.
 */
export type ListPage<Row> = { credentials: Array<Row>, 
/**
 * The cursor for the next page (`after`); null on the last page.
 */
next: string | null, 
/**
 * Every credential matching the filters, not only this page.
 */
total: number, };

/**
 * A `list` row of either shape.
 */
export type ListRow = CredentialRow | SlimCredentialRow;

/**
 * A credential as `list` shows it: everything but its key.
 */
export type CredentialRow = { credential_id: B64u, rp_id: string, user_id: B64u, user_name: string, user_display_name: string, store: StoreId, aaguid: string, 
/**
 * Unix milliseconds.
 */
created_at: number, 
/**
 * Unix milliseconds; null when never used.
 */
last_used_at: number | null, sign_count: number, backup_eligible: boolean, backup_state: boolean, resident_key: boolean, 
/**
 * The passkey manager it was imported from (`import`); absent when made here or copied from your devices.
 */
imported_from?: string, 
/**
 * A vault passkey held by this computer's TPM (copies only through the chip, with another device's approval);
 * absent when false.
 */
held_by_tpm?: boolean, };

/**
 * What the popup shows of a credential (`list` with `slim`).
 */
export type SlimCredentialRow = { credential_id: B64u, rp_id: string, user_name: string, store: StoreId, 
/**
 * Unix milliseconds.
 */
created_at: number, 
/**
 * Unix milliseconds; null when never used.
 */
last_used_at: number | null, sign_count: number, 
/**
 * The passkey manager it was imported from (`import`); absent when made here or copied from your devices.
 */
imported_from?: string, 
/**
 * A vault passkey held by this computer's TPM (copies only through the chip, with another device's approval);
 * absent when false.
 */
held_by_tpm?: boolean, };

export type DeleteParams = { credential_id: B64u, };

/**
 * `delete`: false when there was no such credential.
 */
export type DeleteAnswer = { deleted: boolean, };

export type RenameParams = { credential_id: B64u, user_name: string, };

/**
 * `rename`: false when there was no such credential.
 */
export type RenameAnswer = { renamed: boolean, };

export type ConfigureParams = { 
/**
 * 0 = ask for the PIN every time.
 */
vault_unlock_seconds: number, };

/**
 * `lock`, `configure`: `{}`.
 */
export type EmptyAnswer = Record<symbol, never>;

/**
 * `devices`.
 */
export type DevicesAnswer = { 
/**
 * Null before this computer started or asked to join a ring (`keyplace-host devices init` / `join-request`).
 */
this_device: DeviceRow | null, 
/**
 * Every device the ring has held, this one first; empty while this computer is not enrolled.
 */
devices: Array<DeviceRow>, 
/**
 * This device's log of copies, oldest first.
 */
copies: Array<CopyRow>, };

/**
 * One of your devices, as `devices` lists it.
 */
export type DeviceRow = { id: B64u, 
/**
 * What a person compares: the start of the id, in groups.
 */
short_id: string, name: string, this_device: boolean, 
/**
 * False once removed (or, for this device, while its join request waits for approval).
 */
enrolled: boolean, 
/**
 * The device that approved it; null for the first device.
 */
approved_by: string | null, 
/**
 * When it joined (unix ms).
 */
added_at: number, 
/**
 * The device that removed it; null while enrolled.
 */
removed_by: string | null, 
/**
 * A recovery sheet (a printed code, `recovery`), not a computer; absent for a computer.
 */
recovery_sheet?: boolean, };

/**
 * One line of this device's log of copies, with device names as its ring knows them.
 */
export type CopyRow = { credential_id: B64u, rp_id: string, user_name: string, role: CopyRole, source: string, target: string, 
/**
 * The approving device; null for `requested` (the source never hears of the approval).
 */
approver: string | null, 
/**
 * Unix ms.
 */
at: number, };

/**
 * What this device did with a copy of a passkey.
 */
export type CopyRole = "requested" | "approved" | "imported";

/**
 * `copy_request`: copy these vault passkeys to another of your devices.
 */
export type CopyRequestParams = { 
/**
 * Vault passkeys of this computer (1 to 256).
 */
credential_ids: Array<B64u>, 
/**
 * The enrolled device to copy to: its name (ignoring case) or the start of its short id.
 */
to: string, 
/**
 * This computer's vault PIN.
 */
pin: string, };

/**
 * `copy_request`.
 */
export type CopyRequestAnswer = { 
/**
 * The request, the text of a file to carry to another device (JSON).
 */
request: string, 
/**
 * 12 digits the approving device shows too.
 */
short_code: string, 
/**
 * The target's name.
 */
target: string, };

/**
 * `copy_inspect`: what a copy request asks, before it is approved.
 */
export type CopyInspectParams = { 
/**
 * The request as `copy_request` gave it (the text of its file).
 */
request: string, };

/**
 * `copy_inspect`.
 */
export type CopyInspectAnswer = { kind: CopyFileKind, source: string, target: string, 
/**
 * Who approved it (an approval or a package).
 */
approver?: string, passkeys: Array<CopiedPasskeyRow>, short_code: string, 
/**
 * Some of its passkeys are held by the source's TPM: once approved, the source releases them.
 */
chip_held: boolean, };

/**
 * Which file of a copy `copy_inspect` was given.
 */
export type CopyFileKind = "request" | "approval" | "package";

/**
 * `ring`: your ring of devices from the popup, as `keyplace-host devices …` does it from the CLI. A change is signed
 * by this device's key after its vault PIN; what another device must take travels as text the person carries.
 */
export type RingParams = { "action": "start", name: string, pin: string, } | { "action": "join", name: string, pin: string, } | { "action": "inspect", request: string, } | { "action": "approve", request: string, pin: string, } | { "action": "accept", ring: string, } | { "action": "remove", device: string, pin: string, };

/**
 * `ring`: your devices after the action, and what to carry to another device.
 */
export type RingAnswer = { 
/**
 * `join`: the request, a text code to carry to one of your devices.
 */
request?: string, 
/**
 * `join`, `inspect`: 12 digits both screens show; approve only when they match.
 */
short_code?: string, 
/**
 * `inspect`: the name the new computer gave itself.
 */
joining?: string, 
/**
 * `approve`, `remove`: the ring as a file for your other devices (`accept` there).
 */
ring?: string, 
/**
 * `approve`, `accept`: 12 digits from the ring's last change; the approving and the new computer show the same
 * ones when they hold the same ring.
 */
ring_code?: string, 
/**
 * This computer's devices after the action, as `devices` lists them.
 */
devices: DevicesAnswer, };

/**
 * `recovery`: a recovery sheet from the popup, as `keyplace-host recovery …` does it from the CLI: a printed code
 * that counts as one of your devices. The code (like a PIN) is wiped from the host's memory and never logged.
 */
export type RecoveryParams = { "action": "make", name: string, pin: string, } | { "action": "approve_copy", request: string, code: string, } | { "action": "approve_join", request: string, code: string, } | { "action": "restore", 
/**
 * What to call this computer.
 */
name: string, code: string, 
/**
 * The backup: a copy request addressed to the sheet (or a copy package released for it).
 */
request: string, 
/**
 * The sheet's approval of it (empty with a copy package).
 */
approval: string, pin: string, };

/**
 * `recovery`: what the action made, and your devices after it.
 */
export type RecoveryAnswer = { 
/**
 * `make`: the sheet's code, shown once to print or write down; no computer keeps it.
 */
code?: string, 
/**
 * `make`: the sheet as it is listed among your devices.
 */
sheet?: DeviceRow, 
/**
 * `make`, `approve_join`: the ring as a file for your other devices (`ring` `accept` there).
 */
ring?: string, 
/**
 * `approve_join`, `restore`: 12 digits from the ring's last change, as `ring` gives them.
 */
ring_code?: string, 
/**
 * `approve_copy`: the approval, as `copy_approve` answers it.
 */
approval?: CopyApproveAnswer, 
/**
 * `restore`: the passkeys now in this computer's vault.
 */
imported?: Array<ImportedRow>, 
/**
 * This computer's devices after the action, as `devices` lists them.
 */
devices: DevicesAnswer, };

/**
 * A passkey named in a copy request.
 */
export type CopiedPasskeyRow = { rp_id: string, user_name: string, };

/**
 * `copy_approve`: approve another device's copy request on this one.
 */
export type CopyApproveParams = { request: string, pin: string, };

/**
 * `copy_approve`.
 */
export type CopyApproveAnswer = { 
/**
 * The approval, the text of a file to carry with the request to the target or, when `chip_held`, back to
 * the source.
 */
approval: string, source: string, target: string, chip_held: boolean, };

/**
 * `copy_release`: on the source, the chip duplicates approved chip-held passkeys for their target.
 */
export type CopyReleaseParams = { 
/**
 * The approval as `copy_approve` gave it (it carries its request).
 */
approval: string, };

/**
 * `copy_release`.
 */
export type CopyReleaseAnswer = { 
/**
 * The copy package, the text of a file to carry to the target.
 */
package: string, target: string, passkeys: Array<CopiedPasskeyRow>, };

/**
 * `copy_import`: take an approved copy into this device's vault.
 */
export type CopyImportParams = { 
/**
 * The copy request, or the copy package `copy_release` made (which holds its approval).
 */
request: string, 
/**
 * The approval as `copy_approve` gave it (empty with a copy package).
 */
approval: string, pin: string, };

/**
 * `copy_import`.
 */
export type CopyImportAnswer = { imported: Array<ImportedRow>, };

/**
 * A passkey `copy_import` put in this device's vault.
 */
export type ImportedRow = { credential_id: B64u, rp_id: string, user_name: string, };

/**
 * `import`: passkeys from another manager's Credential Exchange Format (CXF 1.0) export, into the vault.
 */
export type ImportParams = { "action": "inspect", 
/**
 * The export's text (its JSON).
 */
file: string, } | { "action": "import", file: string, 
/**
 * Passkeys of the file (their `credential_id` from `inspect`).
 */
credential_ids: Array<B64u>, 
/**
 * The vault PIN of this computer (sets it, if the vault has none yet).
 */
pin: string, };

/**
 * `import`.
 */
export type ImportAnswer = { 
/**
 * The exporting manager's name: imported passkeys are "imported from" it.
 */
exporter: string, 
/**
 * Every passkey of the file, in its order.
 */
passkeys: Array<ImportPasskeyRow>, 
/**
 * How many this request imported (0 for `inspect`).
 */
imported: number, };

/**
 * One passkey of an export, as `import` lists it.
 */
export type ImportPasskeyRow = { credential_id: B64u, rp_id: string, user_name: string, user_display_name: string, 
/**
 * Its account in the exporting manager.
 */
account: string, status: ImportStatus, 
/**
 * `cannot_import`: why, in plain words.
 */
reason?: string, };

/**
 * What `import` says of one passkey of the file.
 */
export type ImportStatus = "ready" | "imported" | "not_chosen" | "already_here" | "cannot_import";

/**
 * One method's params and answer.
 */
export type HostMethod<Params, Answer> = { params: Params, answer: Answer, };

/**
 * Every method by name, with its params and answer: what `service::Service::handle` dispatches.
 */
export type HostMethods = { hello: HostMethod<EmptyParams, HelloAnswer>, create: HostMethod<CreateParams, CreateAnswer>, sign: HostMethod<SignParams, SignAnswer>, attest: HostMethod<AttestParams, AttestAnswer>, list: HostMethod<ListParams, ListPage<ListRow>>, delete: HostMethod<DeleteParams, DeleteAnswer>, rename: HostMethod<RenameParams, RenameAnswer>, lock: HostMethod<EmptyParams, EmptyAnswer>, configure: HostMethod<ConfigureParams, EmptyAnswer>, devices: HostMethod<EmptyParams, DevicesAnswer>, copy_request: HostMethod<CopyRequestParams, CopyRequestAnswer>, copy_inspect: HostMethod<CopyInspectParams, CopyInspectAnswer>, copy_approve: HostMethod<CopyApproveParams, CopyApproveAnswer>, copy_release: HostMethod<CopyReleaseParams, CopyReleaseAnswer>, copy_import: HostMethod<CopyImportParams, CopyImportAnswer>, ring: HostMethod<RingParams, RingAnswer>, recovery: HostMethod<RecoveryParams, RecoveryAnswer>, import: HostMethod<ImportParams, ImportAnswer>, };
