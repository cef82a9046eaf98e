//! Host-side benchmark for tests/bench/run.mjs: prints ONE JSON object on stdout, nothing else.
//!
//! - TPM: a bare tss-esapi sign on a swtpm (SRK, salted HMAC session and key made and loaded once; sign only)
//!   beside the host's `sign` request round trip over stdin/stdout framing on the same swtpm.
//! - `hello` and vault `sign` round trips (vault unlocked), host memory (VmRSS / VmHWM from /proc).
//! - PRF per store: `sign` with one `prf_salts` value beside the plain `sign` of the same key; for the TPM also a
//!   bare load + TPM2_HMAC + flush of a PRF key (what the host does per PRF request).
//! - 10,000 vault credentials created through the protocol; `list` by `rp_id` and with no filter.
//!
//! Uses its own swtpm, HOME and KEYPLACE_DATA_DIR (temporary). The host binary is `KEYPLACE_HOST_BIN`, else
//! `keyplace-host` next to this example's directory (target/<profile>/). With `HOST_BENCH_DATA_OUT=<dir>`,
//! copies of the populated data directory are left in `<dir>/<count>/` for the popup benchmark.
//! No assertions on time: every figure is reported as measured.

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("host_bench needs Linux (swtpm and tss-esapi)");
    std::process::exit(2);
}

#[cfg(target_os = "linux")]
fn main() {
    if let Err(message) = bench::run() {
        eprintln!("host_bench: {message}");
        std::process::exit(1);
    }
}

// Not an example of its own: examples/host_bench/ has no main.rs.
#[cfg(target_os = "linux")]
#[path = "host_bench/bare_tpm.rs"]
mod bare_tpm;

#[cfg(target_os = "linux")]
mod bench {
    use std::io::{Read, Write};
    use std::path::{Path, PathBuf};
    use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
    use std::time::Instant;

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::{json, Value};
    use sha2::{Digest as _, Sha256};

    // The bare measurement (bare_tpm.rs) uses exactly the objects the host creates.
    use super::bare_tpm::bare_tpm;
    use keyplace_host::test_support::swtpm::Swtpm;

    const ORIGIN: &str = "chrome-extension://ipdamncjijplhbkhipddgambbnginfmp/";
    const VAULT_PIN: &str = "582046";
    const KEY_PIN: &str = "7391";
    const TPM_N: usize = 50;
    const VAULT_N: usize = 200;
    const HELLO_N: usize = 200;
    const MANY: usize = 10_000;
    const SITES: usize = 1_000;
    const SNAPSHOT_AT: usize = 2_000;
    const LOOKUP_N: usize = 200;
    const LIST_ALL_N: usize = 10;
    const PIPELINE: usize = 64;

    type Result<T> = std::result::Result<T, String>;

