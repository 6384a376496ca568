//! What counts as "done" (DESIGN "Tracker counting"), as a pure function over the
//! records' clear columns, and the loader that reads those columns.
//!
//! - A correction replaces the record it corrects: of each chain of corrections
//!   only the newest record (the head) counts, with ITS status, service, unit and
//!   organisation; the citizen is counted on the day, and for the officer, of the
//!   chain's first record (when the citizen was actually served).
//! - Rejected heads do not count; queued, exported and accepted ones do.
//! - Once per citizen (the keyed `id_index`) and service: a citizen served twice
//!   for the same service counts once, on the earliest day.
//! - The day is the local calendar day of `created_at` (the kiosk's offset, as
//!   stored), so a day runs 00:00–24:00 local time.
//!
//! The loader reads only clear columns through the covering index
//! `records_tracker` (migration 3): no sealed blob is read or decrypted.

use super::TrackerError;
use crate::queue::{Service, Status, Store};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A record's clear columns, as the counting needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    /// Insertion order (unique).
    pub seq: i64,
    /// `seq` of the record this one corrects.
    pub corrects: Option<i64>,
    /// Keyed hash of the citizen's ID number.
    pub id_index: [u8; 32],
    /// Service asked for.
    pub service: Service,
    /// The (territorial) unit served in.
    pub unit_code: String,
    /// The organisation the citizen was counted for, if any.
    pub org_code: Option<String>,
    /// The officer.
    pub officer_id: String,
    /// Local day of service.
    pub day: NaiveDate,
    /// Status.
    pub status: Status,
}

/// One citizen-and-service counted as done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// Keyed hash of the ID number.
    pub id_index: [u8; 32],
    /// The service.
    pub service: Service,
    /// The unit the citizen counts for.
    pub unit_code: String,
    /// The organisation the citizen also counts for.
    pub org_code: Option<String>,
    /// The officer who served.
    pub officer_id: String,
    /// The day served.
    pub day: NaiveDate,
}

/// Apply the counting rules (module doc) to `rows`.
pub fn resolve(rows: &[RecordRow]) -> Vec<Done> {
    let corrected: HashSet<i64> = rows.iter().filter_map(|r| r.corrects).collect();
    // Only chains need the lookup by seq (corrections are rare).
    let by_seq: HashMap<i64, &RecordRow> = if corrected.is_empty() {
        HashMap::new()
    } else {
        rows.iter().map(|r| (r.seq, r)).collect()
    };
    // (citizen, service) → (first day, first seq, head, first): strings are cloned
    // only for the winners, at the end.
    type Best<'a> = (NaiveDate, i64, &'a RecordRow, &'a RecordRow);
    let mut best: HashMap<([u8; 32], Service), Best> = HashMap::with_capacity(rows.len());
    for head in rows.iter().filter(|r| !corrected.contains(&r.seq)) {
        if head.status == Status::Rejected {
            continue;
        }
        // Walk to the chain's first record (bounded: chains cannot loop, but a
        // damaged database must not hang the report).
        let mut first = head;
        let mut steps = 0;
        while let Some(prev) = first.corrects.and_then(|s| by_seq.get(&s)) {
            first = prev;
            steps += 1;
            if steps > rows.len() {
                break;
            }
        }
        let candidate = (first.day, first.seq, head, first);
        best.entry((head.id_index, head.service))
            .and_modify(|b| {
                if (candidate.0, candidate.1) < (b.0, b.1) {
                    *b = candidate;
                }
            })
            .or_insert(candidate);
    }
    let mut out: Vec<(i64, &RecordRow, &RecordRow)> =
        best.into_values().map(|(_, s, h, f)| (s, h, f)).collect();
    out.sort_unstable_by_key(|(s, _, _)| *s);
    out.into_iter()
        .map(|(_, head, first)| Done {
            id_index: head.id_index,
            service: head.service,
            unit_code: head.unit_code.clone(),
            org_code: head.org_code.clone(),
            officer_id: first.officer_id.clone(),
            day: first.day,
        })
        .collect()
}

fn bump(map: &mut HashMap<String, BTreeMap<NaiveDate, u64>>, key: &str, day: NaiveDate) {
    let series = match map.get_mut(key) {
        Some(s) => s,
        None => map.entry(key.to_string()).or_default(),
    };
    *series.entry(day).or_default() += 1;
}

/// Done counts for one service, per unit code and per officer, per day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DoneCounts {
    /// Unit or organisation code → day → citizens done. A record tagged with an
    /// organisation counts under both its unit and the organisation.
    pub by_unit: HashMap<String, BTreeMap<NaiveDate, u64>>,
    /// Officer → day → citizens done.
    pub by_officer: HashMap<String, BTreeMap<NaiveDate, u64>>,
}

