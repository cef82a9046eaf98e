// The relying party's page script: plain browser JavaScript, no bundler, no WebAuthn helper library,
// so that the page does exactly what a hand-written site does with navigator.credentials.
(() => {
  'use strict';

  function fromB64u(text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64u(buffer) {
    if (buffer == null) return null;
    // isView rather than instanceof: buffers from another realm (an iframe) must encode too.
    const bytes = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
    let bin = '';
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  async function postJson(path, body) {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return res.json();
  }

  function creationOptions(json) {
    const o = Object.assign({}, json);
    o.challenge = fromB64u(json.challenge);
    o.user = Object.assign({}, json.user, { id: fromB64u(json.user.id) });
    o.excludeCredentials = (json.excludeCredentials || []).map((c) => Object.assign({}, c, { id: fromB64u(c.id) }));
    return o;
  }

  function requestOptions(json) {
    const o = Object.assign({}, json);
    o.challenge = fromB64u(json.challenge);
    if (json.allowCredentials) o.allowCredentials = json.allowCredentials.map((c) => Object.assign({}, c, { id: fromB64u(c.id) }));
    return o;
  }

  function callIfPresent(obj, name) {
    return typeof obj[name] === 'function' ? obj[name]() : undefined;
  }

  function encodeCredential(cred) {
    const r = cred.response;
    const response = { clientDataJSON: toB64u(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64u(r.attestationObject);
      const authData = callIfPresent(r, 'getAuthenticatorData');
      if (authData) response.authenticatorData = toB64u(authData);
      const publicKey = callIfPresent(r, 'getPublicKey');
      if (publicKey) response.publicKey = toB64u(publicKey);
      const alg = callIfPresent(r, 'getPublicKeyAlgorithm');
      if (alg !== undefined) response.publicKeyAlgorithm = alg;
      const transports = callIfPresent(r, 'getTransports');
      if (transports) response.transports = transports;
    } else {
      response.authenticatorData = toB64u(r.authenticatorData);
      response.signature = toB64u(r.signature);
      if (r.userHandle) response.userHandle = toB64u(r.userHandle);
    }
    return {
      id: cred.id,
      rawId: toB64u(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
      clientExtensionResults: callIfPresent(cred, 'getClientExtensionResults') || {},
      response,
    };
  }

  async function ceremony(kind, opts) {
    const base = kind === 'create' ? '/api/register' : '/api/login';
    // `signal` (an AbortSignal) and `mediation` go to the browser call, not to the server.
    const { signal, mediation, ...body } = opts || {};
    const { flowId, options, error } = await postJson(`${base}/options`, body);
    if (!flowId) return { error: { name: 'RpError', message: String(error) } };
    const publicKey = kind === 'create' ? creationOptions(options) : requestOptions(options);
    let cred;
    // performance.now() around the browser call only: this is what the benchmark's baseline reads.
    const startedAt = performance.now();
    // Wall-clock start, comparable with the extension's own timestamps (performance.timeOrigin based).
    const startedAtEpochMs = performance.timeOrigin + startedAt;
    try {
      const request = { publicKey };
      if (signal) request.signal = signal;
      if (mediation) request.mediation = mediation;
      cred = await navigator.credentials[kind](request);
    } catch (err) {
      return { error: { name: err?.name, message: err?.message }, clientMs: performance.now() - startedAt, startedAtEpochMs };
    }
    const clientMs = performance.now() - startedAt;
    if (!cred) return { error: { name: 'NullCredential', message: 'the browser returned null' }, clientMs, startedAtEpochMs };
    const json = encodeCredential(cred);
    const verdict = await postJson(`${base}/verify`, { flowId, response: json });
    return Object.assign({}, verdict, { clientMs, startedAtEpochMs, credential: json, isPublicKeyCredential: cred instanceof PublicKeyCredential });
  }

  // The same ceremonies through @simplewebauthn/browser (pages served with ?library), as many real sites run them:
  // the library turns the options JSON into the browser call and the credential back into JSON itself.
  async function libraryCeremony(kind, opts) {
    const lib = window.SimpleWebAuthnBrowser;
    if (!lib) return { error: { name: 'RpError', message: 'the page was served without the library' } };
    const base = kind === 'create' ? '/api/register' : '/api/login';
    const { flowId, options, error } = await postJson(`${base}/options`, opts || {});
    if (!flowId) return { error: { name: 'RpError', message: String(error) } };
    let response;
    try {
      response =
        kind === 'create'
          ? await lib.startRegistration({ optionsJSON: options })
          : await lib.startAuthentication({ optionsJSON: options });
    } catch (err) {
      // The library wraps the browser's DOMException; its cause is what the browser threw.
      return { error: { name: err?.cause?.name ?? err?.name, message: err?.message, code: err?.code } };
    }
    const verdict = await postJson(`${base}/verify`, { flowId, response });
    return Object.assign({}, verdict, { credential: response });
  }

  window.kp = {
    register: (opts) => ceremony('create', opts),
    login: (opts) => ceremony('get', opts),
    library: {
      register: (opts) => libraryCeremony('create', opts),
      login: (opts) => libraryCeremony('get', opts),
    },
    b64u: { encode: toB64u, decode: fromB64u },
    encodeCredential,
    postJson,
  };

  // When this page is framed by another origin, the parent asks it to run a ceremony by message
  // ({kpFrameCall: id, kind: 'register'|'login', opts}) and gets {kpFrameResult: id, result} back.
  window.addEventListener('message', async (e) => {
    const call = e.data;
    if (!call || typeof call.kpFrameCall !== 'string' || e.source !== window.parent) return;
    const result = await (call.kind === 'login' ? window.kp.login(call.opts) : window.kp.register(call.opts));
    e.source.postMessage({ kpFrameResult: call.kpFrameCall, result: result }, e.origin);
  });
})();