    // ---------- statistics ----------
    fn summary(mut xs: Vec<f64>) -> Value {
        xs.sort_by(|a, b| a.total_cmp(b));
        let n = xs.len();
        if n == 0 {
            return Value::Null;
        }
        let rank = |q: f64| xs[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        json!({"n": n, "p50": rank(0.5), "p90": rank(0.9), "min": xs[0], "max": xs[n - 1]})
    }

    fn ms_since(t: Instant) -> f64 {
        t.elapsed().as_secs_f64() * 1000.0
    }

    // ---------- the real host over native messaging framing ----------
    struct Host {
        child: Child,
        stdin: Option<ChildStdin>,
        stdout: ChildStdout,
        next_id: u64,
    }

    impl Host {
        fn start(bin: &Path, env: &Dirs, tcti: &str) -> Result<Host> {
            let mut child = Command::new(bin)
                .arg(ORIGIN)
                .env("HOME", &env.home)
                .env("KEYPLACE_DATA_DIR", &env.data)
                .env("KEYPLACE_TPM_TCTI", tcti)
                .env("TSS2_LOG", "all+none")
                .env_remove("KEYPLACE_LOG")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("spawn {}: {e}", bin.display()))?;
            Ok(Host {
                stdin: child.stdin.take(),
                stdout: child.stdout.take().ok_or("no stdout")?,
                child,
                next_id: 1,
            })
        }

        fn send(&mut self, method: &str, params: &Value) -> Result<u64> {
            let id = self.next_id;
            self.next_id += 1;
            let body = serde_json::to_vec(&json!({"id": id, "method": method, "params": params}))
                .map_err(|e| e.to_string())?;
            let stdin = self.stdin.as_mut().ok_or("stdin closed")?;
            stdin
                .write_all(&(body.len() as u32).to_ne_bytes())
                .and_then(|()| stdin.write_all(&body))
                .and_then(|()| stdin.flush())
                .map_err(|e| format!("write to host: {e}"))?;
            Ok(id)
        }

        /// The next answer and its size in bytes.
        fn recv(&mut self) -> Result<(Value, usize)> {
            let mut prefix = [0u8; 4];
            self.stdout
                .read_exact(&mut prefix)
                .map_err(|e| format!("read from host: {e}"))?;
            let mut payload = vec![0; u32::from_ne_bytes(prefix) as usize];
            self.stdout
                .read_exact(&mut payload)
                .map_err(|e| format!("read from host: {e}"))?;
            let value = serde_json::from_slice(&payload).map_err(|e| e.to_string())?;
            Ok((value, payload.len()))
        }

        /// One request, its answer, the round trip in ms and the answer's size.
        fn call(&mut self, method: &str, params: Value) -> Result<(Value, f64, usize)> {
            let start = Instant::now();
            let id = self.send(method, &params)?;
            let (answer, size) = self.recv()?;
            let elapsed = ms_since(start);
            if answer["id"] != id {
                return Err(format!("answer to another request: {answer}"));
            }
            Ok((answer, elapsed, size))
        }

        fn ok(&mut self, method: &str, params: Value) -> Result<(Value, f64)> {
            let (answer, elapsed, _) = self.call(method, params)?;
            if answer.get("result").is_none() {
                return Err(format!("{method} failed: {answer}"));
            }
            Ok((answer["result"].clone(), elapsed))
        }

        fn memory(&self) -> Result<Value> {
            let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
                .map_err(|e| format!("/proc status: {e}"))?;
            let field = |name: &str| -> Value {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|rest| {
                        rest.trim()
                            .trim_end_matches("kB")
                            .trim()
                            .parse::<u64>()
                            .ok()
                    })
                    .map_or(Value::Null, Value::from)
            };
            Ok(json!({"vm_rss_kb": field("VmRSS:"), "vm_hwm_kb": field("VmHWM:")}))
        }

        fn close(mut self) -> Result<()> {
            drop(self.stdin.take());
            let mut rest = Vec::new();
            let _ = self.stdout.read_to_end(&mut rest);
            let status = self.child.wait().map_err(|e| e.to_string())?;
            if !status.success() {
                return Err(format!("host exited with {status}"));
            }
            Ok(())
        }
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn authenticator_data(rp_id: &str) -> Vec<u8> {
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(0x01);
        data.extend_from_slice(&[0; 4]);
        data
    }

    fn create_params(store: &str, rp_id: &str, user: usize, pin: Option<&str>) -> Value {
        json!({"store": store, "rp_id": rp_id,
               "user": {"id": b64(format!("user-{user}").as_bytes()), "name": format!("user{user}@{rp_id}"),
                        "display_name": format!("User {user}")},
               "pin": pin, "exclude_credential_ids": [], "resident_key": true,
               "require_user_verification": false})
    }

    fn sign_params(credential_id: &Value, rp_id: &str, i: usize, pin: Option<&str>) -> Value {
        let client_data_hash = Sha256::digest(i.to_be_bytes());
        json!({"credential_id": credential_id, "authenticator_data": b64(&authenticator_data(rp_id)),
               "client_data_hash": b64(&client_data_hash), "pin": pin,
               "require_user_verification": false})
    }

