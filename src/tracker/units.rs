//! Administrative units and organisations: the tree every number rolls up in.
//!
//! Territorial levels are province → district → commune → village (tỉnh → huyện →
//! xã/phường → thôn/tổ dân phố). A territorial unit's parent is any territorial
//! unit of a HIGHER level (a city ward's residential groups sit right under the
//! ward; a district may be the root when a district runs the campaign). An
//! organisation (department, school, Youth Union, Women's Union, Fatherland Front)
//! must have a parent: the territorial unit it belongs to, or another
//! organisation (a school under the education department). Organisations never
//! roll into territorial totals (see `progress`).

use super::csv_io::{self, CsvRow, RowError, Schema};
use super::{ImportReport, TrackerError};
use crate::queue::Store;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// `units.csv`'s columns.
pub const SCHEMA: Schema = Schema {
    required: &["code", "name", "level", "parent_code"],
    optional: &[],
};

/// A unit's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Tỉnh / thành phố.
    Province,
    /// Huyện / quận / thị xã.
    District,
    /// Xã / phường / thị trấn.
    Commune,
    /// Thôn / xóm / bản / tổ dân phố.
    Village,
    /// A department, school or mass organisation under a unit.
    Organisation,
}

impl Level {
    /// Every level, in `units.csv` spelling.
    pub const ALL: [Level; 5] = [
        Level::Province,
        Level::District,
        Level::Commune,
        Level::Village,
        Level::Organisation,
    ];

    /// The `units.csv` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
            Level::Village => "village",
            Level::Organisation => "organisation",
        }
    }

    /// The Vietnamese name, for printed reports.
    pub fn vi(self) -> &'static str {
        match self {
            Level::Province => "Tỉnh",
            Level::District => "Huyện",
            Level::Commune => "Xã",
            Level::Village => "Thôn",
            Level::Organisation => "Cơ quan, tổ chức",
        }
    }

    /// Whether the level is territorial (counts roll up through it).
    pub fn is_territorial(self) -> bool {
        self != Level::Organisation
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_lowercase();
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s || (s == "organization" && *l == Level::Organisation))
            .ok_or_else(|| {
                format!(
                    "level {s:?} is not one of province, district, commune, village, organisation"
                )
            })
    }
}

/// One unit as imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// The unit's code (the official administrative code, or the campaign's own).
    pub code: String,
    /// Its name ("Xã Mường Tè", "Trường THCS Thị trấn").
    pub name: String,
    /// Its level.
    pub level: Level,
    /// The parent's code; `None` for a root.
    pub parent_code: Option<String>,
}

/// Why `child` may not sit under `parent` (None: it may).
fn parent_problem(child: Level, parent: Level) -> Option<String> {
    match (child.is_territorial(), parent.is_territorial()) {
        (true, false) => Some(format!("a {child} cannot be under an organisation")),
        (true, true) if parent >= child => Some(format!(
            "a {child} cannot be under a {parent} (the parent must be a higher level)"
        )),
        _ => None,
    }
}

/// The units as a tree, in a stable order (children by territorial first, then code).
#[derive(Debug, Clone, Default)]
pub struct UnitTree {
    units: Vec<Unit>,
    index: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
    roots: Vec<usize>,
}

