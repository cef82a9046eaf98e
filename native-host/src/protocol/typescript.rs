//! Renders the protocol types as TypeScript for the extension, and checks the committed file is current.

use std::path::PathBuf;

use ts_rs::{Config, TS};

use super::answers::{
    AttestAnswer, CopiedPasskeyRow, CopyApproveAnswer, CopyFileKind, CopyImportAnswer,
    CopyInspectAnswer, CopyReleaseAnswer, CopyRequestAnswer, CopyRole, CopyRow, CreateAnswer,
    CredentialRow, DeleteAnswer, DeviceRow, DevicesAnswer, EmptyAnswer, HardwareKind, HelloAnswer,
    ImportAnswer, ImportPasskeyRow, ImportStatus, ImportedRow, ListPage, ListRow, RecoveryAnswer,
    RenameAnswer, RingAnswer, SignAnswer, SlimCredentialRow, StoreStatus, VaultProtectionKind,
};
use super::envelope::{Request, Response};
use super::errors::{ErrorBody, ErrorCode, ErrorDetails};
use super::requests::{
    AttestParams, ConfigureParams, CopyApproveParams, CopyImportParams, CopyInspectParams,
    CopyReleaseParams, CopyRequestParams, CreateParams, DeleteParams, EmptyParams, ImportParams,
    ListParams, RecoveryParams, RenameParams, RingParams, SignParams, UserParams,
};
use super::values::{B64u, StoreId};

/// One method's params and answer.
#[derive(TS)]
#[ts(rename = "HostMethod")]
#[allow(dead_code)] // a type for TypeScript only
struct Method<Params, Answer> {
    params: Params,
    answer: Answer,
}

/// Every method by name, with its params and answer: what `service::Service::handle` dispatches.
#[derive(TS)]
#[ts(rename = "HostMethods")]
#[allow(dead_code)] // a type for TypeScript only
struct Methods {
    hello: Method<EmptyParams, HelloAnswer>,
    create: Method<CreateParams, CreateAnswer>,
    sign: Method<SignParams, SignAnswer>,
    attest: Method<AttestParams, AttestAnswer>,
    list: Method<ListParams, ListPage<ListRow>>,
    delete: Method<DeleteParams, DeleteAnswer>,
    rename: Method<RenameParams, RenameAnswer>,
    lock: Method<EmptyParams, EmptyAnswer>,
    configure: Method<ConfigureParams, EmptyAnswer>,
    devices: Method<EmptyParams, DevicesAnswer>,
    copy_request: Method<CopyRequestParams, CopyRequestAnswer>,
    copy_inspect: Method<CopyInspectParams, CopyInspectAnswer>,
    copy_approve: Method<CopyApproveParams, CopyApproveAnswer>,
    copy_release: Method<CopyReleaseParams, CopyReleaseAnswer>,
    copy_import: Method<CopyImportParams, CopyImportAnswer>,
    ring: Method<RingParams, RingAnswer>,
    recovery: Method<RecoveryParams, RecoveryAnswer>,
    import: Method<ImportParams, ImportAnswer>,
}

const HEADER: &str = "// generated from native-host/src/protocol by ts-rs; do not edit;\n\
// KEYPLACE_UPDATE_GENERATED=1 cargo test -p keyplace-host generated_typescript to refresh\n";

fn generated_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../extension/src/generated/host-protocol.ts")
}

/// One exported declaration, with its doc comment.
fn declaration<T: TS>(config: &Config) -> String {
    format!(
        "{}export {}\n",
        T::docs().unwrap_or_default(),
        T::decl(config)
    )
}

/// The whole file: every type of the protocol, in the order PROTOCOL.md tells them.
pub(crate) fn render() -> String {
    // Counters, times and ids all fit in a double: `number`, never `bigint`.
    let config = Config::new().with_large_int("number");
    let declarations = [
        declaration::<B64u>(&config),
        declaration::<StoreId>(&config),
        declaration::<Request>(&config),
        declaration::<Response>(&config),
        declaration::<ErrorCode>(&config),
        declaration::<ErrorDetails>(&config),
        declaration::<ErrorBody>(&config),
        declaration::<EmptyParams>(&config),
        declaration::<HelloAnswer>(&config),
        declaration::<StoreStatus>(&config),
        declaration::<HardwareKind>(&config),
        declaration::<VaultProtectionKind>(&config),
        declaration::<UserParams>(&config),
        declaration::<CreateParams>(&config),
        declaration::<CreateAnswer>(&config),
        declaration::<SignParams>(&config),
        declaration::<SignAnswer>(&config),
        declaration::<AttestParams>(&config),
        declaration::<AttestAnswer>(&config),
        declaration::<ListParams>(&config),
        declaration::<ListPage<ListRow>>(&config),
        declaration::<ListRow>(&config),
        declaration::<CredentialRow>(&config),
        declaration::<SlimCredentialRow>(&config),
        declaration::<DeleteParams>(&config),
        declaration::<DeleteAnswer>(&config),
        declaration::<RenameParams>(&config),
        declaration::<RenameAnswer>(&config),
        declaration::<ConfigureParams>(&config),
        declaration::<EmptyAnswer>(&config),
        declaration::<DevicesAnswer>(&config),
        declaration::<DeviceRow>(&config),
        declaration::<CopyRow>(&config),
        declaration::<CopyRole>(&config),
        declaration::<CopyRequestParams>(&config),
        declaration::<CopyRequestAnswer>(&config),
        declaration::<CopyInspectParams>(&config),
        declaration::<CopyInspectAnswer>(&config),
        declaration::<CopyFileKind>(&config),
        declaration::<RingParams>(&config),
        declaration::<RingAnswer>(&config),
        declaration::<RecoveryParams>(&config),
        declaration::<RecoveryAnswer>(&config),
        declaration::<CopiedPasskeyRow>(&config),
        declaration::<CopyApproveParams>(&config),
        declaration::<CopyApproveAnswer>(&config),
        declaration::<CopyReleaseParams>(&config),
        declaration::<CopyReleaseAnswer>(&config),
        declaration::<CopyImportParams>(&config),
        declaration::<CopyImportAnswer>(&config),
        declaration::<ImportedRow>(&config),
        declaration::<ImportParams>(&config),
        declaration::<ImportAnswer>(&config),
        declaration::<ImportPasskeyRow>(&config),
        declaration::<ImportStatus>(&config),
        declaration::<Method<EmptyParams, EmptyAnswer>>(&config),
        declaration::<Methods>(&config),
    ];
    format!("{HEADER}\n{}", declarations.join("\n"))
}

#[test]
fn generated_typescript_is_current() {
    let rendered = render();
    assert!(!rendered.contains("bigint"), "a u64 became a bigint");
    let path = generated_file();
    if std::env::var_os("KEYPLACE_UPDATE_GENERATED").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "{} is not what the Rust types give; run KEYPLACE_UPDATE_GENERATED=1 cargo test -p keyplace-host \
         generated_typescript and commit the file",
        path.display()
    );
}
