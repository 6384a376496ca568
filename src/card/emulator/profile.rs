//! What a software chip is personalised from: the citizen (as printed on a
//! CCCD and written in DG13) and the chip's behaviour.
//!
//! Profiles are JSON files (`virtual-card --profile FILE`); every field but the
//! ID number, name and birth date has a default, so a test can write only what it
//! varies. The defaults are a real CCCD's (DESIGN.md "Emulator defaults"): BAC,
//! short APDUs only, SELECT MF refused with 6D00, DG3 listed and locked (6982).
//! PACE, chip authentication, active authentication and a clone are options.

use serde::{Deserialize, Serialize};

/// The citizen on the card. Dates are written as on the chip (`DD/MM/YYYY`,
/// possibly `00/00/1948`; expiry may be "Không thời hạn").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CitizenProfile {
    pub id_number: String,
    pub full_name: String,
    pub date_of_birth: String,
    #[serde(default = "default_sex")]
    pub sex: String,
    #[serde(default = "default_nationality")]
    pub nationality: String,
    #[serde(default = "default_ethnicity")]
    pub ethnicity: String,
    #[serde(default = "default_religion")]
    pub religion: String,
    #[serde(default)]
    pub place_of_origin: String,
    #[serde(default)]
    pub place_of_residence: String,
    #[serde(default)]
    pub identifying_marks: String,
    pub date_of_issue: String,
    /// `DD/MM/YYYY` or "Không thời hạn" (MRZ `991231`).
    pub date_of_expiry: String,
    #[serde(default)]
    pub father_name: Option<String>,
    #[serde(default)]
    pub mother_name: Option<String>,
    #[serde(default)]
    pub spouse_name: Option<String>,
    #[serde(default)]
    pub old_id_number: Option<String>,
    #[serde(default)]
    pub chip: ChipOptions,
}

/// How the chip behaves.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ChipOptions {
    /// Face image stored in DG2.
    pub face: FaceImage,
    /// Accept extended-length APDUs (real CCCDs seen so far: no).
    pub extended_length: bool,
    /// Document-signer algorithm of EF.SOD.
    pub signer: crate::card::emulator::pki::SignerKind,
    /// Sign with a CSCA that no trust store holds.
    pub untrusted_csca: bool,
    /// Sign with a document signer whose certificate has expired.
    pub expired_signer: bool,
    /// Change this DG's bytes after signing (a tampered card).
    pub tamper_dg: Option<u8>,
    /// Make this DG's outer length claim far more bytes than the file holds (the DG
    /// number; the same fault as `lying_length_ef` with FID 0100 + n).
    pub lying_length_dg: Option<u8>,
    /// The same for any EF by its FID (EF.COM 011E, EF.SOD 011D, a DG 01xx).
    pub lying_length_ef: Option<u16>,
    /// Give this EF (by FID) an indefinite outer length (`80`), which DER forbids.
    pub malformed_header_ef: Option<u16>,
    /// Data groups left out of EF.COM's list though present and hashed (a clone hiding
    /// DG14/DG15 from a reader that would trust EF.COM, which nothing signs).
    pub com_hides: Vec<u8>,
    /// Drop the link after this many APDUs (the card pulled mid-read).
    pub remove_after_apdus: Option<usize>,
    /// Answer READ BINARY past the end with 6B00 and an over-long Le with 6700,
    /// instead of returning what is left with 6282 (some chips do).
    pub strict_le: bool,
    /// Answer any READ BINARY that asks past the end of the file with 6700, a short
    /// one too (where `strict_le` answers 6Cxx): the strictest chips. The reader then
    /// reads each file's header first.
    pub refuse_over_read: bool,
    /// Wait this long before answering each APDU (a slow chip or link; lets tests
    /// act while a read is under way).
    pub reply_delay_ms: u64,
    /// Largest plaintext Le the chip accepts in one READ BINARY (0 = no limit of its own).
    pub max_read: usize,
    /// Write a DG13 (a few chips have none).
    pub dg13: bool,
    /// For odd READ BINARY (B1), count Le as data bytes only, not the DO'53' header
    /// around them (ISO 7816-4 and JMRTD count the header; dmrtd assumes chips do not).
    pub odd_le_counts_data: bool,
    /// Offer PACE: EF.CardAccess in the MF naming ECDH generic mapping with AES-128 on
    /// the curve of `pace_parameter_id` (brainpoolP256r1 by default, what CCCD chips
    /// name), CAN = last 6 ID digits.
    pub pace: bool,
    /// The standardized domain parameter id the PACEInfo names and the chip runs PACE
    /// on (9303-11 §9.5.1): 13 brainpoolP256r1 (the CCCD's), or 8 P-192, 10 P-224,
    /// 12 P-256, 15 P-384, 16 brainpoolP384r1, 18 P-521.
    pub pace_parameter_id: u64,
    /// AES key length of the PACE protocol the chip offers and of the secure messaging
    /// after it: 128 (id-PACE-ECDH-GM-AES-CBC-CMAC-128, the CCCD's), 192 or 256.
    pub pace_aes_bits: u16,
    /// DG14 with an EC chip authentication key; the chip runs chip authentication
    /// (id-CA-ECDH-AES-CBC-CMAC-128, or 3DES per `chip_auth_cipher`).
    pub chip_auth: bool,
    /// Curve of the chip authentication key.
    pub chip_auth_curve: CaCurve,
    /// DG15 with an active authentication key of `active_auth_key`: ECDSA-SHA256 (its
    /// algorithm named in DG14's ActiveAuthenticationInfo) or RSA ISO/IEC 9796-2 (no
    /// DG14 needed); the chip signs INTERNAL AUTHENTICATE challenges.
    pub active_auth: bool,
    /// Curve of the active authentication key (AA key type of real CCCDs is
    /// unconfirmed, DG13.md: both are tried).
    pub active_auth_curve: CaCurve,
    /// Write the DG14/DG15 keys with explicit EC domain parameters instead of a
    /// named-curve OID (common on ICAO chips).
    pub explicit_key_params: bool,
    /// A clone: the signed data are intact, but the chip's chip/active
    /// authentication private keys are not the ones DG14/DG15 publish.
    pub clone: bool,
    /// Type of the active authentication key: `ecdsa` (on `active_auth_curve`, plain
    /// r‖s over SHA-256) or `rsa1024` / `rsa2048` (ISO/IEC 9796-2 scheme 1 with SHA-1,
    /// as most eMRTDs sign; an RSA-2048 signature needs extended length under secure
    /// messaging, DG13.md). An RSA key alone writes no DG14 (as on older chips).
    pub active_auth_key: AaKeyType,
    /// Cipher of chip authentication's session: `aes128` (id-CA-ECDH-AES-CBC-CMAC-128,
    /// MSE:Set AT + GENERAL AUTHENTICATE) or `3des` (id-CA-ECDH-3DES-CBC-CBC, MSE:Set KAT).
    pub chip_auth_cipher: CaCipherKind,
    /// Which private keys a clone (`clone`) lacks: `both`, `chip-auth` or `active-auth`.
    pub clone_keys: CloneKeys,
    /// Make EF.CardAccess unusable while PACE still works: `refused` (SELECT answers
    /// 6982) or `malformed` (bytes that are not SecurityInfos).
    pub card_access_fault: Option<CardAccessFault>,
    /// PACE retry counter: a wrong password is answered 63Cx with the tries left
    /// (then 6983, blocked, once none are left; a right one resets it). `None`: 6300.
    pub pace_retries: Option<u8>,
}

