//! The typed fields of a card application, and the procedures and reasons it may
//! name (issue 9, "Bad input": every typed field validated with a message naming
//! it).
//!
//! Every error is a [`FieldError`]: the [`Field`] and a typed [`Problem`], shown in
//! Vietnamese to the citizen and in English to a technician
//! ([`FieldError::message`]); `Display` is `<field key>: <English>` like the other
//! modules' errors.
//!
//! Decisions:
//! - **Names**: letters of Vietnamese script (a–z, đ, the marked vowels), spaces,
//!   and an apostrophe or hyphen inside a word (ethnic-minority names such as
//!   `H'Hen Niê`); no digits; 2 to 100 characters; normalised to NFC and single
//!   spaces. Case is kept (the card prints upper case, the database mixed).
//! - **Dates** are typed `DD/MM/YYYY` (as on the card, `.` or `-` also accepted)
//!   or `YYYY-MM-DD`; never in the future. A date of birth is at most 120 years
//!   back.
//! - **Birth year only.** Many elderly citizens know only their birth year (the
//!   roster allows `YYYY`, DG13 writes `00/00/YYYY`). The date of birth accepts
//!   `YYYY` alone (and `00/00/YYYY`) as a [`BirthDate::Year`], stored as just the
//!   year (`"1948"` in the record, never an invented day). The age rules (14 for
//!   a first card, 16 for the guardian) treat such a citizen as born on
//!   **1 January** of that year: the earliest day the year allows, so nobody is
//!   refused as too young because a day is unknown (the offices write 01/01 on
//!   such files too). The ID number check needs only the year, so it works the
//!   same.
//! - **The 12-digit personal ID** is checked by [`IdNumber::parse`] (the rules of
//!   `card::access_key`, not repeated here), then against the typed date of
//!   birth (the ID encodes the birth year, Decree 137/2015 Art. 7) and sex
//!   (even/odd century digit). An unknown province code stays a warning.
//! - **The old CMND** (chứng minh nhân dân) is 9 digits.
//! - **Phone numbers** go through [`Phone::parse`] (queue rules: mobile, `+84`).
//! - **Procedures** (Law on Identification 2023, Art. 19, 23, 24): first issue
//!   (*cấp mới*) for a citizen aged 14 or over never issued a card (the
//!   campaign's target; a holder of a 9-digit CMND only is also a first issue
//!   of the chip card); renewal (*cấp đổi*) at a milestone age / expiry, damage
//!   or changed information; re-issue (*cấp lại*) after a loss. Each [`Reason`]
//!   belongs to one [`Procedure`]; renewal and re-issue need the 12-digit
//!   number of the card being replaced.

use crate::card::access_key::IdNumber;
use crate::config::Language;
use crate::queue::phone::{Phone, PhoneError};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use unicode_normalization::UnicodeNormalization;

/// The oldest plausible age: a date of birth further back is a typing slip.
pub const MAX_AGE: i32 = 120;
/// Citizens from this age must hold a card (the campaign applies for them).
pub const CARD_AGE: i32 = 14;
/// The longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A field of the application form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Họ, chữ đệm và tên.
    FullName,
    /// Ngày, tháng, năm sinh.
    DateOfBirth,
    /// Giới tính.
    Sex,
    /// Số định danh cá nhân (12 digits).
    IdNumber,
    /// Số CMND cũ (9 digits).
    OldIdNumber,
    /// Số điện thoại.
    Phone,
    /// Nơi cư trú.
    PlaceOfResidence,
    /// Thủ tục.
    Procedure,
    /// Lý do.
    Reason,
    /// Cơ quan tiếp nhận.
    Office,
    /// Lịch hẹn.
    Appointment,
    /// Lời cam đoan.
    Declaration,
    /// Người giám hộ.
    Guardian,
}

impl Field {
    /// The key in records and JSON errors.
    pub fn key(self) -> &'static str {
        match self {
            Field::FullName => "full_name",
            Field::DateOfBirth => "date_of_birth",
            Field::Sex => "sex",
            Field::IdNumber => "id_number",
            Field::OldIdNumber => "old_id_number",
            Field::Phone => "phone",
            Field::PlaceOfResidence => "place_of_residence",
            Field::Procedure => "procedure",
            Field::Reason => "reason",
            Field::Office => "office",
            Field::Appointment => "appointment",
            Field::Declaration => "declaration",
            Field::Guardian => "guardian",
        }
    }

    /// The label on the form, in `lang`.
    pub fn label(self, lang: Language) -> &'static str {
        let (vi, en) = match self {
            Field::FullName => ("Họ, chữ đệm và tên", "Full name"),
            Field::DateOfBirth => ("Ngày, tháng, năm sinh", "Date of birth"),
            Field::Sex => ("Giới tính", "Sex"),
            Field::IdNumber => ("Số định danh cá nhân", "Personal ID number"),
            Field::OldIdNumber => ("Số CMND cũ", "Old ID card (CMND) number"),
            Field::Phone => ("Số điện thoại", "Phone number"),
            Field::PlaceOfResidence => ("Nơi cư trú", "Place of residence"),
            Field::Procedure => ("Thủ tục", "Procedure"),
            Field::Reason => ("Lý do", "Reason"),
            Field::Office => ("Cơ quan tiếp nhận", "Receiving office"),
            Field::Appointment => ("Lịch hẹn", "Appointment"),
            Field::Declaration => ("Lời cam đoan", "Declaration"),
            Field::Guardian => ("Người giám hộ", "Guardian"),
        };
        match lang {
            Language::Vi => vi,
            Language::En => en,
        }
    }
}

