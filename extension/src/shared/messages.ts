// Messages that cross the extension's trust boundaries. The shim and the bridge talk over a private
// MessagePort the bridge hands over before any page script runs (ARCHITECTURE.md rule 2); still, the shim
// runs in the page's world, so nothing it says is trusted: the background takes the caller's origin from
// the browser (MessageSender), never from a message.

import type { RecoveryParams, RingParams, StoreId, VaultProtectionKind } from '../generated/host-protocol';

/**
 * Whether a request's userVerification asks for the PIN. "required" and "preferred" both do, at every ceremony
 * (WebAuthn: an authenticator that can verify the user does so when it is preferred); only "discouraged" lets
 * an unlocked vault skip it, and then UV stays 0. One place for the extension's three uses (ARCHITECTURE.md,
 * "User verification").
 */
export function wantsUserVerification(userVerification: string): boolean {
  return userVerification !== 'discouraged';
}

/** Error shape every layer uses; `name` is the DOMException (or TypeError) name the page must see. */
export interface CeremonyError {
  name: string;
  message: string;
}

/** The Signal API's static methods (WebAuthn L3 §5.1.10). */
export type SignalMethod = 'signalUnknownCredential' | 'signalAllAcceptedCredentials' | 'signalCurrentUserDetails';

/**
 * Private channel, page shim -> bridge: each message travels with a reply port of its own (ARCHITECTURE.md rule 2),
 * so there are no ids to guess or reuse. Buffers in options arrive as {$bytes: Uint8Array}; the bridge turns them
 * into base64url for the background.
 */
export type PageMessage =
  | { kp: 'req'; kind: 'create' | 'get'; mediation?: string; publicKey: unknown }
  /** PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable() */
  | { kp: 'uvpaa' }
  /** PublicKeyCredential.getClientCapabilities(), with the browser's own answer. */
  | { kp: 'caps'; browser: unknown }
  | { kp: 'signal'; method: string; options: unknown };

/** Private channel, page shim -> bridge, on a request's own port after it was sent. */
export type PageFollowUp =
  /** The page aborted its request. */
  | { kp: 'abort' }
  /** A Browser-path registration or sign-in succeeded: the credential's toJSON() (the bridge keeps public facts). */
  | { kp: 'rec'; credential: unknown };

/** An object the shim builds on an interface prototype: attributes, and what each method returns. */
export interface PageObject {
  fields: Record<string, unknown>;
  methods: Record<string, unknown>;
}

/** A Keyplace credential as the shim builds it: a PublicKeyCredential around a response object. */
export interface PageCredential extends PageObject {
  /** AuthenticatorAttestationResponse (create) or AuthenticatorAssertionResponse (get). */
  create: boolean;
  response: PageObject;
}

/** Private channel, bridge -> page shim: the one answer on a message's reply port. */
export type PageAnswer =
  | { outcome: 'credential'; credential: PageCredential }
  | { outcome: 'browser' }
  | { outcome: 'error'; error: CeremonyError }
  | { outcome: 'available' }
  | { outcome: 'caps'; capabilities: Record<string, boolean> };

/** What the background answers for a ceremony (and the static methods). */
export type CeremonyResult =
  | { outcome: 'credential'; credential: unknown }
  | { outcome: 'browser'; notice?: string }
  | { outcome: 'error'; error: CeremonyError }
  /** isUserVerifyingPlatformAuthenticatorAvailable: Keyplace offers one (else 'browser': the browser's answer). */
  | { outcome: 'available' }
  /** getClientCapabilities: the merged answer. */
  | { outcome: 'caps'; capabilities: Record<string, boolean> };

/** Only public facts about a credential the browser made; never key material. */
export interface BrowserCredentialSummary {
  id: string;
  attestationObject: string;
  authenticatorAttachment: string | null;
  transports: string[];
}

