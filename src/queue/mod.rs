//! The durable, encrypted queue of activation records (issue 5; DESIGN.md
//! "Activation record (queue)", "End-of-day export bundle", decisions "Storage"
//! and "Export bundle").
//!
//! Layers: [`record`] (what a record is, validation), [`phone`] and [`receipt`]
//! (the two things an officer types or reads aloud), [`seal`] (keys, AEAD, keyed
//! index), [`migrations`] and [`store`] (SQLite), [`export`] (bundle, verify,
//! results import) and [`cli`] (`cccd-kiosk queue …`); [`simulate`] plays a
//! campaign day through the kiosk's pipeline into the queue.

pub mod cli;
pub mod export;
pub mod migrations;
pub mod phone;
pub mod receipt;
pub mod record;
pub mod seal;
pub mod simulate;
pub mod sink;
pub mod store;

pub use record::{
    ActivationRecord, CardData, Consent, Contact, Guardian, LivePhoto, Mode, NewActivation,
    RecordId, RecordSummary, Service, Status,
};
pub use store::{Store, StoreError};
