//! The Logical Data Structure (ICAO 9303-10): one type per file, one file each.

pub mod com;
pub mod dg1;
pub mod dg13;
pub mod dg14;
pub mod dg15;
pub mod dg2;
pub mod error;
pub mod sod;