/// What is wrong with a field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Nothing typed.
    Empty,
    /// Fewer than `min` letters.
    TooShort { min: usize },
    /// More than `max` characters.
    TooLong { max: usize, found: usize },
    /// A digit where none may be (names); 1-based character position.
    Digit { position: usize },
    /// A character the field does not allow; 1-based position.
    Character { position: usize, found: char },
    /// A non-digit in a number field; 1-based position.
    NotDigit { position: usize },
    /// A number field with the wrong count of digits.
    Digits { expected: usize, found: usize },
    /// Not in a date form the field accepts.
    NotADate,
    /// Not a date of birth: neither a date nor a year alone.
    NotABirthDate,
    /// A date form, but no such day (31/02).
    NoSuchDay,
    /// A date after today.
    InFuture,
    /// Younger than the procedure allows.
    TooYoung { min: i32, age: i32 },
    /// Older than anyone is: a typing slip in the year.
    TooOld { max: i32, age: i32 },
    /// The ID number encodes another birth year.
    IdBirthYear { id_year: i32 },
    /// The ID number's century digit encodes the other sex.
    IdSex,
    /// Not a Vietnamese mobile number.
    Phone(PhoneError),
    /// Needed for the procedure chosen.
    Required,
    /// The reason does not belong to the procedure chosen.
    ReasonNotForProcedure { procedure: Procedure },
    /// Not one of the values offered.
    Unknown { found: String },
    /// The declaration was not accepted.
    NotAccepted,
    /// A choice (procedure, reason, office, slot) was not made.
    NotChosen,
}

