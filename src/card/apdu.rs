//! Command and response APDUs (ISO/IEC 7816-4 §5), short and extended length,
//! and the status words the card layer acts on.
//!
//! Only this module knows status-word bytes: callers match [`StatusWord`]
//! variants, never `[0x69, 0x82]`.

use thiserror::Error;

/// Largest Ne a short APDU can ask for (`Le = 00` means 256).
pub const SHORT_MAX_LE: usize = 256;
/// Largest Ne an extended APDU can ask for (`Le = 0000` means 65536).
pub const EXTENDED_MAX_LE: usize = 65536;

/// A status word, named where the card layer reacts to it (ISO/IEC 7816-4 §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusWord {
    /// 9000
    Success,
    /// 61xx: xx more bytes wait for GET RESPONSE (0 = 256).
    BytesAvailable(u8),
    /// 6282: end of file reached before Le bytes were read.
    EndOfFile,
    /// 6300: authentication failed.
    AuthenticationFailed,
    /// 63Cx: authentication failed, x tries left (a retry counter, 7816-4 §5.1.3).
    RetriesLeft(u8),
    /// 6700: wrong length (Lc or Le).
    WrongLength,
    /// 6882: secure messaging not supported.
    SmNotSupported,
    /// 6987: expected secure-messaging data objects missing.
    SmObjectsMissing,
    /// 6988: secure-messaging data objects incorrect (MAC failed).
    SmObjectsIncorrect,
    /// 6983: authentication method blocked (a retry counter ran out).
    AuthenticationBlocked,
    /// 6982: security status not satisfied (e.g. DG3 before terminal authentication).
    SecurityStatusNotSatisfied,
    /// 6985: conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// 6A82: file or application not found.
    FileNotFound,
    /// 6A86: incorrect P1/P2.
    IncorrectP1P2,
    /// 6B00: wrong parameters, offset outside the EF.
    WrongParameters,
    /// 6Cxx: wrong Le, xx is the exact length (0 = 256).
    WrongLe(u8),
    /// 6D00: instruction not supported (CCCD chips answer this to SELECT MF).
    InsNotSupported,
    /// 6E00: class not supported.
    ClaNotSupported,
    /// 6F00 and anything else.
    Other(u16),
}

impl StatusWord {
    /// Decode the two trailing bytes of a response.
    pub fn from_bytes(sw1: u8, sw2: u8) -> Self {
        match (sw1, sw2) {
            (0x90, 0x00) => Self::Success,
            (0x61, n) => Self::BytesAvailable(n),
            (0x62, 0x82) => Self::EndOfFile,
            (0x63, 0x00) => Self::AuthenticationFailed,
            (0x63, x @ 0xC0..=0xCF) => Self::RetriesLeft(x & 0x0F),
            (0x67, 0x00) => Self::WrongLength,
            (0x68, 0x82) => Self::SmNotSupported,
            (0x69, 0x87) => Self::SmObjectsMissing,
            (0x69, 0x88) => Self::SmObjectsIncorrect,
            (0x69, 0x82) => Self::SecurityStatusNotSatisfied,
            (0x69, 0x83) => Self::AuthenticationBlocked,
            (0x69, 0x85) => Self::ConditionsNotSatisfied,
            (0x6A, 0x82) => Self::FileNotFound,
            (0x6A, 0x86) => Self::IncorrectP1P2,
            (0x6B, 0x00) => Self::WrongParameters,
            (0x6C, n) => Self::WrongLe(n),
            (0x6D, 0x00) => Self::InsNotSupported,
            (0x6E, 0x00) => Self::ClaNotSupported,
            (a, b) => Self::Other(u16::from_be_bytes([a, b])),
        }
    }

    /// The two bytes on the wire.
    pub fn to_bytes(self) -> [u8; 2] {
        let v: u16 = match self {
            Self::Success => 0x9000,
            Self::BytesAvailable(n) => 0x6100 | n as u16,
            Self::EndOfFile => 0x6282,
            Self::AuthenticationFailed => 0x6300,
            Self::RetriesLeft(n) => 0x63C0 | (n & 0x0F) as u16,
            Self::WrongLength => 0x6700,
            Self::SmNotSupported => 0x6882,
            Self::SmObjectsMissing => 0x6987,
            Self::SmObjectsIncorrect => 0x6988,
            Self::SecurityStatusNotSatisfied => 0x6982,
            Self::AuthenticationBlocked => 0x6983,
            Self::ConditionsNotSatisfied => 0x6985,
            Self::FileNotFound => 0x6A82,
            Self::IncorrectP1P2 => 0x6A86,
            Self::WrongParameters => 0x6B00,
            Self::WrongLe(n) => 0x6C00 | n as u16,
            Self::InsNotSupported => 0x6D00,
            Self::ClaNotSupported => 0x6E00,
            Self::Other(v) => v,
        };
        v.to_be_bytes()
    }

