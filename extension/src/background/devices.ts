// Your devices and copies of vault passkeys, for the popup (ARCHITECTURE.md rule 10). The host decides
// everything (who may approve, to whom a copy goes, once); this module only forwards the popup's requests and
// puts where each vault passkey's copies are into words, and forwards enrolment (`ring`) as the CLI does it.
import type {
  CopiedPasskeyRow,
  CopyRow,
  DeviceRow,
  DevicesAnswer,
  RecoveryParams,
  RingParams,
} from '../generated/host-protocol';
import type {
  CopyAnswer,
  CopyApproveView,
  CopyImportView,
  CopyInspectView,
  CopyReleaseView,
  CopyRequestView,
  DevicesView,
  DeviceView,
  RecoveryView,
  RingView,
} from '../shared/messages';
import { type MessageKey, t } from '../shared/i18n';
import type { Host } from './host/api';
import { shownProblem } from './host/port';

/** "a", "a and b", "a, b and c". */
export function listOf(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return t('listAnd', names.slice(0, -1).join(', '), names.at(-1) ?? '');
}

const passkeyRows = (rows: Pick<CopiedPasskeyRow, 'rp_id' | 'user_name'>[]) =>
  rows.map((p) => ({ rpId: p.rp_id, userName: p.user_name }));

/**
 * Where each vault passkey of this computer has copies, from this device's log: the source knows only what it
 * asked for (a copy becomes usable only once another device approves it), the target what it imported and who
 * approved it. Passkeys this device only approved are not here and get no words.
 */
export function copyWhereabouts(copies: CopyRow[]): Record<string, string> {
  const byPasskey = new Map<string, { asked: Set<string>; from: Set<string>; approvers: Set<string> }>();
  for (const copy of copies) {
    if (copy.role === 'approved') continue;
    let entry = byPasskey.get(copy.credential_id);
    if (!entry) {
      entry = { asked: new Set(), from: new Set(), approvers: new Set() };
      byPasskey.set(copy.credential_id, entry);
    }
    if (copy.role === 'requested') entry.asked.add(copy.target);
    else {
      entry.from.add(copy.source);
      if (copy.approver) entry.approvers.add(copy.approver);
    }
  }
  const words: Record<string, string> = {};
  for (const [id, { asked, from, approvers }] of byPasskey) {
    const others = [...new Set([...from, ...asked])];
    const notes: string[] = [];
    if (from.size)
      notes.push(approvers.size ? t('devicesCopiedHereApproved', listOf([...approvers])) : t('devicesCopiedHere'));
    if (asked.size) notes.push(t('devicesCopiesNeedApproval'));
    words[id] = t('devicesVaultOn', listOf([t('devicesThisComputer'), ...others]), notes.join('; '));
  }
  return words;
}

function deviceView(row: DeviceRow): DeviceView {
  return {
    id: row.id,
    shortId: row.short_id,
    name: row.name,
    thisDevice: row.this_device,
    enrolled: row.enrolled,
    approvedBy: row.approved_by,
    addedAt: row.added_at,
    recoverySheet: row.recovery_sheet === true,
  };
}

export function devicesView(answer: DevicesAnswer): DevicesView {
  return {
    thisDevice: answer.this_device ? deviceView(answer.this_device) : null,
    devices: answer.devices.filter((d) => d.enrolled).map(deviceView),
    copies: copyWhereabouts(answer.copies),
    problem: null,
  };
}

const message = shownProblem;
const failed = (err: unknown): { ok: false; error: string } => ({ ok: false, error: message(err) });

function text(value: unknown, missing: MessageKey): string {
  if (typeof value !== 'string' || !value.trim()) throw new Error(t(missing));

  return value;
}

export async function listDevices(host: Host): Promise<DevicesView> {
  try {
    return devicesView(await host.devices());
  } catch (err) {
    return { thisDevice: null, devices: [], copies: {}, problem: message(err) };
  }
}

export async function requestCopy(
  host: Host,
  credentialIds: unknown,
  to: unknown,
  pin: unknown,
): Promise<CopyAnswer<CopyRequestView>> {
  try {
    if (!Array.isArray(credentialIds) || !credentialIds.every((id) => typeof id === 'string'))
      throw new Error(t('noPasskeyNamed'));
    const answer = await host.copyRequest({
      credential_ids: credentialIds,
      to: text(to, 'devicesMissingTarget'),
      pin: text(pin, 'pinMissing'),
    });
    return { ok: true, request: answer.request, shortCode: answer.short_code, target: answer.target };
  } catch (err) {
    return failed(err);
  }
}

