// Registration: the background's part of navigator.credentials.create() (DESIGN.md "A registration, end
// to end", steps 4-8). The core validates and builds; the host makes the key; the window decides.
import type { CeremonyResult, ConsentDetails, Decision, StoreStatus } from '../shared/messages';
import { asCeremonyError, core, type NewKey, type PreparedCreate } from './core';
import type { Caller } from './caller';
import { runConsent, type DecisionOutcome } from './consent';
import { afterKeyOperationFailed, CeremonyFailure, NOT_ALLOWED, toCeremonyError } from './errors';
import type { Host, HostHello } from './host-api';
import { Stopwatch } from './metrics';

export interface PendingBrowserRegistration {
  rpId: string;
  userName: string;
}

/** Browser-path registrations waiting for the page to report where the passkey went. */
export const browserRegistrations = new Map<string, PendingBrowserRegistration>();

const HARDWARE_MISSING = 'Hardware-bound passkeys are not available in this version of Keyplace yet.';

function storesFrom(hello: HostHello | null): StoreStatus[] {
  const vault = hello?.stores.find((s) => s.id === 'vault');
  const hardware = hello?.stores.find((s) => s.id === 'hardware');
  return [
    { id: 'hardware', available: !!hardware?.available, reason: hardware?.reason ?? HARDWARE_MISSING },
    vault
      ? { ...vault, id: 'vault' }
      : { id: 'vault', available: false, reason: 'The Keyplace host is not reachable.' },
  ];
}

function detailsFor(prepared: PreparedCreate, caller: Caller, hello: HostHello | null, hostProblem: string | null): ConsentDetails {
  return {
    kind: 'create',
    rpId: prepared.rpId,
    origin: caller.origin,
    userName: prepared.user.name,
    userDisplayName: prepared.user.displayName,
    userVerification: prepared.userVerification,
    stores: storesFrom(hello),
    hostProblem,
    accounts: [],
  };
}

export async function register(host: Host, caller: Caller, requestId: string, publicKey: unknown, permissionAllowed: boolean): Promise<CeremonyResult> {
  const stopwatch = new Stopwatch();
  let prepared: PreparedCreate;
  try {
    prepared = stopwatch.core(() => core.prepareCreate(caller, permissionAllowed, publicKey));
  } catch (err) {
    return { outcome: 'error', error: asCeremonyError(err) };
  }

  // The window opens while the host answers (on a cold start that includes spawning it); the window
  // waits for these details, not the other way round.
  const details: Promise<ConsentDetails> = host.hello().then(
    (hello) => detailsFor(prepared, caller, hello, null),
    (err) => detailsFor(prepared, caller, null, err instanceof Error ? err.message : String(err)),
  );

  let store = 'vault';
  const carryOut = async (decision: Decision): Promise<DecisionOutcome<unknown>> => {
    if (decision.action !== 'create') throw new CeremonyFailure('NotAllowedError', 'Unexpected choice.');
    const accountName = decision.accountName.trim() || prepared.user.name;
    store = decision.store;
    let createdId: string | null = null;
    try {
      const key = await stopwatch.host(
        host.create({
          store: decision.store,
          rp_id: prepared.rpId,
          user: { id: prepared.user.id, name: accountName, display_name: prepared.user.displayName },
          pin: decision.pin,
          exclude_credential_ids: prepared.excludeCredentialIds,
          resident_key: prepared.residentKey !== 'discouraged',
          require_user_verification: prepared.userVerification === 'required',
        }),
      );
      createdId = key.credential_id;
      const newKey: NewKey = {
        credentialId: key.credential_id,
        publicKey: key.public_key,
        aaguid: key.aaguid,
        signCount: key.sign_count,
        userVerified: key.user_verified,
        backupEligible: key.backup_eligible,
        backupState: key.backup_state,
        residentKey: prepared.residentKey !== 'discouraged',
      };
      // A relying party that asks for attestation of a hardware passkey gets the key's own signature over
      // its registration ("packed" self-attestation); otherwise "none", which tells it nothing false.
      if (decision.store === 'hardware' && prepared.attestation !== 'none') {
        const authenticatorData = stopwatch.core(() => core.registrationAuthenticatorData(prepared, newKey));
        newKey.attestationSignature = await stopwatch.host(
          host.attest({
            credential_id: key.credential_id,
            authenticator_data: authenticatorData,
            client_data_hash: prepared.clientDataHash,
            pin: decision.pin,
          }),
        );
      }
      const credential = stopwatch.core(() => core.finishCreate(prepared, newKey));
      return { done: credential };
    } catch (err) {
      // The page will not get this passkey, so it must not stay behind in the store.
      if (createdId) await host.delete(createdId).catch(() => undefined);
      return afterKeyOperationFailed(err);
    }
  };

  try {
    const result = await runConsent(caller.key(requestId), details, prepared.timeoutMs, stopwatch, carryOut);
    if (result.kind === 'cancelled') return { outcome: 'error', error: NOT_ALLOWED };
    if (result.kind === 'browser') {
      browserRegistrations.set(caller.key(requestId), { rpId: prepared.rpId, userName: prepared.user.name });
      return { outcome: 'browser' };
    }
    stopwatch.finish('create', store);
    return { outcome: 'credential', credential: result.value };
  } catch (err) {
    return { outcome: 'error', error: toCeremonyError(err) };
  }
}