impl Problem {
    fn text(&self, lang: Language) -> String {
        let vi = lang == Language::Vi;
        match self {
            Problem::Empty => if vi { "chưa nhập" } else { "empty" }.into(),
            Problem::TooShort { min } => {
                if vi {
                    format!("quá ngắn (ít nhất {min} chữ cái)")
                } else {
                    format!("too short (at least {min} letters)")
                }
            }
            Problem::TooLong { max, found } => {
                if vi {
                    format!("quá dài ({found} ký tự, tối đa {max})")
                } else {
                    format!("too long ({found} characters, at most {max})")
                }
            }
            Problem::Digit { position } => {
                if vi {
                    format!("không được có chữ số (ký tự thứ {position})")
                } else {
                    format!("must not contain digits (character {position})")
                }
            }
            Problem::Character { position, found } => {
                if vi {
                    format!("ký tự thứ {position} «{found}» không được dùng")
                } else {
                    format!("character {position} {found:?} is not allowed")
                }
            }
            Problem::NotDigit { position } => {
                if vi {
                    format!("ký tự thứ {position} không phải chữ số")
                } else {
                    format!("character {position} is not a digit")
                }
            }
            Problem::Digits { expected, found } => {
                if vi {
                    format!("phải có {expected} chữ số, đã nhập {found}")
                } else {
                    format!("must have {expected} digits, found {found}")
                }
            }
            Problem::NotADate => if vi {
                "không đúng dạng ngày (NN/TT/NNNN)"
            } else {
                "not a date (DD/MM/YYYY or YYYY-MM-DD)"
            }
            .into(),
            Problem::NotABirthDate => if vi {
                "không đúng dạng (NN/TT/NNNN, hoặc chỉ năm sinh NNNN khi không rõ ngày)"
            } else {
                "not a date of birth (DD/MM/YYYY, YYYY-MM-DD, or the year YYYY alone)"
            }
            .into(),
            Problem::NoSuchDay => if vi {
                "không có ngày này trong lịch"
            } else {
                "no such day in the calendar"
            }
            .into(),
            Problem::InFuture => if vi {
                "là ngày trong tương lai"
            } else {
                "is in the future"
            }
            .into(),
            Problem::TooYoung { min, age } => {
                if vi {
                    format!("{age} tuổi: thủ tục này dành cho người từ đủ {min} tuổi")
                } else {
                    format!("{age} years old: this procedure is for ages {min} and over")
                }
            }
            Problem::TooOld { max, age } => {
                if vi {
                    format!("{age} tuổi: kiểm tra lại năm sinh (tối đa {max})")
                } else {
                    format!("{age} years old: check the year (at most {max})")
                }
            }
            Problem::IdBirthYear { id_year } => {
                if vi {
                    format!("năm sinh trong số định danh ({id_year}) khác năm sinh đã nhập")
                } else {
                    format!("the birth year the ID number encodes ({id_year}) differs from the date of birth")
                }
            }
            Problem::IdSex => if vi {
                "chữ số thứ 4 của số định danh (giới tính) khác giới tính đã chọn"
            } else {
                "the ID number's 4th digit (sex and century) differs from the sex chosen"
            }
            .into(),
            Problem::Phone(e) => match (e, vi) {
                (PhoneError::Empty { .. }, true) => "chưa nhập".into(),
                (PhoneError::Empty { .. }, false) => "empty".into(),
                (PhoneError::BadCharacter { found, .. }, true) => {
                    format!("ký tự «{found}» không dùng trong số điện thoại")
                }
                (PhoneError::BadCharacter { found, .. }, false) => {
                    format!("character {found:?} is not used in phone numbers")
                }
                (PhoneError::WrongLength { digits, .. }, true) => {
                    format!("{digits} chữ số; số di động có 10 chữ số (0 và 9 số)")
                }
                (PhoneError::WrongLength { digits, .. }, false) => {
                    format!("{digits} digits; a mobile number has 10 (0 and 9 more)")
                }
                (PhoneError::NotMobile { prefix, .. }, true) => {
                    format!("đầu số {prefix} không phải số di động (03, 05, 07, 08, 09)")
                }
                (PhoneError::NotMobile { prefix, .. }, false) => {
                    format!("prefix {prefix} is not a mobile network (03, 05, 07, 08, 09)")
                }
            },
            Problem::Required => if vi {
                "bắt buộc với thủ tục này"
            } else {
                "required for this procedure"
            }
            .into(),
            Problem::ReasonNotForProcedure { procedure } => {
                if vi {
                    format!("không phải lý do của thủ tục {}", procedure.label(lang))
                } else {
                    format!("is not a reason for {}", procedure.label(lang))
                }
            }
            Problem::Unknown { found } => {
                if vi {
                    format!("«{found}» không có trong danh sách")
                } else {
                    format!("{found:?} is not one of the choices")
                }
            }
            Problem::NotChosen => if vi { "chưa chọn" } else { "not chosen" }.into(),
            Problem::NotAccepted => if vi {
                "công dân chưa đánh dấu cam đoan"
            } else {
                "the citizen has not ticked the declaration"
            }
            .into(),
        }
    }
}

/// A field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", .field.key(), .problem.text(Language::En))]
pub struct FieldError {
    /// The field at fault.
    pub field: Field,
    /// What is wrong.
    pub problem: Problem,
}

impl FieldError {
    /// An error about `field`.
    pub fn new(field: Field, problem: Problem) -> FieldError {
        FieldError { field, problem }
    }

    /// `<label>: <problem>` in `lang`, for the screen.
    pub fn message(&self, lang: Language) -> String {
        format!("{}: {}", self.field.label(lang), self.problem.text(lang))
    }
}

fn err<T>(field: Field, problem: Problem) -> Result<T, FieldError> {
    Err(FieldError::new(field, problem))
}

pub use crate::queue::record::age_on;

/// A person's name (the citizen's, a guardian's) as typed: NFC, single spaces.
pub fn name(field: Field, input: &str) -> Result<String, FieldError> {
    let nfc: String = input.nfc().collect();
    let text = nfc.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return err(field, Problem::Empty);
    }
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let position = i + 1;
        if c.is_ascii_digit() || c.is_numeric() {
            return err(field, Problem::Digit { position });
        }
        let inner_mark = matches!(c, '\'' | '’' | '-')
            && i > 0
            && chars
                .get(i - 1)
                .is_some_and(|&p| super::vietnamese_input::is_vietnamese_letter(p))
            && chars
                .get(i + 1)
                .is_some_and(|&n| super::vietnamese_input::is_vietnamese_letter(n));
        if !(c == ' ' || inner_mark || super::vietnamese_input::is_vietnamese_letter(c)) {
            return err(field, Problem::Character { position, found: c });
        }
    }
    if chars.len() > MAX_NAME_CHARS {
        return err(
            field,
            Problem::TooLong {
                max: MAX_NAME_CHARS,
                found: chars.len(),
            },
        );
    }
    if chars.iter().filter(|c| c.is_alphabetic()).count() < 2 {
        return err(field, Problem::TooShort { min: 2 });
    }
    Ok(text)
}

