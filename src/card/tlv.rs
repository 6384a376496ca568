//! BER-TLV as the LDS uses it (ISO/IEC 7816-4 §5.2, ICAO 9303-10 §4.1):
//! tags of one to three bytes, definite lengths of up to four bytes.
//!
//! Every length is checked against the bytes actually present, so a lying
//! length yields [`TlvError`] and never a panic or an allocation beyond the input.

use thiserror::Error;

/// What is wrong with a TLV encoding.
#[derive(Debug, Error, PartialEq, Eq, Clone)]
pub enum TlvError {
    #[error("truncated TLV: {0}")]
    Truncated(&'static str),
    #[error("indefinite or oversized length (first length byte {0:#04x})")]
    BadLength(u8),
    #[error("tag longer than 3 bytes")]
    BadTag,
    #[error("length {declared} runs past the {available} bytes available")]
    LengthPastEnd { declared: usize, available: usize },
    #[error("expected tag {expected:#x}, found {found:#x}")]
    UnexpectedTag { expected: u32, found: u32 },
    #[error("tag {0:#x} missing")]
    Missing(u32),
}

/// One decoded TLV, borrowing its value from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u32,
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// True when bit 6 of the first tag byte says the value holds TLVs.
    pub fn is_constructed(&self) -> bool {
        let first = if self.tag > 0xFFFF {
            self.tag >> 16
        } else if self.tag > 0xFF {
            self.tag >> 8
        } else {
            self.tag
        };
        first & 0x20 != 0
    }

    /// The TLVs inside a constructed value.
    pub fn children(&self) -> Iter<'a> {
        iter(self.value)
    }

    /// The first child with `tag`.
    pub fn child(&self, tag: u32) -> Result<Tlv<'a>, TlvError> {
        find(self.value, tag)
    }
}

/// Read a tag; returns (tag, bytes used).
pub fn read_tag(b: &[u8]) -> Result<(u32, usize), TlvError> {
    let first = *b.first().ok_or(TlvError::Truncated("tag"))?;
    if first & 0x1F != 0x1F {
        return Ok((first as u32, 1));
    }
    let mut tag = first as u32;
    for i in 1..4 {
        let byte = *b.get(i).ok_or(TlvError::Truncated("multi-byte tag"))?;
        tag = (tag << 8) | byte as u32;
        if byte & 0x80 == 0 {
            return Ok((tag, i + 1));
        }
    }
    Err(TlvError::BadTag)
}

/// Read a definite length; returns (length, bytes used).
pub fn read_length(b: &[u8]) -> Result<(usize, usize), TlvError> {
    let first = *b.first().ok_or(TlvError::Truncated("length"))?;
    if first < 0x80 {
        return Ok((first as usize, 1));
    }
    let n = (first & 0x7F) as usize;
    if n == 0 || n > 4 {
        return Err(TlvError::BadLength(first));
    }
    let bytes = b
        .get(1..1 + n)
        .ok_or(TlvError::Truncated("long-form length"))?;
    Ok((
        bytes.iter().fold(0usize, |acc, &x| (acc << 8) | x as usize),
        1 + n,
    ))
}

/// From the first bytes of an EF, the (tag, header length, value length) of its outer TLV.
/// This is how the reader learns an EF's size from one short read.
pub fn read_header(b: &[u8]) -> Result<(u32, usize, usize), TlvError> {
    let (tag, t) = read_tag(b)?;
    let (len, l) = read_length(&b[t..])?;
    Ok((tag, t + l, len))
}

/// Decode one TLV at the start of `b`; returns it and the bytes after it.
pub fn parse_one(b: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (tag, hl, len) = read_header(b)?;
    let available = b.len() - hl;
    if len > available {
        return Err(TlvError::LengthPastEnd {
            declared: len,
            available,
        });
    }
    Ok((
        Tlv {
            tag,
            value: &b[hl..hl + len],
        },
        &b[hl + len..],
    ))
}

/// Decode one TLV that must carry `tag`.
pub fn expect(b: &[u8], tag: u32) -> Result<Tlv<'_>, TlvError> {
    let (t, _) = parse_one(b)?;
    if t.tag != tag {
        return Err(TlvError::UnexpectedTag {
            expected: tag,
            found: t.tag,
        });
    }
    Ok(t)
}

/// The first TLV with `tag` in a sequence of TLVs.
pub fn find(b: &[u8], tag: u32) -> Result<Tlv<'_>, TlvError> {
    for t in iter(b) {
        let t = t?;
        if t.tag == tag {
            return Ok(t);
        }
    }
    Err(TlvError::Missing(tag))
}

/// Iterate over a sequence of TLVs; stops after the first error.
pub fn iter(b: &[u8]) -> Iter<'_> {
    Iter {
        rest: b,
        failed: false,
    }
}

/// Iterator returned by [`iter`].
pub struct Iter<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.failed {
            return None;
        }
        match parse_one(self.rest) {
            Ok((t, rest)) => {
                self.rest = rest;
                Some(Ok(t))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// Encode a length in the shortest definite form.
pub fn encode_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Encode a tag (1–3 bytes, as written in the spec: `0x5F1F`, `0x7F61`).
pub fn encode_tag(tag: u32, out: &mut Vec<u8>) {
    let bytes = tag.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    out.extend_from_slice(&bytes[skip..]);
}

/// Encode one TLV.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 8);
    encode_tag(tag, &mut out);
    encode_length(value.len(), &mut out);
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;
    use proptest::prelude::*;

    #[test]
    fn parses_lds_shapes() {
        // EF.COM header: 60 16 5F01 04 "0107" 5F36 06 "040000" 5C 04 61 75 6D 6E
        let com = hex!("6016 5F0104 30313037 5F3606 303430303030 5C04 61756D6E");
        let t = expect(&com, 0x60).unwrap();
        assert_eq!(t.child(0x5F01).unwrap().value, b"0107");
        assert_eq!(t.child(0x5C).unwrap().value, hex!("61756D6E"));
        assert!(t.is_constructed());
    }

    #[test]
    fn long_lengths() {
        let v = vec![0xAB; 300];
        let e = encode(0x75, &v);
        assert_eq!(&e[..4], &hex!("75 82 012C"));
        assert_eq!(read_header(&e).unwrap(), (0x75, 4, 300));
        assert_eq!(parse_one(&e).unwrap().0.value.len(), 300);
        assert_eq!(encode(0x7F61, &[1]), hex!("7F61 01 01"));
    }

    #[test]
    fn lying_length_is_an_error() {
        assert_eq!(
            parse_one(&hex!("6D 82 FFFF 00 01")).unwrap_err(),
            TlvError::LengthPastEnd {
                declared: 0xFFFF,
                available: 2
            }
        );
        assert!(matches!(
            parse_one(&hex!("6D 85 0000000001")),
            Err(TlvError::BadLength(0x85))
        ));
        assert!(matches!(
            parse_one(&hex!("5F")),
            Err(TlvError::Truncated(_))
        ));
    }

    proptest! {
        #[test]
        fn never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            for t in iter(&bytes).flatten() { let _ = t.children().count(); }
        }

        #[test]
        fn encode_parse_round_trip(tag in prop_oneof![Just(0x61u32), Just(0x5F1F), Just(0x7F61), Just(0x04)],
                                   value in proptest::collection::vec(any::<u8>(), 0..1000)) {
            let e = encode(tag, &value);
            let (t, rest) = parse_one(&e).unwrap();
            prop_assert_eq!(t.tag, tag);
            prop_assert_eq!(t.value, &value[..]);
            prop_assert!(rest.is_empty());
        }
    }
}
