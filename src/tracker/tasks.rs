//! Tasks, the "5 rõ" way: clear person (owner), clear work (content), clear
//! timeline (deadline), clear result (the measured result, recorded when done),
//! clear responsibility (the head who answers for it).
//!
//! A task is open until its result is recorded; an open task past its deadline is
//! overdue. Tasks hold no citizen data.

use super::{parse_date, TrackerError};
use crate::queue::Store;
use chrono::{NaiveDate, Utc};
use rusqlite::params;
use serde::Serialize;

/// A task to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// The unit the task belongs to.
    pub unit_code: String,
    /// What is to be done ("Rà soát danh sách thôn Nậm Củm").
    pub content: String,
    /// Who does it (rõ người).
    pub owner: String,
    /// Who answers for it (rõ trách nhiệm).
    pub responsible: String,
    /// By when (rõ tiến độ).
    pub deadline: NaiveDate,
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Its number.
    pub id: i64,
    /// The unit.
    pub unit_code: String,
    /// What.
    pub content: String,
    /// Who.
    pub owner: String,
    /// Who answers for it.
    pub responsible: String,
    /// By when.
    pub deadline: NaiveDate,
    /// The measured result (rõ kết quả), once recorded.
    pub result: Option<String>,
    /// The day the result was recorded.
    pub done_on: Option<NaiveDate>,
}

impl Task {
    /// Open and past its deadline on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.done_on.is_none() && today > self.deadline
    }
}

fn invalid(field: &str, message: &str) -> TrackerError {
    TrackerError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Add a task; every "rõ" must be filled and the unit must exist.
pub fn add(store: &Store, t: &NewTask) -> Result<i64, TrackerError> {
    for (field, v) in [
        ("content", &t.content),
        ("owner", &t.owner),
        ("responsible", &t.responsible),
    ] {
        if v.trim().is_empty() {
            return Err(invalid(
                field,
                "empty: every task has a clear person, work and responsibility",
            ));
        }
    }
    if super::units::UnitTree::load(store)?
        .get(&t.unit_code)
        .is_none()
    {
        return Err(invalid("unit", "not a known unit (import units.csv first)"));
    }
    store.conn().execute(
        "INSERT INTO tracker_tasks (unit_code, content, owner, responsible, deadline, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            t.unit_code,
            t.content.trim(),
            t.owner.trim(),
            t.responsible.trim(),
            t.deadline.to_string(),
            Utc::now().to_rfc3339()
        ],
    )?;
    Ok(store.conn().last_insert_rowid())
}

/// Record a task's result on `day` (closing it).
pub fn record_result(
    store: &Store,
    id: i64,
    result: &str,
    day: NaiveDate,
) -> Result<(), TrackerError> {
    if result.trim().is_empty() {
        return Err(invalid("result", "empty: say what was achieved"));
    }
    let n = store.conn().execute(
        "UPDATE tracker_tasks SET result = ?1, done_on = ?2 WHERE id = ?3",
        params![result.trim(), day.to_string(), id],
    )?;
    if n == 0 {
        return Err(invalid("id", "no such task"));
    }
    Ok(())
}

/// Every task, by deadline.
pub fn list(store: &Store) -> Result<Vec<Task>, TrackerError> {
    let mut st = store.conn().prepare(
        "SELECT id, unit_code, content, owner, responsible, deadline, result, done_on
         FROM tracker_tasks ORDER BY deadline, id",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(
            |(id, unit_code, content, owner, responsible, deadline, result, done_on)| {
                Ok(Task {
                    id,
                    unit_code,
                    content,
                    owner,
                    responsible,
                    deadline: parse_date(&deadline).map_err(TrackerError::Damaged)?,
                    result,
                    done_on: done_on
                        .map(|d| parse_date(&d).map_err(TrackerError::Damaged))
                        .transpose()?,
                })
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_has_its_five_clear_parts_and_becomes_overdue_when_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        crate::tracker::units::import_units(
            &mut store,
            "code,name,level,parent_code\nX,Xã Mường Tè,commune,\n".as_bytes(),
            "u.csv",
        )
        .unwrap();
        let day = |s: &str| parse_date(s).unwrap();
        let mut t = NewTask {
            unit_code: "X".into(),
            content: "Rà soát danh sách bản Nậm Củm".into(),
            owner: "Lò Văn Sơn".into(),
            responsible: "Trưởng Công an xã".into(),
            deadline: day("2025-06-10"),
        };
        let id = add(&store, &t).unwrap();
        let list1 = list(&store).unwrap();
        assert_eq!(list1.len(), 1);
        assert!(!list1[0].overdue(day("2025-06-10")));
        assert!(list1[0].overdue(day("2025-06-11")));
        record_result(
            &store,
            id,
            "Đã rà soát 312 người, 41 người đi làm ăn xa",
            day("2025-06-11"),
        )
        .unwrap();
        let done = list(&store).unwrap();
        assert!(!done[0].overdue(day("2025-06-20")));
        assert_eq!(done[0].done_on, Some(day("2025-06-11")));
        assert!(record_result(&store, 99, "x", day("2025-06-11")).is_err());
        t.owner = " ".into();
        assert!(
            matches!(add(&store, &t), Err(TrackerError::Invalid { ref field, .. }) if field == "owner")
        );
        t.owner = "A".into();
        t.unit_code = "Z".into();
        assert!(
            matches!(add(&store, &t), Err(TrackerError::Invalid { ref field, .. }) if field == "unit")
        );
    }
}
