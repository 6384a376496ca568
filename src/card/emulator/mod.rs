//! An ICAO 9303 chip in software, personalised from a [`profile::CitizenProfile`].
//! (in progress)

pub mod profile;
pub mod pki;
