// Messages that cross the extension's trust boundaries. The page can read and forge anything on the
// window channel (shim <-> bridge), so nothing there is trusted: the background takes the caller's
// origin from the browser (MessageSender), never from a message.

/** Error shape every layer uses; `name` is the DOMException (or TypeError) name the page must see. */
export interface CeremonyError {
  name: string;
  message: string;
}

/** Window channel, page shim -> bridge. */
export interface PageRequest {
  kp: 'kp-req';
  id: string;
  kind: 'create' | 'get';
  /** The page's publicKey options; each BufferSource replaced by {$bytes: base64url}. */
  publicKey: unknown;
}

/** Window channel, page shim -> bridge: a Browser-path registration succeeded; record where it went. */
export interface PageRecord {
  kp: 'kp-rec';
  id: string;
  credential: BrowserCredentialSummary;
}

/** Window channel, page shim -> bridge: the page aborted its own request. */
export interface PageAbort {
  kp: 'kp-abort';
  id: string;
}

/** Window channel, bridge -> page shim. */
export interface PageResponse {
  kp: 'kp-res';
  id: string;
  result: CeremonyResult;
}

/** What the background answers for a ceremony. */
export type CeremonyResult =
  | { outcome: 'credential'; credential: unknown }
  | { outcome: 'browser'; notice?: string }
  | { outcome: 'error'; error: CeremonyError };

/** Only public facts about a credential the browser made; never key material. */
export interface BrowserCredentialSummary {
  id: string;
  attestationObject: string;
  authenticatorAttachment: string | null;
  transports: string[];
}

/** Runtime messages, bridge -> background. */
export type BridgeMessage =
  | { type: 'ceremony'; id: string; kind: 'create' | 'get'; publicKey: unknown; permissionAllowed: boolean }
  | { type: 'record'; id: string; credential: BrowserCredentialSummary }
  | { type: 'abort'; id: string };

/** What a person decided in the consent window. */
export type Decision =
  | { action: 'cancel' }
  | { action: 'browser' }
  | { action: 'create'; store: StoreId; accountName: string; pin: string | null }
  | { action: 'sign'; credentialId: string; pin: string | null };

export type StoreId = 'vault' | 'hardware';

/** Runtime messages, extension pages (consent window, popup) -> background. */
export type UiMessage =
  | { type: 'consent:details'; requestId: string }
  | { type: 'consent:decide'; requestId: string; decision: Decision }
  | { type: 'popup:list' };

export interface StoreStatus {
  id: StoreId;
  available: boolean;
  initialized?: boolean;
  unlocked?: boolean;
  reason?: string;
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
}

/** A row of the popup: one passkey and where it is. */
export interface PasskeyRow {
  credentialId: string;
  rpId: string;
  userName: string;
  location: string;
  keyplace: boolean;
  createdAt: number;
  lastUsedAt: number | null;
  signCount: number | null;
}

export interface PopupList {
  rows: PasskeyRow[];
  hostProblem: string | null;
}
