//! DG13 of the Vietnamese CCCD: the citizen's personal data in Vietnamese
//! (layout in `DG13.md`, sources in `context/cccd-chip.md` §3). ICAO 9303-10
//! §4.7.13 leaves DG13 to the issuing state; Viet Nam puts there:
//!
//! ```text
//! 6D L                                  [APPLICATION 13]
//!   30 L                                SEQUENCE
//!     02 01 01                          INTEGER version = 1
//!     06 06 28 D3 16 01 00 08           OID 1.0.10646.1.0.8 (UTF-8 encoding level)
//!     31 L                              SET OF
//!       30 L  02 01 nn  <value…>        SEQUENCE { INTEGER field-number, value(s) }
//! ```
//!
//! Decisions, because the public sources disagree or are silent:
//! - Fields are found **by number**, never by position or offset; fields may be
//!   absent or in any order. A number this module does not know is kept raw in
//!   [`Dg13::extra`] (and written back by the encoder).
//! - Any text may be UTF8String (0x0C), PrintableString (0x13), IA5String (0x16),
//!   VisibleString (0x1A) or BMPString (0x1E); all but BMP are read as UTF-8
//!   (chips are known to put UTF-8 in a PrintableString).
//! - Field 13 (parents): sources disagree on the nesting (two SEQUENCEs, or one
//!   holding both names), so the text strings inside are taken in order at any
//!   depth: first father, then mother. A single name is taken as the father's.
//! - Field 14 (spouse): an INTEGER alone means no spouse. Field 15 absent → null.
//! - The struct keeps text exactly as on the chip; [`Dg13::to_json`] trims it,
//!   turns empty text into null and `DD/MM/YYYY` into `YYYY-MM-DD`. A date that is
//!   not a full calendar date (`00/00/1948`, "Không thời hạn") becomes null with
//!   the text in a `<key>_raw` sibling (DESIGN.md, "Dates").
//! - A malformed DG13 is an error the caller reports while the read goes on;
//!   [`Dg13::parse_lenient`] recovers every field it can (a truncated file, a bad
//!   field) and lists what it skipped.

use serde_json::{Map, Value};

use super::error::{Ef, LdsError};
use crate::card::tlv::{self, TlvError};

/// Tag of EF.DG13 (9303-10 Table 34).
pub const TAG: u32 = 0x6D;
const EF: Ef = Ef::Dg(13);
/// DER of OID 1.0.10646.1.0.8 (ISO/IEC 10646 UTF-8 level), as a CCCD writes it.
const UTF8_LEVEL_OID: [u8; 6] = [0x28, 0xD3, 0x16, 0x01, 0x00, 0x08];
/// Text strings nested deeper than this inside a field are not looked for.
const MAX_DEPTH: usize = 4;

const UTF8_STRING: u32 = 0x0C;
const PRINTABLE_STRING: u32 = 0x13;
const IA5_STRING: u32 = 0x16;
const VISIBLE_STRING: u32 = 0x1A;
const BMP_STRING: u32 = 0x1E;

/// The citizen's data from DG13, each field as the chip stores it, so the
/// back office gets the chip's exact text and the JSON view can be derived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dg13 {
    /// Field 1: the 12-digit personal identification number.
    pub id_number: Option<String>,
    /// Field 2: full name with diacritics.
    pub full_name: Option<String>,
    /// Field 3: date of birth, `DD/MM/YYYY` (may be `00/00/YYYY`).
    pub date_of_birth: Option<String>,
    /// Field 4: "Nam" or "Nữ".
    pub sex: Option<String>,
    /// Field 5: nationality, "Việt Nam".
    pub nationality: Option<String>,
    /// Field 6: ethnicity, e.g. "Kinh".
    pub ethnicity: Option<String>,
    /// Field 7: religion, e.g. "Không".
    pub religion: Option<String>,
    /// Field 8: place of origin (quê quán).
    pub place_of_origin: Option<String>,
    /// Field 9: place of permanent residence (nơi thường trú).
    pub place_of_residence: Option<String>,
    /// Field 10: identifying marks.
    pub identifying_marks: Option<String>,
    /// Field 11: date of issue, `DD/MM/YYYY`.
    pub date_of_issue: Option<String>,
    /// Field 12: date of expiry, `DD/MM/YYYY` or text such as "Không thời hạn".
    pub date_of_expiry: Option<String>,
    /// Field 13, first name: father.
    pub father_name: Option<String>,
    /// Field 13, second name: mother.
    pub mother_name: Option<String>,
    /// Field 14: spouse; `None` when the field holds its number only.
    pub spouse_name: Option<String>,
    /// Field 15: old 9-digit CMND number; `None` when absent.
    pub old_id_number: Option<String>,
    /// Field 16: a 16-character string of unconfirmed meaning, kept as is.
    pub field16: Option<String>,
    /// Fields with numbers this module does not know: (number, the DER after the
    /// field number), so nothing on the chip is lost and the emulator can write it back.
    pub extra: Vec<(u32, Vec<u8>)>,
}

