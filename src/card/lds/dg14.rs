//! DG14 and EF.CardAccess: SecurityInfos (ICAO 9303-11 §9.2, BSI TR-03110-3 A.1).
//!
//! ```text
//! DG14          6E L  SET OF SecurityInfo
//! EF.CardAccess       SET OF SecurityInfo          (same content, no 6E wrapper)
//! SecurityInfo ::= SEQUENCE { protocol OBJECT IDENTIFIER, requiredData ANY, optionalData ANY OPTIONAL }
//! ```
//!
//! The outer framing (6E, the SET) is BER-TLV read with [`crate::card::tlv`]; each
//! SecurityInfo is DER and decoded with the `der` crate, the chip authentication
//! key as a `spki` SubjectPublicKeyInfo (its parameters may be a named curve or
//! explicit domain parameters: both are kept as the DER the chip stores).
//!
//! The SET is accepted in any order: DER wants SET OF sorted, chips do not all
//! comply, and the reader only needs the entries. The kind is decided by the
//! protocol OID (9303-11 §9.2.1 ff.):
//! - `id-PACE.x.y` (0.4.0.127.0.7.2.2.4.x.y) → [`SecurityInfoKind::PaceInfo`]
//! - `id-CA.x.y` (0.4.0.127.0.7.2.2.3.x.y) → [`SecurityInfoKind::ChipAuthenticationInfo`]
//! - `id-PK.x` (0.4.0.127.0.7.2.2.1.x) → [`SecurityInfoKind::ChipAuthenticationPublicKeyInfo`]
//! - `id-TA` (0.4.0.127.0.7.2.2.2) → [`SecurityInfoKind::TerminalAuthenticationInfo`]
//! - `id-AA` (2.23.136.1.1.5, 9303-11 §6.1) → [`SecurityInfoKind::ActiveAuthenticationInfo`]
//! - anything else (domain parameter infos, EFDIR, …) → [`SecurityInfoKind::Other`], kept as DER.

use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Decode, Encode, Reader};
use spki::SubjectPublicKeyInfoRef;

use super::error::{Ef, LdsError};
use crate::card::tlv;

/// Tag of EF.DG14 (9303-10 Table 34).
pub const TAG: u32 = 0x6E;
const SET: u32 = 0x31;

/// id-PK: chip authentication public keys (BSI TR-03110-3 A.1.1).
pub const ID_PK: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.1");
/// id-TA: terminal authentication (its presence means DG3 is EAC-protected).
pub const ID_TA: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.2");
/// id-CA: chip authentication protocols.
pub const ID_CA: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3");
/// id-PACE: PACE protocols (9303-11 §9.2.1).
pub const ID_PACE: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4");
/// id-AA: active authentication info (9303-11 §6.1).
pub const ID_AA: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.5");
/// id-PK-ECDH: an elliptic-curve chip authentication key.
pub const ID_PK_ECDH: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.1.2");
/// id-CA-ECDH-AES-CBC-CMAC-128, the CCCD's chip authentication (cccd-chip.md §1).
pub const ID_CA_ECDH_AES_CBC_CMAC_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.2");
/// id-PACE-ECDH-GM-AES-CBC-CMAC-128, the CCCD's PACE (cccd-chip.md §1).
pub const ID_PACE_ECDH_GM_AES_CBC_CMAC_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.2");

/// One SecurityInfo: the protocol OID in dotted form and what it says, so the
/// PACE, chip and active authentication code can pick what they support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityInfo {
    /// Protocol OID, dotted ("0.4.0.127.0.7.2.2.4.2.2").
    pub oid: String,
    /// The decoded content, by protocol.
    pub kind: SecurityInfoKind,
}

/// The content of a [`SecurityInfo`], by the family of its protocol OID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityInfoKind {
    /// ChipAuthenticationInfo (9303-11 §9.2.5): which CA protocol, for which key.
    ChipAuthenticationInfo {
        /// Protocol version (1 or 2).
        version: u64,
        /// Key it applies to, when the chip has several.
        key_id: Option<u64>,
    },
    /// ChipAuthenticationPublicKeyInfo (9303-11 §9.2.6): the chip's static CA key.
    ChipAuthenticationPublicKeyInfo {
        /// SubjectPublicKeyInfo, DER, exactly as stored (named or explicit EC parameters, or DH).
        spki: Vec<u8>,
        /// Key identifier, when the chip has several.
        key_id: Option<u64>,
    },
    /// PACEInfo (9303-11 §9.2.1): PACE protocol and standardized domain parameters.
    PaceInfo {
        /// Protocol version (2 for ICAO PACE).
        version: u64,
        /// Standardized domain parameter id (9303-11 Table 6; 13 = brainpoolP256r1).
        parameter_id: Option<u64>,
    },
    /// TerminalAuthenticationInfo (TR-03110-3 A.1.1.3): EAC, so DG3 needs TA.
    TerminalAuthenticationInfo {
        /// Protocol version.
        version: u64,
    },
    /// ActiveAuthenticationInfo (9303-11 §6.1): the signature algorithm of an
    /// ECDSA active authentication key in DG15.
    ActiveAuthenticationInfo {
        /// Protocol version (1).
        version: u64,
        /// Signature algorithm OID, dotted (e.g. ecdsa-with-SHA256 1.2.840.10045.4.3.2).
        signature_algorithm: String,
    },
    /// Any other SecurityInfo: the DER after the protocol OID, kept for re-encoding.
    Other {
        /// requiredData and optionalData, DER.
        data: Vec<u8>,
    },
}

