use serde_json::{json, Value};

use super::*;

/// Written from the CXF 1.0 examples (header, account, items, a passkey with `fido2Extensions`, a basic-auth login),
/// with real keys: two P-256 passkeys and an Ed25519 one.
pub(crate) const EXPORT: &str = include_str!("../../tests/fixtures/cxf/export.json");

fn export_value() -> Value {
    serde_json::from_str(EXPORT).unwrap()
}

fn read(value: &Value) -> Result<Export, CxfError> {
    read_export(&value.to_string())
}

#[test]
fn reads_every_passkey_of_the_spec_example_in_order() {
    let export = read_export(EXPORT).unwrap();
    assert_eq!(export.exporter, "Exporter");
    let sites: Vec<&str> = export.passkeys.iter().map(|p| p.rp_id.as_str()).collect();
    assert_eq!(sites, ["example.com", "second.example", "ed25519.example"]);
    let first = &export.passkeys[0];
    assert_eq!(first.credential_id, b"credential-example");
    assert_eq!(first.user_handle, b"user-handle-1");
    assert_eq!(first.user_name, "jane_smith");
    assert_eq!(first.user_display_name, "Jane Smith");
    assert_eq!(first.account, "jane_smith");
    assert!(first.key.is_ok());
    assert!(export.passkeys[1].key.is_ok());
    assert_eq!(
        export.passkeys[2].key.as_ref().err(),
        Some(&PasskeyProblem::Key(KeyProblem::Ed25519))
    );
}

#[test]
fn files_that_are_not_cxf_1_are_typed_errors() {
    assert!(matches!(read_export("{ nope"), Err(CxfError::NotJson(_))));
    assert!(matches!(read_export("[1, 2]"), Err(CxfError::NotCxf(_))));
    assert!(matches!(
        read(&json!({"accounts": []})),
        Err(CxfError::NotCxf(_))
    ));
    let mut v2 = export_value();
    v2["version"] = json!({"major": 2, "minor": 1});
    let error = read(&v2).err().unwrap();
    assert!(matches!(error, CxfError::Version { major: 2, minor: 1 }));
    assert!(error.to_string().contains("version 1"), "{error}");
    let mut no_accounts = export_value();
    no_accounts.as_object_mut().unwrap().remove("accounts");
    let error = read(&no_accounts).err().unwrap();
    assert!(error.to_string().contains("accounts"), "{error}");
    let huge = " ".repeat(MAX_EXPORT_BYTES + 1);
    assert!(matches!(read_export(&huge), Err(CxfError::TooLarge { .. })));
}

#[test]
fn a_damaged_passkey_is_listed_with_its_problem_and_the_others_still_come() {
    let mut value = export_value();
    let items = &mut value["accounts"][0]["items"];
    items[0]["credentials"][0]["key"] = json!("*** not base64url ***");
    items[2]["credentials"][0]["userHandle"] = json!("");
    let export = read(&value).unwrap();
    assert_eq!(export.passkeys.len(), 3);
    let damaged = &export.passkeys[0];
    assert_eq!(damaged.rp_id, "example.com");
    assert_eq!(damaged.credential_id, b"credential-example");
    assert!(
        matches!(&damaged.key, Err(PasskeyProblem::Malformed(why)) if why.contains("base64")),
        "{:?}",
        damaged.key.as_ref().err()
    );
    assert!(matches!(
        &export.passkeys[1].key,
        Err(PasskeyProblem::Malformed(why)) if why.contains("user handle")
    ));
    assert!(export.passkeys[2].key.is_err(), "still the Ed25519 one");
}

#[test]
fn the_exporter_is_named_by_its_rp_id_when_it_gives_no_display_name() {
    let mut value = export_value();
    value["exporterDisplayName"] = json!("  ");
    assert_eq!(read(&value).unwrap().exporter, "exporter.example.com");
    value["exporterRpId"] = json!("");
    assert_eq!(read(&value).unwrap().exporter, "another passkey manager");
}

#[test]
fn long_names_are_cut_at_a_character_boundary() {
    let mut value = export_value();
    value["accounts"][0]["items"][0]["credentials"][0]["username"] = json!("é".repeat(300));
    let export = read(&value).unwrap();
    let name = &export.passkeys[0].user_name;
    assert_eq!(name.len(), MAX_NAME_BYTES);
    assert!(name.chars().all(|c| c == 'é'));
}
