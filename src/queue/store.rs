//! The queue's SQLite store (DESIGN "Storage"; STYLE "Storage").
//!
//! Durability: the threat is **power loss** — a commune hall's power goes, a
//! laptop runs flat — not only a killed process. So every connection runs WAL with
//! `synchronous=FULL`: each commit fsyncs the WAL before returning, so a record
//! the kiosk told the citizen is saved (receipt shown) survives the power cut.
//! `NORMAL` in WAL mode stays consistent but may lose the last commits on power
//! loss, which a SIGKILL test cannot show (the OS still flushes its cache). The
//! price, measured by `benches/queue.rs` (append with a 23 KB photo, release):
//! 1,519 records/s with `FULL` against 1,957 with `NORMAL`, about 0.15 ms more per
//! record (figures in the README) — a kiosk writes a record every minute or two, so
//! FULL costs nothing a person notices.
//!
//! - A record and its photo are one transaction; records are append-only
//!   (triggers in migration 2); corrections are new records that name the old.
//! - A database newer than this binary is refused, never downgraded.
//! - Corruption: the database (and its -wal/-shm) is renamed to
//!   `*.corrupt-<timestamp>` and opening fails with an error that tells the
//!   officer. Never deleted: it may hold records not yet exported, which a data
//!   recovery can still get out.
//! - Personal fields and the photo are sealed ([`super::seal`]); the plaintext
//!   columns hold ids, times, officer, unit, service, verdict, status: what lists,
//!   stats and the tracker need without the key.

use super::migrations::{migrations, LATEST};
use super::receipt::Receipt;
use super::record::{
    ActivationRecord, Mode, NewActivation, Personal, RecordError, RecordId, RecordSummary, Service,
    Status,
};
use super::seal::{self, Keys, SealError};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "queue.sqlite3";

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory or a file in it could not be used.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// SQLite refused (disk full, locked, constraint).
    #[error("queue database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A migration failed (the database is left at its old version).
    #[error("queue database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The database was written by a newer cccd-kiosk.
    #[error("queue database {path} has schema version {found}, this cccd-kiosk knows up to {supported}: install the newer version; the database was not touched")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: usize,
    },
    /// The database is damaged; it was moved aside, not deleted.
    #[error("the queue database was damaged ({detail}); it was moved to {moved_to} and NOT deleted — do not delete it, call the supervisor: records not yet exported may be recovered from it")]
    Corrupt { moved_to: PathBuf, detail: String },
    /// Keys or sealed data.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The record handed over is not valid; names the field.
    #[error(transparent)]
    Invalid(#[from] RecordError),
    /// No record with this id.
    #[error("record {0}: not in the queue")]
    NotFound(RecordId),
    /// A stored record fails its own checks (photo hash, JSON).
    #[error("record {id}: {what}")]
    Damaged { id: String, what: String },
    /// The database exists but its key file is gone: making a new key would orphan every record.
    #[error("{key}: missing, but {db} exists — its records cannot be read without the key; restore the key file from backup (a new key is NOT made)")]
    KeyMissing { key: PathBuf, db: PathBuf },
    /// The supervisor passphrase is wrong or not set.
    #[error("supervisor passphrase: {0}")]
    Passphrase(&'static str),
}

/// `synchronous` setting; [`Synchronous::Full`] in production (see module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// fsync the WAL at every commit: survives power loss.
    Full,
    /// fsync at checkpoints only: for the benchmark's comparison.
    Normal,
}

/// The queue: one SQLite database and the kiosk's keys.
pub struct Store {
    conn: Connection,
    keys: Keys,
    path: PathBuf,
}

/// Selects records for [`Store::list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only records with this status.
    pub status: Option<Status>,
    /// Only records of this export batch.
    pub batch_id: Option<String>,
}

