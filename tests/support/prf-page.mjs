// A page-side ceremony with WebAuthn `prf` inputs, for the PRF scenarios (prf.test.mjs, prf-hardware.test.mjs).

/** Runs in the page: a ceremony with `prf` inputs given as text (encoded to bytes here), verified by the RP. */
export async function withPrf({ kind, username, allow, prf }) {
  const bytes = (text) => new TextEncoder().encode(text);
  const inputs = (o) => o && { first: bytes(o.first), ...(o.second ? { second: bytes(o.second) } : {}) };
  const path = kind === 'create' ? '/api/register' : '/api/login';
  const { flowId, options } = await kp.postJson(`${path}/options`, {
    username,
    residentKey: 'required',
    ...(allow ? { allowCredentials: allow } : {}),
  });
  const publicKey = { ...options, challenge: kp.b64u.decode(options.challenge) };
  if (kind === 'create') {
    publicKey.user = { ...options.user, id: kp.b64u.decode(options.user.id) };
    publicKey.excludeCredentials = [];
  } else {
    publicKey.allowCredentials = (options.allowCredentials ?? []).map((c) => ({ ...c, id: kp.b64u.decode(c.id) }));
  }
  const byCredential = prf.evalByCredential
    ? Object.fromEntries(Object.entries(prf.evalByCredential).map(([id, o]) => [id, inputs(o)]))
    : undefined;
  publicKey.extensions = { prf: { ...(prf.eval ? { eval: inputs(prf.eval) } : {}), ...(byCredential ? { evalByCredential: byCredential } : {}) } };
  let credential;
  try {
    credential = await navigator.credentials[kind]({ publicKey });
  } catch (err) {
    return { error: { name: err.name, message: err.message } };
  }
  const response = kp.encodeCredential(credential);
  const verdict = await kp.postJson(`${path}/verify`, { flowId, response });
  const results = credential.getClientExtensionResults().prf ?? null;
  const b64 = (v) => (v ? kp.b64u.encode(v) : undefined);
  return {
    ...verdict,
    prf: results && {
      enabled: results.enabled,
      first: b64(results.results?.first),
      second: b64(results.results?.second),
    },
  };
}
