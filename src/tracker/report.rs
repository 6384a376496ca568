//! Daily and weekly reports: CSV (the fixed columns), Markdown, and a printable
//! HTML page shaped like the campaign's own reports (numbers, a chart, and blank
//! space for "Khó khăn, vướng mắc" and "Đề xuất, kiến nghị").
//!
//! The HTML is one self-contained file (inline CSS and SVG, no script, no network)
//! so it opens and prints from a USB stick on any office PC; `@media print` keeps
//! the table on A4 with the header row repeated on each page.

use super::csv_io;
use super::progress::{self, Period, PeriodKind, Progress, UnitProgress, UnitStatus};
use super::{done, roster, targets, units::UnitTree, TrackerError};
use crate::queue::{Service, Store};
use chrono::NaiveDate;
use std::fmt::Write as _;

/// The report CSV's columns, in order (fixed by issue 6).
pub const CSV_COLUMNS: [&str; 10] = [
    "unit_code",
    "unit_name",
    "level",
    "target",
    "done_day",
    "done_total",
    "remaining",
    "deadline",
    "needed_per_day",
    "status",
];

/// Load units, targets, records and roster counts, and compute the report.
pub fn build(store: &Store, period: &Period, service: Service) -> Result<Progress, TrackerError> {
    let units = UnitTree::load(store)?;
    let targets = targets::load(store, service)?;
    let all = done::load(store)?;
    let served = all.iter().map(|d| d.id_index).collect();
    let done = done::DoneCounts::new(&all, service);
    let start = targets::campaign(store)?.map(|c| c.start);
    let mut p = progress::compute(&units, &targets, &done, period, start, service);
    let roster = roster::officer_counts(store, &served)?;
    for o in &mut p.officers {
        if let Some(r) = roster.get(&o.officer_id) {
            o.roster = r.clone();
        }
    }
    for (officer, r) in roster {
        if !p.officers.iter().any(|o| o.officer_id == officer) {
            p.officers.push(progress::OfficerProgress {
                officer_id: officer,
                done_day: 0,
                done_total: 0,
                roster: r,
            });
        }
    }
    p.officers.sort_by(|a, b| a.officer_id.cmp(&b.officer_id));
    Ok(p)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn csv_fields(r: &UnitProgress) -> [String; 10] {
    [
        r.code.clone(),
        r.name.clone(),
        r.level.map(|l| l.as_str().to_string()).unwrap_or_default(),
        opt(r.target),
        r.done_day.to_string(),
        r.done_total.to_string(),
        opt(r.remaining),
        opt(r.deadline),
        opt(r.needed_per_day),
        r.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
    ]
}

/// The CSV report: one row per unit (parents before children), then `TOTAL`.
pub fn to_csv(p: &Progress) -> Vec<u8> {
    csv_io::write(
        &CSV_COLUMNS,
        p.rows
            .iter()
            .chain(std::iter::once(&p.total))
            .map(csv_fields),
    )
}

fn period_vi(p: &Period) -> String {
    let f = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
    match p.kind {
        PeriodKind::Day => format!("Ngày {}", f(p.first)),
        PeriodKind::Week => format!(
            "Tuần từ {} đến {} (tính đến ngày {})",
            f(p.first),
            f(p.last),
            f(p.as_of)
        ),
    }
}

fn service_vi(s: Service) -> &'static str {
    match s {
        Service::CardApplication => "Thu nhận hồ sơ cấp thẻ Căn cước",
        _ => "Kích hoạt tài khoản định danh điện tử mức độ 2",
    }
}

fn title(p: &Progress) -> String {
    match p.period.kind {
        PeriodKind::Day => "BÁO CÁO NGÀY".into(),
        PeriodKind::Week => "BÁO CÁO TUẦN".into(),
    }
}

fn status_vi(s: Option<UnitStatus>) -> &'static str {
    s.map(UnitStatus::vi).unwrap_or("—")
}

