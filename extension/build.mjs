// Bundles the extension for one browser into extension/dist/<browser>/ with esbuild.
// Expects the WASM core already built by wasm-bindgen into extension/build/wasm/ (xtask does that).
// Usage: node extension/build.mjs [chromium]
import { Resvg } from '@resvg/resvg-js';
import { build } from 'esbuild';
import { copyFile, cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const browser = process.argv[2] ?? 'chromium';
const out = join(here, 'dist', browser);
const wasmDir = join(here, 'build', 'wasm');

async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  );
}

if (!(await exists(join(wasmDir, 'keyplace_core_bg.wasm')))) {
  console.error(`Missing ${wasmDir}/keyplace_core_bg.wasm: build the WASM core first (xtask/xtask.sh build).`);
  process.exit(1);
}

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const common = { bundle: true, minify: true, sourcemap: false, target: ['chrome111', 'firefox128'], logLevel: 'warning' };
await Promise.all([
  // The page shim and bridge are classic scripts (content scripts cannot be modules).
  build({ ...common, entryPoints: { shim: join(here, 'src/page/shim.ts') }, outdir: out, format: 'iife' }),
  build({ ...common, entryPoints: { bridge: join(here, 'src/bridge/bridge.ts') }, outdir: out, format: 'iife' }),
  build({
    ...common,
    entryPoints: {
      background: join(here, 'src/background/main.ts'),
      consent: join(here, 'src/ui/consent/consent.ts'),
      popup: join(here, 'src/ui/popup/popup.ts'),
      options: join(here, 'src/ui/options/options.ts'),
      suggest: join(here, 'src/ui/suggest/suggest.ts'),
      welcome: join(here, 'src/ui/welcome/welcome.ts'),
    },
    outdir: out,
    format: 'esm',
  }),
]);

await copyFile(join(wasmDir, 'keyplace_core_bg.wasm'), join(out, 'core.wasm'));
for (const page of ['consent/consent.html', 'popup/popup.html', 'options/options.html', 'welcome/welcome.html', 'suggest/suggest.html', 'common/keyplace.css']) {
  await copyFile(join(here, 'src/ui', page), join(out, page.split('/').pop()));
}
// The person's words in every language (extension/_locales/<lang>/messages.json; see src/shared/i18n.ts).
await cp(join(here, '_locales'), join(out, '_locales'), { recursive: true });

// Toolbar and store icons at every size the browsers ask for, rasterized from one SVG (resvg: same bytes each build).
const ICON_SIZES = [16, 32, 48, 96, 128];
const iconSvg = await readFile(join(here, 'src/ui/icons/keyplace.svg'));
await mkdir(join(out, 'icons'), { recursive: true });
for (const size of ICON_SIZES) {
  const png = new Resvg(iconSvg, { fitTo: { mode: 'width', value: size } }).render().asPng();
  await writeFile(join(out, 'icons', `keyplace-${size}.png`), png);
}

const manifest = JSON.parse(await readFile(join(root, 'manifests', `${browser}.json`), 'utf8'));
await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

const shimBytes = (await stat(join(out, 'shim.js'))).size;
const wasmBytes = (await stat(join(out, 'core.wasm'))).size;
console.log(`Built ${out} (page shim ${shimBytes} B, WASM core ${wasmBytes} B)`);
// The shim's size budget (4 KB minified, BENCHMARKS.md): the benchmark only reports it, so the build enforces it.
const SHIM_BUDGET = 4096;
if (shimBytes > SHIM_BUDGET) {
  console.error(`The page shim is ${shimBytes} B, over its ${SHIM_BUDGET} B budget (extension/src/page/shim.ts).`);
  process.exit(1);
}
