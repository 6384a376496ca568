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
//!
//! **Progress is per file** ([`Progress`]: the file, bytes done, its total), not
//! per card. A card's total is the sum of its files' sizes, and each size is known
//! only once that file's first reply is in: EF.COM lists the data groups but not
//! their sizes, and DG2 (most of the bytes) and EF.SOD come last. A card-level
//! total before the first byte of DG2 would cost a SELECT and a header READ BINARY
//! per file up front (about 5 more APDUs on a short-APDU read, twice the APDUs of
//! an extended-length one), against the read's APDU budget. So the callback
//! reports per file, and the UI (`ui/screens/reading.rs`) sums the files it has
//! heard of: its bar shows bytes of the known total, and grows honest as DG2's
//! header arrives. `cccd-kiosk read` prints the same per-file lines on stderr.

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

#[cfg(test)]
mod tests {
    //! The file reader against a small scripted chip that answers SELECT and READ
    //! BINARY from real-shaped files and, past the end of a file or to an
    //! extended Le, the way one family of chips does. APDU counts are asserted
    //! exactly: each is what a person waiting at the kiosk pays for.
    use super::*;
    use crate::card::apdu::Response;

    /// What the chip answers when a READ BINARY asks for more than is left.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum PastEnd {
        /// What is left, with 6282 (most chips).
        EndOfFile,
        /// 6Cxx with the exact length (ISO 7816-4 T=0 style).
        ExactLe,
        /// 6700 (strict chips).
        Refuse,
    }

    /// A chip that serves `files` in plain, logging every command it got.
    struct ScriptedChip {
        files: HashMap<u16, Vec<u8>>,
        selected: Option<u16>,
        past_end: PastEnd,
        /// Extended-length APDUs reach the chip (else 6700, as a short-only chip or reader).
        extended: bool,
        /// Every command as (parsed, sent in extended form).
        log: Vec<(Command, bool)>,
    }

    impl ScriptedChip {
        fn new(past_end: PastEnd, extended: bool, files: &[(u16, Vec<u8>)]) -> Self {
            Self {
                files: files.iter().cloned().collect(),
                selected: None,
                past_end,
                extended,
                log: Vec::new(),
            }
        }

        fn reads(&self) -> Vec<(usize, usize, bool)> {
            self.log
                .iter()
                .filter(|(c, _)| c.ins == 0xB0)
                .map(|(c, ext)| {
                    (
                        u16::from_be_bytes([c.p1, c.p2]) as usize,
                        c.le.unwrap_or(0),
                        *ext,
                    )
                })
                .collect()
        }

        fn answer(&mut self, cmd: &Command, extended: bool) -> Response {
            if extended && !self.extended {
                return Response::status(StatusWord::WrongLength);
            }
            match cmd.ins {
                0xA4 => {
                    let fid = <[u8; 2]>::try_from(cmd.data.as_slice()).map(u16::from_be_bytes);
                    match fid {
                        Ok(f) if self.files.contains_key(&f) => {
                            self.selected = Some(f);
                            Response::status(StatusWord::Success)
                        }
                        _ => Response::status(StatusWord::FileNotFound),
                    }
                }
                0x84 => Response::new(vec![0x11; 8], StatusWord::Success),
                0xB0 => {
                    let Some(file) = self.selected.and_then(|f| self.files.get(&f)) else {
                        return Response::status(StatusWord::Other(0x6986));
                    };
                    let offset = u16::from_be_bytes([cmd.p1, cmd.p2]) as usize;
                    let le = cmd.le.unwrap_or(256);
                    if offset >= file.len() {
                        return Response::status(StatusWord::WrongParameters);
                    }
                    let left = file.len() - offset;
                    if le <= left {
                        return Response::new(
                            file[offset..offset + le].to_vec(),
                            StatusWord::Success,
                        );
                    }
                    match self.past_end {
                        PastEnd::EndOfFile => {
                            Response::new(file[offset..].to_vec(), StatusWord::EndOfFile)
                        }
                        PastEnd::ExactLe if left < 256 => {
                            Response::status(StatusWord::WrongLe(left as u8))
                        }
                        PastEnd::ExactLe | PastEnd::Refuse => {
                            Response::status(StatusWord::WrongLength)
                        }
                    }
                }
                _ => Response::status(StatusWord::InsNotSupported),
            }
        }
    }

    impl CardTransport for ScriptedChip {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            let cmd = Command::parse(apdu)?;
            let extended = apdu.len() >= 7 && apdu[4] == 0;
            self.log.push((cmd.clone(), extended));
            Ok(self.answer(&cmd, extended).to_bytes())
        }
    }

    /// A file of `value_len` value bytes under `tag`, as the LDS writes it.
    fn ef(tag: u32, value_len: usize) -> Vec<u8> {
        let value: Vec<u8> = (0..value_len).map(|i| (i * 7 + 3) as u8).collect();
        tlv::encode(tag, &value)
    }

    const COM: u16 = 0x011E;
    const DG1: u16 = 0x0101;
    const DG2: u16 = 0x0102;

    /// EF.COM (22 bytes), DG1 (95 bytes, a TD1 MRZ), DG2 (1004 bytes: several chunks).
    fn card_files() -> Vec<(u16, Vec<u8>)> {
        vec![
            (COM, ef(0x60, 20)),
            (DG1, ef(0x61, 93)),
            (DG2, ef(0x75, 1000)),
        ]
    }

    /// Read every file of `files` in order with one reader; returns what it learnt.
    fn read_all(chip: &mut ScriptedChip, caps: ReadCaps, files: &[(u16, Vec<u8>)]) -> ReadCaps {
        let mut progress = |_: Progress| {};
        let mut fr = FileReader::new(chip, caps, Limits::PLAIN, &mut progress);
        for (fid, want) in files {
            let got = fr.read(*fid).unwrap();
            assert_eq!(&got, want, "{}", file_name(*fid));
        }
        fr.caps
    }

    /// SELECT plus one READ BINARY per 256-byte chunk: the least the sizes allow.
    fn minimum(files: &[(u16, Vec<u8>)], chunk: usize) -> usize {
        files.iter().map(|(_, f)| 1 + f.len().div_ceil(chunk)).sum()
    }

    #[test]
    fn end_of_file_6282_gives_the_short_tail_in_one_read_binary() {
        let files = card_files();
        let mut chip = ScriptedChip::new(PastEnd::EndOfFile, false, &files);
        let caps = read_all(&mut chip, ReadCaps::default(), &files);
        assert_eq!(caps.overread_ok, Some(true));
        // EF.COM and DG1 each: SELECT and one READ BINARY (Le 256, answered 6282 with
        // what there is); DG2: 4 chunks, the last asking exactly what is left.
        assert_eq!(chip.log.len(), minimum(&files, 256));
        let reads = chip.reads();
        assert_eq!(reads[0], (0, 256, false));
        assert_eq!(reads.last(), Some(&(768, 1004 - 768, false)));
    }

    #[test]
    fn wrong_le_6cxx_is_retried_with_the_exact_le() {
        let files = card_files();
        let mut chip = ScriptedChip::new(PastEnd::ExactLe, false, &files[..2]);
        let caps = read_all(&mut chip, ReadCaps::default(), &files[..2]);
        assert_eq!(caps.overread_ok, Some(true));
        // Per small file: SELECT, READ Le=256 → 6C16 / 6C5F, READ with that exact Le.
        assert_eq!(chip.log.len(), 6);
        assert_eq!(
            chip.reads(),
            vec![
                (0, 256, false),
                (0, 22, false),
                (0, 256, false),
                (0, 95, false)
            ]
        );
    }

    #[test]
    fn over_read_refused_with_6700_at_offset_0_falls_back_to_the_header_first() {
        let files = card_files();
        let mut chip = ScriptedChip::new(PastEnd::Refuse, false, &files);
        let caps = read_all(&mut chip, ReadCaps::default(), &files);
        assert_eq!(caps.overread_ok, Some(false), "the refusal is learnt");
        assert_eq!(caps.extended, None);
        let reads = chip.reads();
        // EF.COM: Le 256 refused, the 8-byte header, then exactly the 14 bytes left.
        assert_eq!(
            &reads[..3],
            &[(0, 256, false), (0, 8, false), (8, 14, false)]
        );
        // DG1 then starts with the header at once: no second refusal.
        assert_eq!(&reads[3..5], &[(0, 8, false), (8, 87, false)]);
        // COM 1+3, DG1 1+2, DG2 1+1+ceil(996/256)=4.
        assert_eq!(chip.log.len(), 4 + 3 + 6);
    }

    #[test]
    fn extended_le_refused_with_6700_marks_extended_unsupported_and_reads_on_short() {
        let files = card_files();
        let mut chip = ScriptedChip::new(PastEnd::EndOfFile, false, &files);
        let believed = ReadCaps {
            extended: Some(true),
            ..ReadCaps::default()
        };
        let caps = read_all(&mut chip, believed, &files);
        assert_eq!(caps.extended, Some(false));
        let reads = chip.reads();
        assert_eq!(
            reads[0],
            (0, 65536, true),
            "the first read asks for everything"
        );
        assert_eq!(reads[1], (0, 256, false), "then short reads");
        assert!(reads[1..].iter().all(|&(_, le, ext)| !ext && le <= 256));
        // One refused APDU, then the short minimum.
        assert_eq!(chip.log.len(), 1 + minimum(&files, 256));
    }

    #[test]
    fn extended_length_reads_each_file_in_one_read_binary() {
        let files = card_files();
        let mut chip = ScriptedChip::new(PastEnd::EndOfFile, true, &files);
        let caps = ReadCaps {
            extended: Some(true),
            ..ReadCaps::default()
        };
        let caps = read_all(&mut chip, caps, &files);
        assert_eq!(caps.extended, Some(true));
        assert_eq!(chip.log.len(), 2 * files.len());
        assert!(chip
            .reads()
            .iter()
            .all(|&(o, le, ext)| o == 0 && le == 65536 && ext));
    }

    #[test]
    fn probe_says_whether_extended_length_reaches_the_chip() {
        let mut short_only = ScriptedChip::new(PastEnd::EndOfFile, false, &[]);
        assert!(!probe_extended(&mut short_only).unwrap());
        let mut extended = ScriptedChip::new(PastEnd::EndOfFile, true, &[]);
        assert!(probe_extended(&mut extended).unwrap());
        assert!(extended.log[0].1, "the probe is sent extended");
    }

    #[test]
    fn caps_are_remembered_per_reader_and_card_type() {
        let reader = "reader.rs test reader";
        let atr = [0x3B, 0x88, 0x80, 0x01, 0x42];
        assert_eq!(ReadCaps::remembered(reader, &atr), ReadCaps::default());
        let learnt = ReadCaps {
            extended: Some(false),
            overread_ok: Some(false),
            max_le: Some(100),
            refused_le: Some(101),
        };
        learnt.remember(reader, &atr);
        assert_eq!(ReadCaps::remembered(reader, &atr), learnt);
        // Another card type on the same reader, or the same card on another reader: nothing known.
        assert_eq!(
            ReadCaps::remembered(reader, &[0x3B, 0x00]),
            ReadCaps::default()
        );
        assert_eq!(
            ReadCaps::remembered("another reader", &atr),
            ReadCaps::default()
        );
        // A later read replaces what was known.
        let relearnt = ReadCaps {
            extended: Some(true),
            ..learnt
        };
        relearnt.remember(reader, &atr);
        assert_eq!(ReadCaps::remembered(reader, &atr), relearnt);
    }

    /// One card read as `read_card` does it: probe extended length when nothing is
    /// known, read the files, remember what was learnt. Returns the APDUs it cost.
    fn read_card_on(reader: &str, atr: &[u8], past_end: PastEnd, extended: bool) -> usize {
        let files = card_files();
        let mut chip = ScriptedChip::new(past_end, extended, &files);
        let mut caps = ReadCaps::remembered(reader, atr);
        if caps.extended.is_none() {
            caps.extended = Some(probe_extended(&mut chip).unwrap());
        }
        read_all(&mut chip, caps, &files).remember(reader, atr);
        chip.log.len()
    }

    #[test]
    fn second_card_on_a_strict_reader_costs_fewer_apdus_with_remembered_caps() {
        let atr = [0x3B, 0x88, 0x80, 0x01, 0x07];
        let files = card_files();
        // A chip refusing over-reads (6700): the first card pays the probe and one
        // refused READ BINARY; the next starts with the header at once.
        let reader = "reader.rs strict reader";
        let first = read_card_on(reader, &atr, PastEnd::Refuse, false);
        let second = read_card_on(reader, &atr, PastEnd::Refuse, false);
        assert_eq!(first, 1 + 13, "the probe, then 4 + 3 + 6 as above");
        assert_eq!(second, 12, "no probe, no refusal: 3 + 3 + 6");
        // A chip answering 6282: the second card costs the minimum the sizes allow.
        let reader = "reader.rs lenient reader";
        let first = read_card_on(reader, &atr, PastEnd::EndOfFile, false);
        let second = read_card_on(reader, &atr, PastEnd::EndOfFile, false);
        assert_eq!(first, 1 + minimum(&files, 256), "the probe, once");
        assert_eq!(second, minimum(&files, 256));
        // Extended length: one READ BINARY per file once the probe has said so.
        let reader = "reader.rs extended reader";
        let first = read_card_on(reader, &atr, PastEnd::EndOfFile, true);
        let second = read_card_on(reader, &atr, PastEnd::EndOfFile, true);
        assert_eq!((first, second), (1 + 2 * files.len(), 2 * files.len()));
    }

    #[test]
    fn lying_header_is_truncated_naming_the_file_and_nothing_beyond_it_is_kept() {
        // DG13 says 0x7FFF00 value bytes; the file holds 300.
        let mut lying = vec![0x6D, 0x83, 0x7F, 0xFF, 0x00];
        lying.extend((0..300).map(|i| i as u8));
        let real = lying.len();
        let mut chip = ScriptedChip::new(PastEnd::EndOfFile, false, &[(0x010D, lying)]);
        let mut most = 0;
        let mut progress = |p: Progress| most = most.max(p.done);
        let mut fr = FileReader::new(&mut chip, ReadCaps::default(), Limits::PLAIN, &mut progress);
        match fr.read(0x010D) {
            Err(ReadError::Truncated {
                file,
                declared,
                got,
            }) => {
                assert_eq!(file, "DG13");
                assert_eq!(declared, 5 + 0x7FFF00);
                assert_eq!(got, real);
            }
            other => panic!("expected a truncated DG13, got {other:?}"),
        }
        assert!(most <= real, "{most} bytes held of a {real}-byte file");
    }

    #[test]
    fn malformed_header_is_named() {
        // Indefinite length (0x80) is not DER.
        let mut chip = ScriptedChip::new(
            PastEnd::EndOfFile,
            false,
            &[(DG1, vec![0x61, 0x80, 0x5F, 0x1F, 0x00, 0x00, 0x00])],
        );
        let mut progress = |_: Progress| {};
        let mut fr = FileReader::new(&mut chip, ReadCaps::default(), Limits::PLAIN, &mut progress);
        let err = fr.read(DG1).unwrap_err();
        assert!(
            matches!(err, ReadError::Header { ref file, .. } if file == "DG1"),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with("DG1: malformed header"),
            "{err}"
        );
    }
}