impl DoneCounts {
    /// Count `done` for `service`.
    pub fn new(done: &[Done], service: Service) -> DoneCounts {
        let mut c = DoneCounts::default();
        for d in done.iter().filter(|d| d.service == service) {
            bump(&mut c.by_unit, &d.unit_code, d.day);
            if let Some(o) = d.org_code.as_deref().filter(|o| *o != d.unit_code) {
                bump(&mut c.by_unit, o, d.day);
            }
            bump(&mut c.by_officer, &d.officer_id, d.day);
        }
        c
    }

    /// The earliest day with anything done.
    pub fn first_day(&self) -> Option<NaiveDate> {
        self.by_unit
            .values()
            .filter_map(|m| m.keys().next())
            .min()
            .copied()
    }
}

fn bad(what: &str, e: impl std::fmt::Display) -> TrackerError {
    TrackerError::Damaged(format!("record {what}: {e}"))
}

/// Read every record's clear columns (no decryption).
pub fn load_rows(store: &Store) -> Result<Vec<RecordRow>, TrackerError> {
    let mut st = store.conn().prepare(
        "SELECT r.seq, c.seq, r.id_index, r.service, r.unit_code, r.org_code, r.officer_id,
                substr(r.created_at, 1, 10), r.status
         FROM records r LEFT JOIN records c ON c.id = r.corrects",
    )?;
    let mut rows = st.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let index: Vec<u8> = r.get(2)?;
        let service: String = r.get(3)?;
        let day: String = r.get(7)?;
        let status: String = r.get(8)?;
        out.push(RecordRow {
            seq: r.get(0)?,
            corrects: r.get(1)?,
            id_index: index
                .as_slice()
                .try_into()
                .map_err(|_| bad("id_index", "not 32 bytes"))?,
            service: service.parse().map_err(|e| bad("service", e))?,
            unit_code: r.get(4)?,
            org_code: r.get(5)?,
            officer_id: r.get(6)?,
            day: NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| bad("created_at", e))?,
            status: status.parse().map_err(|e| bad("status", e))?,
        });
    }
    Ok(out)
}

/// Every citizen done, all services.
pub fn load(store: &Store) -> Result<Vec<Done>, TrackerError> {
    Ok(resolve(&load_rows(store)?))
}

/// The keyed ID indexes of citizens served (any service, not rejected): a roster
/// entry with one of these is served.
pub fn served_indexes(store: &Store) -> Result<HashSet<[u8; 32]>, TrackerError> {
    Ok(load(store)?.into_iter().map(|d| d.id_index).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, citizen: u8, day: u32, status: Status) -> RecordRow {
        RecordRow {
            seq,
            corrects: None,
            id_index: [citizen; 32],
            service: Service::EidLevel2,
            unit_code: "V1".into(),
            org_code: None,
            officer_id: "CB01".into(),
            day: NaiveDate::from_ymd_opt(2025, 3, day).unwrap(),
            status,
        }
    }

    #[test]
    fn a_citizen_counts_once_per_service_on_the_first_day() {
        let mut card = row(3, 1, 4, Status::Queued);
        card.service = Service::CardApplication;
        let rows = [
            row(1, 1, 2, Status::Accepted),
            row(2, 1, 3, Status::Queued),
            card,
        ];
        let done = resolve(&rows);
        assert_eq!(done.len(), 2);
        assert_eq!(done[0].day.to_string(), "2025-03-02");
        assert_eq!(done[1].service, Service::CardApplication);
    }

    #[test]
    fn rejected_records_do_not_count_and_corrections_replace_the_original() {
        let mut fix = row(2, 1, 5, Status::Queued);
        fix.corrects = Some(1);
        fix.unit_code = "V2".into();
        let rows = [
            row(1, 1, 3, Status::Accepted),
            fix,
            row(3, 2, 3, Status::Rejected),
        ];
        let done = resolve(&rows);
        assert_eq!(done.len(), 1, "{done:?}");
        assert_eq!(done[0].unit_code, "V2", "the correction's unit counts");
        assert_eq!(done[0].day.to_string(), "2025-03-03", "on the day served");
        // A rejected correction takes the citizen out.
        let mut rejected_fix = row(2, 1, 5, Status::Rejected);
        rejected_fix.corrects = Some(1);
        assert!(resolve(&[row(1, 1, 3, Status::Accepted), rejected_fix]).is_empty());
    }

    #[test]
    fn an_organisation_tag_counts_under_both_codes() {
        let mut r = row(1, 1, 3, Status::Queued);
        r.org_code = Some("ORG".into());
        let c = DoneCounts::new(&resolve(&[r]), Service::EidLevel2);
        assert_eq!(c.by_unit["V1"].values().sum::<u64>(), 1);
        assert_eq!(c.by_unit["ORG"].values().sum::<u64>(), 1);
        assert_eq!(c.by_officer["CB01"].values().sum::<u64>(), 1);
        assert!(DoneCounts::new(&resolve(&[]), Service::EidLevel2)
            .by_unit
            .is_empty());
    }
}
