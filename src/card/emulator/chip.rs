//! The chip's command processor: an eMRTD applet with BAC and 3DES secure
//! messaging (ICAO 9303-11 §4.3, §9.8), answering as CCCD chips are reported to
//! (DG13.md): SELECT MF → 6D00, DG3 → 6982, short APDUs unless told otherwise.
//!
//! Replies to secure-messaging commands are always protected, error status words
//! included; only a MAC failure answers plain 6988 and ends the session, as
//! 9303-11 §9.8.4 requires.
//!
//! Options add PACE (MSE:Set AT `C1 A4` and four GENERAL AUTHENTICATEs in the MF,
//! before the applet is selected; EF.CardAccess readable in plain), chip
//! authentication under secure messaging (MSE:Set AT `41 A4` + GENERAL AUTHENTICATE,
//! or MSE:Set KAT `41 A6`; the reply still goes out under the old keys, then the
//! session switches to the new ones) and active authentication (INTERNAL
//! AUTHENTICATE signed with ECDSA on the key's curve, plain r||s over SHA-256 of the
//! challenge, or RSA with ISO/IEC 9796-2 scheme 1). Faults: EF.CardAccess refused
//! (6982), a PACE retry counter (63Cx, then 6983).

use super::profile::{CardAccessFault, ChipOptions};
use crate::card::apdu::{Command, Response, StatusWord};
use crate::card::bac::BacChip;
use crate::card::chip_auth::CaChip;
use crate::card::pace::PaceChip;
use crate::card::sm::SmChip;
use rand::rngs::StdRng;
use std::collections::{BTreeMap, BTreeSet};

use crate::card::read::MRTD_AID;

enum Access {
    Plain,
    Challenged(Box<BacChip>),
    Secure(Box<SmChip>),
}

/// The keys a chip holds beyond BAC's: PACE passwords, the chip authentication
/// private key, the active authentication signing key. A clone's differ from what
/// DG14/DG15 publish.
#[derive(Default)]
pub struct ChipSecrets {
    /// PACE passwords (CAN, MRZ) and the protocol offered; `None`: no PACE.
    pub pace: Option<PaceChip>,
    /// Chip authentication private key; `None`: the chip refuses CA.
    pub chip_auth: Option<CaChip>,
    /// Active authentication signing key; `None`: no INTERNAL AUTHENTICATE.
    pub active_auth: Option<AaKey>,
}

/// An active authentication private key on one of the curves the emulator offers.
pub enum AaKey {
    P256(p256::ecdsa::SigningKey),
    /// ecdsa 0.17, the family of bp256 (p256 is on 0.16).
    BrainpoolP256r1(ecdsa17::SigningKey<bp256::BrainpoolP256r1>),
    P224(p224::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    BrainpoolP384r1(ecdsa17::SigningKey<bp384::BrainpoolP384r1>),
    /// RSA, signing by ISO/IEC 9796-2 scheme 1 (9303-11 §6.1.2).
    Rsa(Box<rsa::RsaPrivateKey>),
}

impl AaKey {
    /// The key from its big-endian private scalar.
    pub fn new(curve: crate::card::passive_auth::EcCurve, scalar: &[u8]) -> Result<AaKey, String> {
        use crate::card::passive_auth::EcCurve;
        match curve {
            EcCurve::P256 => p256::ecdsa::SigningKey::from_slice(scalar)
                .map(AaKey::P256)
                .map_err(|e| e.to_string()),
            EcCurve::BrainpoolP256r1 => ecdsa17::SigningKey::from_slice(scalar)
                .map(AaKey::BrainpoolP256r1)
                .map_err(|e| e.to_string()),
            // The p192 crate verifies only (NIST SP 800-131A: no new P-192 signatures).
            EcCurve::P192 => Err("active authentication on P-192 is not emulated".into()),
            EcCurve::P224 => p224::ecdsa::SigningKey::from_slice(scalar)
                .map(AaKey::P224)
                .map_err(|e| e.to_string()),
            EcCurve::P384 => p384::ecdsa::SigningKey::from_slice(scalar)
                .map(AaKey::P384)
                .map_err(|e| e.to_string()),
            EcCurve::P521 => p521::ecdsa::SigningKey::from_slice(scalar)
                .map(AaKey::P521)
                .map_err(|e| e.to_string()),
            EcCurve::BrainpoolP384r1 => ecdsa17::SigningKey::from_slice(scalar)
                .map(AaKey::BrainpoolP384r1)
                .map_err(|e| e.to_string()),
        }
    }

