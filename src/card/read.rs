//! One complete read of a card: select the applet, open it with the key plan,
//! read the files, parse them and verify them — the pipeline behind
//! `cccd-kiosk read`, the kiosk's reading screen and `simulate`.
//!
//! Files are read in the order a person waits for them: EF.COM (which DGs exist),
//! DG1, DG13, then the large DG2 and EF.SOD. DG3 and DG4 (fingerprints, iris)
//! are never asked for: they need terminal authentication (6982 on CCCD), and
//! passive authentication marks them `not_read` without failing.

use super::access_key::{KeyPlan, KeySource};
use super::apdu::{Command, StatusWord};
use super::bac::{self, BacError};
use super::lds::{com::Com, dg1::Dg1, dg13::Dg13, dg2::Dg2};
use super::passive_auth::{self, DgState, TrustStore, Verification};
use super::reader::{self, FileReader, Limits, Progress, ReadCaps, ReadError};
use super::sm::SecureMessaging;
use super::transport::{exchange, CardTransport, Counting, TransportError};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;
use thiserror::Error;

/// AID of the LDS1 eMRTD application (9303-10 §3.6.2).
pub const MRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// Why a read did not produce a card.
#[derive(Debug, Error)]
pub enum ReadFailure {
    /// Every key was tried and refused (exit 4).
    #[error("access denied: {message}")]
    AccessDenied {
        key_source: KeySource,
        attempts: usize,
        message: String,
    },
    /// Reader, card or link failure (exit 5).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A file the read cannot do without (EF.COM, DG1, EF.SOD) could not be read (exit 5).
    #[error(transparent)]
    File(#[from] ReadError),
    /// The chip is not an eMRTD (no ICAO applet).
    #[error("not an identity card chip: the ICAO application is missing ({0})")]
    NotAnIdCard(StatusWord),
}

/// How the chip was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessInfo {
    pub protocol: &'static str,
    pub key_source: KeySource,
    pub attempts: usize,
}

/// Everything a read produced.
pub struct CardRead {
    pub access: AccessInfo,
    /// Raw bytes of every file read (FID → bytes), kept so the back office can re-verify.
    pub files: BTreeMap<u16, Vec<u8>>,
    pub mrz: Option<Dg1>,
    pub dg13: Option<Dg13>,
    pub dg2: Option<Dg2>,
    pub verification: Verification,
    pub warnings: Vec<String>,
    pub apdus: usize,
    pub bytes_read: usize,
    pub millis: u128,
    pub caps: ReadCaps,
}