/// Counts for the supervisor: per status, and per day, officer and unit by status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// All records.
    pub total: u64,
    /// Status → count.
    pub by_status: BTreeMap<String, u64>,
    /// Local day (YYYY-MM-DD) → status → count.
    pub by_day: BTreeMap<String, BTreeMap<String, u64>>,
    /// Officer → status → count.
    pub by_officer: BTreeMap<String, BTreeMap<String, u64>>,
    /// Unit → status → count.
    pub by_unit: BTreeMap<String, BTreeMap<String, u64>>,
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

fn migration_corruption(e: &rusqlite_migration::Error) -> bool {
    matches!(e, rusqlite_migration::Error::RusqliteError { err, .. } if is_corruption(err))
}

enum OpenFailure {
    Corrupt(String),
    Other(StoreError),
}

impl From<rusqlite::Error> for OpenFailure {
    fn from(e: rusqlite::Error) -> Self {
        if is_corruption(&e) {
            OpenFailure::Corrupt(e.to_string())
        } else {
            OpenFailure::Other(e.into())
        }
    }
}

const SUMMARY_COLUMNS: &str =
    "id, receipt, created_at, kiosk_id, officer_id, unit_code, mode, service, verdict, corrects, status, status_reason, batch_id";

fn text_col<T: std::str::FromStr>(row: &Row, i: usize) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let s: String = row.get(i)?;
    s.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) fn summary_from_row(row: &Row) -> rusqlite::Result<RecordSummary> {
    let created: String = row.get(2)?;
    let created_at = DateTime::parse_from_rfc3339(&created).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let corrects: Option<String> = row.get(9)?;
    Ok(RecordSummary {
        id: text_col(row, 0)?,
        receipt: row.get(1)?,
        created_at,
        kiosk_id: row.get(3)?,
        officer_id: row.get(4)?,
        unit_code: row.get(5)?,
        mode: text_col::<Mode>(row, 6)?,
        service: text_col::<Service>(row, 7)?,
        verdict: row.get(8)?,
        corrects: corrects
            .map(|c| c.parse())
            .transpose()
            .map_err(|e: RecordError| {
                rusqlite::Error::FromSqlConversionFailure(
                    9,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
        status: text_col::<Status>(row, 10)?,
        status_reason: row.get(11)?,
        batch_id: row.get(12)?,
    })
}

/// A receipt code no record in the queue has yet (drawn inside the inserting
/// transaction, by [`Store::insert_record`]).
fn fresh_receipt(tx: &rusqlite::Connection) -> Result<Receipt, StoreError> {
    let mut rng = rand::thread_rng();
    loop {
        let r = Receipt::random(&mut rng);
        let taken: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM records WHERE receipt = ?1)",
            [r.as_str()],
            |row| row.get(0),
        )?;
        if !taken {
            return Ok(r);
        }
    }
}

/// One new row of `records` ([`Store::insert_record`]): the plaintext columns,
/// the keyed hashes and the sealed personal part, already built by the caller.
pub(crate) struct NewRow<'a> {
    pub id: RecordId,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub kiosk_id: &'a str,
    pub officer_id: &'a str,
    pub unit_code: &'a str,
    pub mode: super::record::Mode,
    pub service: super::record::Service,
    /// The chip's verdict, or `not_read` for an application without one.
    pub verdict: &'a str,
    /// Keyed hash the tracker counts the citizen by.
    pub id_index: [u8; 32],
    pub phone_index: Option<[u8; 32]>,
    pub corrects: Option<RecordId>,
    /// The sealed personal JSON.
    pub sealed: &'a [u8],
    pub org_code: Option<&'a str>,
}

/// Associated data binding a sealed blob to its record and role.
pub(crate) fn aad(role: &str, id: &RecordId) -> Vec<u8> {
    format!("{role}:{id}").into_bytes()
}