/// The citizen's full name.
pub fn full_name(input: &str) -> Result<String, FieldError> {
    name(Field::FullName, input)
}

fn number(part: &str, min: usize, max: usize) -> Option<u32> {
    (min..=max)
        .contains(&part.len())
        .then_some(part)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|p| p.parse().ok())
}

/// A typed date, `DD/MM/YYYY` (or with `.`/`-`) or `YYYY-MM-DD`, not after `today`.
pub fn date(field: Field, input: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return err(field, Problem::Empty);
    }
    let parts: Vec<&str> = s.split(['/', '-', '.']).map(str::trim).collect();
    let [a, b, c] = parts.as_slice() else {
        return err(field, Problem::NotADate);
    };
    let ymd = if a.len() == 4 {
        (number(a, 4, 4), number(b, 1, 2), number(c, 1, 2))
    } else {
        (number(c, 4, 4), number(b, 1, 2), number(a, 1, 2))
    };
    let (Some(y), Some(m), Some(d)) = ymd else {
        return err(field, Problem::NotADate);
    };
    let y = i32::try_from(y).unwrap_or(0);
    let Some(day) = NaiveDate::from_ymd_opt(y, m, d) else {
        return err(field, Problem::NoSuchDay);
    };
    if day > today {
        return err(field, Problem::InFuture);
    }
    Ok(day)
}

/// A date of birth: a full date, or only the year (module doc, "Birth year only").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BirthDate {
    /// The day is known.
    Day(NaiveDate),
    /// Only the year is known.
    Year(i32),
}

impl BirthDate {
    /// The birth year (what the ID number encodes).
    pub fn year(self) -> i32 {
        match self {
            BirthDate::Day(d) => d.year(),
            BirthDate::Year(y) => y,
        }
    }

    /// The day the age rules count from: the date, or 1 January of the year.
    pub fn reckoned(self) -> NaiveDate {
        match self {
            BirthDate::Day(d) => d,
            BirthDate::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(NaiveDate::MIN),
        }
    }

    /// Age in full years on `day` (year only: counted from 1 January).
    pub fn age_on(self, day: NaiveDate) -> i32 {
        age_on(self.reckoned(), day)
    }

    /// As the citizen reads it: `DD/MM/YYYY`, or `YYYY`.
    pub fn display(self) -> String {
        match self {
            BirthDate::Day(d) => d.format("%d/%m/%Y").to_string(),
            BirthDate::Year(y) => format!("{y:04}"),
        }
    }

    /// As stored: `YYYY-MM-DD`, or `YYYY`.
    pub fn canonical(self) -> String {
        match self {
            BirthDate::Day(d) => d.format("%Y-%m-%d").to_string(),
            BirthDate::Year(y) => format!("{y:04}"),
        }
    }
}

impl From<NaiveDate> for BirthDate {
    fn from(d: NaiveDate) -> Self {
        BirthDate::Day(d)
    }
}

impl Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for BirthDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if let Some(y) = year_only(&s) {
            return Ok(BirthDate::Year(y));
        }
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(BirthDate::Day)
            .map_err(|e| serde::de::Error::custom(format!("date_of_birth {s:?}: {e}")))
    }
}

/// `YYYY` alone, or DG13's `00/00/YYYY` (day and month unknown).
fn year_only(s: &str) -> Option<i32> {
    let s = s.trim();
    let y = match s.split(['/', '-', '.']).map(str::trim).collect::<Vec<_>>()[..] {
        [y] => y,
        ["00" | "0", "00" | "0", y] => y,
        _ => return None,
    };
    number(y, 4, 4).and_then(|y| i32::try_from(y).ok())
}

/// The date of birth: a date or a year alone (module doc), not in the future,
/// at most [`MAX_AGE`] years back.
pub fn date_of_birth(input: &str, today: NaiveDate) -> Result<BirthDate, FieldError> {
    let field = Field::DateOfBirth;
    let dob = match year_only(input) {
        Some(y) if y > today.year() => return err(field, Problem::InFuture),
        Some(y) => BirthDate::Year(y),
        None if input.trim().chars().all(|c| c.is_ascii_digit()) && !input.trim().is_empty() => {
            return err(field, Problem::NotABirthDate)
        }
        None => match date(field, input, today) {
            Ok(d) => BirthDate::Day(d),
            Err(FieldError {
                problem: Problem::NotADate,
                ..
            }) => return err(field, Problem::NotABirthDate),
            Err(e) => return Err(e),
        },
    };
    let age = dob.age_on(today);
    if age > MAX_AGE {
        return err(field, Problem::TooOld { max: MAX_AGE, age });
    }
    Ok(dob)
}

