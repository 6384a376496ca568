//! EF.DG1: the machine-readable zone (MRZ) of a TD1 card, as printed on the
//! back of the CCCD and stored in the chip (ICAO 9303-10 §4.7.1, tag `61` →
//! `5F1F`).
//!
//! Layout (ICAO 9303-5 §4.2.2, positions 1-based):
//! ```text
//! line 1: 1–2 document code, 3–5 issuing state, 6–14 document number, 15 its check digit,
//!         16–30 optional data
//! line 2: 1–6 date of birth, 7 cd, 8 sex, 9–14 date of expiry, 15 cd, 16–18 nationality,
//!         19–29 optional data, 30 composite check digit
//! line 3: name, SURNAME<<GIVEN<NAMES
//! ```
//! Check digits use the 7-3-1 rule of ICAO 9303-3 §4.9 (`0`–`9` = 0–9, `A`–`Z` =
//! 10–35, `<` = 0). The TD1 composite covers line 1 6–30 and line 2 1–7, 9–15,
//! 19–29 (9303-5 §4.2.2). A document number longer than 9 characters keeps its
//! 9 principal characters in 6–14, a `<` in 15, and continues at the start of the
//! optional data, followed by its check digit and a `<` (9303-5 §4.2.2, note j).
//!
//! **CCCD convention** (cccd-chip.md §1): line 1 holds `IDVNM`, the last 9
//! digits of the 12-digit ID with their check digit, then the 12-digit ID, `<<`,
//! and in position 30 a 7-3-1 check digit over the 12-digit ID. That last digit
//! is not an ICAO field and the rule is inferred from samples, so a mismatch is a
//! warning ([`Td1::warnings`]), never an error.
//!
//! **Strict vs. chip input.** [`Td1::parse`] is for text typed or scanned by the
//! officer: every check digit must hold, so a mistyped character is caught before
//! it becomes a wrong BAC key. [`Dg1::parse`] reads what the chip returns: the
//! structure must be right, but a wrong check digit becomes a warning, because
//! the chip's data are signed by the issuer (passive authentication judges them)
//! and refusing to show a card for a printing quirk would help nobody.
//!
//! **Dates** (DESIGN.md "Dates"): the MRZ has two-digit years. The birth century
//! comes from the gender/century digit of the 12-digit ID when the optional data
//! carry one, otherwise the ICAO rule (a YY after this year's → 19YY, else
//! 20YY); expiry is always 20YY; `991231` means "no expiry" (cards issued at 58
//! or older) and becomes `null`. A date with unknown parts (`58<<<<`, common for
//! the elderly) or an impossible one (`950231`) becomes `null` with its text in a
//! `<key>_raw` sibling; `_raw` keys appear only then (not for `991231`, whose
//! meaning is known).

use chrono::{Datelike, NaiveDate};
use serde_json::{Map, Value};
use thiserror::Error;

use crate::card::tlv::{self, TlvError};

/// Characters in one TD1 line.
pub const LINE_LEN: usize = 30;
/// Tag of EF.DG1 (ICAO 9303-10 §4.7.1).
pub const TAG_DG1: u32 = 0x61;
/// Tag of the MRZ data element inside DG1.
pub const TAG_MRZ: u32 = 0x5F1F;
/// The MRZ expiry of a card valid for life (cccd-chip.md §1).
pub const NO_EXPIRY: &str = "991231";

/// A field of the MRZ that carries a check digit, named as in error messages
/// and the `read` JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MrzField {
    DocumentNumber,
    DateOfBirth,
    DateOfExpiry,
    Composite,
}

impl MrzField {
    /// The field name used in messages (`document_number`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            MrzField::DocumentNumber => "document_number",
            MrzField::DateOfBirth => "date_of_birth",
            MrzField::DateOfExpiry => "date_of_expiry",
            MrzField::Composite => "composite",
        }
    }
}

impl std::fmt::Display for MrzField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an MRZ text is not a valid TD1 MRZ; every variant names the field so
/// the officer knows which characters to re-type.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MrzError {
    /// Not 3 lines of 30 characters.
    #[error("length: a TD1 MRZ is 3 lines of 30 characters (90 in all), found {found}")]
    Length { found: String },
    /// A character outside `A`–`Z`, `0`–`9`, `<`.
    #[error("characters: {found:?} at line {line}, position {position} is not A–Z, 0–9 or '<'")]
    Characters {
        line: usize,
        position: usize,
        found: char,
    },
    /// A check digit that does not match its data.
    #[error("{field}: check digit is {found:?} but the data give {expected:?}")]
    CheckDigit {
        field: MrzField,
        expected: char,
        found: char,
    },
    /// Sex is not `M`, `F`, `X` or `<`.
    #[error("sex: {found:?} is not M, F, X or '<'")]
    Sex { found: char },
}

impl MrzError {
    /// The MRZ field the error is about (`document_number`, `date_of_birth`,
    /// `date_of_expiry`, `composite`, `length`, `characters`, `sex`).
    pub fn field(&self) -> &'static str {
        match self {
            MrzError::Length { .. } => "length",
            MrzError::Characters { .. } => "characters",
            MrzError::CheckDigit { field, .. } => field.as_str(),
            MrzError::Sex { .. } => "sex",
        }
    }
}

