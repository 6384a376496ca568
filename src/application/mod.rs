//! Card applications and appointments, offline (issue 9): the 9 online steps of a
//! CCCD application (Như Thanh's letter, `shared/context/004_…`) done at the kiosk
//! with the officer beside the citizen, for citizens whose card is missing, lost,
//! damaged, expiring or never issued.
//!
//! Layers, each usable by the kiosk screens without the others:
//! [`vietnamese_input`] (Telex/VNI for the on-screen keyboard), [`fields`]
//! (typed fields, procedures and reasons), [`calendar`] (appointment slots in the
//! queue database), [`renewal`] (offer a renewal from a chip read), [`record`]
//! (the application record in the queue), [`draft`] (the steps as the screens
//! collect them; nothing is stored before the citizen confirms), [`desk`] (the
//! one object the screens hold) and [`cli`] (`cccd-kiosk appointments`).

pub mod calendar;
pub mod cli;
pub mod desk;
pub mod draft;
pub mod fields;
pub mod record;
pub mod renewal;
pub mod vietnamese_input;
