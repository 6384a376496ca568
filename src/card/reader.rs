//! Reading elementary files fast: as few APDUs as the reader and chip allow.
//!
//! An EF's size is learnt from its outer TLV header in the first reply, so the
//! first READ BINARY already asks for as much as one reply can carry: the whole of
//! a small file (EF.COM, DG1) comes in one APDU. The chunk is the largest
//! plaintext Le that fits one reply: with extended length (when the chip and
//! reader accept it, probed once per reader and card type before authentication) a
//! 40 KB face is one or two APDUs; with short APDUs under 3DES secure messaging
//! it is 231 bytes (see `sm::SecureMessaging::max_plain_le`).
//!
//! Chips disagree on reading past the end of a file: most return what is left
//! with 6282, some answer 6Cxx with the exact length, strict ones 6700. All three
//! are handled; the first two cost nothing, the last makes the reader fall back
//! to reading the 8-byte header first, and [`ReadCaps`] remembers it for the
//! next file. A length that runs past the real end of the file (a lying header)
//! ends in [`ReadError::Truncated`] naming the file; nothing is allocated beyond
//! what the chip really sent.

use super::apdu::{Command, StatusWord};
use super::tlv;
use super::transport::{exchange, CardTransport, TransportError};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use thiserror::Error;

/// Files the reader knows by name, for messages and progress.
pub fn file_name(fid: u16) -> String {
    match fid {
        0x011C => "EF.CardAccess".into(),
        0x011D => "EF.SOD".into(),
        0x011E => "EF.COM".into(),
        0x0101..=0x0110 => format!("DG{}", fid - 0x0100),
        other => format!("EF {other:04X}"),
    }
}

/// Why a file could not be read.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("{0}: not on the chip (6A82)")]
    NotFound(String),
    #[error("{0}: access refused (6982)")]
    Refused(String),
    #[error("{file}: the chip answered {sw}")]
    Status { file: String, sw: StatusWord },
    #[error("{file}: header says {declared} bytes but the file ends after {got}")]
    Truncated {
        file: String,
        declared: usize,
        got: usize,
    },
    #[error("{file}: malformed header: {err}")]
    Header { file: String, err: tlv::TlvError },
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// What this reader + chip combination accepts, learnt as the read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadCaps {
    /// Extended-length APDUs work end to end (None: not probed yet).
    pub extended: Option<bool>,
    /// Asking for more than is left in a file is answered with data (6282/9000) or 6Cxx.
    pub overread_ok: Option<bool>,
    /// The largest Le the chip accepted once it had refused a larger one.
    pub max_le: Option<usize>,
    /// The smallest Le the chip refused with 6700 (its own ceiling lies below).
    pub refused_le: Option<usize>,
}

fn caps_cache() -> &'static Mutex<HashMap<String, ReadCaps>> {
    static CACHE: OnceLock<Mutex<HashMap<String, ReadCaps>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

impl ReadCaps {
    /// What earlier reads in this process learnt for this reader and card type (ATR).
    pub fn remembered(reader: &str, atr: &[u8]) -> ReadCaps {
        let key = format!("{reader}|{}", hex::encode(atr));
        caps_cache()
            .lock()
            .map(|m| m.get(&key).copied().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Keep what this read learnt, for the next card on the same reader.
    pub fn remember(self, reader: &str, atr: &[u8]) {
        let key = format!("{reader}|{}", hex::encode(atr));
        if let Ok(mut m) = caps_cache().lock() {
            m.insert(key, self);
        }
    }
}

/// Probe extended length before authentication with a plain GET CHALLENGE encoded
/// extended (`00 84 00 00 00 00 08`): a chip that parses extended APDUs answers 8
/// bytes; one that does not answers 6700; a reader that cannot carry them fails
/// the exchange. Costs one APDU, once per reader and card type.
pub fn probe_extended<T: CardTransport + ?Sized>(card: &mut T) -> Result<bool, TransportError> {
    let cmd = Command::new(0x00, /* GET CHALLENGE */ 0x84, 0x00, 0x00).with_le(8);
    let bytes = cmd.encode(true)?;
    match card.transmit(&bytes) {
        Ok(raw) => {
            let r = super::apdu::Response::parse(&raw)?;
            Ok(r.sw == StatusWord::Success && r.data.len() == 8)
        }
        Err(TransportError::CardRemoved) => Err(TransportError::CardRemoved),
        Err(TransportError::NoCard) => Err(TransportError::NoCard),
        Err(_) => Ok(false),
    }
}

/// Largest plaintext Le per READ BINARY, short and extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub short: usize,
    pub extended: usize,
}

impl Limits {
    /// Without secure messaging.
    pub const PLAIN: Limits = Limits {
        short: 256,
        extended: 65536,
    };
}

/// Bytes of one file read so far (for the UI's progress bar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub fid: u16,
    pub done: usize,
    pub total: usize,
}

/// Reads EFs through a transport (plain or secure messaging) with adaptive chunks.
pub struct FileReader<'a, T: CardTransport + ?Sized> {
    card: &'a mut T,
    pub caps: ReadCaps,
    limits: Limits,
    progress: &'a mut dyn FnMut(Progress),
}

impl<'a, T: CardTransport + ?Sized> FileReader<'a, T> {
    /// A reader with what is known of the reader/chip and the transport's limits.
    pub fn new(
        card: &'a mut T,
        caps: ReadCaps,
        limits: Limits,
        progress: &'a mut dyn FnMut(Progress),
    ) -> Self {
        Self {
            card,
            caps,
            limits,
            progress,
        }
    }