    /// `sign` with one PRF salt (a different one each time), `n` round trips after `warm` unmeasured ones.
    fn sign_with_prf(
        host: &mut Host,
        credential_id: &Value,
        pin: Option<&str>,
        warm: usize,
        n: usize,
    ) -> Result<Vec<f64>> {
        let mut times = Vec::with_capacity(n);
        for i in 0..warm + n {
            let mut params = sign_params(credential_id, "bench.example", i, pin);
            params["prf_salts"] = json!([b64(&Sha256::digest((i as u64 + 1).to_be_bytes()))]);
            let (result, elapsed) = host.ok("sign", params)?;
            if result["prf_results"].as_array().map_or(0, Vec::len) != 1 {
                return Err(format!("sign with prf gave no PRF value: {result}"));
            }
            if i >= warm {
                times.push(elapsed);
            }
        }
        Ok(times)
    }

    struct Dirs {
        _root: tempfile::TempDir,
        home: PathBuf,
        data: PathBuf,
        profile: PathBuf,
    }

    fn dirs() -> Result<Dirs> {
        let root = tempfile::tempdir().map_err(|e| e.to_string())?;
        let d = Dirs {
            home: root.path().join("home"),
            data: root.path().join("data"),
            profile: root.path().join("profile"),
            _root: root,
        };
        for dir in [&d.home, &d.data, &d.profile] {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        Ok(d)
    }

    fn host_binary() -> Result<PathBuf> {
        if let Some(bin) = std::env::var_os("KEYPLACE_HOST_BIN") {
            return Ok(PathBuf::from(bin));
        }
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        // target/<profile>/examples/host_bench -> target/<profile>/keyplace-host
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .map(|p| p.join("keyplace-host"))
            .ok_or("cannot find keyplace-host")?;
        if !bin.exists() {
            return Err(format!(
                "{} is missing: build it (cargo build --release -p keyplace-host) or set KEYPLACE_HOST_BIN",
                bin.display()
            ));
        }
        Ok(bin)
    }

    fn install(bin: &Path, env: &Dirs) -> Result<()> {
        let output = Command::new(bin)
            .args(["install", "--browser", "chromium", "--profile-dir"])
            .arg(&env.profile)
            .env("HOME", &env.home)
            .env("KEYPLACE_DATA_DIR", &env.data)
            .env("XDG_CONFIG_HOME", env.home.join(".config"))
            .output()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!(
                "install failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(())
    }

    /// Copies the data directory (the host must be stopped) to `<out>/<count>/`.
    fn snapshot(env: &Dirs, out: &Path, count: usize) -> Result<PathBuf> {
        let target = out.join(count.to_string());
        std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        for entry in std::fs::read_dir(&env.data).map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            let name = entry.file_name();
            if name == "allowed-extensions.json" || !entry.path().is_file() {
                continue;
            }
            std::fs::copy(entry.path(), target.join(&name)).map_err(|e| e.to_string())?;
        }
        Ok(target)
    }

    fn site(i: usize) -> String {
        format!("site{:04}.example", i % SITES)
    }

    /// Creates vault credentials `from..to` with up to PIPELINE requests in flight; returns the ms it took.
    fn create_many(host: &mut Host, from: usize, to: usize) -> Result<f64> {
        let start = Instant::now();
        let mut in_flight = 0usize;
        let mut next = from;
        while next < to || in_flight > 0 {
            while next < to && in_flight < PIPELINE {
                host.send("create", &create_params("vault", &site(next), next, None))?;
                next += 1;
                in_flight += 1;
            }
            let (answer, _) = host.recv()?;
            if answer.get("result").is_none() {
                return Err(format!("bulk create failed: {answer}"));
            }
            in_flight -= 1;
        }
        Ok(ms_since(start))
    }

    pub fn run() -> Result<()> {
        let bin = host_binary()?;
        let env = dirs()?;
        install(&bin, &env)?;
        let tpm = Swtpm::start("host_bench").ok_or("swtpm is not installed")?;
        let tcti = tpm.tcti();
        std::env::set_var("TSS2_LOG", "all+none");

        // (a) bare tss-esapi first: swtpm serves one client at a time.
        let bare = bare_tpm(&tcti, KEY_PIN, TPM_N)?;

        let mut host = Host::start(&bin, &env, &tcti)?;
        let mut hello = Vec::with_capacity(HELLO_N);
        for _ in 0..HELLO_N + 5 {
            hello.push(host.ok("hello", json!({}))?.1);
        }
        let hello = hello.split_off(5);

        // (b) vault: the first create sets the PIN (Argon2) and unlocks; signs then need no PIN.
        let (vault_key, _) = host.ok(
            "create",
            create_params("vault", "bench.example", 0, Some(VAULT_PIN)),
        )?;
        let mut vault_sign = Vec::with_capacity(VAULT_N);
        for i in 0..VAULT_N + 5 {
            let params = sign_params(&vault_key["credential_id"], "bench.example", i, None);
            let (_, elapsed) = host.ok("sign", params)?;
            if i >= 5 {
                vault_sign.push(elapsed);
            }
        }

        let vault_sign_prf =
            sign_with_prf(&mut host, &vault_key["credential_id"], None, 5, VAULT_N)?;

        // (a) the host's hardware sign on the same swtpm, PIN every time (the key's authValue). Made with a PRF key,
        // which a plain sign does not touch.
        let mut hardware_create = create_params("hardware", "bench.example", 1, Some(KEY_PIN));
        hardware_create["prf"] = json!(true);
        let (tpm_key, tpm_create_ms) = host.ok("create", hardware_create)?;
        if tpm_key["prf_enabled"] != true {
            return Err(format!("the hardware passkey has no PRF: {tpm_key}"));
        }
        let mut host_tpm_sign = Vec::with_capacity(TPM_N);
        for i in 0..TPM_N + 3 {
            let params = sign_params(&tpm_key["credential_id"], "bench.example", i, Some(KEY_PIN));
            let (_, elapsed) = host.ok("sign", params)?;
            if i >= 3 {
                host_tpm_sign.push(elapsed);
            }
        }

        let tpm_sign_prf = sign_with_prf(
            &mut host,
            &tpm_key["credential_id"],
            Some(KEY_PIN),
            3,
            TPM_N,
        )?;

        // (c) memory after those operations.
        let memory_after_ops = host.memory()?;

        // (3) 10,000 credentials through the protocol (vault, unlocked), pipelined.
        let out_dir = std::env::var_os("HOST_BENCH_DATA_OUT").map(PathBuf::from);
        let mut snapshots = serde_json::Map::new();
        // Two credentials exist already (bench.example); the bulk ones are spread over SITES sites.
        let mut create_ms = create_many(&mut host, 2, SNAPSHOT_AT)?;
        if let Some(out) = &out_dir {
            host.close()?;
            let path = snapshot(&env, out, SNAPSHOT_AT)?;
            snapshots.insert(SNAPSHOT_AT.to_string(), json!(path));
            host = Host::start(&bin, &env, &tcti)?;
            // Unlock again (a new process): one create with the PIN.
            let start = Instant::now();
            host.ok(
                "create",
                create_params("vault", &site(SNAPSHOT_AT), SNAPSHOT_AT, Some(VAULT_PIN)),
            )?;
            create_ms += ms_since(start);
            create_ms += create_many(&mut host, SNAPSHOT_AT + 1, MANY)?;
        } else {
            create_ms += create_many(&mut host, SNAPSHOT_AT, MANY)?;
        }

        // Before any `list`: what holding the store costs, apart from what answering lists adds.
        let memory_before_lists = host.memory()?;
        let lookup_site = site(SITES / 2);
        let mut by_rp = Vec::with_capacity(LOOKUP_N);
        let mut by_rp_count = 0;
        for i in 0..LOOKUP_N + 5 {
            let (result, elapsed) = host.ok("list", json!({"rp_id": lookup_site}))?;
            by_rp_count = result["credentials"].as_array().map_or(0, Vec::len);
            if i >= 5 {
                by_rp.push(elapsed);
            }
        }
        let mut by_rp_none = Vec::with_capacity(LOOKUP_N);
        for _ in 0..LOOKUP_N {
            by_rp_none.push(host.ok("list", json!({"rp_id": "nobody.example"}))?.1);
        }
        let mut list_all = Vec::with_capacity(LIST_ALL_N);
        let mut list_all_answer = Value::Null;
        for _ in 0..LIST_ALL_N {
            let (answer, elapsed, size) = host.call("list", json!({}))?;
            list_all.push(elapsed);
            list_all_answer = match answer.get("result") {
                Some(result) => {
                    json!({"ok": true, "count": result["credentials"].as_array().map_or(0, Vec::len), "bytes": size})
                }
                None => json!({"ok": false, "error": answer["error"], "bytes": size}),
            };
        }
        // What the popup asks: the first page of 200 slim rows, and a page deep in the list (through a cursor).
        let mut popup_page = Vec::with_capacity(LOOKUP_N);
        let mut popup_page_bytes = 0;
        let mut last_cursor = Value::Null;
        for i in 0..LOOKUP_N + 5 {
            let (answer, elapsed, size) = host.call("list", json!({"slim": true, "limit": 200}))?;
            if i >= 5 {
                popup_page.push(elapsed);
            }
            popup_page_bytes = size;
            last_cursor = answer["result"]["next"].clone();
        }
        // Walk to the last page once, then time that page.
        let mut after = last_cursor;
        let mut deep = after.clone();
        while !after.is_null() {
            deep = after.clone();
            let (result, _) =
                host.ok("list", json!({"slim": true, "limit": 200, "after": after}))?;
            after = result["next"].clone();
        }
        let mut popup_last_page = Vec::with_capacity(LOOKUP_N);
        for _ in 0..LOOKUP_N {
            popup_last_page.push(
                host.ok("list", json!({"slim": true, "limit": 200, "after": deep}))?
                    .1,
            );
        }
        let memory_after_10k = host.memory()?;
        host.close()?;
        if let Some(out) = &out_dir {
            let path = snapshot(&env, out, MANY)?;
            snapshots.insert(MANY.to_string(), json!(path));
        }
        drop(tpm);

        let p50 = |xs: &[f64]| {
            let mut s = xs.to_vec();
            s.sort_by(|a, b| a.total_cmp(b));
            s[s.len().div_ceil(2) - 1]
        };
        let report = json!({
            "tcti": tcti,
            "tpm": {
                "bare_sign_ms": summary(bare.sign.clone()),
                "bare_load_sign_flush_ms": summary(bare.load_sign_flush.clone()),
                "host_sign_round_trip_ms": summary(host_tpm_sign.clone()),
                "host_create_round_trip_ms": tpm_create_ms,
                "overhead_vs_bare_sign_ms": p50(&host_tpm_sign) - p50(&bare.sign),
                "overhead_vs_bare_load_sign_flush_ms": p50(&host_tpm_sign) - p50(&bare.load_sign_flush),
            },
            // One row per store: `sign` with one PRF salt, and what the PRF adds to that store's plain `sign`.
            "prf": {
                "vault": {
                    "sign_with_prf_round_trip_ms": summary(vault_sign_prf.clone()),
                    "added_to_sign_ms": p50(&vault_sign_prf) - p50(&vault_sign),
                },
                "hardware": {
                    "sign_with_prf_round_trip_ms": summary(tpm_sign_prf.clone()),
                    "added_to_sign_ms": p50(&tpm_sign_prf) - p50(&host_tpm_sign),
                    "bare_load_hmac_flush_ms": summary(bare.load_hmac_flush.clone()),
                },
            },
            "hello_round_trip_ms": summary(hello.clone()),
            "vault_sign_round_trip_ms": summary(vault_sign.clone()),
            "vault_sign_minus_hello_ms": p50(&vault_sign) - p50(&hello),
            "memory_after_ops": memory_after_ops,
            "many": {
                "count": MANY,
                "sites": SITES,
                "how": "vault store, unlocked, created through the host protocol (create requests, 64 in flight)",
                "create_total_ms": create_ms,
                "create_per_credential_ms": create_ms / (MANY - 2) as f64,
                "list_by_rp_id_ms": summary(by_rp),
                "list_by_rp_id_count": by_rp_count,
                "list_by_unknown_rp_id_ms": summary(by_rp_none),
                "list_all_ms": summary(list_all),
                "list_popup_page_ms": summary(popup_page),
                "list_popup_page_bytes": popup_page_bytes,
                "list_popup_last_page_ms": summary(popup_last_page),
                "list_all_answer": list_all_answer,
                "memory_after": memory_after_10k,
                "memory_before_lists": memory_before_lists,
                "data_dirs": snapshots,
            },
        });
        println!("{report}");
        Ok(())
    }
}
