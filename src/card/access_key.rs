//! What opens the chip: the PACE CAN and the BAC keys a reader tries, built
//! from what the officer has at hand — the card's QR code, its MRZ, a CAN, or
//! typed fields (`cccd-kiosk read --qr | --can | --mrz | --id | --doc`).
//!
//! # Keys (DESIGN.md "Keys", cccd-chip.md §1)
//! * **PACE with CAN = the last 6 digits of the 12-digit ID.** The CCCD has no
//!   printed CAN; Vietnamese readers use the ID's tail. So the ID alone
//!   (`--id`, or the first field of the QR) is a full key.
//! * **BAC** (ICAO 9303-11 §9.7.2, App. D.2): `MRZ_information` = document
//!   number (the ID's last 9 digits on a CCCD) + check digit + date of birth
//!   `YYMMDD` + cd + date of expiry `YYMMDD` + cd; `K_seed` = SHA-1 of it, first
//!   16 bytes. MRZ characters are used as printed (`58<<<<` stays `58<<<<`).
//! * The QR has no expiry, so BAC from a QR needs the card-validity rules below
//!   to guess it: [`candidate_expiries`] lists the dates, most likely first.
//!
//! # Card validity (how long a card is valid, hence its MRZ expiry)
//! * **Law on Citizen Identification 2014 (Luật Căn cước công dân 20/2014/QH13)
//!   Art. 21:** the card is renewed at ages **25, 40 and 60**; a card issued,
//!   renewed or re-issued **within 2 years before** one of those ages stays valid
//!   to the **next** one.
//! * **Law on Identification 2023 (Luật Căn cước 26/2023/QH15) Art. 21 and
//!   Decree 70/2024/NĐ-CP**, in force from **1 July 2024:** milestones **14, 25, 40,
//!   60**, the same 2-year clause. A card issued at **58 or older** is valid for
//!   life; its MRZ expiry is `991231` (cccd-chip.md §1, two public samples).
//! * The expiry date is the birthday at the milestone age (public samples:
//!   DOB 05/01/1993 → 05/01/2033).
//!
//! Decisions where the law is silent (cccd-chip.md marks them UNCONFIRMED):
//! * "Within 2 years before age m" is read as: age in full years at the issue
//!   date ≥ m − 2. Officials may apply it to the application date (days to weeks
//!   before issue) or count age by calendar year, so the neighbours of the
//!   boundary (issue ± 60 days, age by calendar year) are added as later
//!   candidates, as is the other law's milestone set (14 or not) and `991231`
//!   from age 57.
//! * **29 February births**, milestone in a common year: 28 February first (the
//!   Civil Code 2015 rule that a period in years without a corresponding day ends
//!   on the last day of that month — our reading), then the literal `YY0229` a
//!   system copying the birthday's month/day would print, then 1 March.
//! * At most [`MAX_CANDIDATES`] candidates: each wrong BAC attempt costs time
//!   and the chip's retry behaviour is unknown.
//!
//! # The 12-digit personal ID (`PPP G YY RRRRRR`, cccd-chip.md §6)
//! Decree 137/2015/NĐ-CP Art. 7 sets the structure, Circular 07/2016/TT-BCA
//! (then Circular 59/2021/TT-BCA) the codes: `PPP` the province (or country,
//! for Vietnamese born abroad) where the birth was registered; `G` sex and
//! century — even male, odd female, century = 1900 + 100·⌊G/2⌋ (0/1 → 19xx, 2/3 →
//! 20xx, 4/5 → 21xx …); `YY` the birth year's last two digits; `RRRRRR` random.
//! Circular 59/2021 expired on 1 July 2024, the 2023 Law only guarantees 12
//! digits, and the 2025 province mergers may bring new codes: so an unknown
//! province code is a **warning**, never an error. [`PROVINCES`] is the
//! pre-2025 table of the 63 provinces.
//!
//! Every [`KeyError`] names the input it is about (`qr`, `qr.id_number`,
//! `qr.date_of_birth`, `qr.date_of_issue`, `can`, `id`, `dob`, `expiry`, `mrz`,
//! `doc`) so the CLI can print `{"error": {"field": …}}` (exit 2). Messages do
//! not repeat the personal data they are about.

use chrono::{Datelike, Days, NaiveDate};
use sha1::{Digest, Sha1};
use thiserror::Error;

use crate::card::lds::dg1::{ascii_name, check_digit, Td1, NO_EXPIRY};

/// At most this many BAC candidates are produced from a date of birth.
pub const MAX_CANDIDATES: usize = 6;

/// Province codes of the 12-digit ID (GSO codes of the 63 provinces before the
/// 2025 mergers; Circular 07/2016/TT-BCA, later 59/2021/TT-BCA).
pub const PROVINCES: [(&str, &str); 63] = [
    ("001", "Hà Nội"),
    ("002", "Hà Giang"),
    ("004", "Cao Bằng"),
    ("006", "Bắc Kạn"),
    ("008", "Tuyên Quang"),
    ("010", "Lào Cai"),
    ("011", "Điện Biên"),
    ("012", "Lai Châu"),
    ("014", "Sơn La"),
    ("015", "Yên Bái"),
    ("017", "Hoà Bình"),
    ("019", "Thái Nguyên"),
    ("020", "Lạng Sơn"),
    ("022", "Quảng Ninh"),
    ("024", "Bắc Giang"),
    ("025", "Phú Thọ"),
    ("026", "Vĩnh Phúc"),
    ("027", "Bắc Ninh"),
    ("030", "Hải Dương"),
    ("031", "Hải Phòng"),
    ("033", "Hưng Yên"),
    ("034", "Thái Bình"),
    ("035", "Hà Nam"),
    ("036", "Nam Định"),
    ("037", "Ninh Bình"),
    ("038", "Thanh Hóa"),
    ("040", "Nghệ An"),
    ("042", "Hà Tĩnh"),
    ("044", "Quảng Bình"),
    ("045", "Quảng Trị"),
    ("046", "Thừa Thiên Huế"),
    ("048", "Đà Nẵng"),
    ("049", "Quảng Nam"),
    ("051", "Quảng Ngãi"),
    ("052", "Bình Định"),
    ("054", "Phú Yên"),
    ("056", "Khánh Hòa"),
    ("058", "Ninh Thuận"),
    ("060", "Bình Thuận"),
    ("062", "Kon Tum"),
    ("064", "Gia Lai"),
    ("066", "Đắk Lắk"),
    ("067", "Đắk Nông"),
    ("068", "Lâm Đồng"),
    ("070", "Bình Phước"),
    ("072", "Tây Ninh"),
    ("074", "Bình Dương"),
    ("075", "Đồng Nai"),
    ("077", "Bà Rịa-Vũng Tàu"),
    ("079", "TP Hồ Chí Minh"),
    ("080", "Long An"),
    ("082", "Tiền Giang"),
    ("083", "Bến Tre"),
    ("084", "Trà Vinh"),
    ("086", "Vĩnh Long"),
    ("087", "Đồng Tháp"),
    ("089", "An Giang"),
    ("091", "Kiên Giang"),
    ("092", "Cần Thơ"),
    ("093", "Hậu Giang"),
    ("094", "Sóc Trăng"),
    ("095", "Bạc Liêu"),
    ("096", "Cà Mau"),
];

