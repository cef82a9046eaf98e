//! ARCHITECTURE.md rule 3: only the extensions `install` allowed may use the host, decided before any frame is read.

mod common;

use common::*;
use serde_json::json;

/// Starts the host as `args`, offers it a request, and expects a refusal: exit 3, no answer, a reason on stderr.
fn assert_refused(env: &Env, args: &[&str]) {
    let mut host = env.start_with(args, &[]);
    // The host may already be gone; a broken pipe here is fine.
    if let Some(stdin) = host.stdin.as_mut() {
        use std::io::Write;
        let _ = stdin.write_all(&frame(br#"{"id":1,"method":"hello"}"#));
    }
    drop(host.stdin.take());
    let output = host.child.wait_with_output().unwrap();
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut host.stdout, &mut rest).unwrap();
    assert_eq!(output.status.code(), Some(3), "{args:?}");
    assert!(rest.is_empty(), "a refused caller got an answer");
    assert!(String::from_utf8_lossy(&output.stderr).contains("refused"));
}

#[test]
fn refuses_everyone_before_install() {
    let env = Env::new();
    assert_refused(&env, &[ORIGIN]);
}

#[test]
fn allows_only_the_installed_ids() {
    let env = Env::new();
    env.install();
    assert_refused(
        &env,
        &["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"],
    );
    assert_refused(
        &env,
        &["chrome-extension://ipdamncjijplhbkhipddgambbnginfmp.evil/"],
    );
    assert_refused(
        &env,
        &["/somewhere/com.keyplace.host.json", "keyplace@keyplace.dev"],
    );
    assert_refused(&env, &[]);

    let mut host = env.start(ORIGIN);
    assert!(host.call(1, "hello", json!({}))["result"].is_object());
    assert!(host.close().0.success());

    // Firefox: only after installing for Firefox, and only its add-on id.
    let output = env.cli(&["install", "--browser", "firefox"]);
    assert!(output.status.success());
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            env.home()
                .join(".mozilla/native-messaging-hosts/com.keyplace.host.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["allowed_extensions"],
        json!(["keyplace@keyplace.dev"])
    );
    assert_refused(&env, &["/x/com.keyplace.host.json", "evil@example.com"]);
    let manifest_path = env
        .home()
        .join(".mozilla/native-messaging-hosts/com.keyplace.host.json");
    let mut host = env.start_with(
        &[manifest_path.to_str().unwrap(), "keyplace@keyplace.dev"],
        &[],
    );
    assert!(host.call(1, "hello", json!({}))["result"].is_object());
    assert!(host.close().0.success());
}
