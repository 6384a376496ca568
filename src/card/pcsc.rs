//! The PC/SC half of the transport: the only module that names the `pcsc` crate
//! (besides the hot-plug [`super::monitor`]).
//!
//! Readers named "Virtual PCD" (vsmartcard's vpcd, which the project's own chip
//! emulator uses) are skipped unless the caller allows them or names the reader
//! explicitly: a kiosk must never read a software card by accident.
//!
//! **Exclusive access for a read.** A card session is stateful: between BAC or
//! PACE and the last READ BINARY, one APDU from another client (a second
//! `cccd-kiosk read`, a middleware probing the card, `opensc-tool`) ends secure
//! messaging on the chip or shifts its send sequence counter, and the read fails
//! half-way (measured: a second read on a shared connection made the first end
//! with "EF.SOD: the chip answered 6700"). The usual guard is
//! `SCardBeginTransaction` for the whole session, but the pcsc crate's
//! `Card::transaction` returns a `Transaction<'_>` that borrows the `Card`
//! mutably, and a read takes its transport by value (`read_card(card: T)`, and the
//! kiosk's read worker gets an owned `Box<dyn CardTransport + Send>` from its
//! opener): a transport holding both the card and its transaction would borrow
//! from itself. So [`PcscTransport`] connects `SCARD_SHARE_EXCLUSIVE` instead: the
//! same guarantee for the connection's life, released by pcscd when the handle is
//! dropped or the process dies, with nothing to end by hand. Listing readers and
//! the hot-plug monitor (`SCardGetStatusChange`, also what `pcsc_scan` and
//! `doctor` use) do not connect and are not blocked. A connect that meets another
//! client's connection retries for [`BUSY_WAIT`], then fails with
//! [`TransportError::InUse`] (exit 5): a second read on the same reader waits for
//! the first or fails cleanly, and never touches its session.

use super::transport::{CardTransport, TransportError};
use pcsc::{Context, Protocols, Scope, ShareMode};
use std::ffi::CString;
use std::time::{Duration, Instant};

/// How long a connect waits for another client to let the card go.
pub const BUSY_WAIT: Duration = Duration::from_secs(3);

/// The name prefix vsmartcard's vpcd gives its readers.
pub const VIRTUAL_READER_PREFIX: &str = "Virtual PCD";

/// One reader as `cccd-kiosk readers` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReaderInfo {
    pub name: String,
    pub card_present: bool,
    /// ATR in hex, when a card is present.
    pub atr: Option<String>,
    pub virtual_reader: bool,
}

/// Which reader to use.
#[derive(Debug, Clone, Default)]
pub struct ReaderFilter {
    /// A substring of the reader name (`--reader`); an explicit name wins over every other rule.
    pub name_contains: Option<String>,
    /// Accept vpcd's virtual readers without being named (demo and test mode).
    pub allow_virtual: bool,
}

impl ReaderFilter {
    /// True when this reader may be used.
    pub fn accepts(&self, name: &str) -> bool {
        match &self.name_contains {
            Some(s) => name.to_lowercase().contains(&s.to_lowercase()),
            None => self.allow_virtual || !name.starts_with(VIRTUAL_READER_PREFIX),
        }
    }
}

fn map_err(e: pcsc::Error) -> TransportError {
    match e {
        pcsc::Error::NoReadersAvailable
        | pcsc::Error::UnknownReader
        | pcsc::Error::ReaderUnavailable => TransportError::NoReader(String::new()),
        pcsc::Error::NoSmartcard => TransportError::NoCard,
        pcsc::Error::RemovedCard => TransportError::CardRemoved,
        pcsc::Error::ResetCard => TransportError::CardReset,
        pcsc::Error::SharingViolation => TransportError::InUse("PC/SC sharing violation".into()),
        other => TransportError::Pcsc(other),
    }
}

/// Every reader pcscd knows, with card presence and ATR (like `pcsc_scan`).
pub fn list_readers() -> Result<Vec<ReaderInfo>, TransportError> {
    let ctx = Context::establish(Scope::User).map_err(map_err)?;
    let names = match ctx.list_readers_owned() {
        Ok(n) => n,
        Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
        Err(e) => return Err(map_err(e)),
    };
    let mut states: Vec<pcsc::ReaderState> = names
        .iter()
        .map(|n| pcsc::ReaderState::new(n.clone(), pcsc::State::UNAWARE))
        .collect();
    ctx.get_status_change(std::time::Duration::from_millis(0), &mut states)
        .map_err(map_err)?;
    Ok(states
        .iter()
        .map(|s| {
            let name = s.name().to_string_lossy().into_owned();
            let present = s.event_state().contains(pcsc::State::PRESENT);
            ReaderInfo {
                virtual_reader: name.starts_with(VIRTUAL_READER_PREFIX),
                atr: (present && !s.atr().is_empty()).then(|| hex::encode_upper(s.atr())),
                card_present: present,
                name,
            }
        })
        .collect())
}

