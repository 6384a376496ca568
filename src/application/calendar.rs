//! Appointment slots for card applications (issue 9, step 8 of the online
//! application: "choose the day to come"), from the unit's `[appointments]`
//! configuration, kept in the queue's SQLite database (table `appointments`,
//! migration in `queue/migrations.rs`).
//!
//! Decisions:
//! - A slot is (office, day, start time); slots run from the opening time in
//!   steps of `slot_minutes`, the last one ending by the closing time (campaign
//!   hours 7:30–22:00 by default), on the configured weekdays, from today up to
//!   `book_ahead_days` ahead. A slot may be booked until it ends (a walk-in
//!   during the slot is served in it).
//! - **No double booking, even from two processes** (a kiosk and an officer's
//!   laptop on one database): a booking runs inside `BEGIN IMMEDIATE`, which
//!   takes SQLite's write lock before the slot is counted, so the count cannot
//!   change before the insert; each booking takes a seat number 1…capacity, and
//!   a unique index on (office, day, start, seat) among seats not cancelled makes
//!   the database itself refuse a second booking of a seat.
//! - One open booking per citizen (unique index on the keyed hash of the ID
//!   number, never the number itself): a second application for the same
//!   citizen is told the existing appointment. A booking whose day has passed
//!   without being marked is a no-show, and is marked so when that citizen books
//!   again.
//! - The booking is made in the same transaction as the application record
//!   ([`super::record::submit`]): an abandoned flow leaves nothing, a full slot
//!   leaves nothing.
//! - Attendance: `booked` → `attended` or `no_show` (the officer may correct one
//!   into the other), or `cancelled` (frees the seat). Rows are never deleted.

use crate::config::{Appointments, WEEKDAYS};
use crate::queue::record::RecordId;
use crate::queue::store::{Store, StoreError};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, SecondsFormat};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Why a slot cannot be booked or an appointment changed.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The office is not one of the unit's receiving offices.
    #[error("office: {0:?} is not a receiving office of this unit")]
    UnknownOffice(String),
    /// The calendar is closed that day.
    #[error("appointment: {0} is not a working day")]
    ClosedDay(NaiveDate),
    /// The time is not the start of a slot within the opening hours.
    #[error("appointment: {0} is not the start of a slot")]
    NotASlot(NaiveTime),
    /// The slot has ended.
    #[error("appointment: {day} {start} is already over")]
    Past { day: NaiveDate, start: NaiveTime },
    /// The day is beyond the booking horizon.
    #[error("appointment: {day} is more than {days} days ahead")]
    TooFarAhead { day: NaiveDate, days: u32 },
    /// Every seat of the slot is taken.
    #[error("appointment: {office} {day} {start} is full ({capacity} of {capacity} booked)")]
    Full {
        office: String,
        day: NaiveDate,
        start: NaiveTime,
        capacity: u32,
    },
    /// The citizen already holds an appointment.
    #[error("appointment: this citizen is already booked at {office} on {day} {start} (receipt {receipt})")]
    AlreadyBooked {
        office: String,
        day: NaiveDate,
        start: NaiveTime,
        receipt: String,
    },
    /// No appointment with this id or receipt code.
    #[error("appointment: {0:?} not found (give the appointment id or the receipt code)")]
    NotFound(String),
    /// The appointment cannot change this way (e.g. a cancelled one marked attended).
    #[error("appointment {id}: it is {status}, it cannot become {wanted}")]
    Transition {
        id: String,
        status: AppointmentStatus,
        wanted: AppointmentStatus,
    },
    /// The queue database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CalendarError {
    fn from(e: rusqlite::Error) -> Self {
        CalendarError::Store(StoreError::Sqlite(e))
    }
}

/// Where an appointment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    /// Booked, the citizen has not come yet.
    Booked,
    /// The citizen came.
    Attended,
    /// The citizen did not come.
    NoShow,
    /// Cancelled; the seat is free again.
    Cancelled,
}

impl AppointmentStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Attended => "attended",
            AppointmentStatus::NoShow => "no_show",
            AppointmentStatus::Cancelled => "cancelled",
        }
    }

    /// How the printed list says it, in Vietnamese.
    pub fn label_vi(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "Chưa đến",
            AppointmentStatus::Attended => "Đã đến",
            AppointmentStatus::NoShow => "Không đến",
            AppointmentStatus::Cancelled => "Đã hủy",
        }
    }
}

