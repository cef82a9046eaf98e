// Your devices and copies (issue 12): enrolment and copy times without the person, and the chip's own cost of a
// copy under policy, from native-host/examples/devices_copy.rs (three devices in temporary data folders, each
// vault sealed by its own swtpm where swtpm is installed, and the PIN-only path). Its lines go into BENCHMARKS.md
// as it prints them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/build-outputs.mjs';

const execFileAsync = promisify(execFile);

/** The example's report lines, or null (with a note) when it failed. */
export async function devicesCopyFigures(notes) {
  try {
    const { stdout } = await execFileAsync(
      'cargo',
      ['run', '--release', '--quiet', '-p', 'keyplace-host', '--example', 'devices_copy'],
      { cwd: REPO_ROOT, env: { ...process.env, TSS2_LOG: 'all+none' }, timeout: 10 * 60_000 },
    );
    return stdout.split('\n').filter((line) => line.trim());
  } catch (err) {
    notes.push(`devices_copy failed, device figures missing: ${String(err.stderr || err.message).trim().split('\n').at(-1)}`);
    return null;
  }
}
