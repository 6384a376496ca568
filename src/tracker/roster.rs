//! The residents roster: the citizens not yet served, each classified and assigned
//! to an officer (`roster.csv`), and the search the roster screen and
//! `tracker roster` use.
//!
//! Personal data (DESIGN "Storage"): the ID number, name, date of birth, sex and
//! address are sealed with the kiosk's data key like a record's personal part
//! (XChaCha20-Poly1305, bound to the row's index). The row's key is the SAME
//! keyed hash (HMAC) of the ID number as records' `id_index`, so "served" is a
//! join between the two tables with nothing decrypted. Unit, classification and
//! officer stay in the clear: the per-officer and per-village counts need them,
//! and without the key a row cannot be tied to a person.
//!
//! Search runs in memory after the roster is decrypted once ([`RosterIndex::load`]):
//! names are folded (Unicode NFD, combining marks dropped, `đ`→`d`, lower case),
//! so "nguyen van a" finds "Nguyễn Văn A" whether the file was typed composed or
//! decomposed. Every word typed must begin a word of the name, in any order; a
//! query of digits matches the ID number instead.

use super::csv_io::{self, RowError, Schema};
use super::units::UnitTree;
use super::{parse_date, ImportReport, TrackerError};
use crate::card::access_key::IdNumber;
use crate::queue::Store;
use chrono::Utc;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroize;

/// `roster.csv`'s columns.
pub const SCHEMA: Schema = Schema {
    required: &[
        "id_number",
        "full_name",
        "date_of_birth",
        "sex",
        "unit_code",
        "address",
        "classification",
        "officer_id",
    ],
    optional: &[],
};

/// How a citizen not yet served is classified (Mường Tè plan, 003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Present at the address.
    Present,
    /// Permanent resident living in another province.
    OtherProvince,
    /// Working far away.
    WorkingAway,
    /// Absent, whereabouts unknown.
    Unknown,
    /// Special case (elderly, disabled): served at home.
    HomeVisit,
}

impl Classification {
    /// Every value, in `roster.csv` spelling.
    pub const ALL: [Classification; 5] = [
        Classification::Present,
        Classification::OtherProvince,
        Classification::WorkingAway,
        Classification::Unknown,
        Classification::HomeVisit,
    ];

    /// The `roster.csv` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Present => "present",
            Classification::OtherProvince => "other_province",
            Classification::WorkingAway => "working_away",
            Classification::Unknown => "unknown",
            Classification::HomeVisit => "home_visit",
        }
    }

    /// The Vietnamese wording, for printed lists.
    pub fn vi(self) -> &'static str {
        match self {
            Classification::Present => "Có mặt tại địa phương",
            Classification::OtherProvince => "Thường trú, đang ở tỉnh khác",
            Classification::WorkingAway => "Đi làm ăn xa",
            Classification::Unknown => "Vắng mặt, không rõ nơi ở",
            Classification::HomeVisit => "Trường hợp đặc biệt, thu nhận tại nhà",
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Classification {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Classification::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not one of present, other_province, working_away, unknown, home_visit")
            })
    }
}

/// The sealed part of a roster row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
struct Personal {
    id_number: String,
    full_name: String,
    date_of_birth: String,
    sex: String,
    address: String,
}

/// One roster entry, decrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterEntry {
    /// The 12-digit ID number.
    pub id_number: String,
    /// Full name as imported.
    pub full_name: String,
    /// `YYYY-MM-DD`, or `YYYY` when only the birth year is known (common for the elderly).
    pub date_of_birth: String,
    /// `Nam` or `Nữ`.
    pub sex: String,
    /// The unit (usually a village) the citizen lives in.
    pub unit_code: String,
    /// Address as imported.
    pub address: String,
    /// Classification.
    pub classification: Classification,
    /// The officer the citizen is assigned to ("" when not yet assigned).
    pub officer_id: String,
    /// Whether a record (any service, not rejected) carries the citizen's ID number.
    pub served: bool,
    /// An open card-application appointment (issue 9): the roster shows "applied,
    /// appointment on …".
    #[serde(skip)]
    pub appointment: Option<crate::application::calendar::Appointment>,
    /// The folded name with a leading space, so "begins a word" is one substring search.
    #[serde(skip)]
    folded: String,
}

