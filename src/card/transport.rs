//! The one seam between protocol code and whatever carries APDUs: a PC/SC reader
//! ([`super::pcsc::PcscTransport`]), the in-process emulator, or secure messaging
//! wrapping either ([`super::sm::SecureMessaging`] is itself a transport).

use super::apdu::{ApduError, Command, Response, StatusWord};
use thiserror::Error;

/// Why an APDU did not make it to the card and back.
#[derive(Debug, Error)]
pub enum TransportError {
    /// No PC/SC reader (or none matching the filter).
    #[error("no card reader found{0}")]
    NoReader(String),
    /// A reader, but no card on it.
    #[error("no card on the reader")]
    NoCard,
    /// The card left the field or was pulled out mid-exchange.
    #[error("the card was removed")]
    CardRemoved,
    /// Another application holds the card (PC/SC sharing violation) and did not let
    /// it go while the reader waited.
    #[error("the card is in use by another application ({0}); close it and try again")]
    InUse(String),
    /// The card was reset by another application; reconnect and start over.
    #[error("the card was reset")]
    CardReset,
    /// pcscd not running, a reader unplugged, or any other PC/SC failure.
    #[error(transparent)]
    Pcsc(#[from] pcsc::Error),
    /// The reply was not a well-formed APDU.
    #[error(transparent)]
    Apdu(#[from] ApduError),
    /// Secure messaging: the reply's MAC or structure is wrong; the session is over.
    #[error("secure messaging: {0}")]
    SecureMessaging(String),
    /// A command was not answered in time or the emulator's link broke.
    #[error("communication: {0}")]
    Io(String),
}

/// Sends one command APDU and returns the raw response (data + SW1 SW2).
pub trait CardTransport {
    /// Exchange raw APDU bytes.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: CardTransport + ?Sized> CardTransport for &mut T {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
}

impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
}

/// Send a command and collect its response, following 61xx (GET RESPONSE) and
/// 6Cxx (resend with the exact Le) as T=0 readers and some chips require.
pub fn exchange<T: CardTransport + ?Sized>(
    t: &mut T,
    cmd: &Command,
) -> Result<Response, TransportError> {
    let resp = exchange_once(t, cmd)?;
    if let StatusWord::WrongLe(n) = resp.sw {
        let exact = if n == 0 { 256 } else { n as usize };
        return exchange_once(t, &cmd.clone().with_le(exact));
    }
    Ok(resp)
}

/// Send a command once, following only 61xx with GET RESPONSE. Secure messaging
/// uses this for its protected commands: resending one (as a 6Cxx retry would)
/// reuses its send sequence counter, so the plain layer above does the retry.
pub fn exchange_once<T: CardTransport + ?Sized>(
    t: &mut T,
    cmd: &Command,
) -> Result<Response, TransportError> {
    let mut resp = Response::parse(&t.transmit(&cmd.to_bytes()?)?)?;
    let mut data = std::mem::take(&mut resp.data);
    while let StatusWord::BytesAvailable(n) = resp.sw {
        let get = Command::new(
            cmd.cla & 0xF0, /* keep no SM bits */
            0xC0,           /* GET RESPONSE */
            0,
            0,
        )
        .with_le(if n == 0 { 256 } else { n as usize });
        resp = Response::parse(&t.transmit(&get.to_bytes()?)?)?;
        data.extend_from_slice(&resp.data);
    }
    resp.data = data;
    Ok(resp)
}

/// Counts APDUs and bytes through a transport, for `stats` in the JSON and the benchmarks.
pub struct Counting<T> {
    pub inner: T,
    pub apdus: usize,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

impl<T> Counting<T> {
    /// Wrap a transport with zeroed counters.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            apdus: 0,
            bytes_sent: 0,
            bytes_received: 0,
        }
    }
}

impl<T: CardTransport> CardTransport for Counting<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.apdus += 1;
        self.bytes_sent += apdu.len();
        let r = self.inner.transmit(apdu)?;
        self.bytes_received += r.len();
        Ok(r)
    }
}
