//! One software TPM per test (swtpm over TCP): the lockout counter is shared state and swtpm serves one client at
//! a time, so tests never share one.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tss_esapi::constants::tss::TPM2_SU_CLEAR;
use tss_esapi::tss2_esys::{
    Esys_DictionaryAttackParameters, Esys_Finalize, Esys_Initialize, Esys_Shutdown,
    Tss2_TctiLdr_Finalize, Tss2_TctiLdr_Initialize, ESYS_CONTEXT, ESYS_TR_NONE, ESYS_TR_PASSWORD,
    ESYS_TR_RH_LOCKOUT, TSS2_TCTI_CONTEXT,
};

const START_DEADLINE: Duration = Duration::from_secs(20);

pub struct Swtpm {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl Swtpm {
    /// A fresh swtpm, or `None` (with a message) when the `swtpm` binary is not installed.
    pub fn start(test: &str) -> Option<Swtpm> {
        match Command::new("swtpm").arg("--version").output() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!(
                    "SKIPPED {test}: the swtpm binary is not installed (apt-get install swtpm)"
                );
                return None;
            }
            other => {
                other.expect("swtpm --version");
            }
        }
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            assert!(Instant::now() < deadline, "swtpm did not start");
            if let Some(swtpm) = Self::start_at(free_port_pair()) {
                return Some(swtpm);
            }
        }
    }

    pub fn installed() -> bool {
        !matches!(Command::new("swtpm").arg("--version").output(),
                  Err(e) if e.kind() == std::io::ErrorKind::NotFound)
    }

    pub fn tcti(&self) -> String {
        format!("swtpm:host=127.0.0.1,port={}", self.port)
    }

    /// Starts one swtpm on `port` and `port + 1`; `None` when it exited (the ports were taken meanwhile).
    pub fn start_at(port: u16) -> Option<Swtpm> {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("swtpm.pid");
        let mut child = Command::new("swtpm")
            .args(["socket", "--tpm2", "--tpmstate"])
            .arg(format!("dir={}", dir.path().display()))
            .args(["--server"])
            .arg(format!("type=tcp,port={port},bindaddr=127.0.0.1"))
            .args(["--ctrl"])
            .arg(format!("type=tcp,port={},bindaddr=127.0.0.1", port + 1))
            .args(["--flags", "not-need-init,startup-clear", "--pid"])
            .arg(format!("file={}", pid_file.display()))
            .arg("--log")
            .arg(format!("file={}", dir.path().join("swtpm.log").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn swtpm");
        // swtpm writes its pid file once both sockets listen; probing by connecting would disturb it.
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if child.try_wait().unwrap().is_some() {
                return None;
            }
            if pid_in(&pid_file) == Some(child.id()) {
                return Some(Swtpm {
                    child: Some(child),
                    dir,
                    port,
                });
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Sets the dictionary-attack parameters through the lockout hierarchy (empty auth on a fresh swtpm).
    /// tss-esapi 7 has no wrapper for TPM2_DictionaryAttackParameters.
    pub fn set_da_parameters(&self, max_tries: u32, recovery_seconds: u32, lockout_recovery: u32) {
        with_raw_esys(&self.tcti(), |esys| unsafe {
            let rc = Esys_DictionaryAttackParameters(
                esys,
                ESYS_TR_RH_LOCKOUT,
                ESYS_TR_PASSWORD,
                ESYS_TR_NONE,
                ESYS_TR_NONE,
                max_tries,
                recovery_seconds,
                lockout_recovery,
            );
            assert_eq!(rc, 0, "TPM2_DictionaryAttackParameters: 0x{rc:x}");
        });
    }

    /// TPM2_Shutdown(CLEAR) then SIGTERM: a kill without Shutdown would count as a lockout strike.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if child.try_wait().unwrap().is_none() {
            with_raw_esys(&self.tcti(), |esys| unsafe {
                Esys_Shutdown(
                    esys,
                    ESYS_TR_NONE,
                    ESYS_TR_NONE,
                    ESYS_TR_NONE,
                    TPM2_SU_CLEAR,
                );
            });
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
        }
        let _ = child.wait();
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for Swtpm {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The host may still hold the only client slot: do not wait for it.
            if let Some(mut child) = self.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        } else {
            self.stop_inner();
        }
    }
}

fn pid_in(path: &std::path::Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// A random port P in 20000..32766 with P and P+1 both free right now.
pub fn free_port_pair() -> u16 {
    loop {
        let mut bytes = [0u8; 2];
        getrandom::getrandom(&mut bytes).unwrap();
        let port = 20000 + u16::from_le_bytes(bytes) % (32766 - 20000);
        let first = TcpListener::bind(("127.0.0.1", port));
        let second = TcpListener::bind(("127.0.0.1", port + 1));
        if first.is_ok() && second.is_ok() {
            return port;
        }
    }
}

/// A raw ESYS context for the commands tss-esapi does not wrap.
fn with_raw_esys(tcti: &str, work: impl FnOnce(*mut ESYS_CONTEXT)) {
    let conf = std::ffi::CString::new(tcti).unwrap();
    unsafe {
        let mut tcti_context: *mut TSS2_TCTI_CONTEXT = std::ptr::null_mut();
        let rc = Tss2_TctiLdr_Initialize(conf.as_ptr(), &mut tcti_context);
        assert_eq!(rc, 0, "TCTI {tcti}: 0x{rc:x}");
        let mut esys: *mut ESYS_CONTEXT = std::ptr::null_mut();
        let rc = Esys_Initialize(&mut esys, tcti_context, std::ptr::null_mut());
        assert_eq!(rc, 0, "Esys_Initialize: 0x{rc:x}");
        work(esys);
        Esys_Finalize(&mut esys);
        Tss2_TctiLdr_Finalize(&mut tcti_context);
    }
}