fn pct(r: &UnitProgress) -> Option<u64> {
    r.target
        .filter(|t| *t > 0)
        .map(|t| r.done_total.saturating_mul(100) / t)
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The Markdown report (Vietnamese headings): numbers, ranking, officers, and the
/// sections the committee fills in.
pub fn to_markdown(p: &Progress, campaign: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} — {}", title(p), service_vi(p.service));
    if let Some(c) = campaign {
        let _ = writeln!(s, "\n**Chiến dịch:** {}", md_cell(c));
    }
    let _ = writeln!(s, "\n**Kỳ báo cáo:** {}  ", period_vi(&p.period));
    let _ = writeln!(
        s,
        "**Tính tiến độ từ ngày:** {}\n",
        p.start.format("%d/%m/%Y")
    );
    let _ = writeln!(s, "## Kết quả theo đơn vị\n");
    let _ = writeln!(s, "| Mã | Đơn vị | Cấp | Chỉ tiêu | {} | Lũy kế | Còn lại | Hạn | Cần/ngày | % | Dự kiến xong | Tình trạng | Xếp hạng |",
        if p.period.kind == PeriodKind::Week { "Trong tuần" } else { "Trong ngày" });
    let _ = writeln!(s, "|---|---|---|--:|--:|--:|--:|---|--:|--:|---|---|--:|");
    for r in p.rows.iter().chain(std::iter::once(&p.total)) {
        let indent = "· ".repeat(r.depth);
        let name = if r.code == "TOTAL" {
            format!("**{}**", r.name)
        } else {
            format!("{indent}{}", md_cell(&r.name))
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            md_cell(&r.code),
            name,
            r.level.map(|l| l.vi()).unwrap_or(""),
            opt(r.target),
            r.done_day,
            r.done_total,
            opt(r.remaining),
            r.deadline
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            opt(r.needed_per_day),
            pct(r).map(|v| format!("{v}%")).unwrap_or_default(),
            r.forecast
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            status_vi(r.status),
            opt(r.rank),
        );
    }
    if !p.unknown_units.is_empty() {
        let _ = writeln!(
            s,
            "\n> Hồ sơ thuộc mã đơn vị chưa có trong danh mục (không tính vào tổng): {}",
            p.unknown_units
                .iter()
                .map(|(c, n)| format!("{} ({n})", md_cell(c)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !p.officers.is_empty() {
        let _ = writeln!(s, "\n## Theo cán bộ\n");
        let _ = writeln!(
            s,
            "| Cán bộ | Trong kỳ | Lũy kế | Được giao | Đã thu nhận | Chờ thu nhận tại nhà |"
        );
        let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|");
        for o in &p.officers {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                md_cell(if o.officer_id.is_empty() {
                    "(chưa phân công)"
                } else {
                    &o.officer_id
                }),
                o.done_day,
                o.done_total,
                o.roster.assigned,
                o.roster.served,
                o.roster.home_visits_pending
            );
        }
    }
    let _ = writeln!(
        s,
        "\n## Khó khăn, vướng mắc\n\n\n\n## Đề xuất, kiến nghị\n\n\n"
    );
    s
}

/// Escape text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn status_colour(s: Option<UnitStatus>) -> &'static str {
    match s {
        Some(UnitStatus::Done) => "#2e7d32",
        Some(UnitStatus::OnTrack) => "#1565c0",
        Some(UnitStatus::AtRisk) => "#ef6c00",
        Some(UnitStatus::Late) => "#c62828",
        None => "#757575",
    }
}

/// An SVG bar chart: % of target per unit at the first level under the root (the
/// level a steering committee compares) and per organisation with a target,
/// coloured by status.
fn chart(p: &Progress) -> String {
    let min_depth = p.rows.iter().map(|r| r.depth).min().unwrap_or(0);
    let mut bars: Vec<&UnitProgress> = p
        .rows
        .iter()
        .filter(|r| {
            (r.depth == min_depth + 1 || r.level == Some(super::units::Level::Organisation))
                && r.target.is_some()
        })
        .collect();
    if bars.is_empty() {
        bars = p
            .rows
            .iter()
            .filter(|r| r.target.is_some())
            .take(40)
            .collect();
    }
    bars.truncate(40);
    let bar_h = 18;
    let label_w = 220;
    let plot_w = 420;
    let h = bars.len() * (bar_h + 6) + 30;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{h}\" viewBox=\"0 0 {} {h}\" role=\"img\" aria-label=\"Tỷ lệ hoàn thành chỉ tiêu theo đơn vị\">",
        label_w + plot_w + 60,
        label_w + plot_w + 60
    );
    for (i, r) in bars.iter().enumerate() {
        let y = i * (bar_h + 6) + 4;
        let v = pct(r).unwrap_or(0).min(100);
        let w = plot_w as u64 * v / 100;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{plot_w}\" height=\"{bar_h}\" fill=\"#eeeeee\"/>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"{bar_h}\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{}%</text>",
            label_w - 6,
            y + 13,
            esc(&r.name),
            status_colour(r.status),
            label_w + plot_w + 4,
            y + 13,
            pct(r).unwrap_or(0)
        );
    }
    let axis_y = bars.len() * (bar_h + 6) + 18;
    let _ = write!(
        s,
        "<text x=\"{label_w}\" y=\"{axis_y}\" font-size=\"11\">0%</text><text x=\"{}\" y=\"{axis_y}\" font-size=\"11\" text-anchor=\"end\">100% chỉ tiêu</text></svg>",
        label_w + plot_w
    );
    s
}

