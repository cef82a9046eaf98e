//! The public templates of the SRK and of passkey keys, and the check that a stored key really is one of ours.

use tss_esapi::attributes::{ObjectAttributes, ObjectAttributesBuilder};
use tss_esapi::interface_types::algorithm::{HashingAlgorithm, PublicAlgorithm};
use tss_esapi::interface_types::ecc::EccCurve;
use tss_esapi::structures::{
    EccPoint, EccScheme, HashScheme, KeyDerivationFunctionScheme, KeyedHashScheme, Public,
    PublicBuilder, PublicEccParametersBuilder, PublicKeyedHashParameters,
    SymmetricDefinitionObject,
};

/// The owner-hierarchy storage key, the same every time for the same TPM (like `tpm2_createprimary -C o -g sha256
/// -G ecc256:aes128cfb`), so nothing needs to be persisted in the chip. noDA: it has an empty auth anyway.
pub fn srk() -> tss_esapi::Result<Public> {
    let attributes = ObjectAttributesBuilder::new()
        .with_fixed_tpm(true)
        .with_fixed_parent(true)
        .with_sensitive_data_origin(true)
        .with_user_with_auth(true)
        .with_no_da(true)
        .with_restricted(true)
        .with_decrypt(true)
        .build()?;
    PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::Ecc)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(attributes)
        .with_ecc_parameters(
            PublicEccParametersBuilder::new_restricted_decryption_key(
                SymmetricDefinitionObject::AES_128_CFB,
                EccCurve::NistP256,
            )
            .build()?,
        )
        .with_ecc_unique_identifier(EccPoint::default())
        .build()
}

/// ARCHITECTURE.md rule 5: created inside the chip (sensitiveDataOrigin), never leaves it (fixedTPM, fixedParent), used with
/// its authValue = the PIN (userWithAuth), and *without* noDA so wrong PINs count toward the chip's lockout.
fn passkey_attributes() -> tss_esapi::Result<ObjectAttributes> {
    ObjectAttributesBuilder::new()
        .with_fixed_tpm(true)
        .with_fixed_parent(true)
        .with_sensitive_data_origin(true)
        .with_user_with_auth(true)
        .with_sign_encrypt(true)
        .build()
}

/// An unrestricted ECDSA P-256 / SHA-256 signing key.
pub fn passkey() -> tss_esapi::Result<Public> {
    PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::Ecc)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(passkey_attributes()?)
        .with_ecc_parameters(
            PublicEccParametersBuilder::new()
                .with_ecc_scheme(EccScheme::EcDsa(HashScheme::new(HashingAlgorithm::Sha256)))
                .with_curve(EccCurve::NistP256)
                .with_is_signing_key(true)
                .with_is_decryption_key(false)
                .with_restricted(false)
                .with_key_derivation_function_scheme(KeyDerivationFunctionScheme::Null)
                .build()?,
        )
        .with_ecc_unique_identifier(EccPoint::default())
        .build()
}

/// Whether a public area (from the chip or from the database) is a passkey key as `passkey()` makes them: exactly
/// those attributes, no auth policy (so no policy could ever allow duplication), P-256.
pub fn is_passkey(public: &Public) -> bool {
    let Ok(expected) = passkey_attributes() else {
        return false;
    };
    match public {
        Public::Ecc {
            object_attributes,
            auth_policy,
            parameters,
            name_hashing_algorithm,
            ..
        } => {
            *object_attributes == expected
                && auth_policy.is_empty()
                && parameters.ecc_curve() == EccCurve::NistP256
                && *name_hashing_algorithm == HashingAlgorithm::Sha256
        }
        _ => false,
    }
}

/// The vault's sealed data key: a keyedhash sealed-data object (neither sign nor decrypt) that only this chip can
/// load (fixedTPM, fixedParent), unsealed with its authValue (userWithAuth, derived from the vault PIN), *without*
/// noDA so wrong PINs count toward the chip's lockout. The data comes from the host, so no sensitiveDataOrigin.
fn sealed_secret_attributes() -> tss_esapi::Result<ObjectAttributes> {
    ObjectAttributesBuilder::new()
        .with_fixed_tpm(true)
        .with_fixed_parent(true)
        .with_user_with_auth(true)
        .build()
}

pub fn sealed_secret() -> tss_esapi::Result<Public> {
    PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::KeyedHash)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(sealed_secret_attributes()?)
        .with_keyed_hash_parameters(PublicKeyedHashParameters::new(KeyedHashScheme::Null))
        .with_keyed_hash_unique_identifier(Default::default())
        .build()
}

/// Whether a stored public area is a sealed secret exactly as `sealed_secret()` makes them (so a blob written into
/// the database by someone else, say one with noDA or a policy, is refused before the chip sees a PIN).
pub fn is_sealed_secret(public: &Public) -> bool {
    let Ok(expected) = sealed_secret_attributes() else {
        return false;
    };
    match public {
        Public::KeyedHash {
            object_attributes,
            auth_policy,
            name_hashing_algorithm,
            parameters,
            ..
        } => {
            *object_attributes == expected
                && auth_policy.is_empty()
                && *name_hashing_algorithm == HashingAlgorithm::Sha256
                && *parameters == PublicKeyedHashParameters::new(KeyedHashScheme::Null)
        }
        _ => false,
    }
}

/// The key's public point as SEC1 uncompressed bytes (the TPM may drop leading zero bytes: pad them back).
pub fn sec1_point(public: &Public) -> Option<Vec<u8>> {
    let Public::Ecc { unique, .. } = public else {
        return None;
    };
    let (x, y) = (unique.x().value(), unique.y().value());
    if x.len() > 32 || y.len() > 32 {
        return None;
    }
    let mut point = vec![0u8; 65];
    point[0] = 0x04;
    point[33 - x.len()..33].copy_from_slice(x);
    point[65 - y.len()..].copy_from_slice(y);
    Some(point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_passkey_template_is_non_duplicable_and_counts_wrong_pins() {
        let public = passkey().unwrap();
        let Public::Ecc {
            object_attributes: a,
            ..
        } = &public
        else {
            panic!("not ECC")
        };
        assert!(a.fixed_tpm() && a.fixed_parent() && a.sensitive_data_origin());
        assert!(a.user_with_auth() && a.sign_encrypt());
        assert!(!a.no_da() && !a.decrypt() && !a.restricted() && !a.admin_with_policy());
        assert!(is_passkey(&public));
        assert!(!is_passkey(&srk().unwrap()));
    }

    #[test]
    fn the_sealed_secret_stays_in_this_chip_and_counts_wrong_pins() {
        let public = sealed_secret().unwrap();
        let Public::KeyedHash {
            object_attributes: a,
            ..
        } = &public
        else {
            panic!("not a keyedhash object")
        };
        assert!(a.fixed_tpm() && a.fixed_parent() && a.user_with_auth());
        assert!(!a.no_da() && !a.sign_encrypt() && !a.decrypt() && !a.admin_with_policy());
        assert!(is_sealed_secret(&public));
        assert!(!is_sealed_secret(&passkey().unwrap()));
        assert!(!is_passkey(&public));
    }
}
