//! Your devices and copies for the popup (ARCHITECTURE.md rule 10): `devices` lists the ring and this device's log
//! of copies; `copy_request`, `copy_inspect`, `copy_approve`, `copy_release` and `copy_import` are the CLI's
//! `keyplace-host copy …`
//! over native messaging. Every check is the devices module's (`crate::devices`); this file only maps its answers
//! to the wire. Enrolling and removing devices: `ring.rs`.

use super::{credential_ids, Service};
use crate::devices::{
    self, CopyLogEntry, DeviceError, DeviceInfo, Devices, ROLE_APPROVED, ROLE_IMPORTED,
};
use crate::protocol::{
    B64u, CopiedPasskeyRow, CopyApproveAnswer, CopyApproveParams, CopyFileKind, CopyImportAnswer,
    CopyImportParams, CopyInspectAnswer, CopyInspectParams, CopyReleaseAnswer, CopyReleaseParams,
    CopyRequestAnswer, CopyRequestParams, CopyRole, CopyRow, DeviceRow, DevicesAnswer, ErrorBody,
    ImportedRow,
};
use crate::stores::vault::Vault;

impl Service {
    /// This computer's devices, with a vault of their own (every operation asks for the PIN) and, on Linux, the TPM
    /// the hardware store uses when it can be reached (where a device signing key made there lives).
    pub(super) fn device_ring(&self) -> Devices {
        let vault = Vault::new(self.metadata.clone());
        #[cfg(target_os = "linux")]
        if self.hardware.probe().is_ok() {
            return Devices::with_tpm(
                self.metadata.clone(),
                vault,
                self.hardware.tcti().to_owned(),
            );
        }
        Devices::new(self.metadata.clone(), vault)
    }

    pub(super) fn devices(&self) -> Result<DevicesAnswer, ErrorBody> {
        let devices = self.device_ring();
        let this_device = devices.this_device_info()?;
        let ring = match devices.list() {
            Ok(ring) => ring,
            Err(DeviceError::NoIdentity | DeviceError::NotEnrolled) => Vec::new(),
            Err(error) => return Err(error.into()),
        };
        let copies = devices.copy_log()?.into_iter().map(copy_row).collect();
        Ok(DevicesAnswer {
            this_device: this_device.map(device_row),
            devices: ring.into_iter().map(device_row).collect(),
            copies,
        })
    }

    pub(super) fn copy_request(
        &self,
        params: CopyRequestParams,
    ) -> Result<CopyRequestAnswer, ErrorBody> {
        let ids =
            credential_ids("credential_ids", Some(params.credential_ids))?.unwrap_or_default();
        let devices = self.device_ring();
        let request = devices.request_copy(&params.to, &ids, params.pin.as_str())?;
        let target = devices.inspect_copy(&request.file)?.target;
        Ok(CopyRequestAnswer {
            request: request.file,
            short_code: request.short_code,
            target,
        })
    }

    pub(super) fn copy_inspect(
        &self,
        params: CopyInspectParams,
    ) -> Result<CopyInspectAnswer, ErrorBody> {
        let summary = self.device_ring().inspect_copy(&params.request)?;
        Ok(CopyInspectAnswer {
            kind: match summary.kind {
                devices::CopyFileKind::Request => CopyFileKind::Request,
                devices::CopyFileKind::Approval => CopyFileKind::Approval,
                devices::CopyFileKind::Package => CopyFileKind::Package,
            },
            source: summary.source,
            target: summary.target,
            approver: summary.approver,
            passkeys: rows(summary.passkeys),
            short_code: summary.short_code,
            chip_held: summary.chip_held,
        })
    }

    pub(super) fn copy_approve(
        &self,
        params: CopyApproveParams,
    ) -> Result<CopyApproveAnswer, ErrorBody> {
        let devices = self.device_ring();
        let summary = devices.inspect_copy(&params.request)?;
        let approval = devices.approve_copy(&params.request, params.pin.as_str())?;
        Ok(CopyApproveAnswer {
            approval,
            source: summary.source,
            target: summary.target,
            chip_held: summary.chip_held,
        })
    }

