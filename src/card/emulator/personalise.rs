//! Turn a [`CitizenProfile`] into the files of a chip, as a card factory would:
//! MRZ in DG1, face in DG2, locked fingerprints in DG3, DG13, EF.COM, and an
//! EF.SOD signed by the test document signer. A tampered profile changes a data
//! group after signing, the way a forged card would look.
//!
//! With PACE, EF.CardAccess (the CCCD's SecurityInfos) goes in the MF. With chip or
//! active authentication, DG14 (CA key, CA info, AA info, PACE info, TA info) and
//! DG15 (an ECDSA or RSA AA key) are written, listed in EF.COM and hashed in EF.SOD
//! (an RSA AA key alone writes DG15 without DG14). Their
//! key pairs are drawn from an RNG seeded by the ID number, so a profile always
//! gives the same card and nothing secret is committed; a clone's chip holds key
//! pairs drawn from another seed.

use super::chip::{AaKey, Chip, ChipSecrets};
use super::pki;
use super::profile::{CaCipherKind, CardAccessFault, CloneKeys};
use super::profile::{CitizenProfile, FaceImage};
use crate::card::chip_auth::{self, CaChip, CaCipher};
use crate::card::lds::dg14::{self, Dg14, SecurityInfo, SecurityInfoKind};
use crate::card::lds::dg15::Dg15;
use crate::card::lds::{com, dg1, dg13::Dg13, dg2, sod::HashAlg};
use crate::card::pace::{PaceChip, PaceProtocol};
use crate::card::passive_auth::EcCurve;
use rand::SeedableRng;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

const FACE_JPEG: &[u8] = include_bytes!("faces/astronaut.jpg");
const FACE_JPEG_LARGE: &[u8] = include_bytes!("faces/astronaut-large.jpg");
const FACE_JP2: &[u8] = include_bytes!("faces/astronaut.jp2");

/// A profile that cannot become a card.
#[derive(Debug, Error)]
pub enum ProfileError {
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

fn field(field: &'static str, message: impl Into<String>) -> ProfileError {
    ProfileError::Field {
        field,
        message: message.into(),
    }
}

/// `DD/MM/YYYY` (with `00` for unknown parts) → MRZ `YYMMDD` (with `<<`).
fn mrz_date(name: &'static str, text: &str) -> Result<String, ProfileError> {
    let parts: Vec<&str> = text.split('/').collect();
    let [d, m, y] = parts.as_slice() else {
        return Err(field(name, format!("\"{text}\" is not DD/MM/YYYY")));
    };
    if d.len() != 2
        || m.len() != 2
        || y.len() != 4
        || !(d.chars().chain(m.chars()).chain(y.chars())).all(|c| c.is_ascii_digit())
    {
        return Err(field(name, format!("\"{text}\" is not DD/MM/YYYY")));
    }
    let part = |p: &str| {
        if p == "00" {
            "<<".to_string()
        } else {
            p.to_string()
        }
    };
    Ok(format!("{}{}{}", &y[2..], part(m), part(d)))
}

/// The files of a personalised chip, before it is put in a [`Chip`].
pub struct Personalised {
    pub files: BTreeMap<u16, Vec<u8>>,
    pub locked: BTreeSet<u16>,
    pub mrz: String,
    pub bac_seed: [u8; 16],
    /// PACE, CA and AA keys the chip holds (a clone's differ from DG14/DG15).
    pub secrets: ChipSecrets,
}

/// An EC SubjectPublicKeyInfo (id-ecPublicKey; named curve or explicit parameters).
pub fn ec_spki(curve: EcCurve, point: &[u8], explicit: bool) -> Result<Vec<u8>, ProfileError> {
    super::pki::ec_spki_der(curve, point, explicit)
        .map_err(|e| field("chip", format!("SubjectPublicKeyInfo: {e}")))
}

/// A key pair drawn from an RNG seeded by `label` and the ID number (reproducible).
fn key_pair(curve: EcCurve, label: &str, id: &str) -> Result<(Vec<u8>, Vec<u8>), ProfileError> {
    let seed: [u8; 32] = Sha256::new()
        .chain_update(label.as_bytes())
        .chain_update(id.as_bytes())
        .finalize()
        .into();
    let sk = curve.random_scalar(&mut rand::rngs::StdRng::from_seed(seed));
    let pk = curve
        .mul_base(&sk)
        .map_err(|e| field("chip", e.to_string()))?;
    Ok((sk.to_vec(), pk))
}

/// An RSA key pair of `bits` drawn from an RNG seeded by `label` and the ID number
/// (reproducible). Generation is slow, so each is made once per process.
fn rsa_key_pair(bits: usize, label: &str, id: &str) -> Result<rsa::RsaPrivateKey, ProfileError> {
    type Cache = std::sync::Mutex<BTreeMap<(usize, String), rsa::RsaPrivateKey>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (bits, format!("{label} {id}"));
    if let Some(k) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(k.clone());
    }
    let seed: [u8; 32] = Sha256::new()
        .chain_update(label.as_bytes())
        .chain_update(id.as_bytes())
        .finalize()
        .into();
    let k = rsa::RsaPrivateKey::new(&mut rand::rngs::StdRng::from_seed(seed), bits)
        .map_err(|e| field("chip.active_auth_key", e.to_string()))?;
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, k.clone());
    Ok(k)
}