    /// ECDSA over SHA-256 of the challenge, plain r‖s (BSI TR-03111), or RSA with
    /// ISO/IEC 9796-2 scheme 1, as chips answer INTERNAL AUTHENTICATE (9303-11 §6.1).
    fn sign_challenge(&self, challenge: &[u8], rng: &mut StdRng) -> Option<Vec<u8>> {
        use crate::card::passive_auth::{ecdsa_prehash, EcCurve};
        use ecdsa17::signature::hazmat::PrehashSigner as _;
        use p256::ecdsa::signature::hazmat::PrehashSigner as _;
        use sha2::Digest;
        let digest = sha2::Sha256::digest(challenge);
        // The digest left-padded to the field (P-521's 66 bytes refuse a bare 32-byte
        // prehash): the same integer (`ecdsa_prehash`), unchanged on 256-bit curves.
        let pre = |c: EcCurve| ecdsa_prehash(&digest, c.field_len());
        macro_rules! sign {
            ($key:expr, $sig:ty, $curve:expr) => {{
                let sig: Option<$sig> = $key.sign_prehash(&pre($curve)).ok();
                sig.map(|s| s.to_bytes().to_vec())
            }};
        }
        match self {
            AaKey::Rsa(key) => iso9796_2_sign(key, challenge, rng),
            AaKey::P224(k) => sign!(k, p224::ecdsa::Signature, EcCurve::P224),
            AaKey::P256(k) => sign!(k, p256::ecdsa::Signature, EcCurve::P256),
            AaKey::P384(k) => sign!(k, p384::ecdsa::Signature, EcCurve::P384),
            AaKey::P521(k) => sign!(k, p521::ecdsa::Signature, EcCurve::P521),
            AaKey::BrainpoolP256r1(k) => sign!(
                k,
                ecdsa17::Signature<bp256::BrainpoolP256r1>,
                EcCurve::BrainpoolP256r1
            ),
            AaKey::BrainpoolP384r1(k) => sign!(
                k,
                ecdsa17::Signature<bp384::BrainpoolP384r1>,
                EcCurve::BrainpoolP384r1
            ),
        }
    }
}

/// ISO/IEC 9796-2 digital signature scheme 1 with SHA-1 and partial message recovery,
/// as eMRTDs sign (9303-11 §6.1.2): `F = 6A || M1 || SHA-1(M1 || M2) || BC` with M1
/// chip-chosen random bytes filling the modulus and M2 the terminal's challenge;
/// `s = F^d mod n` by the `rsa` crate's raw private-key operation (blinded, checked).
fn iso9796_2_sign(key: &rsa::RsaPrivateKey, m2: &[u8], rng: &mut StdRng) -> Option<Vec<u8>> {
    use rand::RngCore;
    use rsa::traits::PublicKeyParts;
    use sha1::Digest;
    let k = key.size();
    // header, M1, 20-byte digest, trailer: F is k bytes below n (header 6A < n's top byte).
    let mut m1 = vec![0u8; k.checked_sub(1 + 20 + 1)?];
    rng.fill_bytes(&mut m1);
    let mut f = Vec::with_capacity(k);
    f.push(0x6A);
    f.extend_from_slice(&m1);
    f.extend_from_slice(
        &sha1::Sha1::new()
            .chain_update(&m1)
            .chain_update(m2)
            .finalize(),
    );
    f.push(0xBC);
    let s = rsa::hazmat::rsa_decrypt_and_check(key, Some(rng), &rsa::BigUint::from_bytes_be(&f))
        .ok()?;
    let mut sig = s.to_bytes_be();
    // Left-pad to the modulus size, as a chip sends it.
    while sig.len() < k {
        sig.insert(0, 0);
    }
    Some(sig)
}

/// A personalised software chip.
pub struct Chip {
    secrets: ChipSecrets,
    /// The session chip authentication starts once its reply is out.
    pending_session: Option<SmChip>,
    files: BTreeMap<u16, Vec<u8>>,
    locked: BTreeSet<u16>,
    bac_seed: [u8; 16],
    opts: ChipOptions,
    access: Access,
    applet: bool,
    selected: Option<u16>,
    rng: StdRng,
    apdus: usize,
    /// PACE tries left before the password is blocked (`opts.pace_retries`).
    pace_tries: Option<u8>,
}

impl Chip {
    /// A chip holding `files` (FID → bytes), opened by BAC with `bac_seed`.
    pub fn new(
        files: BTreeMap<u16, Vec<u8>>,
        locked: BTreeSet<u16>,
        bac_seed: [u8; 16],
        opts: ChipOptions,
        rng: StdRng,
    ) -> Self {
        Self {
            secrets: ChipSecrets::default(),
            pending_session: None,
            files,
            locked,
            bac_seed,
            access: Access::Plain,
            applet: false,
            selected: None,
            pace_tries: opts.pace_retries,
            rng,
            apdus: 0,
            opts,
        }
    }

