// The Signal API (WebAuthn L3 §5.1.10) for Keyplace's passkeys. The shim forwards each call and also hands it to
// the browser's own method, so browser passkeys get it too; the page never waits for Keyplace's part and learns
// nothing from it. Only the caller's own RP ID is accepted (the core checks it as for create and get).
import type { CeremonyResult } from '../shared/messages';
import type { Caller } from './caller';
import { failed } from './ceremony/errors';
import { core, type Signal } from './core';
import type { Host } from './host/api';
import { updateMarks } from './locations/site-signals';
import { loadBrowserPasskeys, MAX_ACCOUNT_NAME } from './locations/storage';
import { prepareWithRelatedOrigins } from './related-origins';

const DONE: CeremonyResult = { outcome: 'browser' };

export async function applySignal(host: Host, caller: Caller, method: string, options: unknown): Promise<CeremonyResult> {
  let signal: Signal;
  try {
    signal = await prepareWithRelatedOrigins((related) =>
      core.checkSignal({ origin: caller.origin, method, options, relatedOrigins: related }),
    );
  } catch (err) {
    return failed(err); // the page gets the browser's own answer; this one only goes to the log
  }
  try {
    await apply(host, signal);
  } catch (err) {
    console.warn('Keyplace: could not apply a site’s signal', err);
  }
  return DONE;
}

async function apply(host: Host, signal: Signal): Promise<void> {
  const { rpId, userId } = signal;
  const found = await host.list({ rp_id: rpId });
  switch (signal.method) {
    case 'signalUnknownCredential': {
      // Hidden and marked, never deleted on the site's word alone: the person decides in the popup.
      const recorded = (await loadBrowserPasskeys()).filter((p) => p.rpId === rpId).map((p) => p.credentialId);
      const ids = [...found.map((c) => c.credential_id), ...recorded].filter((id) => id === signal.credentialId);
      return updateMarks(rpId, ids, 'unknown');
    }
    case 'signalAllAcceptedCredentials': {
      const accepted = new Set(signal.allAcceptedCredentialIds ?? []);
      const users = found.filter((c) => c.user_id === userId).map((c) => c.credential_id);
      return updateMarks(
        rpId,
        users.filter((id) => !accepted.has(id)),
        'not-accepted',
        users.filter((id) => accepted.has(id)),
      );
    }
    case 'signalCurrentUserDetails': {
      const name = (signal.name ?? '').trim().slice(0, MAX_ACCOUNT_NAME);
      if (!name) return;
      for (const c of found) {
        if (c.user_id === userId && c.user_name !== name) await host.rename(c.credential_id, name);
      }
      return;
    }
  }
}
