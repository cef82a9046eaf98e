// extension/package.mjs: the archive holds exactly the built files, at relative paths, in sorted order,
// and packing the same build twice gives the same bytes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { packageExtension } from '../../extension/package.mjs';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Entry names from the zip's central directory (read by hand: no unzip dependency). */
async function entriesOf(archive) {
  const zip = await readFile(archive);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central directory entry');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

const sha256 = async (file) => createHash('sha256').update(await readFile(file)).digest('hex');

describe('extension/package.mjs', () => {
  for (const browser of ['firefox', 'chromium']) {
    const dist = path.join(ROOT, 'extension/dist', browser);
    it(`packs extension/dist/${browser} reproducibly`, { skip: !existsSync(path.join(dist, 'manifest.json')) && `not built: ${dist}` }, async () => {
      const first = await packageExtension(browser);
      const hash = await sha256(first.archive);
      const second = await packageExtension(browser);
      assert.equal(await sha256(second.archive), hash, 'same build, same bytes');
      assert.match(first.archive, browser === 'firefox' ? /keyplace-firefox\.xpi$/ : /keyplace-chromium\.zip$/);
      const names = await entriesOf(first.archive);
      const built = (await readdir(dist, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => path.relative(dist, path.join(d.parentPath ?? d.path, d.name)));
      assert.deepEqual([...names].sort(), [...built].sort());
      assert.deepEqual(names, [...names].sort(), 'sorted order');
      for (const name of names) assert.ok(!name.startsWith('/') && !name.includes('..') && !name.includes('\\'), name);
      assert.ok(names.includes('manifest.json'));
      // The person's languages go with the package (extension/_locales; default English).
      for (const lang of ['en', 'de']) assert.ok(names.includes(`_locales/${lang}/messages.json`), `${lang} catalogue`);
    });
  }

  for (const browser of ['firefox', 'chromium']) {
    const dist = path.join(ROOT, 'extension/dist', browser);
    it(`the ${browser} manifest's __MSG_ names are in every language it carries`, { skip: !existsSync(path.join(dist, 'manifest.json')) && `not built: ${dist}` }, async () => {
      const text = await readFile(path.join(dist, 'manifest.json'), 'utf8');
      const manifest = JSON.parse(text);
      assert.equal(manifest.default_locale, 'en');
      assert.match(manifest.name, /^__MSG_\w+__$/);
      const keys = [...text.matchAll(/__MSG_(\w+)__/g)].map((m) => m[1]);
      assert.ok(keys.length >= 3, 'name, description and the toolbar title');
      for (const lang of await readdir(path.join(dist, '_locales'))) {
        const catalogue = JSON.parse(await readFile(path.join(dist, '_locales', lang, 'messages.json'), 'utf8'));
        for (const key of keys) assert.ok(catalogue[key]?.message, `${lang}: ${key}`);
      }
    });
  }


  for (const browser of ['firefox', 'chromium']) {
    const dist = path.join(ROOT, 'extension/dist', browser);
    it(`every icon the ${browser} manifest names is a PNG of its size`, { skip: !existsSync(path.join(dist, 'manifest.json')) && `not built: ${dist}` }, async () => {
      const manifest = JSON.parse(await readFile(path.join(dist, 'manifest.json'), 'utf8'));
      const named = { ...manifest.icons, ...manifest.action.default_icon };
      assert.deepEqual(Object.keys(manifest.icons).map(Number), [16, 32, 48, 96, 128]);
      for (const [size, file] of Object.entries(named)) {
        const png = await readFile(path.join(dist, file));
        assert.equal(png.toString('latin1', 1, 4), 'PNG', file);
        // IHDR: width and height, big-endian, right after the 8-byte signature and the chunk's length and type.
        assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [Number(size), Number(size)], file);
      }
    });
  }
});
