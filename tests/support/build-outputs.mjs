// Where the build puts what the browser tests need: the repository root and the native host binary.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function hostBinary() {
  if (process.env.KEYPLACE_HOST_BIN) return path.resolve(process.env.KEYPLACE_HOST_BIN);
  const target = path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR ?? 'target');
  return path.join(target, 'debug', 'keyplace-host');
}