impl Dg13 {
    /// Parse DG13, failing on the first problem (a broken TLV, a field with no
    /// text, a field twice). The error names DG13 and the field.
    pub fn parse(bytes: &[u8]) -> Result<Self, LdsError> {
        let (dg13, mut problems) = decode(bytes);
        match (dg13, problems.is_empty()) {
            (Some(d), true) => Ok(d),
            _ => Err(if problems.is_empty() {
                LdsError::invalid(EF, "file", "no data")
            } else {
                problems.swap_remove(0)
            }),
        }
    }

    /// Parse DG13 recovering every field it can: a truncated file, a lying
    /// length or a broken field costs only what it touches. Returns `None` only
    /// when not even the field set could be found, and one warning per problem.
    pub fn parse_lenient(bytes: &[u8]) -> (Option<Self>, Vec<String>) {
        let (dg13, problems) = decode(bytes);
        (dg13, problems.iter().map(ToString::to_string).collect())
    }

    /// The `citizen` object of the `read` JSON contract (DESIGN.md): exactly its
    /// sixteen keys, dates as `YYYY-MM-DD`, a date that is not a full date as
    /// null plus `<key>_raw`, missing or empty fields as null.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let text = |s: &Option<String>| -> Value {
            match s.as_deref().map(str::trim) {
                Some(t) if !t.is_empty() => Value::String(t.to_owned()),
                _ => Value::Null,
            }
        };
        m.insert("id_number".into(), text(&self.id_number));
        m.insert("full_name".into(), text(&self.full_name));
        put_date(&mut m, "date_of_birth", &self.date_of_birth);
        m.insert("sex".into(), text(&self.sex));
        m.insert("nationality".into(), text(&self.nationality));
        m.insert("ethnicity".into(), text(&self.ethnicity));
        m.insert("religion".into(), text(&self.religion));
        m.insert("place_of_origin".into(), text(&self.place_of_origin));
        m.insert("place_of_residence".into(), text(&self.place_of_residence));
        m.insert("identifying_marks".into(), text(&self.identifying_marks));
        put_date(&mut m, "date_of_issue", &self.date_of_issue);
        put_date(&mut m, "date_of_expiry", &self.date_of_expiry);
        m.insert("father_name".into(), text(&self.father_name));
        m.insert("mother_name".into(), text(&self.mother_name));
        m.insert("spouse_name".into(), text(&self.spouse_name));
        m.insert("old_id_number".into(), text(&self.old_id_number));
        Value::Object(m)
    }

    /// DG13 bytes in the exact layout of `DG13.md`, for the emulator: fields in
    /// number order, text as UTF8String except fields 1/3/11/15/16 as
    /// PrintableString (UTF8String if the text does not fit PrintableString),
    /// parents as `SEQ{INT 13, SEQ{father}, SEQ{mother}}`, field 14 always
    /// present (its number alone when there is no spouse), field 15 only when set.
    pub fn encode(&self) -> Vec<u8> {
        let mut fields: Vec<(u32, Vec<u8>)> = Vec::new();
        let simple: [(u32, &Option<String>); 14] = [
            (1, &self.id_number),
            (2, &self.full_name),
            (3, &self.date_of_birth),
            (4, &self.sex),
            (5, &self.nationality),
            (6, &self.ethnicity),
            (7, &self.religion),
            (8, &self.place_of_origin),
            (9, &self.place_of_residence),
            (10, &self.identifying_marks),
            (11, &self.date_of_issue),
            (12, &self.date_of_expiry),
            (15, &self.old_id_number),
            (16, &self.field16),
        ];
        for (n, value) in simple {
            if let Some(s) = value {
                let printable = matches!(n, 1 | 3 | 11 | 15 | 16) && is_printable_string(s);
                let tag = if printable {
                    PRINTABLE_STRING
                } else {
                    UTF8_STRING
                };
                fields.push((n, tlv::encode(tag, s.as_bytes())));
            }
        }
        if self.father_name.is_some() || self.mother_name.is_some() {
            let mut v = Vec::new();
            for name in [&self.father_name, &self.mother_name] {
                let s = name.as_deref().unwrap_or("");
                v.extend(tlv::encode(0x30, &tlv::encode(UTF8_STRING, s.as_bytes())));
            }
            fields.push((13, v));
        }
        let spouse = match &self.spouse_name {
            Some(s) => tlv::encode(0x30, &tlv::encode(UTF8_STRING, s.as_bytes())),
            None => Vec::new(),
        };
        fields.push((14, spouse));
        fields.extend(self.extra.iter().cloned());
        fields.sort_by_key(|(n, _)| *n);

        let mut set = Vec::new();
        for (n, value) in fields {
            let mut seq = tlv::encode(0x02, &der_uint(n));
            seq.extend(value);
            set.extend(tlv::encode(0x30, &seq));
        }
        let mut seq = tlv::encode(0x02, &[1]);
        seq.extend(tlv::encode(0x06, &UTF8_LEVEL_OID));
        seq.extend(tlv::encode(0x31, &set));
        tlv::encode(TAG, &tlv::encode(0x30, &seq))
    }
}