/// Why EF.DG1 could not be read as a TD1 MRZ.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Dg1Error {
    #[error("DG1: {0}")]
    Tlv(#[from] TlvError),
    #[error("DG1: the MRZ is {0} bytes; only TD1 (90) is supported")]
    NotTd1(usize),
    #[error("DG1: the MRZ is not ASCII text")]
    NotAscii,
    #[error("DG1: {0}")]
    Mrz(#[from] MrzError),
}

/// The 7-3-1 check digit of ICAO 9303-3 §4.9 over MRZ characters (anything
/// outside `0`–`9`/`A`–`Z` counts as 0, like `<`). Public because BAC keys
/// (9303-11 §9.7.2) and the emulator need it too.
pub fn check_digit(data: &str) -> char {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let sum: u32 = data
        .bytes()
        .zip(WEIGHTS.iter().cycle())
        .map(|(b, w)| {
            let v = match b {
                b'0'..=b'9' => u32::from(b - b'0'),
                b'A'..=b'Z' => u32::from(b - b'A') + 10,
                _ => 0,
            };
            v * w
        })
        .sum();
    char::from(b'0' + (sum % 10) as u8)
}

fn is_mrz_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'
}

/// A TD1 MRZ (three lines of 30), structurally valid. Build it with
/// [`Td1::parse`] (officer input), [`Dg1::parse`] (chip) or [`build_td1`]
/// (emulator, tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Td1 {
    /// The three lines as printed, 30 characters each.
    pub lines: [String; 3],
    warnings: Vec<String>,
}

/// Where the document number and the rest of the optional data sit in line 1.
struct DocParts {
    /// The number as printed, with fillers (9 characters or more).
    number: String,
    check: char,
    /// 0-based start of the optional data proper in line 1.
    optional_start: usize,
}

impl Td1 {
    /// Parse typed or scanned MRZ text and verify every check digit.
    ///
    /// Accepts the 90 characters in one run or the 3 lines of 30 separated by
    /// newlines or spaces; surrounding blanks are trimmed, letters uppercased.
    pub fn parse(text: &str) -> Result<Td1, MrzError> {
        let mut td1 = Self::structure(text)?;
        let (errors, warnings) = td1.checks();
        if let Some(e) = errors.into_iter().next() {
            return Err(e);
        }
        td1.warnings = warnings;
        Ok(td1)
    }

    /// Like [`Td1::parse`], but check-digit and sex problems become warnings
    /// (for data read from the chip; see the module doc).
    pub fn parse_lenient(text: &str) -> Result<Td1, MrzError> {
        let mut td1 = Self::structure(text)?;
        let (errors, mut warnings) = td1.checks();
        let mut all: Vec<String> = errors.iter().map(|e| format!("MRZ {e}")).collect();
        all.append(&mut warnings);
        td1.warnings = all;
        Ok(td1)
    }

    /// Split into three lines of 30 MRZ characters.
    fn structure(text: &str) -> Result<Td1, MrzError> {
        // ASCII uppercase only: a non-ASCII letter must be reported, not turned
        // into MRZ letters (`ß` → `SS`).
        let upper = text.trim().to_ascii_uppercase();
        let tokens: Vec<&str> = upper.split_whitespace().collect();
        let mut offset = 0usize;
        for token in &tokens {
            for c in token.chars() {
                if !is_mrz_char(c) {
                    return Err(MrzError::Characters {
                        line: offset / LINE_LEN + 1,
                        position: offset % LINE_LEN + 1,
                        found: c,
                    });
                }
                offset += 1;
            }
        }
        // Only MRZ characters (ASCII) remain, so byte lengths are character counts.
        let aligned = tokens.iter().all(|t| t.len() % LINE_LEN == 0);
        if offset != 3 * LINE_LEN || !aligned {
            let lens: Vec<String> = tokens.iter().map(|t| t.len().to_string()).collect();
            let found = match tokens.len() {
                0 => "nothing".to_string(),
                1 => format!("{offset} characters"),
                _ => format!("{} lines of {} characters", tokens.len(), lens.join(", ")),
            };
            return Err(MrzError::Length { found });
        }
        let joined: String = tokens.concat();
        let line = |i: usize| {
            joined
                .get(i * LINE_LEN..(i + 1) * LINE_LEN)
                .unwrap_or("")
                .to_string()
        };
        Ok(Td1 {
            lines: [line(0), line(1), line(2)],
            warnings: Vec::new(),
        })
    }