    /// A wrong password or key: 6300, or 63Cx with the tries left.
    pub fn is_authentication_failure(self) -> bool {
        matches!(self, Self::AuthenticationFailed | Self::RetriesLeft(_))
    }

    /// Tries left that a 63Cx answer gives.
    pub fn retries_left(self) -> Option<u8> {
        match self {
            Self::RetriesLeft(n) => Some(n),
            _ => None,
        }
    }

    /// True for 9000 and for 6282 (data returned, end of file reached).
    pub fn is_success(self) -> bool {
        matches!(self, Self::Success | Self::EndOfFile)
    }
}

impl std::fmt::Display for StatusWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b] = self.to_bytes();
        write!(f, "{a:02X}{b:02X}")
    }
}

/// A malformed APDU (from a card reply, or a command the emulator received).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ApduError {
    #[error("response shorter than its status word ({0} bytes)")]
    ShortResponse(usize),
    #[error("command APDU malformed: {0}")]
    BadCommand(&'static str),
    #[error("command data of {0} bytes does not fit an APDU")]
    TooLong(usize),
}

/// A command APDU. `le` is Ne, the number of bytes expected (None: no Le field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    pub le: Option<usize>,
}

impl Command {
    /// A command with no data and no Le.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// Set the command data.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Set Ne (bytes expected; 256 encodes as short `00`, 65536 as extended `0000`).
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// SELECT by file identifier under the current DF (9303-10 §3.6.2: P1=02, P2=0C, no FCI).
    pub fn select_ef(fid: u16) -> Self {
        Self::new(0x00, /* SELECT */ 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec())
    }

    /// SELECT an application by AID (P1=04, P2=0C: no FCI returned).
    pub fn select_aid(aid: &[u8]) -> Self {
        Self::new(0x00, /* SELECT */ 0xA4, 0x04, 0x0C).with_data(aid.to_vec())
    }

    /// READ BINARY at `offset` (< 32768, 7816-4 §11.3.3: P1 bit 8 = 0), `le` bytes.
    pub fn read_binary(offset: u16, le: usize) -> Self {
        let [p1, p2] = offset.to_be_bytes();
        Self::new(0x00, /* READ BINARY */ 0xB0, p1 & 0x7F, p2).with_le(le)
    }

    /// True when this command needs the extended-length encoding.
    pub fn is_extended(&self) -> bool {
        self.data.len() > 255 || self.le.is_some_and(|le| le > SHORT_MAX_LE)
    }