/// A card connected through PC/SC.
pub struct PcscTransport {
    // The context must outlive the card handle.
    _ctx: Context,
    card: pcsc::Card,
    reader: String,
    atr: Vec<u8>,
    buf: Vec<u8>,
}

impl PcscTransport {
    /// Connect to the card on the first reader the filter accepts that holds a card.
    pub fn connect(filter: &ReaderFilter) -> Result<Self, TransportError> {
        let readers = list_readers()?;
        let candidates: Vec<&ReaderInfo> =
            readers.iter().filter(|r| filter.accepts(&r.name)).collect();
        if candidates.is_empty() {
            let why = match &filter.name_contains {
                Some(s) => format!(" matching \"{s}\""),
                None if readers.iter().any(|r| r.virtual_reader) => {
                    " (virtual readers are ignored; name one with --reader)".into()
                }
                None => String::new(),
            };
            return Err(TransportError::NoReader(why));
        }
        let reader = candidates
            .iter()
            .find(|r| r.card_present)
            .ok_or(TransportError::NoCard)?;
        Self::connect_to(&reader.name)
    }

    /// Connect to the card on a named reader, exclusively (module doc), T=0 or T=1;
    /// waits up to [`BUSY_WAIT`] while another client holds the card.
    pub fn connect_to(reader: &str) -> Result<Self, TransportError> {
        let ctx = Context::establish(Scope::User).map_err(map_err)?;
        let cname =
            CString::new(reader).map_err(|_| TransportError::NoReader(" (bad name)".into()))?;
        let started = Instant::now();
        let card = loop {
            match ctx.connect(&cname, ShareMode::Exclusive, Protocols::ANY) {
                Ok(card) => break card,
                Err(pcsc::Error::SharingViolation) if started.elapsed() < BUSY_WAIT => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(pcsc::Error::SharingViolation) => {
                    return Err(TransportError::InUse(format!(
                        "waited {} s",
                        BUSY_WAIT.as_secs()
                    )))
                }
                Err(e) => return Err(map_err(e)),
            }
        };
        let status = card.status2_owned().map_err(map_err)?;
        Ok(Self {
            atr: status.atr().to_vec(),
            _ctx: ctx,
            card,
            reader: reader.to_string(),
            buf: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        })
    }

    /// The reader's name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// The card's answer to reset.
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }
}

impl PcscTransport {
    /// `CardRemoved` when the card is no longer on the reader, else `other`.
    /// pcscd notices a removal on its next poll of the reader, so wait up to a
    /// second for its verdict rather than report a vague link failure.
    fn absent_or(&self, other: TransportError) -> TransportError {
        let mut states = [pcsc::ReaderState::new(
            self.reader_cstr(),
            pcsc::State::UNAWARE,
        )];
        let deadline = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < deadline {
            match self.card.status2_owned() {
                Ok(s) if s.status().contains(pcsc::Status::PRESENT) => {}
                _ => return TransportError::CardRemoved,
            }
            if self
                ._ctx
                .get_status_change(Duration::from_millis(250), &mut states)
                .is_ok()
            {
                if !states[0].event_state().contains(pcsc::State::PRESENT) {
                    return TransportError::CardRemoved;
                }
                states[0].sync_current_state();
            }
        }
        other
    }

    fn reader_cstr(&self) -> CString {
        CString::new(self.reader.as_str()).unwrap_or_default()
    }
}

impl CardTransport for PcscTransport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        tracing::trace!(target: "sensitive", "> {}", hex::encode(apdu));
        let r = match self.card.transmit(apdu, &mut self.buf) {
            Ok(r) if r.len() >= 2 => r.to_vec(),
            // Some drivers (vpcd among them) answer nothing when the card left mid-command:
            // ask pcscd whether it is still there, so the user hears "card removed".
            Ok(_) => {
                return Err(self.absent_or(TransportError::Io(
                    "the reader returned no status word".into(),
                )))
            }
            Err(e) => return Err(self.absent_or(map_err(e))),
        };
        tracing::trace!(target: "sensitive", "< {}", hex::encode(&r));
        Ok(r)
    }
}
