//! `ring`: enrolling this computer in your ring of devices from the popup (ARCHITECTURE.md rule 10), as the CLI's
//! `keyplace-host devices …` does. A new computer joins only when one of your devices approves it: the short code
//! both screens show, then that device's vault PIN. Every check is the devices module's (`crate::devices`); this
//! file only maps the actions to it and its answers to the wire.

use super::Service;
use crate::protocol::{ErrorBody, RingAnswer, RingParams};

impl Service {
    pub(super) fn ring(&self, params: RingParams) -> Result<RingAnswer, ErrorBody> {
        let devices = self.device_ring();
        let (mut request, mut short_code, mut joining, mut ring) = (None, None, None, None);
        let mut ring_code = None;
        match params {
            RingParams::Start { name, pin } => {
                devices.init(name.trim(), pin.as_str())?;
            }
            RingParams::Join { name, pin } => {
                let join = devices.join_request(name.trim(), pin.as_str())?;
                request = Some(join.code);
                short_code = Some(join.short_code);
            }
            RingParams::Inspect { request: text } => {
                let summary = devices.inspect_join(text.trim())?;
                joining = Some(summary.name);
                short_code = Some(summary.short_code);
            }
            RingParams::Approve { request: text, pin } => {
                ring = Some(devices.approve_join(text.trim(), pin.as_str())?);
                ring_code = Some(devices.ring_code()?);
            }
            RingParams::Accept { ring: text } => {
                devices.accept(text.trim())?;
                ring_code = Some(devices.ring_code()?);
            }
            RingParams::Remove { device, pin } => {
                ring = Some(devices.remove(device.trim(), pin.as_str())?);
            }
        }
        Ok(RingAnswer {
            request,
            short_code,
            joining,
            ring,
            ring_code,
            devices: self.devices()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::protocol::ErrorCode;
    use crate::service::test_fixtures::{call, service};

    const PIN: &str = "471100";

    fn names(answer: &Value) -> Vec<&str> {
        answer["devices"]["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect()
    }

    /// Two databases as two computers: the popup's whole enrolment over the protocol, and its refusals typed.
    #[test]
    fn a_new_computer_joins_only_with_an_approval_from_an_enrolled_one() {
        let (_a, desktop) = service();
        let (_b, laptop) = service();
        let (_c, stranger) = service();
        let started = call(
            &desktop,
            "ring",
            json!({"action": "start", "name": "desktop", "pin": PIN}),
        )
        .unwrap();
        assert_eq!(names(&started), ["desktop"]);
        assert_eq!(started.get("ring"), None);

        let join = call(
            &laptop,
            "ring",
            json!({"action": "join", "name": " laptop ", "pin": PIN}),
        )
        .unwrap();
        let request = join["request"].as_str().unwrap();
        assert_eq!(join["devices"]["this_device"]["name"], "laptop");
        assert_eq!(join["devices"]["this_device"]["enrolled"], false);

        // The approving device shows the same short code before any PIN.
        let seen = call(
            &desktop,
            "ring",
            json!({"action": "inspect", "request": request}),
        )
        .unwrap();
        assert_eq!(
            (&seen["joining"], &seen["short_code"]),
            (&json!("laptop"), &join["short_code"])
        );
        // Not enrolled anywhere: the stranger cannot approve; a wrong PIN approves nothing.
        let not_enrolled = call(
            &stranger,
            "ring",
            json!({"action": "approve", "request": request, "pin": PIN}),
        )
        .unwrap_err();
        assert_ne!(not_enrolled.code, ErrorCode::Internal);
        let wrong = call(
            &desktop,
            "ring",
            json!({"action": "approve", "request": request, "pin": "0000"}),
        )
        .unwrap_err();
        assert_eq!(wrong.code, ErrorCode::WrongPin);
        let tampered = request.replace(&request[10..14], "AAAA");
        assert!(call(
            &desktop,
            "ring",
            json!({"action": "inspect", "request": tampered})
        )
        .is_err());

        let approved = call(
            &desktop,
            "ring",
            json!({"action": "approve", "request": request, "pin": PIN}),
        )
        .unwrap();
        assert_eq!(names(&approved), ["desktop", "laptop"]);
        let ring = approved["ring"].as_str().unwrap();
        // The ring file is no use to a computer it did not enrol.
        assert!(call(&stranger, "ring", json!({"action": "accept", "ring": ring})).is_err());
        let accepted = call(&laptop, "ring", json!({"action": "accept", "ring": ring})).unwrap();
        // Both screens show the same ring code: the same ring, approved by the device the person used.
        let code = approved["ring_code"].as_str().unwrap();
        assert_eq!(
            code.chars().filter(char::is_ascii_digit).count(),
            12,
            "{code}"
        );
        assert_eq!(accepted["ring_code"], approved["ring_code"]);
        assert_eq!(names(&accepted), ["laptop", "desktop"]);
        assert_eq!(accepted["devices"]["this_device"]["enrolled"], true);
        assert_eq!(accepted["devices"]["devices"][0]["approved_by"], "desktop");

        // Removal is approved the same way (this device's PIN); the last device cannot go.
        let removed = call(
            &laptop,
            "ring",
            json!({"action": "remove", "device": "desktop", "pin": PIN}),
        )
        .unwrap();
        let desktop_row = &removed["devices"]["devices"][1];
        assert_eq!(desktop_row["enrolled"], false);
        let last = call(
            &laptop,
            "ring",
            json!({"action": "remove", "device": "laptop", "pin": PIN}),
        )
        .unwrap_err();
        assert_eq!(last.code, ErrorCode::BadRequest);
        let unknown = call(&laptop, "ring", json!({"action": "dance"})).unwrap_err();
        assert_eq!(unknown.code, ErrorCode::BadRequest);
    }
}
