//! The host protocol of PROTOCOL.md, as Rust types: the one source for the wire format. Every request's params
//! and every answer is a serde struct here; the extension's TypeScript types are generated from these
//! (`typescript.rs`, into extension/src/generated/host-protocol.ts), and PROTOCOL.md's examples are parsed with them
//! (`document_tests.rs`), so neither can drift from the host.
//!
//! Requests are parsed in two steps: the envelope first (so even a request with bad params gets an answer carrying
//! its own id), then the params of the named method.

mod answers;
mod envelope;
mod errors;
mod requests;
mod values;

#[cfg(test)]
mod document_tests;
#[cfg(test)]
mod typescript;

pub use answers::{
    AttestAnswer, CopiedPasskeyRow, CopyApproveAnswer, CopyFileKind, CopyImportAnswer,
    CopyInspectAnswer, CopyReleaseAnswer, CopyRequestAnswer, CopyRole, CopyRow, CreateAnswer,
    CredentialRow, DeleteAnswer, DeviceRow, DevicesAnswer, EmptyAnswer, HardwareKind, HelloAnswer,
    ImportAnswer, ImportPasskeyRow, ImportStatus, ImportedRow, ListPage, ListRow, RecoveryAnswer,
    RenameAnswer, RingAnswer, SignAnswer, SlimCredentialRow, StoreStatus, VaultProtectionKind,
};
pub use envelope::{parse_request, readable_id, Request, Response};
pub use errors::{ErrorBody, ErrorCode, ErrorDetails};
pub use requests::{
    AttestParams, ConfigureParams, CopyApproveParams, CopyImportParams, CopyInspectParams,
    CopyReleaseParams, CopyRequestParams, CreateParams, DeleteParams, EmptyParams, ImportParams,
    ListParams, RecoveryParams, RenameParams, RingParams, SignParams, UserParams, METHODS,
};
pub use values::{B64u, ExportText, Pin, StoreId};
