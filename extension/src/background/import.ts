// Passkeys from another manager's Credential Exchange Format (CXF 1.0) export, for the popup's import dialog: the
// host reads the file, says which passkeys can go to the vault, and imports the chosen ones with the vault PIN
// (native-host/src/import/). This module only forwards and renames; the file's text (private keys) is never kept.
import type { ImportAnswer } from '../generated/host-protocol';
import { type MessageKey, t } from '../shared/i18n';
import type { ImportAnswerView } from '../shared/messages';
import type { Host } from './host/api';
import { shownProblem } from './host/port';


/** The consent window's PIN policy for a new vault (ui/consent/consent.ts, ARCHITECTURE.md rule 5). */
const NEW_PIN_CHARS = { tpm: 4, otherwise: 6 } as const;

const message = shownProblem;

function text(value: unknown, missing: MessageKey): string {
  if (typeof value !== 'string' || !value.trim()) throw new Error(t(missing));
  return value;
}

async function view(host: Pick<Host, 'hello'>, answer: ImportAnswer): Promise<ImportAnswerView> {
  // Whether the PIN typed next unlocks the vault or becomes its PIN (the dialog then asks for it twice).
  const hello = await host.hello().catch(() => null);
  const vault = hello?.stores.find((s) => s.id === 'vault');
  return {
    ok: true,
    exporter: answer.exporter,
    imported: answer.imported,
    vaultHasPin: !(vault && 'initialized' in vault && vault.initialized === false),
    newPinChars:
      vault && 'protection' in vault && vault.protection === 'tpm' ? NEW_PIN_CHARS.tpm : NEW_PIN_CHARS.otherwise,
    passkeys: answer.passkeys.map((p) => ({
      credentialId: p.credential_id,
      rpId: p.rp_id,
      userName: p.user_name,
      userDisplayName: p.user_display_name,
      account: p.account,
      status: p.status,
      reason: p.reason ?? null,
    })),
  };
}

export type ImportHost = Pick<Host, 'import' | 'hello'>;

export async function inspectImport(host: ImportHost, file: unknown): Promise<ImportAnswerView> {
  try {
    return await view(host, await host.import({ action: 'inspect', file: text(file, 'importMissingFile') }));
  } catch (err) {
    return { ok: false, error: message(err) };
  }
}

export async function runImport(
  host: ImportHost,
  file: unknown,
  credentialIds: unknown,
  pin: unknown,
): Promise<ImportAnswerView> {
  try {
    if (!Array.isArray(credentialIds) || !credentialIds.every((id) => typeof id === 'string'))
      throw new Error(t('importNoneChosen'));
    const answer = await host.import({
      action: 'import',
      file: text(file, 'importMissingFile'),
      credential_ids: credentialIds,
      pin: text(pin, 'pinMissing'),

    });
    return await view(host, answer);
  } catch (err) {
    return { ok: false, error: message(err) };
  }
}