/// Sex as on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// Nam.
    #[serde(rename = "Nam")]
    Male,
    /// Nữ.
    #[serde(rename = "Nữ")]
    Female,
}

impl Sex {
    /// The card's word: `Nam` or `Nữ` (as `read --json` prints `citizen.sex`).
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }
}

impl FromStr for Sex {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "nam" | "m" | "male" => Ok(Sex::Male),
            "nữ" | "nu" | "f" | "female" => Ok(Sex::Female),
            other => err(
                Field::Sex,
                Problem::Unknown {
                    found: other.into(),
                },
            ),
        }
    }
}

/// The 12-digit personal ID number, checked against the birth year and sex
/// when they are known (the ID encodes only the year: a year-only date of
/// birth is checked the same way).
pub fn id_number(
    input: &str,
    birth_year: Option<i32>,
    sex: Option<Sex>,
) -> Result<IdNumber, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return err(Field::IdNumber, Problem::Empty);
    }
    let id = IdNumber::parse(s).map_err(|_| {
        FieldError::new(
            Field::IdNumber,
            match s.chars().position(|c| !c.is_ascii_digit()) {
                Some(i) => Problem::NotDigit { position: i + 1 },
                None => Problem::Digits {
                    expected: 12,
                    found: s.len(),
                },
            },
        )
    })?;
    if let Some(year) = birth_year {
        if id.birth_year() != year {
            return err(
                Field::IdNumber,
                Problem::IdBirthYear {
                    id_year: id.birth_year(),
                },
            );
        }
    }
    if let Some(sex) = sex {
        if id.is_female() != (sex == Sex::Female) {
            return err(Field::IdNumber, Problem::IdSex);
        }
    }
    Ok(id)
}

/// The old 9-digit CMND number.
pub fn old_id_number(input: &str) -> Result<String, FieldError> {
    let s: String = input.split_whitespace().collect();
    if s.is_empty() {
        return err(Field::OldIdNumber, Problem::Empty);
    }
    if let Some(i) = s.chars().position(|c| !c.is_ascii_digit()) {
        return err(Field::OldIdNumber, Problem::NotDigit { position: i + 1 });
    }
    if s.len() != 9 {
        return err(
            Field::OldIdNumber,
            Problem::Digits {
                expected: 9,
                found: s.len(),
            },
        );
    }
    Ok(s)
}

/// A mobile phone number, normalised to `+84…` by the queue's rules.
pub fn phone(input: &str) -> Result<Phone, FieldError> {
    Phone::parse(input, Field::Phone.key())
        .map_err(|e| FieldError::new(Field::Phone, Problem::Phone(e)))
}

/// The procedure the citizen applies for (step 4 of the online application).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// Cấp mới: the first card.
    FirstIssue,
    /// Cấp đổi: a new card replacing one still held.
    Renewal,
    /// Cấp lại: a new card replacing a lost one.
    Reissue,
}

impl Procedure {
    /// Every procedure, in the order the screen offers them.
    pub const ALL: [Procedure; 3] = [
        Procedure::FirstIssue,
        Procedure::Renewal,
        Procedure::Reissue,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Procedure::FirstIssue => "first_issue",
            Procedure::Renewal => "renewal",
            Procedure::Reissue => "reissue",
        }
    }

    /// The button label.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Procedure::FirstIssue, Language::Vi) => "Cấp mới",
            (Procedure::Renewal, Language::Vi) => "Cấp đổi",
            (Procedure::Reissue, Language::Vi) => "Cấp lại",
            (Procedure::FirstIssue, Language::En) => "First issue",
            (Procedure::Renewal, Language::En) => "Renewal",
            (Procedure::Reissue, Language::En) => "Re-issue",
        }
    }

    /// The reasons offered for this procedure (step 6).
    pub fn reasons(self) -> Vec<Reason> {
        Reason::ALL
            .iter()
            .copied()
            .filter(|r| r.procedure() == self)
            .collect()
    }
}

