//! Chromium and Firefox each run a host on the same database: counters must stay distinct and none may be lost.

mod common;

use std::collections::BTreeSet;
use std::thread;

use common::*;
use serde_json::{json, Value};

const SIGNS_PER_HOST: u64 = 25;

#[test]
fn concurrent_hosts_share_one_counter() {
    let env = Env::new();
    env.install();
    let mut first = env.start(ORIGIN);
    let created =
        first.call(1, "create", create_params("example.com", Some(PIN)))["result"].clone();
    let mut second = env.start(ORIGIN);
    // Each host unlocks its own copy of the vault once; the signs below then race each other.
    for host in [&mut first, &mut second] {
        let unlocked = host.call(
            2,
            "sign",
            sign_params(
                &created["credential_id"],
                "example.com",
                &[1; 32],
                Some(PIN),
            ),
        );
        assert!(unlocked["result"].is_object(), "{unlocked}");
    }

    let run = |mut host: Host, credential_id: Value| {
        thread::spawn(move || {
            for id in 0..SIGNS_PER_HOST {
                host.request(
                    100 + id,
                    "sign",
                    sign_params(&credential_id, "example.com", &[2; 32], None),
                );
            }
            let counts: Vec<u64> = (0..SIGNS_PER_HOST)
                .map(|_| {
                    let answer = host.recv();
                    answer["result"]["sign_count"]
                        .as_u64()
                        .unwrap_or_else(|| panic!("{answer}"))
                })
                .collect();
            assert!(host.close().0.success());
            counts
        })
    };
    let a = run(first, created["credential_id"].clone());
    let b = run(second, created["credential_id"].clone());
    let mut all: Vec<u64> = a.join().unwrap();
    all.extend(b.join().unwrap());
    let distinct: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        all.len(),
        "a counter value was handed out twice"
    );
    let expected: BTreeSet<u64> = (3..3 + 2 * SIGNS_PER_HOST).collect();
    assert_eq!(distinct, expected, "a counter increment was lost");

    let mut host = env.start(ORIGIN);
    let listed = host.call(1, "list", json!({}));
    assert_eq!(
        listed["result"]["credentials"][0]["sign_count"],
        2 + 2 * SIGNS_PER_HOST
    );
    assert!(host.close().0.success());
}