    pub(super) fn copy_release(
        &self,
        params: CopyReleaseParams,
    ) -> Result<CopyReleaseAnswer, ErrorBody> {
        let released = self.device_ring().release_copy(&params.approval)?;
        Ok(CopyReleaseAnswer {
            package: released.file,
            target: released.target,
            passkeys: rows(released.passkeys),
        })
    }

    pub(super) fn copy_import(
        &self,
        params: CopyImportParams,
    ) -> Result<CopyImportAnswer, ErrorBody> {
        // A copy package holds its approval; a request without one is refused as unapproved.
        let approval = Some(params.approval.as_str()).filter(|a| !a.trim().is_empty());
        let imported =
            self.device_ring()
                .import_copy(&params.request, approval, params.pin.as_str())?;
        Ok(CopyImportAnswer {
            imported: imported
                .into_iter()
                .map(|p| ImportedRow {
                    credential_id: B64u(p.credential_id),
                    rp_id: p.rp_id,
                    user_name: p.user_name,
                })
                .collect(),
        })
    }
}

fn rows(passkeys: Vec<(String, String)>) -> Vec<CopiedPasskeyRow> {
    passkeys
        .into_iter()
        .map(|(rp_id, user_name)| CopiedPasskeyRow { rp_id, user_name })
        .collect()
}

pub(super) fn device_row(device: DeviceInfo) -> DeviceRow {
    DeviceRow {
        id: B64u(device.id),
        short_id: device.short_id,
        name: device.name,
        this_device: device.this_device,
        enrolled: device.enrolled,
        approved_by: device.approved_by,
        added_at: device.added_at,
        removed_by: device.removed_by,
        recovery_sheet: device.recovery_sheet,
    }
}

fn copy_row(entry: CopyLogEntry) -> CopyRow {
    let role = match entry.role.as_str() {
        ROLE_APPROVED => CopyRole::Approved,
        ROLE_IMPORTED => CopyRole::Imported,
        _ => CopyRole::Requested,
    };
    CopyRow {
        credential_id: B64u(entry.credential_id),
        rp_id: entry.rp_id,
        user_name: entry.user_name,
        role,
        source: entry.source,
        target: entry.target,
        approver: entry.approver,
        at: entry.at,
    }
}

#[cfg(test)]
mod tests {
    use keyplace_core::authenticator_data::{FLAG_BS, FLAG_UP};
    use serde_json::{json, Value};

    use crate::protocol::ErrorCode;
    use crate::service::test_fixtures::{authenticator_data, call, create, service, sign};
    use crate::service::Service;

    const PIN: &str = "471100";

    /// `new` joins the ring `first` started, approved there (enrolling stays with the CLI's functions).
    fn enroll(first: &Service, new: &Service, name: &str) {
        let join = new.device_ring().join_request(name, PIN).unwrap();
        let pending = call(new, "devices", json!({})).unwrap();
        assert_eq!(pending["this_device"]["name"], name);
        assert_eq!(pending["this_device"]["enrolled"], false);
        assert_eq!(pending["devices"], json!([]));
        let ring = first.device_ring().approve_join(&join.code, PIN).unwrap();
        new.device_ring().accept(&ring).unwrap();
    }

