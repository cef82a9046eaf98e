// Authentication: the background's part of navigator.credentials.get(). Only requests that Keyplace can
// answer open the window; anything else (foreign credential ids, no Keyplace passkey for the site, host
// missing) goes straight to the browser, so security-key MFA keeps working untouched.
import type { AccountChoice, CeremonyResult, ConsentDetails, Decision } from '../shared/messages';
import { asCeremonyError, core, type PreparedGet } from './core';
import type { Caller } from './caller';
import { runConsent, type DecisionOutcome } from './consent';
import { afterKeyOperationFailed, CeremonyFailure, NOT_ALLOWED, toCeremonyError } from './errors';
import type { Host, HostCredential, HostHello } from './host-api';
import { keyplaceLocation } from './locations';
import { Stopwatch } from './metrics';
import { clearNotice, oneLine, showNotice } from './notices';

export interface PendingBrowserSignIn {
  rpId: string;
  /** The page's allowCredentials (b64u); a reported credential must be one of them when there are any. */
  allowCredentialIds: string[];
  expiresAt: number;
}

/** Sign-ins handed to the browser, waiting for the page to report which credential answered (record.ts). */
export const browserSignIns = new Map<string, PendingBrowserSignIn>();
/** A report may come after the page's own timeout at the latest; then the entry is dropped. */
const REPORT_GRACE_MS = 60_000;

function handToBrowser(caller: Caller, requestId: string, prepared: PreparedGet, notice?: string): CeremonyResult {
  const now = Date.now();
  for (const [key, pending] of browserSignIns) if (pending.expiresAt < now) browserSignIns.delete(key);
  browserSignIns.set(caller.key(requestId), {
    rpId: prepared.rpId,
    allowCredentialIds: prepared.allowCredentialIds,
    expiresAt: now + prepared.timeoutMs + REPORT_GRACE_MS,
  });
  return notice ? { outcome: 'browser', notice } : { outcome: 'browser' };
}

function needsPin(credential: HostCredential, hello: HostHello, userVerification: string): boolean {
  // The chip checks a hardware passkey's PIN at every use; the vault needs it when locked or for UV.
  if (credential.store === 'hardware') return true;
  const store = hello.stores.find((s) => s.id === credential.store);
  return userVerification === 'required' || !store?.unlocked;
}

export async function signIn(host: Host, caller: Caller, requestId: string, publicKey: unknown, permissionAllowed: boolean): Promise<CeremonyResult> {
  const stopwatch = new Stopwatch();
  let prepared: PreparedGet;
  try {
    prepared = stopwatch.core(() => core.prepareGet(caller, permissionAllowed, publicKey));
  } catch (err) {
    return { outcome: 'error', error: asCeremonyError(err) };
  }

  let candidates: HostCredential[];
  let hello: HostHello;
  try {
    const filter = prepared.allowCredentialIds.length
      ? { rp_id: prepared.rpId, credential_ids: prepared.allowCredentialIds }
      : { rp_id: prepared.rpId };
    [candidates, hello] = await stopwatch.host(Promise.all([host.list(filter), host.hello()]));
  } catch (err) {
    // Fail open: the browser handles it, and the toolbar button and the popup say why, in one line.
    const why = err instanceof Error ? err.message : String(err);
    const notice = oneLine(`Keyplace could not reach its host, so your browser handled this sign-in. ${why}`);
    await showNotice(caller.tabId, prepared.rpId, notice).catch(() => undefined);
    return handToBrowser(caller, requestId, prepared, notice);
  }
  void clearNotice(caller.tabId).catch(() => undefined);
  // Nothing of Keyplace's for this request (e.g. a security key's ids): the browser, untouched.
  if (candidates.length === 0) return handToBrowser(caller, requestId, prepared);

  const accounts: AccountChoice[] = candidates.map((c) => ({
    credentialId: c.credential_id,
    userName: c.user_name,
    userDisplayName: c.user_display_name,
    store: c.store,
    location: keyplaceLocation(c.store),
    needsPin: needsPin(c, hello, prepared.userVerification),
  }));
  const details: ConsentDetails = {
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

  let store = 'vault';
  const carryOut = async (decision: Decision): Promise<DecisionOutcome<unknown>> => {
    if (decision.action !== 'sign') throw new CeremonyFailure('NotAllowedError', 'Unexpected choice.');
    const chosen = candidates.find((c) => c.credential_id === decision.credentialId);
    if (!chosen) throw new CeremonyFailure('NotAllowedError', 'That passkey was not offered for this site.');
    store = chosen.store;
    try {
      // UV starts false: the host sets it only when it verified the PIN itself.
      const authenticatorData = stopwatch.core(() =>
        core.assertionAuthenticatorData(prepared.rpId, {
          userPresent: true,
          userVerified: false,
          backupEligible: chosen.backup_eligible,
          backupState: chosen.backup_state,
        }),
      );
      const signed = await stopwatch.host(
        host.sign({
          credential_id: chosen.credential_id,
          authenticator_data: authenticatorData,
          client_data_hash: prepared.clientDataHash,
          pin: decision.pin,
          require_user_verification: prepared.userVerification === 'required',
        }),
      );
      const credential = stopwatch.core(() =>
        core.finishGet(prepared, {
          credentialId: chosen.credential_id,
          authenticatorData: signed.authenticator_data,
          signature: signed.signature,
          userHandle: signed.user_handle,
        }),
      );
      return { done: credential };
    } catch (err) {
      return afterKeyOperationFailed(err);
    }
  };

  try {
    const result = await runConsent(caller.key(requestId), Promise.resolve(details), prepared.timeoutMs, stopwatch, carryOut);
    if (result.kind === 'cancelled') return { outcome: 'error', error: NOT_ALLOWED };
    if (result.kind === 'browser') return handToBrowser(caller, requestId, prepared);
    stopwatch.finish('get', store);
    return { outcome: 'credential', credential: result.value };
  } catch (err) {
    return { outcome: 'error', error: toCeremonyError(err) };
  }
}
