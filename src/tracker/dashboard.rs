//! The supervisor's dashboard as an egui widget (not yet wired into the kiosk
//! app): the countdowns to today's 17:00 daily report and Friday's 17:00 weekly
//! one (the deadlines of plans 002 and 003), the cumulative done-vs-target lines
//! (egui_plot), per-unit bars of % of target, and a status-coloured table.
//!
//! The data ([`DashboardData`]) is computed once, off the UI thread, from the same
//! pure functions as the reports; [`show`] only draws, so a frame costs layout
//! and tessellation, not counting.

use super::done::DoneCounts;
use super::progress::{self, Period, Progress, UnitStatus};
use super::targets::{self, Target};
use super::units::UnitTree;
use super::{done, TrackerError};
use crate::queue::{Service, Store};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use egui_plot::{Bar, BarChart, HLine, Legend, Line, Plot};
use std::collections::{BTreeMap, HashMap};

/// What the dashboard draws.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardData {
    /// The day's numbers, as the daily report has them.
    pub progress: Progress,
    /// Cumulative done per day since the start, `[day number, done]`, for `TOTAL`
    /// (first) and each unit at the first level under the root.
    pub lines: Vec<(String, Vec<[f64; 2]>)>,
}

/// Rolled-up per-day counts of the unit at `pos` (same-kind subtree).
fn rolled(units: &UnitTree, done: &DoneCounts, pos: usize) -> BTreeMap<NaiveDate, u64> {
    let mut out = BTreeMap::new();
    let Some(root) = units.unit(pos) else {
        return out;
    };
    let kind = root.level.is_territorial();
    let mut stack = vec![pos];
    while let Some(i) = stack.pop() {
        let Some(u) = units.unit(i) else { continue };
        if u.level.is_territorial() != kind {
            continue;
        }
        for (d, n) in done.by_unit.get(&u.code).into_iter().flatten() {
            *out.entry(*d).or_default() += n;
        }
        stack.extend_from_slice(units.children(i));
    }
    out
}

fn cumulative(
    series: &BTreeMap<NaiveDate, u64>,
    start: NaiveDate,
    last: NaiveDate,
) -> Vec<[f64; 2]> {
    let mut acc: u64 = series.range(..start).map(|(_, n)| n).sum();
    let mut out = Vec::new();
    let mut d = start;
    let mut day = 1.0;
    while d <= last {
        acc += series.get(&d).copied().unwrap_or(0);
        out.push([day, acc as f64]);
        d += Duration::days(1);
        day += 1.0;
        if out.len() > 3660 {
            break; // ten years: a wrong start date, not a campaign
        }
    }
    out
}

impl DashboardData {
    /// Compute from the model (pure): the day's progress and the cumulative lines.
    pub fn new(
        units: &UnitTree,
        targets: &HashMap<String, Target>,
        done: &DoneCounts,
        day: NaiveDate,
        start: Option<NaiveDate>,
        service: Service,
    ) -> DashboardData {
        let progress = progress::compute(units, targets, done, &Period::day(day), start, service);
        let start = progress.start;
        let mut total = BTreeMap::new();
        let mut lines = Vec::new();
        for &r in units.roots() {
            if units.unit(r).is_some_and(|u| u.level.is_territorial()) {
                for (d, n) in rolled(units, done, r) {
                    *total.entry(d).or_default() += n;
                }
            }
        }
        lines.push((progress.total.name.clone(), cumulative(&total, start, day)));
        let first_level: Vec<usize> = if units.roots().len() == 1 {
            units
                .roots()
                .iter()
                .flat_map(|&r| units.children(r).to_vec())
                .collect()
        } else {
            units.roots().to_vec()
        };
        for i in first_level {
            if let Some(u) = units.unit(i) {
                lines.push((
                    u.name.clone(),
                    cumulative(&rolled(units, done, i), start, day),
                ));
            }
        }
        DashboardData { progress, lines }
    }

    /// Load everything from the store for `day`.
    pub fn load(
        store: &Store,
        day: NaiveDate,
        service: Service,
    ) -> Result<DashboardData, TrackerError> {
        let units = UnitTree::load(store)?;
        let targets = targets::load(store, service)?;
        let done = DoneCounts::new(&done::load(store)?, service);
        let start = targets::campaign(store)?.map(|c| c.start);
        Ok(DashboardData::new(
            &units, &targets, &done, day, start, service,
        ))
    }
}

/// Time left to today's 17:00 daily report and to Friday's 17:00 weekly report
/// (negative once past).
pub fn countdowns(now: NaiveDateTime) -> (Duration, Duration) {
    let five = NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default();
    let today = now.date();
    let daily = today.and_time(five) - now;
    let to_friday = (i64::from(Weekday::Fri.num_days_from_monday())
        - i64::from(today.weekday().num_days_from_monday()))
    .rem_euclid(7);
    let mut friday = (today + Duration::days(to_friday)).and_time(five);
    if friday < now && to_friday == 0 {
        // Friday after 17:00: this week's report is due now (late), shown negative.
        friday = today.and_time(five);
    }
    (daily, friday - now)
}