    /// Every check-digit and sex error (in MRZ order), and the CCCD warnings.
    fn checks(&self) -> (Vec<MrzError>, Vec<String>) {
        let mut errors = Vec::new();
        let mut check = |field: MrzField, data: &str, found: char| {
            let expected = check_digit(data);
            if expected != found {
                errors.push(MrzError::CheckDigit {
                    field,
                    expected,
                    found,
                });
            }
        };
        let doc = self.doc_parts();
        check(MrzField::DocumentNumber, &doc.number, doc.check);
        check(MrzField::DateOfBirth, self.l(1, 1, 6), self.ch(1, 7));
        check(MrzField::DateOfExpiry, self.l(1, 9, 14), self.ch(1, 15));
        check(MrzField::Composite, &self.composite_data(), self.ch(1, 30));
        let sex = self.ch(1, 8);
        if !matches!(sex, 'M' | 'F' | 'X' | '<') {
            errors.push(MrzError::Sex { found: sex });
        }

        let mut warnings = Vec::new();
        if let Some(id) = self.id_number() {
            let expected = check_digit(&id);
            let found = self.ch(0, 30);
            if found != expected {
                warnings.push(format!(
                    "MRZ line 1 position 30 is {found:?}, but the CCCD check digit over the 12-digit ID is {expected:?} (not an ICAO field; ignored)"
                ));
            }
            if id.get(3..) != Some(self.document_number().as_str()) {
                warnings.push(
                    "MRZ document number is not the last 9 digits of the 12-digit ID in the optional data".to_string(),
                );
            }
        }
        (errors, warnings)
    }

    /// Characters `from..=to` (1-based) of line `line` (0-based); empty if out of range.
    fn l(&self, line: usize, from: usize, to: usize) -> &str {
        self.lines
            .get(line)
            .and_then(|s| s.get(from.saturating_sub(1)..to))
            .unwrap_or("")
    }

    /// Character at 1-based `pos` of line `line`; `<` if out of range.
    fn ch(&self, line: usize, pos: usize) -> char {
        self.l(line, pos, pos).chars().next().unwrap_or('<')
    }

    fn composite_data(&self) -> String {
        [
            self.l(0, 6, 30),
            self.l(1, 1, 7),
            self.l(1, 9, 15),
            self.l(1, 19, 29),
        ]
        .concat()
    }

    fn doc_parts(&self) -> DocParts {
        let principal = self.l(0, 6, 14);
        let cd = self.ch(0, 15);
        let optional = self.l(0, 16, 30);
        if cd == '<' && !optional.starts_with('<') {
            let overflow: &str = optional.split('<').next().unwrap_or("");
            // The last character of the overflow is the check digit. (`lines` is
            // public, so do not assume ASCII when splitting.)
            if let Some((idx, check)) = overflow.char_indices().last().filter(|(idx, _)| *idx >= 1)
            {
                return DocParts {
                    number: format!("{principal}{}", overflow.get(..idx).unwrap_or("")),
                    check,
                    optional_start: (15 + overflow.len() + 1).min(LINE_LEN),
                };
            }
        }
        DocParts {
            number: principal.to_string(),
            check: cd,
            optional_start: 15,
        }
    }

    /// Warnings found while parsing (the CCCD position-30 digit, and for chip
    /// data check-digit problems), for the officer and the log.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Document code without fillers (`ID` on a CCCD, `I` on the ICAO sample).
    pub fn document_code(&self) -> &str {
        self.l(0, 1, 2).trim_end_matches('<')
    }

    /// Issuing state (`VNM`), without fillers.
    pub fn issuing_state(&self) -> &str {
        self.l(0, 3, 5).trim_end_matches('<')
    }

    /// Document number without check digit or trailing fillers, including the
    /// overflow of a long (more than 9 characters) number.
    pub fn document_number(&self) -> String {
        self.doc_parts().number.trim_end_matches('<').to_string()
    }

    /// The document number as BAC needs it (ICAO 9303-11 §9.7.2): as printed,
    /// fillers kept, at least 9 characters; a long number is given in full.
    pub fn document_number_printed(&self) -> String {
        self.doc_parts().number
    }

    /// Date of birth as printed, `YYMMDD` (may contain `<` for unknown parts).
    pub fn date_of_birth(&self) -> &str {
        self.l(1, 1, 6)
    }

    /// Date of expiry as printed, `YYMMDD` (`991231` = no expiry).
    pub fn date_of_expiry(&self) -> &str {
        self.l(1, 9, 14)
    }

    /// Sex as printed: `M`, `F`, `X` or `<`.
    pub fn sex(&self) -> char {
        self.ch(1, 8)
    }

    /// Nationality (`VNM`), without fillers.
    pub fn nationality(&self) -> &str {
        self.l(1, 16, 18).trim_end_matches('<')
    }

