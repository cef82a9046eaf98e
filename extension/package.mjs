// Packs the built extension (extension/dist/<browser>/) into one archive for distribution or signing:
//   chromium -> extension/dist/keyplace-chromium.zip
//   firefox  -> extension/dist/keyplace-firefox.xpi
// Reproducible: entries in sorted order, relative paths only, a fixed timestamp and fixed modes, so the
// same build gives the same bytes. Run `node extension/build.mjs <browser>` first.
// Usage: node extension/package.mjs [chromium|firefox]
import yazl from 'yazl';
import { createWriteStream } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ARCHIVE = { chromium: 'keyplace-chromium.zip', firefox: 'keyplace-firefox.xpi' };
// 1980-01-01 local time is the earliest date a zip can hold; any fixed date makes the bytes stable.
const MTIME = new Date(1980, 0, 1, 0, 0, 0);

async function filesUnder(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
    else throw new Error(`not a plain file: ${path}`);
  }
  return out;
}

/** Packs extension/dist/<browser>/ and returns {archive, entries}. */
export async function packageExtension(browser) {
  if (!ARCHIVE[browser]) throw new Error(`unknown browser "${browser}" (chromium or firefox)`);
  const source = join(here, 'dist', browser);
  const manifest = await stat(join(source, 'manifest.json')).catch(() => null);
  if (!manifest) throw new Error(`no ${join(source, 'manifest.json')}: run "node extension/build.mjs ${browser}" first`);

  const archive = join(here, 'dist', ARCHIVE[browser]);
  // Names use "/" whatever the platform; byte order sorting, so no locale changes the order.
  const entries = (await filesUnder(source))
    .map((path) => ({ path, name: relative(source, path).split(sep).join('/') }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const zip = new yazl.ZipFile();
  for (const { path, name } of entries) {
    // Read into memory (the files are small) so the archive records no file-system metadata.
    zip.addBuffer(await readFile(path), name, { mtime: MTIME, mode: 0o100644, compress: true });
  }
  zip.end();

  // Written beside the target and renamed, so a failed run never leaves a half archive behind.
  const partial = `${archive}.partial`;
  await new Promise((resolve, reject) => {
    const out = createWriteStream(partial);
    zip.outputStream.on('error', reject);
    out.on('error', reject);
    out.on('close', resolve);
    zip.outputStream.pipe(out);
  }).catch(async (err) => {
    await rm(partial, { force: true });
    throw err;
  });
  await rename(partial, archive);
  return { archive, entries: entries.map((e) => e.name) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const browser = process.argv[2] ?? 'chromium';
  try {
    const { archive, entries } = await packageExtension(browser);
    const bytes = (await stat(archive)).size;
    console.log(`Packed ${entries.length} files into ${archive} (${bytes} B)`);
  } catch (err) {
    console.error(String(err?.message ?? err));
    process.exit(1);
  }
}