impl fmt::Display for AppointmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AppointmentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "booked" => Ok(AppointmentStatus::Booked),
            "attended" => Ok(AppointmentStatus::Attended),
            "no_show" => Ok(AppointmentStatus::NoShow),
            "cancelled" => Ok(AppointmentStatus::Cancelled),
            other => Err(format!(
                "{other:?} is not one of booked, attended, no_show, cancelled"
            )),
        }
    }
}

/// One bookable slot: office, day and start time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Slot {
    /// The receiving office, as configured.
    pub office: String,
    /// The day.
    pub day: NaiveDate,
    /// The start time (local).
    pub start: NaiveTime,
}

/// A slot's start, end and how full it is (what the booking screen shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotAvailability {
    /// Start time.
    pub start: NaiveTime,
    /// End time.
    pub end: NaiveTime,
    /// Seats taken (not cancelled).
    pub booked: u32,
    /// Seats in the slot.
    pub capacity: u32,
    /// A seat is free and the slot can still be booked now (not over, not too far ahead).
    pub bookable: bool,
}

impl SlotAvailability {
    /// No seat left.
    pub fn is_full(&self) -> bool {
        self.booked >= self.capacity
    }
}

/// The unit's calendar, from `[appointments]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    config: Appointments,
}

fn weekday_key(day: NaiveDate) -> &'static str {
    WEEKDAYS
        .get(day.weekday().num_days_from_monday() as usize)
        .copied()
        .unwrap_or("mon")
}

fn minutes_to_time(m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt((m / 60).min(23), m % 60, 0).unwrap_or(NaiveTime::MIN)
}

impl Calendar {
    /// The calendar the configuration describes.
    pub fn new(config: Appointments) -> Calendar {
        Calendar { config }
    }

    /// The configuration it was made from.
    pub fn config(&self) -> &Appointments {
        &self.config
    }

    /// The receiving offices, in configuration order.
    pub fn offices(&self) -> &[String] {
        &self.config.offices
    }

    /// Seats per slot.
    pub fn capacity(&self) -> u32 {
        self.config.capacity
    }

    /// Start times of the slots on `day` (none on a closed day).
    pub fn slot_starts(&self, day: NaiveDate) -> Vec<NaiveTime> {
        if !self.config.days.iter().any(|d| d == weekday_key(day)) {
            return Vec::new();
        }
        let (open, close) = self.config.hours_minutes();
        let step = self.config.slot_minutes.max(1);
        (0..)
            .map(|i| open + i * step)
            .take_while(|m| m + step <= close)
            .map(minutes_to_time)
            .collect()
    }

    /// The end of the slot starting at `start`.
    pub fn slot_end(&self, start: NaiveTime) -> NaiveTime {
        start + Duration::minutes(i64::from(self.config.slot_minutes))
    }

    /// The days a citizen may choose from `today` on (open days within the horizon).
    pub fn bookable_days(&self, today: NaiveDate) -> Vec<NaiveDate> {
        today
            .iter_days()
            .take(self.config.book_ahead_days as usize + 1)
            .filter(|d| !self.slot_starts(*d).is_empty())
            .collect()
    }

    /// Check that `slot` is one this calendar offers at `now`.
    pub fn check(&self, slot: &Slot, now: DateTime<FixedOffset>) -> Result<(), CalendarError> {
        if !self.config.offices.contains(&slot.office) {
            return Err(CalendarError::UnknownOffice(slot.office.clone()));
        }
        let starts = self.slot_starts(slot.day);
        if starts.is_empty() {
            return Err(CalendarError::ClosedDay(slot.day));
        }
        if !starts.contains(&slot.start) {
            return Err(CalendarError::NotASlot(slot.start));
        }
        let today = now.date_naive();
        let ends =
            slot.day.and_time(slot.start) + Duration::minutes(i64::from(self.config.slot_minutes));
        if slot.day < today || (slot.day == today && ends <= now.naive_local()) {
            return Err(CalendarError::Past {
                day: slot.day,
                start: slot.start,
            });
        }
        let ahead = (slot.day - today).num_days();
        if ahead > i64::from(self.config.book_ahead_days) {
            return Err(CalendarError::TooFarAhead {
                day: slot.day,
                days: self.config.book_ahead_days,
            });
        }
        Ok(())
    }

