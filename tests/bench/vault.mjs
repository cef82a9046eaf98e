// A copied disk (DESIGN budget): what one vault PIN guess costs by protection, from
// native-host/examples/vault_unlock.rs (Argon2id per guess; the TPM-, OS-store- and PIN-only-sealed unlock on a
// swtpm and a GNOME Keyring of its own).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/build-outputs.mjs';

const execFileAsync = promisify(execFile);

/** The example's JSON report, or null (with a note) when it failed. */
export async function vaultUnlockFigures(notes) {
  try {
    const { stdout } = await execFileAsync(
      'cargo',
      ['run', '--release', '--quiet', '-p', 'keyplace-host', '--example', 'vault_unlock'],
      { cwd: REPO_ROOT, env: { ...process.env, TSS2_LOG: 'all+none' }, timeout: 10 * 60_000 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1));
  } catch (err) {
    notes.push(`vault_unlock failed, copied-disk figures missing: ${String(err.stderr || err.message).trim().split('\n').at(-1)}`);
    return null;
  }
}

/** The budget row's figure and verdict: no offline guessing where a TPM seals; elsewhere ≥ 250 ms per guess. */
export function copiedDiskRow(unlock, ms) {
  if (!unlock) return { figure: '—', status: 'not measured' };
  const perGuess = unlock.argon2.after.ms_per_guess;
  const figure =
    `TPM-sealed: no offline guess (each guess is the chip's, counted; unlock ${unlock.tpm_sealed_unlock_ms == null ? 'not measured' : ms(unlock.tpm_sealed_unlock_ms)}); ` +
    `OS-store-sealed: no offline guess without the store's secret, with it ${ms(perGuess)} per guess ` +
    `(unlock ${unlock.os_sealed_unlock_ms == null ? 'not measured' : ms(unlock.os_sealed_unlock_ms)}); ` +
    `PIN only: Argon2id ${unlock.argon2.after.m_kib / 1024} MiB × ${unlock.argon2.after.passes} passes = ${ms(perGuess)} per guess, ` +
    `${unlock.argon2.after.guesses_per_second_per_core.toFixed(2)} guesses per second per core ` +
    `(older vaults, 2 passes: ${ms(unlock.argon2.before.ms_per_guess)}, re-wrapped at their next unlock)`;
  return { figure, status: perGuess >= 250 ? 'met' : 'not met' };
}