    /// The name with every run of `<` turned into one space (`NGUYEN VAN A`).
    pub fn name(&self) -> String {
        self.l(2, 1, 30)
            .split('<')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Line 1's optional data (16–30; after the overflow of a long document
    /// number), trailing `<` stripped, inner `<` kept.
    pub fn optional_data(&self) -> &str {
        let start = self.doc_parts().optional_start;
        self.l(0, start + 1, 30).trim_end_matches('<')
    }

    /// Line 2's optional data (19–29), trailing `<` stripped, inner `<` kept.
    pub fn optional_data_2(&self) -> &str {
        self.l(1, 19, 29).trim_end_matches('<')
    }

    /// The 12-digit personal ID a Vietnamese card carries at the start of
    /// line 1's optional data (cccd-chip.md §1); `None` for other documents.
    pub fn id_number(&self) -> Option<String> {
        if self.issuing_state() != "VNM" {
            return None;
        }
        let opt = self.optional_data();
        let id = opt.get(..12)?;
        let next_is_digit = opt.as_bytes().get(12).is_some_and(|b| b.is_ascii_digit());
        (id.bytes().all(|b| b.is_ascii_digit()) && !next_is_digit).then(|| id.to_string())
    }

    /// The date of birth with its century (see the module doc), or `None` when
    /// the printed date has unknown parts or is impossible.
    pub fn birth_date(&self, today: NaiveDate) -> Option<NaiveDate> {
        let raw = self.date_of_birth();
        let yy: i32 = raw.get(..2)?.parse().ok()?;
        let century = match self
            .id_number()
            .and_then(|id| id.as_bytes().get(3).copied())
        {
            // Gender/century digit G: 1900 + 100·⌊G/2⌋ (Circular 07/2016, cccd-chip.md §6).
            Some(g) if g.is_ascii_digit() => 1900 + 100 * i32::from((g - b'0') / 2),
            _ if yy > today.year() % 100 => 1900,
            _ => 2000,
        };
        yymmdd_date(raw, century)
    }

    /// The expiry date (always 20YY), or `None` for `991231`, unknown parts or
    /// an impossible date.
    pub fn expiry_date(&self) -> Option<NaiveDate> {
        let raw = self.date_of_expiry();
        if raw == NO_EXPIRY {
            return None;
        }
        yymmdd_date(raw, 2000)
    }

    /// The `mrz` object of the `read` JSON (DESIGN.md "Fixed contracts").
    pub fn to_json(&self, today: NaiveDate) -> Value {
        let mut m = Map::new();
        let s = |v: &str| Value::String(v.to_string());
        m.insert("document_code".into(), s(self.document_code()));
        m.insert("issuing_state".into(), s(self.issuing_state()));
        m.insert(
            "document_number".into(),
            Value::String(self.document_number()),
        );
        match self.birth_date(today) {
            Some(d) => {
                m.insert(
                    "date_of_birth".into(),
                    Value::String(d.format("%Y-%m-%d").to_string()),
                );
            }
            None => {
                m.insert("date_of_birth".into(), Value::Null);
                m.insert("date_of_birth_raw".into(), s(self.date_of_birth()));
            }
        }
        let sex = match self.sex() {
            'M' => "M",
            'F' => "F",
            _ => "X",
        };
        m.insert("sex".into(), s(sex));
        match self.expiry_date() {
            Some(d) => {
                m.insert(
                    "date_of_expiry".into(),
                    Value::String(d.format("%Y-%m-%d").to_string()),
                );
            }
            None => {
                m.insert("date_of_expiry".into(), Value::Null);
                if self.date_of_expiry() != NO_EXPIRY {
                    m.insert("date_of_expiry_raw".into(), s(self.date_of_expiry()));
                }
            }
        }
        m.insert("nationality".into(), s(self.nationality()));
        m.insert("name".into(), Value::String(self.name()));
        m.insert("optional_data".into(), s(self.optional_data()));
        m.insert("optional_data_2".into(), s(self.optional_data_2()));
        Value::Object(m)
    }
}

/// `YYMMDD` in the given century, `None` unless all six are digits and form a real date.
fn yymmdd_date(raw: &str, century: i32) -> Option<NaiveDate> {
    if raw.len() != 6 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = raw.get(0..2)?.parse().ok()?;
    let mm: u32 = raw.get(2..4)?.parse().ok()?;
    let dd: u32 = raw.get(4..6)?.parse().ok()?;
    NaiveDate::from_ymd_opt(century + yy, mm, dd)
}

/// EF.DG1 as read from the chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg1 {
    /// The MRZ inside it.
    pub mrz: Td1,
}

impl Dg1 {
    /// Parse EF.DG1 (`61 L 5F1F L <90 ASCII>`). Bytes after the outer TLV
    /// (EF padding) are ignored. Check-digit problems become warnings on
    /// `mrz` (see the module doc); a wrong structure is an error.
    pub fn parse(bytes: &[u8]) -> Result<Dg1, Dg1Error> {
        let outer = tlv::expect(bytes, TAG_DG1)?;
        let mrz = outer.child(TAG_MRZ)?;
        if mrz.value.len() != 3 * LINE_LEN {
            return Err(Dg1Error::NotTd1(mrz.value.len()));
        }
        let text = std::str::from_utf8(mrz.value).map_err(|_| Dg1Error::NotAscii)?;
        if !text.is_ascii() {
            return Err(Dg1Error::NotAscii);
        }
        // The chip stores one run of 90 exact MRZ characters: no whitespace, no
        // lowercase (which `Td1::parse` would forgive in typed text).
        if let Some((pos, c)) = text.char_indices().find(|&(_, c)| !is_mrz_char(c)) {
            return Err(Dg1Error::Mrz(MrzError::Characters {
                line: pos / LINE_LEN + 1,
                position: pos % LINE_LEN + 1,
                found: c,
            }));
        }
        Ok(Dg1 {
            mrz: Td1::parse_lenient(text)?,
        })
    }
}

