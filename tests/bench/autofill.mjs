// Autofill: the "Sign in with Keyplace" suggestion visible after its field gets the focus (budget 50 ms). The page
// records when it focused the field (epoch ms), the suggestion frame reports when it first painted (epoch ms, to the
// background's metrics); both clocks are the same machine's. The page needs a Keyplace vault passkey for its RP ID.
import { until } from '../drivers/driver.mjs';

/** In the page: a webauthn field (and a button to move the focus away) with a conditional get behind it. */
function startAutofill() {
  const form = document.createElement('form');
  form.innerHTML =
    '<input id="bench-username" autocomplete="username webauthn" aria-label="Username"> <button type="button" id="bench-away">Away</button>';
  document.body.append(form);
  window.__benchAutofill = new AbortController();
  window.__benchSignin = kp.login({ mediation: 'conditional', signal: window.__benchAutofill.signal });
}

/** In the page: the focus goes away (the suggestion closes), then to the field; when it went there. */
function refocus() {
  document.getElementById('bench-away').focus();
  const at = performance.timeOrigin + performance.now();
  document.getElementById('bench-username').focus();
  return at;
}

/**
 * `inPage(fn, arg)` runs a function in the page; `shownAt()` reads metrics.autofill.shownAt from the background;
 * `waitShown(before)` waits until the suggestion has painted (before: shownAt's length before the focus). The times
 * are paired in order at the end, so a harness that must not read the background meanwhile (Firefox reads it through
 * another tab, which would hide the page) waits on the suggestion itself instead.
 * `listAskedAt()` (optional) reads metrics.autofill.listAskedAt, to split the time.
 * Returns {visibleMs: number[], frameLoadMs?, answerPaintMs?} (n samples after one warm-up).
 */
export async function autofillVisible({ inPage, shownAt, waitShown, n, listAskedAt = null }) {
  await inPage(startAutofill);
  const focusedAt = [];
  const first = (await shownAt()).length;
  const firstAsked = listAskedAt ? (await listAskedAt()).length : 0;
  try {
    for (let i = 0; i <= n; i++) {
      focusedAt.push(await inPage(refocus));
      await waitShown(first + i);
    }
  } finally {
    await inPage(() => window.__benchAutofill.abort());
  }
  const shown = (await shownAt()).slice(first);
  if (shown.length !== focusedAt.length) throw new Error(`${shown.length} paints for ${focusedAt.length} focuses`);
  const visibleMs = shown.slice(1).map((at, i) => at - focusedAt[i + 1]);
  // Where the time goes (when the background saw the suggestion frame ask for its accounts): loading the frame
  // and its script, then answering, rendering and painting.
  const asked = listAskedAt ? (await listAskedAt()).slice(firstAsked) : [];
  if (asked.length !== focusedAt.length) return { visibleMs };
  return {
    visibleMs,
    frameLoadMs: asked.slice(1).map((at, i) => at - focusedAt[i + 1]),
    answerPaintMs: shown.slice(1).map((at, i) => at - asked[i + 1]),
  };
}

/** `waitShown` from the background's metrics (a harness that can read them without touching the page). */
export const shownAfter = (shownAt) => (before) =>
  until('the suggestion to paint', async () => (await shownAt()).length > before);
