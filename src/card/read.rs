//! One complete read of a card: select the applet, open it with the key plan,
//! read the files, parse them and verify them — the pipeline behind
//! `cccd-kiosk read`, the kiosk's reading screen and `simulate`.
//!
//! Files are read in the order a person waits for them: EF.COM (which DGs exist),
//! DG14 with chip authentication and DG15 with active authentication first (clone
//! detection; the rest is then read under chip authentication's keys), DG1, DG13,
//! then the large DG2 and EF.SOD. How the chip is opened (PACE or BAC) is decided
//! in [`read_card`]'s key strategy. DG3 and DG4 (fingerprints, iris)
//! are never asked for: they need terminal authentication (6982 on CCCD), and
//! passive authentication marks them `not_read` without failing.

use super::access_key::{KeyPlan, KeySource};
use super::apdu::{Command, StatusWord};
use super::bac::{self, BacError};
use super::chip_auth::{self, AaOutcome, CaOutcome, CaParams};
use super::lds::dg14::{self, Dg14, SecurityInfo};
use super::lds::dg15::Dg15;
use super::lds::{com::Com, dg1::Dg1, dg13::Dg13, dg2::Dg2, sod::Sod};
use super::pace::{self, PaceError, PaceProtocol, Password};
use super::passive_auth::{self, AuthResult, DgState, TrustStore, Verification};
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
    /// No key the input gave opened the chip (exit 4): every one was refused, or the
    /// chip cannot use it (a CAN for a chip without PACE, or PACE on a curve with no
    /// maintained crate) and no BAC key was given. The message says which, and what
    /// to give instead: either way the officer's next step is another key.
    #[error("access denied: {message}")]
    AccessDenied {
        key_source: KeySource,
        attempts: usize,
        message: String,
    },
    /// Reader, card or link failure (exit 5).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A file the read cannot do without (DG1) could not be read (exit 5). A bad EF.COM
    /// is a warning and a bad EF.SOD fails passive authentication: the card is shown.
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
    /// The PACE password that opened the chip (`None` after BAC). Internal: the JSON's
    /// `access` object is fixed (DESIGN.md), `key_source` says where the keys came from.
    pub pace_password: Option<PacePassword>,
}

/// Which PACE password opened the chip (9303-11 §4.4.4.1 key reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacePassword {
    /// 02: the CAN (on a CCCD, the last 6 digits of the ID).
    Can,
    /// 01: the MRZ key (document number, birth date, expiry).
    Mrz,
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

/// How the chip was opened, kept so it can be opened again the same way (after a
/// failed chip authentication ends the session).
#[derive(Debug, Clone)]
enum Opening {
    Pace(PaceProtocol, Password),
    Bac([u8; 16]),
}

/// What EF.CardAccess said.
enum CardAccess {
    /// Parsed SecurityInfos.
    Read(Vec<SecurityInfo>),
    /// 6A82: the chip has none.
    NotFound,
    /// Another refusal or a malformed file: PACE may still be there (CCCD defaults).
    Unreadable(String),
    /// Not asked for: the key plan has no PACE password.
    NotRead,
}