/// Milestone ages of the 2014 Law (Art. 21).
const MILESTONES_2014: [i32; 3] = [25, 40, 60];
/// Milestone ages of the 2023 Law (Art. 21), for cards issued from 1 Jul 2024.
const MILESTONES_2023: [i32; 4] = [14, 25, 40, 60];

fn law_2023_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 7, 1).unwrap_or(NaiveDate::MIN)
}

/// Where the key came from; reported as `access.key_source` in the `read` JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `--qr`: the card's QR code.
    Qr,
    /// `--can`: a 6-digit CAN.
    Can,
    /// `--mrz`: the three MRZ lines.
    Mrz,
    /// Typed fields: `--id [--dob [--expiry]]` or `--doc --dob --expiry`.
    Fields,
}

impl KeySource {
    /// The JSON spelling: `qr | can | mrz | fields`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeySource::Qr => "qr",
            KeySource::Can => "can",
            KeySource::Mrz => "mrz",
            KeySource::Fields => "fields",
        }
    }
}

/// One BAC key: the three MRZ fields BAC hashes, as printed on the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacKey {
    /// Document number as printed, fillers kept: 9 characters (the ID's last 9
    /// digits on a CCCD); a shorter one is padded with `<` by [`BacKey::mrz_information`].
    pub document_number: String,
    /// Date of birth `YYMMDD` as printed (may hold `<`).
    pub date_of_birth: String,
    /// Date of expiry `YYMMDD` as printed (`991231` for life).
    pub date_of_expiry: String,
}

impl BacKey {
    /// `MRZ_information` of ICAO 9303-11 §9.7.2: each field followed by its
    /// 7-3-1 check digit.
    pub fn mrz_information(&self) -> String {
        let mut doc = self.document_number.clone();
        while doc.len() < 9 {
            doc.push('<');
        }
        format!(
            "{doc}{}{}{}{}{}",
            check_digit(&doc),
            self.date_of_birth,
            check_digit(&self.date_of_birth),
            self.date_of_expiry,
            check_digit(&self.date_of_expiry)
        )
    }

    /// `K_seed` = SHA-1(`MRZ_information`)[0..16] (9303-11 §9.7.2, App. D.2),
    /// from which BAC derives K_enc and K_mac.
    pub fn seed(&self) -> [u8; 16] {
        let digest = Sha1::digest(self.mrz_information().as_bytes());
        let mut seed = [0u8; 16];
        for (s, d) in seed.iter_mut().zip(digest.iter()) {
            *s = *d;
        }
        seed
    }
}

/// Bad key input; `field` names the input (see the module doc), `message`
/// what is wrong. Displayed as `<field>: <message>`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct KeyError {
    /// The input at fault (`qr`, `can`, `id`, `dob`, `expiry`, `mrz`, `doc`, `qr.…`).
    pub field: String,
    /// What is wrong, for the officer.
    pub message: String,
}