/// `DD/MM/YYYY` → `YYYY-MM-DD` when it is a real calendar date, else `None`.
pub fn iso_date(text: &str) -> Option<String> {
    let mut parts = text.trim().split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || d.len() != 2
        || m.len() != 2
        || y.len() != 4
        || ![d, m, y]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
    Some(date.format("%Y-%m-%d").to_string())
}

fn put_date(m: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    let raw = value.as_deref().map(str::trim).filter(|t| !t.is_empty());
    match raw {
        None => {
            m.insert(key.into(), Value::Null);
        }
        Some(t) => match iso_date(t) {
            Some(iso) => {
                m.insert(key.into(), Value::String(iso));
            }
            None => {
                m.insert(key.into(), Value::Null);
                m.insert(format!("{key}_raw"), Value::String(t.to_owned()));
            }
        },
    }
}

/// X.680 PrintableString alphabet: what a chip reader expects under tag 0x13.
fn is_printable_string(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b))
}

/// Minimal DER content octets of a non-negative INTEGER.
fn der_uint(n: u32) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    let mut out = Vec::with_capacity(5);
    if bytes.get(skip).is_some_and(|&b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(bytes.get(skip..).unwrap_or(&[]));
    out
}

/// The value of a TLV with `tag` at the start of `b`. A length that runs past
/// the end is a problem but the bytes present are still returned (lenient
/// recovery of a truncated file); `None` when even the header is unreadable.
fn open<'a>(b: &'a [u8], tag: u32, part: &str, problems: &mut Vec<LdsError>) -> Option<&'a [u8]> {
    let (found, hl, len) = match tlv::read_header(b) {
        Ok(h) => h,
        Err(e) => {
            problems.push(LdsError::tlv(EF, part, e));
            return None;
        }
    };
    if found != tag {
        problems.push(LdsError::tlv(
            EF,
            part,
            TlvError::UnexpectedTag {
                expected: tag,
                found,
            },
        ));
        return None;
    }
    let rest = b.get(hl..).unwrap_or(&[]);
    if len > rest.len() {
        problems.push(LdsError::tlv(
            EF,
            part,
            TlvError::LengthPastEnd {
                declared: len,
                available: rest.len(),
            },
        ));
        return Some(rest);
    }
    rest.get(..len)
}