/// Read and verify the card behind `card`.
///
/// Key strategy (DESIGN.md "Keys"): with a CAN, PACE first when the chip offers it
/// (EF.CardAccess, read plain by SELECT 011C with P1=02, never SELECT MF), and PACE
/// with the MRZ key too when the plan holds exactly one BAC key; BAC candidates only
/// when the chip offers no PACE, or PACE failed and the plan has BAC keys. An
/// unreadable EF.CardAccess (not a 6A82) means the CCCD defaults are tried; a 6A82
/// means no PACE, unless the plan has nothing but a CAN (then the defaults are tried,
/// nothing is lost). `AccessInfo::attempts` counts every PACE and BAC attempt.
///
/// Then, under secure messaging: SELECT the applet (after PACE it is selected under
/// SM), EF.COM, DG14 and chip authentication (so everything after is read under CA's
/// keys), DG15 and active authentication, then DG1, DG13, the rest, DG2 and EF.SOD.
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
    let mut warnings = Vec::new();

    let passwords = pace_passwords(plan);
    let card_access = if passwords.is_empty() {
        CardAccess::NotRead
    } else {
        read_card_access(&mut card, &mut caps, progress)?
    };
    if caps.extended.is_none() {
        caps.extended = Some(reader::probe_extended(&mut card)?);
    }
    // Why PACE did not open a chip that BAC then opened: noted after the other warnings.
    let mut access_notes = Vec::new();
    let (mut sm, opening, access) = open(
        card,
        plan,
        &passwords,
        &card_access,
        &mut warnings,
        &mut access_notes,
    )?;

    let mut files: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
    let mut states: BTreeMap<u8, DgState> = BTreeMap::new();
    // EF.COM is not signed: a bad one is a warning, and the data groups are then
    // looked for as a CCCD has them.
    let com = read_tolerated(
        &mut sm,
        0x011E,
        &mut caps,
        progress,
        &mut files,
        &mut warnings,
    )?
    .and_then(|bytes| {
        Com::parse(bytes)
            .map_err(|e| warnings.push(e.to_string()))
            .ok()
    });
    let listed: Vec<u8> = com
        .map(|c| c.data_groups)
        .unwrap_or_else(|| vec![1, 2, 13, 14, 15]);

    // DG14 and chip authentication before anything else is read (so the rest is read
    // under CA's keys), then DG15 and active authentication.
    let mut auth = ChipProof::default();
    if listed.contains(&14) {
        sm = auth.chip_auth(
            sm,
            &opening,
            &mut caps,
            progress,
            &mut states,
            &mut files,
            &mut warnings,
        )?;
    }
    if listed.contains(&15) {
        auth.active_auth(
            &mut sm,
            &mut caps,
            progress,
            &mut states,
            &mut files,
            &mut warnings,
        )?;
    }

    let mut order: Vec<u8> = listed
        .iter()
        .copied()
        .filter(|&g| g != 3 && g != 4 && g != 14 && g != 15)
        .collect();
    order.sort_by_key(|&g| match g {
        1 => 0,
        13 => 1,
        2 => 3,
        _ => 2,
    });
    for g in order {
        read_dg(
            &mut sm,
            g,
            &mut caps,
            progress,
            &mut states,
            &mut files,
            &mut warnings,
        )?;
    }
    // A bad EF.SOD fails passive authentication (the card is still shown, exit 3).
    read_tolerated(
        &mut sm,
        0x011D,
        &mut caps,
        progress,
        &mut files,
        &mut warnings,
    )?;
    // A chip whose EF.COM leaves out the DG14/DG15 its EF.SOD hashes would dodge chip
    // or active authentication: they are read, and the checks run, now.
    let hashed: Vec<u8> = files
        .get(&0x011D)
        .and_then(|b| Sod::parse(b).ok())
        .map(|s| s.dg_hashes().keys().copied().collect())
        .unwrap_or_default();
    if hashed.contains(&14) && !listed.contains(&14) {
        warnings.push("EF.COM does not list DG14, which EF.SOD hashes: read anyway".into());
        sm = auth.chip_auth(
            sm,
            &opening,
            &mut caps,
            progress,
            &mut states,
            &mut files,
            &mut warnings,
        )?;
    }
    if hashed.contains(&15) && !listed.contains(&15) {
        warnings.push("EF.COM does not list DG15, which EF.SOD hashes: read anyway".into());
        auth.active_auth(
            &mut sm,
            &mut caps,
            progress,
            &mut states,
            &mut files,
            &mut warnings,
        )?;
    }
    let ChipProof {
        chip_auth,
        active_auth,
        ..
    } = auth;
    let card = sm.into_inner();
    warnings.extend(access_notes);

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
    verification.set_chip_results(chip_auth, active_auth);
    let bytes_read = files.values().map(Vec::len).sum();
    Ok(CardRead {
        access: AccessInfo {
            key_source: plan.source,
            ..access
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

/// Run `f` with a file reader over `sm` sized for its cipher, keeping what it learns in `caps_out`.
/// What chip and active authentication found, and the DG14 AA may need (its hash).
#[derive(Default)]
struct ChipProof {
    chip_auth: AuthResult,
    active_auth: AuthResult,
    dg14: Option<Dg14>,
}

impl ChipProof {
    /// Read DG14 and run chip authentication; the session continues under its keys.
    #[allow(clippy::too_many_arguments)]
    fn chip_auth<S: CardTransport>(
        &mut self,
        mut sm: SecureMessaging<S>,
        opening: &Opening,
        caps: &mut ReadCaps,
        progress: &mut dyn FnMut(Progress),
        states: &mut BTreeMap<u8, DgState>,
        files: &mut BTreeMap<u16, Vec<u8>>,
        warnings: &mut Vec<String>,
    ) -> Result<SecureMessaging<S>, ReadFailure> {
        read_dg(&mut sm, 14, caps, progress, states, files, warnings)?;
        self.dg14 = files.get(&0x010E).and_then(|b| {
            Dg14::parse(b)
                .map_err(|e| warnings.push(e.to_string()))
                .ok()
        });
        if let Some(d) = &self.dg14 {
            match CaParams::from_dg14(d) {
                Ok(None) => {}
                Ok(Some(params)) => {
                    let (next, result) = run_chip_auth(sm, &params, opening, warnings)?;
                    sm = next;
                    self.chip_auth = result;
                }
                Err(e) => warnings.push(format!("chip authentication not run: {e}")),
            }
        }
        Ok(sm)
    }

    /// Read DG15 and run active authentication over a fresh challenge.
    fn active_auth<S: CardTransport>(
        &mut self,
        sm: &mut SecureMessaging<S>,
        caps: &mut ReadCaps,
        progress: &mut dyn FnMut(Progress),
        states: &mut BTreeMap<u8, DgState>,
        files: &mut BTreeMap<u16, Vec<u8>>,
        warnings: &mut Vec<String>,
    ) -> Result<(), ReadFailure> {
        read_dg(sm, 15, caps, progress, states, files, warnings)?;
        let Some(b) = files.get(&0x010F) else {
            return Ok(());
        };
        // The largest signature a protected reply carries on this link.
        let max_reply = sm.max_plain_le(caps.extended == Some(true));
        let dg15 = match Dg15::parse(b) {
            Ok(d) => d,
            Err(e) => {
                warnings.push(e.to_string());
                return Ok(());
            }
        };
        match chip_auth::active_authenticate(
            sm,
            &dg15,
            self.dg14.as_ref(),
            max_reply,
            &mut rand::rngs::OsRng,
        )? {
            AaOutcome::Passed => self.active_auth = AuthResult::Passed,
            AaOutcome::Failed(why) => {
                warnings.push(why);
                self.active_auth = AuthResult::Failed;
            }
            AaOutcome::NotSupported(why) => {
                warnings.push(format!("active authentication not run: {why}"))
            }
            // See chip_auth.rs "A signature too large for the link".
            AaOutcome::TooLarge(why) if self.chip_auth == AuthResult::Passed => {
                warnings.push(format!(
                    "active authentication not run: {why}; chip authentication has \
                     proved the chip"
                ))
            }
            AaOutcome::TooLarge(why) => {
                warnings.push(format!(
                    "active authentication could not run: {why}; without chip \
                     authentication nothing shows the chip is not a copy (read it on a \
                     reader with extended length)"
                ));
                self.active_auth = AuthResult::Failed;
            }
        }
        Ok(())
    }
}

fn file_reader<S: CardTransport, R>(
    sm: &mut SecureMessaging<S>,
    caps: ReadCaps,
    progress: &mut dyn FnMut(Progress),
    f: impl FnOnce(&mut FileReader<'_, SecureMessaging<S>>) -> Result<R, ReadError>,
    caps_out: &mut ReadCaps,
) -> Result<R, ReadFailure> {
    let limits = Limits {
        short: sm.max_plain_le(false),
        extended: sm.max_plain_le(true),
    };
    let mut fr = FileReader::new(sm, caps, limits, progress);
    let r = f(&mut fr);
    *caps_out = fr.caps;
    Ok(r?)
}

/// Read an EF the read survives without (EF.COM, EF.SOD) into `files`: a chip answer
/// or a bad header is a warning and `None`; only a link failure ends the read.
fn read_tolerated<'f, S: CardTransport>(
    sm: &mut SecureMessaging<S>,
    fid: u16,
    caps: &mut ReadCaps,
    progress: &mut dyn FnMut(Progress),
    files: &'f mut BTreeMap<u16, Vec<u8>>,
    warnings: &mut Vec<String>,
) -> Result<Option<&'f Vec<u8>>, ReadFailure> {
    let current = *caps;
    match file_reader(sm, current, progress, |fr| Ok(fr.read(fid)), caps)? {
        Ok(bytes) => Ok(Some(files.entry(fid).or_insert(bytes))),
        Err(ReadError::Transport(e)) => Err(e.into()),
        Err(e) => {
            warnings.push(e.to_string());
            Ok(None)
        }
    }
}

/// Read one data group into `files`/`states`, turning the chip's answers into what
/// passive authentication needs; only DG1 and link failures end the read.
fn read_dg<S: CardTransport>(
    sm: &mut SecureMessaging<S>,
    g: u8,
    caps: &mut ReadCaps,
    progress: &mut dyn FnMut(Progress),
    states: &mut BTreeMap<u8, DgState>,
    files: &mut BTreeMap<u16, Vec<u8>>,
    warnings: &mut Vec<String>,
) -> Result<(), ReadFailure> {
    let fid = 0x0100 + g as u16;
    let current = *caps;
    let result = file_reader(sm, current, progress, |fr| Ok(fr.read(fid)), caps)?;
    match result {
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
    Ok(())
}

/// Chip authentication; on a failure that ended the session, open the chip again
/// the way it was opened and read on without CA (the verdict is `clone` anyway, and
/// the officer still sees what the chip holds).
fn run_chip_auth<S: CardTransport>(
    sm: SecureMessaging<S>,
    params: &CaParams,
    opening: &Opening,
    warnings: &mut Vec<String>,
) -> Result<(SecureMessaging<S>, AuthResult), ReadFailure> {
    match chip_auth::chip_authenticate(sm, params, &mut rand::rngs::OsRng)? {
        CaOutcome::Passed(sm) => Ok((sm, AuthResult::Passed)),
        CaOutcome::NotSupported(sm, why) => {
            warnings.push(format!("chip authentication not run: {why}"));
            Ok((sm, AuthResult::NotSupported))
        }
        CaOutcome::Failed(card, why) => {
            warnings.push(why);
            let sm = reopen(card, opening)?;
            Ok((sm, AuthResult::Failed))
        }
    }
}

/// Open the chip again with the key that worked, and select the applet.
fn reopen<S: CardTransport>(
    mut card: S,
    opening: &Opening,
) -> Result<SecureMessaging<S>, ReadFailure> {
    let denied = |message: String| ReadFailure::Transport(TransportError::Io(message));
    match opening {
        Opening::Pace(protocol, password) => {
            let session = pace::authenticate(&mut card, protocol, password, &mut rand::rngs::OsRng)
                .map_err(|e| match e {
                    PaceError::Transport(t) => ReadFailure::Transport(t),
                    e => denied(format!("re-opening the chip with PACE failed: {e}")),
                })?;
            let mut sm = session.into_sm(card);
            select_applet(&mut sm)?;
            Ok(sm)
        }
        Opening::Bac(seed) => {
            select_applet(&mut card)?;
            let keys =
                bac::authenticate(&mut card, seed, &mut rand::rngs::OsRng).map_err(
                    |e| match e {
                        BacError::Transport(t) => ReadFailure::Transport(t),
                        e => denied(format!("re-opening the chip with BAC failed: {e}")),
                    },
                )?;
            Ok(SecureMessaging::new(card, keys))
        }
    }
}

fn select_applet<S: CardTransport + ?Sized>(card: &mut S) -> Result<(), ReadFailure> {
    let sel = exchange(card, &Command::select_aid(&MRTD_AID))?;
    if sel.sw != StatusWord::Success {
        return Err(ReadFailure::NotAnIdCard(sel.sw));
    }
    Ok(())
}

/// PACE passwords the plan gives, with words naming them for messages: the CAN, and
/// the MRZ key when the plan holds exactly one BAC key (the MRZ, or typed fields).
fn pace_passwords(plan: &KeyPlan) -> Vec<(Password, String)> {
    let mut v = Vec::new();
    if let Some(can) = &plan.can {
        let words = match plan.source {
            KeySource::Can => "CAN".to_string(),
            KeySource::Qr => "CAN from the QR code's ID number".to_string(),
            _ => "CAN from the ID number".to_string(),
        };
        v.push((Password::can(can), words));
    }
    if let [key] = plan.bac.as_slice() {
        v.push((
            Password::mrz(&key.mrz_information()),
            format!("MRZ key from the {}", source_words(plan.source)),
        ));
    }
    v
}

/// SELECT EF.CardAccess directly (P1=02: CCCD chips answer SELECT MF with 6D00)
/// and read it in plain.
fn read_card_access<S: CardTransport>(
    card: &mut S,
    caps: &mut ReadCaps,
    progress: &mut dyn FnMut(Progress),
) -> Result<CardAccess, ReadFailure> {
    // What this plain read learns about Le is not kept: SM reads differ.
    let r = FileReader::new(card, *caps, Limits::PLAIN, progress).read(0x011C);
    Ok(match r {
        Ok(bytes) => match dg14::parse_card_access(&bytes) {
            Ok(infos) => CardAccess::Read(infos),
            Err(e) => CardAccess::Unreadable(e.to_string()),
        },
        Err(ReadError::NotFound(_)) => CardAccess::NotFound,
        Err(ReadError::Transport(e @ (TransportError::CardRemoved | TransportError::NoCard))) => {
            return Err(e.into())
        }
        Err(e) => CardAccess::Unreadable(e.to_string()),
    })
}

/// Open the chip by the key strategy of [`read_card`]; returns the session (applet
/// selected), how it was opened and the access info.
///
/// When BAC opens the chip after PACE failed or was not offered, why PACE did not
/// is pushed to `notes` (a warning in `verification.errors`: a CCCD is expected to
/// offer PACE, and an officer or the back office may want to know it did not work).
fn open<S: CardTransport>(
    mut card: S,
    plan: &KeyPlan,
    passwords: &[(Password, String)],
    card_access: &CardAccess,
    warnings: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<(SecureMessaging<S>, Opening, AccessInfo), ReadFailure> {
    let mut attempts = 0usize;
    let mut failures: Vec<String> = Vec::new();
    let protocol = match card_access {
        CardAccess::NotRead => None,
        CardAccess::Read(infos) => match PaceProtocol::choose(infos) {
            Ok(p) => p,
            Err(e) => {
                warnings.push(format!("EF.CardAccess: {e}"));
                failures.push(e.to_string());
                None
            }
        },
        CardAccess::NotFound if plan.bac.is_empty() => Some(PaceProtocol::cccd_default()),
        CardAccess::NotFound => {
            failures.push("the chip does not offer PACE (no EF.CardAccess, 6A82)".into());
            None
        }
        CardAccess::Unreadable(why) => {
            warnings.push(format!(
                "EF.CardAccess unreadable ({why}); trying the PACE CCCD chips use"
            ));
            Some(PaceProtocol::cccd_default())
        }
    };
    if let Some(protocol) = protocol {
        for (password, words) in passwords {
            attempts += 1;
            match pace::authenticate(&mut card, &protocol, password, &mut rand::rngs::OsRng) {
                Ok(session) => {
                    let mut sm = session.into_sm(card);
                    select_applet(&mut sm)?;
                    let access = AccessInfo {
                        protocol: "PACE",
                        key_source: plan.source,
                        attempts,
                        pace_password: Some(match password {
                            Password::Can(_) => PacePassword::Can,
                            Password::Mrz(_) => PacePassword::Mrz,
                        }),
                    };
                    return Ok((sm, Opening::Pace(protocol, password.clone()), access));
                }
                Err(PaceError::AccessDenied(sw)) => {
                    let left = match sw.retries_left() {
                        Some(0) => ": no tries left, the chip now blocks this password".into(),
                        Some(1) => ": 1 try left before the chip blocks it".into(),
                        Some(n) => format!(": {n} tries left before the chip blocks it"),
                        None => String::new(),
                    };
                    failures.push(format!("PACE with the {words} was refused ({sw}{left})"));
                }
                Err(PaceError::Refused {
                    sw: StatusWord::AuthenticationBlocked,
                    ..
                }) => {
                    failures.push(format!(
                        "PACE with the {words} is blocked by the chip (6983: no tries left)"
                    ));
                }
                Err(PaceError::Transport(e)) => return Err(e.into()),
                Err(PaceError::NotOffered(sw)) => {
                    failures.push(format!(
                        "the chip does not offer PACE (MSE:Set AT answered {sw})"
                    ));
                    break;
                }
                Err(e) => {
                    failures.push(format!("PACE with the {words} failed: {e}"));
                    break;
                }
            }
        }
    }
    if plan.bac.is_empty() {
        let hint = match plan.source {
            KeySource::Can => "give the ID number with --dob (and --expiry), or the MRZ, for BAC",
            _ => "add the date of birth (--dob) for BAC",
        };
        let message = if failures.is_empty() {
            format!("no PACE password and no BAC key could be made from the input: {hint}")
        } else {
            format!(
                "{}; no BAC key to fall back to: {hint}",
                failures.join("; ")
            )
        };
        return Err(ReadFailure::AccessDenied {
            key_source: plan.source,
            attempts,
            message,
        });
    }
    select_applet(&mut card)?;
    for key in &plan.bac {
        attempts += 1;
        let seed = key.seed();
        match bac::authenticate(&mut card, &seed, &mut rand::rngs::OsRng) {
            Ok(keys) => {
                let access = AccessInfo {
                    protocol: "BAC",
                    key_source: plan.source,
                    attempts,
                    pace_password: None,
                };
                if !failures.is_empty() {
                    notes.push(format!("opened with BAC: {}", failures.join("; ")));
                }
                return Ok((SecureMessaging::new(card, keys), Opening::Bac(seed), access));
            }
            Err(BacError::AccessDenied) => continue,
            Err(BacError::Transport(e)) => return Err(e.into()),
            Err(e) => return Err(ReadFailure::Transport(TransportError::Io(e.to_string()))),
        }
    }
    let n = plan.bac.len();
    failures.push(format!(
        "BAC: the chip refused the key from the {} ({n} {} tried)",
        source_words(plan.source),
        if n == 1 { "key" } else { "candidate keys" }
    ));
    Err(ReadFailure::AccessDenied {
        key_source: plan.source,
        attempts,
        message: failures.join("; "),
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
        let size = self
            .dg2
            .as_ref()
            .and_then(|d| d.decode_image().ok())
            .map(|i| (i.width(), i.height()));
        self.to_json_with_size(reader, atr, today, size)
    }

    /// [`Self::to_json`] when the caller has already decoded the face image (the kiosk
    /// decodes it once, for display): `photo.width`/`height` come from `decoded`, or
    /// from the DG2 header when it is `None` (the image did not decode).
    pub fn to_json_with_size(
        &self,
        reader: &str,
        atr: &[u8],
        today: NaiveDate,
        decoded: Option<(u32, u32)>,
    ) -> Value {
        let photo = self.dg2.as_ref().map(|d| {
            use sha2::Digest;
            let (w, h) = decoded.unwrap_or((d.width as u32, d.height as u32));
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
    use crate::card::emulator::profile::{CaCurve, CitizenProfile, FaceImage};
    use crate::card::emulator::{personalise, pki, InProcessCard};
    use crate::card::passive_auth::AuthResult;
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

    /// SELECT EF.CardAccess (6A82: no PACE), extended probe, SELECT applet, GET
    /// CHALLENGE, MUTUAL AUTHENTICATE, then per file a SELECT and ceil(size / chunk)
    /// READ BINARYs.
    fn minimum(r: &CardRead, chunk: usize) -> usize {
        5 + r
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
            5 + 2 * r.files.len(),
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
    fn chip_answering_6700_to_any_over_read_is_read_header_first() {
        let mut p = CitizenProfile::demo();
        p.chip.refuse_over_read = true;
        let r = read(&p).unwrap();
        assert_eq!(
            r.verification.verdict,
            Verdict::Genuine,
            "{:?}",
            r.verification.errors
        );
        assert_eq!(r.caps.overread_ok, Some(false));
        // EF.COM's first READ BINARY (Le 231) is refused once; from then on every file
        // is a SELECT, its 8-byte header, and the rest in chunks of 231.
        let files: usize = r
            .files
            .values()
            .map(|f| 2 + (f.len() - 8).div_ceil(231))
            .sum();
        assert_eq!(r.apdus, 5 + 1 + files);
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
    fn lying_length_or_malformed_header_in_any_file_is_named_and_nothing_past_it_is_read() {
        use crate::card::passive_auth::DgStatus;
        for fid in [0x0101u16, 0x0102, 0x010D, 0x010E, 0x010F, 0x011D, 0x011E] {
            for lying in [true, false] {
                let mut p = CitizenProfile::demo();
                p.chip.chip_auth = true; // DG14
                p.chip.active_auth = true; // DG15
                if lying {
                    p.chip.lying_length_ef = Some(fid);
                } else {
                    p.chip.malformed_header_ef = Some(fid);
                }
                let name = reader::file_name(fid);
                let case = format!(
                    "{name}, {}",
                    if lying {
                        "lying length"
                    } else {
                        "indefinite length"
                    }
                );
                let real = personalise::personalise(&p).unwrap().files[&fid].len();
                let card = InProcessCard {
                    chip: personalise::chip(&p, Some(5)).unwrap(),
                };
                let mut held = 0;
                let result = read_card(
                    card,
                    &plan(&p),
                    ReadCaps::default(),
                    &trust(),
                    Utc::now(),
                    &mut |pr| {
                        if pr.fid == fid {
                            held = held.max(pr.done);
                        }
                    },
                );
                assert!(
                    held <= real,
                    "{case}: {held} bytes held of a {real}-byte file"
                );
                let said = if lying {
                    format!("{name}: header says")
                } else {
                    format!("{name}: malformed header")
                };
                let r = result.unwrap_or_else(|e| panic!("{case}: {e}"));
                let v = &r.verification;
                assert!(
                    v.errors.iter().any(|e| e.starts_with(&said)),
                    "{case}: {:?}",
                    v.errors
                );
                match fid {
                    // EF.COM is not signed: a warning; the DGs are found anyway, and
                    // chip and active authentication still run.
                    0x011E => {
                        assert_eq!(v.verdict, Verdict::Genuine, "{case}: {:?}", v.errors);
                        assert_eq!(
                            (v.chip_auth, v.active_auth),
                            (AuthResult::Passed, AuthResult::Passed),
                            "{case}"
                        );
                        assert!(r.dg13.is_some() && r.dg2.is_some(), "{case}");
                    }
                    // Without EF.SOD nothing is proved: failed, the card still shown.
                    0x011D => {
                        assert_eq!(v.verdict, Verdict::Failed, "{case}");
                        assert_eq!(v.passive_auth, passive_auth::PaStatus::Failed, "{case}");
                        assert!(r.dg13.is_some() && r.dg2.is_some(), "{case}");
                    }
                    _ => {
                        let g = (fid - 0x0100) as u8;
                        assert_eq!(v.verdict, Verdict::Failed, "{case}");
                        assert_eq!(v.data_groups.get(&g), Some(&DgStatus::Missing), "{case}");
                    }
                }
                assert!(!r.files.contains_key(&fid), "{case}: nothing of it is kept");
            }
        }
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

    // ---- PACE, chip authentication, active authentication (issue 8) ----

    fn read_with(p: &CitizenProfile, plan: &KeyPlan) -> Result<CardRead, ReadFailure> {
        let card = InProcessCard {
            chip: personalise::chip(p, Some(11)).unwrap(),
        };
        read_card(
            card,
            plan,
            ReadCaps::default(),
            &trust(),
            Utc::now(),
            &mut |_| {},
        )
    }

    fn today() -> NaiveDate {
        Utc::now().date_naive()
    }

    fn pace_card() -> CitizenProfile {
        let mut p = CitizenProfile::demo();
        p.chip.pace = true;
        p
    }

    #[test]
    fn pace_with_the_can_from_the_qr_opens_in_one_attempt() {
        let p = pace_card();
        let plan = KeyPlan::from_qr(&p.qr_text(), today()).unwrap();
        let r = read_with(&p, &plan).unwrap();
        assert_eq!(r.access.protocol, "PACE");
        assert_eq!(r.access.attempts, 1);
        assert_eq!(r.access.key_source, KeySource::Qr);
        assert_eq!(
            r.verification.verdict,
            Verdict::Genuine,
            "{:?}",
            r.verification.errors
        );
        assert_eq!(
            r.dg13.as_ref().unwrap().full_name.as_deref(),
            Some("Nguyễn Thị Thu Hương")
        );
        // SELECT + READ EF.CardAccess, probe, MSE + 4 GA, SELECT applet, then files in
        // chunks of 223 bytes (AES SM under short APDUs).
        let files: usize = r.files.values().map(|f| 1 + f.len().div_ceil(223)).sum();
        assert_eq!(r.apdus, 2 + 1 + 5 + 1 + files);
    }

    #[test]
    fn the_id_alone_opens_a_pace_chip() {
        let p = pace_card();
        let plan = KeyPlan::from_id(&p.id_number, None, None, today()).unwrap();
        assert!(plan.bac.is_empty());
        let r = read_with(&p, &plan).unwrap();
        assert_eq!((r.access.protocol, r.access.attempts), ("PACE", 1));
    }

    #[test]
    fn pace_with_the_mrz_key() {
        let p = pace_card();
        let r = read_with(&p, &plan(&p)).unwrap();
        assert_eq!((r.access.protocol, r.access.attempts), ("PACE", 1));
        assert_eq!(r.access.key_source, KeySource::Mrz);
        // The MRZ carries the ID, so its CAN goes first (see the test below for the MRZ key).
        assert_eq!(r.access.pace_password, Some(PacePassword::Can));
    }

    #[test]
    fn wrong_can_alone_is_access_denied_naming_the_can() {
        let p = pace_card();
        let plan = KeyPlan::from_can("999999").unwrap();
        match read_with(&p, &plan) {
            Err(ReadFailure::AccessDenied {
                attempts, message, ..
            }) => {
                assert_eq!(attempts, 1);
                assert!(
                    message.contains("PACE with the CAN was refused"),
                    "{message}"
                );
                assert!(message.contains("no BAC key"), "{message}");
            }
            other => panic!("expected access denied, got {:?}", other.err()),
        }
    }

    #[test]
    fn wrong_can_with_bac_data_falls_back_to_bac() {
        let p = pace_card();
        let mut plan = KeyPlan::from_id(&p.id_number, Some("950314"), None, today()).unwrap();
        plan.can = Some("999999".into());
        // Two BAC candidates (a wrong expiry first): BAC after the refused CAN.
        let mut wrong = plan.bac[0].clone();
        wrong.date_of_expiry = "400314".into();
        plan.bac.insert(0, wrong);
        let r = read_with(&p, &plan).unwrap();
        assert_eq!(r.access.protocol, "BAC");
        assert_eq!(r.access.attempts, 3, "PACE-CAN, then two BAC candidates");
        assert_eq!(r.verification.verdict, Verdict::Genuine);
        // Why PACE did not open it is kept, as a warning.
        assert!(
            r.verification
                .errors
                .iter()
                .any(|e| e
                    == "opened with BAC: PACE with the CAN from the ID number was refused (6300)"),
            "{:?}",
            r.verification.errors
        );
        // One BAC key: the chip offers PACE, so that key goes through PACE (MRZ) first.
        plan.bac.remove(0);
        let r = read_with(&p, &plan).unwrap();
        assert_eq!((r.access.protocol, r.access.attempts), ("PACE", 2));
    }

    #[test]
    fn chip_without_pace_is_read_with_bac_and_a_can_alone_says_why_not() {
        let p = CitizenProfile::demo();
        let plan = KeyPlan::from_qr(&p.qr_text(), today()).unwrap();
        let r = read_with(&p, &plan).unwrap();
        assert_eq!(r.access.protocol, "BAC");
        assert_eq!(r.verification.verdict, Verdict::Genuine);
        assert!(
            r.verification
                .errors
                .iter()
                .any(|e| e
                    == "opened with BAC: the chip does not offer PACE (no EF.CardAccess, 6A82)"),
            "{:?}",
            r.verification.errors
        );
        match read_with(&p, &KeyPlan::from_can("000123").unwrap()) {
            Err(ReadFailure::AccessDenied { message, .. }) => {
                assert!(message.contains("does not offer PACE"), "{message}")
            }
            other => panic!("expected access denied, got {:?}", other.err()),
        }
    }

    #[test]
    fn chip_authentication_passes_and_the_rest_is_read_under_its_keys() {
        for (pace, curve, explicit) in [
            (true, CaCurve::BrainpoolP256r1, false),
            (true, CaCurve::BrainpoolP256r1, true),
            (false, CaCurve::P256, true),
        ] {
            let mut p = CitizenProfile::demo();
            p.chip.pace = pace;
            p.chip.chip_auth = true;
            p.chip.chip_auth_curve = curve;
            p.chip.explicit_key_params = explicit;
            let r = read_with(&p, &plan(&p)).unwrap();
            let v = &r.verification;
            assert_eq!(v.chip_auth, AuthResult::Passed, "{curve:?} {:?}", v.errors);
            assert_eq!(v.active_auth, AuthResult::NotSupported);
            assert_eq!(v.verdict, Verdict::Genuine, "{:?}", v.errors);
            assert_eq!(v.data_groups.get(&14), Some(&passive_auth::DgStatus::Ok));
            assert!(r.dg13.is_some());
        }
    }

    #[test]
    fn active_authentication_passes_with_named_and_explicit_keys_on_both_curves() {
        use crate::card::emulator::profile::CaCurve;
        for (explicit, curve) in [
            (false, CaCurve::P256),
            (true, CaCurve::P256),
            (false, CaCurve::BrainpoolP256r1),
            (true, CaCurve::BrainpoolP256r1),
        ] {
            let mut p = pace_card();
            p.chip.active_auth = true;
            p.chip.active_auth_curve = curve;
            p.chip.explicit_key_params = explicit;
            let r = read_with(&p, &plan(&p)).unwrap();
            let v = &r.verification;
            assert_eq!(
                v.active_auth,
                AuthResult::Passed,
                "{curve:?} explicit={explicit}: {:?}",
                v.errors
            );
            assert_eq!(v.chip_auth, AuthResult::NotSupported);
            assert_eq!(v.data_groups.get(&15), Some(&passive_auth::DgStatus::Ok));
            assert_eq!(v.verdict, Verdict::Genuine);
        }
    }

    #[test]
    fn clone_with_valid_signed_data_is_detected_and_still_read() {
        let mut p = pace_card();
        p.chip.chip_auth = true;
        p.chip.active_auth = true;
        p.chip.active_auth_curve = crate::card::emulator::profile::CaCurve::BrainpoolP256r1;
        p.chip.clone = true;
        let r = read_with(&p, &KeyPlan::from_qr(&p.qr_text(), today()).unwrap()).unwrap();
        let v = &r.verification;
        assert_eq!(
            v.passive_auth,
            passive_auth::PaStatus::Valid,
            "the signed data are intact"
        );
        assert_eq!(v.chip_auth, AuthResult::Failed);
        assert_eq!(v.active_auth, AuthResult::Failed);
        assert_eq!(v.verdict, Verdict::Clone);
        assert!(
            v.errors
                .iter()
                .any(|e| e.contains("does not hold the DG14 key")),
            "{:?}",
            v.errors
        );
        assert!(
            v.errors
                .iter()
                .any(|e| e.starts_with("active authentication")),
            "{:?}",
            v.errors
        );
        // The chip was opened again after CA ended the session: the data are all there.
        assert_eq!(
            r.dg13.as_ref().unwrap().id_number.as_deref(),
            Some("001195000123")
        );
        assert!(r.dg2.is_some());
    }

    // ---- gaps of issue 8 (RSA AA, PACE-MRZ, EF.CardAccess faults, verdicts) ----

    use crate::card::emulator::profile::{AaKeyType, CaCipherKind, CardAccessFault, CloneKeys};

    fn errors_say(r: &CardRead, what: &str) -> bool {
        r.verification.errors.iter().any(|e| e.contains(what))
    }

    #[test]
    fn a_clone_hiding_dg14_and_dg15_from_ef_com_is_still_authenticated() {
        for clone in [false, true] {
            let mut p = pace_card();
            p.chip.chip_auth = true;
            p.chip.active_auth = true;
            p.chip.clone = clone;
            p.chip.com_hides = vec![14, 15];
            let r = read_with(&p, &plan(&p)).unwrap();
            let v = &r.verification;
            let (want, verdict) = if clone {
                (AuthResult::Failed, Verdict::Clone)
            } else {
                (AuthResult::Passed, Verdict::Genuine)
            };
            assert_eq!((v.chip_auth, v.active_auth), (want, want), "{:?}", v.errors);
            assert_eq!(v.verdict, verdict, "{:?}", v.errors);
            assert!(
                errors_say(&r, "EF.COM does not list DG14, which EF.SOD hashes")
                    && errors_say(&r, "EF.COM does not list DG15, which EF.SOD hashes"),
                "{:?}",
                v.errors
            );
            assert!(r.files.contains_key(&0x010E) && r.files.contains_key(&0x010F));
        }
    }

    #[test]
    fn a_pace_curve_without_a_crate_is_named_and_bac_data_open_the_chip() {
        let mut p = pace_card();
        p.chip.card_access_fault = Some(CardAccessFault::UnsupportedCurve);
        let can = KeyPlan::from_can(p.id_number.get(6..).unwrap()).unwrap();
        match read_with(&p, &can) {
            Err(ReadFailure::AccessDenied { message, .. }) => {
                assert!(message.contains("unsupported PACE"), "{message}");
                assert!(message.contains("brainpoolP512r1"), "{message}");
                assert!(message.contains("no BAC key to fall back to"), "{message}");
            }
            other => panic!(
                "expected access denied naming the curve, got {:?}",
                other.err()
            ),
        }
        // With BAC data the chip still opens, and says why PACE did not.
        let r = read_with(&p, &plan(&p)).unwrap();
        assert_eq!(r.access.protocol, "BAC");
        assert!(
            errors_say(&r, "opened with BAC"),
            "{:?}",
            r.verification.errors
        );
    }

    #[test]
    fn rsa_1024_active_authentication_passes_under_short_apdus_after_pace_and_bac() {
        for pace in [true, false] {
            let mut p = CitizenProfile::demo();
            p.chip.pace = pace;
            p.chip.active_auth = true;
            p.chip.active_auth_key = AaKeyType::Rsa1024;
            let r = read_with(&p, &plan(&p)).unwrap();
            let v = &r.verification;
            assert_eq!(r.caps.extended, Some(false));
            assert_eq!(
                v.active_auth,
                AuthResult::Passed,
                "pace={pace}: {:?}",
                v.errors
            );
            assert_eq!(v.data_groups.get(&15), Some(&passive_auth::DgStatus::Ok));
            // An RSA AA key alone: DG15 and no DG14, so no chip authentication.
            assert_eq!(v.data_groups.get(&14), None);
            assert_eq!(v.chip_auth, AuthResult::NotSupported);
            assert_eq!(v.verdict, Verdict::Genuine, "{:?}", v.errors);
        }
    }

    #[test]
    fn rsa_2048_active_authentication_passes_with_extended_length() {
        let mut p = pace_card();
        p.chip.chip_auth = true;
        p.chip.active_auth = true;
        p.chip.active_auth_key = AaKeyType::Rsa2048;
        p.chip.extended_length = true;
        let r = read_with(&p, &plan(&p)).unwrap();
        let v = &r.verification;
        assert_eq!(r.caps.extended, Some(true));
        assert_eq!(v.chip_auth, AuthResult::Passed, "{:?}", v.errors);
        assert_eq!(v.active_auth, AuthResult::Passed, "{:?}", v.errors);
        assert_eq!(v.verdict, Verdict::Genuine, "{:?}", v.errors);
    }

    #[test]
    fn rsa_2048_on_a_short_only_chip_relies_on_chip_authentication() {
        for pace in [true, false] {
            // With chip authentication: the chip has proved itself; AA is skipped.
            let mut p = CitizenProfile::demo();
            p.chip.pace = pace;
            p.chip.chip_auth = true;
            p.chip.active_auth = true;
            p.chip.active_auth_key = AaKeyType::Rsa2048;
            let r = read_with(&p, &plan(&p)).unwrap();
            let v = &r.verification;
            assert_eq!(r.caps.extended, Some(false));
            assert_eq!(v.chip_auth, AuthResult::Passed, "{:?}", v.errors);
            assert_eq!(v.active_auth, AuthResult::NotSupported, "{:?}", v.errors);
            assert_eq!(v.verdict, Verdict::Genuine, "{:?}", v.errors);
            assert!(
                errors_say(
                    &r,
                    "active authentication not run: DG15's RSA-2048 key signs with 256 bytes"
                ) && errors_say(&r, "chip authentication has proved the chip"),
                "{:?}",
                v.errors
            );
            // Nothing was lost: the rest of the chip is read.
            assert!(r.dg13.is_some() && r.dg2.is_some());

            // Without it, a chip refusing extended length would dodge AA: a possible
            // clone, genuine or not — and a real clone doing exactly that is caught.
            for clone in [false, true] {
                p.chip.chip_auth = false;
                p.chip.clone = clone;
                let r = read_with(&p, &plan(&p)).unwrap();
                let v = &r.verification;
                assert_eq!(v.active_auth, AuthResult::Failed, "{:?}", v.errors);
                assert_eq!(v.verdict, Verdict::Clone, "{:?}", v.errors);
                assert!(
                    errors_say(&r, "nothing shows the chip is not a copy"),
                    "{:?}",
                    v.errors
                );
                assert!(r.dg13.is_some() && r.dg2.is_some());
            }
        }
    }

    #[test]
    fn clone_with_an_rsa_active_authentication_key_is_a_clone() {
        for (key, extended) in [(AaKeyType::Rsa1024, false), (AaKeyType::Rsa2048, true)] {
            let mut p = pace_card();
            p.chip.active_auth = true;
            p.chip.active_auth_key = key;
            p.chip.extended_length = extended;
            p.chip.clone = true;
            let r = read_with(&p, &plan(&p)).unwrap();
            let v = &r.verification;
            assert_eq!(v.passive_auth, passive_auth::PaStatus::Valid);
            assert_eq!(v.active_auth, AuthResult::Failed, "{key:?}: {:?}", v.errors);
            assert_eq!(v.verdict, Verdict::Clone);
            assert!(
                errors_say(&r, "signature over our challenge does not verify"),
                "{:?}",
                v.errors
            );
        }
    }

    #[test]
    fn pace_with_the_mrz_password_opens_when_the_key_carries_no_id() {
        let p = pace_card();
        let td1 = personalise::mrz_of(&p).unwrap();
        // Typed document number (9 digits: no ID, so no CAN), birth date and expiry.
        let typed = KeyPlan::from_document(
            &td1.document_number_printed(),
            td1.date_of_birth(),
            td1.date_of_expiry(),
        )
        .unwrap();
        // An MRZ whose optional data carry no ID.
        let no_id = crate::card::lds::dg1::build_td1(
            "ID",
            "VNM",
            &td1.document_number_printed(),
            "",
            td1.date_of_birth(),
            'F',
            td1.date_of_expiry(),
            "VNM",
            "",
            "NGUYEN<<THI<THU<HUONG",
        );
        let mrz_plan = KeyPlan::from_mrz(&no_id.lines.concat(), today()).unwrap();
        for (plan, source) in [(typed, KeySource::Fields), (mrz_plan, KeySource::Mrz)] {
            assert!(plan.can.is_none(), "no CAN can be made from {source:?}");
            let r = read_with(&p, &plan).unwrap();
            assert_eq!((r.access.protocol, r.access.attempts), ("PACE", 1));
            assert_eq!(r.access.pace_password, Some(PacePassword::Mrz));
            assert_eq!(r.access.key_source, source);
            assert_eq!(r.verification.verdict, Verdict::Genuine);
        }
    }

    #[test]
    fn unreadable_card_access_falls_back_to_the_cccd_pace_parameters() {
        for fault in [CardAccessFault::Refused, CardAccessFault::Malformed] {
            let mut p = pace_card();
            p.chip.card_access_fault = Some(fault);
            for plan in [
                KeyPlan::from_can(&p.id_number[6..]).unwrap(),
                KeyPlan::from_qr(&p.qr_text(), today()).unwrap(),
            ] {
                let r = read_with(&p, &plan).unwrap();
                assert_eq!(
                    (r.access.protocol, r.access.attempts),
                    ("PACE", 1),
                    "{fault:?}"
                );
                assert_eq!(r.access.pace_password, Some(PacePassword::Can));
                assert_eq!(r.verification.verdict, Verdict::Genuine);
                assert!(
                    errors_say(&r, "EF.CardAccess unreadable")
                        && errors_say(&r, "trying the PACE CCCD chips use"),
                    "{fault:?}: {:?}",
                    r.verification.errors
                );
            }
        }
    }

    #[test]
    fn chip_authentication_passes_but_a_wrong_active_authentication_key_is_a_clone() {
        for (wrong, ca, aa) in [
            (
                CloneKeys::ActiveAuth,
                AuthResult::Passed,
                AuthResult::Failed,
            ),
            (CloneKeys::ChipAuth, AuthResult::Failed, AuthResult::Passed),
        ] {
            let mut p = pace_card();
            p.chip.chip_auth = true;
            p.chip.active_auth = true;
            p.chip.clone = true;
            p.chip.clone_keys = wrong;
            let r = read_with(&p, &plan(&p)).unwrap();
            let v = &r.verification;
            assert_eq!(
                (v.chip_auth, v.active_auth),
                (ca, aa),
                "{wrong:?}: {:?}",
                v.errors
            );
            assert_eq!(v.passive_auth, passive_auth::PaStatus::Valid);
            assert_eq!(v.verdict, Verdict::Clone);
            assert!(r.dg13.is_some());
        }
    }

    #[test]
    fn clone_on_a_chip_without_pace_is_detected_and_read_again_with_bac() {
        let mut p = CitizenProfile::demo();
        p.chip.chip_auth = true;
        p.chip.active_auth = true;
        p.chip.clone = true;
        let r = read_with(&p, &KeyPlan::from_qr(&p.qr_text(), today()).unwrap()).unwrap();
        let v = &r.verification;
        assert_eq!(r.access.protocol, "BAC");
        assert_eq!(
            (v.chip_auth, v.active_auth),
            (AuthResult::Failed, AuthResult::Failed)
        );
        assert_eq!(v.verdict, Verdict::Clone);
        assert_eq!(v.passive_auth, passive_auth::PaStatus::Valid);
        // BAC opened the chip again after CA ended the session: everything was read.
        assert_eq!(
            r.dg13.as_ref().unwrap().id_number.as_deref(),
            Some("001195000123")
        );
        assert!(r.dg2.is_some());
    }

    #[test]
    fn chip_authentication_over_3des_runs_after_bac_and_after_pace() {
        for (pace, clone) in [(false, false), (true, false), (false, true)] {
            let mut p = CitizenProfile::demo();
            p.chip.pace = pace;
            p.chip.chip_auth = true;
            p.chip.chip_auth_cipher = CaCipherKind::Tdes;
            p.chip.clone = clone;
            let dg14 = crate::card::lds::dg14::Dg14::parse(
                &personalise::personalise(&p).unwrap().files[&0x010E],
            )
            .unwrap();
            let params = CaParams::from_dg14(&dg14).unwrap().unwrap();
            assert_eq!(params.cipher, chip_auth::CaCipher::Tdes);
            let r = read_with(&p, &plan(&p)).unwrap();
            let v = &r.verification;
            let want = if clone {
                AuthResult::Failed
            } else {
                AuthResult::Passed
            };
            assert_eq!(
                v.chip_auth, want,
                "pace={pace} clone={clone}: {:?}",
                v.errors
            );
            assert_eq!(
                v.verdict,
                if clone {
                    Verdict::Clone
                } else {
                    Verdict::Genuine
                },
                "{:?}",
                v.errors
            );
            assert_eq!(r.access.protocol, if pace { "PACE" } else { "BAC" });
            assert!(r.dg13.is_some() && r.dg2.is_some());
        }
    }

    #[test]
    fn wrong_can_says_how_many_tries_are_left() {
        let mut p = pace_card();
        p.chip.pace_retries = Some(3);
        let mut card = InProcessCard {
            chip: personalise::chip(&p, Some(5)).unwrap(),
        };
        let mut read_can = |can: &str| {
            read_card(
                &mut card,
                &KeyPlan::from_can(can).unwrap(),
                ReadCaps::default(),
                &trust(),
                Utc::now(),
                &mut |_| {},
            )
        };
        let denied = |r: Result<CardRead, ReadFailure>| match r {
            Err(ReadFailure::AccessDenied { message, .. }) => message,
            other => panic!("expected access denied, got {:?}", other.err()),
        };
        let m = denied(read_can("999999"));
        assert!(
            m.contains(
                "PACE with the CAN was refused (63C2: 2 tries left before the chip blocks it)"
            ),
            "{m}"
        );
        let m = denied(read_can("999998"));
        assert!(m.contains("(63C1: 1 try left"), "{m}");
        // The right CAN opens it and resets the counter.
        let r = read_can(&p.id_number[6..]).unwrap();
        assert_eq!(r.access.protocol, "PACE");
        let m = denied(read_can("999999"));
        assert!(m.contains("(63C2: 2 tries left"), "{m}");
        denied(read_can("999999"));
        let m = denied(read_can("999999"));
        assert!(m.contains("(63C0: no tries left"), "{m}");
        let m = denied(read_can(&p.id_number[6..]));
        assert!(
            m.contains("PACE with the CAN is blocked by the chip"),
            "{m}"
        );
    }
}
