//! Vietnamese mobile numbers: 10 digits starting 03, 05, 07, 08 or 09 (the
//! prefixes since the 2018 renumbering from 11 digits), typed with or without
//! `+84`/`84`, spaces, dots or dashes; stored normalised as `+84` + 9 digits.

use thiserror::Error;

/// Why a typed number is not a VN mobile number (the UI says it in Vietnamese).
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    #[error("the number holds characters other than digits, +, spaces, dots or dashes")]
    BadCharacters,
    #[error("a mobile number has 10 digits (0xx xxx xxxx)")]
    Length,
    #[error("a mobile number starts with 03, 05, 07, 08 or 09")]
    Prefix,
}

/// Normalise `text` to `+84xxxxxxxxx`.
pub fn normalise(text: &str) -> Result<String, PhoneError> {
    let t = text.trim();
    if t.chars()
        .any(|c| !(c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-')))
    {
        return Err(PhoneError::BadCharacters);
    }
    if t.get(1..).is_some_and(|rest| rest.contains('+')) {
        return Err(PhoneError::BadCharacters);
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let national = if t.starts_with('+') {
        match digits.strip_prefix("84") {
            Some(rest) => format!("0{rest}"),
            None => return Err(PhoneError::Prefix),
        }
    } else if digits.len() == 11 && digits.starts_with("84") {
        format!("0{}", digits.get(2..).unwrap_or_default())
    } else {
        digits
    };
    if national.len() != 10 {
        return Err(PhoneError::Length);
    }
    if !matches!(national.get(..2), Some("03" | "05" | "07" | "08" | "09")) {
        return Err(PhoneError::Prefix);
    }
    Ok(format!("+84{}", national.get(1..).unwrap_or_default()))
}

/// `+84912345678` → `0912 345 678`, as a citizen reads their own number.
pub fn display(normalised: &str) -> String {
    let d = normalised.strip_prefix("+84").unwrap_or(normalised);
    let n = format!("0{d}");
    match (n.get(..4), n.get(4..7), n.get(7..)) {
        (Some(a), Some(b), Some(c)) => format!("{a} {b} {c}"),
        _ => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_international_and_spaced_forms_normalise_alike() {
        for t in [
            "0912345678",
            "+84912345678",
            "+84 912 345 678",
            "84912345678",
            "0912.345.678",
            "091-234-5678",
        ] {
            assert_eq!(normalise(t).as_deref(), Ok("+84912345678"), "{t}");
        }
        assert_eq!(normalise("0387654321").as_deref(), Ok("+84387654321"));
        assert_eq!(display("+84912345678"), "0912 345 678");
    }

    #[test]
    fn landlines_old_11_digit_numbers_and_junk_are_refused() {
        assert_eq!(normalise("0243826888"), Err(PhoneError::Prefix)); // Hà Nội landline
        assert_eq!(normalise("01689123456"), Err(PhoneError::Length)); // pre-2018 11 digits
        assert_eq!(normalise("091234567"), Err(PhoneError::Length));
        assert_eq!(normalise("+1 912345678"), Err(PhoneError::Prefix));
        assert_eq!(normalise("09a2345678"), Err(PhoneError::BadCharacters));
        assert_eq!(normalise("09+2345678"), Err(PhoneError::BadCharacters));
        assert_eq!(normalise(""), Err(PhoneError::Length));
    }
}
