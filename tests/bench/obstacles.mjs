// The "What stands in the way" section of BENCHMARKS.md: for every budget not met, where its time (or memory)
// goes, from figures of the same run (the extension's own marks, metrics.coldPath and friends, and the empty
// extension's floors of tests/bench/floors.mjs). Nothing here is typed in by hand: every number is a figure.
import { dist, ms, p50 } from './stats.mjs';

const mb = (kbValue) => (kbValue == null ? '—' : `${(kbValue / 1024).toFixed(1)} MB`);

/** p50 over the samples of `step(sample)` (a sample whose step is missing is left out). */
const stepP50 = (samples, step) =>
  p50(
    (samples ?? []).map((s) => {
      const v = step(s);
      return Number.isFinite(v) ? v : null;
    }),
  );
const stepDist = (samples, step) =>
  dist(
    (samples ?? []).map((s) => {
      const v = step(s);
      return Number.isFinite(v) ? v : Number.NaN;
    }),
  );

/** Cold path, step by step (p50 / p90 over the cold starts; ms). `floor`: the empty extension, or null. */
function coldPathLines(browser, cold, floor, budgetRequested, budgetReady) {
  const paths = cold?.paths ?? [];
  if (!paths.length) return [`- ${browser}: cold path not measured (no metrics.coldPath after the cold starts).`];
  const d = (f) => stepDist(paths, f);
  const v = (f) => stepP50(paths, f);
  const start = (s) => -s.pageCall; // page call → worker started (timeOrigin)
  const toMessage = (s) => s.firstCeremonyMessage - s.pageCall;
  const ownToRequest = (s) => s.windowRequested - s.firstCeremonyMessage;
  const waitedForCore = (s) => Math.max(0, s.wasmReady - Math.max(s.firstCeremonyMessage, s.callerKnown ?? 0));
  const prepare = (s) => s.prepared - Math.max(s.wasmReady, s.callerKnown ?? 0);
  const rule = (s) => s.ruleRead - s.prepared;
  const toAsk = (s) => s.windowRequested - s.ruleRead;
  const winCreated = (s) => s.windowCreated - s.windowRequested;
  const winReady = (s) => s.windowReady - s.windowRequested;
  const wasmFetch = (s) => s.wasmFetched - s.scriptStart;
  const wasmCompile = (s) => s.wasmReady - s.wasmFetched;
  const host = (s) => s.hostAnswered - s.ruleRead;
  const fw = floor?.wake ?? [];
  const fwin = floor?.window ?? [];
  const lines = [
    `- ${browser}, cold start → window requested (p50 ${ms(p50(cold.toRequested ?? []))} against ${budgetRequested} ms): ` +
      `the browser takes ${d(start)} from the page's call to starting the worker, whose bundle is running ` +
      `${d((s) => s.scriptStart)} after its start, and the request arrives ${d(toMessage)} after the page's call ` +
      `(through the page shim and the bridge)` +
      (fw.length
        ? `; an empty MV3 extension woken by a page's message in the same browser and run: ${dist(fw.map((w) => w.toStart))} to its worker's start, ${dist(fw.map((w) => w.toMessage))} to the message — the floor nobody can beat`
        : '; no empty-extension floor is measured in this browser') +
      `. In the worker the WASM core's response arrives ${d(wasmFetch)} after the script started, and it is compiled ` +
      `(streaming) and instantiated ${d(wasmCompile)} later (then its Public Suffix List is expanded, ` +
      `${d((s) => s.coreWarm - s.wasmReady)} after it is ready); the request ` +
      `waited ${d(waitedForCore)} for the core after it arrived; preparing it took ${d(prepare)}, reading the site's ` +
      `rule ${d(rule)}, and the window was asked for ${d(toAsk)} later: Keyplace's own part, from the request's ` +
      `arrival to asking for the window, is ${d(ownToRequest)}.`,
    `- ${browser}, cold start → window interactive (p50 ${ms(p50(cold.toReady ?? []))} against ${budgetReady} ms): ` +
      `after the window is asked for, the browser creates it in ${d(winCreated)} and its page asks for its details ` +
      `${d(winReady)} after the request` +
      (fwin.length
        ? `; an empty extension window of the same size in the same browser: created in ${dist(fwin.map((w) => w.toCreated))}, its script running after ${dist(fwin.map((w) => w.toScript))}, painted after ${dist(fwin.map((w) => w.toPainted))} — the floor for this step`
        : '; no empty-window floor is measured in this browser') +
      `. The host (spawned on this first request, then \`hello\`) answers ${d(host)} after the rule is read, ` +
      `overlapping the window.`,
  ];
  const floorReady = p50(fwin.map((w) => w.toScript));
  const floorStart = p50(fw.map((w) => w.toMessage));
  if (floorReady != null && floorStart != null) {
    const floorSum = floorStart + floorReady;
    lines.push(
      `- ${browser}: the empty extension's own floors add up to ${ms(floorSum)} (message to a stopped worker + an empty ` +
        `window's script) against the ${budgetReady} ms "window interactive" budget, before any of Keyplace's work ` +
        `(${ms(v(ownToRequest))} from the request's arrival to asking for the window, p50).`,
    );
  }
  return lines;
}

