//! The conversion table: each member × odd values, as WebIDL and the browsers convert them.

use super::*;
use crate::error::ErrorName;
use serde_json::json;

type Change = Box<dyn FnOnce(&mut Value)>;

fn creation(change: impl FnOnce(&mut Value)) -> CoreResult<Value> {
    let mut options = json!({
        "rp": {"name": "Example"},
        "user": {"id": {"$bytes": "AQ"}, "name": "a", "displayName": "A"},
        "challenge": {"$bytes": "AAAA"},
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
    });
    change(&mut options);
    convert(&options, &CREATION_OPTIONS, "")
}

fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |v, key| &v[key])
}

fn set(path: &'static str, member: Value) -> impl FnOnce(&mut Value) {
    move |options| {
        let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
        let target = if parent.is_empty() {
            options
        } else {
            parent.split('.').fold(options, |v, k| &mut v[k])
        };
        target[key] = member;
    }
}

fn remove(path: &'static str) -> impl FnOnce(&mut Value) {
    move |options| {
        let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
        let target = if parent.is_empty() {
            options
        } else {
            parent.split('.').fold(options, |v, k| &mut v[k])
        };
        target.as_object_mut().unwrap().remove(key);
    }
}

#[test]
fn dom_strings_take_any_value_s_string_form() {
    let table = [
        ("rp.id", json!(null), json!("null")),
        ("rp.id", json!({}), json!("[object Object]")),
        ("rp.id", json!([]), json!("")),
        (
            "rp.id",
            json!(["localhost", null, 5]),
            json!("localhost,,5"),
        ),
        ("rp.name", json!(5), json!("5")),
        ("rp.name", json!(-0.0), json!("0")),
        ("rp.name", json!(true), json!("true")),
        ("user.name", json!(1e18), json!("1000000000000000000")),
        (
            "authenticatorSelection.userVerification",
            json!(["required"]),
            json!("required"),
        ),
        (
            "authenticatorSelection.residentKey",
            json!({}),
            json!("[object Object]"),
        ),
        ("attestation", json!(null), json!("null")),
    ];
    for (path, given, expected) in table {
        let converted = creation(set(path, given.clone())).unwrap();
        assert_eq!(at(&converted, path), &expected, "{path} = {given}");
    }
}

#[test]
fn string_forms_the_json_cannot_tell_are_refused() {
    for given in [
        json!({"$bytes": "AQ"}),
        json!(1e21),
        json!(1e-7),
        json!(0.5),
    ] {
        let err = creation(set("rp.name", given.clone())).unwrap_err();
        assert_eq!(err.name, ErrorName::TypeError, "{given}");
    }
}

#[test]
fn booleans_and_numbers_convert_like_javascript() {
    let table = [
        (
            "authenticatorSelection.requireResidentKey",
            json!("yes"),
            json!(true),
        ),
        (
            "authenticatorSelection.requireResidentKey",
            json!(""),
            json!(false),
        ),
        (
            "authenticatorSelection.requireResidentKey",
            json!({}),
            json!(true),
        ),
        (
            "authenticatorSelection.requireResidentKey",
            json!(null),
            json!(false),
        ),
        ("extensions.credProps", json!([]), json!(true)),
        ("timeout", json!("abc"), json!(0)),
        ("timeout", json!(" 12 "), json!(12)),
        ("timeout", json!("0x10"), json!(16)),
        ("timeout", json!([7]), json!(7)),
        ("timeout", json!({}), json!(0)),
        ("timeout", json!(null), json!(0)),
        ("timeout", json!(true), json!(1)),
        ("timeout", json!(-1), json!(4_294_967_295_u32)),
        ("timeout", json!(1e20), json!(1_661_992_960_u32)),
        ("timeout", json!("Infinity"), json!(0)),
        ("timeout", json!("+12"), json!(12)),
        ("timeout", json!("-Infinity"), json!(0)),
        ("timeout", json!("0b11"), json!(3)),
        ("timeout", json!("-0x10"), json!(0)),
        ("timeout", json!("1_0"), json!(0)),
    ];
    for (path, given, expected) in table {
        let converted = creation(set(path, given.clone())).unwrap();
        assert_eq!(at(&converted, path), &expected, "{path} = {given}");
    }
    // A long wraps modulo 2^32 into the signed range: 4294967289 is -7.
    let params = json!([{"type": "public-key", "alg": 4_294_967_289_u64}, {"type": "public-key", "alg": "-257"}]);
    let converted = creation(set("pubKeyCredParams", params)).unwrap();
    assert_eq!(converted["pubKeyCredParams"][0]["alg"], json!(-7));
    assert_eq!(converted["pubKeyCredParams"][1]["alg"], json!(-257));
}

