//! One error type for every LDS file parser (ICAO 9303-10), so a message always
//! starts with the file it is about ("DG13: field 3: …", "EF.COM: tag 5C: …").
//!
//! The reader reports these per data group and carries on: a broken DG13 or an
//! undecodable face is a line in the output, never a failed read.

use std::fmt;

use thiserror::Error;

use crate::card::tlv::TlvError;

/// The elementary file an [`LdsError`] is about; printed first in every message
/// so an operator can tell which data group of which card was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ef {
    /// EF.COM (9303-10 §4.6.1): LDS version and the list of data groups.
    Com,
    /// EF.CardAccess (9303-11 §9.2.11): the SecurityInfos readable before access control.
    CardAccess,
    /// EF.DGn, n = 1..=16 (9303-10 §4.6.2 ff.).
    Dg(u8),
}

impl fmt::Display for Ef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ef::Com => f.write_str("EF.COM"),
            Ef::CardAccess => f.write_str("EF.CardAccess"),
            Ef::Dg(n) => write!(f, "DG{n}"),
        }
    }
}

/// What is wrong with an LDS file. Every variant names the file and the part of it
/// (a tag, a field number, a header) so the message is actionable on its own.
#[derive(Debug, Error)]
pub enum LdsError {
    /// The BER-TLV framing is broken (truncated, lying length, wrong tag).
    #[error("{ef}: {part}: {source}")]
    Tlv {
        /// File concerned.
        ef: Ef,
        /// Part of the file, e.g. "tag 5F01" or "field 3".
        part: String,
        /// What the TLV layer found.
        #[source]
        source: TlvError,
    },
    /// An ASN.1 structure inside the file does not decode as DER (DG14, DG15, EF.CardAccess).
    #[error("{ef}: {part}: {source}")]
    Der {
        /// File concerned.
        ef: Ef,
        /// Part of the file, e.g. "SecurityInfo 2".
        part: String,
        /// What the `der` crate found.
        #[source]
        source: der::Error,
    },
    /// The framing is fine but a value is not what 9303 (or DG13.md) allows.
    #[error("{ef}: {part}: {reason}")]
    Invalid {
        /// File concerned.
        ef: Ef,
        /// Part of the file.
        part: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The face image inside DG2 does not decode (JPEG, or JPEG 2000 pixel data).
    #[error("DG2: {format} image: {source}")]
    Image {
        /// "JPEG" or "JPEG 2000".
        format: &'static str,
        /// What the `image` crate reported.
        #[source]
        source: image::ImageError,
    },
    /// The JPEG 2000 stream inside DG2 has a broken header or codestream.
    #[error("DG2: JPEG 2000 image: {0}")]
    Jpeg2000(#[source] hayro_jpeg2000::DecodeError),
    /// The face image claims more pixels than a portrait can need; decoding it
    /// would allocate far beyond the size of the file.
    #[error("DG2: image of {width}x{height} pixels is larger than the {max}x{max} limit")]
    ImageTooLarge {
        /// Width claimed by the image stream.
        width: u32,
        /// Height claimed by the image stream.
        height: u32,
        /// Largest side accepted.
        max: u32,
    },
    /// A third-party image decoder panicked on this input (caught, never propagated).
    #[error("DG2: the {0} decoder failed on malformed image data")]
    DecoderPanicked(&'static str),
}

impl LdsError {
    /// Wrap a TLV error with the file and the part being read.
    pub fn tlv(ef: Ef, part: impl Into<String>, source: TlvError) -> Self {
        LdsError::Tlv {
            ef,
            part: part.into(),
            source,
        }
    }

    /// Wrap a DER error with the file and the part being read.
    pub fn der(ef: Ef, part: impl Into<String>, source: der::Error) -> Self {
        LdsError::Der {
            ef,
            part: part.into(),
            source,
        }
    }

    /// A value that is framed correctly but not allowed.
    pub fn invalid(ef: Ef, part: impl Into<String>, reason: impl Into<String>) -> Self {
        LdsError::Invalid {
            ef,
            part: part.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_start_with_the_file() {
        let e = LdsError::invalid(Ef::Dg(13), "field 3", "no text string");
        assert_eq!(e.to_string(), "DG13: field 3: no text string");
        let e = LdsError::tlv(Ef::Com, "tag 5C", TlvError::Missing(0x5C));
        assert_eq!(e.to_string(), "EF.COM: tag 5C: tag 0x5c missing");
        assert_eq!(Ef::CardAccess.to_string(), "EF.CardAccess");
    }
}
