//! Progress per unit, organisation and officer: pure functions over the unit tree,
//! the targets and the done counts (no database, no clock), so every number in a
//! report can be checked by hand. The rules are in the module doc of
//! [`crate::tracker`]; the arithmetic is here.

use super::done::DoneCounts;
use super::roster::OfficerRoster;
use super::targets::Target;
use super::units::{Level, UnitTree};
use crate::queue::Service;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// Whether a report covers a day or a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// One local calendar day.
    Day,
    /// Monday to Sunday.
    Week,
}

/// The period a report covers, and the day it is made "as of".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Day or week.
    pub kind: PeriodKind,
    /// First day counted in `done_day`.
    pub first: NaiveDate,
    /// Last day counted in `done_day` and `done_total`.
    pub last: NaiveDate,
    /// The day named on the command line: days left, pace and status are as of it.
    pub as_of: NaiveDate,
}

impl Period {
    /// The day `d`.
    pub fn day(d: NaiveDate) -> Period {
        Period {
            kind: PeriodKind::Day,
            first: d,
            last: d,
            as_of: d,
        }
    }

    /// The Monday–Sunday week containing `d`, as of `d`.
    pub fn week(d: NaiveDate) -> Period {
        let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
        Period {
            kind: PeriodKind::Week,
            first: monday,
            last: monday + Duration::days(6),
            as_of: d,
        }
    }
}

/// A unit's standing against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// Target reached.
    Done,
    /// At the pace so far, the target is reached by the deadline.
    OnTrack,
    /// At the pace so far, it is not.
    AtRisk,
    /// The deadline has passed and the target is not reached.
    Late,
}

impl UnitStatus {
    /// The report's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::Done => "done",
            UnitStatus::OnTrack => "on_track",
            UnitStatus::AtRisk => "at_risk",
            UnitStatus::Late => "late",
        }
    }

    /// Vietnamese, for printed reports.
    pub fn vi(self) -> &'static str {
        match self {
            UnitStatus::Done => "Hoàn thành",
            UnitStatus::OnTrack => "Đúng tiến độ",
            UnitStatus::AtRisk => "Có nguy cơ chậm",
            UnitStatus::Late => "Chậm tiến độ",
        }
    }
}

/// One row of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitProgress {
    /// Unit code (`TOTAL` for the totals row).
    pub code: String,
    /// Unit name.
    pub name: String,
    /// Level (`None` for `TOTAL`).
    pub level: Option<Level>,
    /// Depth in the tree (0 = root), for indenting.
    pub depth: usize,
    /// Target: the unit's own, else the sum of its children's (`None`: no target).
    pub target: Option<u64>,
    /// Deadline: the unit's own, else the latest of its children's.
    pub deadline: Option<NaiveDate>,
    /// Done in the period (the day, or the week).
    pub done_day: u64,
    /// Done from the start up to the end of the period.
    pub done_total: u64,
    /// `max(0, target − done_total)`.
    pub remaining: Option<u64>,
    /// `ceil(remaining / days left including the as-of day)`; all of `remaining` once late.
    pub needed_per_day: Option<u64>,
    /// Standing (`None` without a target).
    pub status: Option<UnitStatus>,
    /// The day the target was reached (done) or will be at the pace so far.
    pub forecast: Option<NaiveDate>,
    /// Emulation rank among units of the same level (1 = best).
    pub rank: Option<u32>,
}

/// One officer's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficerProgress {
    /// The officer's id.
    pub officer_id: String,
    /// Done in the period.
    pub done_day: u64,
    /// Done up to the end of the period.
    pub done_total: u64,
    /// The officer's roster counts.
    pub roster: OfficerRoster,
}

/// A whole report's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The period.
    pub period: Period,
    /// The service counted.
    pub service: Service,
    /// The day pace is counted from.
    pub start: NaiveDate,
    /// One row per unit, parents before children.
    pub rows: Vec<UnitProgress>,
    /// The territorial root(s).
    pub total: UnitProgress,
    /// One row per officer, by id.
    pub officers: Vec<OfficerProgress>,
    /// Done counts for unit codes not in the unit list (so nothing goes missing silently).
    pub unknown_units: BTreeMap<String, u64>,
}

