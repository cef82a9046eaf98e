// Registration: the background's part of navigator.credentials.create() (DESIGN.md "A registration, end
// to end", steps 4-8). The core validates and builds; the host makes the key; the window decides.
import type { CeremonyResult, ConsentDetails, Decision, SiteRule, StoreId, StoreStatus } from '../shared/messages';
import { asCeremonyError, core, type NewKey, type PreparedCreate } from './core';
import type { Caller } from './caller';
import { runConsent, type DecisionOutcome } from './consent';
import { afterKeyOperationFailed, CeremonyFailure, NOT_ALLOWED, toCeremonyError } from './errors';
import type { Host, HostHello } from './host-api';
import { Stopwatch } from './metrics';
import { ruleFor, setRule } from './rules';

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

const STORE_NAME: Record<StoreId, string> = { hardware: 'Hardware', vault: 'Vault' };

function detailsFor(prepared: PreparedCreate, caller: Caller, hello: HostHello | null, hostProblem: string | null, policy: SiteRule): ConsentDetails {
  const stores = storesFrom(hello);
  let rule: ConsentDetails['rule'] = null;
  let defaultProblem: string | null = null;
  if (policy.choice === 'hardware' || policy.choice === 'vault') {
    const store = stores.find((s) => s.id === policy.choice);
    if (policy.ruleSite !== null) {
      // A rule for this site is kept even when its store is unavailable: the window says so.
      rule = { site: policy.ruleSite, store: policy.choice, fromDefault: false };
    } else if (store?.available) {
      rule = { site: policy.site, store: policy.choice, fromDefault: true };
    } else {
      // The default is a preference, not a promise made for this site: let the person choose.
      defaultProblem = `Your default choice, ${STORE_NAME[policy.choice]}, is unavailable: ${store?.reason ?? 'unknown reason'} Choose another place for this passkey.`;
    }
  }
  return {
    site: policy.site,
    rule,
    defaultProblem,
    kind: 'create',
    rpId: prepared.rpId,
    origin: caller.origin,
    userName: prepared.user.name,
    userDisplayName: prepared.user.displayName,
    userVerification: prepared.userVerification,
    stores,
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

  // The site's rule (or the default choice). "browser" goes straight to the browser's own WebAuthn: its
  // UI is the prompt. Every other choice goes through the Keyplace window, where presence is real.
  let policy: SiteRule;
  try {
    policy = await ruleFor(prepared.rpId);
  } catch (err) {
    console.warn('Keyplace: could not read the site rules; asking', err);
    policy = { site: prepared.rpId, choice: 'ask', ruleSite: null };
  }
  if (policy.choice === 'browser') {
    browserRegistrations.set(caller.key(requestId), { rpId: prepared.rpId, userName: prepared.user.name });
    return { outcome: 'browser' };
  }
  const remember = async (choice: 'hardware' | 'vault' | 'browser') => {
    const saved = await setRule(policy.site, choice).catch((err) => ({ ok: false, error: String(err) }));
    if (!saved.ok) console.warn('Keyplace: could not save the rule', saved);
  };

  // The window opens while the host answers (on a cold start that includes spawning it); the window
  // waits for these details, not the other way round.
  const details: Promise<ConsentDetails> = host.hello().then(
    (hello) => detailsFor(prepared, caller, hello, null, policy),
    (err) => detailsFor(prepared, caller, null, err instanceof Error ? err.message : String(err), policy),
  );

  let store = 'vault';
  const carryOut = async (decision: Decision): Promise<DecisionOutcome<unknown>> => {
    if (decision.action !== 'create') throw new CeremonyFailure('NotAllowedError', 'Unexpected choice.');
    const { rule } = await details;
    if (rule && decision.store !== rule.store) {
      return { retry: `Your rule for ${rule.site} allows only ${STORE_NAME[rule.store]}.` };
    }
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
      if (decision.remember && !rule) await remember(decision.store);
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
      const { rule } = await details;
      // "Hardware only" means no other place for this site, whatever a window sends.
      if (rule && !rule.fromDefault && rule.store === 'hardware') return { outcome: 'error', error: NOT_ALLOWED };
      if (result.remember && !rule) await remember('browser');
      browserRegistrations.set(caller.key(requestId), { rpId: prepared.rpId, userName: prepared.user.name });
      return { outcome: 'browser' };
    }
    stopwatch.finish('create', store);
    return { outcome: 'credential', credential: result.value };
  } catch (err) {
    return { outcome: 'error', error: toCeremonyError(err) };
  }
}
