//! Faults below the browser, where it adds nothing: the database locked by another process, a full disk and a
//! corrupted database. Each gives the extension a clear error for the request, the host keeps serving, and no
//! passkey or counter value is lost. (The host killed and the TPM gone mid-ceremony are in
//! tests/scenarios/faults.test.mjs, in both browsers.) ARCHITECTURE.md rule 7.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::*;
use serde_json::{json, Value};

/// The passkeys a host lists, by credential id.
fn listed(host: &mut Host, id: u64) -> Vec<Value> {
    let answer = host.call(id, "list", json!({}));
    answer["result"]["credentials"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|row| row["credential_id"].clone())
        .collect()
}

/// A registration with the vault already unlocked, without user verification: no PIN, no Argon2.
fn unlocked_create() -> Value {
    let mut params = create_params("example.com", None);
    params["require_user_verification"] = json!(false);
    params
}

fn created(answer: &Value) -> Value {
    answer["result"]["credential_id"].clone()
}

fn assert_internal_error(answer: &Value, words: &str) {
    assert_eq!(answer["error"]["code"], "internal", "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains(words), "{message}");
}

#[test]
fn a_database_locked_by_another_process_is_a_clear_error_and_nothing_is_lost() {
    let env = Env::new();
    env.install();
    let mut host = env.start(ORIGIN);
    let first = created(&host.call(1, "create", create_params("example.com", Some(PIN))));
    let signed = host.call(
        2,
        "sign",
        sign_params(&first, "example.com", &[1; 32], None),
    );
    assert_eq!(signed["result"]["sign_count"], 1, "{signed}");

    // Another process (this test) holds the write lock, as a stuck host or a backup tool could.
    let other = rusqlite::Connection::open(env.data_dir().join("keyplace.db")).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let started = Instant::now();
    let refused = host.call(3, "create", unlocked_create());
    let waited = started.elapsed();
    assert_internal_error(&refused, "database is locked");
    let refused_sign = host.call(
        4,
        "sign",
        sign_params(&first, "example.com", &[2; 32], None),
    );
    assert_internal_error(&refused_sign, "database is locked");
    eprintln!(
        "a locked database is refused after {waited:?} (the host waits up to 5 s for the lock)"
    );
    // Readers are not blocked in WAL mode: the passkey is still listed.
    assert_eq!(listed(&mut host, 5), std::slice::from_ref(&first));

    other.execute_batch("ROLLBACK").unwrap();
    let second = created(&host.call(6, "create", unlocked_create()));
    // The refused sign used no counter value: the next one is 2.
    let signed = host.call(
        7,
        "sign",
        sign_params(&first, "example.com", &[3; 32], None),
    );
    assert_eq!(signed["result"]["sign_count"], 2, "{signed}");
    let mut all = listed(&mut host, 8);
    all.sort_by_key(|id| id.to_string());
    let mut expected = vec![first, second];
    expected.sort_by_key(|id| id.to_string());
    assert_eq!(all, expected);
    assert!(host.close().0.success());
}

/// A small tmpfs as the data directory, unmounted when dropped; `None` (with the reason) where mounting is not
/// allowed (not root, or a container without CAP_SYS_ADMIN).
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: PathBuf, size: &str) -> Result<Self, String> {
        std::fs::create_dir_all(&dir).unwrap();
        let output = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if output.status.success() {
            Ok(SmallDisk(dir))
        } else {
            Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazy: a host still exiting must not leave the mount behind.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes zeros into `path` until the file system is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    while file.write_all(&chunk).is_ok() {}
    // The last partial chunk may have left a few bytes; take them too.
    while file.write_all(&[0]).is_ok() {}
}

#[test]
fn a_full_disk_is_a_clear_error_and_nothing_is_lost() {
    let env = Env::new();
    let disk = match SmallDisk::mount(env.data_dir(), "4m") {
        Ok(disk) => disk,
        Err(reason) => {
            eprintln!("skipped: cannot mount a small tmpfs here ({reason})");
            return;
        }
    };
    env.install();
    let mut host = env.start(ORIGIN);
    let mut kept = vec![created(&host.call(
        1,
        "create",
        create_params("example.com", Some(PIN)),
    ))];
    let filler = env.data_dir().join("filler");
    fill(&filler);

    // SQLite may still reuse room inside its own files: create until the disk refuses, every answer a passkey or
    // a clear error.
    let mut refusal = None;
    for id in 10..400 {
        let answer = host.call(id, "create", unlocked_create());
        if answer["result"].is_object() {
            kept.push(created(&answer));
        } else {
            refusal = Some(answer);
            break;
        }
    }
    let refusal = refusal.expect("a full disk refused no passkey");
    assert_internal_error(&refusal, "full");
    eprintln!(
        "full disk after {} passkeys: {}",
        kept.len(),
        refusal["error"]["message"]
    );
    // The host still serves, and every passkey it said it made is there.
    assert_eq!(listed(&mut host, 500).len(), kept.len());

    std::fs::remove_file(&filler).unwrap();
    kept.push(created(&host.call(501, "create", unlocked_create())));
    assert!(host.close().0.success());

    let mut host = env.start(ORIGIN);
    let mut all = listed(&mut host, 1);
    all.sort_by_key(|id| id.to_string());
    kept.sort_by_key(|id| id.to_string());
    assert_eq!(all, kept, "a passkey was lost");
    assert!(host.close().0.success());
    let check: String = rusqlite::Connection::open(env.data_dir().join("keyplace.db"))
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(disk);
}

#[test]
fn a_corrupted_database_is_a_clear_error_and_is_left_as_it_is() {
    let env = Env::new();
    env.install();
    let database = env.data_dir().join("keyplace.db");
    let mut host = env.start(ORIGIN);
    let first = created(&host.call(1, "create", create_params("example.com", Some(PIN))));
    assert!(host.close().0.success());
    let intact = std::fs::read(&database).unwrap();

    // 1. Its header overwritten: not a database at all.
    let mut broken = intact.clone();
    broken[..16].copy_from_slice(b"not a database!\0");
    std::fs::write(&database, &broken).unwrap();
    let mut host = env.start(ORIGIN);
    for (id, method) in [(1, "hello"), (2, "list")] {
        let answer = host.call(id, method, json!({}));
        assert_internal_error(&answer, "cannot open its database");
        assert_internal_error(&answer, "not a database");
    }
    assert!(host.close().0.success());
    assert_eq!(
        std::fs::read(&database).unwrap(),
        broken,
        "the host changed it"
    );

    // 2. A page of records overwritten: the host opens it, and each request touching it says it is damaged.
    let page_size = u16::from_be_bytes([intact[16], intact[17]]) as usize;
    let mut broken = intact.clone();
    for page in 1..broken.len() / page_size {
        broken[page * page_size..(page + 1) * page_size].fill(0xa5);
    }
    std::fs::write(&database, &broken).unwrap();
    let mut host = env.start(ORIGIN);
    let answer = host.call(1, "list", json!({}));
    assert_internal_error(&answer, "malformed");
    let answer = host.call(2, "create", create_params("example.com", Some(PIN)));
    assert!(answer["error"].is_object(), "{answer}");
    assert!(host.close().0.success());

    // Nothing lost: with the damage repaired (here, by restoring the file), the passkey is there. The journal
    // of the damaged file goes with it.
    for journal in ["keyplace.db-wal", "keyplace.db-shm"] {
        let _ = std::fs::remove_file(env.data_dir().join(journal));
    }
    std::fs::write(&database, &intact).unwrap();
    let mut host = env.start(ORIGIN);
    assert_eq!(listed(&mut host, 1), [first]);
    assert!(host.close().0.success());
}