/// Remaining, needed per day, status and forecast for one target (pure).
///
/// `start` is the day pace is counted from; `done_total` includes the as-of day.
pub fn evaluate(
    target: u64,
    deadline: NaiveDate,
    done_total: u64,
    as_of: NaiveDate,
    start: NaiveDate,
) -> (u64, u64, UnitStatus, Option<NaiveDate>) {
    let remaining = target.saturating_sub(done_total);
    if remaining == 0 {
        return (0, 0, UnitStatus::Done, None);
    }
    let days_left = (deadline - as_of).num_days() + 1;
    let elapsed = u64::try_from(((as_of - start).num_days() + 1).max(1)).unwrap_or(1);
    // Days (from the as-of day on, counting it) to finish at the pace so far:
    // ceil(remaining / (done_total / elapsed)).
    let forecast = (done_total > 0).then(|| {
        let days = (u128::from(remaining) * u128::from(elapsed)).div_ceil(u128::from(done_total));
        as_of + Duration::days(i64::try_from(days).unwrap_or(i64::MAX / 2).min(365 * 100) - 1)
    });
    if days_left <= 0 {
        return (remaining, remaining, UnitStatus::Late, forecast);
    }
    let days_left_u = u64::try_from(days_left).unwrap_or(1);
    let needed = remaining.div_ceil(days_left_u);
    let status = match forecast {
        Some(f) if f <= deadline => UnitStatus::OnTrack,
        _ => UnitStatus::AtRisk,
    };
    (remaining, needed, status, forecast)
}

fn sum_between(series: &BTreeMap<NaiveDate, u64>, first: NaiveDate, last: NaiveDate) -> u64 {
    series.range(first..=last).map(|(_, n)| n).sum()
}

fn sum_to(series: &BTreeMap<NaiveDate, u64>, last: NaiveDate) -> u64 {
    series.range(..=last).map(|(_, n)| n).sum()
}

fn merge(into: &mut BTreeMap<NaiveDate, u64>, from: &BTreeMap<NaiveDate, u64>) {
    for (d, n) in from {
        *into.entry(*d).or_default() += n;
    }
}

fn completed_on(
    series: &BTreeMap<NaiveDate, u64>,
    target: u64,
    last: NaiveDate,
) -> Option<NaiveDate> {
    let mut acc = 0;
    for (d, n) in series.range(..=last) {
        acc += n;
        if acc >= target {
            return Some(*d);
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn row(
    code: &str,
    name: &str,
    level: Option<Level>,
    depth: usize,
    target: Option<Target>,
    series: &BTreeMap<NaiveDate, u64>,
    period: &Period,
    start: NaiveDate,
) -> UnitProgress {
    let done_day = sum_between(series, period.first, period.last);
    let done_total = sum_to(series, period.last);
    let mut r = UnitProgress {
        code: code.into(),
        name: name.into(),
        level,
        depth,
        target: target.map(|t| t.target),
        deadline: target.map(|t| t.deadline),
        done_day,
        done_total,
        remaining: None,
        needed_per_day: None,
        status: None,
        forecast: None,
        rank: None,
    };
    if let Some(t) = target {
        let (remaining, needed, status, forecast) =
            evaluate(t.target, t.deadline, done_total, period.as_of, start);
        r.remaining = Some(remaining);
        r.needed_per_day = Some(needed);
        r.status = Some(status);
        r.forecast = if status == UnitStatus::Done {
            completed_on(series, t.target, period.last)
        } else {
            forecast
        };
    }
    r
}

fn combine(a: Option<Target>, b: Option<Target>) -> Option<Target> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Target {
            target: a.target + b.target,
            deadline: a.deadline.max(b.deadline),
        }),
        (a, b) => a.or(b),
    }
}

/// Share of target done, for ranking: compares `a.done/a.target` with `b.done/b.target`.
fn rate_cmp(a: &UnitProgress, b: &UnitProgress) -> Ordering {
    let (ad, at) = (
        u128::from(a.done_total),
        u128::from(a.target.unwrap_or(0).max(1)),
    );
    let (bd, bt) = (
        u128::from(b.done_total),
        u128::from(b.target.unwrap_or(0).max(1)),
    );
    (ad * bt).cmp(&(bd * at))
}

/// The emulation order: target reached first (earlier completion first), then the
/// higher share of target done; `Equal` means the same rank.
pub fn emulation_cmp(a: &UnitProgress, b: &UnitProgress) -> Ordering {
    let done = |u: &UnitProgress| u.status == Some(UnitStatus::Done);
    match (done(a), done(b)) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (true, true) => a.forecast.cmp(&b.forecast).then_with(|| rate_cmp(b, a)),
        (false, false) => rate_cmp(b, a),
    }
}