/// The printable HTML report (Vietnamese, A4, self-contained).
pub fn to_html(p: &Progress, campaign: Option<&str>) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{} — {}</title>\n<style>\n\
         body{{font-family:\"Times New Roman\",serif;font-size:13pt;margin:2em;color:#000}}\n\
         h1{{text-align:center;font-size:16pt;margin-bottom:.2em}} h2{{font-size:14pt;margin-top:1.2em}}\n\
         .sub{{text-align:center;font-style:italic}}\n\
         table{{border-collapse:collapse;width:100%;font-size:11pt}} th,td{{border:1px solid #444;padding:2px 4px}}\n\
         td.n{{text-align:right}} tr.total td{{font-weight:bold;background:#f0f0f0}}\n\
         .done{{color:#2e7d32}} .on_track{{color:#1565c0}} .at_risk{{color:#ef6c00;font-weight:bold}} .late{{color:#c62828;font-weight:bold}}\n\
         .blank{{border:1px solid #999;min-height:7em;margin:.5em 0}}\n\
         .sign{{display:flex;justify-content:space-between;margin-top:2em}} .sign div{{text-align:center;width:40%}}\n\
         @page{{size:A4 landscape;margin:15mm}}\n\
         @media print{{body{{margin:0}} thead{{display:table-header-group}} tr{{page-break-inside:avoid}} .blank{{min-height:9em}}}}\n\
         </style></head><body>\n",
        title(p),
        esc(&period_vi(&p.period))
    );
    let _ = writeln!(s, "<h1>{}</h1>", title(p));
    let _ = writeln!(s, "<p class=\"sub\">{}</p>", esc(service_vi(p.service)));
    if let Some(c) = campaign {
        let _ = writeln!(s, "<p class=\"sub\">{}</p>", esc(c));
    }
    let _ = writeln!(
        s,
        "<p class=\"sub\">{} — tiến độ tính từ ngày {}</p>",
        esc(&period_vi(&p.period)),
        p.start.format("%d/%m/%Y")
    );
    let t = &p.total;
    let _ = writeln!(s, "<h2>I. Kết quả chung</h2><p>Chỉ tiêu: <b>{}</b>; {}: <b>{}</b>; lũy kế: <b>{}</b>{}; còn lại: <b>{}</b>; cần đạt mỗi ngày: <b>{}</b>; tình trạng: <b class=\"{}\">{}</b>{}.</p>",
        opt(t.target),
        if p.period.kind == PeriodKind::Week { "trong tuần" } else { "trong ngày" },
        t.done_day,
        t.done_total,
        pct(t).map(|v| format!(" ({v}%)")).unwrap_or_default(),
        opt(t.remaining),
        opt(t.needed_per_day),
        t.status.map(UnitStatus::as_str).unwrap_or(""),
        status_vi(t.status),
        t.forecast.map(|d| format!("; dự kiến hoàn thành ngày {}", d.format("%d/%m/%Y"))).unwrap_or_default(),
    );
    let _ = writeln!(s, "<h2>II. Biểu đồ tỷ lệ hoàn thành</h2>\n{}", chart(p));
    let _ = writeln!(s, "<h2>III. Kết quả theo đơn vị</h2>\n<table><thead><tr><th>Mã</th><th>Đơn vị</th><th>Chỉ tiêu</th><th>{}</th><th>Lũy kế</th><th>Còn lại</th><th>Hạn</th><th>Cần/ngày</th><th>%</th><th>Dự kiến xong</th><th>Tình trạng</th><th>Xếp hạng</th></tr></thead><tbody>",
        if p.period.kind == PeriodKind::Week { "Trong tuần" } else { "Trong ngày" });
    for r in p.rows.iter().chain(std::iter::once(&p.total)) {
        let cls = if r.code == "TOTAL" {
            " class=\"total\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<tr{cls}><td>{}</td><td style=\"padding-left:{}em\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.code),
            r.depth as f32 * 1.2 + 0.3,
            esc(&r.name),
            opt(r.target),
            r.done_day,
            r.done_total,
            opt(r.remaining),
            r.deadline.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default(),
            opt(r.needed_per_day),
            pct(r).map(|v| format!("{v}%")).unwrap_or_default(),
            r.forecast.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default(),
            r.status.map(UnitStatus::as_str).unwrap_or(""),
            status_vi(r.status),
            opt(r.rank),
        );
    }
    let _ = writeln!(s, "</tbody></table>");
    if !p.unknown_units.is_empty() {
        let _ = writeln!(
            s,
            "<p><i>Hồ sơ thuộc mã đơn vị chưa có trong danh mục (không tính vào tổng): {}</i></p>",
            esc(&p
                .unknown_units
                .iter()
                .map(|(c, n)| format!("{c} ({n})"))
                .collect::<Vec<_>>()
                .join(", "))
        );
    }
    if !p.officers.is_empty() {
        let _ = writeln!(s, "<h2>IV. Kết quả theo cán bộ</h2>\n<table><thead><tr><th>Cán bộ</th><th>Trong kỳ</th><th>Lũy kế</th><th>Được giao</th><th>Đã thu nhận</th><th>Chờ thu nhận tại nhà</th></tr></thead><tbody>");
        for o in &p.officers {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(if o.officer_id.is_empty() { "(chưa phân công)" } else { &o.officer_id }),
                o.done_day,
                o.done_total,
                o.roster.assigned,
                o.roster.served,
                o.roster.home_visits_pending
            );
        }
        let _ = writeln!(s, "</tbody></table>");
    }
    let _ = writeln!(
        s,
        "<h2>V. Khó khăn, vướng mắc</h2><div class=\"blank\"></div>"
    );
    let _ = writeln!(
        s,
        "<h2>VI. Đề xuất, kiến nghị</h2><div class=\"blank\"></div>"
    );
    let _ = writeln!(s, "<div class=\"sign\"><div><b>NGƯỜI LẬP BÁO CÁO</b><br><i>(Ký, ghi rõ họ tên)</i></div><div><b>TRƯỞNG BAN CHỈ ĐẠO</b><br><i>(Ký, ghi rõ họ tên, đóng dấu)</i></div></div>");
    let _ = writeln!(s, "</body></html>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_names() {
        assert_eq!(esc("<Tổ 1 & \"2\">"), "&lt;Tổ 1 &amp; &quot;2&quot;&gt;");
    }
}