#[test]
fn dictionaries_take_null_arrays_and_objects_and_refuse_the_rest() {
    for given in [json!(null), json!([]), json!(["a", "b"]), json!({})] {
        let converted = creation(set("extensions", given.clone())).unwrap();
        assert_eq!(converted["extensions"], json!({}), "{given}");
    }
    for given in [json!(5), json!("x"), json!(true)] {
        let err = creation(set("authenticatorSelection", given.clone())).unwrap_err();
        assert_eq!(err.name, ErrorName::TypeError, "{given}");
    }
    // An array for a dictionary with required members has none of them.
    let err = creation(set("rp", json!(["id", "name"]))).unwrap_err();
    assert!(err.message.contains("rp.name"), "{}", err.message);
}

#[test]
fn missing_required_members_and_bad_sequences_and_buffers_are_type_errors() {
    let cases: Vec<(&str, Change)> = vec![
        ("rp", Box::new(remove("rp"))),
        ("rp.name", Box::new(remove("rp.name"))),
        ("user.displayName", Box::new(remove("user.displayName"))),
        ("challenge", Box::new(remove("challenge"))),
        ("pubKeyCredParams", Box::new(remove("pubKeyCredParams"))),
        (
            "pubKeyCredParams",
            Box::new(set("pubKeyCredParams", json!(null))),
        ),
        (
            "pubKeyCredParams",
            Box::new(set("pubKeyCredParams", json!({}))),
        ),
        (
            "pubKeyCredParams",
            Box::new(set("pubKeyCredParams", json!([{"alg": -7}]))),
        ),
        (
            "pubKeyCredParams",
            Box::new(set("pubKeyCredParams", json!([5]))),
        ),
        (
            "excludeCredentials",
            Box::new(set("excludeCredentials", json!(null))),
        ),
        (
            "excludeCredentials",
            Box::new(set(
                "excludeCredentials",
                json!([{"type": "public-key", "id": "AAAA"}]),
            )),
        ),
        (
            "transports",
            Box::new(set(
                "excludeCredentials",
                json!([{"type": "public-key", "id": {"$bytes": "AQ"}, "transports": null}]),
            )),
        ),
        ("hints", Box::new(set("hints", json!("security-key")))),
        ("user.id", Box::new(set("user.id", json!(null)))),
        ("challenge", Box::new(set("challenge", json!("abc")))),
        (
            "evalByCredential",
            Box::new(set(
                "extensions",
                json!({"prf": {"evalByCredential": null}}),
            )),
        ),
        (
            "first",
            Box::new(set("extensions", json!({"prf": {"eval": {}}}))),
        ),
        (
            "credBlob",
            Box::new(set("extensions", json!({"credBlob": "x"}))),
        ),
    ];
    for (name, change) in cases {
        let err = creation(change).unwrap_err();
        assert_eq!(err.name, ErrorName::TypeError, "{name}");
        assert!(err.message.contains(name), "{name}: {}", err.message);
    }
}

#[test]
fn unknown_members_are_dropped_and_sequences_convert_their_items() {
    let converted = creation(|o| {
        o["unknown"] = json!({"$bytes": 1});
        o["hints"] = json!([5, "hybrid", null]);
        o["extensions"] = json!({"futureExtension": [1, 2], "prf": {"evalByCredential": {"AQ": {"first": {"$bytes": "AA"}}}}});
    })
    .unwrap();
    assert!(converted.get("unknown").is_none());
    assert_eq!(converted["hints"], json!(["5", "hybrid", "null"]));
    assert_eq!(
        converted["extensions"],
        json!({"prf": {"evalByCredential": {"AQ": {"first": {"$bytes": "AA"}}}}})
    );
}

#[test]
fn request_options_convert_too() {
    let options = json!({"challenge": {"$bytes": "AAAA"}, "rpId": null, "allowCredentials": [], "userVerification": {}});
    let converted = convert(&options, &REQUEST_OPTIONS, "").unwrap();
    assert_eq!(converted["rpId"], json!("null"));
    assert_eq!(converted["userVerification"], json!("[object Object]"));
    let err = convert(
        &json!({"challenge": {"$bytes": "AA"}, "allowCredentials": null}),
        &REQUEST_OPTIONS,
        "",
    )
    .unwrap_err();
    assert_eq!(err.name, ErrorName::TypeError);
    assert_eq!(
        convert(&json!(5), &REQUEST_OPTIONS, "").unwrap_err().name,
        ErrorName::TypeError
    );
}