/// The whole decoder: the DG13 it could build and every problem met.
fn decode(bytes: &[u8]) -> (Option<Dg13>, Vec<LdsError>) {
    let mut problems = Vec::new();
    let Some(outer) = open(bytes, TAG, "tag 6D", &mut problems) else {
        return (None, problems);
    };
    let Some(seq) = open(outer, 0x30, "SEQUENCE", &mut problems) else {
        return (None, problems);
    };
    // Skip the version and encoding OID (not checked: a later version may change
    // them, and the fields are what matter) up to the SET OF fields.
    let mut rest = seq;
    let set = loop {
        match tlv::read_header(rest) {
            Ok((0x31, _, _)) => break open(rest, 0x31, "SET OF fields", &mut problems),
            Ok(_) => match tlv::parse_one(rest) {
                Ok((_, after)) => rest = after,
                Err(e) => {
                    problems.push(LdsError::tlv(EF, "SEQUENCE", e));
                    break None;
                }
            },
            Err(TlvError::Truncated(_)) if rest.is_empty() => {
                problems.push(LdsError::tlv(EF, "SET OF fields", TlvError::Missing(0x31)));
                break None;
            }
            Err(e) => {
                problems.push(LdsError::tlv(EF, "SEQUENCE", e));
                break None;
            }
        }
    };
    let Some(set) = set else {
        return (None, problems);
    };

    let mut dg = Dg13::default();
    let mut seen: Vec<u32> = Vec::new();
    for (i, element) in tlv::iter(set).enumerate() {
        let element = match element {
            Ok(e) => e,
            Err(e) => {
                problems.push(LdsError::tlv(EF, format!("field entry {}", i + 1), e));
                break;
            }
        };
        if element.tag != 0x30 {
            problems.push(LdsError::invalid(
                EF,
                format!("field entry {}", i + 1),
                format!("expected a SEQUENCE (0x30), found tag {:#x}", element.tag),
            ));
            continue;
        }
        let (n, value) = match field_number(element.value) {
            Ok(x) => x,
            Err(reason) => {
                problems.push(LdsError::invalid(
                    EF,
                    format!("field entry {}", i + 1),
                    reason,
                ));
                continue;
            }
        };
        if seen.contains(&n) {
            problems.push(LdsError::invalid(
                EF,
                format!("field {n}"),
                "appears more than once; the first is kept",
            ));
            continue;
        }
        seen.push(n);
        let part = format!("field {n}");
        let mut texts = Vec::new();
        collect_texts(value, 0, &part, &mut texts, &mut problems);
        let mut texts = texts.into_iter();
        let slot = match n {
            1 => &mut dg.id_number,
            2 => &mut dg.full_name,
            3 => &mut dg.date_of_birth,
            4 => &mut dg.sex,
            5 => &mut dg.nationality,
            6 => &mut dg.ethnicity,
            7 => &mut dg.religion,
            8 => &mut dg.place_of_origin,
            9 => &mut dg.place_of_residence,
            10 => &mut dg.identifying_marks,
            11 => &mut dg.date_of_issue,
            12 => &mut dg.date_of_expiry,
            13 => {
                dg.father_name = texts.next();
                dg.mother_name = texts.next();
                continue;
            }
            14 => {
                dg.spouse_name = texts.next();
                continue;
            }
            15 => &mut dg.old_id_number,
            16 => &mut dg.field16,
            _ => {
                dg.extra.push((n, value.to_vec()));
                continue;
            }
        };
        match texts.next() {
            Some(t) => *slot = Some(t),
            None => problems.push(LdsError::invalid(EF, part, "no text string in the field")),
        }
    }
    (Some(dg), problems)
}

/// Split a field SEQUENCE's content into its number and the bytes after it.
fn field_number(content: &[u8]) -> Result<(u32, &[u8]), String> {
    let (t, rest) = tlv::parse_one(content).map_err(|e| format!("field number: {e}"))?;
    if t.tag != 0x02 {
        return Err(format!(
            "expected INTEGER field number, found tag {:#x}",
            t.tag
        ));
    }
    let v = t.value;
    let first = *v.first().ok_or("empty INTEGER field number")?;
    if first & 0x80 != 0 {
        return Err("negative field number".into());
    }
    let digits = v.iter().skip_while(|&&b| b == 0).count();
    if digits > 4 {
        return Err(format!("field number of {} bytes is too large", v.len()));
    }
    let n = v.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    Ok((n, rest))
}

