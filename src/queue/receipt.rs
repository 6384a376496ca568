//! The receipt code the done screen shows the citizen (DESIGN "Flow and consent"):
//! 8 characters, the last a check character, from an alphabet without look-alikes.
//!
//! Alphabet: `23456789ABCDEFGHJKMNPQRSTVWXY` — Crockford's base 32 idea (no I, L, O, U)
//! taken further: no 0/O, 1/I/L, U/V, and no Z (read as 2), leaving 29 symbols. 29 is
//! prime, so the check `Σ (i+1)·vᵢ mod 29` over the 7 data characters catches every
//! single wrong character and every swap of two neighbours (the weights differ by 1,
//! which is invertible mod a prime) — the two errors people make reading a code aloud
//! over the phone. 29⁷ ≈ 1.7·10¹⁰ codes; the store refuses duplicates and draws again.

use rand::Rng;
use std::fmt;

/// The 29 symbols, in value order.
pub const ALPHABET: &[u8; 29] = b"23456789ABCDEFGHJKMNPQRSTVWXY";
const DATA_LEN: usize = 7;

/// What is wrong with a typed receipt code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// Not 8 characters (after dropping spaces and dashes).
    #[error("receipt: {0} characters, a receipt code has 8")]
    Length(usize),
    /// A character outside the alphabet.
    #[error("receipt: character {0:?} is not used in receipt codes")]
    Character(char),
    /// The check character does not match: a mistyped or misread code.
    #[error("receipt: check character does not match (a character is wrong or two are swapped)")]
    Check,
}

/// An 8-character receipt code with its check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Receipt(String);

fn value(c: char) -> Option<usize> {
    let up = c.to_ascii_uppercase();
    ALPHABET.iter().position(|&a| a as char == up)
}

fn check(values: &[usize]) -> usize {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (i + 1) * v)
        .sum::<usize>()
        % ALPHABET.len()
}

impl Receipt {
    /// Draw a fresh random code.
    pub fn random(rng: &mut impl Rng) -> Receipt {
        let values: Vec<usize> = (0..DATA_LEN)
            .map(|_| rng.gen_range(0..ALPHABET.len()))
            .collect();
        Self::from_values(&values)
    }

    fn from_values(values: &[usize]) -> Receipt {
        let mut s: String = values
            .iter()
            .filter_map(|&v| ALPHABET.get(v).map(|&b| b as char))
            .collect();
        if let Some(&c) = ALPHABET.get(check(values)) {
            s.push(c as char);
        }
        Receipt(s)
    }

    /// Parse a code as a person types it: case-insensitive, spaces and dashes ignored.
    pub fn parse(input: &str) -> Result<Receipt, ReceiptError> {
        let chars: Vec<char> = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if chars.len() != DATA_LEN + 1 {
            return Err(ReceiptError::Length(chars.len()));
        }
        let mut values = Vec::with_capacity(chars.len());
        for &c in &chars {
            values.push(value(c).ok_or(ReceiptError::Character(c))?);
        }
        let (data, last) = values.split_at(DATA_LEN);
        if last.first() != Some(&check(data)) {
            return Err(ReceiptError::Check);
        }
        Ok(Self::from_values(data))
    }

    /// The code, 8 upper-case characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn codes_have_no_look_alike_characters_and_parse_back() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..500 {
            let r = Receipt::random(&mut rng);
            assert_eq!(r.as_str().len(), 8);
            assert!(!r.as_str().chars().any(|c| "0O1ILUZ".contains(c)), "{r}");
            assert_eq!(Receipt::parse(&r.as_str().to_lowercase()).unwrap(), r);
        }
        // A worked value: data 2222222 (all zero) has check 0 → "22222222".
        assert_eq!(Receipt::parse("2222-2222").unwrap().as_str(), "22222222");
    }

    #[test]
    fn every_single_error_and_every_neighbour_swap_is_caught() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        for _ in 0..50 {
            let r = Receipt::random(&mut rng);
            let b: Vec<u8> = r.as_str().bytes().collect();
            for i in 0..8 {
                for &c in ALPHABET.iter().filter(|&&c| Some(&c) != b.get(i)) {
                    let mut t = b.clone();
                    t[i] = c;
                    assert_eq!(
                        Receipt::parse(std::str::from_utf8(&t).unwrap()),
                        Err(ReceiptError::Check)
                    );
                }
                if i < 7 && b[i] != b[i + 1] {
                    let mut t = b.clone();
                    t.swap(i, i + 1);
                    assert_eq!(
                        Receipt::parse(std::str::from_utf8(&t).unwrap()),
                        Err(ReceiptError::Check)
                    );
                }
            }
        }
        assert_eq!(Receipt::parse("2222222"), Err(ReceiptError::Length(7)));
        assert_eq!(
            Receipt::parse("2222222O"),
            Err(ReceiptError::Character('O'))
        );
    }
}
