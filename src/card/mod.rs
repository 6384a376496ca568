//! Everything between a PC/SC reader and a parsed, verified card.
//!
//! Layers, each blind to the one below (after openpgp-card and JMRTD):
//! `pcsc` (the only file that names the `pcsc` crate) → [`transport::CardTransport`]
//! → [`apdu`] / [`tlv`] → access control ([`bac`], secure messaging [`sm`], itself a
//! transport) → [`reader`] (files) → [`lds`] (data groups) → [`passive_auth`].

pub mod access_key;
pub mod apdu;
pub mod bac;
pub mod chip_auth;
pub mod emulator;
pub mod lds;
pub mod monitor;
pub mod pace;
pub mod passive_auth;
pub mod pcsc;
pub mod read;
pub mod reader;
pub mod sm;
pub mod tlv;
pub mod transport;