    /// Encode, choosing short or extended length as the sizes require.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ApduError> {
        self.encode(self.is_extended())
    }

    /// Encode with extended length forced (or short, when `extended` is false).
    pub fn encode(&self, extended: bool) -> Result<Vec<u8>, ApduError> {
        let nc = self.data.len();
        if nc > 65535 || (!extended && nc > 255) {
            return Err(ApduError::TooLong(nc));
        }
        let mut out = Vec::with_capacity(nc + 9);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if extended {
            if nc > 0 {
                out.push(0);
                out.extend_from_slice(&(nc as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                if le > EXTENDED_MAX_LE {
                    return Err(ApduError::BadCommand("Le above 65536"));
                }
                if nc == 0 {
                    out.push(0);
                }
                out.extend_from_slice(&((le % EXTENDED_MAX_LE) as u16).to_be_bytes());
            }
        } else {
            if nc > 0 {
                out.push(nc as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                if le > SHORT_MAX_LE {
                    return Err(ApduError::BadCommand("Le above 256 in a short APDU"));
                }
                out.push((le % SHORT_MAX_LE) as u8);
            }
        }
        Ok(out)
    }

    /// Decode a command APDU (the emulator's side), all four ISO cases, short and extended.
    pub fn parse(b: &[u8]) -> Result<Self, ApduError> {
        if b.len() < 4 {
            return Err(ApduError::BadCommand("fewer than 4 header bytes"));
        }
        let mut cmd = Self::new(b[0], b[1], b[2], b[3]);
        let body = &b[4..];
        match body.len() {
            0 => {}
            1 => cmd.le = Some(if body[0] == 0 { 256 } else { body[0] as usize }),
            _ if body[0] != 0 => {
                let nc = body[0] as usize;
                let rest = &body[1..];
                if rest.len() == nc {
                    cmd.data = rest.to_vec();
                } else if rest.len() == nc + 1 {
                    cmd.data = rest[..nc].to_vec();
                    let le = rest[nc] as usize;
                    cmd.le = Some(if le == 0 { 256 } else { le });
                } else {
                    return Err(ApduError::BadCommand("Lc does not match the body"));
                }
            }
            3 => {
                let le = u16::from_be_bytes([body[1], body[2]]) as usize;
                cmd.le = Some(if le == 0 { EXTENDED_MAX_LE } else { le });
            }
            n if n > 3 => {
                let nc = u16::from_be_bytes([body[1], body[2]]) as usize;
                let rest = &body[3..];
                if rest.len() == nc {
                    cmd.data = rest.to_vec();
                } else if rest.len() == nc + 2 {
                    cmd.data = rest[..nc].to_vec();
                    let le = u16::from_be_bytes([rest[nc], rest[nc + 1]]) as usize;
                    cmd.le = Some(if le == 0 { EXTENDED_MAX_LE } else { le });
                } else {
                    return Err(ApduError::BadCommand("extended Lc does not match the body"));
                }
            }
            _ => return Err(ApduError::BadCommand("body of 2 bytes")),
        }
        Ok(cmd)
    }
}

/// A response APDU: data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: StatusWord,
}

impl Response {
    /// Split raw reply bytes into data and status word.
    pub fn parse(raw: &[u8]) -> Result<Self, ApduError> {
        if raw.len() < 2 {
            return Err(ApduError::ShortResponse(raw.len()));
        }
        let (data, sw) = raw.split_at(raw.len() - 2);
        Ok(Self {
            data: data.to_vec(),
            sw: StatusWord::from_bytes(sw[0], sw[1]),
        })
    }

    /// A reply with data and a status word.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        Self { data, sw }
    }

    /// A reply of the status word alone.
    pub fn status(sw: StatusWord) -> Self {
        Self {
            data: Vec::new(),
            sw,
        }
    }

    /// Encode as sent on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.data.clone();
        v.extend_from_slice(&self.sw.to_bytes());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn short_and_extended_encodings_round_trip() {
        let cases = [
            Command::new(0, 0x84, 0, 0).with_le(8),
            Command::select_ef(0x011E),
            Command::read_binary(0x1234, 256),
            Command::read_binary(4, 65536),
            Command::new(0, 0x82, 0, 0)
                .with_data(vec![7u8; 300])
                .with_le(40),
            Command::new(0, 0x82, 0, 0)
                .with_data(vec![7u8; 40])
                .with_le(300),
        ];
        for c in cases {
            let bytes = c.to_bytes().expect("encodes");
            assert_eq!(
                Command::parse(&bytes).expect("parses"),
                c,
                "{}",
                hex::encode(&bytes)
            );
        }
    }

    #[test]
    fn known_encodings() {
        // 9303-11 App. D.3: GET CHALLENGE
        assert_eq!(
            Command::new(0, 0x84, 0, 0).with_le(8).to_bytes().unwrap(),
            hex!("0084000008")
        );
        assert_eq!(
            Command::select_ef(0x011E).to_bytes().unwrap(),
            hex!("00A4020C02011E")
        );
        assert_eq!(
            Command::read_binary(0, 256).to_bytes().unwrap(),
            hex!("00B0000000")
        );
        assert_eq!(
            Command::read_binary(0, 1000).to_bytes().unwrap(),
            hex!("00B00000" "0003E8")
        );
    }

    #[test]
    fn status_words_round_trip() {
        for sw in [
            0x9000u16, 0x6282, 0x6982, 0x6A82, 0x6D00, 0x6C10, 0x6110, 0x6F00, 0x6988, 0x6300,
            0x63C2, 0x63C0, 0x6983,
        ] {
            let [a, b] = sw.to_be_bytes();
            assert_eq!(StatusWord::from_bytes(a, b).to_bytes(), [a, b]);
        }
        assert_eq!(
            StatusWord::from_bytes(0x6D, 0x00),
            StatusWord::InsNotSupported
        );
        // 63Cx keeps the tries left; 6300 has none to give.
        assert_eq!(StatusWord::from_bytes(0x63, 0xC2).retries_left(), Some(2));
        assert!(StatusWord::from_bytes(0x63, 0xC0).is_authentication_failure());
        assert_eq!(StatusWord::from_bytes(0x63, 0x00).retries_left(), None);
        assert!(StatusWord::from_bytes(0x63, 0x00).is_authentication_failure());
        assert!(!StatusWord::from_bytes(0x63, 0x81).is_authentication_failure());
    }

    #[test]
    fn short_reply_is_an_error_not_a_panic() {
        assert_eq!(Response::parse(&[0x90]), Err(ApduError::ShortResponse(1)));
    }
}