/// SecurityInfo helpers for DG14 / EF.CardAccess.
fn info(oid: &str, kind: SecurityInfoKind) -> SecurityInfo {
    SecurityInfo {
        oid: oid.into(),
        kind,
    }
}

/// The PACE protocol the chip offers: `pace_parameter_id`'s curve, `pace_aes_bits`.
fn pace_protocol(p: &CitizenProfile) -> Result<PaceProtocol, ProfileError> {
    let curve = EcCurve::from_parameter_id(p.chip.pace_parameter_id).ok_or_else(|| {
        field(
            "chip.pace_parameter_id",
            format!(
                "{} is not a standardized curve PACE runs on (supported: {})",
                p.chip.pace_parameter_id,
                EcCurve::supported_parameter_ids()
            ),
        )
    })?;
    let (oid, key_len) = match p.chip.pace_aes_bits {
        128 => (crate::card::pace::ID_PACE_ECDH_GM_AES_128, 16),
        192 => (crate::card::pace::ID_PACE_ECDH_GM_AES_192, 24),
        256 => (crate::card::pace::ID_PACE_ECDH_GM_AES_256, 32),
        other => {
            return Err(field(
                "chip.pace_aes_bits",
                format!("{other}: expected 128, 192 or 256"),
            ))
        }
    };
    Ok(PaceProtocol {
        oid,
        key_len,
        curve,
        ..PaceProtocol::cccd_default()
    })
}

fn pace_info(protocol: &PaceProtocol, parameter_id: u64) -> SecurityInfo {
    info(
        &protocol.oid.to_string(),
        SecurityInfoKind::PaceInfo {
            version: 2,
            parameter_id: Some(parameter_id),
        },
    )
}

fn ta_info() -> SecurityInfo {
    info(
        &dg14::ID_TA.to_string(),
        SecurityInfoKind::TerminalAuthenticationInfo { version: 1 },
    )
}

/// The MRZ text the profile's card carries (3 × 30 characters, no separators).
pub fn mrz_of(p: &CitizenProfile) -> Result<dg1::Td1, ProfileError> {
    let id = &p.id_number;
    if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(field("id_number", format!("\"{id}\" is not 12 digits")));
    }
    let dob = mrz_date("date_of_birth", &p.date_of_birth)?;
    let expiry = if p.date_of_expiry.contains('/') {
        mrz_date("date_of_expiry", &p.date_of_expiry)?
    } else {
        "991231".into()
    };
    let sex = match p.sex.as_str() {
        "Nam" => 'M',
        "Nữ" => 'F',
        _ => '<',
    };
    Ok(dg1::build_td1(
        "ID",
        "VNM",
        &id[3..],
        id,
        &dob,
        sex,
        &expiry,
        "VNM",
        "",
        &dg1::ascii_name(&p.full_name),
    ))
}

