//! Targets per unit or organisation and service, with a deadline (`targets.csv`),
//! and the campaign's name and dates.
//!
//! Campaigns count e-ID level-2 activations and card applications separately
//! (DESIGN "Tracker counting"): the optional fourth column `service` is
//! `eid_level2` (default) or `card_application`. A target is keyed by unit and
//! service; re-importing replaces it.

use super::csv_io::{self, RowError, Schema};
use super::{parse_date, ImportReport, TrackerError};
use crate::queue::{Service, Store};
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;

/// `targets.csv`'s columns.
pub const SCHEMA: Schema = Schema {
    required: &["unit_code", "target", "deadline"],
    optional: &["service"],
};

/// The services a target can count.
pub const TARGET_SERVICES: [Service; 2] = [Service::EidLevel2, Service::CardApplication];

/// Parse a target's service (`eid_level2 | card_application`).
pub fn parse_service(s: &str) -> Result<Service, String> {
    match s.trim() {
        "" | "eid_level2" => Ok(Service::EidLevel2),
        "card_application" => Ok(Service::CardApplication),
        other => Err(format!(
            "service {other:?} is not one of eid_level2, card_application"
        )),
    }
}

/// One unit's target for one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Number of citizens to serve.
    pub target: u64,
    /// The last day that counts.
    pub deadline: NaiveDate,
}

/// The campaign: its name and dates (pace and forecasts count from its start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    /// "Chiến dịch 22 ngày đêm".
    pub name: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

/// Set the campaign (one per database).
pub fn set_campaign(store: &mut Store, c: &Campaign) -> Result<(), TrackerError> {
    if c.name.trim().is_empty() {
        return Err(TrackerError::Invalid {
            field: "name".into(),
            message: "empty".into(),
        });
    }
    if c.end < c.start {
        return Err(TrackerError::Invalid {
            field: "end".into(),
            message: format!("{} is before the start {}", c.end, c.start),
        });
    }
    store.conn().execute(
        "INSERT INTO tracker_campaign (id, name, start_date, end_date) VALUES (1, ?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, start_date = excluded.start_date, end_date = excluded.end_date",
        params![c.name.trim(), c.start.to_string(), c.end.to_string()],
    )?;
    Ok(())
}

/// The campaign, when set.
pub fn campaign(store: &Store) -> Result<Option<Campaign>, TrackerError> {
    let row: Option<(String, String, String)> = store
        .conn()
        .query_row(
            "SELECT name, start_date, end_date FROM tracker_campaign WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    row.map(|(name, s, e)| {
        Ok(Campaign {
            name,
            start: parse_date(&s).map_err(TrackerError::Damaged)?,
            end: parse_date(&e).map_err(TrackerError::Damaged)?,
        })
    })
    .transpose()
}

/// Every target for `service`, by unit code.
pub fn load(store: &Store, service: Service) -> Result<HashMap<String, Target>, TrackerError> {
    let mut st = store
        .conn()
        .prepare("SELECT unit_code, target, deadline FROM tracker_targets WHERE service = ?1")?;
    let rows = st
        .query_map([service.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(code, t, d)| {
            Ok((
                code,
                Target {
                    target: u64::try_from(t).unwrap_or(0),
                    deadline: parse_date(&d).map_err(TrackerError::Damaged)?,
                },
            ))
        })
        .collect()
}

/// Import `targets.csv` (units must be imported first): bad rows reported by line,
/// good rows inserted or replaced (by unit and service) in one transaction.
pub fn import_targets(
    store: &mut Store,
    bytes: &[u8],
    file: &str,
) -> Result<ImportReport, TrackerError> {
    let (rows, mut rejected) = csv_io::read(bytes, file, &SCHEMA)?;
    let units = super::units::UnitTree::load(store)?;
    let mut good: Vec<(String, Service, Target)> = Vec::new();
    let mut seen: HashMap<(String, Service), u64> = HashMap::new();
    for row in &rows {
        let parsed = (|| {
            let code = row.get(0);
            if units.get(code).is_none() {
                return Err(format!(
                    "unit_code: unknown unit {code:?} (import it in units.csv first)"
                ));
            }
            let target: u64 = row.get(1).parse().map_err(|_| {
                format!(
                    "target: {:?} is not a whole number of citizens (0 or more)",
                    row.get(1)
                )
            })?;
            let deadline = parse_date(row.get(2)).map_err(|m| format!("deadline: {m}"))?;
            let service = parse_service(row.get(3)).map_err(|m| format!("service: {m}"))?;
            Ok((code.to_string(), service, Target { target, deadline }))
        })();
        match parsed {
            Ok((code, service, t)) => {
                if let Some(l) = seen.get(&(code.clone(), service)) {
                    rejected.push(RowError {
                        line: row.line,
                        reason: format!(
                            "unit_code: {code} already has a {service} target on line {l}"
                        ),
                    });
                } else {
                    seen.insert((code.clone(), service), row.line);
                    good.push((code, service, t));
                }
            }
            Err(reason) => rejected.push(RowError {
                line: row.line,
                reason,
            }),
        }
    }
    let (mut inserted, mut updated) = (0, 0);
    let tx = store.conn_mut().transaction()?;
    for (code, service, t) in &good {
        let was: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM tracker_targets WHERE unit_code = ?1 AND service = ?2",
                params![code, service.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        tx.execute(
            "INSERT INTO tracker_targets (unit_code, service, target, deadline) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(unit_code, service) DO UPDATE SET target = excluded.target, deadline = excluded.deadline",
            params![code, service.as_str(), i64::try_from(t.target).unwrap_or(i64::MAX), t.deadline.to_string()],
        )?;
        if was.is_some() {
            updated += 1;
        } else {
            inserted += 1;
        }
    }
    tx.commit()?;
    rejected.sort_by_key(|e| e.line);
    Ok(ImportReport {
        file: file.into(),
        inserted,
        updated,
        rejected,
    })
}