/// Type of the emulated active authentication key.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AaKeyType {
    /// ECDSA on `active_auth_curve`.
    #[default]
    Ecdsa,
    /// RSA, 1024-bit modulus (128-byte signature: fits a short protected reply).
    Rsa1024,
    /// RSA, 2048-bit modulus (256-byte signature: needs extended length under SM).
    Rsa2048,
}

impl AaKeyType {
    /// RSA modulus size in bits, `None` for ECDSA.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            Self::Ecdsa => None,
            Self::Rsa1024 => Some(1024),
            Self::Rsa2048 => Some(2048),
        }
    }
}

/// Chip authentication's session cipher.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CaCipherKind {
    #[default]
    Aes128,
    #[serde(rename = "3des")]
    Tdes,
}

/// Which keys a clone holds wrongly.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CloneKeys {
    /// Neither the chip nor the active authentication key is the published one.
    #[default]
    Both,
    /// Only the chip authentication key is wrong.
    ChipAuth,
    /// Only the active authentication key is wrong (chip authentication passes).
    ActiveAuth,
}

/// How EF.CardAccess is made unusable.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CardAccessFault {
    /// SELECT EF.CardAccess answers 6982.
    Refused,
    /// EF.CardAccess holds bytes that do not parse as SecurityInfos.
    Malformed,
    /// EF.CardAccess names PACE only on brainpoolP512r1 (parameter id 17), a curve with
    /// no maintained crate: a chip this reader cannot open with PACE.
    UnsupportedCurve,
}

/// Curve of an emulated chip key: the chip authentication key, and the active
/// authentication key when it is ECDSA (the name is from when only CA had curves).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CaCurve {
    /// brainpoolP256r1, as the CCCD's PACE.
    BrainpoolP256r1,
    /// NIST P-256.
    P256,
    /// NIST P-192 (chip authentication only: the p192 crate does not sign).
    P192,
    /// NIST P-224.
    P224,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
    /// brainpoolP384r1.
    BrainpoolP384r1,
}

impl CaCurve {
    /// The curve the key is on.
    pub fn ec_curve(self) -> crate::card::passive_auth::EcCurve {
        use crate::card::passive_auth::EcCurve;
        match self {
            CaCurve::BrainpoolP256r1 => EcCurve::BrainpoolP256r1,
            CaCurve::P256 => EcCurve::P256,
            CaCurve::P192 => EcCurve::P192,
            CaCurve::P224 => EcCurve::P224,
            CaCurve::P384 => EcCurve::P384,
            CaCurve::P521 => EcCurve::P521,
            CaCurve::BrainpoolP384r1 => EcCurve::BrainpoolP384r1,
        }
    }
}

