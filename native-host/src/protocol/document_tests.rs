//! PROTOCOL.md's examples, parsed with the protocol types, so the document cannot drift from the host.
//!
//! An example is a fenced block whose info string is `json example request` (a whole request frame) or
//! `json example answer <method>` (a whole answer frame; `<method>` is `error` for a failure). Each must parse with
//! its method's type and serialize back to exactly the same JSON: a renamed, missing or extra field fails.

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::answers::{
    AttestAnswer, CopyApproveAnswer, CopyImportAnswer, CopyInspectAnswer, CopyReleaseAnswer,
    CopyRequestAnswer, CreateAnswer, DeleteAnswer, DevicesAnswer, EmptyAnswer, HelloAnswer,
    ImportAnswer, ListPage, ListRow, RecoveryAnswer, RenameAnswer, RingAnswer, SignAnswer,
};
use super::envelope::{parse_request, Response};
use super::errors::ErrorBody;
use super::requests::{
    AttestParams, ConfigureParams, CopyApproveParams, CopyImportParams, CopyInspectParams,
    CopyReleaseParams, CopyRequestParams, CreateParams, DeleteParams, EmptyParams, ImportParams,
    ListParams, RecoveryParams, RenameParams, RingParams, SignParams, METHODS,
};

struct Example {
    /// `request`, or `answer <method>`.
    kind: String,
    json: String,
    line: usize,
}

fn examples() -> Vec<Example> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/PROTOCOL.md");
    let text = std::fs::read_to_string(path).expect("PROTOCOL.md beside Cargo.toml");
    let mut examples = Vec::new();
    let mut open: Option<Example> = None;
    for (index, line) in text.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(kind) = line.trim().strip_prefix("```json example ") {
                    open = Some(Example {
                        kind: kind.trim().to_owned(),
                        json: String::new(),
                        line: index + 1,
                    });
                }
            }
            Some(example) if line.trim() == "```" => {
                examples.push(std::mem::replace(example, placeholder()));
                open = None;
            }
            Some(example) => {
                example.json.push_str(line);
                example.json.push('\n');
            }
        }
    }
    assert!(open.is_none(), "PROTOCOL.md ends inside an example");
    examples
}

fn placeholder() -> Example {
    Example {
        kind: String::new(),
        json: String::new(),
        line: 0,
    }
}

/// Parses `value` as `T` and serializes it back: it must come out the same.
fn round_trip<T: DeserializeOwned + Serialize>(value: &Value, at: &str) {
    let parsed: T = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{at}: does not parse as the protocol says: {e}"));
    let again = serde_json::to_value(&parsed).unwrap();
    assert_eq!(&again, value, "{at}: fields the protocol types do not have");
}

fn check_params(method: &str, params: &Value, at: &str) {
    match method {
        "hello" | "lock" | "devices" => round_trip::<EmptyParams>(params, at),
        "create" => round_trip::<CreateParams>(params, at),
        "sign" => round_trip::<SignParams>(params, at),
        "attest" => round_trip::<AttestParams>(params, at),
        "list" => round_trip::<ListParams>(params, at),
        "delete" => round_trip::<DeleteParams>(params, at),
        "rename" => round_trip::<RenameParams>(params, at),
        "configure" => round_trip::<ConfigureParams>(params, at),
        "copy_request" => round_trip::<CopyRequestParams>(params, at),
        "copy_inspect" => round_trip::<CopyInspectParams>(params, at),
        "copy_approve" => round_trip::<CopyApproveParams>(params, at),
        "copy_release" => round_trip::<CopyReleaseParams>(params, at),
        "copy_import" => round_trip::<CopyImportParams>(params, at),
        "ring" => round_trip::<RingParams>(params, at),
        "recovery" => round_trip::<RecoveryParams>(params, at),
        "import" => round_trip::<ImportParams>(params, at),
        other => panic!("{at}: no method {other:?}"),
    }
}

fn check_result(method: &str, result: &Value, at: &str) {
    match method {
        "hello" => round_trip::<HelloAnswer>(result, at),
        "create" => round_trip::<CreateAnswer>(result, at),
        "sign" => round_trip::<SignAnswer>(result, at),
        "attest" => round_trip::<AttestAnswer>(result, at),
        "list" => round_trip::<ListPage<ListRow>>(result, at),
        "delete" => round_trip::<DeleteAnswer>(result, at),
        "rename" => round_trip::<RenameAnswer>(result, at),
        "lock" | "configure" => round_trip::<EmptyAnswer>(result, at),
        "devices" => round_trip::<DevicesAnswer>(result, at),
        "copy_request" => round_trip::<CopyRequestAnswer>(result, at),
        "copy_inspect" => round_trip::<CopyInspectAnswer>(result, at),
        "copy_approve" => round_trip::<CopyApproveAnswer>(result, at),
        "copy_release" => round_trip::<CopyReleaseAnswer>(result, at),
        "copy_import" => round_trip::<CopyImportAnswer>(result, at),
        "ring" => round_trip::<RingAnswer>(result, at),
        "recovery" => round_trip::<RecoveryAnswer>(result, at),
        "import" => round_trip::<ImportAnswer>(result, at),
        other => panic!("{at}: no method {other:?}"),
    }
}

#[test]
fn protocol_examples_parse_with_the_protocol_types() {
    let mut requested = BTreeSet::new();
    let mut answered = BTreeSet::new();
    let mut errors = 0;
    for example in examples() {
        let at = format!("PROTOCOL.md line {} ({})", example.line, example.kind);
        let value: Value =
            serde_json::from_str(&example.json).unwrap_or_else(|e| panic!("{at}: not JSON: {e}"));
        if example.kind == "request" {
            let request = parse_request(example.json.as_bytes())
                .unwrap_or_else(|answer| panic!("{at}: the host refuses it: {answer:?}"));
            check_params(&request.method, &request.params, &at);
            requested.insert(request.method);
            continue;
        }
        let method = example
            .kind
            .strip_prefix("answer ")
            .unwrap_or_else(|| panic!("{at}: neither a request nor an answer"));
        let frame: Response = serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("{at}: not an answer frame: {e}"));
        assert_eq!(
            serde_json::to_value(&frame).unwrap(),
            value,
            "{at}: not an answer frame"
        );
        if method == "error" {
            let error = frame.error.unwrap_or_else(|| panic!("{at}: no error"));
            round_trip::<ErrorBody>(&value["error"], &at);
            assert!(frame.result.is_none(), "{at}: {error:?} with a result");
            errors += 1;
        } else {
            let result = frame.result.unwrap_or_else(|| panic!("{at}: no result"));
            check_result(method, &result, &at);
            answered.insert(method.to_owned());
        }
    }
    let all: BTreeSet<String> = METHODS.iter().map(|m| m.to_string()).collect();
    assert_eq!(requested, all, "every method has an example request");
    assert_eq!(answered, all, "every method has an example answer");
    assert!(errors > 0, "PROTOCOL.md shows an error answer");
}