/** Only public facts about a sign-in the browser answered (get() handed to it): never key material. */
export interface BrowserAssertionSummary {
  id: string;
  /** b64u; its rpIdHash must be SHA-256 of the RP ID of the request that was handed to the browser. */
  authenticatorData: string;
  authenticatorAttachment: string | null;
}

/** Runtime messages, bridge -> background. */
export type BridgeMessage =
  | {
      type: 'ceremony';
      id: string;
      kind: 'create' | 'get';
      /** The page's `mediation`, one of the enum's values ("conditional": autofill), as WebIDL converts it. */
      mediation?: string;
      publicKey: unknown /** null: the browser cannot tell (Firefox has no featurePolicy API). */;
      permissionAllowed: boolean | null;
      /** The document is visible, and (top-level documents only; null in frames) has the focus. */
      visible: boolean;
      focused: boolean | null;
      /** The document has transient user activation; null: the browser cannot tell. */
      activated: boolean | null;
    }
  | { type: 'record'; id: string; credential: BrowserCredentialSummary | BrowserAssertionSummary }
  | { type: 'uvpaa' }
  | { type: 'caps'; browser: unknown }
  | { type: 'signal'; method: string; options: unknown }
  | { type: 'abort'; id: string };

/** What a person decided in the consent window. */
export type Decision =
  | { action: 'cancel' }
  | { action: 'browser'; remember?: boolean }
  | { action: 'create'; store: StoreId; accountName: string; pin: string | null; remember?: boolean }
  | { action: 'sign'; credentialId: string; pin: string | null };

/** Where a Keyplace passkey lives: the host protocol's own type. */
export type { StoreId };

/** What the autofill suggestion shows: account names and where each passkey is, nothing else. */
export interface SuggestionAccounts {
  rpId: string;
  accounts: { credentialId: string; userName: string; location: string }[];
}

/** Runtime messages, extension pages (consent window, popup, autofill suggestion) -> background. */
export type UiMessage =
  // The autofill suggestion, named by the nonce of its offer (background/ceremony/autofill.ts).
  | { type: 'suggest:list'; nonce: string }
  | { type: 'suggest:pick'; nonce: string; credentialId: string }
  | { type: 'suggest:dismiss'; nonce: string }
  | { type: 'suggest:shown'; nonce: string; at: number }
  | { type: 'consent:details'; requestId: string }
  | { type: 'consent:decide'; requestId: string; decision: Decision }
  // Popup: this site's passkeys and the first page of every site's (matching `query`, if any); then further pages.
  | { type: 'popup:list'; tabId?: number; site?: string; query?: string }
  | { type: 'popup:more'; query?: string; after: PageToken }
  // Popup: rename / delete one passkey. keyplace = in the host (renamed there, destroyed there); else a
  // passkey the browser holds, which Keyplace only records (renamed / forgotten in extension storage).
  | { type: 'popup:rename'; credentialId: string; keyplace: boolean; userName: string }
  | { type: 'popup:delete'; credentialId: string; keyplace: boolean }
  // Popup: keep a passkey its site said it no longer knows or accepts (Signal API); it is offered again.
  | { type: 'popup:keep'; credentialId: string }
  // Popup: your devices and copies of vault passkeys (background/devices.ts; ARCHITECTURE.md rule 10).
  | { type: 'devices:list' }
  | { type: 'devices:copy-request'; credentialIds: string[]; to: string; pin: string }
  | { type: 'devices:copy-inspect'; request: string }
  | { type: 'devices:copy-approve'; request: string; pin: string }
  | { type: 'devices:copy-release'; approval: string }
  | { type: 'devices:copy-import'; request: string; approval: string; pin: string }
  // Enrolment: start your devices here, ask to join, inspect and approve a join, accept the ring, remove a device.
  | { type: 'devices:ring'; params: RingParams }
  // A recovery sheet: make one, approve a copy or a join with its code, restore a backup made for it.
  | { type: 'devices:recovery'; params: RecoveryParams }
  // Popup: passkeys from another manager's Credential Exchange Format export (background/import.ts).
  | { type: 'import:inspect'; file: string }
  | { type: 'import:run'; file: string; credentialIds: string[]; pin: string }
  // Site rules and settings (background/rules.ts). rules:get answers a SiteRule for one site or RP ID.
  | { type: 'rules:get'; site: string }
  | { type: 'rules:set'; site: string; choice: Choice }
  | { type: 'rules:remove'; site: string }
  | { type: 'rules:list' }
  | { type: 'settings:get' }
  | { type: 'settings:set'; settings: Partial<Settings> };