/// Build every file of the card.
pub fn personalise(p: &CitizenProfile) -> Result<Personalised, ProfileError> {
    let td1 = mrz_of(p)?;
    let mrz: String = td1.lines.concat();
    let mut files: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
    files.insert(0x0101, dg1::encode(&mrz));
    let face = match p.chip.face {
        FaceImage::Jpeg => (dg2::ImageFormat::Jpeg, FACE_JPEG),
        FaceImage::JpegLarge => (dg2::ImageFormat::Jpeg, FACE_JPEG_LARGE),
        FaceImage::Jpeg2000 => (dg2::ImageFormat::Jpeg2000, FACE_JP2),
    };
    let probe = dg2::Dg2 {
        format: face.0,
        image: face.1.to_vec(),
        width: 0,
        height: 0,
    };
    let img = probe
        .decode_image()
        .map_err(|e| field("chip.face", e.to_string()))?;
    let (w, h) = (
        u16::try_from(img.width()).unwrap_or(u16::MAX),
        u16::try_from(img.height()).unwrap_or(u16::MAX),
    );
    files.insert(0x0102, dg2::Dg2::encode(face.0, face.1, w, h));
    // DG3: fingerprints behind terminal authentication; present and hashed, never readable.
    files.insert(
        0x0103,
        crate::card::tlv::encode(0x63, &crate::card::tlv::encode(0x02, &[0])),
    );
    let mut groups = vec![1u8, 2, 3];
    if p.chip.dg13 {
        files.insert(0x010D, dg13_of(p).encode());
        groups.push(13);
    }
    let mut secrets = ChipSecrets::default();
    let id = p.id_number.as_str();
    let explicit = p.chip.explicit_key_params;
    // A clone's chip holds key pairs of its own: another seed label (for both keys, or
    // only the one `clone_keys` names).
    let chip_label = |label: &str, which: CloneKeys| {
        if p.chip.clone && (p.chip.clone_keys == CloneKeys::Both || p.chip.clone_keys == which) {
            format!("{label} clone")
        } else {
            label.to_string()
        }
    };
    // Chip authentication's protocol: AES-128 (what CCCD chips name) or 3DES.
    let (ca_oid, ca_cipher) = match p.chip.chip_auth_cipher {
        CaCipherKind::Aes128 => (dg14::ID_CA_ECDH_AES_CBC_CMAC_128, CaCipher::Aes(16)),
        CaCipherKind::Tdes => (chip_auth::ID_CA_ECDH_3DES, CaCipher::Tdes),
    };
    let ca_info = || {
        info(
            &ca_oid.to_string(),
            SecurityInfoKind::ChipAuthenticationInfo {
                version: 1,
                key_id: None,
            },
        )
    };
    if p.chip.pace {
        let pace = pace_protocol(p)?;
        // EF.CardAccess as CCCD chips carry it (cccd-chip.md §1): TA, CA, PACE.
        let infos = vec![
            ta_info(),
            ca_info(),
            pace_info(&pace, p.chip.pace_parameter_id),
        ];
        let card_access = match p.chip.card_access_fault {
            // An OCTET STRING where the SET OF SecurityInfo belongs.
            Some(CardAccessFault::Malformed) => vec![0x04, 0x02, 0xDE, 0xAD],
            Some(CardAccessFault::UnsupportedCurve) => {
                dg14::encode_card_access(&[ta_info(), ca_info(), pace_info(&pace, 17)])
                    .map_err(|e| field("chip.card_access_fault", e.to_string()))?
            }
            _ => dg14::encode_card_access(&infos).map_err(|e| field("chip.pace", e.to_string()))?,
        };
        files.insert(0x011C, card_access);
        secrets.pace = Some(PaceChip::new(
            id.get(6..).unwrap_or_default(),
            &crate::card::access_key::BacKey {
                document_number: td1.document_number_printed(),
                date_of_birth: td1.date_of_birth().to_string(),
                date_of_expiry: td1.date_of_expiry().to_string(),
            }
            .mrz_information(),
            vec![pace],
        ));
    }
    let rsa_aa = p
        .chip
        .active_auth_key
        .rsa_bits()
        .filter(|_| p.chip.active_auth);
    if p.chip.chip_auth || p.chip.active_auth {
        let mut infos = vec![ta_info()];
        if p.chip.pace {
            infos.push(pace_info(&pace_protocol(p)?, p.chip.pace_parameter_id));
        }
        if p.chip.chip_auth {
            let curve = p.chip.chip_auth_curve.ec_curve();
            let (_, pk) = key_pair(curve, "chip authentication", id)?;
            let (sk, _) = key_pair(
                curve,
                &chip_label("chip authentication", CloneKeys::ChipAuth),
                id,
            )?;
            infos.push(chip_auth::ca_key_info(ec_spki(curve, &pk, explicit)?));
            infos.push(ca_info());
            secrets.chip_auth = Some(CaChip::new(curve, &sk, ca_cipher));
        }
        if let Some(bits) = rsa_aa {
            // ISO/IEC 9796-2 signatures: no ActiveAuthenticationInfo (it is for ECDSA,
            // 9303-11 §9.2.6).
            let public = rsa_key_pair(bits, "active authentication", id)?;
            let private = rsa_key_pair(
                bits,
                &chip_label("active authentication", CloneKeys::ActiveAuth),
                id,
            )?;
            let spki = rsa::pkcs8::EncodePublicKey::to_public_key_der(&public.to_public_key())
                .map_err(|e| field("chip.active_auth_key", e.to_string()))?;
            let dg15 = Dg15::from_spki(spki.as_bytes())
                .map_err(|e| field("chip.active_auth", e.to_string()))?;
            files.insert(0x010F, dg15.encode());
            secrets.active_auth = Some(AaKey::Rsa(Box::new(private)));
        } else if p.chip.active_auth {
            let curve = p.chip.active_auth_curve.ec_curve();
            let (_, pk) = key_pair(curve, "active authentication", id)?;
            let (sk, _) = key_pair(
                curve,
                &chip_label("active authentication", CloneKeys::ActiveAuth),
                id,
            )?;
            infos.push(info(
                &dg14::ID_AA.to_string(),
                SecurityInfoKind::ActiveAuthenticationInfo {
                    version: 1,
                    signature_algorithm: "1.2.840.10045.4.3.2".into(), // ecdsa-with-SHA256
                },
            ));
            let dg15 = Dg15::from_spki(&ec_spki(curve, &pk, explicit)?)
                .map_err(|e| field("chip.active_auth", e.to_string()))?;
            files.insert(0x010F, dg15.encode());
            secrets.active_auth =
                Some(AaKey::new(curve, &sk).map_err(|e| field("chip.active_auth", e))?);
        }
        let dg14 = Dg14 {
            security_infos: infos,
        };
        // An RSA AA key alone writes no DG14: a chip with DG15 only, as older ones.
        if p.chip.chip_auth || rsa_aa.is_none() {
            files.insert(
                0x010E,
                dg14.encode()
                    .map_err(|e| field("chip.chip_auth", e.to_string()))?,
            );
            groups.push(14);
        }
        if p.chip.active_auth {
            groups.push(15);
        }
    }
    let hashes: BTreeMap<u8, Vec<u8>> = groups
        .iter()
        .map(|&g| (g, Sha256::digest(&files[&(0x0100 + g as u16)]).to_vec()))
        .collect();
    let pki_err = |e: pki::PkiError| field("chip.signer", e.to_string());
    let issuer = if p.chip.untrusted_csca {
        pki::untrusted_pki()
    } else {
        pki::test_pki()
    }
    .map_err(pki_err)?;
    let signer = if p.chip.expired_signer {
        issuer.expired_document_signer(p.chip.signer)
    } else {
        issuer.document_signer(p.chip.signer)
    }
    .map_err(pki_err)?;
    files.insert(
        0x011D,
        pki::build_sod(&hashes, HashAlg::Sha256, signer).map_err(pki_err)?,
    );
    let listed: Vec<u8> = groups
        .iter()
        .copied()
        .filter(|g| !p.chip.com_hides.contains(g))
        .collect();
    files.insert(0x011E, com::Com::encode(&listed));
    if let Some(dg) = p.chip.tamper_dg {
        let f = files
            .get_mut(&(0x0100 + dg as u16))
            .ok_or_else(|| field("chip.tamper_dg", format!("the card has no DG{dg}")))?;
        // Change one byte near the end: inside the value, so the file still parses.
        let at = f.len().saturating_sub(3);
        if let Some(b) = f.get_mut(at) {
            *b ^= 0x01;
        }
    }
    for (option, fid, length) in [
        // 0x7FFF00 value bytes in a 3-byte long form: far past the file's end.
        (
            "chip.lying_length_dg",
            p.chip.lying_length_dg.map(|dg| 0x0100 + u16::from(dg)),
            &[0x83, 0x7F, 0xFF, 0x00][..],
        ),
        (
            "chip.lying_length_ef",
            p.chip.lying_length_ef,
            &[0x83, 0x7F, 0xFF, 0x00][..],
        ),
        (
            "chip.malformed_header_ef",
            p.chip.malformed_header_ef,
            &[0x80][..],
        ),
    ] {
        let Some(fid) = fid else { continue };
        let f = files
            .get_mut(&fid)
            .ok_or_else(|| field(option, format!("the card has no EF {fid:04X}")))?;
        let tlv_err = |e: crate::card::tlv::TlvError| field(option, e.to_string());
        let (_, tag) = crate::card::tlv::read_tag(f).map_err(tlv_err)?;
        let (_, header, _) = crate::card::tlv::read_header(f).map_err(tlv_err)?;
        let mut faulty = f[..tag].to_vec();
        faulty.extend_from_slice(length);
        faulty.extend_from_slice(&f[header..]);
        *f = faulty;
    }
    let key = crate::card::access_key::BacKey {
        document_number: td1.document_number_printed(),
        date_of_birth: td1.date_of_birth().to_string(),
        date_of_expiry: td1.date_of_expiry().to_string(),
    };
    Ok(Personalised {
        files,
        locked: BTreeSet::from([0x0103]),
        mrz,
        bac_seed: key.seed(),
        secrets,
    })
}