/// The parsed DG14: the chip's SecurityInfos, in the chip's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg14 {
    /// Every SecurityInfo in the file.
    pub security_infos: Vec<SecurityInfo>,
}

impl Dg14 {
    /// Parse DG14 (`6E { SET OF SecurityInfo }`).
    pub fn parse(bytes: &[u8]) -> Result<Self, LdsError> {
        let ef = Ef::Dg(14);
        let outer = tlv::expect(bytes, TAG).map_err(|e| LdsError::tlv(ef, "tag 6E", e))?;
        let set = tlv::expect(outer.value, SET)
            .map_err(|e| LdsError::tlv(ef, "SET OF SecurityInfo", e))?;
        Ok(Dg14 {
            security_infos: parse_set(set.value, ef)?,
        })
    }

    /// DG14 bytes for the emulator, SecurityInfos in the given order. Fails only
    /// on an OID string that is not a valid dotted OID.
    pub fn encode(&self) -> Result<Vec<u8>, LdsError> {
        Ok(tlv::encode(
            TAG,
            &encode_set(&self.security_infos, Ef::Dg(14))?,
        ))
    }

    /// The chip authentication public keys (id-PK-*), with their key ids, for chip authentication.
    pub fn chip_authentication_keys(&self) -> impl Iterator<Item = (&[u8], Option<u64>)> {
        self.security_infos.iter().filter_map(|i| match &i.kind {
            SecurityInfoKind::ChipAuthenticationPublicKeyInfo { spki, key_id } => {
                Some((spki.as_slice(), *key_id))
            }
            _ => None,
        })
    }
}

/// Parse EF.CardAccess: the SET OF SecurityInfo without a wrapper, read before
/// access control to learn which PACE the chip offers (9303-11 §9.2.11).
pub fn parse_card_access(bytes: &[u8]) -> Result<Vec<SecurityInfo>, LdsError> {
    let ef = Ef::CardAccess;
    let set = tlv::expect(bytes, SET).map_err(|e| LdsError::tlv(ef, "SET OF SecurityInfo", e))?;
    parse_set(set.value, ef)
}

/// EF.CardAccess bytes for the emulator.
pub fn encode_card_access(infos: &[SecurityInfo]) -> Result<Vec<u8>, LdsError> {
    encode_set(infos, Ef::CardAccess)
}

fn parse_set(mut rest: &[u8], ef: Ef) -> Result<Vec<SecurityInfo>, LdsError> {
    let mut infos = Vec::new();
    let mut i = 0usize;
    while !rest.is_empty() {
        i += 1;
        let part = || format!("SecurityInfo {i}");
        let (_, after) = tlv::parse_one(rest).map_err(|e| LdsError::tlv(ef, part(), e))?;
        let element = rest.get(..rest.len() - after.len()).unwrap_or(&[]);
        rest = after;
        infos.push(parse_info(element).map_err(|e| match e {
            InfoError::Der(e) => LdsError::der(ef, part(), e),
            InfoError::Missing(oid, what) => LdsError::invalid(
                ef,
                format!("SecurityInfo {i} ({oid})"),
                format!("{what} missing"),
            ),
        })?);
    }
    Ok(infos)
}

