//! The JavaScript API's types as TypeScript, rendered with ts-rs into extension/src/generated/core-api.ts, so the
//! background script types its calls from the Rust types themselves. `generated_typescript_is_current` fails when
//! the committed file differs from what the types render; `KEYPLACE_UPDATE_GENERATED=1` rewrites it instead.

use std::collections::BTreeSet;
use std::path::Path;

use ts_rs::{Config, TS};

use crate::authenticator_data::FlagSummary;
use crate::bytes::Base64Url;
use crate::error::{CoreError, CoreResult, ErrorName};
use crate::get_assertion::{
    AssertionCredential, AssertionExtensionResults, AssertionFlags, AssertionResponse, GetRequest,
    PreparedGet, SignedAssertion,
};
use crate::inspect::{AuthenticatorDataInfo, RegistrationInfo};
use crate::make_credential::{
    AttestationResponse, CreateRequest, CreatedKey, CredProps, PreparedCreate, PreparedUser,
    RegistrationCredential, RegistrationExtensionResults,
};
use crate::options::{
    Attachment, AttestationConveyance, Client, CredentialType, Hint, LargeBlobOutput, Requirement,
    Transport,
};
use crate::prf::{
    CreatePrf, CredentialSalts, GetPrf, PrfAssertionOutput, PrfRegistrationOutput, PrfSalts,
};
use crate::signal::{Signal, SignalMethod, SignalRequest};

const GENERATED_PATH: &str = "extension/src/generated/core-api.ts";
const HEADER: &str = "\
// Generated from wasm-core/src by ts-rs (wasm-core/src/typescript.rs): do not edit. To refresh:
//   KEYPLACE_UPDATE_GENERATED=1 cargo test -p keyplace-core generated_typescript
// The shapes of wasm-core/API.md: what crosses the boundary through serde-wasm-bindgen (json_compatible).
";

/// JavaScript numbers: no value the core exchanges needs more than 53 bits (COSE algorithm numbers).
fn config() -> Config {
    Config::new().with_large_int("number")
}

/// One declaration: the type, and the names of the declared types it refers to.
struct Declaration {
    ident: String,
    text: String,
    refers_to: Vec<String>,
}

fn declaration<T: TS + 'static>(cfg: &Config) -> Declaration {
    let docs = T::docs().unwrap_or_default();
    Declaration {
        ident: T::ident(cfg),
        text: format!("{docs}export {}\n", T::decl(cfg)),
        refers_to: T::dependencies(cfg)
            .into_iter()
            .map(|dependency| dependency.ts_name)
            .collect(),
    }
}

/// Every type of the API, in the order the file lists them.
fn declarations(cfg: &Config) -> Vec<Declaration> {
    vec![
        declaration::<Base64Url>(cfg),
        declaration::<ErrorName>(cfg),
        declaration::<CoreError>(cfg),
        declaration::<Requirement>(cfg),
        declaration::<Attachment>(cfg),
        declaration::<Hint>(cfg),
        declaration::<Client>(cfg),
        declaration::<AttestationConveyance>(cfg),
        declaration::<CredentialType>(cfg),
        declaration::<Transport>(cfg),
        declaration::<FlagSummary>(cfg),
        // navigator.credentials.create()
        declaration::<CreateRequest>(cfg),
        declaration::<PreparedUser>(cfg),
        declaration::<PreparedCreate>(cfg),
        declaration::<CreatedKey>(cfg),
        declaration::<AttestationResponse>(cfg),
        declaration::<CredProps>(cfg),
        declaration::<RegistrationExtensionResults>(cfg),
        declaration::<RegistrationCredential>(cfg),
        // navigator.credentials.get()
        declaration::<GetRequest>(cfg),
        declaration::<PreparedGet>(cfg),
        declaration::<AssertionFlags>(cfg),
        declaration::<SignedAssertion>(cfg),
        declaration::<AssertionResponse>(cfg),
        declaration::<AssertionExtensionResults>(cfg),
        declaration::<AssertionCredential>(cfg),
        // Browser path
        declaration::<RegistrationInfo>(cfg),
        declaration::<AuthenticatorDataInfo>(cfg),
        // The prf extension
        declaration::<PrfSalts>(cfg),
        declaration::<CredentialSalts>(cfg),
        declaration::<CreatePrf>(cfg),
        declaration::<GetPrf>(cfg),
        declaration::<PrfRegistrationOutput>(cfg),
        declaration::<LargeBlobOutput>(cfg),
        declaration::<PrfAssertionOutput>(cfg),
        // The Signal API
        declaration::<SignalRequest>(cfg),
        declaration::<SignalMethod>(cfg),
        declaration::<Signal>(cfg),
    ]
}

/// One export of wasm.rs: its JavaScript name, parameter types and result type.
struct Export {
    name: &'static str,
    params: Vec<String>,
    returns: String,
}

// Each export is described by the core function it calls, the way wasm.rs calls it, so the parameter and result
// types come from the functions' own signatures.
fn export1<A: TS, R: TS>(
    cfg: &Config,
    name: &'static str,
    _call: fn(A) -> CoreResult<R>,
) -> Export {
    Export {
        name,
        params: vec![A::name(cfg)],
        returns: R::name(cfg),
    }
}