export function renderObstacles(out) {
  const lines = ['## What stands in the way', ''];
  lines.push(
    'For each budget not met, where the time (or memory) goes, measured in the same run. The cold path comes from ' +
      "the worker's own marks (`keyplaceMetrics.coldPath`, ms since the worker's start; the page's call on the same " +
      'epoch clock), the floors from an empty MV3 extension (tests/bench/floor-extension) in the same Chromium build.',
    '',
  );
  const shim = out.shimWorkMs;
  if (shim) {
    const cold = p50(shim.cold) - p50(shim.empty);
    const warm = p50(shim.warm) - p50(shim.empty);
    if (cold > 0.2)
      lines.push(
        `- Page shim work, cold (${ms(cold)} against 0.2 ms): the same source with V8's compilation cache hit costs ` +
          `${ms(warm)}, so ${ms(cold - warm)} of the cold figure is parsing and compiling the 4 KB script, paid once per ` +
          "page's first frame until V8 caches it; the shim's own run fits the budget.",
      );
  }
  lines.push(...coldPathLines('Chromium', out.cold, out.floor, 60, 150));
  const wasm = out.cold?.paths ?? [];
  if (p50(out.cold?.wasmMs ?? []) > 15)
    lines.push(
      `- WASM instantiation (p50 ${ms(p50(out.cold.wasmMs))} against 15 ms): fetching core.wasm until its response ` +
        `${stepDist(wasm, (s) => s.wasmFetched - s.scriptStart)}, then compiling it as it streams in and instantiating ` +
        `${stepDist(wasm, (s) => s.wasmReady - s.wasmFetched)}; the cold request waited for the core ` +
        `${stepDist(wasm, (s) => Math.max(0, s.wasmReady - Math.max(s.firstCeremonyMessage, s.callerKnown ?? 0)))} ` +
        '(the core compiles while the browser delivers the request).',
    );
  const p = out.popup?.['10000'];
  if (p && p50(p.listReadyMs) > 100)
    lines.push(
      `- 10,000 passkeys, popup list ready (p50 ${ms(p50(p.listReadyMs))} against 100 ms): DOMContentLoaded at ` +
        `${dist(p.dclMs)}; the popup's \`popup:list\` reaches the worker at ${dist(p.listArrivedMs ?? [])} and is answered at ` +
        `${dist(p.listAnsweredMs ?? [])} (ms from navigation start; the host's page of 200 slim rows alone: ` +
        `${ms(out.hostBench?.many?.list_popup_page_ms?.p50)}); rendering the rows and the count takes ${dist(p.renderMs ?? [])}.` +
        (out.popup?.['2000']
          ? ` With 2,000 passkeys the list is ready at ${ms(p50(out.popup['2000'].listReadyMs))}.`
          : ''),
    );
  const many = out.hostBench?.many;
  if (many?.memory_after?.vm_rss_kb > 20 * 1024)
    lines.push(
      `- Host resident memory with 10,000 passkeys (${mb(many.memory_after.vm_rss_kb)} against 20 MB): ` +
        `${mb(many.memory_before_lists?.vm_rss_kb)} after making them and before any \`list\`, ` +
        `${mb(many.memory_after.vm_rss_kb)} after the lists (peak ${mb(many.memory_after.vm_hwm_kb)}); with a small ` +
        `store after hello/vault/TPM operations ${mb(out.hostBench?.memory_after_ops?.vm_rss_kb)}.`,
    );
  const passLine = (browser, pt, base) => {
    if (!pt?.createMs?.length || !base?.createMs?.length) return null;
    const addedCreate = p50(pt.createMs) - p50(base.createMs);
    const addedGet = p50(pt.getMs) - p50(base.getMs);
    if (Math.max(addedCreate, addedGet) <= 2) return null;
    const bgC = p50(pt.backgroundCreateMs ?? []);
    const bgG = p50(pt.backgroundGetMs ?? []);
    return (
      `- ${browser}, a request handed to the browser (+${ms(addedCreate)} create, +${ms(addedGet)} get against 2 ms): ` +
      `the background's share, from the request's arrival to its "browser" answer, is ${dist(pt.backgroundCreateMs ?? [])} ` +
      `for create (preparing the request, reading the site's rule) and ${dist(pt.backgroundGetMs ?? [])} for get (it also ` +
      'asks the host whether Keyplace holds one of the allowed passkeys, and `hello`); the rest, ' +
      `${ms(bgC == null ? null : addedCreate - bgC)} for create and ${ms(bgG == null ? null : addedGet - bgG)} for get, ` +
      'is the page shim, the bridge and the messages between the page, the bridge and the background.'
    );
  };
  const ffBase = out.firefox?.baseline;
  for (const line of [
    passLine('Chromium', out.passthrough, out.baseline),
    passLine('Firefox', out.firefox?.passthrough, ffBase),
  ])
    if (line) lines.push(line);
  const autofillLine = (browser, a) => {
    if (!a?.visibleMs?.length || p50(a.visibleMs) <= 50) return null;
    return (
      `- ${browser}, autofill suggestion (p50 ${ms(p50(a.visibleMs))} against 50 ms): ` +
      (a.frameLoadMs
        ? `from the focus until the suggestion frame's script asks the background for its accounts ${dist(a.frameLoadMs)} (the frame is created and loaded by the browser), then answering, rendering and painting ${dist(a.answerPaintMs)}.`
        : "not split (the frame's requests were not paired with the focuses).")
    );
  };
  for (const line of [autofillLine('Chromium', out.autofill), autofillLine('Firefox', out.firefox?.autofill)])
    if (line) lines.push(line);
  if (out.firefox) {
    const fx = out.firefox;
    lines.push(...coldPathLines('Firefox', fx.cold, null, 60, 150));
    if (p50(fx.cold?.wasmMs ?? []) > 15)
      lines.push(
        `- Firefox, WASM instantiation (p50 ${ms(p50(fx.cold.wasmMs))} against 15 ms): fetching core.wasm until its ` +
          `response ${stepDist(fx.cold.paths, (s) => s.wasmFetched - s.scriptStart)}, then compiling and instantiating ` +
          `${stepDist(fx.cold.paths, (s) => s.wasmReady - s.wasmFetched)}.`,
      );
    const warmReady = [...(fx.vault?.create?.windowReadyMs ?? []), ...(fx.vault?.get?.windowReadyMs ?? [])];
    if (warmReady.length)
      lines.push(
        `- Firefox, the window itself: warm, from asking for it to its page asking for its details ${dist(warmReady)}.`,
      );
  }
  lines.push('');
  return lines;
}