/// Why the citizen applies (step 6); each belongs to one procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Aged 14 or over, never issued an identity card.
    NeverIssued,
    /// Holds only the old 9-digit CMND.
    FromOldCmnd,
    /// The card expires: the holder reaches 14, 25, 40 or 60 (or it has expired).
    AgeMilestone,
    /// The card is damaged and cannot be used.
    Damaged,
    /// Name, date of birth, sex or other printed information changed or was wrong.
    InformationChange,
    /// The card was lost.
    Lost,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 6] = [
        Reason::NeverIssued,
        Reason::FromOldCmnd,
        Reason::AgeMilestone,
        Reason::Damaged,
        Reason::InformationChange,
        Reason::Lost,
    ];

    /// The procedure this reason belongs to.
    pub fn procedure(self) -> Procedure {
        match self {
            Reason::NeverIssued | Reason::FromOldCmnd => Procedure::FirstIssue,
            Reason::AgeMilestone | Reason::Damaged | Reason::InformationChange => {
                Procedure::Renewal
            }
            Reason::Lost => Procedure::Reissue,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NeverIssued => "never_issued",
            Reason::FromOldCmnd => "from_old_cmnd",
            Reason::AgeMilestone => "age_milestone",
            Reason::Damaged => "damaged",
            Reason::InformationChange => "information_change",
            Reason::Lost => "lost",
        }
    }

    /// The choice's label.
    pub fn label(self, lang: Language) -> &'static str {
        let (vi, en) = match self {
            Reason::NeverIssued => ("Chưa được cấp thẻ", "Never issued a card"),
            Reason::FromOldCmnd => ("Đang dùng CMND 9 số", "Holds the old 9-digit CMND"),
            Reason::AgeMilestone => (
                "Đến tuổi đổi thẻ / thẻ hết hạn",
                "Renewal age reached / card expiring",
            ),
            Reason::Damaged => ("Thẻ bị hư hỏng", "Card damaged"),
            Reason::InformationChange => (
                "Thay đổi, cải chính thông tin",
                "Information changed or corrected",
            ),
            Reason::Lost => ("Bị mất thẻ", "Card lost"),
        };
        match lang {
            Language::Vi => vi,
            Language::En => en,
        }
    }
}

/// What the procedure rules need to know about the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcedureFacts {
    /// Age in full years on the day of application.
    pub age: i32,
    /// The 12-digit number was given.
    pub has_id_number: bool,
    /// The old CMND number was given.
    pub has_old_id_number: bool,
}

