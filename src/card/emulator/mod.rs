//! An ICAO 9303 chip in software, personalised from a [`profile::CitizenProfile`]:
//! served in-process as a [`CardTransport`] or to pcscd through vpcd
//! (`cccd-kiosk virtual-card`). Tests, `make demo` and the benchmarks use it.

pub mod chip;
pub mod personalise;
pub mod pki;
pub mod profile;
pub mod vpcd;

use crate::card::transport::{CardTransport, TransportError};
use chip::Chip;

/// A software chip answering in-process, for unit tests and `simulate`.
pub struct InProcessCard {
    pub chip: Chip,
}

impl CardTransport for InProcessCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.chip.removed() {
            return Err(TransportError::CardRemoved);
        }
        let r = self.chip.process(apdu);
        if self.chip.removed() {
            return Err(TransportError::CardRemoved);
        }
        Ok(r)
    }
}
