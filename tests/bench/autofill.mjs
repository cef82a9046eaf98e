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
 * `inPage(fn, arg)` runs a function in the page; `shownAt()` reads metrics.autofill.shownAt from the background.
 * Returns {visibleMs: number[]} (n samples after one warm-up).
 */
export async function autofillVisible({ inPage, shownAt, n }) {
  await inPage(startAutofill);
  const visibleMs = [];
  try {
    for (let i = 0; i <= n; i++) {
      const before = (await shownAt()).length;
      const focusedAt = await inPage(refocus);
      const shown = await until('the suggestion to paint', async () => {
        const all = await shownAt();
        return all.length > before ? all : null;
      });
      if (i > 0) visibleMs.push(shown[shown.length - 1] - focusedAt);
    }
  } finally {
    await inPage(() => window.__benchAutofill.abort());
  }
  return { visibleMs };
}