fn export2<A: TS, B: TS, R: TS>(
    cfg: &Config,
    name: &'static str,
    _call: fn(A, B) -> CoreResult<R>,
) -> Export {
    Export {
        name,
        params: vec![A::name(cfg), B::name(cfg)],
        returns: R::name(cfg),
    }
}

fn exports(cfg: &Config) -> Vec<Export> {
    vec![
        export1(cfg, "prepareCreate", crate::prepare_create),
        export2(cfg, "registrationAuthenticatorData", |prepared, key| {
            crate::registration_authenticator_data(&prepared, &key)
        }),
        export2(cfg, "finishCreate", crate::finish_create),
        export1(cfg, "prepareGet", crate::prepare_get),
        export2(cfg, "assertionAuthenticatorData", |rp_id: String, flags| {
            crate::assertion_authenticator_data(&rp_id, flags)
        }),
        export2(cfg, "finishGet", crate::finish_get),
        export1(cfg, "inspectRegistration", |attestation_object: String| {
            crate::inspect_registration(&attestation_object)
        }),
        export1(
            cfg,
            "inspectAuthenticatorData",
            |authenticator_data: String| crate::inspect_authenticator_data(&authenticator_data),
        ),
        export1(cfg, "registrableDomain", |rp_id: String| {
            crate::rp_id::registrable_domain(&rp_id)
        }),
        export1(cfg, "checkSignal", crate::check_signal),
    ]
}

fn camel_case(snake: &str) -> String {
    let mut parts = snake.split('_');
    let first = parts.next().unwrap_or_default().to_owned();
    parts.fold(first, |mut name, part| {
        let mut chars = part.chars();
        if let Some(initial) = chars.next() {
            name.extend(initial.to_uppercase());
            name.push_str(chars.as_str());
        }
        name
    })
}

/// The exports wasm.rs declares, as (JavaScript name, camelCase parameter names), read from its source because
/// it only compiles for wasm32.
fn declared_exports() -> Vec<(String, Vec<String>)> {
    let source = include_str!("wasm.rs");
    source
        .split("#[wasm_bindgen(js_name = ")
        .skip(1)
        .map(|item| {
            let (name, rest) = item.split_once(')').expect("js_name is closed");
            let params_start = rest.find('(').expect("the export has parameters") + 1;
            let params_end = params_start + rest[params_start..].find(')').expect("parameters end");
            let params = rest[params_start..params_end]
                .split(',')
                .filter_map(|param| param.split_once(':'))
                .map(|(param, _)| camel_case(param.trim()))
                .collect();
            (name.to_owned(), params)
        })
        .collect()
}

fn core_api(cfg: &Config) -> String {
    let declared = declared_exports();
    let exports = exports(cfg);
    let names = |list: &mut dyn Iterator<Item = String>| list.collect::<BTreeSet<_>>();
    assert_eq!(
        names(&mut declared.iter().map(|(name, _)| name.clone())),
        names(&mut exports.iter().map(|export| export.name.to_owned())),
        "typescript.rs must describe exactly the exports of wasm.rs"
    );
    let mut text = String::from(
        "/** The exports of keyplace_core.js (wasm.rs). Each throws a CoreError on failure. */\n\
         export interface CoreApi {\n",
    );
    for (name, param_names) in &declared {
        let export = exports.iter().find(|export| export.name == name).unwrap();
        assert_eq!(
            param_names.len(),
            export.params.len(),
            "{name}: typescript.rs and wasm.rs disagree on the number of parameters"
        );
        let params: Vec<String> = param_names
            .iter()
            .zip(&export.params)
            .map(|(param, ty)| format!("{param}: {ty}"))
            .collect();
        text.push_str(&format!(
            "  {name}({}): {};\n",
            params.join(", "),
            export.returns
        ));
    }
    text.push_str("}\n");
    text
}

fn render() -> String {
    let cfg = config();
    let declarations = declarations(&cfg);
    let declared: BTreeSet<&str> = declarations.iter().map(|d| d.ident.as_str()).collect();
    let mut text = String::from(HEADER);
    for declaration in &declarations {
        for dependency in &declaration.refers_to {
            assert!(
                declared.contains(dependency.as_str()),
                "{} refers to {dependency}, which typescript.rs does not declare",
                declaration.ident
            );
        }
        text.push('\n');
        text.push_str(&declaration.text);
    }
    text.push('\n');
    text.push_str(&core_api(&cfg));
    text
}

#[test]
fn generated_typescript_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(GENERATED_PATH);
    let rendered = render();
    if std::env::var_os("KEYPLACE_UPDATE_GENERATED").is_some_and(|value| value == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "{GENERATED_PATH} is out of date with the Rust types; refresh it with \
         KEYPLACE_UPDATE_GENERATED=1 cargo test -p keyplace-core generated_typescript"
    );
}

#[test]
fn parameter_names_are_camel_case() {
    assert_eq!(camel_case("attestation_object"), "attestationObject");
    assert_eq!(camel_case("rp_id"), "rpId");
    assert_eq!(camel_case("key"), "key");
}
