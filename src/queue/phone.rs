//! Vietnamese mobile numbers, normalised to `+84` and nine digits.
//!
//! Why here: the activation record keeps the number the result SMS goes to, and the
//! "same number on another record today" warning compares numbers, so every
//! spelling an officer may type (`0912 345 678`, `+84 912.345.678`, `84912345678`)
//! must become one form. Mobile numbers are 10 digits nationally (`0` + 9) since the
//! 2018 re-numbering, with the prefixes 03, 05, 07, 08 and 09; landlines (02x) are
//! refused because an SMS cannot reach them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What is wrong with a typed phone number; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing but separators was typed.
    #[error("{field}: empty phone number")]
    Empty { field: String },
    /// A character other than a digit, a leading `+`, a space or a dot.
    #[error(
        "{field}: unexpected character {found:?} (digits, a leading +84, spaces and dots only)"
    )]
    BadCharacter { field: String, found: char },
    /// Not 10 digits nationally.
    #[error(
        "{field}: {digits} digits; a Vietnamese mobile number has 10 (0 and 9 more) or +84 and 9"
    )]
    WrongLength { field: String, digits: usize },
    /// Not a mobile prefix (03, 05, 07, 08, 09).
    #[error("{field}: prefix {prefix} is not a mobile network (03, 05, 07, 08, 09)")]
    NotMobile { field: String, prefix: String },
}

/// A normalised Vietnamese mobile number, always `+84` followed by nine digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(pub(super) String);

impl Phone {
    /// Parse what an officer typed; `field` names the form field in errors.
    pub fn parse(input: &str, field: &str) -> Result<Phone, PhoneError> {
        let f = || field.to_string();
        let mut digits = String::with_capacity(input.len().min(16));
        let mut plus = false;
        for (i, c) in input.trim().chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' => {}
                '+' if i == 0 => plus = true,
                other => {
                    return Err(PhoneError::BadCharacter {
                        field: f(),
                        found: other,
                    })
                }
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty { field: f() });
        }
        let national = if plus || (digits.starts_with("84") && digits.len() == 11) {
            match digits.strip_prefix("84") {
                // "+84 0912…": the national 0 kept after the country code, a common slip.
                Some(rest) => format!("0{}", rest.strip_prefix('0').unwrap_or(rest)),
                None => {
                    return Err(PhoneError::BadCharacter {
                        field: f(),
                        found: '+',
                    })
                }
            }
        } else {
            digits
        };
        if national.len() != 10 || !national.starts_with('0') {
            return Err(PhoneError::WrongLength {
                field: f(),
                digits: national.len(),
            });
        }
        let prefix = national.get(..2).unwrap_or_default();
        if !matches!(prefix, "03" | "05" | "07" | "08" | "09") {
            return Err(PhoneError::NotMobile {
                field: f(),
                prefix: prefix.to_string(),
            });
        }
        Ok(Phone(format!(
            "+84{}",
            national.get(1..).unwrap_or_default()
        )))
    }

    /// The normalised form, `+84xxxxxxxxx`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s, "phone")
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_an_officer_types_becomes_one_number() {
        for typed in [
            "0912345678",
            "0912 345 678",
            "0912.345.678",
            "+84912345678",
            "+84 912 345 678",
            "84912345678",
            " 84.912.345.678 ",
            "+84 0912 345 678",
        ] {
            assert_eq!(
                Phone::parse(typed, "phone").unwrap().as_str(),
                "+84912345678",
                "{typed}"
            );
        }
        for p in ["0312345678", "0512345678", "0712345678", "0812345678"] {
            assert!(Phone::parse(p, "phone").is_ok(), "{p}");
        }
    }

    #[test]
    fn landlines_short_numbers_and_letters_are_refused_naming_the_field() {
        let e = Phone::parse("0241234567", "relative_phone").unwrap_err();
        assert_eq!(
            e,
            PhoneError::NotMobile {
                field: "relative_phone".into(),
                prefix: "02".into()
            }
        );
        assert!(e.to_string().starts_with("relative_phone: "));
        assert_eq!(
            Phone::parse("091234567", "phone").unwrap_err(),
            PhoneError::WrongLength {
                field: "phone".into(),
                digits: 9
            }
        );
        assert_eq!(
            Phone::parse("+8409123456789", "phone").unwrap_err(),
            PhoneError::WrongLength {
                field: "phone".into(),
                digits: 11
            }
        );
        assert_eq!(
            Phone::parse("0912-345-678", "phone").unwrap_err(),
            PhoneError::BadCharacter {
                field: "phone".into(),
                found: '-'
            }
        );
        assert_eq!(
            Phone::parse(" . ", "phone").unwrap_err(),
            PhoneError::Empty {
                field: "phone".into()
            }
        );
        assert!(matches!(
            Phone::parse("+1 912345678", "phone"),
            Err(PhoneError::BadCharacter { .. })
        ));
        // 84 + 9 digits only when 11 digits long: a 10-digit number starting 08 stays national.
        assert_eq!(
            Phone::parse("0845678901", "phone").unwrap().as_str(),
            "+84845678901"
        );
    }
}