    /// Every slot of `office` on `day` with its seats taken, and whether it can
    /// be booked at `now` (what the slot picker greys out).
    pub fn availability(
        &self,
        store: &Store,
        office: &str,
        day: NaiveDate,
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<SlotAvailability>, CalendarError> {
        if !self.config.offices.iter().any(|o| o == office) {
            return Err(CalendarError::UnknownOffice(office.into()));
        }
        let mut st = store.conn().prepare(
            "SELECT start, count(*) FROM appointments
             WHERE office = ?1 AND day = ?2 AND status <> 'cancelled' GROUP BY start",
        )?;
        let taken: Vec<(String, u32)> = st
            .query_map(params![office, day_text(day)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(self
            .slot_starts(day)
            .into_iter()
            .map(|start| {
                let booked = taken
                    .iter()
                    .find(|(s, _)| *s == time_text(start))
                    .map_or(0, |(_, n)| *n);
                let slot = Slot {
                    office: office.into(),
                    day,
                    start,
                };
                SlotAvailability {
                    start,
                    end: self.slot_end(start),
                    booked,
                    capacity: self.config.capacity,
                    bookable: booked < self.config.capacity && self.check(&slot, now).is_ok(),
                }
            })
            .collect())
    }
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn time_text(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// An appointment as stored (no personal data: the name is in the sealed record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appointment {
    /// The appointment's id (UUID v7).
    pub id: String,
    /// The application record it belongs to.
    pub record_id: RecordId,
    /// The record's receipt code (what the citizen shows at the desk).
    pub receipt: String,
    /// The slot.
    pub slot: Slot,
    /// When the slot ends (as booked: a later change of `slot_minutes` does not move it).
    pub end: NaiveTime,
    /// Seat number within the slot, 1…capacity.
    pub seat: u32,
    /// Where it is in its life.
    pub status: AppointmentStatus,
    /// When the status last changed (RFC 3339, local).
    pub status_at: Option<String>,
}

impl Appointment {
    /// How the roster and the done screen state it: "applied, appointment on …".
    pub fn note(&self, lang: crate::config::Language) -> String {
        let (day, start) = (
            self.slot.day.format("%d/%m/%Y"),
            self.slot.start.format("%H:%M"),
        );
        match lang {
            crate::config::Language::Vi => format!(
                "Đã nộp hồ sơ, hẹn ngày {day} lúc {start} tại {}",
                self.slot.office
            ),
            crate::config::Language::En => {
                format!(
                    "Applied, appointment on {day} at {start}, {}",
                    self.slot.office
                )
            }
        }
    }
}

const APPOINTMENT_COLUMNS: &str =
    "a.id, a.record_id, r.receipt, a.office, a.day, a.start, a.seat, a.status, a.status_at, a.end_time";

fn conversion<E: std::error::Error + Send + Sync + 'static>(i: usize, e: E) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
}

fn appointment_from_row(r: &rusqlite::Row) -> rusqlite::Result<Appointment> {
    let record: String = r.get(1)?;
    let day: String = r.get(4)?;
    let start: String = r.get(5)?;
    let status: String = r.get(7)?;
    Ok(Appointment {
        id: r.get(0)?,
        record_id: record.parse().map_err(|e| conversion(1, e))?,
        receipt: r.get(2)?,
        slot: Slot {
            office: r.get(3)?,
            day: NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| conversion(4, e))?,
            start: NaiveTime::parse_from_str(&start, "%H:%M").map_err(|e| conversion(5, e))?,
        },
        end: {
            let end: String = r.get(9)?;
            NaiveTime::parse_from_str(&end, "%H:%M").map_err(|e| conversion(9, e))?
        },
        seat: r.get(6)?,
        status: status
            .parse()
            .map_err(|e: String| conversion(7, std::io::Error::other(e)))?,
        status_at: r.get(8)?,
    })
}

/// Book `slot` for the application `record_id` inside `tx`, which the caller
/// opened with `BEGIN IMMEDIATE` and which already holds the record's row.
/// `id_index` is the citizen's keyed hash; `now` the kiosk's local time.
pub(crate) fn book_in(
    tx: &Transaction,
    calendar: &Calendar,
    slot: &Slot,
    record_id: &RecordId,
    id_index: &[u8],
    now: DateTime<FixedOffset>,
) -> Result<Appointment, CalendarError> {
    calendar.check(slot, now)?;
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, false);
    tx.execute(
        "UPDATE appointments SET status = 'no_show', status_at = ?1
         WHERE id_index = ?2 AND status = 'booked' AND day < ?3",
        params![stamp, id_index, day_text(now.date_naive())],
    )?;
    let existing = tx
        .query_row(
            &format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN records r ON r.id = a.record_id WHERE a.id_index = ?1 AND a.status = 'booked'"),
            [id_index],
            appointment_from_row,
        )
        .optional()?;
    if let Some(a) = existing {
        return Err(CalendarError::AlreadyBooked {
            office: a.slot.office,
            day: a.slot.day,
            start: a.slot.start,
            receipt: a.receipt,
        });
    }
    let mut st = tx.prepare(
        "SELECT seat FROM appointments WHERE office = ?1 AND day = ?2 AND start = ?3 AND status <> 'cancelled'",
    )?;
    let taken: Vec<u32> = st
        .query_map(
            params![slot.office, day_text(slot.day), time_text(slot.start)],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    let capacity = calendar.capacity();
    let seat = (1..=capacity)
        .find(|s| !taken.contains(s))
        .ok_or_else(|| CalendarError::Full {
            office: slot.office.clone(),
            day: slot.day,
            start: slot.start,
            capacity,
        })?;
    let id = Uuid::now_v7().hyphenated().to_string();
    let end = calendar.slot_end(slot.start);
    tx.execute(
        "INSERT INTO appointments (id, record_id, office, day, start, end_time, seat, id_index, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id,
            record_id.to_string(),
            slot.office,
            day_text(slot.day),
            time_text(slot.start),
            time_text(end),
            seat,
            id_index,
            stamp
        ],
    )?;
    let receipt: String = tx.query_row(
        "SELECT receipt FROM records WHERE id = ?1",
        [record_id.to_string()],
        |r| r.get(0),
    )?;
    Ok(Appointment {
        id,
        record_id: *record_id,
        receipt,
        slot: slot.clone(),
        end,
        seat,
        status: AppointmentStatus::Booked,
        status_at: None,
    })
}

/// One appointment by its id or its record's receipt code.
pub fn find(store: &Store, key: &str) -> Result<Appointment, CalendarError> {
    let key = key.trim();
    let receipt = crate::queue::receipt::Receipt::parse(key)
        .map(|r| r.as_str().to_string())
        .unwrap_or_default();
    store
        .conn()
        .query_row(
            &format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN records r ON r.id = a.record_id
                      WHERE a.id = ?1 OR r.receipt = ?2 ORDER BY a.created_at DESC LIMIT 1"),
            params![key, receipt],
            appointment_from_row,
        )
        .optional()?
        .ok_or_else(|| CalendarError::NotFound(key.to_string()))
}

/// Change an appointment's status (by id or receipt code): `attended` or
/// `no_show` from `booked` (or from each other, an officer's correction);
/// `cancelled` from `booked` only.
pub fn set_status(
    store: &mut Store,
    key: &str,
    wanted: AppointmentStatus,
    now: DateTime<FixedOffset>,
) -> Result<Appointment, CalendarError> {
    let a = find(store, key)?;
    use AppointmentStatus::*;
    let allowed = match wanted {
        Attended | NoShow => matches!(a.status, Booked | Attended | NoShow),
        Cancelled => a.status == Booked,
        Booked => false,
    };
    if !allowed {
        return Err(CalendarError::Transition {
            id: a.id,
            status: a.status,
            wanted,
        });
    }
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, false);
    store.conn().execute(
        "UPDATE appointments SET status = ?1, status_at = ?2 WHERE id = ?3",
        params![wanted.as_str(), stamp, a.id],
    )?;
    Ok(Appointment {
        status: wanted,
        status_at: Some(stamp),
        ..a
    })
}