    /// Give the chip PACE, chip and active authentication keys.
    pub fn with_secrets(mut self, secrets: ChipSecrets) -> Self {
        self.secrets = secrets;
        self
    }

    /// The ATR a contactless ISO 14443-4 card shows through a PC/SC reader
    /// (PC/SC Part 3 §3.1.3.2.3: 3B 8n 80 01, historical bytes, TCK).
    pub fn atr() -> Vec<u8> {
        let mut atr = vec![
            0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x77, 0x81, 0x81, 0x00,
        ];
        let tck = atr[1..].iter().fold(0u8, |a, b| a ^ b);
        atr.push(tck);
        atr
    }

    /// Power cycle: the session and selections are gone.
    pub fn reset(&mut self) {
        self.access = Access::Plain;
        self.applet = false;
        self.selected = None;
    }

    /// True once the card should count as pulled out (fault injection).
    pub fn removed(&self) -> bool {
        self.opts
            .remove_after_apdus
            .is_some_and(|n| self.apdus >= n)
    }

    /// Process one command APDU and return the response bytes.
    pub fn process(&mut self, raw: &[u8]) -> Vec<u8> {
        self.apdus += 1;
        if self.opts.reply_delay_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(self.opts.reply_delay_ms));
        }
        let extended = raw.len() >= 7 && raw[4] == 0;
        if extended && !self.opts.extended_length {
            return Response::status(StatusWord::WrongLength).to_bytes();
        }
        let secure = raw.first().is_some_and(|cla| cla & 0x0C == 0x0C);
        if let (true, Access::Secure(sm)) = (secure, &mut self.access) {
            let cmd = match sm.unwrap_command(raw) {
                Ok(c) => c,
                Err(_) => {
                    self.reset();
                    return Response::status(StatusWord::SmObjectsIncorrect).to_bytes();
                }
            };
            let resp = self.dispatch(&cmd, true);
            let Access::Secure(sm) = &mut self.access else {
                return resp.to_bytes();
            };
            let wrapped = sm.wrap_response(&resp);
            if !self.opts.extended_length && wrapped.len() > 258 {
                return sm.wrap_response(&Response::status(StatusWord::WrongLength));
            }
            if let Some(next) = self.pending_session.take() {
                // Chip authentication: this reply was the last under the old keys.
                self.access = Access::Secure(Box::new(next));
            }
            return wrapped;
        }
        if matches!(self.access, Access::Secure(_)) {
            // A plain command ends the secure session (9303-11 §9.8.4).
            self.access = Access::Plain;
        }
        match Command::parse(raw) {
            Ok(cmd) => self.dispatch(&cmd, false).to_bytes(),
            Err(_) => Response::status(StatusWord::WrongLength).to_bytes(),
        }
    }

    fn dispatch(&mut self, cmd: &Command, secure: bool) -> Response {
        match cmd.ins {
            0xA4 => self.select(cmd),
            0x84 if !secure => self.get_challenge(cmd),
            0x82 if !secure => self.mutual_authenticate(cmd),
            // EF.CardAccess is readable before access control (9303-11 §4.2).
            0xB0 | 0xB1 if secure || self.selected == Some(0x011C) => self.read_binary(cmd),
            0xB0 | 0xB1 => Response::status(StatusWord::SecurityStatusNotSatisfied),
            0x22 => self.manage_security_environment(cmd, secure),
            0x86 if !secure => self.pace_general_authenticate(cmd),
            0x86 => self.chip_authentication(cmd),
            0x88 if secure => self.internal_authenticate(cmd),
            _ => Response::status(StatusWord::InsNotSupported),
        }
    }

    fn select(&mut self, cmd: &Command) -> Response {
        match cmd.p1 {
            0x04 if cmd.data == MRTD_AID => {
                self.applet = true;
                self.selected = None;
                Response::status(StatusWord::Success)
            }
            0x04 => Response::status(StatusWord::FileNotFound),
            // CCCD quirk: SELECT MF (P1=00, 3F00 or empty) is not supported.
            0x00 if cmd.data.is_empty() || cmd.data == [0x3F, 0x00] => {
                Response::status(StatusWord::InsNotSupported)
            }
            0x00 | 0x02 => {
                let Ok(fid) = <[u8; 2]>::try_from(cmd.data.as_slice()).map(u16::from_be_bytes)
                else {
                    return Response::status(StatusWord::WrongLength);
                };
                // EF.CardAccess lives in the MF; everything else in the applet.
                if fid != 0x011C && !self.applet {
                    return Response::status(StatusWord::FileNotFound);
                }
                if self.locked.contains(&fid)
                    || (fid == 0x011C
                        && self.opts.card_access_fault == Some(CardAccessFault::Refused))
                {
                    return Response::status(StatusWord::SecurityStatusNotSatisfied);
                }
                if self.files.contains_key(&fid) {
                    self.selected = Some(fid);
                    Response::status(StatusWord::Success)
                } else {
                    Response::status(StatusWord::FileNotFound)
                }
            }
            _ => Response::status(StatusWord::IncorrectP1P2),
        }
    }

    /// MSE:Set AT for PACE (`C1 A4`, plain) or chip authentication (`41 A4`), or
    /// MSE:Set KAT (`41 A6`, 3DES chip authentication), 9303-11 §4.4.4.1, §6.2.
    fn manage_security_environment(&mut self, cmd: &Command, secure: bool) -> Response {
        match (cmd.p1, cmd.p2, secure) {
            (0xC1, 0xA4, false) => match self.secrets.pace.as_mut() {
                Some(pace) => {
                    self.access = Access::Plain;
                    match pace.set_at(&cmd.data) {
                        Ok(()) => Response::status(StatusWord::Success),
                        Err(e) => Response::status(e.chip_status()),
                    }
                }
                None => Response::status(StatusWord::InsNotSupported),
            },
            (0x41, 0xA4, true) if self.secrets.chip_auth.is_some() => {
                Response::status(StatusWord::Success)
            }
            (0x41, 0xA6, true) => self.chip_authentication(cmd),
            _ => Response::status(StatusWord::InsNotSupported),
        }
    }

    /// One PACE GENERAL AUTHENTICATE; the last one opens an AES session.
    fn pace_general_authenticate(&mut self, cmd: &Command) -> Response {
        let Some(pace) = self.secrets.pace.as_mut() else {
            return Response::status(StatusWord::InsNotSupported);
        };
        if self.pace_tries == Some(0) {
            return Response::status(StatusWord::AuthenticationBlocked);
        }
        match pace.general_authenticate(&cmd.data, &mut self.rng) {
            Err(crate::card::pace::PaceError::AccessDenied(_)) if self.pace_tries.is_some() => {
                let left = self.pace_tries.unwrap_or(0).saturating_sub(1);
                self.pace_tries = Some(left);
                Response::status(StatusWord::RetriesLeft(left))
            }
            Ok(reply) => {
                if reply.session.is_some() && self.pace_tries.is_some() {
                    self.pace_tries = self.opts.pace_retries;
                }
                if let Some(cipher) = reply.session {
                    self.access = Access::Secure(Box::new(SmChip::with_cipher(
                        Box::new(cipher),
                        vec![0; 16],
                    )));
                }
                Response::new(reply.data, StatusWord::Success)
            }
            Err(e) => Response::status(e.chip_status()),
        }
    }

    /// Chip authentication: agree on keys with the terminal's ephemeral key; the
    /// new session starts after this reply (see `process`).
    fn chip_authentication(&mut self, cmd: &Command) -> Response {
        let Some(ca) = self.secrets.chip_auth.as_ref() else {
            return Response::status(StatusWord::InsNotSupported);
        };
        let session = CaChip::terminal_key(&cmd.data).and_then(|k| ca.agree(&k));
        match session {
            Ok(next) => {
                self.pending_session = Some(next);
                if cmd.ins == 0x86 {
                    Response::new(vec![0x7C, 0x00], StatusWord::Success)
                } else {
                    Response::status(StatusWord::Success)
                }
            }
            Err(_) => Response::status(StatusWord::Other(0x6A80)),
        }
    }

    /// Active authentication: ECDSA over SHA-256 of the challenge, plain r||s.
    fn internal_authenticate(&mut self, cmd: &Command) -> Response {
        let Some(key) = self.secrets.active_auth.as_ref() else {
            return Response::status(StatusWord::InsNotSupported);
        };
        if cmd.data.len() != 8 {
            return Response::status(StatusWord::WrongLength);
        }
        match key.sign_challenge(&cmd.data, &mut self.rng) {
            Some(sig) => Response::new(sig, StatusWord::Success),
            None => Response::status(StatusWord::Other(0x6F00)),
        }
    }

    fn get_challenge(&mut self, cmd: &Command) -> Response {
        if cmd.le != Some(8) {
            return Response::status(StatusWord::WrongLength);
        }
        let mut bac = Box::new(BacChip::new(&self.bac_seed));
        let challenge = bac.get_challenge(&mut self.rng);
        self.access = Access::Challenged(bac);
        Response::new(challenge.to_vec(), StatusWord::Success)
    }

    fn mutual_authenticate(&mut self, cmd: &Command) -> Response {
        let Access::Challenged(bac) = &mut self.access else {
            return Response::status(StatusWord::ConditionsNotSatisfied);
        };
        match bac.mutual_authenticate(&cmd.data, &mut self.rng) {
            Ok((reply, keys)) => {
                self.access = Access::Secure(Box::new(SmChip::new(keys)));
                Response::new(reply, StatusWord::Success)
            }
            Err(_) => {
                self.access = Access::Plain;
                Response::status(StatusWord::SecurityStatusNotSatisfied)
            }
        }
    }

    /// READ BINARY: offset in P1-P2 (B0), by short file identifier (B0 with P1 bit 8,
    /// 7816-4 §11.3.3), or beyond 32767 with the offset in DO'54' (odd INS B1, the
    /// data returned in DO'53').
    fn read_binary(&mut self, cmd: &Command) -> Response {
        let offset = if cmd.ins == 0xB1 {
            match crate::card::tlv::expect(&cmd.data, 0x54) {
                Ok(t) if !t.value.is_empty() && t.value.len() <= 3 => {
                    t.value.iter().fold(0usize, |a, &b| (a << 8) | b as usize)
                }
                _ => return Response::status(StatusWord::WrongParameters),
            }
        } else if cmd.p1 & 0x80 != 0 {
            let fid = 0x0100 | (cmd.p1 & 0x1F) as u16;
            if self.locked.contains(&fid) {
                return Response::status(StatusWord::SecurityStatusNotSatisfied);
            }
            if !self.files.contains_key(&fid) {
                return Response::status(StatusWord::FileNotFound);
            }
            self.selected = Some(fid);
            cmd.p2 as usize
        } else {
            u16::from_be_bytes([cmd.p1, cmd.p2]) as usize
        };
        let Some(file) = self.selected.and_then(|f| self.files.get(&f)) else {
            return Response::status(StatusWord::Other(0x6986)); // no current EF
        };
        let le = cmd.le.unwrap_or(256);
        if self.opts.max_read > 0 && le > self.opts.max_read {
            return Response::status(StatusWord::WrongLength);
        }
        if offset >= file.len() {
            return Response::status(StatusWord::WrongParameters);
        }
        let left = file.len() - offset;
        // B1 wraps the data in DO'53': its header counts against Le.
        let header = if cmd.ins == 0xB1 && !self.opts.odd_le_counts_data {
            let mut h = vec![0x53];
            crate::card::tlv::encode_length(le.min(left), &mut h);
            h.len()
        } else {
            0
        };
        let room = le.saturating_sub(header);
        let wrap = |d: &[u8]| {
            if cmd.ins == 0xB1 {
                crate::card::tlv::encode(0x53, d)
            } else {
                d.to_vec()
            }
        };
        if room <= left {
            return Response::new(wrap(&file[offset..offset + room]), StatusWord::Success);
        }
        if self.opts.refuse_over_read {
            return Response::status(StatusWord::WrongLength);
        }
        if self.opts.strict_le {
            let exact = left + header;
            return if exact < 256 {
                Response::status(StatusWord::WrongLe(exact as u8))
            } else {
                Response::status(StatusWord::WrongLength)
            };
        }
        Response::new(wrap(&file[offset..]), StatusWord::EndOfFile)
    }
}