impl UnitTree {
    /// Build from a list of units (already validated by the import). A unit whose
    /// parent is missing becomes a root.
    pub fn new(mut units: Vec<Unit>) -> UnitTree {
        units.sort_by(|a, b| {
            (!a.level.is_territorial(), &a.code).cmp(&(!b.level.is_territorial(), &b.code))
        });
        let index: HashMap<String, usize> = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.code.clone(), i))
            .collect();
        let mut children = vec![Vec::new(); units.len()];
        let mut roots = Vec::new();
        for (i, u) in units.iter().enumerate() {
            match u.parent_code.as_ref().and_then(|p| index.get(p)) {
                Some(&p) if p != i => {
                    if let Some(c) = children.get_mut(p) {
                        c.push(i);
                    }
                }
                _ => roots.push(i),
            }
        }
        UnitTree {
            units,
            index,
            children,
            roots,
        }
    }

    /// Load every unit from the database.
    pub fn load(store: &Store) -> Result<UnitTree, TrackerError> {
        let mut st = store
            .conn()
            .prepare("SELECT code, name, level, parent_code FROM tracker_units")?;
        let units = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let units = units
            .into_iter()
            .map(|(code, name, level, parent_code)| {
                Ok(Unit {
                    level: level
                        .parse()
                        .map_err(|m| TrackerError::Damaged(format!("unit {code}: {m}")))?,
                    code,
                    name,
                    parent_code,
                })
            })
            .collect::<Result<Vec<_>, TrackerError>>()?;
        Ok(UnitTree::new(units))
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether there are no units.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The unit at position `i` (positions are stable for this tree).
    pub fn unit(&self, i: usize) -> Option<&Unit> {
        self.units.get(i)
    }

    /// The position of the unit with `code`.
    pub fn position(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    /// The unit with `code`.
    pub fn get(&self, code: &str) -> Option<&Unit> {
        self.position(code).and_then(|i| self.units.get(i))
    }

    /// Positions of `i`'s children.
    pub fn children(&self, i: usize) -> &[usize] {
        self.children.get(i).map(Vec::as_slice).unwrap_or_default()
    }

    /// Positions of the roots (units without a parent).
    pub fn roots(&self) -> &[usize] {
        &self.roots
    }

    /// Every unit depth first (a parent before its children), with its depth.
    pub fn depth_first(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.units.len());
        let mut stack: Vec<(usize, usize)> = self.roots.iter().rev().map(|&r| (r, 0)).collect();
        let mut seen = vec![false; self.units.len()];
        while let Some((i, d)) = stack.pop() {
            if seen.get(i).copied().unwrap_or(true) {
                continue;
            }
            if let Some(s) = seen.get_mut(i) {
                *s = true;
            }
            out.push((i, d));
            for &c in self.children(i).iter().rev() {
                stack.push((c, d + 1));
            }
        }
        out
    }

    /// `code` and every unit under it (organisations included).
    pub fn subtree(&self, code: &str) -> HashSet<String> {
        let mut out = HashSet::new();
        let mut stack: Vec<usize> = self.position(code).into_iter().collect();
        while let Some(i) = stack.pop() {
            if let Some(u) = self.units.get(i) {
                if out.insert(u.code.clone()) {
                    stack.extend_from_slice(self.children(i));
                }
            }
        }
        out
    }
}

fn parse_row(row: &CsvRow) -> Result<Unit, String> {
    let code = row.get(0);
    if code.is_empty() {
        return Err("code: empty".into());
    }
    if code.eq_ignore_ascii_case("TOTAL") {
        return Err("code: TOTAL is the report's totals row; choose another code".into());
    }
    let name = row.get(1);
    if name.is_empty() {
        return Err(format!("name: empty for unit {code}"));
    }
    let level: Level = row.get(2).parse()?;
    let parent = row.get(3);
    if parent == code {
        return Err(format!("parent_code: unit {code} cannot be its own parent"));
    }
    if parent.is_empty() && !level.is_territorial() {
        return Err(format!(
            "parent_code: organisation {code} needs the unit it belongs to"
        ));
    }
    Ok(Unit {
        code: code.into(),
        name: name.into(),
        level,
        parent_code: (!parent.is_empty()).then(|| parent.to_string()),
    })
}