/// Read and verify the card behind `card`.
pub fn read_card<T: CardTransport>(
    card: T,
    plan: &KeyPlan,
    caps: ReadCaps,
    trust: &TrustStore,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(Progress),
) -> Result<CardRead, ReadFailure> {
    let started = Instant::now();
    let mut card = Counting::new(card);
    let mut caps = caps;

    let sel = exchange(&mut card, &Command::select_aid(&MRTD_AID))?;
    if sel.sw != StatusWord::Success {
        return Err(ReadFailure::NotAnIdCard(sel.sw));
    }
    if caps.extended.is_none() {
        caps.extended = Some(reader::probe_extended(&mut card)?);
    }

    let (keys, attempts) = open_with_bac(&mut card, plan)?;
    let mut sm = SecureMessaging::new(card, keys);
    let limits = Limits {
        short: sm.max_plain_le(false),
        extended: sm.max_plain_le(true),
    };
    let mut files: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut states: BTreeMap<u8, DgState> = BTreeMap::new();
    {
        let mut fr = FileReader::new(&mut sm, caps, limits, progress);
        let com_bytes = fr.read(0x011E)?;
        let com = Com::parse(&com_bytes)
            .map_err(|e| warnings.push(e.to_string()))
            .ok();
        files.insert(0x011E, com_bytes);
        let listed: Vec<u8> = com.map(|c| c.data_groups).unwrap_or_else(|| vec![1, 2, 13]);
        let mut order: Vec<u8> = listed
            .iter()
            .copied()
            .filter(|&g| g != 3 && g != 4)
            .collect();
        order.sort_by_key(|&g| match g {
            1 => 0,
            13 => 1,
            2 => 3,
            _ => 2,
        });
        for g in order {
            let fid = 0x0100 + g as u16;
            match fr.read(fid) {
                Ok(b) => {
                    states.insert(g, DgState::Read(b.clone()));
                    files.insert(fid, b);
                }
                Err(ReadError::NotFound(_)) => {
                    states.insert(g, DgState::NotFound);
                }
                Err(ReadError::Refused(_)) => {
                    states.insert(g, DgState::Refused);
                }
                Err(e @ (ReadError::Transport(_) | ReadError::Status { .. })) if g == 1 => {
                    return Err(e.into())
                }
                Err(ReadError::Transport(e)) => return Err(e.into()),
                Err(e @ (ReadError::Truncated { .. } | ReadError::Header { .. })) => {
                    // The chip gave a file that does not match its own header: what the SOD
                    // signed was not delivered, which fails passive authentication.
                    warnings.push(e.to_string());
                    states.insert(g, DgState::NotFound);
                }
                Err(e) => {
                    warnings.push(e.to_string());
                    states.insert(g, DgState::NotRead);
                }
            }
        }
        let sod = fr.read(0x011D)?;
        files.insert(0x011D, sod);
        caps = fr.caps;
    }
    let card = sm.into_inner();

    let mrz = files
        .get(&0x0101)
        .and_then(|b| Dg1::parse(b).map_err(|e| warnings.push(e.to_string())).ok());
    let dg13 = files.get(&0x010D).and_then(|b| {
        let (d, w) = Dg13::parse_lenient(b);
        warnings.extend(w);
        d
    });
    let dg2 = files
        .get(&0x0102)
        .and_then(|b| Dg2::parse(b).map_err(|e| warnings.push(e.to_string())).ok());
    let sod = files.get(&0x011D).cloned().unwrap_or_default();
    let mut verification = passive_auth::verify(&sod, &states, trust, now);
    verification.errors.extend(warnings.iter().cloned());
    verification.finish();
    let bytes_read = files.values().map(Vec::len).sum();
    Ok(CardRead {
        access: AccessInfo {
            protocol: "BAC",
            key_source: plan.source,
            attempts,
        },
        files,
        mrz,
        dg13,
        dg2,
        verification,
        warnings,
        apdus: card.apdus,
        bytes_read,
        millis: started.elapsed().as_millis(),
        caps,
    })
}

/// Try each BAC candidate in order of likelihood; returns the session keys and attempts made.
fn open_with_bac<T: CardTransport>(
    card: &mut T,
    plan: &KeyPlan,
) -> Result<(bac::SessionKeys, usize), ReadFailure> {
    if plan.bac.is_empty() {
        let message = match plan.source {
            KeySource::Can => "this version opens the chip with BAC only; a CAN needs PACE: give the ID number with --dob (and --expiry), or the MRZ".into(),
            _ => "no BAC key could be made from the input: add the date of birth (--dob) for BAC".into(),
        };
        return Err(ReadFailure::AccessDenied {
            key_source: plan.source,
            attempts: 0,
            message,
        });
    }
    let mut rng = rand::rngs::OsRng;
    for (i, key) in plan.bac.iter().enumerate() {
        match bac::authenticate(card, &key.seed(), &mut rng) {
            Ok(keys) => return Ok((keys, i + 1)),
            Err(BacError::AccessDenied) => continue,
            Err(BacError::Transport(e)) => return Err(e.into()),
            Err(e) => return Err(ReadFailure::Transport(TransportError::Io(e.to_string()))),
        }
    }
    let n = plan.bac.len();
    Err(ReadFailure::AccessDenied {
        key_source: plan.source,
        attempts: n,
        message: format!(
            "the chip refused the key from the {} ({n} {} tried)",
            source_words(plan.source),
            if n == 1 { "key" } else { "candidate keys" }
        ),
    })
}

