//! The "5 rõ" campaign tracker (issue 6; DESIGN "Tracker CSV files", decisions
//! "Tracker counting" and "Storage"): units, targets, the residents roster, tasks,
//! and the daily and weekly reports, in the queue's own SQLite database
//! (migration 3) so the numbers come straight from the activation records.
//!
//! Layers: [`csv_io`] (reading and writing CSV), [`units`], [`targets`] (and the
//! campaign), [`roster`], [`tasks`] (model and imports), [`done`] (which records
//! count), [`progress`] (pure arithmetic), [`report`] (CSV, Markdown, HTML) and
//! [`cli`] (`cccd-kiosk tracker …`). The supervisor / officer screens are egui
//! views, not yet wired into the kiosk app: [`dashboard`], [`roster_view`]
//! (search, filters, home visits), [`tasks_view`], bundled by [`screens`].
//!
//! # CSV files
//!
//! UTF-8 with or without a byte-order mark, LF or CRLF, comma separated, quotes
//! per RFC 4180, a header row. Columns are matched by name (any order); a missing
//! or unknown column stops the import before any row is read, with one message
//! naming every such column. Written files (reports) are UTF-8 with a BOM and CRLF
//! so Excel opens them with the Vietnamese letters right.
//!
//! | file | columns | notes |
//! |---|---|---|
//! | `units.csv` | `code,name,level,parent_code` | level `province \| district \| commune \| village \| organisation`; a territorial unit's parent is a unit of a higher level (empty for the root); an organisation's parent is the unit (or organisation) it belongs to, never empty; `TOTAL` is reserved |
//! | `targets.csv` | `unit_code,target,deadline[,service]` | target a whole number ≥ 0; deadline `YYYY-MM-DD` (the last day that counts); service `eid_level2` (default) or `card_application` |
//! | `roster.csv` | `id_number,full_name,date_of_birth,sex,unit_code,address,classification,officer_id` | 12-digit ID number; date `YYYY-MM-DD` (or `YYYY` when only the year is known); sex `Nam`/`Nữ` (`M`/`F`); classification `present \| other_province \| working_away \| unknown \| home_visit`; officer may be empty (not yet assigned) |
//! | report | `unit_code,unit_name,level,target,done_day,done_total,remaining,deadline,needed_per_day,status` | one row per unit, parents before children, then `TOTAL` |
//!
//! Imports: `cccd-kiosk tracker import-units|import-targets|import-roster FILE`.
//! Import units first (targets and the roster name them). A bad row is reported
//! with its line number and reason (unknown unit, bad date, bad level, bad
//! classification, bad ID number, duplicate in the file …); the good rows still
//! load; the whole import is ONE transaction, so nothing is ever half-loaded.
//! Re-importing updates by key (unit code; unit and service; the citizen's ID
//! number), so importing the same file twice changes nothing.
//!
//! # Counting
//!
//! - **Done** = an activation record that is queued, exported or accepted (not
//!   rejected), counted once per citizen (the keyed ID index) and service. A
//!   correction replaces the record it corrects: the newest record of a chain
//!   counts, with its status, service, unit and organisation, on the day (and for
//!   the officer) of the chain's first record. A citizen served twice for the same
//!   service counts once, on the first day.
//! - A record counts for its territorial unit and rolls up to every territorial
//!   parent. A record tagged with an organisation (`records.org_code`) also
//!   counts for that organisation (and rolls up to parent organisations), but an
//!   organisation's row never rolls into a territorial row: no double counting.
//!   `TOTAL` is the territorial root (with several roots, their sum).
//! - A day runs 00:00–24:00 local time (the kiosk's offset stored with each
//!   record). `--day D`: `done_day` = done on D. `--week D`: the Monday–Sunday week
//!   containing D, `done_day` = done in that week. `done_total` = done up to the
//!   end of the period. Days left, pace and status are as of D.
//! - **Target and deadline**: a unit's own row in `targets.csv` for the service;
//!   without one, the sum of its (same-kind) children's targets and the latest of
//!   their deadlines; without either, the unit has no target and its target,
//!   remaining, deadline, needed_per_day and status cells are empty.
//! - `remaining = max(0, target − done_total)`; `needed_per_day =
//!   ceil(remaining / days left)` where days left = deadline − D + 1 (D counts: the
//!   teams work until 22:00); once the deadline has passed, `needed_per_day` is all
//!   of `remaining`.
//! - **Pace so far** = done_total ÷ days elapsed, days elapsed = D − start + 1, start
//!   = the campaign's first day (`tracker campaign`), else the first day anything
//!   was done. **Forecast** = the day the target is reached at that pace (D counts
//!   as a working day); for a unit already done, the day it got there.
//! - **Status**: `done` when done_total ≥ target (even after the deadline); else
//!   `late` when D is after the deadline; else `on_track` when the forecast is on
//!   or before the deadline (equivalently: pace so far ≥ remaining ÷ days left);
//!   else `at_risk` (also when nothing is done yet: no pace, no forecast).
//! - **Emulation ranking** (thi đua), among units of the same level that have a
//!   target: units that reached their target first, the earlier completion day
//!   ranking higher; then by share of target done (done_total ÷ target), higher
//!   first. Equal keys share a rank (1, 2, 2, 4).
//! - Records whose unit code is not in `units.csv` are listed under the report
//!   (never silently dropped), and do not count in `TOTAL`.
//!
//! # Roster
//! Personal fields sealed with the kiosk's data key; matched to records by the
//! same keyed hash of the ID number as `records.id_index`, so "served" needs no
//! decryption (see [`roster`]). An entry is served when a record of any service,
//! counted as done above, carries its ID number. Search is diacritics-insensitive
//! ("nguyen van a" finds "Nguyễn Văn A"; đ→d), in memory after decrypting once.

pub mod cli;
pub mod csv_io;
pub mod dashboard;
pub mod done;
pub mod progress;
pub mod report;
pub mod roster;
pub mod roster_view;
pub mod screens;
pub mod targets;
pub mod tasks;
pub mod tasks_view;
pub mod units;

use crate::queue::seal::SealError;
use crate::queue::StoreError;
use chrono::NaiveDate;
use serde::Serialize;

pub use csv_io::{CsvError, RowError};
pub use progress::{Period, Progress, UnitProgress, UnitStatus};
pub use roster::{Classification, RosterEntry, RosterIndex, RosterQuery};
pub use targets::{Campaign, Target};
pub use units::{Level, Unit, UnitTree};

/// Why a tracker operation failed as a whole (row problems are [`RowError`]s in
/// an [`ImportReport`], not errors).
#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    /// The file could not be used at all (header, encoding); nothing was imported.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// Opening the queue database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// SQLite refused; the transaction was rolled back.
    #[error("tracker database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Sealing or opening roster data failed (wrong key, altered data).
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Stored tracker data fails its own checks.
    #[error("tracker data damaged: {0}")]
    Damaged(String),
    /// An argument is wrong; names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The argument.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The file, as given.
    pub file: String,
    /// Rows new to the database.
    pub inserted: usize,
    /// Rows that replaced an earlier import's (same key).
    pub updated: usize,
    /// Rows refused, by line.
    pub rejected: Vec<RowError>,
}

/// Parse a `YYYY-MM-DD` date; the message says what is wrong.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let t = s.trim();
    if t.len() != 10 {
        return Err(format!("{t:?} is not a date YYYY-MM-DD"));
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| format!("{t:?} is not a date YYYY-MM-DD"))
}
