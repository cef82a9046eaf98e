//! `recovery`: a recovery sheet from the popup (ARCHITECTURE.md rule 10), as the CLI's `keyplace-host recovery …`
//! does it: make one (a printed code that counts as one of your devices), approve a copy or a new computer with its
//! code instead of a device's PIN, and restore a backup made for it on a computer in no ring yet. Every check is the
//! devices module's (`crate::devices`, devices/recovery.rs); this file only maps the actions to it and its answers
//! to the wire. The code, like a PIN, is a `Pin`: wiped from memory when dropped and never logged.

use super::devices::device_row;
use super::Service;
use crate::protocol::{
    B64u, CopyApproveAnswer, DeviceRow, ErrorBody, ImportedRow, Pin, RecoveryAnswer, RecoveryParams,
};

impl Service {
    pub(super) fn recovery(&self, params: RecoveryParams) -> Result<RecoveryAnswer, ErrorBody> {
        let devices = self.device_ring();
        let mut answer = Made::default();
        match params {
            RecoveryParams::Make { name, pin } => {
                let made = devices.make_recovery_sheet(name.trim(), pin.as_str())?;
                answer.sheet = devices
                    .list()?
                    .into_iter()
                    .find(|d| d.short_id == made.short_id)
                    .map(device_row);
                answer.code = Some(Pin::new(made.code.as_str()));
                answer.ring = Some(made.ring);
            }
            RecoveryParams::ApproveCopy { request, code } => {
                let summary = devices.inspect_copy(&request)?;
                let approval = devices.approve_copy_with_sheet(&request, code.as_str())?;
                answer.approval = Some(CopyApproveAnswer {
                    approval,
                    source: summary.source,
                    target: summary.target,
                    chip_held: summary.chip_held,
                });
            }
            RecoveryParams::ApproveJoin { request, code } => {
                answer.ring = Some(devices.approve_join_with_sheet(request.trim(), code.as_str())?);
                answer.ring_code = Some(devices.ring_code()?);
            }
            RecoveryParams::Restore {
                name,
                code,
                request,
                approval,
                pin,
            } => {
                let approval = Some(approval.as_str()).filter(|a| !a.trim().is_empty());
                let (_, imported) = devices.restore_with_sheet(
                    name.trim(),
                    code.as_str(),
                    &request,
                    approval,
                    pin.as_str(),
                )?;
                answer.imported = Some(
                    imported
                        .into_iter()
                        .map(|p| ImportedRow {
                            credential_id: B64u(p.credential_id),
                            rp_id: p.rp_id,
                            user_name: p.user_name,
                        })
                        .collect(),
                );
                answer.ring_code = Some(devices.ring_code()?);
            }
        }
        Ok(RecoveryAnswer {
            code: answer.code,
            sheet: answer.sheet,
            ring: answer.ring,
            ring_code: answer.ring_code,
            approval: answer.approval,
            imported: answer.imported,
            devices: self.devices()?,
        })
    }
}

/// What an action made, before the devices are listed after it.
#[derive(Default)]
struct Made {
    code: Option<Pin>,
    sheet: Option<DeviceRow>,
    ring: Option<String>,
    ring_code: Option<String>,
    approval: Option<CopyApproveAnswer>,
    imported: Option<Vec<ImportedRow>>,
}

#[cfg(test)]
mod tests {
    use keyplace_core::authenticator_data::{FLAG_BS, FLAG_UP};
    use serde_json::{json, Value};

    use crate::protocol::ErrorCode;
    use crate::service::test_fixtures::{authenticator_data, call, create, decode, service, sign};

    const PIN: &str = "471100";

    /// The code with one character changed: what a typo looks like (the check bytes catch it).
    fn typo(code: &str) -> String {
        let mut chars: Vec<char> = code.chars().collect();
        let at = chars.len() - 4;
        chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect()
    }

