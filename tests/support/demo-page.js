// The demo site's page (xtask/demo.mjs): the test RP's ceremonies (rp-page.js, verified by @simplewebauthn/server)
// behind two buttons, and passkey autofill on the username field, with what happened in one status line.
(() => {
  const status = document.getElementById('status');
  const username = document.getElementById('username');
  const say = (text) => {
    status.textContent = text;
  };
  const why = (e) => (typeof e === 'string' ? e : [e?.name, e?.message].filter(Boolean).join(': ') || 'refused');
  const outcome = (verdict, done) => (verdict.verified ? done(verdict) : say(`Not done: ${why(verdict.error)}`));
  let autofill = null;

  // Autofill: a conditional get behind the username field; a new one after each ceremony.
  const startAutofill = () => {
    autofill?.abort();
    autofill = new AbortController();
    kp.login({ mediation: 'conditional', signal: autofill.signal }).then((verdict) => {
      if (verdict.verified) say(`Signed in as ${verdict.username ?? 'you'} (autofill). The relying party verified the passkey.`);
    });
  };
  const stopAutofill = () => autofill?.abort();

  document.getElementById('register').addEventListener('click', async () => {
    const name = username.value.trim();
    if (!name) {
      say('Type a username first.');
      username.focus();
      return;
    }
    stopAutofill();
    say('Choose where the passkey lives in the Keyplace window…');
    outcome(await kp.register({ username: name, residentKey: 'required' }), () =>
      say(`Passkey created for ${name} and verified by the relying party. Now sign in with it.`),
    );
    startAutofill();
  });
  document.getElementById('login').addEventListener('click', async () => {
    stopAutofill();
    say('Confirm in the Keyplace window…');
    outcome(await kp.login({}), (v) => say(`Signed in as ${v.username ?? 'you'}. The relying party verified the passkey.`));
    startAutofill();
  });
  startAutofill();
})();