/// Encode EF.DG1 for an MRZ (the emulator personalises its chip with this).
/// Whitespace in `mrz` is removed, so `lines.join("\n")` works as well as the
/// 90-character run.
pub fn encode(mrz: &str) -> Vec<u8> {
    let text: String = mrz.chars().filter(|c| !c.is_whitespace()).collect();
    tlv::encode(TAG_DG1, &tlv::encode(TAG_MRZ, text.as_bytes()))
}

/// `s` as an MRZ field of `width`: uppercased, other characters → `<`,
/// padded with `<` or cut.
fn mrz_field(s: &str, width: usize) -> String {
    let mut out: String = s
        .chars()
        .flat_map(char::to_uppercase)
        .map(|c| if is_mrz_char(c) { c } else { '<' })
        .take(width)
        .collect();
    while out.len() < width {
        out.push('<');
    }
    out
}

/// Build a TD1 MRZ with every check digit computed, so the emulator and tests
/// can make valid cards. Inputs are normalised, never rejected: uppercased,
/// characters outside the MRZ set → `<`, each field padded or cut to its width.
///
/// When `optional_data` is exactly 12 digits (a Vietnamese ID), line 1 follows
/// the CCCD convention: the ID, `<<`, and the ID's 7-3-1 check digit in
/// position 30. A `document_number_9` longer than 9 characters uses the ICAO
/// long-number form (see the module doc).
#[allow(clippy::too_many_arguments)]
pub fn build_td1(
    document_code: &str,
    state: &str,
    document_number_9: &str,
    optional_data: &str,
    dob_yymmdd: &str,
    sex: char,
    expiry_yymmdd: &str,
    nationality: &str,
    optional_data_2: &str,
    name_ascii: &str,
) -> Td1 {
    let doc: String = mrz_field(document_number_9, document_number_9.chars().count().max(9));
    let optional_15 =
        if optional_data.len() == 12 && optional_data.bytes().all(|b| b.is_ascii_digit()) {
            format!("{optional_data}<<{}", check_digit(optional_data))
        } else {
            mrz_field(optional_data, 15)
        };
    let number_part = if doc.len() > 9 {
        let (principal, overflow) = doc.split_at(9);
        let after = format!("{overflow}{}<{optional_15}", check_digit(&doc));
        format!("{principal}<{}", mrz_field(&after, 15))
    } else {
        format!("{doc}{}{optional_15}", check_digit(&doc))
    };
    let line1 = mrz_field(
        &format!(
            "{}{}{number_part}",
            mrz_field(document_code, 2),
            mrz_field(state, 3)
        ),
        30,
    );
    let dob = mrz_field(dob_yymmdd, 6);
    let exp = mrz_field(expiry_yymmdd, 6);
    let sex = mrz_field(&sex.to_string(), 1);
    let line2_29 = format!(
        "{dob}{}{sex}{exp}{}{}{}",
        check_digit(&dob),
        check_digit(&exp),
        mrz_field(nationality, 3),
        mrz_field(optional_data_2, 11)
    );
    let mut td1 = Td1 {
        lines: [line1, line2_29, mrz_field(name_ascii, 30)],
        warnings: Vec::new(),
    };
    let composite = check_digit(&td1.composite_data());
    td1.lines[1].push(composite);
    td1
}

/// The Vietnamese letters with diacritics, by base letter (lowercase).
const VIET_LETTERS: [(char, &str); 7] = [
    ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
    ('e', "èéẻẽẹêềếểễệë"),
    ('i', "ìíỉĩịïî"),
    ('o', "òóỏõọôồốổỗộơờớởỡợö"),
    ('u', "ùúủũụưừứửữựüû"),
    ('y', "ỳýỷỹỵ"),
    ('d', "đ"),
];

