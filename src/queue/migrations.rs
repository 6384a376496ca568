//! Schema migrations: numbered, append-only (never edit a released one; add the
//! next), applied by `rusqlite_migration` inside a transaction and tracked in
//! SQLite's `user_version`. Connection settings (WAL, synchronous, foreign keys)
//! are per connection and live in `store.rs`, not here (STYLE "Storage").
//!
//! 1. Records, their photos and a key/value `meta` table. Personal fields live in
//!    `personal` and `photos.jpeg` (sealed blobs); the other columns hold only what
//!    lists, stats and the tracker need without the key.
//! 2. Export batches, and triggers that make records append-only: no DELETE, and
//!    an UPDATE may change only status, reason and batch.

use rusqlite_migration::{Migrations, M};

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
         CREATE TABLE records (
             seq            INTEGER PRIMARY KEY AUTOINCREMENT,
             id             TEXT NOT NULL UNIQUE,
             receipt        TEXT NOT NULL UNIQUE,
             created_at     TEXT NOT NULL,
             created_at_utc TEXT NOT NULL,
             kiosk_id       TEXT NOT NULL,
             officer_id     TEXT NOT NULL,
             unit_code      TEXT NOT NULL,
             mode           TEXT NOT NULL CHECK (mode IN ('kiosk','outreach','home_visit')),
             service        TEXT NOT NULL CHECK (service IN ('eid_level1','eid_level2','card_application','update')),
             verdict        TEXT NOT NULL,
             id_index       BLOB NOT NULL,
             phone_index    BLOB,
             corrects       TEXT REFERENCES records(id),
             personal       BLOB NOT NULL,
             status         TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','exported','accepted','rejected')),
             status_reason  TEXT,
             status_at      TEXT,
             batch_id       TEXT
         ) STRICT;
         CREATE TABLE photos (
             record_id TEXT PRIMARY KEY REFERENCES records(id),
             jpeg      BLOB NOT NULL
         ) STRICT;
         CREATE INDEX records_id_index ON records(id_index);
         CREATE INDEX records_status ON records(status, seq);",
    ),
    M::up(
        "CREATE TABLE batches (
             id          TEXT PRIMARY KEY,
             seq         INTEGER NOT NULL UNIQUE,
             exported_at TEXT NOT NULL,
             prev_head   BLOB NOT NULL,
             head        BLOB NOT NULL,
             count       INTEGER NOT NULL,
             manifest    TEXT NOT NULL
         ) STRICT;
         CREATE INDEX records_batch ON records(batch_id, seq);
         CREATE TRIGGER records_no_delete BEFORE DELETE ON records
             BEGIN SELECT RAISE(ABORT, 'activation records are append-only'); END;
         CREATE TRIGGER photos_no_delete BEFORE DELETE ON photos
             BEGIN SELECT RAISE(ABORT, 'activation records are append-only'); END;
         CREATE TRIGGER photos_no_update BEFORE UPDATE ON photos
             BEGIN SELECT RAISE(ABORT, 'activation records are append-only'); END;
         CREATE TRIGGER records_no_rewrite BEFORE UPDATE OF
             seq, id, receipt, created_at, created_at_utc, kiosk_id, officer_id, unit_code, mode, service,
             verdict, id_index, phone_index, corrects, personal ON records
             BEGIN SELECT RAISE(ABORT, 'activation records are append-only: make a correction record'); END;",
    ),
    // Appointments for card applications (issue 9, `src/application/calendar.rs`): one per
    // application record; a seat number per slot, unique among the seats not cancelled,
    // so two bookings never share a seat even if two processes race (the booking itself
    // counts the slot inside BEGIN IMMEDIATE); one open booking per citizen (keyed hash).
    M::up(
        "CREATE TABLE appointments (
             id          TEXT PRIMARY KEY,
             record_id   TEXT NOT NULL UNIQUE REFERENCES records(id),
             office      TEXT NOT NULL,
             day         TEXT NOT NULL,
             start       TEXT NOT NULL,
             end_time    TEXT NOT NULL,
             seat        INTEGER NOT NULL CHECK (seat >= 1),
             id_index    BLOB NOT NULL,
             created_at  TEXT NOT NULL,
             status      TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked','attended','no_show','cancelled')),
             status_at   TEXT
         ) STRICT;
         CREATE UNIQUE INDEX appointments_seat ON appointments(office, day, start, seat) WHERE status <> 'cancelled';
         CREATE UNIQUE INDEX appointments_open_per_citizen ON appointments(id_index) WHERE status = 'booked';
         CREATE INDEX appointments_day ON appointments(day, start, office);
         CREATE TRIGGER appointments_no_delete BEFORE DELETE ON appointments
             BEGIN SELECT RAISE(ABORT, 'appointments are kept: cancel instead'); END;
         CREATE TRIGGER appointments_no_rewrite BEFORE UPDATE OF
             id, record_id, office, day, start, end_time, seat, id_index, created_at ON appointments
             BEGIN SELECT RAISE(ABORT, 'an appointment keeps its slot: cancel it and book another'); END;",
    ),
];

/// The migrations, oldest first.
pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// The schema version this binary writes (the number of migrations).
pub const LATEST: usize = MIGRATIONS.len();

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn schema(conn: &Connection) -> Vec<String> {
        let mut st = conn.prepare("SELECT type || ' ' || name || ': ' || sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn upgrading_an_old_database_keeps_its_records_and_equals_a_fresh_schema() {
        let mut old = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut old, 1).unwrap();
        old.execute(
            "INSERT INTO records (id, receipt, created_at, created_at_utc, kiosk_id, officer_id, unit_code, mode, service, verdict, id_index, personal)
             VALUES ('r1','22222222','2025-03-01T08:00:00+07:00','2025-03-01T01:00:00Z','K1','CB01','00001','kiosk','eid_level2','genuine',x'00',x'01')",
            [],
        ).unwrap();
        migrations().to_latest(&mut old).unwrap();
        let mut fresh = Connection::open_in_memory().unwrap();
        migrations().to_latest(&mut fresh).unwrap();
        assert_eq!(schema(&old), schema(&fresh));
        let n: i64 = old
            .query_row(
                "SELECT count(*) FROM records WHERE receipt='22222222'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
        // The upgraded database enforces append-only too.
        assert!(old.execute("DELETE FROM records", []).is_err());
        assert!(old
            .execute("UPDATE records SET officer_id='X'", [])
            .is_err());
        old.execute("UPDATE records SET status='exported', batch_id='b'", [])
            .unwrap();
    }
}