    fn names(answer: &Value) -> Vec<&str> {
        answer["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect()
    }

    /// Source, approver and target as three databases: the popup's whole path over the protocol, with the devices
    /// module's refusals as typed errors.
    #[test]
    fn a_copy_asked_approved_elsewhere_and_imported_signs_on_the_target() {
        let (_a_dir, desktop) = service();
        let (_b_dir, laptop) = service();
        let (_c_dir, laptop_2) = service();
        assert_eq!(
            call(&desktop, "devices", json!({})).unwrap(),
            json!({"this_device": null, "devices": [], "copies": []})
        );
        let created = create(&desktop, "example.com", Some(PIN)).unwrap();
        let id = created["credential_id"].clone();
        desktop.device_ring().init("desktop", PIN).unwrap();
        enroll(&desktop, &laptop, "laptop");
        enroll(&desktop, &laptop_2, "laptop-2");

        let listed = call(&desktop, "devices", json!({})).unwrap();
        assert_eq!(names(&listed), ["desktop", "laptop", "laptop-2"]);
        assert_eq!(listed["devices"][0]["this_device"], true);
        assert_eq!(listed["devices"][1]["approved_by"], "desktop");
        assert_eq!(listed["this_device"], listed["devices"][0]);

        let unknown = call(
            &desktop,
            "copy_request",
            json!({"credential_ids": [id], "to": "tablet", "pin": PIN}),
        )
        .unwrap_err();
        assert_eq!(unknown.code, ErrorCode::NotFound);
        let nothing = call(
            &desktop,
            "copy_request",
            json!({"credential_ids": [], "to": "laptop-2", "pin": PIN}),
        )
        .unwrap_err();
        assert_eq!(nothing.code, ErrorCode::BadRequest);

        let asked = call(
            &desktop,
            "copy_request",
            json!({"credential_ids": [id], "to": "Laptop-2", "pin": PIN}),
        )
        .unwrap();
        assert_eq!(asked["target"], "laptop-2");
        let request = asked["request"].as_str().unwrap();
        let inspected = call(&laptop, "copy_inspect", json!({"request": request})).unwrap();
        assert_eq!(inspected["short_code"], asked["short_code"]);
        assert_eq!(inspected["source"], "desktop");
        assert_eq!(
            inspected["passkeys"],
            json!([{"rp_id": "example.com", "user_name": "alice"}])
        );

        let by_source = call(
            &desktop,
            "copy_approve",
            json!({"request": request, "pin": PIN}),
        )
        .unwrap_err();
        assert_eq!(by_source.code, ErrorCode::BadRequest);
        assert!(
            by_source
                .message
                .contains("only by the device it comes from"),
            "{}",
            by_source.message
        );
        let wrong = call(
            &laptop,
            "copy_approve",
            json!({"request": request, "pin": "0000"}),
        )
        .unwrap_err();
        assert_eq!(wrong.code, ErrorCode::WrongPin);
        let approved = call(
            &laptop,
            "copy_approve",
            json!({"request": request, "pin": PIN}),
        )
        .unwrap();
        assert_eq!(approved["target"], "laptop-2");
        let approval = approved["approval"].as_str().unwrap();

        let elsewhere = call(
            &laptop,
            "copy_import",
            json!({"request": request, "approval": approval, "pin": PIN}),
        )
        .unwrap_err();
        assert!(
            elsewhere.message.contains("addressed to another device"),
            "{}",
            elsewhere.message
        );
        let unapproved = call(
            &laptop_2,
            "copy_import",
            json!({"request": request, "approval": " ", "pin": PIN}),
        )
        .unwrap_err();
        assert_eq!(unapproved.code, ErrorCode::BadRequest);
        let imported = call(
            &laptop_2,
            "copy_import",
            json!({"request": request, "approval": approval, "pin": PIN}),
        )
        .unwrap();
        assert_eq!(
            imported["imported"],
            json!([{"credential_id": id, "rp_id": "example.com", "user_name": "alice"}])
        );
        let replayed = call(
            &laptop_2,
            "copy_import",
            json!({"request": request, "approval": approval, "pin": PIN}),
        )
        .unwrap_err();
        assert!(
            replayed.message.contains("used once"),
            "{}",
            replayed.message
        );

        let data = authenticator_data("example.com", FLAG_UP, 0);
        let signed = sign(&laptop_2, &id, &data, Some(PIN), false).unwrap();
        let flags = crate::service::test_fixtures::decode(&signed["authenticator_data"])[32];
        assert_eq!(flags & FLAG_BS, FLAG_BS);

        let at_source = call(&desktop, "devices", json!({})).unwrap();
        assert_eq!(at_source["copies"][0]["role"], "requested");
        assert_eq!(at_source["copies"][0]["target"], "laptop-2");
        assert_eq!(at_source["copies"][0]["approver"], Value::Null);
        let at_target = call(&laptop_2, "devices", json!({})).unwrap();
        let copy = &at_target["copies"][0];
        assert_eq!(copy["credential_id"], id);
        assert_eq!(
            (&copy["role"], &copy["source"], &copy["approver"]),
            (&json!("imported"), &json!("desktop"), &json!("laptop"))
        );
        assert_eq!(names(&at_target)[0], "laptop-2");
    }
}
