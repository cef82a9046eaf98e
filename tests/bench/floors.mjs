// The floors nobody can beat, measured in the same Chromium build and run as Keyplace: an empty MV3 extension
// (tests/bench/floor-extension) whose worker only answers. A page on the RP server wakes its stopped worker with a
// message (externally_connectable, so no content script is in the way) and has it open an empty window of the
// consent window's size. What Keyplace's cold path and window take beyond these is Keyplace's own.
import path from 'node:path';
import { launchKeyplace, REPO_ROOT } from '../drivers/chromium-launch.mjs';

const FLOOR_DIR = path.join(REPO_ROOT, 'tests/bench/floor-extension');

/** {wake: [{toStart, toMessage}], window: [{toCreated, toScript, toPainted}]} in ms, or null with a note. */
export async function chromiumFloors({ pageUrl, coldN, windowN, notes }) {
  const session = await launchKeyplace({ extensionDir: FLOOR_DIR, host: false });
  try {
    const { context } = session;
    const worker =
      context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://')) ??
      (await context.waitForEvent('serviceworker'));
    const id = new URL(worker.url()).host;
    const origin = `chrome-extension://${id}`; // URL.origin is "null" for this scheme
    const page = await session.newPage(pageUrl);
    const cdp = await context.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    const stoppedNow = () =>
      new Promise((resolve) => {
        const onUpdate = ({ versions }) => {
          if (versions.some((v) => v.scriptURL.startsWith(origin) && v.runningStatus === 'stopped')) {
            cdp.off('ServiceWorker.workerVersionUpdated', onUpdate);
            resolve();
          }
        };
        cdp.on('ServiceWorker.workerVersionUpdated', onUpdate);
      });
    const send = (message) =>
      page.evaluate(
        async ({ id, message }) => {
          const sentAt = performance.timeOrigin + performance.now();
          const answer = await chrome.runtime.sendMessage(id, message);
          return { sentAt, ...answer };
        },
        { id, message },
      );
    const wake = [];
    let lastStart = null;
    for (let i = 0; i < coldN; i++) {
      const stopped = stoppedNow();
      await cdp.send('ServiceWorker.stopAllWorkers');
      await stopped;
      const r = await send('wake');
      if (r.startedAt === lastStart) {
        notes.push("Floor: the empty extension's worker did not restart after stopAllWorkers; floor not measured.");
        return null;
      }
      wake.push({ toStart: r.startedAt - r.sentAt, toMessage: r.receivedAt - r.sentAt });
      lastStart = r.startedAt;
    }
    await cdp.detach().catch(() => {});
    const window = [];
    await send('wake'); // warm, as Keyplace's warm window figures are
    for (let i = 0; i < windowN; i++) {
      const r = await send('window');
      window.push({
        toCreated: r.createdAt != null ? r.createdAt - r.requestedAt : null,
        toScript: r.scriptAt - r.requestedAt,
        toPainted: r.paintedAt - r.requestedAt,
      });
      await page.bringToFront();
    }
    return { wake, window };
  } catch (err) {
    notes.push(`Floor (empty extension) not measured: ${String(err?.message ?? err).split('\n')[0]}`);
    return null;
  } finally {
    await session.close();
  }
}