/// Every text string in `b`, depth first, in order (nested SEQUENCEs included).
fn collect_texts(
    b: &[u8],
    depth: usize,
    part: &str,
    out: &mut Vec<String>,
    problems: &mut Vec<LdsError>,
) {
    for t in tlv::iter(b) {
        let t = match t {
            Ok(t) => t,
            Err(e) => {
                problems.push(LdsError::tlv(EF, part, e));
                return;
            }
        };
        match t.tag {
            UTF8_STRING | PRINTABLE_STRING | IA5_STRING | VISIBLE_STRING => {
                match std::str::from_utf8(t.value) {
                    Ok(s) => out.push(s.to_owned()),
                    Err(e) => {
                        problems.push(LdsError::invalid(
                            EF,
                            part,
                            format!("text is not UTF-8 ({e}); undecodable bytes replaced"),
                        ));
                        out.push(String::from_utf8_lossy(t.value).into_owned());
                    }
                }
            }
            BMP_STRING => {
                if t.value.len() % 2 != 0 {
                    problems.push(LdsError::invalid(EF, part, "BMPString of odd length"));
                }
                let units = t
                    .value
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]));
                out.push(
                    char::decode_utf16(units)
                        .map(|c| c.unwrap_or('\u{FFFD}'))
                        .collect(),
                );
            }
            _ if t.is_constructed() && depth < MAX_DEPTH => {
                collect_texts(t.value, depth + 1, part, out, problems);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;
    use proptest::prelude::*;
    use serde_json::json;

    /// A synthetic citizen (no real person), every field set.
    fn huong() -> Dg13 {
        Dg13 {
            id_number: Some("001195000123".into()),
            full_name: Some("Nguyễn Thị Thu Hương".into()),
            date_of_birth: Some("14/03/1995".into()),
            sex: Some("Nữ".into()),
            nationality: Some("Việt Nam".into()),
            ethnicity: Some("Kinh".into()),
            religion: Some("Không".into()),
            place_of_origin: Some("Xã Đông Hưng, Đông Hưng, Thái Bình".into()),
            place_of_residence: Some("123 Nguyễn Trãi, Phường 2, Quận 5, TP Hồ Chí Minh".into()),
            identifying_marks: Some("Nốt ruồi C:1cm trên trước mép phải".into()),
            date_of_issue: Some("10/05/2021".into()),
            date_of_expiry: Some("14/03/2035".into()),
            father_name: Some("Đặng Văn Ất".into()),
            mother_name: Some("Hồ Thị Lan".into()),
            spouse_name: Some("Trần Minh Đức".into()),
            old_id_number: Some("023456789".into()),
            field16: Some("0123456789ABCDEF".into()),
            extra: vec![],
        }
    }

    fn field(n: u8, value: &[u8]) -> Vec<u8> {
        let mut v = tlv::encode(0x02, &[n]);
        v.extend_from_slice(value);
        tlv::encode(0x30, &v)
    }

    fn wrap(fields: &[Vec<u8>]) -> Vec<u8> {
        let mut seq = hex!("020101 060628D316010008").to_vec();
        seq.extend(tlv::encode(0x31, &fields.concat()));
        tlv::encode(0x6D, &tlv::encode(0x30, &seq))
    }

    fn utf8(s: &str) -> Vec<u8> {
        tlv::encode(0x0C, s.as_bytes())
    }

    #[test]
    fn vietnamese_text_round_trips() {
        let d = huong();
        let bytes = d.encode();
        assert_eq!(Dg13::parse(&bytes).unwrap(), d);
        // The layout of DG13.md: 6D, SEQUENCE, INTEGER 1, OID 1.0.10646.1.0.8, SET.
        assert_eq!(bytes[0], 0x6D);
        assert!(bytes
            .windows(11)
            .any(|w| w == hex!("020101 060628D316010008")));
        let j = d.to_json();
        assert_eq!(j["full_name"], "Nguyễn Thị Thu Hương");
        assert_eq!(j["sex"], "Nữ");
        assert_eq!(j["father_name"], "Đặng Văn Ất");
        assert_eq!(
            j["place_of_residence"],
            "123 Nguyễn Trãi, Phường 2, Quận 5, TP Hồ Chí Minh"
        );
        assert_eq!(j["date_of_birth"], "1995-03-14");
        assert_eq!(j["date_of_issue"], "2021-05-10");
        assert_eq!(j["date_of_expiry"], "2035-03-14");
    }

    #[test]
    fn encoder_writes_the_documented_string_types() {
        let bytes = huong().encode();
        // Field 1 as PrintableString, field 2 as UTF8String.
        let f1 = field(1, &tlv::encode(0x13, b"001195000123"));
        assert!(bytes.windows(f1.len()).any(|w| w == f1.as_slice()));
        let f2 = field(2, &utf8("Nguyễn Thị Thu Hương"));
        assert!(bytes.windows(f2.len()).any(|w| w == f2.as_slice()));
        // Parents: SEQ{INT 13, SEQ{UTF8 father}, SEQ{UTF8 mother}}.
        let mut parents = tlv::encode(0x30, &utf8("Đặng Văn Ất"));
        parents.extend(tlv::encode(0x30, &utf8("Hồ Thị Lan")));
        let f13 = field(13, &parents);
        assert!(bytes.windows(f13.len()).any(|w| w == f13.as_slice()));
        // No spouse: the INTEGER alone.
        let single = Dg13 {
            spouse_name: None,
            ..huong()
        }
        .encode();
        assert!(single.windows(5).any(|w| w == hex!("30 03 02 01 0E")));
    }

    #[test]
    fn json_has_exactly_the_citizen_keys() {
        let j = huong().to_json();
        let mut keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = vec![
            "id_number",
            "full_name",
            "date_of_birth",
            "sex",
            "nationality",
            "ethnicity",
            "religion",
            "place_of_origin",
            "place_of_residence",
            "identifying_marks",
            "date_of_issue",
            "date_of_expiry",
            "father_name",
            "mother_name",
            "spouse_name",
            "old_id_number",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
        // Missing fields are null, keys still present; no _raw for a missing date.
        let j = Dg13::default().to_json();
        assert_eq!(j.as_object().unwrap().len(), 16);
        assert!(j.as_object().unwrap().values().all(Value::is_null));
    }

    /// Hand-assembled bytes, fields out of order, PrintableString birth date with
    /// only the year (common for the elderly), "Không thời hạn" expiry, spouse
    /// field holding its number only, no field 15.
    #[test]
    fn elderly_card_from_literal_bytes() {
        let bytes = hex!(
            "6D 4A 30 48 020101 060628D316010008"
            "31 3B"
            "30 09 020104 0C04 4EE1BBAF"                                  // 4: "Nữ"
            "30 0F 020103 130A 30302F30302F31393438"                     // 3: "00/00/1948"
            "30 03 02010E"                                               // 14: no spouse
            "30 18 02010C 0C13 4B68C3B46E67207468E1BB9D692068E1BAA16E"   // 12: "Không thời hạn"
        );
        let d = Dg13::parse(&bytes).unwrap();
        assert_eq!(d.sex.as_deref(), Some("Nữ"));
        assert_eq!(d.date_of_birth.as_deref(), Some("00/00/1948"));
        assert_eq!(d.date_of_expiry.as_deref(), Some("Không thời hạn"));
        assert_eq!(d.spouse_name, None);
        assert_eq!(d.old_id_number, None);
        let j = d.to_json();
        assert_eq!(j["date_of_birth"], Value::Null);
        assert_eq!(j["date_of_birth_raw"], "00/00/1948");
        assert_eq!(j["date_of_expiry"], Value::Null);
        assert_eq!(j["date_of_expiry_raw"], "Không thời hạn");
        assert_eq!(j["spouse_name"], Value::Null);
        assert_eq!(j["old_id_number"], Value::Null);
        assert!(
            j.get("date_of_issue_raw").is_none(),
            "absent date has no _raw"
        );
        // Round trip through the encoder keeps the raw texts.
        assert_eq!(Dg13::parse(&d.encode()).unwrap(), d);
    }

    #[test]
    fn partial_and_invalid_dates_keep_their_text() {
        for (raw, iso) in [
            ("00/00/1950", None),
            ("00/03/1950", None),
            ("31/02/1990", None),
            ("1/3/1990", None),
            ("garbage", None),
            ("29/02/2000", Some("2000-02-29")),
            (" 01/01/1990 ", Some("1990-01-01")),
        ] {
            let d = Dg13 {
                date_of_issue: Some(raw.into()),
                ..Dg13::default()
            };
            let j = d.to_json();
            match iso {
                Some(iso) => {
                    assert_eq!(j["date_of_issue"], iso, "{raw}");
                    assert!(j.get("date_of_issue_raw").is_none(), "{raw}");
                }
                None => {
                    assert_eq!(j["date_of_issue"], Value::Null, "{raw}");
                    assert_eq!(j["date_of_issue_raw"], raw.trim(), "{raw}");
                }
            }
        }
    }

    #[test]
    fn parents_in_one_sequence_and_string_types() {
        // [NGHIA]'s nesting: both names inside one SEQUENCE; PrintableString ID,
        // IA5String religion, BMPString ethnicity.
        let both = tlv::encode(0x30, &[utf8("Lê Văn Tám"), utf8("Phạm Thị Hoa")].concat());
        let bmp: Vec<u8> = "Tày".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let bytes = wrap(&[
            field(13, &both),
            field(1, &tlv::encode(0x13, b"038158000456")),
            field(7, &tlv::encode(0x16, b"Khong")),
            field(6, &tlv::encode(0x1E, &bmp)),
        ]);
        let d = Dg13::parse(&bytes).unwrap();
        assert_eq!(d.father_name.as_deref(), Some("Lê Văn Tám"));
        assert_eq!(d.mother_name.as_deref(), Some("Phạm Thị Hoa"));
        assert_eq!(d.id_number.as_deref(), Some("038158000456"));
        assert_eq!(d.religion.as_deref(), Some("Khong"));
        assert_eq!(d.ethnicity.as_deref(), Some("Tày"));
    }

    #[test]
    fn unknown_field_kept_raw_and_written_back() {
        let raw17 = tlv::encode(0x13, b"ABC");
        let bytes = wrap(&[field(17, &raw17), field(2, &utf8("Đặng Văn Ất"))]);
        let d = Dg13::parse(&bytes).unwrap();
        assert_eq!(d.full_name.as_deref(), Some("Đặng Văn Ất"));
        assert_eq!(d.extra, vec![(17, hex!("13 03 414243").to_vec())]);
        let again = Dg13::parse(&d.encode()).unwrap();
        assert_eq!(again.extra, d.extra);
        assert!(d.to_json().get("17").is_none());
    }

    #[test]
    fn shuffled_fields_parse_by_number() {
        let d = huong();
        let mut fields: Vec<Vec<u8>> = vec![];
        // Re-split the encoder's SET into its field SEQUENCEs, reverse them.
        let bytes = d.encode();
        let outer = tlv::expect(&bytes, 0x6D).unwrap();
        let seq = tlv::expect(outer.value, 0x30).unwrap();
        let set = seq.child(0x31).unwrap();
        for f in set.children() {
            fields.push(tlv::encode(0x30, f.unwrap().value));
        }
        fields.reverse();
        fields.swap(0, 5);
        assert_eq!(Dg13::parse(&wrap(&fields)).unwrap(), d);
    }

    #[test]
    fn malformed_inputs_are_errors_naming_dg13() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "DG13: tag 6D"),
            (hex!("6E 00").to_vec(), "DG13: tag 6D"),
            (hex!("6D 05 30 03 020101").to_vec(), "DG13: SET OF fields"),
            (
                wrap(&[field(3, &hex!("02 01 05"))]),
                "DG13: field 3: no text string",
            ),
            (
                wrap(&[field(2, &utf8("A")), field(2, &utf8("B"))]),
                "DG13: field 2: appears more",
            ),
            (
                wrap(&[tlv::encode(0x30, &hex!("0C 01 41"))]),
                "DG13: field entry 1",
            ),
            (
                wrap(&[field(2, &hex!("0C 02 C3 28"))]),
                "DG13: field 2: text is not UTF-8",
            ),
            (wrap(&[field(4, &hex!("0C 09 41"))]), "DG13: field 4"),
        ];
        for (bytes, want) in cases {
            let e = Dg13::parse(&bytes).unwrap_err().to_string();
            assert!(e.starts_with(want), "{e} should start with {want}");
        }
        let full = huong().encode();
        for i in 0..full.len() {
            let e = Dg13::parse(&full[..i]).unwrap_err().to_string();
            assert!(e.starts_with("DG13: "), "{e}");
        }
    }

    #[test]
    fn lenient_recovers_a_truncated_file() {
        let full = huong().encode();
        // Cut inside field 9: fields 1..8 survive, with a warning about the cut.
        let at = full.windows(3).position(|w| w == hex!("02 01 09")).unwrap() + 5;
        let (d, warnings) = Dg13::parse_lenient(&full[..at]);
        let d = d.unwrap();
        assert_eq!(d.full_name.as_deref(), Some("Nguyễn Thị Thu Hương"));
        assert_eq!(d.place_of_origin, huong().place_of_origin);
        assert_eq!(d.place_of_residence, None);
        assert!(!warnings.is_empty());
        assert!(
            warnings.iter().all(|w| w.starts_with("DG13: ")),
            "{warnings:?}"
        );
        assert!(Dg13::parse(&full[..at]).is_err());
        // A bad field costs only itself.
        let bytes = wrap(&[field(2, &utf8("Hồ Chí Minh")), field(3, &hex!("05 00"))]);
        let (d, warnings) = Dg13::parse_lenient(&bytes);
        assert_eq!(d.unwrap().full_name.as_deref(), Some("Hồ Chí Minh"));
        assert_eq!(
            warnings,
            vec!["DG13: field 3: no text string in the field".to_string()]
        );
        // Nothing to recover.
        let (d, warnings) = Dg13::parse_lenient(&hex!("01 02 03"));
        assert!(d.is_none());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn spouse_and_old_id() {
        let with = Dg13 {
            spouse_name: Some("Võ Thị Sáu".into()),
            old_id_number: Some("123456789".into()),
            ..Dg13::default()
        };
        let j = Dg13::parse(&with.encode()).unwrap().to_json();
        assert_eq!(j, {
            let mut want = Dg13::default().to_json();
            want["spouse_name"] = json!("Võ Thị Sáu");
            want["old_id_number"] = json!("123456789");
            want
        });
    }

    #[test]
    fn deep_nesting_does_not_recurse_forever() {
        let mut v = utf8("X");
        for _ in 0..2000 {
            v = tlv::encode(0x30, &v);
        }
        let d = Dg13::parse_lenient(&wrap(&[field(13, &v)])).0.unwrap();
        assert_eq!(d.father_name, None);
    }

    proptest! {
        #[test]
        fn never_panics_on_random_input(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Dg13::parse(&bytes);
            let _ = Dg13::parse_lenient(&bytes);
        }

        #[test]
        fn never_panics_on_corrupted_dg13(pos in any::<prop::sample::Index>(), byte in any::<u8>(),
                                          cut in any::<prop::sample::Index>()) {
            let mut b = huong().encode();
            let p = pos.index(b.len());
            b[p] = byte;
            let c = cut.index(b.len() + 1);
            b.truncate(c);
            let _ = Dg13::parse(&b);
            if let (Some(d), _) = Dg13::parse_lenient(&b) {
                let _ = d.to_json();
                let _ = d.encode();
            }
        }

        #[test]
        fn any_text_round_trips(name in "\\PC{0,40}", dob in "[0-9/]{0,12}", n in 17u32..100_000) {
            let d = Dg13 {
                full_name: Some(name),
                date_of_birth: Some(dob),
                extra: vec![(n, tlv::encode(0x0C, b"x"))],
                ..Dg13::default()
            };
            prop_assert_eq!(Dg13::parse(&d.encode()).unwrap(), d);
        }
    }
}