fn source_words(s: KeySource) -> &'static str {
    match s {
        KeySource::Qr => "QR code",
        KeySource::Can => "CAN",
        KeySource::Mrz => "MRZ",
        KeySource::Fields => "typed fields",
    }
}

impl CardRead {
    /// The `read --json` object of DESIGN.md.
    pub fn to_json(&self, reader: &str, atr: &[u8], today: NaiveDate) -> Value {
        let photo = self.dg2.as_ref().map(|d| {
            use sha2::Digest;
            let (w, h) = d
                .decode_image()
                .map(|i| (i.width(), i.height()))
                .unwrap_or((d.width as u32, d.height as u32));
            json!({
                "format": d.format,
                "bytes": d.image.len(),
                "sha256": hex::encode(sha2::Sha256::digest(&d.image)),
                "width": w,
                "height": h,
            })
        });
        json!({
            "reader": reader,
            "atr": hex::encode_upper(atr),
            "access": {"protocol": self.access.protocol, "key_source": self.access.key_source.as_str(), "attempts": self.access.attempts},
            "mrz": self.mrz.as_ref().map(|m| m.mrz.to_json(today)),
            "citizen": self.dg13.as_ref().map(|d| d.to_json()),
            "photo": photo,
            "verification": self.verification,
            "stats": {"apdus": self.apdus, "bytes_read": self.bytes_read, "millis": self.millis},
        })
    }
}

#[cfg(test)]
mod tests {
    //! The whole pipeline against the in-process emulator: every chip behaviour the
    //! reader adapts to, with the APDU counts a person waiting at the kiosk feels.
    use super::*;
    use crate::card::emulator::profile::{CitizenProfile, FaceImage};
    use crate::card::emulator::{personalise, pki, InProcessCard};
    use crate::card::passive_auth::Verdict;

    fn trust() -> TrustStore {
        let csca = pki::test_pki().unwrap().csca_certificate().unwrap();
        TrustStore::from_certs(vec![csca]).unwrap()
    }

    fn plan(p: &CitizenProfile) -> KeyPlan {
        let mrz = personalise::mrz_of(p).unwrap().lines.concat();
        KeyPlan::from_mrz(&mrz, chrono::Utc::now().date_naive()).unwrap()
    }

    fn read(p: &CitizenProfile) -> Result<CardRead, ReadFailure> {
        let card = InProcessCard {
            chip: personalise::chip(p, Some(7)).unwrap(),
        };
        read_card(
            card,
            &plan(p),
            ReadCaps::default(),
            &trust(),
            Utc::now(),
            &mut |_| {},
        )
    }

    /// SELECT applet, extended probe, GET CHALLENGE, MUTUAL AUTHENTICATE, then per file
    /// a SELECT and ceil(size / chunk) READ BINARYs.
    fn minimum(r: &CardRead, chunk: usize) -> usize {
        4 + r
            .files
            .values()
            .map(|f| 1 + f.len().div_ceil(chunk))
            .sum::<usize>()
    }

    #[test]
    fn default_cccd_chip_reads_genuine_in_the_fewest_short_apdus() {
        let r = read(&CitizenProfile::demo()).unwrap();
        assert_eq!(
            r.verification.verdict,
            Verdict::Genuine,
            "{:?}",
            r.verification.errors
        );
        assert_eq!(r.caps.extended, Some(false));
        assert_eq!(
            r.apdus,
            minimum(&r, 231),
            "short APDUs of 231 plaintext bytes under 3DES SM"
        );
        assert_eq!(
            r.dg13.as_ref().unwrap().full_name.as_deref(),
            Some("Nguyễn Thị Thu Hương")
        );
    }