/// Import `units.csv`: bad rows are reported by line, the good ones are inserted or
/// updated (by code) in one transaction.
pub fn import_units(
    store: &mut Store,
    bytes: &[u8],
    file: &str,
) -> Result<ImportReport, TrackerError> {
    let (rows, mut rejected) = csv_io::read(bytes, file, &SCHEMA)?;
    let existing = UnitTree::load(store)?;
    // Syntax first; duplicates within the file are refused on their later line.
    let mut good: Vec<(u64, Unit)> = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for row in &rows {
        match parse_row(row) {
            Ok(u) => {
                if let Some(l) = first_line.get(&u.code) {
                    rejected.push(RowError {
                        line: row.line,
                        reason: format!("code: unit {} already on line {l}", u.code),
                    });
                } else {
                    first_line.insert(u.code.clone(), row.line);
                    good.push((row.line, u));
                }
            }
            Err(reason) => rejected.push(RowError {
                line: row.line,
                reason,
            }),
        }
    }
    // Parents: in this file (if its row is good) or already in the database. A row
    // whose parent is refused is refused too, until nothing changes.
    loop {
        let levels: HashMap<&str, Level> = existing
            .units
            .iter()
            .map(|u| (u.code.as_str(), u.level))
            .chain(good.iter().map(|(_, u)| (u.code.as_str(), u.level)))
            .collect();
        let mut refused: Vec<(u64, String)> = Vec::new();
        for (line, u) in &good {
            let Some(p) = &u.parent_code else { continue };
            match levels.get(p.as_str()) {
                None => refused.push((
                    *line,
                    format!(
                        "parent_code: unknown unit {p:?} for {} (not in this file nor imported before)",
                        u.code
                    ),
                )),
                Some(&pl) => {
                    if let Some(m) = parent_problem(u.level, pl) {
                        refused.push((*line, format!("parent_code: {m} ({} under {p})", u.code)));
                    }
                }
            }
        }
        if refused.is_empty() {
            break;
        }
        let lines: HashSet<u64> = refused.iter().map(|(l, _)| *l).collect();
        good.retain(|(l, _)| !lines.contains(l));
        rejected.extend(
            refused
                .into_iter()
                .map(|(line, reason)| RowError { line, reason }),
        );
    }
    // A level changed on re-import must still fit the children already stored
    // (those this file does not move elsewhere).
    let in_file: HashSet<&str> = rows.iter().map(|r| r.get(0)).collect();
    let mut misfits = Vec::new();
    for (line, u) in &good {
        let Some(pos) = existing.position(&u.code) else {
            continue;
        };
        for &c in existing.children(pos) {
            let Some(child) = existing.unit(c) else {
                continue;
            };
            if in_file.contains(child.code.as_str()) {
                continue;
            }
            if let Some(m) = parent_problem(child.level, u.level) {
                misfits.push(RowError {
                    line: *line,
                    reason: format!("level: {} already has {} under it: {m}", u.code, child.code),
                });
                break;
            }
        }
    }
    let lines: HashSet<u64> = misfits.iter().map(|e| e.line).collect();
    good.retain(|(l, _)| !lines.contains(l));
    rejected.extend(misfits);
    // Organisation cycles (A under B under A): refuse every row on a cycle.
    let parent_of: HashMap<String, Option<String>> = existing
        .units
        .iter()
        .map(|u| (u.code.clone(), u.parent_code.clone()))
        .chain(
            good.iter()
                .map(|(_, u)| (u.code.clone(), u.parent_code.clone())),
        )
        .collect();
    let mut cyclic = HashSet::new();
    for (_, u) in &good {
        let mut cur = u.parent_code.clone();
        let mut steps = 0;
        while let Some(c) = cur {
            if c == u.code {
                cyclic.insert(u.code.clone());
                break;
            }
            steps += 1;
            if steps > parent_of.len() {
                break;
            }
            cur = parent_of.get(&c).cloned().flatten();
        }
    }
    good.retain(|(line, u)| {
        if cyclic.contains(&u.code) {
            rejected.push(RowError {
                line: *line,
                reason: format!("parent_code: unit {} is its own ancestor (a cycle)", u.code),
            });
            false
        } else {
            true
        }
    });
    let (mut inserted, mut updated) = (0, 0);
    let tx = store.conn_mut().transaction()?;
    for (_, u) in &good {
        let was: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM tracker_units WHERE code = ?1",
                [&u.code],
                |r| r.get(0),
            )
            .optional()?;
        tx.execute(
            "INSERT INTO tracker_units (code, name, level, parent_code) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code",
            params![u.code, u.name, u.level.as_str(), u.parent_code],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reimport_updates_by_code_and_keeps_the_tree_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let units = "code,name,level,parent_code\nH,Huyện,district,\nX,Xã,commune,H\nT,Thôn,village,X\nS,Trường,organisation,X\nS2,Chi đoàn,organisation,S\n";
        let r = import_units(&mut store, units.as_bytes(), "u.csv").unwrap();
        assert_eq!((r.inserted, r.updated, r.rejected.len()), (5, 0, 0));
        let r = import_units(&mut store, units.as_bytes(), "u.csv").unwrap();
        assert_eq!((r.inserted, r.updated), (0, 5), "idempotent");
        // X cannot become a village while the village T is under it.
        let r = import_units(
            &mut store,
            b"code,name,level,parent_code\nX,Xa,village,H\n",
            "u.csv",
        )
        .unwrap();
        assert_eq!(r.rejected.len(), 1);
        assert!(
            r.rejected[0].reason.contains("already has T under it"),
            "{:?}",
            r.rejected
        );
        // An organisation cycle is refused.
        let r = import_units(
            &mut store,
            b"code,name,level,parent_code\nS,Truong,organisation,S2\n",
            "u.csv",
        )
        .unwrap();
        assert!(r.rejected[0].reason.contains("cycle"), "{:?}", r.rejected);
        let tree = UnitTree::load(&store).unwrap();
        assert_eq!(tree.get("X").unwrap().level, Level::Commune);
        assert_eq!(tree.subtree("X").len(), 4);
    }
}
