//! The officer PIN lock-out, kept across restarts: wrong PINs in a row and the time
//! officer mode stays locked until, in `DATA_DIR/officer-lockout.json`. Without it a
//! bystander could power-cycle the kiosk after every fifth guess.
//!
//! Decisions:
//! - A small JSON file beside the queue rather than a table in it: it holds no
//!   personal data, must be readable before the queue's key is, and is rewritten
//!   whole. Written atomically (temporary file, fsync, rename, fsync of the folder),
//!   so a power cut leaves the old state or the new one, never half a file.
//! - Written on the UI thread: a few hundred bytes, only when an officer types a
//!   wrong PIN or unlocks (the Argon2 check itself runs on a worker).
//! - Times are UTC wall-clock. A clock set back (no network, a flat RTC battery) must
//!   not lock the officer out for hours: a saved lock ending more than one lock-out
//!   period from now is cut to one period from now.
//! - A damaged file is logged and ignored: the data dir is root-owned, so whoever
//!   can damage it does not need to guess PINs, and the officer must not be locked
//!   out of their own kiosk by it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file's name in the data dir.
pub const FILE_NAME: &str = "officer-lockout.json";

/// The wall clock the kiosk judges lock-outs by; tests inject their own.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self(Arc::new(Utc::now))
    }

    /// A clock that asks `f` (tests: a time they move by hand, never a sleep).
    pub fn new(f: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// What survives a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PinLock {
    /// Wrong PINs since the last good one or lock-out.
    pub failures: u32,
    /// Officer mode refuses PINs until then.
    pub locked_until: Option<DateTime<Utc>>,
}

/// The state saved in `data_dir` (the default when there is none or it is damaged),
/// with a lock cut to at most `lockout` from `now` (a clock set back).
pub fn load(data_dir: &Path, now: DateTime<Utc>, lockout: chrono::Duration) -> PinLock {
    let path = data_dir.join(FILE_NAME);
    let mut lock = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<PinLock>(&bytes).unwrap_or_else(|e| {
            tracing::warn!(
                "{}: {e}; officer PIN lock-out starts afresh",
                path.display()
            );
            PinLock::default()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => PinLock::default(),
        Err(e) => {
            tracing::warn!(
                "{}: {e}; officer PIN lock-out starts afresh",
                path.display()
            );
            PinLock::default()
        }
    };
    if let Some(t) = lock.locked_until {
        if t <= now {
            lock.locked_until = None;
        } else if t - now > lockout {
            lock.locked_until = Some(now + lockout);
        }
    }
    lock
}

/// Replace the saved state with `lock`, atomically.
pub fn save(data_dir: &Path, lock: &PinLock) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(FILE_NAME);
    let tmp: PathBuf = data_dir.join(format!(".{FILE_NAME}.tmp"));
    let bytes = serde_json::to_vec(lock).map_err(std::io::Error::other)?;
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(data_dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_saved_lock_comes_back_and_an_expired_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 6, 8, 0, 0).unwrap();
        let five = chrono::Duration::minutes(5);
        assert_eq!(
            load(dir.path(), t0, five),
            PinLock::default(),
            "no file yet"
        );
        let lock = PinLock {
            failures: 0,
            locked_until: Some(t0 + five),
        };
        save(dir.path(), &lock).unwrap();
        assert_eq!(
            load(dir.path(), t0 + chrono::Duration::minutes(1), five),
            lock
        );
        assert_eq!(load(dir.path(), t0 + five, five).locked_until, None);
        // No temporary file left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
    }

    #[test]
    fn a_clock_set_back_locks_for_one_period_at_most() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 6, 8, 0, 0).unwrap();
        let five = chrono::Duration::minutes(5);
        let lock = PinLock {
            failures: 0,
            locked_until: Some(t0 + five),
        };
        save(dir.path(), &lock).unwrap();
        let back = t0 - chrono::Duration::hours(3);
        assert_eq!(load(dir.path(), back, five).locked_until, Some(back + five));
    }

    #[test]
    fn a_damaged_file_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"{\"failures\": 3, \"lock").unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 6, 8, 0, 0).unwrap();
        assert_eq!(
            load(dir.path(), t0, chrono::Duration::minutes(5)),
            PinLock::default()
        );
    }
}