enum InfoError {
    Der(der::Error),
    Missing(ObjectIdentifier, &'static str),
}

impl From<der::Error> for InfoError {
    fn from(e: der::Error) -> Self {
        InfoError::Der(e)
    }
}

fn parse_info(der_bytes: &[u8]) -> Result<SecurityInfo, InfoError> {
    let (oid, required, optional) = AnyRef::from_der(der_bytes)?.sequence(|r| {
        let oid: ObjectIdentifier = r.decode()?;
        let required: Option<AnyRef<'_>> = if r.is_finished() {
            None
        } else {
            Some(r.decode()?)
        };
        let optional: Option<AnyRef<'_>> = if r.is_finished() {
            None
        } else {
            Some(r.decode()?)
        };
        Ok((oid, required, optional))
    })?;
    let int = |a: Option<AnyRef<'_>>| a.map(|a| a.decode_as::<u64>()).transpose();
    let version = |a: Option<AnyRef<'_>>| -> Result<u64, InfoError> {
        int(a)?.ok_or(InfoError::Missing(oid, "version"))
    };
    let grandparent = oid.parent().and_then(|p| p.parent());
    let kind = if oid.parent() == Some(ID_PK) {
        let key = required.ok_or(InfoError::Missing(oid, "public key"))?;
        let spki = key.to_der()?;
        SubjectPublicKeyInfoRef::from_der(&spki)?;
        SecurityInfoKind::ChipAuthenticationPublicKeyInfo {
            spki,
            key_id: int(optional)?,
        }
    } else if oid == ID_TA {
        SecurityInfoKind::TerminalAuthenticationInfo {
            version: version(required)?,
        }
    } else if grandparent == Some(ID_CA) {
        SecurityInfoKind::ChipAuthenticationInfo {
            version: version(required)?,
            key_id: int(optional)?,
        }
    } else if grandparent == Some(ID_PACE) {
        SecurityInfoKind::PaceInfo {
            version: version(required)?,
            parameter_id: int(optional)?,
        }
    } else if oid == ID_AA {
        let alg = optional.ok_or(InfoError::Missing(oid, "signatureAlgorithm"))?;
        SecurityInfoKind::ActiveAuthenticationInfo {
            version: version(required)?,
            signature_algorithm: alg.decode_as::<ObjectIdentifier>()?.to_string(),
        }
    } else {
        let mut data = Vec::new();
        for a in [required, optional].into_iter().flatten() {
            data.extend(a.to_der()?);
        }
        SecurityInfoKind::Other { data }
    };
    Ok(SecurityInfo {
        oid: oid.to_string(),
        kind,
    })
}

fn encode_set(infos: &[SecurityInfo], ef: Ef) -> Result<Vec<u8>, LdsError> {
    let mut set = Vec::new();
    for (i, info) in infos.iter().enumerate() {
        let part = || format!("SecurityInfo {}", i + 1);
        set.extend(encode_info(info).map_err(|e| LdsError::der(ef, part(), e))?);
    }
    Ok(tlv::encode(SET, &set))
}