fn base_letter(c: char) -> Option<char> {
    if c.is_ascii_alphanumeric() {
        return Some(c.to_ascii_uppercase());
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    VIET_LETTERS
        .iter()
        .find(|(_, set)| set.contains(lower))
        .map(|(b, _)| b.to_ascii_uppercase())
}

/// A Vietnamese full name (surname first, as on the card) in MRZ form:
/// diacritics stripped (Đ → D, Ư → U …), surname = first word, given names =
/// the rest: `Nguyễn Văn A` → `NGUYEN<<VAN<A`, cut to 30 characters.
/// Combining marks of decomposed input are dropped; a hyphen becomes `<`, an
/// apostrophe or other character without an MRZ form is left out.
pub fn ascii_name(surname_given: &str) -> String {
    let words: Vec<String> = surname_given
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter_map(|c| match c {
                    '-' => Some('<'),
                    '\u{0300}'..='\u{036F}' => None,
                    c => base_letter(c),
                })
                .collect::<String>()
        })
        .filter(|w| !w.trim_matches('<').is_empty())
        .collect();
    let mut out = match words.split_first() {
        Some((surname, given)) if !given.is_empty() => format!("{surname}<<{}", given.join("<")),
        Some((surname, _)) => surname.clone(),
        None => String::new(),
    };
    out.truncate(LINE_LEN);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hex_literal::hex;
    use proptest::prelude::*;

    // cccd-chip.md §1 worked example (synthetic holder, check digits 7-3-1).
    const L1: &str = "IDVNM0950001238001095000123<<9";
    const L2: &str = "9503146M3503144VNM<<<<<<<<<<<6";
    const L3: &str = "NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<";

    // ICAO 9303-5, the TD1 specimen (Utopia, ERIKSSON ANNA MARIA).
    const ICAO1: &str = "I<UTOD231458907<<<<<<<<<<<<<<<";
    const ICAO2: &str = "7408122F1204159UTO<<<<<<<<<<<6";
    const ICAO3: &str = "ERIKSSON<<ANNA<MARIA<<<<<<<<<<";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    fn set(line: &str, pos: usize, c: char) -> String {
        let mut b: Vec<char> = line.chars().collect();
        b[pos - 1] = c;
        b.into_iter().collect()
    }

    /// Recompute line 2's composite digit after editing line 1 (to test other checks alone).
    fn fix_composite(l1: &str, l2: &str) -> String {
        let data = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
        set(l2, 30, check_digit(&data))
    }

    #[test]
    fn worked_example_parses_in_every_accepted_shape() {
        let td1 = Td1::parse(&format!("{L1}\n{L2}\n{L3}")).unwrap();
        assert_eq!(td1.lines, [L1, L2, L3]);
        assert_eq!(Td1::parse(&format!("{L1}{L2}{L3}")).unwrap(), td1);
        assert_eq!(
            Td1::parse(&format!("  {} {}\r\n{}  ", L1.to_lowercase(), L2, L3)).unwrap(),
            td1
        );
        assert_eq!(td1.document_code(), "ID");
        assert_eq!(td1.issuing_state(), "VNM");
        assert_eq!(td1.document_number(), "095000123");
        assert_eq!(td1.document_number_printed(), "095000123");
        assert_eq!(td1.date_of_birth(), "950314");
        assert_eq!(td1.date_of_expiry(), "350314");
        assert_eq!(td1.sex(), 'M');
        assert_eq!(td1.nationality(), "VNM");
        assert_eq!(td1.name(), "NGUYEN VAN A");
        assert_eq!(td1.optional_data(), "001095000123<<9");
        assert_eq!(td1.optional_data_2(), "");
        assert_eq!(td1.id_number().as_deref(), Some("001095000123"));
        assert!(td1.warnings().is_empty(), "{:?}", td1.warnings());
    }

    #[test]
    fn each_corrupted_check_digit_names_its_field() {
        let cases = [
            (
                set(L1, 15, '7'),
                L2.to_string(),
                "document_number",
                '8',
                '7',
            ),
            (L1.to_string(), set(L2, 7, '5'), "date_of_birth", '6', '5'),
            (L1.to_string(), set(L2, 15, '0'), "date_of_expiry", '4', '0'),
            (L1.to_string(), set(L2, 30, '1'), "composite", '6', '1'),
        ];
        for (l1, l2, field, expected, found) in cases {
            let err = Td1::parse(&format!("{l1}\n{l2}\n{L3}")).unwrap_err();
            assert_eq!(err.field(), field);
            match &err {
                MrzError::CheckDigit {
                    expected: e,
                    found: f,
                    ..
                } => assert_eq!((*e, *f), (expected, found)),
                other => panic!("unexpected {other:?}"),
            }
            assert!(err.to_string().starts_with(field), "{err}");
        }
        // A mistyped data character (birth day 15 for 14) is caught by its own digit first.
        let err = Td1::parse(&format!("{L1}\n{}\n{L3}", set(L2, 6, '5'))).unwrap_err();
        assert_eq!(err.field(), "date_of_birth");
    }

    #[test]
    fn length_and_characters_errors() {
        let err = Td1::parse(&format!("{L1}\n{L2}")).unwrap_err();
        assert_eq!(err.field(), "length");
        assert!(err.to_string().contains("2 lines of 30, 30"), "{err}");
        let err = Td1::parse(&format!("{L1}\n{L2}<\n{}", &L3[1..])).unwrap_err();
        assert_eq!(err.field(), "length");
        let err = Td1::parse(&format!("{L1}\n{}\n{L3}", set(L2, 8, 'Đ'))).unwrap_err();
        assert_eq!(
            err,
            MrzError::Characters {
                line: 2,
                position: 8,
                found: 'Đ'
            }
        );
        assert_eq!(Td1::parse("").unwrap_err().field(), "length");
        let err = Td1::parse(&format!("{L1}\n{}\n{L3}", set(L2, 8, 'ß'))).unwrap_err();
        assert_eq!(err.field(), "characters");
        let err = Td1::parse(&format!("{L1}\n{}\n{L3}", set(L2, 8, 'Q'))).unwrap_err();
        assert_eq!(err.field(), "sex");
    }

    #[test]
    fn json_has_exactly_the_contract_keys() {
        let td1 = Td1::parse(&format!("{L1}\n{L2}\n{L3}")).unwrap();
        assert_eq!(
            td1.to_json(today()),
            serde_json::json!({
                "document_code": "ID", "issuing_state": "VNM", "document_number": "095000123",
                "date_of_birth": "1995-03-14", "sex": "M", "date_of_expiry": "2035-03-14",
                "nationality": "VNM", "name": "NGUYEN VAN A", "optional_data": "001095000123<<9",
                "optional_data_2": ""
            })
        );
    }

    #[test]
    fn no_expiry_card_over_58() {
        // cccd-chip.md §1: ID 038158000456, born 07/09/1958, card for life.
        let td1 = build_td1(
            "ID",
            "VNM",
            "158000456",
            "038158000456",
            "580907",
            'F',
            "991231",
            "VNM",
            "",
            "LE<<THI<HOA",
        );
        let td1 = Td1::parse(&td1.lines.join("\n")).unwrap();
        assert_eq!(td1.lines[0], "IDVNM1580004569038158000456<<6");
        let j = td1.to_json(today());
        assert_eq!(j["date_of_expiry"], Value::Null);
        assert!(j.get("date_of_expiry_raw").is_none());
        assert_eq!(j["date_of_birth"], "1958-09-07");
        assert_eq!(j["sex"], "F");
        assert_eq!(j["name"], "LE THI HOA");
    }

    #[test]
    fn birth_year_only_and_impossible_dates_keep_raw_text() {
        let td1 = build_td1(
            "ID",
            "VNM",
            "138000789",
            "001138000789",
            "38<<<<",
            'M',
            "991231",
            "VNM",
            "",
            "TRAN<<VAN<B",
        );
        let td1 = Td1::parse(&td1.lines.concat()).unwrap();
        let j = td1.to_json(today());
        assert_eq!(j["date_of_birth"], Value::Null);
        assert_eq!(j["date_of_birth_raw"], "38<<<<");

        let td1 = build_td1(
            "ID",
            "VNM",
            "095000123",
            "001095000123",
            "950231",
            'M',
            "350231",
            "VNM",
            "",
            "A",
        );
        let j = Td1::parse(&td1.lines.concat()).unwrap().to_json(today());
        assert_eq!(
            (j["date_of_birth"].clone(), j["date_of_birth_raw"].clone()),
            (Value::Null, "950231".into())
        );
        assert_eq!(
            (j["date_of_expiry"].clone(), j["date_of_expiry_raw"].clone()),
            (Value::Null, "350231".into())
        );
    }

    #[test]
    fn birth_century_comes_from_the_id_then_from_the_icao_rule() {
        // Century digit 2 → born 2000s even though 05 ≤ this year's 25.
        let td1 = build_td1(
            "ID",
            "VNM",
            "205000123",
            "079205000123",
            "050101",
            'M',
            "300101",
            "VNM",
            "",
            "A",
        );
        assert_eq!(td1.to_json(today())["date_of_birth"], "2005-01-01");
        // Century digit 0 with YY 20 → 1920; the ICAO rule alone would give 2020.
        let td1 = build_td1(
            "ID",
            "VNM",
            "020000123",
            "079020000123",
            "200101",
            'M',
            "991231",
            "VNM",
            "",
            "A",
        );
        assert_eq!(td1.to_json(today())["date_of_birth"], "1920-01-01");
        let td1 = build_td1(
            "ID",
            "VNM",
            "020000123",
            "",
            "200101",
            'M',
            "991231",
            "VNM",
            "",
            "A",
        );
        assert_eq!(td1.to_json(today())["date_of_birth"], "2020-01-01");
    }

    #[test]
    fn icao_9303_5_td1_example() {
        let td1 = Td1::parse(&format!("{ICAO1}\n{ICAO2}\n{ICAO3}")).unwrap();
        assert_eq!(td1.document_code(), "I");
        assert_eq!(td1.document_number(), "D23145890");
        assert_eq!(td1.id_number(), None);
        let j = td1.to_json(today());
        assert_eq!(j["date_of_birth"], "1974-08-12");
        assert_eq!(j["date_of_expiry"], "2012-04-15");
        assert_eq!(j["sex"], "F");
        assert_eq!(j["name"], "ERIKSSON ANNA MARIA");
        assert_eq!(j["issuing_state"], "UTO");
        // build_td1 reproduces it.
        let built = build_td1(
            "I",
            "UTO",
            "D23145890",
            "",
            "740812",
            'F',
            "120415",
            "UTO",
            "",
            "ERIKSSON<<ANNA<MARIA",
        );
        assert_eq!(built.lines, [ICAO1, ICAO2, ICAO3]);
    }

    #[test]
    fn long_document_number_overflows_into_optional_data() {
        // ICAO 9303-5 §4.2.2 note j: D23145890734, check digit 9.
        let l1 = "I<UTOD23145890<7349<<<<<<<<<<<";
        let l2 = fix_composite(l1, "3407127M9507122UTO<<<<<<<<<<<2");
        let td1 = Td1::parse(&format!("{l1}\n{l2}\n{ICAO3}")).unwrap();
        assert_eq!(td1.document_number(), "D23145890734");
        assert_eq!(td1.document_number_printed(), "D23145890734");
        assert_eq!(td1.optional_data(), "");
        assert_eq!(td1.to_json(today())["document_number"], "D23145890734");
        let bad = set(l1, 19, '8');
        let err = Td1::parse(&format!("{bad}\n{}\n{ICAO3}", fix_composite(&bad, &l2))).unwrap_err();
        assert_eq!(err.field(), "document_number");
        let built = build_td1(
            "I",
            "UTO",
            "D23145890734",
            "",
            "340712",
            'M',
            "950712",
            "UTO",
            "",
            "ERIKSSON<<ANNA<MARIA",
        );
        assert_eq!(built.lines[0], l1);
        assert_eq!(built.lines[1], l2);
    }

    #[test]
    fn cccd_position_30_is_only_a_warning() {
        let l1 = set(L1, 30, '3');
        let l2 = fix_composite(&l1, L2);
        let td1 = Td1::parse(&format!("{l1}\n{l2}\n{L3}")).unwrap();
        assert_eq!(td1.warnings().len(), 1);
        assert!(
            td1.warnings()[0].contains("position 30"),
            "{:?}",
            td1.warnings()
        );
    }

    #[test]
    fn builder_reproduces_the_worked_example() {
        let td1 = build_td1(
            "ID",
            "VNM",
            "095000123",
            "001095000123",
            "950314",
            'M',
            "350314",
            "VNM",
            "",
            &ascii_name("Nguyễn Văn A"),
        );
        assert_eq!(td1.lines, [L1, L2, L3]);
    }

    #[test]
    fn dg1_round_trip_and_errors() {
        let bytes = encode(&format!("{L1}\n{L2}\n{L3}"));
        // 9303-10 §4.7.1: 61 5D 5F1F 5A <90 bytes>
        assert_eq!(bytes[..5], hex!("615D5F1F5A"));
        assert_eq!(bytes.len(), 95);
        let dg1 = Dg1::parse(&bytes).unwrap();
        assert_eq!(dg1.mrz.lines, [L1, L2, L3]);

        // A chip with a wrong check digit is still read; the problem is a warning.
        let bytes = encode(&format!("{L1}{}{L3}", set(L2, 30, '1')));
        let dg1 = Dg1::parse(&bytes).unwrap();
        assert!(
            dg1.mrz.warnings().iter().any(|w| w.contains("composite")),
            "{:?}",
            dg1.mrz.warnings()
        );

        assert_eq!(
            Dg1::parse(&hex!("6003 5F1F00")),
            Err(Dg1Error::Tlv(TlvError::UnexpectedTag {
                expected: 0x61,
                found: 0x60
            }))
        );
        assert_eq!(
            Dg1::parse(&encode(&"<".repeat(88))),
            Err(Dg1Error::NotTd1(88))
        );
        assert!(matches!(
            Dg1::parse(&hex!("615B5F1F5A3031")),
            Err(Dg1Error::Tlv(_))
        ));
        let mut bad = encode(&format!("{L1}{L2}{L3}"));
        bad[10] = b'a';
        assert!(matches!(
            Dg1::parse(&bad),
            Err(Dg1Error::Mrz(MrzError::Characters {
                line: 1,
                position: 6,
                ..
            }))
        ));
    }

    #[test]
    fn ascii_name_strips_vietnamese_diacritics() {
        assert_eq!(ascii_name("Nguyễn Văn A"), "NGUYEN<<VAN<A");
        assert_eq!(ascii_name("  Đặng   Thị Thu Hương "), "DANG<<THI<THU<HUONG");
        assert_eq!(ascii_name("ĐOÀN NGỌC ƯỚC"), "DOAN<<NGOC<UOC");
        // Decomposed input (NFD): base letters plus combining marks.
        assert_eq!(ascii_name("Tra\u{0300}n Thi\u{0323}"), "TRAN<<THI");
        assert_eq!(ascii_name("Hà"), "HA");
        assert_eq!(ascii_name(""), "");
        let long = ascii_name("Tôn Nữ Hoàng Thị Phương Thảo Nguyên Khánh");
        assert_eq!(long, "TON<<NU<HOANG<THI<PHUONG<THAO<");
        assert_eq!(long.len(), 30);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,120}") {
            let _ = Td1::parse(&s);
            let _ = Td1::parse_lenient(&s);
        }

        #[test]
        fn parse_never_panics_on_mrz_alphabet(s in "[A-Z0-9<]{90}") {
            if let Ok(t) = Td1::parse_lenient(&s) {
                let _ = t.to_json(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
                let _ = t.document_number();
                let _ = t.optional_data();
            }
        }

        #[test]
        fn accessors_never_panic_on_edited_lines(a in ".{0,40}", b in ".{0,40}", c in ".{0,40}") {
            let mut t = build_td1("ID", "VNM", "095000123", "001095000123", "950314", 'M', "350314", "VNM", "", "A");
            t.lines = [a, b, c];
            let _ = t.to_json(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
            let _ = (t.document_number_printed(), t.optional_data(), t.id_number(), t.name());
        }

        #[test]
        fn dg1_parse_never_panics(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Dg1::parse(&b);
        }

        #[test]
        fn built_mrz_always_parses(doc in "[0-9]{9}", dob in "[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])", name in "[A-Z ]{0,40}") {
            let td1 = build_td1("ID", "VNM", &doc, "", &dob, 'F', "300101", "VNM", "", &ascii_name(&name));
            prop_assert!(Td1::parse(&td1.lines.join("\n")).is_ok());
        }
    }
}
