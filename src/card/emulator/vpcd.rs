//! Serve a software chip to pcscd through vsmartcard's vpcd driver, so the
//! PC/SC code path under test is the real one.
//!
//! The vpcd protocol (vsmartcard `virtualsmartcard/src/vpcd`): the virtual card
//! connects to the driver's TCP port; every message is a 2-byte big-endian
//! length and a payload. A 1-byte payload is a control code (0 power off,
//! 1 power on, 2 reset, 4 ask for the ATR); anything longer is a command APDU,
//! answered by a response APDU. Closing the socket is pulling the card out.

use super::chip::Chip;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const POWER_OFF: u8 = 0;
const POWER_ON: u8 = 1;
const RESET: u8 = 2;
const GET_ATR: u8 = 4;

/// How a vpcd session ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// pcscd closed the link (daemon stopped).
    Closed,
    /// The chip's fault injection pulled the card out.
    Removed,
}

/// Connect to vpcd on `host:port`, retrying for up to `wait` (pcscd may still be starting).
pub fn connect(host: &str, port: u16, wait: Duration) -> io::Result<TcpStream> {
    let start = Instant::now();
    loop {
        match TcpStream::connect((host, port)) {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) if start.elapsed() >= wait => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Answer vpcd until the link closes or the chip is pulled out.
pub fn serve(chip: &mut Chip, stream: &mut TcpStream) -> io::Result<Ended> {
    loop {
        let mut len = [0u8; 2];
        // vpcd sends the length and the APDU in two writes; acknowledging at once
        // keeps Nagle on its side from holding the APDU for our delayed ACK (~40 ms).
        let _ = socket2::SockRef::from(&*stream).set_tcp_quickack(true);
        match stream.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Ended::Closed),
            Err(e) => return Err(e),
        }
        let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
        let _ = socket2::SockRef::from(&*stream).set_tcp_quickack(true);
        stream.read_exact(&mut msg)?;
        let reply = match msg.as_slice() {
            [POWER_OFF] | [POWER_ON] | [RESET] => {
                chip.reset();
                continue;
            }
            [GET_ATR] => Chip::atr(),
            [_] => continue,
            apdu => chip.process(apdu),
        };
        if chip.removed() {
            stream.shutdown(std::net::Shutdown::Both)?;
            return Ok(Ended::Removed);
        }
        let n =
            u16::try_from(reply.len()).map_err(|_| io::Error::other("reply too long for vpcd"))?;
        let mut framed = Vec::with_capacity(reply.len() + 2);
        framed.extend_from_slice(&n.to_be_bytes());
        framed.extend_from_slice(&reply);
        stream.write_all(&framed)?;
    }
}