/** Where passkeys for a site go: a store, the browser, or ask in the Keyplace window. */
export type Choice = 'hardware' | 'vault' | 'browser' | 'ask';

/** The rule that applies to a site or RP ID: its own (exact RP ID, else registrable domain) or the default. */
export interface SiteRule {
  /** The registrable domain of what was asked (what a person calls the site). */
  site: string;
  choice: Choice;
  /** The rule's key when a rule applies (an exact RP ID or a registrable domain); null = the default choice. */
  ruleSite: string | null;
}

export interface Settings {
  defaultChoice: Choice;
  /** How long a correct PIN keeps the vault unlocked; 0 = ask every time. Kept by the host (`configure`). */
  vaultLockSeconds: number;
}

/** Answer of rules:set / rules:remove / settings:set. */
export type RulesAnswer<T> = { ok: true; value: T } | { ok: false; error: string };

export interface StoreStatus {
  id: StoreId;
  available: boolean;
  initialized?: boolean;
  unlocked?: boolean;
  reason?: string;
  /** The vault: what keeps its key on this computer (the host's `hello`), for the PIN policy the window applies. */
  protection?: VaultProtectionKind;
}

export interface AccountChoice {
  credentialId: string;
  userName: string;
  userDisplayName: string;
  store: StoreId;
  location: string;
  needsPin: boolean;
}

/** What the consent window shows. */
export interface ConsentDetails {
  kind: 'create' | 'get';
  rpId: string;
  origin: string;
  userName: string;
  userDisplayName: string;
  userVerification: string;
  stores: StoreStatus[];
  hostProblem: string | null;
  accounts: AccountChoice[];
  /** Registration: the site (registrable domain) for "Always use this for <site>". */
  site?: string;
  /** Registration under a rule (or a default choice) for a Keyplace store: only that store is offered. */
  rule?: { site: string; store: StoreId; fromDefault: boolean } | null;
  /** Registration: the default choice could not be followed (its store is unavailable); shown as a notice. */
  defaultProblem?: string | null;
  /** Registration: the site's hints put a security key or phone first ("security-key", "hybrid"): Browser comes first. */
  browserFirst?: boolean;
}

/** A row of the popup: one passkey and where it is. */
export interface PasskeyRow {
  credentialId: string;
  rpId: string;
  userName: string;
  location: string;
  keyplace: boolean;
  /** Which icon goes with the location. */
  icon: LocationIcon;
  /** Who holds it, without the "(synced)" part, e.g. "Google Password Manager". */
  provider: string;
  createdAt: number;
  lastUsedAt: number | null;
  signCount: number | null;
  /** What the site signalled about it (Signal API), in words; the popup offers "Keep" and delete. */
  siteSays?: string;
}

export type LocationIcon = 'chip' | 'vault' | 'cloud' | 'key' | 'device';

/** Where the next page of the popup's list starts: the host's cursor and the last host row's place (opaque to the popup). */
export interface PageToken {
  cursor: string;
  rpId: string;
  userName: string;
}

/** A page of every site's passkeys, in (site, account) order; Keyplace's and the recorded browser ones merged. */
export interface PopupPage {
  rows: PasskeyRow[];
  next: PageToken | null;
  hostProblem: string | null;
}