impl KeyError {
    fn new(field: &str, message: impl Into<String>) -> KeyError {
        KeyError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// A validated 12-digit personal ID number (`PPP G YY RRRRRR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    /// Check length and digits (surrounding blanks are ignored). The province
    /// code is not checked here: see [`IdNumber::warnings`].
    pub fn parse(s: &str) -> Result<IdNumber, KeyError> {
        let s = s.trim();
        if let Some(pos) = s.chars().position(|c| !c.is_ascii_digit()) {
            return Err(KeyError::new(
                "id",
                format!(
                    "character {} is not a digit; the ID number is 12 digits",
                    pos + 1
                ),
            ));
        }
        if s.len() != 12 {
            return Err(KeyError::new(
                "id",
                format!("the ID number is 12 digits, found {}", s.len()),
            ));
        }
        Ok(IdNumber(s.to_string()))
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digit(&self, i: usize) -> i32 {
        self.0
            .as_bytes()
            .get(i)
            .map_or(0, |b| i32::from(b.saturating_sub(b'0')))
    }

    /// The province code `PPP`.
    pub fn province_code(&self) -> &str {
        self.0.get(..3).unwrap_or("")
    }

    /// The province name, `None` for a code outside [`PROVINCES`] (born abroad,
    /// or a code newer than the table).
    pub fn province(&self) -> Option<&'static str> {
        PROVINCES
            .iter()
            .find(|(code, _)| *code == self.province_code())
            .map(|(_, name)| *name)
    }

    /// The gender/century digit `G` (4th digit).
    pub fn century_digit(&self) -> u8 {
        self.digit(3) as u8
    }

    /// The last two digits of the birth year (`YY`, 5th and 6th digits).
    pub fn year_digits(&self) -> &str {
        self.0.get(4..6).unwrap_or("")
    }

    /// The birth year: 1900 + 100·⌊G/2⌋ + YY.
    pub fn birth_year(&self) -> i32 {
        1900 + 100 * (self.digit(3) / 2) + self.digit(4) * 10 + self.digit(5)
    }

    /// True when `G` is odd (female).
    pub fn is_female(&self) -> bool {
        self.digit(3) % 2 == 1
    }

    /// The PACE CAN: the last 6 digits.
    pub fn can(&self) -> &str {
        self.0.get(6..).unwrap_or("")
    }

    /// The MRZ / BAC document number: the last 9 digits.
    pub fn document_number(&self) -> &str {
        self.0.get(3..).unwrap_or("")
    }

    /// Warnings about the number (an unknown province code), never errors.
    pub fn warnings(&self) -> Vec<String> {
        match self.province() {
            Some(_) => Vec::new(),
            None => vec![format!(
                "ID province code {} is not one of the 63 province codes (born abroad, or a code newer than the table); the ID is used as given",
                self.province_code()
            )],
        }
    }

    /// Error when the birth year the ID encodes is after `today`'s year.
    fn check_not_future(&self, today: NaiveDate, field: &str) -> Result<(), KeyError> {
        if self.birth_year() > today.year() {
            return Err(KeyError::new(
                field,
                format!(
                    "century digit {} and the year digits give a birth year after this year",
                    self.century_digit()
                ),
            ));
        }
        Ok(())
    }

    /// Error when `year` (a full birth year) disagrees with the ID.
    fn check_birth_year(&self, year: i32, field: &str) -> Result<(), KeyError> {
        if year % 100 != self.birth_year() % 100 {
            return Err(KeyError::new(
                field,
                "the ID's year digits (5th–6th) do not match the year of birth",
            ));
        }
        if year != self.birth_year() {
            return Err(KeyError::new(
                field,
                format!(
                    "the ID's century digit {} does not match the century of birth",
                    self.century_digit()
                ),
            ));
        }
        Ok(())
    }
}

/// Everything the reader may try to open one card: PACE with `can` first, then
/// the `bac` keys in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPlan {
    /// Where the keys came from.
    pub source: KeySource,
    /// The 12-digit ID when the input carried one.
    pub id_number: Option<String>,
    /// The PACE CAN (6 digits), when known.
    pub can: Option<String>,
    /// BAC keys, most likely first.
    pub bac: Vec<BacKey>,
    /// Things the officer should know that did not stop the read.
    pub warnings: Vec<String>,
}

/// Validate a typed `YYMMDD` (digits, or `<` for unknown parts as printed).
fn yymmdd(field: &str, s: &str) -> Result<String, KeyError> {
    let s = s.trim().to_string();
    if s.chars().count() != 6 || !s.chars().all(|c| c.is_ascii_digit() || c == '<') {
        return Err(KeyError::new(
            field,
            "expected YYMMDD: 6 digits (or '<' where the card prints it)",
        ));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let valid = [1900, 2000].iter().any(|c| yymmdd_in(&s, *c).is_some());
        if !valid {
            return Err(KeyError::new(
                field,
                "not a calendar date (month or day out of range)",
            ));
        }
    }
    Ok(s)
}

fn yymmdd_in(s: &str, century: i32) -> Option<NaiveDate> {
    let yy: i32 = s.get(0..2)?.parse().ok()?;
    let mm: u32 = s.get(2..4)?.parse().ok()?;
    let dd: u32 = s.get(4..6)?.parse().ok()?;
    NaiveDate::from_ymd_opt(century + yy, mm, dd)
}

/// A date from the QR (`DDMMYYYY`); `00` marks an unknown day or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QrDate {
    Full(NaiveDate),
    Partial {
        year: i32,
        month: Option<u32>,
        day: Option<u32>,
    },
}

impl QrDate {
    fn year(self) -> i32 {
        match self {
            QrDate::Full(d) => d.year(),
            QrDate::Partial { year, .. } => year,
        }
    }

    fn full(self) -> Option<NaiveDate> {
        match self {
            QrDate::Full(d) => Some(d),
            QrDate::Partial { .. } => None,
        }
    }

    /// As the MRZ prints it: `YYMMDD`, `<<` for unknown parts.
    fn mrz(self) -> String {
        match self {
            QrDate::Full(d) => d.format("%y%m%d").to_string(),
            QrDate::Partial { year, month, day } => {
                let part = |v: Option<u32>| v.map_or("<<".to_string(), |v| format!("{v:02}"));
                format!("{:02}{}{}", year.rem_euclid(100), part(month), part(day))
            }
        }
    }
}