fn encode_info(info: &SecurityInfo) -> Result<Vec<u8>, der::Error> {
    let oid = ObjectIdentifier::new(&info.oid)?;
    let mut v = oid.to_der()?;
    match &info.kind {
        SecurityInfoKind::ChipAuthenticationInfo {
            version,
            key_id: opt,
        }
        | SecurityInfoKind::PaceInfo {
            version,
            parameter_id: opt,
        } => {
            v.extend(version.to_der()?);
            if let Some(n) = opt {
                v.extend(n.to_der()?);
            }
        }
        SecurityInfoKind::ChipAuthenticationPublicKeyInfo { spki, key_id } => {
            v.extend_from_slice(spki);
            if let Some(n) = key_id {
                v.extend(n.to_der()?);
            }
        }
        SecurityInfoKind::TerminalAuthenticationInfo { version } => v.extend(version.to_der()?),
        SecurityInfoKind::ActiveAuthenticationInfo {
            version,
            signature_algorithm,
        } => {
            v.extend(version.to_der()?);
            v.extend(ObjectIdentifier::new(signature_algorithm)?.to_der()?);
        }
        SecurityInfoKind::Other { data } => v.extend_from_slice(data),
    }
    Ok(tlv::encode(0x30, &v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;
    use proptest::prelude::*;

    /// EF.CardAccess hard-coded by Vietnamese eKYC apps for the CCCD
    /// (context/cccd-chip.md §1): TA v1, CA ECDH-AES-128 v1, PACE ECDH-GM-AES-128 v2 param 13.
    const CCCD_CARD_ACCESS: [u8; 54] = hex!(
        "3134"
        "300d 0608 04007f0007020202 020101"
        "300f 060a 04007f00070202030202 020101"
        "3012 060a 04007f00070202040202 020102 02010d"
    );

    /// brainpoolP256r1 key with explicit domain parameters (openssl `-param_enc explicit`),
    /// the form 9303 chips often use for their chip authentication key.
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

    fn cccd_dg14() -> Dg14 {
        Dg14 {
            security_infos: vec![
                SecurityInfo {
                    oid: ID_PK_ECDH.to_string(),
                    kind: SecurityInfoKind::ChipAuthenticationPublicKeyInfo {
                        spki: BRAINPOOL_EXPLICIT_SPKI.to_vec(),
                        key_id: Some(1),
                    },
                },
                SecurityInfo {
                    oid: ID_CA_ECDH_AES_CBC_CMAC_128.to_string(),
                    kind: SecurityInfoKind::ChipAuthenticationInfo {
                        version: 1,
                        key_id: Some(1),
                    },
                },
                SecurityInfo {
                    oid: ID_AA.to_string(),
                    kind: SecurityInfoKind::ActiveAuthenticationInfo {
                        version: 1,
                        signature_algorithm: "1.2.840.10045.4.3.2".into(),
                    },
                },
                SecurityInfo {
                    oid: ID_PACE_ECDH_GM_AES_CBC_CMAC_128.to_string(),
                    kind: SecurityInfoKind::PaceInfo {
                        version: 2,
                        parameter_id: Some(13),
                    },
                },
                SecurityInfo {
                    // PACEDomainParameterInfo (id-PACE-ECDH-GM, 10 arcs): kept as Other.
                    oid: "0.4.0.127.0.7.2.2.4.2".into(),
                    kind: SecurityInfoKind::Other {
                        data: hex!("3003 020101").to_vec(),
                    },
                },
            ],
        }
    }

    #[test]
    fn cccd_card_access() {
        let infos = parse_card_access(&CCCD_CARD_ACCESS).unwrap();
        assert_eq!(
            infos,
            vec![
                SecurityInfo {
                    oid: "0.4.0.127.0.7.2.2.2".into(),
                    kind: SecurityInfoKind::TerminalAuthenticationInfo { version: 1 },
                },
                SecurityInfo {
                    oid: "0.4.0.127.0.7.2.2.3.2.2".into(),
                    kind: SecurityInfoKind::ChipAuthenticationInfo {
                        version: 1,
                        key_id: None
                    },
                },
                SecurityInfo {
                    oid: "0.4.0.127.0.7.2.2.4.2.2".into(),
                    kind: SecurityInfoKind::PaceInfo {
                        version: 2,
                        parameter_id: Some(13)
                    },
                },
            ]
        );
        // The emulator writes back the same bytes.
        assert_eq!(encode_card_access(&infos).unwrap(), CCCD_CARD_ACCESS);
    }

    #[test]
    fn dg14_round_trip_with_explicit_parameters() {
        let dg14 = cccd_dg14();
        let bytes = dg14.encode().unwrap();
        assert_eq!(&bytes[..2], &hex!("6E 82"));
        let parsed = Dg14::parse(&bytes).unwrap();
        assert_eq!(parsed, dg14);
        let keys: Vec<_> = parsed.chip_authentication_keys().collect();
        assert_eq!(keys, vec![(&BRAINPOOL_EXPLICIT_SPKI[..], Some(1))]);
    }

    #[test]
    fn errors_name_the_file_and_entry() {
        let e = Dg14::parse(&CCCD_CARD_ACCESS).unwrap_err().to_string();
        assert!(e.starts_with("DG14: tag 6E:"), "{e}");
        // PACEInfo without its version.
        let bad = hex!("3110 300E 060A 04007F00070202040202 3000");
        let e = parse_card_access(&bad).unwrap_err().to_string();
        assert!(e.starts_with("EF.CardAccess: SecurityInfo 1:"), "{e}");
        let no_version = hex!("310E 300C 060A 04007F00070202040202");
        let e = parse_card_access(&no_version).unwrap_err().to_string();
        assert_eq!(
            e,
            "EF.CardAccess: SecurityInfo 1 (0.4.0.127.0.7.2.2.4.2.2): version missing"
        );
        // A public key that is not a SubjectPublicKeyInfo.
        let bad_key = hex!("3111 300F 0609 04007F000702020102 0402 0000");
        let e = parse_card_access(&bad_key).unwrap_err().to_string();
        assert!(e.starts_with("EF.CardAccess: SecurityInfo 1:"), "{e}");
        let bytes = cccd_dg14().encode().unwrap();
        for i in 0..bytes.len() {
            assert!(Dg14::parse(&bytes[..i]).is_err(), "truncated at {i}");
        }
        let bad_oid = SecurityInfo {
            oid: "not an oid".into(),
            kind: SecurityInfoKind::Other { data: vec![] },
        };
        assert!(encode_card_access(&[bad_oid]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics_on_random_input(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Dg14::parse(&bytes);
            let _ = parse_card_access(&bytes);
        }

        #[test]
        fn never_panics_on_corrupted_card_access(pos in 0usize..54, byte in any::<u8>(), cut in 0usize..=54) {
            let mut b = CCCD_CARD_ACCESS.to_vec();
            b[pos] = byte;
            b.truncate(cut);
            if let Ok(infos) = parse_card_access(&b) {
                let _ = encode_card_access(&infos);
            }
        }

        #[test]
        fn never_panics_on_corrupted_dg14(pos in any::<prop::sample::Index>(), byte in any::<u8>(),
                                          cut in any::<prop::sample::Index>()) {
            let mut b = cccd_dg14().encode().unwrap();
            let p = pos.index(b.len());
            b[p] = byte;
            b.truncate(cut.index(b.len() + 1));
            let _ = Dg14::parse(&b);
        }
    }
}