export interface PopupList extends PopupPage {
  /** The asked site's passkeys (its RP ID and parent domains), whatever the query: the popup filters these itself. */
  current: PasskeyRow[];
  /** Every passkey matching the query (all of them without one), not only this page's. */
  total: number;
  /** The one-line notice of the asked tab (or site): Keyplace stepped aside and the browser handled it. */
  notice: string | null;
}

/** Answer of popup:rename / popup:delete. */
export type PopupAnswer = { ok: true } | { ok: false; error: string };

/** One of your devices, as the popup shows it. */
export interface DeviceView {
  id: string;
  shortId: string;
  name: string;
  thisDevice: boolean;
  enrolled: boolean;
  /** The device that approved it; null for the device that started the ring. */
  approvedBy: string | null;
  addedAt: number;
  /** A recovery sheet (a printed code), not a computer. */
  recoverySheet: boolean;
}

/** Answer of devices:list: your devices, and where each vault passkey of this computer has copies, in words. */
export interface DevicesView {
  /** Null before this computer started or asked to join a ring (the CLI enrolls: README). */
  thisDevice: DeviceView | null;
  /** Enrolled devices, this one first. */
  devices: DeviceView[];
  /** Vault passkey id → its location with its copies ("Keyplace vault on this computer and laptop-2 (copies need approval)"). */
  copies: Record<string, string>;
  problem: string | null;
}

/** Answers of devices:copy-*: the host's result, or why not. */
export type CopyAnswer<T> = ({ ok: true } & T) | { ok: false; error: string };
export type CopyRequestView = { request: string; shortCode: string; target: string };
export type CopyInspectView = {
  /** Which file of a copy it is: a request, an approval back at the source, or a released package. */
  kind: 'request' | 'approval' | 'package';
  source: string;
  target: string;
  approver: string | null;
  passkeys: { rpId: string; userName: string }[];
  shortCode: string;
  /** Some passkeys are held by the source's TPM: once approved, the source releases them. */
  chipHeld: boolean;
};
export type CopyApproveView = { approval: string; source: string; target: string; chipHeld: boolean };
export type CopyReleaseView = { package: string; target: string; passkeys: { rpId: string; userName: string }[] };
export type CopyImportView = { imported: { rpId: string; userName: string }[] };
/** Answer of devices:ring: what to carry to another device, and the devices after the action. */
export type RingView = {
  request?: string;
  shortCode?: string;
  joining?: string;
  ring?: string;
  /** After approving or accepting a join: 12 digits both computers show when they hold the same ring. */
  ringCode?: string;
  devices: DevicesView;
};
/** Answer of devices:recovery: what the action made, and the devices after it. */
export type RecoveryView = {
  /** make: the sheet's code, shown once. */
  code?: string;
  /** make: the sheet's name; make, approve_join: the ring for the other devices. */
  sheet?: string;
  ring?: string;
  ringCode?: string;
  approval?: CopyApproveView;
  imported?: { rpId: string; userName: string }[];
  devices: DevicesView;
};

/** One passkey of an export, as the import dialog lists it. */
export interface ImportPasskeyView {
  credentialId: string;
  rpId: string;
  userName: string;
  userDisplayName: string;
  /** Its account in the exporting manager. */
  account: string;
  status: 'ready' | 'imported' | 'not_chosen' | 'already_here' | 'cannot_import';
  /** cannot_import: why, in plain words. */
  reason: string | null;
}

/** Answer of import:inspect / import:run: the exporter and every passkey of the file, or why not. */
export type ImportAnswerView =
  | {
      ok: true;
      exporter: string;
      passkeys: ImportPasskeyView[];
      imported: number;
      vaultHasPin: boolean;
      /** The shortest PIN a new vault takes here (ARCHITECTURE.md rule 5: 4 where the TPM counts wrong ones, else 6). */
      newPinChars: number;
    }
  | { ok: false; error: string };
