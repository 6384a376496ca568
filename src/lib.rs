//! cccd-kiosk: read and verify the chip of a Vietnamese citizen identity card
//! (CCCD / thẻ Căn cước) through PC/SC, and queue activation records offline.
//!
//! The layout follows `DESIGN.md`: `card` holds everything between a PC/SC
//! reader and a parsed, verified card; `cli` the fixed command-line contract.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

pub mod application;
pub mod camera;
pub mod card;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod logging;
pub mod queue;
pub mod ui;