/// Every appointment on `day`, by start time, office and seat (cancelled ones included).
pub fn list_day(store: &Store, day: NaiveDate) -> Result<Vec<Appointment>, CalendarError> {
    let mut st = store.conn().prepare(&format!(
        "SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN records r ON r.id = a.record_id
         WHERE a.day = ?1 ORDER BY a.start, a.office, a.seat, a.created_at"
    ))?;
    let rows = st.query_map([day_text(day)], appointment_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The open appointment of a record, if any (the done screen and the roster's
/// "applied, appointment on …").
pub fn for_record(store: &Store, record: &RecordId) -> Result<Option<Appointment>, CalendarError> {
    Ok(store
        .conn()
        .query_row(
            &format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN records r ON r.id = a.record_id WHERE a.record_id = ?1"),
            [record.to_string()],
            appointment_from_row,
        )
        .optional()?)
}

/// The open (booked) appointment of a citizen by ID number, if any: what the
/// roster shows as "applied, appointment on …".
/// Every open (booked) appointment by the citizen's keyed ID index: one query, so
/// the roster (100,000 entries) can say "applied, appointment on …" without a
/// query per entry.
pub fn open_by_index(
    store: &Store,
) -> Result<std::collections::HashMap<Vec<u8>, Appointment>, CalendarError> {
    let mut st = store.conn().prepare(&format!(
        "SELECT {APPOINTMENT_COLUMNS}, a.id_index FROM appointments a JOIN records r ON r.id = a.record_id WHERE a.status = 'booked'"
    ))?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, Vec<u8>>(10)?, appointment_from_row(r)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn open_for_id_number(
    store: &Store,
    id_number: &str,
) -> Result<Option<Appointment>, CalendarError> {
    let index = store.id_number_index(id_number);
    Ok(store
        .conn()
        .query_row(
            &format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN records r ON r.id = a.record_id WHERE a.id_index = ?1 AND a.status = 'booked'"),
            [index.to_vec()],
            appointment_from_row,
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> Calendar {
        let mut c = Appointments::with_offices(&["Công an xã Ka Lăng", "Công an huyện Mường Tè"]);
        c.slot_minutes = 90;
        c.capacity = 2;
        c.days = vec![
            "mon".into(),
            "tue".into(),
            "wed".into(),
            "thu".into(),
            "fri".into(),
            "sat".into(),
        ];
        c.book_ahead_days = 7;
        Calendar::new(c)
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn now() -> DateTime<FixedOffset> {
        // Monday 9 June 2025, 10:00 in Viet Nam.
        DateTime::parse_from_rfc3339("2025-06-09T10:00:00+07:00").unwrap()
    }

    #[test]
    fn slots_follow_hours_step_and_days() {
        let c = cal();
        let monday = NaiveDate::from_ymd_opt(2025, 6, 9).unwrap();
        let starts = c.slot_starts(monday);
        // 7:30 + k·90 min, the last one ending by 22:00: 7:30 … 19:30 (ends 21:00); 21:00 would end 22:30.
        assert_eq!(starts.first(), Some(&t(7, 30)));
        assert_eq!(starts.last(), Some(&t(19, 30)));
        assert_eq!(starts.len(), 9);
        let sunday = NaiveDate::from_ymd_opt(2025, 6, 15).unwrap();
        assert!(c.slot_starts(sunday).is_empty());
        let days = c.bookable_days(monday);
        assert_eq!(days.len(), 7, "8 days ahead incl. today, minus Sunday");
        assert!(!days.contains(&sunday));
        // The default calendar: every day, 30 minutes, 7:30–22:00 = 29 slots.
        let d = Calendar::new(Appointments::with_offices(&["CA"]));
        assert_eq!(d.slot_starts(sunday).len(), 29);
        assert_eq!(d.slot_starts(sunday).last(), Some(&t(21, 30)));
    }

    #[test]
    fn a_slot_must_be_offered() {
        let c = cal();
        let slot = |office: &str, d: u32, start| Slot {
            office: office.into(),
            day: NaiveDate::from_ymd_opt(2025, 6, d).unwrap(),
            start,
        };
        c.check(&slot("Công an xã Ka Lăng", 10, t(9, 0)), now())
            .unwrap();
        // 9:00–10:30 today is still running at 10:00: a walk-in may take it.
        c.check(&slot("Công an xã Ka Lăng", 9, t(9, 0)), now())
            .unwrap();
        assert!(matches!(
            c.check(&slot("Công an xã Ka Lăng", 9, t(7, 30)), now()),
            Err(CalendarError::Past { .. })
        ));
        assert!(matches!(
            c.check(&slot("UBND xã", 10, t(9, 0)), now()),
            Err(CalendarError::UnknownOffice(_))
        ));
        assert!(matches!(
            c.check(&slot("Công an xã Ka Lăng", 15, t(9, 0)), now()),
            Err(CalendarError::ClosedDay(_))
        ));
        assert!(matches!(
            c.check(&slot("Công an xã Ka Lăng", 10, t(9, 15)), now()),
            Err(CalendarError::NotASlot(_))
        ));
        assert!(matches!(
            c.check(&slot("Công an xã Ka Lăng", 17, t(9, 0)), now()),
            Err(CalendarError::TooFarAhead { days: 7, .. })
        ));
        // A calendar open to midnight: the last slot ends at 24:00, not at 00:00 of its own day.
        let mut late = c.config().clone();
        late.hours = "20:00-24:00".into();
        late.slot_minutes = 30;
        let late = Calendar::new(late);
        assert_eq!(
            late.slot_starts(now().date_naive()).last(),
            Some(&t(23, 30))
        );
        late.check(&slot("Công an xã Ka Lăng", 9, t(23, 30)), now())
            .unwrap();
    }

    mod booking {
        use super::*;
        use crate::application::record::tests::{application, at, calendar, slot};
        use crate::application::record::{submit, ApplicationError};

        fn store() -> (tempfile::TempDir, Store) {
            let dir = tempfile::tempdir().unwrap();
            let s = Store::open(dir.path()).unwrap();
            (dir, s)
        }

        #[test]
        fn a_full_slot_cannot_be_booked_and_leaves_nothing() {
            let (_d, mut s) = store();
            let cal = calendar(); // capacity 2
            let a = submit(&mut s, &cal, &application(1)).unwrap();
            let b = submit(&mut s, &cal, &application(2)).unwrap();
            assert_eq!((a.appointment.seat, b.appointment.seat), (1, 2));
            let err = submit(&mut s, &cal, &application(3)).unwrap_err();
            assert!(
                matches!(
                    err,
                    ApplicationError::Calendar(CalendarError::Full { capacity: 2, .. })
                ),
                "{err}"
            );
            assert_eq!(
                s.list(&Default::default()).unwrap().len(),
                2,
                "the refused application left no record"
            );
            let av = cal
                .availability(&s, "Công an xã Ka Lăng", slot((9, 0)).day, at())
                .unwrap();
            let nine = av.iter().find(|x| x.start == slot((9, 0)).start).unwrap();
            assert!(nine.is_full() && !nine.bookable);
            assert!(
                av.iter()
                    .find(|x| x.start == slot((9, 30)).start)
                    .unwrap()
                    .bookable
            );
            // Today's slots that are over cannot be chosen.
            let today = cal
                .availability(&s, "Công an xã Ka Lăng", at().date_naive(), at())
                .unwrap();
            assert!(!today.first().unwrap().bookable);
            assert!(today.last().unwrap().bookable);
            assert_eq!(nine.end, NaiveTime::from_hms_opt(9, 30, 0).unwrap());
            // The next slot and the other office are free.
            let mut c = application(3);
            c.slot = slot((9, 30));
            submit(&mut s, &cal, &c).unwrap();
            let mut d = application(4);
            d.slot.office = "Công an huyện Mường Tè".into();
            submit(&mut s, &cal, &d).unwrap();
            // Cancelling frees a seat, which the next citizen takes.
            set_status(&mut s, &a.receipt, AppointmentStatus::Cancelled, at()).unwrap();
            let e = submit(&mut s, &cal, &application(5)).unwrap();
            assert_eq!(e.appointment.seat, 1);
        }

        #[test]
        fn a_citizen_holds_one_open_appointment() {
            let (_d, mut s) = store();
            let cal = calendar();
            let first = submit(&mut s, &cal, &application(7)).unwrap();
            let mut again = application(7);
            again.slot = slot((15, 0));
            match submit(&mut s, &cal, &again) {
                Err(ApplicationError::Calendar(CalendarError::AlreadyBooked {
                    receipt, ..
                })) => {
                    assert_eq!(receipt, first.receipt)
                }
                other => panic!("{other:?}"),
            }
            // A booking from a past day that was never marked counts as a no-show.
            let mut later = application(7);
            later.created_at = DateTime::parse_from_rfc3339("2025-06-12T08:00:00+07:00").unwrap();
            later.slot = Slot {
                day: NaiveDate::from_ymd_opt(2025, 6, 12).unwrap(),
                ..slot((9, 0))
            };
            submit(&mut s, &cal, &later).unwrap();
            assert_eq!(
                find(&s, &first.receipt).unwrap().status,
                AppointmentStatus::NoShow
            );
        }

        #[test]
        fn two_processes_racing_for_one_slot_never_overbook_it() {
            let dir = tempfile::tempdir().unwrap();
            drop(Store::open(dir.path()).unwrap());
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(6));
            let handles: Vec<_> = (0..6)
                .map(|n| {
                    let path = dir.path().to_path_buf();
                    let barrier = barrier.clone();
                    std::thread::spawn(move || {
                        // Each its own connection, as a second process would have.
                        let mut s = Store::open(&path).unwrap();
                        barrier.wait();
                        submit(&mut s, &calendar(), &application(20 + n))
                    })
                })
                .collect();
            let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let ok = results.iter().filter(|r| r.is_ok()).count();
            let full = results
                .iter()
                .filter(|r| {
                    matches!(
                        r,
                        Err(ApplicationError::Calendar(CalendarError::Full { .. }))
                    )
                })
                .count();
            assert_eq!((ok, full), (2, 4), "{results:?}");
            let s = Store::open(dir.path()).unwrap();
            let day = list_day(&s, slot((9, 0)).day).unwrap();
            let mut seats: Vec<u32> = day.iter().map(|a| a.seat).collect();
            seats.sort();
            assert_eq!(seats, [1, 2]);
            assert_eq!(s.list(&Default::default()).unwrap().len(), 2);
        }

        #[test]
        fn the_database_refuses_a_second_booking_of_a_seat_by_itself() {
            let (_d, mut s) = store();
            let a = submit(&mut s, &calendar(), &application(1)).unwrap();
            // A writer that skipped the count (another record, another citizen) still
            // cannot take seat 1 of the same slot; seat 3 is free as far as the index goes.
            let other = s
                .append(&crate::queue::NewActivation::synthetic(
                    9,
                    crate::queue::record::synthetic_jpeg(9, 16),
                ))
                .unwrap();
            let insert = |seat: u32| {
                s.conn().execute(
                    "INSERT INTO appointments (id, record_id, office, day, start, end_time, seat, id_index, created_at)
                     SELECT ?1, ?2, office, day, start, end_time, ?3, x'00', created_at FROM appointments WHERE id = ?4",
                    params![format!("x{seat}"), other.to_string(), seat, a.appointment.id],
                )
            };
            assert!(insert(1).is_err());
            insert(3).unwrap();
            assert!(s.conn().execute("DELETE FROM appointments", []).is_err());
            assert!(s
                .conn()
                .execute("UPDATE appointments SET start = '10:00'", [])
                .is_err());
        }

        #[test]
        fn attendance_is_marked_by_receipt_or_id_and_listed_per_day() {
            let (_d, mut s) = store();
            let cal = calendar();
            let a = submit(&mut s, &cal, &application(1)).unwrap();
            let mut early = application(2);
            early.slot = slot((7, 30));
            let b = submit(&mut s, &cal, &early).unwrap();
            let listed = list_day(&s, slot((9, 0)).day).unwrap();
            assert_eq!(
                listed
                    .iter()
                    .map(|x| x.receipt.as_str())
                    .collect::<Vec<_>>(),
                [b.receipt.as_str(), a.receipt.as_str()],
                "by start time"
            );
            // The end is stored as booked: a later change of slot length does not move it.
            assert_eq!(listed[1].end, t(9, 30));
            let marked = set_status(
                &mut s,
                &a.receipt.to_lowercase(),
                AppointmentStatus::Attended,
                at(),
            )
            .unwrap();
            assert_eq!(marked.status, AppointmentStatus::Attended);
            set_status(&mut s, &b.appointment.id, AppointmentStatus::NoShow, at()).unwrap();
            // An officer's slip is corrected; a cancelled one cannot be marked.
            set_status(&mut s, &b.appointment.id, AppointmentStatus::Attended, at()).unwrap();
            assert!(matches!(
                set_status(&mut s, &a.receipt, AppointmentStatus::Cancelled, at()),
                Err(CalendarError::Transition { .. })
            ));
            assert!(matches!(
                find(&s, "2222222X"),
                Err(CalendarError::NotFound(_))
            ));
            assert_eq!(
                for_record(&s, &a.record_id).unwrap().unwrap().status,
                AppointmentStatus::Attended
            );
            assert_eq!(
                b.appointment.note(crate::config::Language::Vi),
                "Đã nộp hồ sơ, hẹn ngày 10/06/2025 lúc 07:30 tại Công an xã Ka Lăng"
            );
            assert!(list_day(&s, slot((9, 0)).day.succ_opt().unwrap())
                .unwrap()
                .is_empty());
        }
    }
}