export async function inspectCopy(host: Host, request: unknown): Promise<CopyAnswer<CopyInspectView>> {
  try {
    const answer = await host.copyInspect({ request: text(request, 'devicesMissingRequest') });
    return {
      ok: true,
      kind: answer.kind,
      source: answer.source,
      target: answer.target,
      approver: answer.approver ?? null,
      passkeys: passkeyRows(answer.passkeys),
      shortCode: answer.short_code,
      chipHeld: answer.chip_held,
    };
  } catch (err) {
    return failed(err);
  }
}

export async function approveCopy(host: Host, request: unknown, pin: unknown): Promise<CopyAnswer<CopyApproveView>> {
  try {
    const answer = await host.copyApprove({ request: text(request, 'devicesMissingRequest'), pin: text(pin, 'pinMissing') });
    return {
      ok: true,
      approval: answer.approval,
      source: answer.source,
      target: answer.target,
      chipHeld: answer.chip_held,
    };
  } catch (err) {
    return failed(err);
  }
}

/** On the source: its TPM duplicates approved TPM-held passkeys for their target (no PIN: the chip checks the approval). */
export async function releaseCopy(host: Host, approval: unknown): Promise<CopyAnswer<CopyReleaseView>> {
  try {
    const answer = await host.copyRelease({ approval: text(approval, 'devicesMissingApproval') });
    return { ok: true, package: answer.package, target: answer.target, passkeys: passkeyRows(answer.passkeys) };
  } catch (err) {
    return failed(err);
  }
}

export async function importCopy(
  host: Host,
  request: unknown,
  approval: unknown,
  pin: unknown,
): Promise<CopyAnswer<CopyImportView>> {
  try {
    const answer = await host.copyImport({
      request: text(request, 'devicesMissingRequest'),
      // A copy package holds its approval: the field may be empty then (the host refuses a bare request).
      approval: typeof approval === 'string' ? approval : '',
      pin: text(pin, 'pinMissing'),
    });
    return { ok: true, imported: passkeyRows(answer.imported) };
  } catch (err) {
    return failed(err);
  }
}

const RING_ACTIONS = new Set(['start', 'join', 'inspect', 'approve', 'accept', 'remove']);

/** A change to your ring of devices (the host checks every field and refuses with its reason). */
export async function changeRing(host: Host, params: unknown): Promise<CopyAnswer<RingView>> {
  try {
    const action = (params as { action?: unknown } | null)?.action;
    if (typeof action !== 'string' || !RING_ACTIONS.has(action)) throw new Error(t('devicesUnknownAction'));
    const answer = await host.ring(params as RingParams);
    return {
      ok: true,
      ...(answer.request ? { request: answer.request } : {}),
      ...(answer.short_code ? { shortCode: answer.short_code } : {}),
      ...(answer.joining ? { joining: answer.joining } : {}),
      ...(answer.ring ? { ring: answer.ring } : {}),
      ...(answer.ring_code ? { ringCode: answer.ring_code } : {}),
      devices: devicesView(answer.devices),
    };
  } catch (err) {
    return failed(err);
  }
}

const RECOVERY_ACTIONS = new Set(['make', 'approve_copy', 'approve_join', 'restore']);

/** A recovery sheet: make one, approve with its code, restore with it (the host checks the code and refuses a typo). */
export async function recovery(host: Host, params: unknown): Promise<CopyAnswer<RecoveryView>> {
  try {
    const action = (params as { action?: unknown } | null)?.action;
    if (typeof action !== 'string' || !RECOVERY_ACTIONS.has(action)) throw new Error(t('devicesUnknownAction'));
    const answer = await host.recovery(params as RecoveryParams);
    return {
      ok: true,
      ...(answer.code ? { code: answer.code } : {}),
      ...(answer.sheet ? { sheet: answer.sheet.name } : {}),
      ...(answer.ring ? { ring: answer.ring } : {}),
      ...(answer.ring_code ? { ringCode: answer.ring_code } : {}),
      ...(answer.approval
        ? {
            approval: {
              approval: answer.approval.approval,
              source: answer.approval.source,
              target: answer.approval.target,
              chipHeld: answer.approval.chip_held,
            },
          }
        : {}),
      ...(answer.imported ? { imported: passkeyRows(answer.imported) } : {}),
      devices: devicesView(answer.devices),
    };
  } catch (err) {
    return failed(err);
  }
}