/// Compute a report's numbers (see the module doc of [`crate::tracker`] for the rules).
///
/// `start` is the campaign's first day; without one, the first day anything was done.
pub fn compute(
    units: &UnitTree,
    targets: &HashMap<String, Target>,
    done: &DoneCounts,
    period: &Period,
    start: Option<NaiveDate>,
    service: Service,
) -> Progress {
    let start = start.unwrap_or_else(|| done.first_day().unwrap_or(period.as_of).min(period.as_of));
    let order = units.depth_first();
    let n = units.len();
    let mut series: Vec<BTreeMap<NaiveDate, u64>> = vec![BTreeMap::new(); n];
    let mut eff: Vec<Option<Target>> = vec![None; n];
    // Children before parents.
    for &(i, _) in order.iter().rev() {
        let Some(u) = units.unit(i) else { continue };
        let mut s = done.by_unit.get(&u.code).cloned().unwrap_or_default();
        let mut child_target = None;
        for &c in units.children(i) {
            let same_kind = units
                .unit(c)
                .is_some_and(|cu| cu.level.is_territorial() == u.level.is_territorial());
            if same_kind {
                if let Some(cs) = series.get(c) {
                    merge(&mut s, cs);
                }
                child_target = combine(child_target, eff.get(c).copied().flatten());
            }
        }
        if let Some(slot) = series.get_mut(i) {
            *slot = s;
        }
        if let Some(slot) = eff.get_mut(i) {
            *slot = targets.get(&u.code).copied().or(child_target);
        }
    }
    let empty = BTreeMap::new();
    let mut rows: Vec<UnitProgress> = order
        .iter()
        .filter_map(|&(i, depth)| {
            let u = units.unit(i)?;
            Some(row(
                &u.code,
                &u.name,
                Some(u.level),
                depth,
                eff.get(i).copied().flatten(),
                series.get(i).unwrap_or(&empty),
                period,
                start,
            ))
        })
        .collect();
    // TOTAL: the territorial root (several roots: their sum).
    let mut total_series = BTreeMap::new();
    let mut total_target = None;
    for &r in units.roots() {
        if units.unit(r).is_some_and(|u| u.level.is_territorial()) {
            if let Some(s) = series.get(r) {
                merge(&mut total_series, s);
            }
            total_target = combine(total_target, eff.get(r).copied().flatten());
        }
    }
    let total = row(
        "TOTAL",
        "Tổng cộng",
        None,
        0,
        total_target,
        &total_series,
        period,
        start,
    );
    // Ranking within each level.
    for level in Level::ALL {
        let mut idx: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.level == Some(level) && r.target.is_some())
            .map(|(i, _)| i)
            .collect();
        idx.sort_by(|&a, &b| match (rows.get(a), rows.get(b)) {
            (Some(x), Some(y)) => emulation_cmp(x, y).then_with(|| x.code.cmp(&y.code)),
            _ => Ordering::Equal,
        });
        let mut prev: Option<usize> = None;
        let mut rank = 0;
        for (pos, &i) in idx.iter().enumerate() {
            let tied = match (prev.and_then(|p| rows.get(p)), rows.get(i)) {
                (Some(p), Some(c)) => emulation_cmp(p, c) == Ordering::Equal,
                _ => false,
            };
            if !tied {
                rank = u32::try_from(pos + 1).unwrap_or(u32::MAX);
            }
            if let Some(r) = rows.get_mut(i) {
                r.rank = Some(rank);
            }
            prev = Some(i);
        }
    }
    let mut officers: Vec<OfficerProgress> = done
        .by_officer
        .iter()
        .map(|(o, s)| OfficerProgress {
            officer_id: o.clone(),
            done_day: sum_between(s, period.first, period.last),
            done_total: sum_to(s, period.last),
            roster: OfficerRoster::default(),
        })
        .collect();
    officers.sort_by(|a, b| a.officer_id.cmp(&b.officer_id));
    let unknown_units = done
        .by_unit
        .iter()
        .filter(|(code, _)| units.get(code).is_none())
        .map(|(code, s)| (code.clone(), sum_to(s, period.last)))
        .filter(|(_, n)| *n > 0)
        .collect();
    Progress {
        period: *period,
        service,
        start,
        rows,
        total,
        officers,
        unknown_units,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn unit(code: &str, level: Level, parent: Option<&str>) -> crate::tracker::Unit {
        crate::tracker::Unit {
            code: code.into(),
            name: format!("Đơn vị {code}"),
            level,
            parent_code: parent.map(str::to_string),
        }
    }

    #[test]
    fn roll_ups_keep_organisations_apart_and_ranking_follows_the_rule() {
        let tree = UnitTree::new(vec![
            unit("D", Level::District, None),
            unit("A", Level::Commune, Some("D")),
            unit("B", Level::Commune, Some("D")),
            unit("C", Level::Commune, Some("D")),
            unit("E", Level::Commune, Some("D")),
            unit("S", Level::Organisation, Some("D")),
        ]);
        let t = |n| Target {
            target: n,
            deadline: d("2025-06-20"),
        };
        let targets: HashMap<String, Target> = [
            ("A", t(10)),
            ("B", t(10)),
            ("C", t(20)),
            ("E", t(4)),
            ("S", t(5)),
        ]
        .into_iter()
        .map(|(c, t)| (c.to_string(), t))
        .collect();
        let mut done = DoneCounts::default();
        let mut add = |code: &str, day: &str, n: u64| {
            *done
                .by_unit
                .entry(code.into())
                .or_default()
                .entry(d(day))
                .or_default() += n;
        };
        add("A", "2025-06-03", 10); // done on 3 June
        add("E", "2025-06-04", 4); // done on 4 June
        add("B", "2025-06-04", 5); // 50 %
        add("C", "2025-06-04", 10); // 50 %
        add("S", "2025-06-04", 3); // an organisation: not in D
        let p = compute(
            &tree,
            &targets,
            &done,
            &Period::day(d("2025-06-05")),
            Some(d("2025-06-01")),
            Service::EidLevel2,
        );
        let get = |c: &str| p.rows.iter().find(|r| r.code == c).unwrap();
        assert_eq!(get("D").done_total, 29, "communes only, the school apart");
        assert_eq!(
            get("D").target,
            Some(44),
            "no own target: the communes' sum"
        );
        assert_eq!(p.total.done_total, 29);
        assert_eq!(get("S").done_total, 3);
        // A finished first (3 June), then E (4 June); B and C tie at 50 %.
        let ranks: Vec<(&str, Option<u32>)> = ["A", "E", "B", "C"]
            .iter()
            .map(|c| (*c, get(c).rank))
            .collect();
        assert_eq!(
            ranks,
            [
                ("A", Some(1)),
                ("E", Some(2)),
                ("B", Some(3)),
                ("C", Some(3))
            ]
        );
        assert_eq!(get("A").forecast, Some(d("2025-06-03")));
        assert_eq!(get("S").rank, Some(1), "ranked among organisations");
        // Parents before children, organisations after the territorial children.
        let order: Vec<&str> = p.rows.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(order, ["D", "A", "B", "C", "E", "S"]);
    }

    #[test]
    fn weeks_run_monday_to_sunday() {
        // 2025-06-08 is a Sunday, 2025-06-09 a Monday.
        let w = Period::week(d("2025-06-08"));
        assert_eq!((w.first, w.last), (d("2025-06-02"), d("2025-06-08")));
        let w = Period::week(d("2025-06-09"));
        assert_eq!((w.first, w.last), (d("2025-06-09"), d("2025-06-15")));
        assert_eq!(Period::week(d("2025-06-13")).first, d("2025-06-09"));
    }

    #[test]
    fn status_follows_pace_and_deadline() {
        let start = d("2025-06-01");
        // 10 days in (1..=10 June), 500 done of 1000, deadline 20 June: 11 days left
        // including today; pace 50/day finishes the 500 left in 10 days (by 19 June).
        let (rem, need, st, f) = evaluate(1000, d("2025-06-20"), 500, d("2025-06-10"), start);
        assert_eq!((rem, need, st), (500, 46, UnitStatus::OnTrack)); // ceil(500/11)
        assert_eq!(f, Some(d("2025-06-19")));
        // 300 done: pace 30/day needs 24 days: at risk.
        let (_, need, st, f) = evaluate(1000, d("2025-06-20"), 300, d("2025-06-10"), start);
        assert_eq!((need, st), (64, UnitStatus::AtRisk)); // ceil(700/11)
        assert_eq!(f, Some(d("2025-07-03")));
        // Deadline passed.
        let (rem, need, st, _) = evaluate(1000, d("2025-06-09"), 900, d("2025-06-10"), start);
        assert_eq!((rem, need, st), (100, 100, UnitStatus::Late));
        // Target reached, even after the deadline.
        assert_eq!(
            evaluate(10, d("2025-06-09"), 12, d("2025-06-10"), start).2,
            UnitStatus::Done
        );
        // Nothing done yet: no forecast, at risk.
        let (_, need, st, f) = evaluate(10, d("2025-06-10"), 0, d("2025-06-10"), start);
        assert_eq!((need, st, f), (10, UnitStatus::AtRisk, None));
    }
}
