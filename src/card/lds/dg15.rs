//! DG15: the active authentication public key (ICAO 9303-11 §6.1).
//!
//! ```text
//! 6F L  SubjectPublicKeyInfo     (RSA, or EC with named or explicit parameters)
//! ```
//!
//! The SubjectPublicKeyInfo is decoded with the `spki` crate and kept as the
//! exact DER the chip stores: active authentication (`chip_auth`) turns it into
//! a verifying key, matching explicit EC domain parameters against the standard
//! curves there. Here only the key family is decided, because it fixes the
//! signature scheme (RSA: ISO/IEC 9796-2; EC: ECDSA with the hash from DG14's
//! ActiveAuthenticationInfo).

use const_oid::ObjectIdentifier;
use der::Decode;
use spki::SubjectPublicKeyInfoRef;

use super::error::{Ef, LdsError};
use crate::card::tlv;

/// Tag of EF.DG15 (9303-10 Table 34).
pub const TAG: u32 = 0x6F;
const EF: Ef = Ef::Dg(15);
/// rsaEncryption (PKCS #1).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-ecPublicKey (RFC 5480).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// The chip's active authentication key: proof against cloning when the chip
/// signs a challenge with its private half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg15 {
    /// SubjectPublicKeyInfo, DER, exactly as stored on the chip.
    pub spki: Vec<u8>,
    /// Key family, "rsa" or "ec", which fixes the AA signature scheme.
    pub algorithm: String,
}

impl Dg15 {
    /// Parse DG15. A key that is neither RSA nor EC is an error: active
    /// authentication could not use it.
    pub fn parse(bytes: &[u8]) -> Result<Self, LdsError> {
        let outer = tlv::expect(bytes, TAG).map_err(|e| LdsError::tlv(EF, "tag 6F", e))?;
        Self::from_spki(outer.value)
    }

    /// Build DG15 content from a DER SubjectPublicKeyInfo (for the emulator, or
    /// a key taken from elsewhere); checks it decodes and is RSA or EC.
    pub fn from_spki(spki: &[u8]) -> Result<Self, LdsError> {
        let part = "SubjectPublicKeyInfo";
        let info =
            SubjectPublicKeyInfoRef::from_der(spki).map_err(|e| LdsError::der(EF, part, e))?;
        let algorithm = match info.algorithm.oid {
            RSA_ENCRYPTION => "rsa",
            EC_PUBLIC_KEY => "ec",
            other => {
                return Err(LdsError::invalid(
                    EF,
                    part,
                    format!("key algorithm {other} is neither RSA nor EC"),
                ))
            }
        };
        Ok(Dg15 {
            spki: spki.to_vec(),
            algorithm: algorithm.to_owned(),
        })
    }

    /// DG15 bytes: the SubjectPublicKeyInfo under tag 6F.
    pub fn encode(&self) -> Vec<u8> {
        tlv::encode(TAG, &self.spki)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;
    use proptest::prelude::*;

    /// RSA-1024 key (openssl genrsa 1024; `rsa -pubout -outform DER`).
    const RSA_SPKI: [u8; 162] = hex!(
        "30819f300d06092a864886f70d010101050003818d0030818902818100ef86f0d99954376e3d212c55088924"
        "e19f1500e60c147103fc00aac8d51271938d2244c4c73d6a682645d70f68ae113016cb589e69f1ddccc91717"
        "555850fe051c59c6214e91041e61b805c3dbd0e67e8a1dda778e5b65de3874a4d7e291bb3997c01262f0cfdb"
        "e1ec559f23a3789a8eed3d468bbf5cadc03ac7089a118c0f9f0203010001"
    );
    /// P-256 key with the named-curve OID.
    const P256_NAMED_SPKI: [u8; 91] = hex!(
        "3059301306072a8648ce3d020106082a8648ce3d030107034200044695707c54f0b9ce42f44624425f8fb28f"
        "9dee87ea9136e24dfaa42f5ef5751f6757c4552cf54faba60a5a844c10c436196958d1c603436d7d90ac0acd"
        "0767e2"
    );
    /// brainpoolP256r1 key with explicit domain parameters (openssl `-param_enc explicit`).
    const BRAINPOOL_EXPLICIT_SPKI: [u8; 311] = hex!(
        "308201333081ec06072a8648ce3d02013081e0020101302c06072a8648ce3d0101022100a9fb57dba1eea9bc"
        "3e660a909d838d726e3bf623d52620282013481d1f6e5377304404207d5a0975fc2c3057eef67530417affe7"
        "fb8055c126dc5c6ce94a4b44f330b5d9042026dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bcc"
        "dc18ff8c07b60441048bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262547ef8"
        "35c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997022100a9fb57dba1eea9bc3e660a90"
        "9d838d718c397aa3b561a6f7901e0e82974856a70201010342000486099e61a05403b16739b66a7e2187ca2f"
        "ece573554df391b0a175cd508f98332d6c0e70eeea2c3e32ab6452871a2eacda5e65c171968c7e662bb3f6cb"
        "0bde6b"
    );

    #[test]
    fn rsa_and_ec_keys_round_trip() {
        for (spki, alg) in [
            (&RSA_SPKI[..], "rsa"),
            (&P256_NAMED_SPKI[..], "ec"),
            (&BRAINPOOL_EXPLICIT_SPKI[..], "ec"),
        ] {
            let dg15 = Dg15::from_spki(spki).unwrap();
            assert_eq!(dg15.algorithm, alg);
            let bytes = dg15.encode();
            assert_eq!(bytes[0], 0x6F);
            let parsed = Dg15::parse(&bytes).unwrap();
            assert_eq!(parsed.spki, spki);
            assert_eq!(parsed, dg15);
        }
        // Literal framing: 6F 81 A2 then the RSA SPKI.
        assert_eq!(
            &Dg15::from_spki(&RSA_SPKI).unwrap().encode()[..3],
            &hex!("6F 81 A2")
        );
    }

    #[test]
    fn errors_name_dg15() {
        let e = Dg15::parse(&hex!("6E 00")).unwrap_err().to_string();
        assert!(e.starts_with("DG15: tag 6F:"), "{e}");
        let e = Dg15::parse(&hex!("6F 03 02 01 01"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("DG15: SubjectPublicKeyInfo:"), "{e}");
        // A DSA key (1.2.840.10040.4.1): decodes, but AA cannot use it.
        let dsa = hex!("6F 12 3010 300B 0607 2A8648CE380401 0500 0301 00");
        let e = Dg15::parse(&dsa).unwrap_err().to_string();
        assert_eq!(
            e,
            "DG15: SubjectPublicKeyInfo: key algorithm 1.2.840.10040.4.1 is neither RSA nor EC"
        );
        let full = Dg15::from_spki(&P256_NAMED_SPKI).unwrap().encode();
        for i in 0..full.len() {
            assert!(Dg15::parse(&full[..i]).is_err(), "truncated at {i}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_random_input(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Dg15::parse(&bytes);
        }

        #[test]
        fn never_panics_on_corrupted_dg15(pos in any::<prop::sample::Index>(), byte in any::<u8>(),
                                          cut in any::<prop::sample::Index>()) {
            let mut b = Dg15::from_spki(&BRAINPOOL_EXPLICIT_SPKI).unwrap().encode();
            let p = pos.index(b.len());
            b[p] = byte;
            b.truncate(cut.index(b.len() + 1));
            let _ = Dg15::parse(&b);
        }
    }
}