fn is_ddmmyyyy(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parse `DDMMYYYY`; `Ok(None)` for an empty field.
fn qr_date(s: &str, field: &str) -> Result<Option<QrDate>, KeyError> {
    if s.is_empty() {
        return Ok(None);
    }
    if !is_ddmmyyyy(s) {
        return Err(KeyError::new(field, "expected a date DDMMYYYY (8 digits)"));
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok()).unwrap_or(0);
    let (day, month, year) = (num(0..2), num(2..4), num(4..8) as i32);
    if year == 0 {
        return Err(KeyError::new(field, "the year is missing"));
    }
    if day == 0 || month == 0 {
        if month > 12 || day > 31 {
            return Err(KeyError::new(
                field,
                "not a calendar date (month or day out of range)",
            ));
        }
        let known = |v: u32| (v != 0).then_some(v);
        return Ok(Some(QrDate::Partial {
            year,
            month: known(month),
            day: known(day),
        }));
    }
    NaiveDate::from_ymd_opt(year, month, day)
        .map(|d| Some(QrDate::Full(d)))
        .ok_or_else(|| KeyError::new(field, "not a calendar date (month or day out of range)"))
}

/// Sex from the QR's gender word (`Nam` / `Nữ`): `Some(true)` for female.
fn gender_is_female(word: &str) -> Option<bool> {
    match ascii_name(word).as_str() {
        "NAM" => Some(false),
        "NU" => Some(true),
        _ => None,
    }
}

impl KeyPlan {
    fn with_id(source: KeySource, id: &IdNumber) -> KeyPlan {
        KeyPlan {
            source,
            id_number: Some(id.as_str().to_string()),
            can: Some(id.can().to_string()),
            bac: Vec::new(),
            warnings: id.warnings(),
        }
    }

    fn bac_for(doc: &str, dob: &str, expiries: Vec<String>) -> Vec<BacKey> {
        expiries
            .into_iter()
            .map(|date_of_expiry| BacKey {
                document_number: doc.to_string(),
                date_of_birth: dob.to_string(),
                date_of_expiry,
            })
            .collect()
    }

    /// Keys from the text of the card's QR code.
    ///
    /// The first `|`-separated field must be the 12-digit ID (else error
    /// `qr`). The 2021 layout (7 fields: ID, old ID, name, DDMMYYYY birth,
    /// gender, address, DDMMYYYY issue) gives the CAN and BAC candidates; an
    /// impossible date there is an error naming it. Any other field count (2024
    /// cards, layout unconfirmed) is accepted: the ID, and the fields that are
    /// DDMMYYYY dates (first = birth, next = issue) are used.
    pub fn from_qr(text: &str, today: NaiveDate) -> Result<KeyPlan, KeyError> {
        let fields: Vec<&str> = text.trim().split('|').map(str::trim).collect();
        let first = fields.first().copied().unwrap_or("");
        let id = IdNumber::parse(first).map_err(|e| {
            KeyError::new(
                "qr",
                format!("no 12-digit ID number in the first field ({})", e.message),
            )
        })?;
        id.check_not_future(today, "qr.id_number")?;
        let mut plan = KeyPlan::with_id(KeySource::Qr, &id);

        let (dob, issue, gender) = if fields.len() == 7 {
            let dob = qr_date(fields.get(3).copied().unwrap_or(""), "qr.date_of_birth")?;
            let issue = qr_date(fields.get(6).copied().unwrap_or(""), "qr.date_of_issue")?;
            (dob, issue, fields.get(4).copied())
        } else {
            plan.warnings.push(format!(
                "QR has {} fields, not the 7 of a 2021 card (layout unconfirmed): used the ID and the dates found",
                fields.len()
            ));
            let mut dates = fields
                .iter()
                .skip(1)
                .filter(|f| is_ddmmyyyy(f))
                .filter_map(|f| qr_date(f, "qr").ok().flatten());
            let dob = dates.next();
            let issue = dates.next();
            let gender = fields
                .iter()
                .skip(1)
                .copied()
                .find(|f| gender_is_female(f).is_some());
            (dob, issue, gender)
        };

        if let Some(word) = gender {
            match gender_is_female(word) {
                Some(female) if female != id.is_female() => plan.warnings.push(
                    "the QR's gender does not match the ID's gender digit (4th); the ID is used as given".to_string(),
                ),
                None if fields.len() == 7 => {
                    plan.warnings.push("the QR's gender field is neither Nam nor Nữ".to_string())
                }
                _ => {}
            }
        }

        let Some(dob) = dob else {
            plan.warnings.push(
                "the QR has no date of birth: only PACE with the CAN can be tried".to_string(),
            );
            return Ok(plan);
        };
        id.check_birth_year(dob.year(), "qr.id_number")?;
        if dob.full().is_some_and(|d| d > today) {
            return Err(KeyError::new(
                "qr.date_of_birth",
                "the date of birth is after today",
            ));
        }
        let issue = match issue {
            Some(QrDate::Full(d))
                if d > today || dob.full().is_some_and(|b| d < b) || d.year() < dob.year() =>
            {
                if fields.len() == 7 {
                    return Err(KeyError::new(
                        "qr.date_of_issue",
                        "the issue date is after today or before the birth",
                    ));
                }
                plan.warnings
                    .push("ignored a QR date that cannot be the issue date".to_string());
                None
            }
            Some(QrDate::Full(d)) => Some(d),
            Some(QrDate::Partial { .. }) => {
                plan.warnings
                    .push("the QR's issue date is incomplete; it was not used".to_string());
                None
            }
            None => None,
        };

        let expiries = match dob.full() {
            Some(d) => candidate_expiries(d, issue, today),
            None => {
                let at = issue.unwrap_or(today);
                if at.year() - dob.year() >= 58 {
                    vec![NO_EXPIRY.to_string()]
                } else {
                    plan.warnings.push(
                        "the date of birth has unknown parts: no expiry can be guessed, only PACE with the CAN can be tried"
                            .to_string(),
                    );
                    Vec::new()
                }
            }
        };
        plan.bac = KeyPlan::bac_for(id.document_number(), &dob.mrz(), expiries);
        Ok(plan)
    }

    /// A typed CAN: exactly 6 digits.
    pub fn from_can(can: &str) -> Result<KeyPlan, KeyError> {
        let can = can.trim();
        if can.len() != 6 || !can.bytes().all(|b| b.is_ascii_digit()) {
            return Err(KeyError::new(
                "can",
                "the CAN is 6 digits (the last 6 of the ID number)",
            ));
        }
        Ok(KeyPlan {
            source: KeySource::Can,
            id_number: None,
            can: Some(can.to_string()),
            bac: Vec::new(),
            warnings: Vec::new(),
        })
    }

    /// The 12-digit ID, optionally with the date of birth and expiry (`YYMMDD`).
    ///
    /// The ID alone is a full key (PACE, CAN = last 6 digits). With `dob`, the
    /// BAC candidates are the expiries [`candidate_expiries`] gives (the birth
    /// century comes from the ID); with `expiry` too, exactly that one key.
    pub fn from_id(
        id: &str,
        dob: Option<&str>,
        expiry: Option<&str>,
        today: NaiveDate,
    ) -> Result<KeyPlan, KeyError> {
        let id = IdNumber::parse(id)?;
        id.check_not_future(today, "id")?;
        let mut plan = KeyPlan::with_id(KeySource::Fields, &id);
        let dob = match (dob, expiry) {
            (None, None) => return Ok(plan),
            (None, Some(_)) => {
                return Err(KeyError::new(
                    "expiry",
                    "an expiry date needs the date of birth (--dob) as well",
                ))
            }
            (Some(dob), _) => yymmdd("dob", dob)?,
        };
        if dob.get(..2) != Some(id.year_digits()) {
            return Err(KeyError::new(
                "dob",
                "the year does not match the ID's year digits (5th–6th)",
            ));
        }
        let century = id.birth_year() - id.birth_year() % 100;
        let expiries = match expiry {
            Some(e) => vec![yymmdd("expiry", e)?],
            None => match yymmdd_in(&dob, century) {
                Some(d) if d > today => {
                    return Err(KeyError::new(
                        "dob",
                        format!(
                        "with the century of the ID's digit {} the date of birth is after today",
                        id.century_digit()
                    ),
                    ))
                }
                Some(d) => candidate_expiries(d, None, today),
                None if !dob.contains('<') => {
                    return Err(KeyError::new(
                        "dob",
                        format!(
                            "not a calendar date in the century of the ID's digit {}",
                            id.century_digit()
                        ),
                    ))
                }
                None if today.year() - id.birth_year() >= 58 => vec![NO_EXPIRY.to_string()],
                None => return Err(KeyError::new(
                    "dob",
                    "with unknown month or day no expiry can be guessed: give --expiry as printed",
                )),
            },
        };
        plan.bac = KeyPlan::bac_for(id.document_number(), &dob, expiries);
        Ok(plan)
    }

    /// The MRZ text (3 lines of 30, or 90 characters): one BAC key with the
    /// fields as printed, plus the CAN when the optional data carry the
    /// 12-digit ID. Every check digit must hold (error `mrz` naming the MRZ field).
    pub fn from_mrz(text: &str, today: NaiveDate) -> Result<KeyPlan, KeyError> {
        let td1 = Td1::parse(text).map_err(|e| KeyError::new("mrz", e.to_string()))?;
        let mut plan = KeyPlan {
            source: KeySource::Mrz,
            id_number: None,
            can: None,
            bac: vec![BacKey {
                document_number: td1.document_number_printed(),
                date_of_birth: td1.date_of_birth().to_string(),
                date_of_expiry: td1.date_of_expiry().to_string(),
            }],
            warnings: td1.warnings().to_vec(),
        };
        if let Some(id) = td1.id_number().and_then(|id| IdNumber::parse(&id).ok()) {
            plan.warnings.extend(id.warnings());
            if id.check_not_future(today, "mrz").is_err() {
                plan.warnings
                    .push("the ID in the MRZ encodes a birth year after this year".to_string());
            }
            if td1.date_of_birth().get(..2) != Some(id.year_digits()) {
                plan.warnings
                    .push("the MRZ date of birth does not match the ID's year digits".to_string());
            }
            plan.can = Some(id.can().to_string());
            plan.id_number = Some(id.as_str().to_string());
        }
        Ok(plan)
    }

    /// Typed document number, date of birth and expiry (`YYMMDD`, as printed):
    /// exactly one BAC key. A 12-digit ID given as the document number (a
    /// common mistake) is turned into its last 9 digits, with a warning, and
    /// also gives the CAN.
    pub fn from_document(doc: &str, dob: &str, expiry: &str) -> Result<KeyPlan, KeyError> {
        let doc = doc.trim().to_uppercase();
        let mut plan = KeyPlan {
            source: KeySource::Fields,
            id_number: None,
            can: None,
            bac: Vec::new(),
            warnings: Vec::new(),
        };
        let doc = if doc.len() == 12 && doc.bytes().all(|b| b.is_ascii_digit()) {
            let id = IdNumber::parse(&doc)?;
            plan.warnings.push(
                "a 12-digit ID was given as the document number: used its last 9 digits, as the MRZ prints them".to_string(),
            );
            plan.warnings.extend(id.warnings());
            plan.id_number = Some(id.as_str().to_string());
            plan.can = Some(id.can().to_string());
            id.document_number().to_string()
        } else {
            if doc.is_empty() || doc.len() > 22 {
                return Err(KeyError::new(
                    "doc",
                    "the document number is 1 to 22 characters (9 on a CCCD)",
                ));
            }
            if let Some(pos) = doc
                .chars()
                .position(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'))
            {
                return Err(KeyError::new(
                    "doc",
                    format!("character {} is not A–Z, 0–9 or '<'", pos + 1),
                ));
            }
            let mut d = doc;
            while d.len() < 9 {
                d.push('<');
            }
            d
        };
        let dob = yymmdd("dob", dob)?;
        let expiry = yymmdd("expiry", expiry)?;
        plan.bac = KeyPlan::bac_for(&doc, &dob, vec![expiry]);
        Ok(plan)
    }
}

/// Until when a card is valid, by the rules of the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Validity {
    /// Until the birthday at this age.
    Until(i32),
    /// For life (`991231`).
    Life,
}

/// Age in full years on `on`.
fn age_at(dob: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - dob.year();
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    age
}

/// The card-validity rule for a card issued at `age`.
fn rule(age: i32, law_2023: bool) -> Validity {
    let milestones: &[i32] = if law_2023 {
        &MILESTONES_2023
    } else {
        &MILESTONES_2014
    };
    milestones
        .iter()
        .find(|&&m| age < m - 2)
        .map_or(Validity::Life, |&m| Validity::Until(m))
}

/// The MRZ expiry for `v`: the main form, and the extra forms of a 29 Feb birthday.
fn expiry_forms(dob: NaiveDate, v: Validity) -> (String, Vec<String>) {
    let Validity::Until(m) = v else {
        return (NO_EXPIRY.to_string(), Vec::new());
    };
    let year = dob.year() + m;
    match NaiveDate::from_ymd_opt(year, dob.month(), dob.day()) {
        Some(d) => (d.format("%y%m%d").to_string(), Vec::new()),
        None => {
            let yy = year.rem_euclid(100);
            (
                format!("{yy:02}0228"),
                vec![format!("{yy:02}0229"), format!("{yy:02}0301")],
            )
        }
    }
}

/// Candidate MRZ expiry dates (`YYMMDD`) for a card of a holder born `dob`,
/// most likely first, without duplicates, at most [`MAX_CANDIDATES`].
///
/// With the issue date: the rule for the age at issue (module doc), then its
/// neighbours — the 2-year boundary both ways (issue ± 60 days), age counted by
/// calendar year, the other law's milestones, and `991231` from age 57.
/// Without it (a QR or typed fields without an issue date): the cards that can
/// be valid today — the next milestone, the one after when today is within 2
/// years of it (`991231` after 60), and a card expired at the last milestone
/// within the past 2 years (not renewed yet).
pub fn candidate_expiries(
    dob: NaiveDate,
    issue: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<String> {
    let mut order: Vec<Validity> = Vec::new();
    match issue {
        Some(issue) => {
            let law_2023 = issue >= law_2023_start();
            let age = age_at(dob, issue);
            order.push(rule(age, law_2023));
            let shifted = [
                issue.checked_sub_days(Days::new(60)),
                issue.checked_add_days(Days::new(60)),
            ];
            for d in shifted.into_iter().flatten() {
                order.push(rule(age_at(dob, d), law_2023));
            }
            order.push(rule(issue.year() - dob.year(), law_2023));
            order.push(rule(age, !law_2023));
            if age >= 57 {
                order.push(Validity::Life);
            }
        }
        None => {
            let age = age_at(dob, today);
            match MILESTONES_2023.iter().copied().find(|&m| age < m) {
                Some(next) => {
                    order.push(Validity::Until(next));
                    if age >= next - 2 {
                        order.push(rule(next, true));
                    }
                }
                None => order.push(Validity::Life),
            }
            if let Some(&last) = MILESTONES_2023.iter().rev().find(|&&m| age >= m) {
                if age < last + 2 {
                    order.push(Validity::Until(last));
                }
            }
        }
    }

    let mut main = Vec::new();
    let mut extra = Vec::new();
    for v in order {
        let (m, mut e) = expiry_forms(dob, v);
        main.push(m);
        extra.append(&mut e);
    }
    let mut out: Vec<String> = Vec::new();
    for s in main.into_iter().chain(extra) {
        if !out.contains(&s) && out.len() < MAX_CANDIDATES {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hex_literal::hex;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn today() -> NaiveDate {
        d(2025, 6, 1)
    }

    fn expiries(plan: &KeyPlan) -> Vec<&str> {
        plan.bac.iter().map(|k| k.date_of_expiry.as_str()).collect()
    }

    #[test]
    fn bac_seed_icao_9303_11_appendix_d2() {
        // 9303-11 App. D.2: L898902C<, 690806, 940623.
        let key = BacKey {
            document_number: "L898902C<".into(),
            date_of_birth: "690806".into(),
            date_of_expiry: "940623".into(),
        };
        assert_eq!(key.mrz_information(), "L898902C<369080619406236");
        assert_eq!(key.seed(), hex!("239AB9CB282DAF66231DC5A4DF6BFBAE"));
        // Padding: a short number is filled with '<' to 9.
        let short = BacKey {
            document_number: "L898902C".into(),
            ..key.clone()
        };
        assert_eq!(short.seed(), key.seed());
    }

    #[test]
    fn cccd_worked_example_from_the_2021_qr() {
        // cccd-chip.md §1: ID 001095000123, born 14/03/1995, issued 2021 (age 26) → valid to 40.
        let plan = KeyPlan::from_qr(
            "001095000123|123456789|Nguyễn Văn A|14031995|Nam|Hà Nội|10052021",
            today(),
        )
        .unwrap();
        assert_eq!(plan.source.as_str(), "qr");
        assert_eq!(plan.id_number.as_deref(), Some("001095000123"));
        assert_eq!(plan.can.as_deref(), Some("000123"));
        assert_eq!(plan.bac[0].document_number, "095000123");
        assert_eq!(plan.bac[0].date_of_birth, "950314");
        assert_eq!(plan.bac[0].date_of_expiry, "350314");
        assert_eq!(plan.bac[0].mrz_information(), "095000123895031463503144");
        assert_eq!(plan.bac[0].seed(), hex!("c4951a275d09b495d96648b963896f7d"));
        assert!(plan.bac.len() <= MAX_CANDIDATES);
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn id_validation() {
        for (bad, what) in [
            ("00109500012", "found 11"),
            ("0010950001234", "found 13"),
            ("00109500012A", "character 12"),
        ] {
            let err = IdNumber::parse(bad).unwrap_err();
            assert_eq!(err.field, "id");
            assert!(err.message.contains(what), "{err}");
        }
        let id = IdNumber::parse(" 001095000123 ").unwrap();
        assert_eq!(id.province(), Some("Hà Nội"));
        assert_eq!((id.birth_year(), id.is_female()), (1995, false));
        assert_eq!((id.can(), id.document_number()), ("000123", "095000123"));
        let girl = IdNumber::parse("079305000123").unwrap();
        assert_eq!(
            (girl.birth_year(), girl.is_female(), girl.province()),
            (2005, true, Some("TP Hồ Chí Minh"))
        );
        assert_eq!(KeyError::new("id", "x").to_string(), "id: x");
    }

    #[test]
    fn unknown_province_is_a_warning() {
        let plan = KeyPlan::from_id("999095000123", None, None, today()).unwrap();
        assert_eq!(plan.can.as_deref(), Some("000123"));
        assert_eq!(plan.warnings.len(), 1);
        assert!(plan.warnings[0].contains("999"), "{:?}", plan.warnings);
    }

    #[test]
    fn id_alone_is_a_pace_key_and_dob_adds_bac() {
        let plan = KeyPlan::from_id("001095000123", None, None, today()).unwrap();
        assert_eq!((plan.can.as_deref(), plan.bac.len()), (Some("000123"), 0));

        let plan = KeyPlan::from_id("001095000123", Some("950314"), None, today()).unwrap();
        assert_eq!(expiries(&plan)[0], "350314");
        assert!(plan
            .bac
            .iter()
            .all(|k| k.document_number == "095000123" && k.date_of_birth == "950314"));

        let plan =
            KeyPlan::from_id("001095000123", Some("950314"), Some("350314"), today()).unwrap();
        assert_eq!(plan.bac.len(), 1);
        assert_eq!(plan.bac[0].mrz_information(), "095000123895031463503144");

        // Year digits disagree with --dob.
        assert_eq!(
            KeyPlan::from_id("001095000123", Some("960314"), None, today())
                .unwrap_err()
                .field,
            "dob"
        );
        // Century digit 2 (born 20xx) with YY 95 → 2095: after today.
        assert_eq!(
            KeyPlan::from_id("001295000123", None, None, today())
                .unwrap_err()
                .field,
            "id"
        );
        // Born later this year per the ID's century: 2025-12-01 is after 2025-06-01.
        assert_eq!(
            KeyPlan::from_id("001225000123", Some("251201"), None, today())
                .unwrap_err()
                .field,
            "dob"
        );
        assert_eq!(
            KeyPlan::from_id("001095000123", Some("951332"), None, today())
                .unwrap_err()
                .field,
            "dob"
        );
        assert_eq!(
            KeyPlan::from_id("001095000123", None, Some("350314"), today())
                .unwrap_err()
                .field,
            "expiry"
        );
        assert_eq!(
            KeyPlan::from_id("001095000123", Some("950314"), Some("35031"), today())
                .unwrap_err()
                .field,
            "expiry"
        );
    }

    #[test]
    fn elderly_birth_year_only_dob_gets_no_expiry_key() {
        let plan = KeyPlan::from_id("038038000456", Some("38<<<<"), None, today()).unwrap();
        assert_eq!(plan.bac[0].mrz_information(), "038000456638<<<<59912315");
        assert_eq!(expiries(&plan), ["991231"]);
        assert_eq!(plan.bac[0].date_of_birth, "38<<<<");
        let err = KeyPlan::from_id("001095000123", Some("95<<<<"), None, today()).unwrap_err();
        assert_eq!(err.field, "dob");
    }

    #[test]
    fn over_60_card_has_no_expiry() {
        // cccd-chip.md §1: ID 038158000456, born 07/09/1958; issued 2021 at 62 → for life.
        assert_eq!(
            candidate_expiries(d(1958, 9, 7), Some(d(2021, 6, 1)), today())[0],
            "991231"
        );
        let plan =
            KeyPlan::from_id("038158000456", Some("580907"), Some("991231"), today()).unwrap();
        assert_eq!(plan.bac[0].mrz_information(), "158000456958090799912315");
        // Issued at 58 → for life; the 60th birthday is only an alternative.
        let c = candidate_expiries(d(1963, 1, 10), Some(d(2021, 3, 1)), today());
        assert_eq!(c[0], "991231");
        // Issued at 57: valid to 60 first, for life as a later candidate.
        let c = candidate_expiries(d(1964, 1, 10), Some(d(2021, 3, 1)), today());
        assert_eq!(c[0], "240110");
        assert!(c.contains(&"991231".to_string()), "{c:?}");
    }

    #[test]
    fn two_year_boundary_both_ways() {
        let dob = d(1995, 3, 14);
        // Issued the day before the 23rd birthday: 2 years and a day before 25 → valid to 25.
        let c = candidate_expiries(dob, Some(d(2018, 3, 13)), today());
        assert_eq!(c[0], "200314");
        assert!(c.contains(&"350314".to_string()), "{c:?}");
        // Issued on the 23rd birthday: within 2 years of 25 → valid to 40; 25 is the alternative.
        let c = candidate_expiries(dob, Some(d(2018, 3, 14)), today());
        assert_eq!(c[0], "350314");
        assert!(c.contains(&"200314".to_string()), "{c:?}");
        // Far from any boundary: one answer only.
        assert_eq!(
            candidate_expiries(dob, Some(d(2021, 9, 1)), today()),
            ["350314"]
        );
        assert!(c.len() <= MAX_CANDIDATES);
    }

    #[test]
    fn milestone_14_for_cards_from_july_2024() {
        let dob = d(2014, 5, 1);
        // Issued at 10 under the 2023 Law → valid to 14; the 2014-Law reading (25) follows.
        let c = candidate_expiries(dob, Some(d(2024, 8, 1)), today());
        assert_eq!(c[..2], ["280501".to_string(), "390501".to_string()]);
        // Issued at 12 (within 2 years of 14) → valid to 25.
        assert_eq!(
            candidate_expiries(d(2012, 5, 1), Some(d(2024, 8, 1)), today())[0],
            "370501"
        );
    }

    #[test]
    fn leap_day_births() {
        // Born 29 Feb 2000, issued at 21 → to 25, in 2025 (no 29 Feb): 28 Feb, then 29 Feb as copied, then 1 Mar.
        let c = candidate_expiries(d(2000, 2, 29), Some(d(2021, 7, 1)), today());
        assert_eq!(c, ["250228", "250229", "250301"]);
        // Milestone in a leap year: the birthday itself.
        assert_eq!(
            candidate_expiries(d(1996, 2, 29), Some(d(2021, 7, 1)), today())[0],
            "360229"
        );
    }

    #[test]
    fn candidates_without_issue_date() {
        // 30 today: next milestone 40 only.
        assert_eq!(
            candidate_expiries(d(1995, 3, 14), None, today()),
            ["350314"]
        );
        // 24 today: 25 first; a card issued within 2 years of 25 → 40.
        assert_eq!(
            candidate_expiries(d(2001, 1, 2), None, today()),
            ["260102", "410102"]
        );
        // 59 today: 60 first, then for life.
        assert_eq!(
            candidate_expiries(d(1966, 1, 1), None, today()),
            ["260101", "991231"]
        );
        // 41 today, card may have expired at 40 without renewal.
        assert_eq!(
            candidate_expiries(d(1984, 1, 1), None, today()),
            ["440101", "240101"]
        );
        // 70 today: for life.
        assert_eq!(candidate_expiries(d(1955, 1, 1), None, today()), ["991231"]);
    }

    #[test]
    fn qr_2024_layout_is_accepted() {
        let plan = KeyPlan::from_qr(
            "001095000123|Nguyễn Văn A|14031995|Nam|Hà Nội|10052021",
            today(),
        )
        .unwrap();
        assert_eq!(plan.can.as_deref(), Some("000123"));
        assert_eq!(expiries(&plan)[0], "350314");
        assert!(
            plan.warnings.iter().any(|w| w.contains("6 fields")),
            "{:?}",
            plan.warnings
        );
        // Only the ID: still a key.
        let plan = KeyPlan::from_qr("001095000123", today()).unwrap();
        assert_eq!((plan.can.as_deref(), plan.bac.len()), (Some("000123"), 0));
    }

    #[test]
    fn qr_errors_name_their_field() {
        let err = KeyPlan::from_qr("Nguyễn Văn A|001095000123|14031995", today()).unwrap_err();
        assert_eq!(err.field, "qr");
        assert!(err.message.contains("no 12-digit ID"), "{err}");
        assert_eq!(KeyPlan::from_qr("", today()).unwrap_err().field, "qr");
        let err = KeyPlan::from_qr(
            "001095000123||Nguyễn Văn A|14031995|Nam|Hà Nội|31022020",
            today(),
        )
        .unwrap_err();
        assert_eq!(err.field, "qr.date_of_issue");
        let err = KeyPlan::from_qr(
            "001095000123||Nguyễn Văn A|31021995|Nam|Hà Nội|10052021",
            today(),
        )
        .unwrap_err();
        assert_eq!(err.field, "qr.date_of_birth");
        // Year digits 95 vs born 1996.
        let err = KeyPlan::from_qr(
            "001095000123||Nguyễn Văn A|14031996|Nam|Hà Nội|10052021",
            today(),
        )
        .unwrap_err();
        assert_eq!(err.field, "qr.id_number");
        // Born 2005 with century digit 2 (20xx) agrees; with digit 0 (19xx) it does not.
        assert!(KeyPlan::from_qr(
            "001205000123||Nguyễn Văn A|14032005|Nam|Hà Nội|10052021",
            today()
        )
        .is_ok());
        let err = KeyPlan::from_qr(
            "001005000123||Nguyễn Văn A|14032005|Nam|Hà Nội|10052021",
            today(),
        )
        .unwrap_err();
        assert_eq!(err.field, "qr.id_number");
        assert!(err.message.contains("century"), "{err}");
    }

    #[test]
    fn qr_gender_mismatch_is_a_warning() {
        let plan = KeyPlan::from_qr(
            "001095000123||Nguyễn Thị A|14031995|Nữ|Hà Nội|10052021",
            today(),
        )
        .unwrap();
        assert!(
            plan.warnings.iter().any(|w| w.contains("gender")),
            "{:?}",
            plan.warnings
        );
        assert_eq!(expiries(&plan)[0], "350314");
    }

    #[test]
    fn mrz_gives_one_bac_key_and_the_can() {
        let mrz = "IDVNM0950001238001095000123<<9\n9503146M3503144VNM<<<<<<<<<<<6\nNGUYEN<<VAN<A<<<<<<<<<<<<<<<<<";
        let plan = KeyPlan::from_mrz(mrz, today()).unwrap();
        assert_eq!(plan.source, KeySource::Mrz);
        assert_eq!(plan.bac.len(), 1);
        assert_eq!(plan.bac[0].mrz_information(), "095000123895031463503144");
        assert_eq!(plan.can.as_deref(), Some("000123"));
        let err = KeyPlan::from_mrz(&mrz.replace("9503146M", "9503145M"), today()).unwrap_err();
        assert_eq!(err.field, "mrz");
        assert!(err.message.starts_with("date_of_birth"), "{err}");
    }

    #[test]
    fn can_and_document_fields() {
        assert_eq!(
            KeyPlan::from_can("000123").unwrap().can.as_deref(),
            Some("000123")
        );
        for bad in ["00012", "0001234", "00012a"] {
            assert_eq!(KeyPlan::from_can(bad).unwrap_err().field, "can");
        }
        let plan = KeyPlan::from_document("095000123", "950314", "350314").unwrap();
        assert_eq!(plan.source.as_str(), "fields");
        assert_eq!(plan.bac[0].seed(), hex!("c4951a275d09b495d96648b963896f7d"));
        // The 12-digit ID typed as document number: last 9 digits, with a warning.
        let plan = KeyPlan::from_document("001095000123", "950314", "350314").unwrap();
        assert_eq!(plan.bac[0].document_number, "095000123");
        assert_eq!(plan.can.as_deref(), Some("000123"));
        assert_eq!(plan.warnings.len(), 1);
        assert_eq!(
            KeyPlan::from_document("09500012#", "950314", "350314")
                .unwrap_err()
                .field,
            "doc"
        );
        assert_eq!(
            KeyPlan::from_document("", "950314", "350314")
                .unwrap_err()
                .field,
            "doc"
        );
        assert_eq!(
            KeyPlan::from_document("095000123", "951332", "350314")
                .unwrap_err()
                .field,
            "dob"
        );
        assert_eq!(
            KeyPlan::from_document("095000123", "950314", "3503")
                .unwrap_err()
                .field,
            "expiry"
        );
    }
}