fn dg13_of(p: &CitizenProfile) -> Dg13 {
    Dg13 {
        id_number: Some(p.id_number.clone()),
        full_name: Some(p.full_name.clone()),
        date_of_birth: Some(p.date_of_birth.clone()),
        sex: Some(p.sex.clone()),
        nationality: Some(p.nationality.clone()),
        ethnicity: Some(p.ethnicity.clone()),
        religion: Some(p.religion.clone()),
        place_of_origin: Some(p.place_of_origin.clone()),
        place_of_residence: Some(p.place_of_residence.clone()),
        identifying_marks: Some(p.identifying_marks.clone()),
        date_of_issue: Some(p.date_of_issue.clone()),
        date_of_expiry: Some(p.date_of_expiry.clone()),
        father_name: p.father_name.clone(),
        mother_name: p.mother_name.clone(),
        spouse_name: p.spouse_name.clone(),
        old_id_number: p.old_id_number.clone(),
        field16: Some("0000000000000001".into()),
        ..Default::default()
    }
}

/// A ready chip for a profile. `seed` fixes the chip's random numbers (tests).
pub fn chip(p: &CitizenProfile, seed: Option<u64>) -> Result<Chip, ProfileError> {
    let card = personalise(p)?;
    let rng = match seed {
        Some(s) => rand::rngs::StdRng::seed_from_u64(s),
        None => rand::rngs::StdRng::from_entropy(),
    };
    Ok(
        Chip::new(card.files, card.locked, card.bac_seed, p.chip.clone(), rng)
            .with_secrets(card.secrets),
    )
}