    /// The Le to ask for: the transport's limit, or, below a chip's own ceiling,
    /// a binary search between what it accepted and what it refused (each probe
    /// that succeeds still reads file data, so learning costs a few APDUs once).
    fn chunk(&self) -> usize {
        let transport = if self.caps.extended == Some(true) {
            self.limits.extended
        } else {
            self.limits.short
        };
        match self.caps.refused_le {
            Some(bad) => {
                let good = self.caps.max_le.unwrap_or(8);
                let le = if bad > good + 1 {
                    (good + bad) / 2
                } else {
                    good
                };
                le.min(transport)
            }
            None => transport,
        }
    }

    /// SELECT the EF by its FID and read all of it.
    pub fn read(&mut self, fid: u16) -> Result<Vec<u8>, ReadError> {
        let name = file_name(fid);
        let sel = exchange(self.card, &Command::select_ef(fid))?;
        match sel.sw {
            StatusWord::Success => {}
            StatusWord::FileNotFound => return Err(ReadError::NotFound(name)),
            StatusWord::SecurityStatusNotSatisfied => return Err(ReadError::Refused(name)),
            sw => return Err(ReadError::Status { file: name, sw }),
        }
        // First reply: as much as one reply carries, unless this chip refuses over-reads.
        let first_le = if self.caps.overread_ok == Some(false) {
            8
        } else {
            self.chunk()
        };
        let mut data = self.read_at(fid, 0, first_le)?;
        let (_, header, len) = tlv::read_header(&data).map_err(|err| ReadError::Header {
            file: name.clone(),
            err,
        })?;
        let total = header + len;
        data.truncate(total);
        (self.progress)(Progress {
            fid,
            done: data.len(),
            total,
        });
        while data.len() < total {
            let offset = data.len();
            // Past 32767 the reply carries DO'53' (up to 4 header bytes) around the data.
            let room = if offset > 0x7FFF {
                self.chunk().saturating_sub(4)
            } else {
                self.chunk()
            };
            let want = (total - offset).min(room);
            let part = match self.read_at(fid, offset, want) {
                Ok(p) => p,
                Err(ReadError::Status {
                    sw: StatusWord::WrongParameters,
                    ..
                }) => {
                    return Err(ReadError::Truncated {
                        file: name,
                        declared: total,
                        got: offset,
                    })
                }
                Err(e) => return Err(e),
            };
            if part.is_empty() {
                return Err(ReadError::Truncated {
                    file: name,
                    declared: total,
                    got: offset,
                });
            }
            data.extend_from_slice(&part[..part.len().min(total - offset)]);
            (self.progress)(Progress {
                fid,
                done: data.len(),
                total,
            });
        }
        Ok(data)
    }

    /// One READ BINARY, following 6Cxx, 6700 (smaller chunk or no extended length) and 6282.
    /// Offsets past 32767 do not fit P1-P2 (ISO 7816-4 §11.3.3): those use the odd
    /// instruction B1 with the offset in DO'54' and the data back in DO'53'
    /// (9303-10 §3.6.3 lets a 40 KB face need it).
    fn read_at(&mut self, fid: u16, offset: usize, le: usize) -> Result<Vec<u8>, ReadError> {
        let mut le = le;
        for _ in 0..12 {
            let (cmd, odd) = match u16::try_from(offset) {
                Ok(o) if o <= 0x7FFF => (Command::read_binary(o, le), false),
                _ => {
                    let be = (offset as u32).to_be_bytes();
                    let skip = be.iter().take_while(|&&b| b == 0).count().min(3);
                    let mut h = vec![0x53];
                    tlv::encode_length(le, &mut h);
                    let cmd = Command::new(0x00, /* READ BINARY, odd */ 0xB1, 0, 0)
                        .with_data(tlv::encode(0x54, &be[skip..]))
                        .with_le(le + h.len());
                    (cmd, true)
                }
            };
            let r = exchange(self.card, &cmd)?;
            match r.sw {
                StatusWord::Success | StatusWord::EndOfFile => {
                    if offset == 0 && r.data.len() < le && self.caps.overread_ok.is_none() {
                        self.caps.overread_ok = Some(true);
                    }
                    if self.caps.refused_le.is_some() && self.caps.max_le.is_none_or(|m| le > m) {
                        self.caps.max_le = Some(le);
                    }
                    if odd {
                        return tlv::expect(&r.data, 0x53)
                            .map(|t| t.value.to_vec())
                            .map_err(|err| ReadError::Header {
                                file: file_name(fid),
                                err,
                            });
                    }
                    return Ok(r.data);
                }
                StatusWord::WrongLe(n) => {
                    le = if n == 0 { 256 } else { n as usize };
                    self.caps.overread_ok.get_or_insert(true);
                }
                StatusWord::WrongLength if le > self.limits.short => {
                    self.caps.extended = Some(false);
                    le = self.limits.short;
                }
                StatusWord::WrongLength
                    if le > 8 && offset == 0 && self.caps.overread_ok.is_none() =>
                {
                    // Either over-reading is refused or Le is above the chip's ceiling:
                    // read the header alone now; a later 6700 lowers the ceiling.
                    self.caps.overread_ok = Some(false);
                    le = 8;
                }
                StatusWord::WrongLength if le > 8 => {
                    // Past offset 0 nothing is over-read: 6700 means a ceiling on Le, so the
                    // first file's 6700 was that too, not a refusal to over-read.
                    if offset > 0 && self.caps.overread_ok == Some(false) {
                        self.caps.overread_ok = None;
                    }
                    self.caps.refused_le = Some(self.caps.refused_le.map_or(le, |r| r.min(le)));
                    le = self.chunk().min(le - 1);
                }
                sw => {
                    return Err(ReadError::Status {
                        file: file_name(fid),
                        sw,
                    })
                }
            }
        }
        Err(ReadError::Status {
            file: file_name(fid),
            sw: StatusWord::WrongLength,
        })
    }
}