impl Store {
    /// Open (creating on first use) the queue in `data_dir`, with `synchronous=FULL`.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Self::open_with(data_dir, Synchronous::Full)
    }

    /// Open with a chosen `synchronous` level; only the benchmark uses `Normal`.
    pub fn open_with(data_dir: &Path, sync: Synchronous) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        let key = data_dir.join(seal::KEY_FILE);
        if path.exists() && !key.exists() {
            return Err(StoreError::KeyMissing { key, db: path });
        }
        let keys = Keys::load_or_create(data_dir)?;
        match Self::open_db(&path, sync) {
            Ok(conn) => Ok(Store { conn, keys, path }),
            Err(OpenFailure::Other(e)) => Err(e),
            Err(OpenFailure::Corrupt(detail)) => Err(Self::move_aside(&path, detail)),
        }
    }

    fn open_db(path: &Path, sync: Synchronous) -> Result<Connection, OpenFailure> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OpenFailure::Corrupt(format!(
                "journal mode {mode} instead of wal"
            )));
        }
        conn.pragma_update(
            None,
            "synchronous",
            if sync == Synchronous::Full {
                "FULL"
            } else {
                "NORMAL"
            },
        )?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(OpenFailure::Corrupt(check));
        }
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > LATEST as i64 {
            return Err(OpenFailure::Other(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                supported: LATEST,
            }));
        }
        migrations().to_latest(&mut conn).map_err(|e| {
            if migration_corruption(&e) {
                OpenFailure::Corrupt(e.to_string())
            } else {
                OpenFailure::Other(e.into())
            }
        })?;
        Ok(conn)
    }

    fn move_aside(path: &Path, detail: String) -> StoreError {
        let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
        let moved_to = PathBuf::from(format!("{}.corrupt-{stamp}", path.display()));
        for suffix in ["-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", path.display()));
            if from.exists() {
                let _ = std::fs::rename(&from, format!("{}{suffix}", moved_to.display()));
            }
        }
        if let Err(source) = std::fs::rename(path, &moved_to) {
            return StoreError::Io {
                path: path.to_path_buf(),
                source,
            };
        }
        tracing::error!(
            "queue database damaged ({detail}); moved to {}",
            moved_to.display()
        );
        StoreError::Corrupt { moved_to, detail }
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append a record and its photo in one transaction; returns its id.
    pub fn append(&mut self, new: &NewActivation) -> Result<RecordId, StoreError> {
        let tx = self.conn.transaction()?;
        let id = Self::insert(&self.keys, &tx, new)?;
        tx.commit()?;
        Ok(id)
    }

    /// Append many records in ONE transaction (all or none): bulk loads such as the
    /// simulator and the tracker's benchmark, where a commit (an fsync) per record
    /// would dominate. Each record is validated as by [`Store::append`].
    /// Takes an iterator so a large load need not hold every record in memory.
    pub fn append_batch<I>(&mut self, news: I) -> Result<Vec<RecordId>, StoreError>
    where
        I: IntoIterator,
        I::Item: std::borrow::Borrow<NewActivation>,
    {
        let tx = self.conn.transaction()?;
        let ids = news
            .into_iter()
            .map(|n| Self::insert(&self.keys, &tx, std::borrow::Borrow::borrow(&n)))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(ids)
    }

    fn insert(keys: &Keys, tx: &Connection, new: &NewActivation) -> Result<RecordId, StoreError> {
        new.validate()?;
        let id = RecordId::new_v7();
        let photo_sha: [u8; 32] = Sha256::digest(&new.live_photo.jpeg).into();
        let personal = Personal {
            card: new.card.clone(),
            live_photo: new.live_photo.clone(),
            live_photo_sha256: photo_sha,
            contact: new.contact.clone(),
            consent: new.consent.clone(),
        };
        let json = zeroize::Zeroizing::new(serde_json::to_vec(&personal).map_err(|e| {
            StoreError::Damaged {
                id: id.to_string(),
                what: e.to_string(),
            }
        })?);
        let sealed = keys.seal(&aad("record", &id), &json)?;
        let photo = keys.seal(&aad("photo", &id), &new.live_photo.jpeg)?;
        let id_index = keys.index("id_number", new.card.id_number()?);
        let phone_index = new.contact.phone().map(|p| keys.index("phone", p.as_str()));
        Self::insert_record(
            tx,
            &NewRow {
                id,
                created_at: new.created_at,
                kiosk_id: &new.kiosk_id,
                officer_id: &new.officer_id,
                unit_code: &new.unit_code,
                mode: new.mode,
                service: new.service,
                verdict: new.card.verdict(),
                id_index,
                phone_index,
                corrects: new.corrects,
                sealed: &sealed,
                org_code: new.org_code.as_deref(),
            },
        )?;
        tx.execute(
            "INSERT INTO photos (record_id, jpeg) VALUES (?1, ?2)",
            params![id.to_string(), photo],
        )?;
        Ok(id)
    }

    /// Insert one row of `records` inside the caller's transaction: the one
    /// place a record is written, for activations ([`Store::append`]) and card
    /// applications (`application::record::submit`). Checks that the record it
    /// corrects is in this queue, draws a receipt no record has yet, and returns
    /// it. Nothing is committed here: the caller commits with its other rows
    /// (the photo, the appointment) or drops the transaction.
    pub(crate) fn insert_record(tx: &Connection, row: &NewRow<'_>) -> Result<Receipt, StoreError> {
        if let Some(old) = &row.corrects {
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM records WHERE id = ?1)",
                [old.to_string()],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(RecordError::Invalid {
                    field: "corrects".into(),
                    message: format!("record {old} is not in this queue"),
                }
                .into());
            }
        }
        let receipt = fresh_receipt(tx)?;
        tx.execute(
            "INSERT INTO records (id, receipt, created_at, created_at_utc, kiosk_id, officer_id, unit_code, mode, service,
                                  verdict, id_index, phone_index, corrects, personal, org_code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                row.id.to_string(),
                receipt.as_str(),
                row.created_at.to_rfc3339_opts(SecondsFormat::Millis, false),
                row.created_at.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Millis, true),
                row.kiosk_id,
                row.officer_id,
                row.unit_code,
                row.mode.as_str(),
                row.service.as_str(),
                row.verdict,
                row.id_index.to_vec(),
                row.phone_index.map(|p| p.to_vec()),
                row.corrects.map(|c| c.to_string()),
                row.sealed,
                row.org_code,
            ],
        )?;
        Ok(receipt)
    }

    /// Records without personal data, oldest first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<RecordSummary>, StoreError> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM records
             WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR batch_id = ?2) ORDER BY seq"
        ))?;
        let rows = st.query_map(
            params![filter.status.map(Status::as_str), filter.batch_id],
            summary_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One record, decrypted, with its photo checked against its hash.
    pub fn get(&self, id: RecordId) -> Result<ActivationRecord, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {SUMMARY_COLUMNS}, personal, (SELECT jpeg FROM photos WHERE record_id = records.id) FROM records WHERE id = ?1"),
                [id.to_string()],
                |r| Ok((summary_from_row(r)?, r.get::<_, Vec<u8>>(13)?, r.get::<_, Option<Vec<u8>>>(14)?)),
            )
            .optional()?
            .ok_or(StoreError::NotFound(id))?;
        let (summary, sealed, photo) = row;
        let personal = self.open_personal(&id, &sealed, photo.as_deref())?;
        Ok(ActivationRecord { summary, personal })
    }

    pub(crate) fn open_personal(
        &self,
        id: &RecordId,
        sealed: &[u8],
        photo: Option<&[u8]>,
    ) -> Result<Personal, StoreError> {
        let mut personal = self.open_record(id, sealed)?;
        let photo = photo.ok_or_else(|| StoreError::Damaged {
            id: id.to_string(),
            what: "photo missing".into(),
        })?;
        let jpeg = self.open_photo(id, photo)?;
        if <[u8; 32]>::from(Sha256::digest(jpeg.as_slice())) != personal.live_photo_sha256 {
            return Err(StoreError::Damaged {
                id: id.to_string(),
                what: "photo does not match its SHA-256".into(),
            });
        }
        personal.live_photo.jpeg = jpeg.to_vec();
        Ok(personal)
    }

    /// The personal part alone, photo not opened: the export's second pass (its
    /// first pass checked every photo against its hash).
    pub(crate) fn open_record(&self, id: &RecordId, sealed: &[u8]) -> Result<Personal, StoreError> {
        let json = self.keys.open(&aad("record", id), sealed)?;
        serde_json::from_slice(&json).map_err(|e| StoreError::Damaged {
            id: id.to_string(),
            what: format!("personal data: {e}"),
        })
    }

    /// A photo alone, decrypted (the caller checks it against the record's hash).
    pub(crate) fn open_photo(
        &self,
        id: &RecordId,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
        Ok(self.keys.open(&aad("photo", id), sealed)?)
    }

    /// Counts per status, day, officer and unit.
    pub fn stats(&self) -> Result<Stats, StoreError> {
        let mut s = Stats::default();
        let mut st = self.conn.prepare(
            "SELECT substr(created_at, 1, 10), officer_id, unit_code, status, count(*) FROM records GROUP BY 1, 2, 3, 4",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let (day, officer, unit, status, n): (String, String, String, String, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            let n = u64::try_from(n).unwrap_or(0);
            s.total += n;
            *s.by_status.entry(status.clone()).or_default() += n;
            *s.by_day
                .entry(day)
                .or_default()
                .entry(status.clone())
                .or_default() += n;
            *s.by_officer
                .entry(officer)
                .or_default()
                .entry(status.clone())
                .or_default() += n;
            *s.by_unit
                .entry(unit)
                .or_default()
                .entry(status)
                .or_default() += n;
        }
        Ok(s)
    }

    /// Records for a citizen's ID number, found by its keyed hash (the tracker's
    /// roster match; the database holds no ID number in the clear).
    pub fn find_by_id_number(&self, id_number: &str) -> Result<Vec<RecordSummary>, StoreError> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM records WHERE id_index = ?1 ORDER BY seq"
        ))?;
        let rows = st.query_map(
            [self.keys.index("id_number", id_number).to_vec()],
            summary_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The keyed hash the tracker compares roster ID numbers by.
    pub fn id_number_index(&self, id_number: &str) -> [u8; 32] {
        self.keys.index("id_number", id_number)
    }

    /// How many records made on local day `day` carry this phone number (the kiosk
    /// warns when a number is already on another record today).
    pub fn records_with_phone_on(
        &self,
        phone: &super::phone::Phone,
        day: NaiveDate,
    ) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM records WHERE phone_index = ?1 AND substr(created_at, 1, 10) = ?2",
            params![
                self.keys.index("phone", phone.as_str()).to_vec(),
                day.format("%Y-%m-%d").to_string()
            ],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// `PRAGMA integrity_check`: `Ok` or the problems SQLite found.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        let lines: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if lines == ["ok"] {
            Ok(())
        } else {
            Err(StoreError::Damaged {
                id: "database".into(),
                what: lines.join("; "),
            })
        }
    }

    /// Set the supervisor passphrase; when one is set, `current` must match it.
    pub fn set_supervisor_passphrase(
        &mut self,
        current: Option<&str>,
        new: &str,
    ) -> Result<(), StoreError> {
        if self.supervisor_passphrase_set()? {
            self.check_supervisor(current.unwrap_or_default())?;
        }
        let phc = seal::hash_passphrase(new)?;
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('supervisor_passphrase', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [phc.into_bytes()],
        )?;
        Ok(())
    }

    /// Whether a supervisor passphrase has been set.
    pub fn supervisor_passphrase_set(&self) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM meta WHERE key = 'supervisor_passphrase')",
            [],
            |r| r.get(0),
        )?)
    }

    /// Check the supervisor passphrase (exports and the supervisor screen need it).
    pub fn check_supervisor(&self, passphrase: &str) -> Result<(), StoreError> {
        let phc: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'supervisor_passphrase'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let phc = phc.ok_or(StoreError::Passphrase(
            "not set yet: run `cccd-kiosk queue set-passphrase`",
        ))?;
        if seal::passphrase_matches(passphrase, &String::from_utf8_lossy(&phc)) {
            Ok(())
        } else {
            Err(StoreError::Passphrase("wrong passphrase"))
        }
    }

    /// The kiosk's keys: card applications seal their personal JSON with them, the
    /// tracker its roster (matched by the same keyed ID index as records).
    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::receipt::Receipt as R;
    use crate::queue::record::{synthetic_jpeg, Contact};

    fn new(n: u32) -> NewActivation {
        NewActivation::synthetic(n, synthetic_jpeg(u64::from(n), 64))
    }

    #[test]
    fn a_record_and_its_photo_come_back_exactly_with_a_valid_receipt() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        let a = new(1);
        let id = s.append(&a).unwrap();
        let r = s.get(id).unwrap();
        assert_eq!(r.personal.live_photo.jpeg, a.live_photo.jpeg);
        assert_eq!(r.personal.card, a.card);
        assert_eq!(r.personal.contact, a.contact);
        assert_eq!(r.summary.status, Status::Queued);
        assert_eq!(r.summary.created_at, a.created_at);
        R::parse(&r.summary.receipt).unwrap();
        assert_eq!(s.list(&ListFilter::default()).unwrap().len(), 1);
        assert!(matches!(
            s.get(RecordId::new_v7()),
            Err(StoreError::NotFound(_))
        ));
        drop(s);
        // Reopened (a restart after a power cut, no person present): same key, same record.
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(
            s.get(id).unwrap().personal.live_photo.jpeg,
            a.live_photo.jpeg
        );
        s.integrity_check().unwrap();
    }

    #[test]
    fn the_database_and_wal_hold_no_name_id_number_or_phone_in_the_clear() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        let a = new(7);
        s.append(&a).unwrap();
        let name = a.card.citizen["full_name"].as_str().unwrap().to_string();
        let id = a.card.id_number().unwrap().to_string();
        let phone = a.contact.phone().unwrap().to_string();
        let national = format!("0{}", &phone[3..]);
        let wal = dir.path().join(format!("{DB_FILE}-wal"));
        assert!(
            std::fs::metadata(&wal).unwrap().len() > 0,
            "the record is in the WAL"
        );
        for file in [dir.path().join(DB_FILE), wal] {
            let bytes = std::fs::read(&file).unwrap();
            for needle in [
                name.as_str(),
                "Nguy",
                id.as_str(),
                phone.as_str(),
                national.as_str(),
                "Lê Lợi",
            ] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{needle} in {}",
                    file.display()
                );
            }
        }
        // The keyed index still finds the citizen.
        assert_eq!(s.find_by_id_number(&id).unwrap().len(), 1);
        assert!(s.find_by_id_number("001199099999").unwrap().is_empty());
        let day = a.created_at.date_naive();
        assert_eq!(
            s.records_with_phone_on(a.contact.phone().unwrap(), day)
                .unwrap(),
            1
        );
        assert_eq!(
            s.records_with_phone_on(a.contact.phone().unwrap(), day.succ_opt().unwrap())
                .unwrap(),
            0
        );
    }

    #[test]
    fn a_batch_is_all_or_nothing_and_keeps_the_organisation_tag() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        let mut tagged = new(1);
        tagged.org_code = Some("TRUONG-THCS".into());
        let mut bad = new(2);
        bad.officer_id = String::new();
        assert!(s.append_batch([new(0), bad]).is_err());
        assert!(s.list(&ListFilter::default()).unwrap().is_empty(), "nothing half-loaded");
        let ids = s.append_batch(vec![new(0), tagged]).unwrap();
        assert_eq!(ids.len(), 2);
        let org: Option<String> = s
            .conn()
            .query_row("SELECT org_code FROM records WHERE id = ?1", [ids[1].to_string()], |r| r.get(0))
            .unwrap();
        assert_eq!(org.as_deref(), Some("TRUONG-THCS"));
    }

    #[test]
    fn corrections_are_new_rows_and_old_ones_cannot_be_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        let old = s.append(&new(1)).unwrap();
        let mut fix = new(1);
        fix.contact = Contact::Email {
            address: "huong@example.vn".into(),
        };
        fix.corrects = Some(old);
        let fixed = s.append(&fix).unwrap();
        assert_eq!(s.get(fixed).unwrap().summary.corrects, Some(old));
        assert_eq!(s.list(&ListFilter::default()).unwrap().len(), 2);
        fix.corrects = Some(RecordId::new_v7());
        assert!(
            matches!(s.append(&fix), Err(StoreError::Invalid(RecordError::Invalid { ref field, .. })) if field == "corrects")
        );
        assert!(s.conn().execute("DELETE FROM records", []).is_err());
        assert!(s
            .conn()
            .execute("UPDATE records SET unit_code = 'x'", [])
            .is_err());
        assert!(s.conn().execute("DELETE FROM photos", []).is_err());
    }

    #[test]
    fn a_damaged_database_is_moved_aside_not_deleted_and_the_officer_is_told() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let db = dir.path().join(DB_FILE);
        for f in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{f}", db.display()));
        }
        let garbage = b"this is not an SQLite database, it is what a bad sector left".repeat(100);
        std::fs::write(&db, &garbage).unwrap();
        let err = match Store::open(dir.path()) {
            Err(e) => e,
            Ok(_) => panic!("opened a damaged database"),
        };
        let StoreError::Corrupt { moved_to, .. } = &err else {
            panic!("{err}")
        };
        assert!(moved_to
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("queue.sqlite3.corrupt-"));
        assert_eq!(std::fs::read(moved_to).unwrap(), garbage);
        assert!(!db.exists());
        assert!(err.to_string().contains("NOT deleted"));
        // The next start begins a fresh queue beside the kept file.
        Store::open(dir.path()).unwrap();
    }

    #[test]
    fn a_lost_key_file_is_not_silently_replaced() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path()).unwrap().append(&new(1)).unwrap();
        std::fs::remove_file(dir.path().join(seal::KEY_FILE)).unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::KeyMissing { .. })
        ));
        assert!(!dir.path().join(seal::KEY_FILE).exists());
    }

    #[test]
    fn a_database_from_a_newer_binary_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let db = dir.path().join(DB_FILE);
        Connection::open(&db)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        match Store::open(dir.path()) {
            Err(StoreError::TooNew {
                found: 99,
                supported,
                ..
            }) => assert_eq!(supported, LATEST),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("opened a newer database"),
        }
        let v: i64 = Connection::open(&db)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 99);
    }

    #[test]
    fn stats_count_per_status_day_officer_and_unit() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        for n in 0..6 {
            s.append(&new(n)).unwrap();
        }
        let st = s.stats().unwrap();
        assert_eq!(st.total, 6);
        assert_eq!(st.by_status["queued"], 6);
        assert_eq!(st.by_day["2025-03-01"]["queued"], 6);
        assert_eq!(st.by_officer["CB01"]["queued"], 2);
        assert_eq!(st.by_unit["27681"]["queued"], 3);
    }

    #[test]
    fn supervisor_passphrase_is_required_to_change_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        assert!(matches!(
            s.check_supervisor("anything"),
            Err(StoreError::Passphrase(_))
        ));
        s.set_supervisor_passphrase(None, "mật khẩu tổ 1").unwrap();
        s.check_supervisor("mật khẩu tổ 1").unwrap();
        assert!(s.check_supervisor("mat khau to 1").is_err());
        assert!(s
            .set_supervisor_passphrase(Some("wrong one"), "another passphrase")
            .is_err());
        s.set_supervisor_passphrase(Some("mật khẩu tổ 1"), "another passphrase")
            .unwrap();
        s.check_supervisor("another passphrase").unwrap();
    }
}