    fn names(answer: &Value) -> Vec<(&str, bool)> {
        answer["devices"]["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["name"].as_str().unwrap(),
                    d["recovery_sheet"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    }

    /// One computer and its sheet over the protocol: the sheet is listed as one, approves a backup and a new
    /// computer (both screens show the same ring code), a mistyped code is refused with its reason and changes
    /// nothing, and a computer in no ring restores the backup, which signs there.
    #[test]
    fn a_sheet_made_approves_a_copy_and_a_join_and_restores_on_a_new_computer() {
        let (_a, desktop) = service();
        let (_b, laptop) = service();
        let (_c, new_desktop) = service();
        let created = create(&desktop, "example.com", Some(PIN)).unwrap();
        let id = created["credential_id"].clone();
        call(
            &desktop,
            "ring",
            json!({"action": "start", "name": "desktop", "pin": PIN}),
        )
        .unwrap();

        let wrong_pin = call(
            &desktop,
            "recovery",
            json!({"action": "make", "name": "paper", "pin": "000000"}),
        )
        .unwrap_err();
        assert_eq!(wrong_pin.code, ErrorCode::WrongPin);
        let made = call(
            &desktop,
            "recovery",
            json!({"action": "make", "name": " paper ", "pin": PIN}),
        )
        .unwrap();
        let code = made["code"].as_str().unwrap().to_owned();
        assert!(code.starts_with("KPRS1-"), "{code}");
        assert_eq!(made["sheet"]["name"], "paper");
        assert_eq!(made["sheet"]["recovery_sheet"], true);
        assert_eq!(names(&made), [("desktop", false), ("paper", true)]);
        assert!(made["ring"].as_str().unwrap().contains("ring"));
        // The code is shown once: listing the devices again never gives it.
        let listed = call(&desktop, "devices", json!({})).unwrap();
        assert!(!listed.to_string().contains(&code[6..]));

        // The backup: a copy to the sheet, approved by the sheet typed in on the desktop itself.
        let asked = call(
            &desktop,
            "copy_request",
            json!({"credential_ids": [id], "to": "paper", "pin": PIN}),
        )
        .unwrap();
        let request = asked["request"].as_str().unwrap();
        for bad in [typo(&code), "KPRS1-AAAAA".into(), String::new()] {
            let refused = call(
                &desktop,
                "recovery",
                json!({"action": "approve_copy", "request": request, "code": bad}),
            )
            .unwrap_err();
            assert_eq!(refused.code, ErrorCode::BadRequest);
            assert!(refused.message.contains("mistyped"), "{}", refused.message);
        }
        let approved = call(
            &desktop,
            "recovery",
            json!({"action": "approve_copy", "request": request, "code": code.to_lowercase()}),
        )
        .unwrap();
        assert_eq!(approved["approval"]["target"], "paper");
        assert_eq!(approved["approval"]["source"], "desktop");
        let approval = approved["approval"]["approval"].as_str().unwrap();

        // A new computer joins by the sheet's approval; a typo first adds nothing.
        let join = call(
            &laptop,
            "ring",
            json!({"action": "join", "name": "laptop", "pin": PIN}),
        )
        .unwrap();
        let join_request = join["request"].as_str().unwrap();
        let refused = call(
            &desktop,
            "recovery",
            json!({"action": "approve_join", "request": join_request, "code": typo(&code)}),
        )
        .unwrap_err();
        assert_eq!(refused.code, ErrorCode::BadRequest);
        assert_eq!(
            names(
                &call(
                    &desktop,
                    "ring",
                    json!({"action": "inspect", "request": join_request})
                )
                .unwrap()
            ),
            [("desktop", false), ("paper", true)]
        );
        let joined = call(
            &desktop,
            "recovery",
            json!({"action": "approve_join", "request": join_request, "code": code}),
        )
        .unwrap();
        assert_eq!(
            names(&joined),
            [("desktop", false), ("paper", true), ("laptop", false)]
        );
        assert_eq!(joined["devices"]["devices"][2]["approved_by"], "paper");
        let accepted = call(
            &laptop,
            "ring",
            json!({"action": "accept", "ring": joined["ring"]}),
        )
        .unwrap();
        assert_eq!(accepted["ring_code"], joined["ring_code"]);
        // The laptop sees the sheet as one too: the mark is in the sheet's own card.
        assert!(names(&accepted).contains(&("paper", true)));

        // Restoring needs a computer in no ring yet.
        let enrolled = call(
            &laptop,
            "recovery",
            json!({"action": "restore", "name": "again", "code": code, "request": request,
                   "approval": approval, "pin": PIN}),
        )
        .unwrap_err();
        assert_eq!(enrolled.code, ErrorCode::BadRequest);
        let mistyped = call(
            &new_desktop,
            "recovery",
            json!({"action": "restore", "name": "new-desktop", "code": typo(&code), "request": request,
                   "approval": approval, "pin": PIN}),
        )
        .unwrap_err();
        assert!(
            mistyped.message.contains("mistyped"),
            "{}",
            mistyped.message
        );
        assert_eq!(
            call(&new_desktop, "devices", json!({})).unwrap()["this_device"],
            Value::Null
        );
        let restored = call(
            &new_desktop,
            "recovery",
            json!({"action": "restore", "name": "new-desktop", "code": code, "request": request,
                   "approval": approval, "pin": PIN}),
        )
        .unwrap();
        assert_eq!(
            restored["imported"],
            json!([{"credential_id": id, "rp_id": "example.com", "user_name": "alice"}])
        );
        assert_eq!(restored["devices"]["this_device"]["enrolled"], true);
        assert_eq!(restored["devices"]["this_device"]["approved_by"], "paper");
        assert_eq!(restored["ring_code"].as_str().unwrap().len(), 14);
        let data = authenticator_data("example.com", FLAG_UP, 0);
        let signed = sign(&new_desktop, &id, &data, Some(PIN), false).unwrap();
        assert_eq!(decode(&signed["authenticator_data"])[32] & FLAG_BS, FLAG_BS);
    }

    #[test]
    fn an_unknown_action_or_a_missing_code_is_a_bad_request() {
        let (_a, desktop) = service();
        for params in [
            json!({"action": "print"}),
            json!({"action": "approve_copy", "request": "{}"}),
        ] {
            let refused = call(&desktop, "recovery", params).unwrap_err();
            assert_eq!(refused.code, ErrorCode::BadRequest);
        }
        // Not in a ring: no sheet can be made.
        let refused = call(
            &desktop,
            "recovery",
            json!({"action": "make", "name": "paper", "pin": PIN}),
        )
        .unwrap_err();
        assert_ne!(refused.code, ErrorCode::Internal);
    }
}