/// The rules that tie a reason to a procedure and the procedure to the applicant.
pub fn check_procedure(
    procedure: Procedure,
    reason: Reason,
    facts: ProcedureFacts,
) -> Result<(), FieldError> {
    if reason.procedure() != procedure {
        return err(Field::Reason, Problem::ReasonNotForProcedure { procedure });
    }
    match procedure {
        Procedure::FirstIssue if facts.age < CARD_AGE => err(
            Field::DateOfBirth,
            Problem::TooYoung {
                min: CARD_AGE,
                age: facts.age,
            },
        ),
        Procedure::FirstIssue if reason == Reason::FromOldCmnd && !facts.has_old_id_number => {
            err(Field::OldIdNumber, Problem::Required)
        }
        Procedure::Renewal | Procedure::Reissue if !facts.has_id_number => {
            err(Field::IdNumber, Problem::Required)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 10).unwrap()
    }

    fn problem<T: std::fmt::Debug>(r: Result<T, FieldError>) -> (Field, Problem) {
        let e = r.unwrap_err();
        (e.field, e.problem)
    }

    #[test]
    fn names_with_diacritics_pass_and_come_back_tidy() {
        for (typed, want) in [
            ("Nguyễn Thị Thu Hương", "Nguyễn Thị Thu Hương"),
            ("  trần   đức  lương ", "trần đức lương"),
            ("H'Hen Niê", "H'Hen Niê"),
            ("Sùng A Páo", "Sùng A Páo"),
            ("PHẠM VĂN ĐỒNG", "PHẠM VĂN ĐỒNG"),
            ("Nguye\u{0302}\u{0303}n Văn An", "Nguyễn Văn An"),
        ] {
            assert_eq!(full_name(typed).unwrap(), want, "{typed}");
        }
    }

    #[test]
    fn bad_names_say_what_and_where_in_both_languages() {
        let e = full_name("Nguyễn Văn 2").unwrap_err();
        assert_eq!(e.problem, Problem::Digit { position: 12 });
        assert_eq!(
            e.message(Language::Vi),
            "Họ, chữ đệm và tên: không được có chữ số (ký tự thứ 12)"
        );
        assert_eq!(
            e.message(Language::En),
            "Full name: must not contain digits (character 12)"
        );
        assert_eq!(
            e.to_string(),
            "full_name: must not contain digits (character 12)"
        );
        assert_eq!(problem(full_name("   ")).1, Problem::Empty);
        assert_eq!(problem(full_name("A")).1, Problem::TooShort { min: 2 });
        assert_eq!(
            problem(full_name("Lê Văn @n")).1,
            Problem::Character {
                position: 8,
                found: '@'
            }
        );
        assert_eq!(
            problem(full_name("'Lan")).1,
            Problem::Character {
                position: 1,
                found: '\''
            }
        );
        assert!(matches!(
            problem(full_name(&"Lê ".repeat(40))).1,
            Problem::TooLong { max: 100, .. }
        ));
        assert!(matches!(
            problem(name(Field::Guardian, "Mẹ 1")),
            (Field::Guardian, Problem::Digit { .. })
        ));
    }

    #[test]
    fn dates_in_both_typed_forms_and_their_errors() {
        let d = |y, m, day| BirthDate::Day(NaiveDate::from_ymd_opt(y, m, day).unwrap());
        assert_eq!(
            date_of_birth("17/05/1990", today()).unwrap(),
            d(1990, 5, 17)
        );
        assert_eq!(
            date_of_birth("1990-05-17", today()).unwrap(),
            d(1990, 5, 17)
        );
        assert_eq!(date_of_birth("7.5.1990", today()).unwrap(), d(1990, 5, 7));
        assert_eq!(
            problem(date_of_birth("31/02/1990", today())).1,
            Problem::NoSuchDay
        );
        assert_eq!(
            problem(date_of_birth("17/05/90", today())).1,
            Problem::NotABirthDate
        );
        assert_eq!(
            problem(date_of_birth("11/06/2025", today())).1,
            Problem::InFuture
        );
        assert_eq!(
            problem(date_of_birth("01/01/1900", today())).1,
            Problem::TooOld { max: 120, age: 125 }
        );
        let e = date_of_birth("11/06/2025", today()).unwrap_err();
        assert_eq!(
            e.message(Language::Vi),
            "Ngày, tháng, năm sinh: là ngày trong tương lai"
        );
    }

    #[test]
    fn a_birth_year_alone_is_a_date_of_birth_counted_from_the_first_of_january() {
        // today() is 10/06/2025.
        for typed in ["1948", " 1948 ", "00/00/1948", "0/0/1948"] {
            assert_eq!(
                date_of_birth(typed, today()).unwrap(),
                BirthDate::Year(1948),
                "{typed}"
            );
        }
        let y = date_of_birth("2011", today()).unwrap();
        assert_eq!((y.year(), y.age_on(today())), (2011, 14));
        assert_eq!(y.display(), "2011");
        // Born "2011": 14 from 01/01/2025, so a first card is allowed today…
        let facts = ProcedureFacts {
            age: y.age_on(today()),
            has_id_number: false,
            has_old_id_number: false,
        };
        check_procedure(Procedure::FirstIssue, Reason::NeverIssued, facts).unwrap();
        // …and "2012" is 13 all this year.
        let y12 = date_of_birth("2012", today()).unwrap();
        assert_eq!(y12.age_on(today()), 13);
        assert_eq!(
            y12.age_on(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
            14,
            "14 on the first day of the year they turn 14"
        );
        // Stored as just the year; full dates as before.
        assert_eq!(serde_json::to_string(&y).unwrap(), "\"2011\"");
        assert_eq!(
            serde_json::from_str::<BirthDate>("\"2011\"").unwrap(),
            BirthDate::Year(2011)
        );
        let day = date_of_birth("17/05/1990", today()).unwrap();
        assert_eq!(serde_json::to_string(&day).unwrap(), "\"1990-05-17\"");
        assert_eq!(
            serde_json::from_str::<BirthDate>("\"1990-05-17\"").unwrap(),
            day
        );
        // The ID number's year and century digit are checked against the year alone.
        let born = date_of_birth("1948", today()).unwrap();
        id_number("001048012345", Some(born.year()), Some(Sex::Male)).unwrap();
        assert_eq!(
            problem(id_number("001049012345", Some(born.year()), None)).1,
            Problem::IdBirthYear { id_year: 1949 }
        );
        // Century digit 2 = male born 2000–2099: "2048" is not 1948.
        assert_eq!(
            problem(id_number("001248012345", Some(born.year()), None)).1,
            Problem::IdBirthYear { id_year: 2048 }
        );
        // Bad years name the field, in Vietnamese.
        let e = date_of_birth("2026", today()).unwrap_err();
        assert_eq!(e.problem, Problem::InFuture);
        assert_eq!(
            e.message(Language::Vi),
            "Ngày, tháng, năm sinh: là ngày trong tương lai"
        );
        assert_eq!(
            problem(date_of_birth("1890", today())).1,
            Problem::TooOld { max: 120, age: 135 }
        );
        for bad in ["194", "19480", "48", "19x8", "00/05/1948"] {
            let e = date_of_birth(bad, today()).unwrap_err();
            assert_eq!(e.field, Field::DateOfBirth, "{bad}");
            assert!(
                e.message(Language::Vi)
                    .starts_with("Ngày, tháng, năm sinh: "),
                "{bad}: {}",
                e.message(Language::Vi)
            );
        }
        assert_eq!(
            date_of_birth("194", today()).unwrap_err().message(Language::Vi),
            "Ngày, tháng, năm sinh: không đúng dạng (NN/TT/NNNN, hoặc chỉ năm sinh NNNN khi không rõ ngày)"
        );
    }

    #[test]
    fn id_number_uses_the_card_rules_and_checks_birth_year_and_sex() {
        let dob = NaiveDate::from_ymd_opt(1990, 5, 17).unwrap();
        // 001 Hà Nội, 1 = female 20th century, 90 = 1990.
        let id = id_number("001190012345", Some(dob.year()), Some(Sex::Female)).unwrap();
        assert_eq!(id.as_str(), "001190012345");
        assert_eq!(
            problem(id_number("00119001234", None, None)).1,
            Problem::Digits {
                expected: 12,
                found: 11
            }
        );
        assert_eq!(
            problem(id_number("0011O0012345", None, None)).1,
            Problem::NotDigit { position: 5 }
        );
        assert_eq!(
            problem(id_number("001191012345", Some(dob.year()), None)).1,
            Problem::IdBirthYear { id_year: 1991 }
        );
        // Century digit 3 = female born 2000–2099: a 1990 birth does not fit.
        assert_eq!(
            problem(id_number("001390012345", Some(dob.year()), None)).1,
            Problem::IdBirthYear { id_year: 2090 }
        );
        assert_eq!(
            problem(id_number(
                "001090012345",
                Some(dob.year()),
                Some(Sex::Female)
            ))
            .1,
            Problem::IdSex
        );
        // An unknown province is not an error (born abroad, new codes).
        assert!(id_number("999190012345", Some(dob.year()), Some(Sex::Female)).is_ok());
    }

    #[test]
    fn old_cmnd_and_phone() {
        assert_eq!(old_id_number("012 345 678").unwrap(), "012345678");
        assert_eq!(
            problem(old_id_number("001190012345")).1,
            Problem::Digits {
                expected: 9,
                found: 12
            }
        );
        assert_eq!(
            problem(old_id_number("01234567x")).1,
            Problem::NotDigit { position: 9 }
        );
        assert_eq!(phone("0912 345 678").unwrap().as_str(), "+84912345678");
        let e = phone("0241234567").unwrap_err();
        assert_eq!(e.field, Field::Phone);
        assert_eq!(
            e.message(Language::Vi),
            "Số điện thoại: đầu số 02 không phải số di động (03, 05, 07, 08, 09)"
        );
    }

    #[test]
    fn each_reason_belongs_to_one_procedure_and_the_rules_hold() {
        assert_eq!(
            Procedure::FirstIssue.reasons(),
            vec![Reason::NeverIssued, Reason::FromOldCmnd]
        );
        assert_eq!(
            Procedure::Renewal.reasons(),
            vec![
                Reason::AgeMilestone,
                Reason::Damaged,
                Reason::InformationChange
            ]
        );
        assert_eq!(Procedure::Reissue.reasons(), vec![Reason::Lost]);
        let facts = ProcedureFacts {
            age: 30,
            has_id_number: true,
            has_old_id_number: false,
        };
        check_procedure(Procedure::Renewal, Reason::Damaged, facts).unwrap();
        check_procedure(Procedure::Reissue, Reason::Lost, facts).unwrap();
        assert_eq!(
            problem(check_procedure(Procedure::Renewal, Reason::Lost, facts)),
            (
                Field::Reason,
                Problem::ReasonNotForProcedure {
                    procedure: Procedure::Renewal
                }
            )
        );
        let young = ProcedureFacts { age: 13, ..facts };
        assert_eq!(
            problem(check_procedure(
                Procedure::FirstIssue,
                Reason::NeverIssued,
                young
            )),
            (Field::DateOfBirth, Problem::TooYoung { min: 14, age: 13 })
        );
        check_procedure(
            Procedure::FirstIssue,
            Reason::NeverIssued,
            ProcedureFacts { age: 14, ..facts },
        )
        .unwrap();
        assert_eq!(
            problem(check_procedure(
                Procedure::FirstIssue,
                Reason::FromOldCmnd,
                facts
            ))
            .0,
            Field::OldIdNumber
        );
        let no_id = ProcedureFacts {
            has_id_number: false,
            ..facts
        };
        let e = check_procedure(Procedure::Reissue, Reason::Lost, no_id).unwrap_err();
        assert_eq!(
            e.message(Language::Vi),
            "Số định danh cá nhân: bắt buộc với thủ tục này"
        );
        assert_eq!(
            serde_json::to_string(&Reason::FromOldCmnd).unwrap(),
            "\"from_old_cmnd\""
        );
        assert_eq!("Nữ".parse::<Sex>().unwrap(), Sex::Female);
    }
}
