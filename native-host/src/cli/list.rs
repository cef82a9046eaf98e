//! `list`: the passkeys Keyplace keeps, and where each one is.

use crate::data_dir::{data_dir, DATABASE_FILE};
use crate::metadata::{CredentialRecord, Metadata};
use crate::protocol::StoreId;

pub fn run() -> Result<(), String> {
    let database = data_dir().map_err(|e| e.to_string())?.join(DATABASE_FILE);
    if !database.exists() {
        println!("No passkeys yet.");
        return Ok(());
    }
    let metadata = Metadata::open(&database)
        .map_err(|e| format!("cannot open {}: {e}", database.display()))?;
    let credentials = metadata.credentials(None).map_err(|e| e.to_string())?;
    if credentials.is_empty() {
        println!("No passkeys yet.");
        return Ok(());
    }
    let imported = metadata.imported_from().map_err(|e| e.to_string())?;
    let mut sites: Vec<&str> = credentials.iter().map(|c| c.rp_id.as_str()).collect();
    sites.sort();
    sites.dedup();
    for site in sites {
        println!("{site}");
        for credential in credentials.iter().filter(|c| c.rp_id == site) {
            let from = imported
                .iter()
                .find(|(id, _)| *id == credential.credential_id)
                .map(|(_, from)| from.as_str());
            print_credential(credential, from);
        }
    }
    Ok(())
}

fn print_credential(credential: &CredentialRecord, imported_from: Option<&str>) {
    let account = if credential.user_display_name.is_empty()
        || credential.user_display_name == credential.user_name
    {
        credential.user_name.clone()
    } else {
        format!(
            "{} ({})",
            credential.user_name, credential.user_display_name
        )
    };
    match imported_from {
        Some(from) => println!(
            "  {account}: {} — imported from {from}, was synced",
            location(credential.store)
        ),
        None => println!("  {account}: {}", location(credential.store)),
    }
    let last_used = credential
        .last_used_at
        .map(format_time)
        .unwrap_or_else(|| "never".into());
    println!(
        "    created {}, last used {last_used}, signed in {} time{}",
        format_time(credential.created_at),
        credential.sign_count,
        if credential.sign_count == 1 { "" } else { "s" }
    );
}

pub fn location(store: StoreId) -> &'static str {
    match store {
        StoreId::Vault => "Keyplace vault on this computer",
        StoreId::Hardware => "TPM on this computer (cannot be copied)",
    }
}

/// `YYYY-MM-DD HH:MM UTC` from unix milliseconds, without a date library.
pub fn format_time(unix_ms: i64) -> String {
    let seconds = unix_ms.div_euclid(1000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        second_of_day / 3600,
        second_of_day % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_time(1_764_031_500_000), "2025-11-25 00:45 UTC");
    }
}