impl Default for ChipOptions {
    fn default() -> Self {
        Self {
            face: FaceImage::Jpeg,
            extended_length: false,
            signer: crate::card::emulator::pki::SignerKind::RsaPkcs1Sha256,
            untrusted_csca: false,
            expired_signer: false,
            tamper_dg: None,
            lying_length_dg: None,
            lying_length_ef: None,
            malformed_header_ef: None,
            com_hides: Vec::new(),
            remove_after_apdus: None,
            strict_le: false,
            refuse_over_read: false,
            reply_delay_ms: 0,
            max_read: 0,
            dg13: true,
            odd_le_counts_data: false,
            pace: false,
            pace_parameter_id: crate::card::pace::CCCD_PARAMETER_ID,
            pace_aes_bits: 128,
            chip_auth: false,
            chip_auth_curve: CaCurve::BrainpoolP256r1,
            active_auth: false,
            active_auth_curve: CaCurve::P256,
            explicit_key_params: false,
            clone: false,
            active_auth_key: AaKeyType::Ecdsa,
            chip_auth_cipher: CaCipherKind::Aes128,
            clone_keys: CloneKeys::Both,
            card_access_fault: None,
            pace_retries: None,
        }
    }
}

/// Which face fixture goes into DG2.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FaceImage {
    /// ~15 KB JPEG, as on cards seen so far.
    Jpeg,
    /// ~40 KB JPEG (benchmarks).
    JpegLarge,
    /// JPEG 2000 (ICAO allows it).
    Jpeg2000,
}

fn default_sex() -> String {
    "Nam".into()
}
fn default_nationality() -> String {
    "Việt Nam".into()
}
fn default_ethnicity() -> String {
    "Kinh".into()
}
fn default_religion() -> String {
    "Không".into()
}

impl CitizenProfile {
    /// The QR text on the front of this citizen's 2021 card (DESIGN "Keys"):
    /// `ID|old ID|name|DDMMYYYY birth|gender|address|DDMMYYYY issue`.
    pub fn qr_text(&self) -> String {
        let compact = |d: &str| d.replace('/', "");
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.id_number,
            self.old_id_number.clone().unwrap_or_default(),
            self.full_name,
            compact(&self.date_of_birth),
            self.sex,
            self.place_of_residence,
            compact(&self.date_of_issue)
        )
    }

    /// The chip as a CCCD's EF.COM lists it (DG1, DG2, DG3, DG13, DG14, DG15; cccd-chip.md
    /// §3) and as eKYC apps open it (PACE-CAN on brainpoolP256r1): PACE, chip
    /// authentication and active authentication on. `virtual-card --demo/--elderly` serve
    /// this; the profile defaults stay BAC-only, so a test opts in to what it exercises.
    pub fn with_cccd_chip(mut self) -> Self {
        self.chip.pace = true;
        self.chip.chip_auth = true;
        self.chip.active_auth = true;
        self
    }

    /// The demo citizen (synthetic; the ID's check digits and century digit are consistent).
    pub fn demo() -> Self {
        Self {
            id_number: "001195000123".into(),
            full_name: "Nguyễn Thị Thu Hương".into(),
            date_of_birth: "14/03/1995".into(),
            sex: "Nữ".into(),
            nationality: default_nationality(),
            ethnicity: default_ethnicity(),
            religion: default_religion(),
            place_of_origin: "Xã Đông Hội, Huyện Đông Anh, Hà Nội".into(),
            place_of_residence:
                "Số 12 Ngõ 34 Phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội".into(),
            identifying_marks: "Nốt ruồi C:1cm trên trước mép phải".into(),
            date_of_issue: "10/07/2021".into(),
            date_of_expiry: "14/03/2035".into(),
            father_name: Some("Nguyễn Văn Đức".into()),
            mother_name: Some("Trần Thị Lụa".into()),
            spouse_name: None,
            old_id_number: Some("012345678".into()),
            chip: ChipOptions::default(),
        }
    }

    /// An elderly citizen: card for life ("Không thời hạn", MRZ `991231`), born 1948,
    /// only the birth year known (`00/00/1948`).
    pub fn elderly() -> Self {
        Self {
            id_number: "038048000456".into(),
            full_name: "Lê Văn Ất".into(),
            date_of_birth: "00/00/1948".into(),
            sex: "Nam".into(),
            place_of_origin: "Xã Xuân Hòa, Huyện Thọ Xuân, Thanh Hóa".into(),
            place_of_residence: "Thôn Đông, Xã Xuân Hòa, Huyện Thọ Xuân, Thanh Hóa".into(),
            identifying_marks: "Sẹo chấm C:2cm dưới sau đuôi mắt trái".into(),
            date_of_issue: "05/05/2021".into(),
            date_of_expiry: "Không thời hạn".into(),
            father_name: Some("Lê Văn Bính".into()),
            mother_name: Some("Phạm Thị Gái".into()),
            spouse_name: Some("Hoàng Thị Mận".into()),
            old_id_number: None,
            ..Self::demo()
        }
    }

    /// Parse a profile file (JSON).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}
