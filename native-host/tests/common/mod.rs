//! Drives the real `keyplace-host` binary: installs it into a temporary HOME and data directory, then speaks framed
//! JSON over its stdin/stdout like a browser does.
#![allow(dead_code)] // each test file uses a different part of this

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const EXTENSION_ID: &str = "ipdamncjijplhbkhipddgambbnginfmp";
pub const ORIGIN: &str = "chrome-extension://ipdamncjijplhbkhipddgambbnginfmp/";
pub const PIN: &str = "472900";

pub struct Env {
    pub root: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        let env = Env {
            root: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(env.home()).unwrap();
        env
    }

    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    pub fn profile_dir(&self) -> PathBuf {
        self.root.path().join("profile")
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keyplace-host"));
        command
            .env("HOME", self.home())
            .env("KEYPLACE_DATA_DIR", self.data_dir())
            // Never a real TPM from tests; the TPM tests point this at their own swtpm.
            .env("KEYPLACE_TPM_TCTI", "device:/nonexistent/tpmrm0")
            // Nor the session's secret store; the tests of the OS seal point this at a bus of their own.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/keyplace-test-bus",
            )
            // Nor this computer's system-wide registration (a package installed here), nor the person's browsers.
            .env("KEYPLACE_SYSTEM_ROOT", self.root.path().join("system"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("KEYPLACE_LOG");
        command
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// What the end-to-end tests do: register with a Chromium test profile.
    pub fn install(&self) -> Value {
        let profile = self.profile_dir();
        let output = self.cli(&[
            "install",
            "--browser",
            "chromium",
            "--profile-dir",
            profile.to_str().unwrap(),
        ]);
        assert!(
            output.status.success(),
            "install failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let manifest = profile.join("NativeMessagingHosts/com.keyplace.host.json");
        serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap()
    }

    pub fn start(&self, origin: &str) -> Host {
        self.start_with(&[origin], &[])
    }

    pub fn start_with(&self, args: &[&str], env: &[(&str, &str)]) -> Host {
        let mut command = self.command();
        command.args(args).envs(env.iter().copied());
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Host {
            stdin: Some(child.stdin.take().unwrap()),
            stdout: child.stdout.take().unwrap(),
            child,
        }
    }
}

pub struct Host {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: ChildStdout,
}

impl Host {
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    pub fn send(&mut self, message: &Value) {
        self.send_raw(&frame(serde_json::to_vec(message).unwrap().as_slice()));
    }

    pub fn request(&mut self, id: u64, method: &str, params: Value) {
        self.send(&json!({"id": id, "method": method, "params": params}));
    }

    /// Blocks until the next answer; there is no fixed wait anywhere.
    pub fn recv(&mut self) -> Value {
        let mut prefix = [0u8; 4];
        self.stdout.read_exact(&mut prefix).unwrap();
        let len = u32::from_ne_bytes(prefix) as usize;
        assert!(
            len <= 1024 * 1024,
            "host sent {len} bytes, over the browser's cap"
        );
        let mut payload = vec![0; len];
        self.stdout.read_exact(&mut payload).unwrap();
        serde_json::from_slice(&payload).unwrap()
    }

    pub fn call(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.request(id, method, params);
        let answer = self.recv();
        assert_eq!(answer["id"], id, "answer to another request: {answer}");
        answer
    }

    /// Closes stdin (the browser closing the port) and waits for a clean exit.
    pub fn close(mut self) -> (ExitStatus, String) {
        drop(self.stdin.take());
        let mut rest = Vec::new();
        self.stdout.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "unexpected output after close: {rest:?}");
        let output = self.child.wait_with_output().unwrap();
        (
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

pub fn frame(payload: &[u8]) -> Vec<u8> {
    [&(payload.len() as u32).to_ne_bytes()[..], payload].concat()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(value: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(value.as_str().expect("a base64url string"))
        .unwrap()
}

pub fn create_params(rp_id: &str, pin: Option<&str>) -> Value {
    json!({"store": "vault", "rp_id": rp_id,
           "user": {"id": b64(b"user-42"), "name": "alice@example.com", "display_name": "Alice"},
           "pin": pin, "exclude_credential_ids": [], "resident_key": true, "require_user_verification": true})
}

pub fn authenticator_data(rp_id: &str) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(0x01); // UP; the host fills in the rest
    data.extend_from_slice(&[0; 4]);
    data
}

pub const VAULT_AAGUID: [u8; 16] = [
    0x62, 0xee, 0x56, 0x65, 0x1f, 0xea, 0x48, 0x5b, 0x9a, 0x24, 0x9c, 0xca, 0xc9, 0x37, 0x87, 0xc2,
];
pub const HARDWARE_AAGUID_BYTES: [u8; 16] = [
    0xc9, 0x59, 0x48, 0xa9, 0x3e, 0x06, 0x47, 0x3d, 0xa1, 0xef, 0xb1, 0x1f, 0x00, 0x81, 0x64, 0x5d,
];

/// A registration's authenticator data, by hand: rpIdHash | flags | counter 0 | AAGUID | credIdLen | credId |
/// COSE_Key {1: 2, 3: -7, -1: 1, -2: x, -3: y} (canonical order) of the SEC1 point `public_key`.
pub fn registration_data(
    rp_id: &str,
    flags: u8,
    aaguid: &[u8; 16],
    credential_id: &[u8],
    public_key: &[u8],
) -> Vec<u8> {
    let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
    data.push(flags);
    data.extend_from_slice(&[0; 4]);
    data.extend_from_slice(aaguid);
    data.extend_from_slice(&(credential_id.len() as u16).to_be_bytes());
    data.extend_from_slice(credential_id);
    data.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]);
    data.extend_from_slice(&public_key[1..33]);
    data.extend_from_slice(&[0x22, 0x58, 0x20]);
    data.extend_from_slice(&public_key[33..65]);
    data
}

pub fn attest_params(
    credential_id: &Value,
    authenticator_data: &[u8],
    client_data_hash: &[u8; 32],
    pin: Option<&str>,
) -> Value {
    json!({"credential_id": credential_id, "authenticator_data": b64(authenticator_data),
           "client_data_hash": b64(client_data_hash), "pin": pin})
}

pub fn sign_params(
    credential_id: &Value,
    rp_id: &str,
    client_data_hash: &[u8; 32],
    pin: Option<&str>,
) -> Value {
    json!({"credential_id": credential_id, "authenticator_data": b64(&authenticator_data(rp_id)),
           "client_data_hash": b64(client_data_hash), "pin": pin, "require_user_verification": false})
}

pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

/// TPM2_Duplicate of `key` in a policy session that asks for the DUP role (PolicyCommandCode) and nothing else: a
/// passkey or PRF key without a copy policy (and fixedParent besides) can never satisfy it, so the chip refuses.
#[cfg(target_os = "linux")]
pub fn duplicate_with_bare_policy(
    context: &mut tss_esapi::Context,
    key: tss_esapi::handles::KeyHandle,
) -> tss_esapi::Result<()> {
    use tss_esapi::constants::{CommandCode, SessionType};
    use tss_esapi::handles::{ObjectHandle, SessionHandle};
    use tss_esapi::interface_types::algorithm::HashingAlgorithm;
    use tss_esapi::interface_types::session_handles::PolicySession;
    use tss_esapi::structures::{SymmetricDefinition, SymmetricDefinitionObject};
    let session = context
        .start_auth_session(
            None,
            None,
            None,
            SessionType::Policy,
            SymmetricDefinition::AES_128_CFB,
            HashingAlgorithm::Sha256,
        )?
        .expect("a policy session");
    context.policy_command_code(PolicySession::try_from(session)?, CommandCode::Duplicate)?;
    let duplicated = context.execute_with_session(Some(session), |c| {
        c.duplicate(
            key.into(),
            ObjectHandle::Null,
            None,
            SymmetricDefinitionObject::Null,
        )
    });
    context.flush_context(SessionHandle::from(session).into())?;
    duplicated.map(|_| ())
}