/// Fold text for search: NFD, combining marks dropped, `đ`→`d`, lower case, runs of
/// non-alphanumerics as one space.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn aad(index: &[u8; 32]) -> Vec<u8> {
    let mut a = b"roster:".to_vec();
    a.extend_from_slice(index);
    a
}

fn parse_sex(s: &str) -> Result<&'static str, String> {
    match fold(s).as_str() {
        "nam" | "m" | "male" => Ok("Nam"),
        "nu" | "f" | "female" => Ok("Nữ"),
        _ => Err(format!("sex: {s:?} is not Nam or Nữ")),
    }
}

fn parse_birth(s: &str) -> Result<String, String> {
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(s.into());
    }
    parse_date(s)
        .map(|d| d.to_string())
        .map_err(|m| format!("date_of_birth: {m} (or YYYY when only the year is known)"))
}

/// Import `roster.csv` (units first): bad rows by line, good rows inserted or
/// updated (keyed by the ID number's keyed hash) in one transaction.
pub fn import_roster(
    store: &mut Store,
    bytes: &[u8],
    file: &str,
) -> Result<ImportReport, TrackerError> {
    let (rows, mut rejected) = csv_io::read(bytes, file, &SCHEMA)?;
    let units = UnitTree::load(store)?;
    let mut seen: HashMap<[u8; 32], u64> = HashMap::new();
    // (index, unit, classification, officer, sealed personal part)
    type Row = ([u8; 32], String, Classification, String, Vec<u8>);
    let mut good: Vec<Row> = Vec::new();
    for row in &rows {
        let parsed = (|| {
            let id =
                IdNumber::parse(row.get(0)).map_err(|e| format!("id_number: {}", e.message))?;
            let full_name = row.get(1);
            if full_name.is_empty() {
                return Err("full_name: empty".to_string());
            }
            let date_of_birth = parse_birth(row.get(2))?;
            let sex = parse_sex(row.get(3))?;
            let unit = row.get(4);
            if units.get(unit).is_none() {
                return Err(format!(
                    "unit_code: unknown unit {unit:?} (import it in units.csv first)"
                ));
            }
            let class: Classification = row
                .get(6)
                .parse()
                .map_err(|m| format!("classification: {m}"))?;
            Ok((
                Personal {
                    id_number: id.as_str().to_string(),
                    full_name: full_name.to_string(),
                    date_of_birth,
                    sex: sex.to_string(),
                    address: row.get(5).to_string(),
                },
                unit.to_string(),
                class,
                row.get(7).to_string(),
            ))
        })();
        match parsed {
            Ok((mut personal, unit, class, officer)) => {
                let index = store.id_number_index(&personal.id_number);
                if let Some(l) = seen.get(&index) {
                    rejected.push(RowError {
                        line: row.line,
                        reason: format!("id_number: the same citizen is already on line {l}"),
                    });
                    personal.zeroize();
                    continue;
                }
                seen.insert(index, row.line);
                let mut json = serde_json::to_vec(&personal)
                    .map_err(|e| TrackerError::Damaged(e.to_string()))?;
                personal.zeroize();
                let sealed = store.keys().seal(&aad(&index), &json)?;
                json.zeroize();
                good.push((index, unit, class, officer, sealed));
            }
            Err(reason) => rejected.push(RowError {
                line: row.line,
                reason,
            }),
        }
    }
    let now = Utc::now().to_rfc3339();
    let (mut inserted, mut updated) = (0, 0);
    let tx = store.conn_mut().transaction()?;
    {
        let mut exists = tx.prepare("SELECT 1 FROM tracker_roster WHERE id_index = ?1")?;
        let mut upsert = tx.prepare(
            "INSERT INTO tracker_roster (id_index, unit_code, classification, officer_id, personal, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(id_index) DO UPDATE SET unit_code = excluded.unit_code, classification = excluded.classification,
                 officer_id = excluded.officer_id, personal = excluded.personal, updated_at = excluded.updated_at",
        )?;
        for (index, unit, class, officer, sealed) in &good {
            let was: Option<i64> = exists
                .query_row([index.as_slice()], |r| r.get(0))
                .optional()?;
            upsert.execute(params![
                index.as_slice(),
                unit,
                class.as_str(),
                officer,
                sealed,
                now
            ])?;
            if was.is_some() {
                updated += 1;
            } else {
                inserted += 1;
            }
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

/// What to look for in the roster; every given part must match.
#[derive(Debug, Clone, Default)]
pub struct RosterQuery {
    /// Name words (diacritics-insensitive), or digits of the ID number.
    pub text: Option<String>,
    /// The village (or any unit: its whole subtree).
    pub unit: Option<String>,
    /// Only this classification.
    pub classification: Option<Classification>,
    /// Only this officer's citizens.
    pub officer: Option<String>,
    /// Only served (`Some(true)`) or not yet served (`Some(false)`).
    pub served: Option<bool>,
}

/// The decrypted roster, held in memory after unlock for instant search.
#[derive(Debug, Default)]
pub struct RosterIndex {
    entries: Vec<RosterEntry>,
    units: UnitTree,
    /// Every folded name (each with its leading space) followed by `\n`, in entry
    /// order: a name word is found with one substring search over this text (std's
    /// two-way search) instead of a loop over 100,000 entries.
    names: String,
    /// Offset in `names` where each entry's name starts.
    starts: Vec<usize>,
    /// Unit code → entries in it.
    by_unit: HashMap<String, Vec<usize>>,
}

impl RosterIndex {
    /// Decrypt the whole roster and mark who is served (see [`super::done`]).
    pub fn load(store: &Store) -> Result<RosterIndex, TrackerError> {
        let served: HashSet<[u8; 32]> = super::done::served_indexes(store)?;
        let mut appointments = crate::application::calendar::open_by_index(store)
            .map_err(|e| TrackerError::Damaged(format!("appointments: {e}")))?;
        let units = UnitTree::load(store)?;
        let mut st = store.conn().prepare(
            "SELECT id_index, unit_code, classification, officer_id, personal FROM tracker_roster",
        )?;
        let mut rows = st.query([])?;
        let mut entries = Vec::new();
        while let Some(r) = rows.next()? {
            let index: Vec<u8> = r.get(0)?;
            let index: [u8; 32] = index
                .as_slice()
                .try_into()
                .map_err(|_| TrackerError::Damaged("roster row with a bad index".into()))?;
            let class: String = r.get(2)?;
            let sealed: Vec<u8> = r.get(4)?;
            let plain = store.keys().open(&aad(&index), &sealed)?;
            let p: Personal = serde_json::from_slice(&plain)
                .map_err(|e| TrackerError::Damaged(format!("roster entry: {e}")))?;
            entries.push(RosterEntry {
                folded: format!(" {}", fold(&p.full_name)),
                id_number: p.id_number,
                full_name: p.full_name,
                date_of_birth: p.date_of_birth,
                sex: p.sex,
                unit_code: r.get(1)?,
                address: p.address,
                classification: class.parse().map_err(TrackerError::Damaged)?,
                officer_id: r.get(3)?,
                served: served.contains(&index),
                appointment: appointments.remove(index.as_slice()),
            });
        }
        entries.sort_by(|a, b| (&a.folded, &a.id_number).cmp(&(&b.folded, &b.id_number)));
        let mut names = String::new();
        let mut starts = Vec::with_capacity(entries.len());
        let mut by_unit: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            starts.push(names.len());
            names.push_str(&e.folded);
            names.push('\n');
            by_unit.entry(e.unit_code.clone()).or_default().push(i);
        }
        Ok(RosterIndex {
            entries,
            units,
            names,
            starts,
            by_unit,
        })
    }

    /// Every entry, sorted by folded name.
    pub fn entries(&self) -> &[RosterEntry] {
        &self.entries
    }

    /// The units loaded with the roster: the screens show village names, not codes.
    pub fn units(&self) -> &UnitTree {
        &self.units
    }

    /// Entries matching `q`, exact name matches first, then by name.
    pub fn search(&self, q: &RosterQuery) -> Vec<&RosterEntry> {
        let text = q.text.as_deref().map(str::trim).unwrap_or_default();
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        let folded = if digits { String::new() } else { fold(text) };
        let words: Vec<String> = folded
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| format!(" {w}"))
            .collect();
        let exact = format!(" {folded}");
        // Candidates: entries containing the longest word (the most selective), or
        // the entries of the units asked for, or everyone.
        let candidates: Vec<usize> = if let Some(longest) = words.iter().max_by_key(|w| w.len()) {
            let mut c: Vec<usize> = self
                .names
                .match_indices(longest.as_str())
                .map(|(off, _)| self.starts.partition_point(|&s| s <= off).saturating_sub(1))
                .collect();
            c.dedup();
            c
        } else if let Some(u) = q.unit.as_deref() {
            let mut c: Vec<usize> = self
                .units
                .subtree(u)
                .iter()
                .filter_map(|code| self.by_unit.get(code))
                .flatten()
                .copied()
                .collect();
            c.sort_unstable();
            c
        } else {
            (0..self.entries.len()).collect()
        };
        let subtree = q.unit.as_deref().map(|u| self.units.subtree(u));
        let mut out: Vec<&RosterEntry> = candidates
            .into_iter()
            .filter_map(|i| self.entries.get(i))
            .filter(|e| {
                q.classification.is_none_or(|c| e.classification == c)
                    && q.officer.as_deref().is_none_or(|o| e.officer_id == o)
                    && q.served.is_none_or(|s| e.served == s)
                    && subtree.as_ref().is_none_or(|s| s.contains(&e.unit_code))
                    && if digits {
                        e.id_number.contains(text)
                    } else {
                        words.iter().all(|w| e.folded.contains(w.as_str()))
                    }
            })
            .collect();
        if !words.is_empty() {
            out.sort_by_key(|e| e.folded != exact);
        }
        out
    }

    /// The day's home-visit list: citizens to serve at home, not yet served, by officer.
    pub fn home_visits(&self, officer: Option<&str>) -> Vec<&RosterEntry> {
        self.search(&RosterQuery {
            classification: Some(Classification::HomeVisit),
            officer: officer.map(str::to_string),
            served: Some(false),
            ..RosterQuery::default()
        })
    }
}

/// Per-officer roster counts (no decryption): assigned, served, home visits pending.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OfficerRoster {
    /// Citizens on the roster assigned to the officer.
    pub assigned: u64,
    /// Of those, served.
    pub served: u64,
    /// Home visits still to make.
    pub home_visits_pending: u64,
}