    #[test]
    fn extended_length_chip_reads_each_file_in_one_apdu() {
        let mut p = CitizenProfile::demo();
        p.chip.extended_length = true;
        p.chip.face = FaceImage::JpegLarge;
        let r = read(&p).unwrap();
        assert_eq!(r.caps.extended, Some(true));
        assert_eq!(
            r.apdus,
            4 + 2 * r.files.len(),
            "one SELECT and one READ BINARY per file"
        );
        assert!(r.files[&0x0102].len() > 32_768);
        assert_eq!(r.verification.verdict, Verdict::Genuine);
    }

    #[test]
    fn strict_chip_that_refuses_over_reads_still_reads_everything() {
        let mut p = CitizenProfile::demo();
        p.chip.strict_le = true;
        p.chip.face = FaceImage::JpegLarge; // past 32 KB: odd READ BINARY under short APDUs
        let r = read(&p).unwrap();
        assert_eq!(
            r.verification.verdict,
            Verdict::Genuine,
            "{:?}",
            r.verification.errors
        );
        assert!(
            r.apdus <= minimum(&r, 227) + 2 * r.files.len(),
            "{} APDUs",
            r.apdus
        );
    }

    #[test]
    fn chip_with_a_small_le_ceiling_is_learnt_once() {
        let mut p = CitizenProfile::demo();
        p.chip.max_read = 100;
        let r = read(&p).unwrap();
        assert_eq!(r.verification.verdict, Verdict::Genuine);
        assert!(r.caps.max_le.is_some_and(|m| m <= 100));
        assert_eq!(r.caps.max_le, Some(100), "the exact ceiling is found");
        // it costs a header read and a binary search (~6 refusals) once, not APDUs per chunk
        assert!(r.apdus <= minimum(&r, 100) + 10, "{} APDUs", r.apdus);
    }

    #[test]
    fn lying_length_in_a_data_group_is_named_and_fails_verification() {
        let mut p = CitizenProfile::demo();
        p.chip.lying_length_dg = Some(13);
        let r = read(&p).unwrap();
        assert_eq!(r.verification.verdict, Verdict::Failed);
        assert!(r.dg13.is_none());
        assert!(
            r.warnings
                .iter()
                .any(|w| w.starts_with("DG13: header says")),
            "{:?}",
            r.warnings
        );
        assert!(
            r.files.values().all(|f| f.len() < 64 * 1024),
            "nothing allocated beyond the real files"
        );
    }

    #[test]
    fn card_pulled_mid_read_is_a_transport_failure() {
        let mut p = CitizenProfile::demo();
        p.chip.remove_after_apdus = Some(12);
        match read(&p) {
            Err(ReadFailure::Transport(TransportError::CardRemoved))
            | Err(ReadFailure::File(ReadError::Transport(TransportError::CardRemoved))) => {}
            other => panic!("expected card removed, got {:?}", other.err()),
        }
    }

    #[test]
    fn every_wrong_candidate_is_tried_then_access_denied() {
        let p = CitizenProfile::demo();
        let card = InProcessCard {
            chip: personalise::chip(&p, Some(1)).unwrap(),
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let wrong = KeyPlan::from_id("001195000123", Some("950315"), None, today).unwrap();
        assert!(!wrong.bac.is_empty());
        match read_card(
            card,
            &wrong,
            ReadCaps::default(),
            &trust(),
            Utc::now(),
            &mut |_| {},
        ) {
            Err(ReadFailure::AccessDenied { attempts, .. }) => {
                assert_eq!(attempts, wrong.bac.len())
            }
            other => panic!("expected access denied, got {:?}", other.err()),
        }
    }

    #[test]
    fn progress_reaches_every_files_total() {
        let p = CitizenProfile::demo();
        let card = InProcessCard {
            chip: personalise::chip(&p, Some(3)).unwrap(),
        };
        let mut last: BTreeMap<u16, (usize, usize)> = BTreeMap::new();
        read_card(
            card,
            &plan(&p),
            ReadCaps::default(),
            &trust(),
            Utc::now(),
            &mut |pr| {
                last.insert(pr.fid, (pr.done, pr.total));
            },
        )
        .unwrap();
        assert!(last.contains_key(&0x0102));
        assert!(last.values().all(|(d, t)| d == t));
    }
}