/// "còn 2 giờ 05 phút" / "quá hạn 1 giờ 10 phút".
pub fn countdown_text(d: Duration) -> String {
    let late = d < Duration::zero();
    let m = d.num_minutes().abs();
    let (days, hours, mins) = (m / (24 * 60), m / 60 % 24, m % 60);
    let body = if days > 0 {
        format!("{days} ngày {hours} giờ {mins:02} phút")
    } else {
        format!("{hours} giờ {mins:02} phút")
    };
    if late {
        format!("quá hạn {body}")
    } else {
        format!("còn {body}")
    }
}

/// The colour of a status, as in the printed report.
pub fn status_colour(s: Option<UnitStatus>) -> egui::Color32 {
    match s {
        Some(UnitStatus::Done) => egui::Color32::from_rgb(0x2e, 0x7d, 0x32),
        Some(UnitStatus::OnTrack) => egui::Color32::from_rgb(0x15, 0x65, 0xc0),
        Some(UnitStatus::AtRisk) => egui::Color32::from_rgb(0xef, 0x6c, 0x00),
        Some(UnitStatus::Late) => egui::Color32::from_rgb(0xc6, 0x28, 0x28),
        None => egui::Color32::GRAY,
    }
}

/// Draw the dashboard for `data` at local time `now`.
pub fn show(ui: &mut egui::Ui, data: &DashboardData, now: NaiveDateTime) {
    let p = &data.progress;
    let (daily, weekly) = countdowns(now);
    ui.heading("Tiến độ chiến dịch");
    ui.label(format!(
        "Báo cáo ngày (trước 17:00): {}",
        countdown_text(daily)
    ));
    ui.label(format!(
        "Báo cáo tuần (trước 17:00 thứ Sáu): {}",
        countdown_text(weekly)
    ));
    let t = &p.total;
    ui.colored_label(
        status_colour(t.status),
        format!(
            "Tổng: {} / {} — hôm nay {} — {}",
            t.done_total,
            t.target
                .map(|v| v.to_string())
                .unwrap_or_else(|| "—".into()),
            t.done_day,
            t.status.map(UnitStatus::vi).unwrap_or("chưa giao chỉ tiêu")
        ),
    );
    let bars: Vec<Bar> = p
        .rows
        .iter()
        .filter(|r| r.target.is_some_and(|t| t > 0))
        .enumerate()
        .map(|(i, r)| {
            let pct = r.done_total as f64 * 100.0 / r.target.unwrap_or(1).max(1) as f64;
            Bar::new(i as f64, pct.min(150.0))
                .name(&r.name)
                .fill(status_colour(r.status))
        })
        .collect();
    // Side by side: on a 1280×800 kiosk both charts and the first table rows fit
    // one screen, each tall enough to read the axis.
    ui.columns(2, |cols| {
        if let [left, right] = cols {
            Plot::new("tracker_cumulative")
                .height(240.0)
                .legend(Legend::default())
                .x_axis_label("Ngày thứ")
                .allow_scroll(false)
                .show(left, |plot| {
                    for (name, points) in &data.lines {
                        plot.line(Line::new(name.clone(), points.clone()));
                    }
                    if let Some(target) = t.target {
                        plot.hline(HLine::new("Chỉ tiêu", target as f64));
                    }
                });
            Plot::new("tracker_bars")
                .height(240.0)
                .x_axis_label("% chỉ tiêu theo đơn vị")
                .allow_scroll(false)
                .show(right, |plot| {
                    plot.bar_chart(BarChart::new("% chỉ tiêu", bars));
                    plot.hline(HLine::new("100%", 100.0));
                });
        }
    });
    egui::Grid::new("tracker_units")
        .striped(true)
        .show(ui, |ui| {
            for h in [
                "Đơn vị",
                "Lũy kế / chỉ tiêu",
                "Hôm nay",
                "Cần/ngày",
                "Tình trạng",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for r in &p.rows {
                ui.label(format!("{}{}", "  ".repeat(r.depth), r.name));
                ui.label(format!(
                    "{} / {}",
                    r.done_total,
                    r.target
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "—".into())
                ));
                ui.label(r.done_day.to_string());
                ui.label(r.needed_per_day.map(|v| v.to_string()).unwrap_or_default());
                ui.colored_label(
                    status_colour(r.status),
                    r.status.map(UnitStatus::vi).unwrap_or("—"),
                );
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn countdowns_to_five_pm_and_friday() {
        // Wednesday 4 June 2025, 14:45.
        let (d, w) = countdowns(at("2025-06-04 14:45"));
        assert_eq!(countdown_text(d), "còn 2 giờ 15 phút");
        assert_eq!(countdown_text(w), "còn 2 ngày 2 giờ 15 phút");
        // Friday 18:10: both reports are late by 1 h 10.
        let (d, w) = countdowns(at("2025-06-06 18:10"));
        assert_eq!(countdown_text(d), "quá hạn 1 giờ 10 phút");
        assert_eq!(countdown_text(w), "quá hạn 1 giờ 10 phút");
        // Saturday: next Friday.
        let (_, w) = countdowns(at("2025-06-07 17:00"));
        assert_eq!(w, Duration::days(6));
    }
}