/// Roster counts per officer, from the clear columns and the keyed index;
/// `served` is [`super::done::served_indexes`] (the caller has usually counted already).
pub fn officer_counts(
    store: &Store,
    served: &HashSet<[u8; 32]>,
) -> Result<HashMap<String, OfficerRoster>, TrackerError> {
    let mut st = store
        .conn()
        .prepare("SELECT id_index, officer_id, classification FROM tracker_roster")?;
    let mut rows = st.query([])?;
    let mut out: HashMap<String, OfficerRoster> = HashMap::new();
    while let Some(r) = rows.next()? {
        let index: Vec<u8> = r.get(0)?;
        let officer: String = r.get(1)?;
        let class: String = r.get(2)?;
        let is_served = <[u8; 32]>::try_from(index.as_slice()).is_ok_and(|i| served.contains(&i));
        let o = out.entry(officer).or_default();
        o.assigned += 1;
        if is_served {
            o.served += 1;
        } else if class == Classification::HomeVisit.as_str() {
            o.home_visits_pending += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_vietnamese_marks_composed_or_decomposed() {
        assert_eq!(fold("Nguyễn Văn A"), "nguyen van a");
        assert_eq!(fold("ĐẶNG Thị Đào"), "dang thi dao");
        // The same name typed decomposed (a base letter and combining marks).
        let nfd: String = "Hoàng Quốc Bảo".nfd().collect();
        assert_ne!(nfd, "Hoàng Quốc Bảo");
        assert_eq!(fold(&nfd), "hoang quoc bao");
        assert_eq!(fold("  Lò   Văn-Sơn "), "lo van son");
    }

    #[test]
    fn sex_and_birth_accept_what_offices_type() {
        assert_eq!(parse_sex("Nữ").unwrap(), "Nữ");
        assert_eq!(parse_sex("nu").unwrap(), "Nữ");
        assert_eq!(parse_sex("Nam").unwrap(), "Nam");
        assert!(parse_sex("X").is_err());
        assert_eq!(parse_birth("1948").unwrap(), "1948");
        assert_eq!(parse_birth("1990-05-17").unwrap(), "1990-05-17");
        assert!(parse_birth("17/05/1990").is_err());
    }
}
