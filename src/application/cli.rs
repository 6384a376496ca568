//! `cccd-kiosk appointments …`: the officers' printable list of a day's
//! appointments per slot, with who came and who did not, and attendance marks.
//!
//! This is an operator command run by the officers on the kiosk (it reads the
//! queue's key file, which only the kiosk's operator account can): `list` shows
//! the citizens' names, because the officer at the desk calls people by name;
//! `--no-names` prints the same list with receipt codes only, for a list posted
//! on the wall. Names never go to stderr or logs.
//!
//! Formats: `md` (default; prints well from any viewer), `csv` (UTF-8 with a BOM
//! for Excel, like every CSV the project writes), `html` (one table per slot,
//! a print style sheet). `--out FILE` writes the file instead of stdout.
//!
//! Exit status: 0 done; 1 the store failed or the appointment was not found;
//! 2 bad input (the message names the field).

use super::calendar::{self, Appointment, AppointmentStatus, CalendarError};
use super::record;
use crate::config::Appointments;
use crate::queue::store::Store;
use chrono::{Local, NaiveDate, NaiveTime};
use clap::Subcommand;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Exit status: done.
pub const EXIT_OK: i32 = 0;
/// Exit status: store failure or not found.
pub const EXIT_FAILED: i32 = 1;
/// Exit status: bad input; the message names the field.
pub const EXIT_BAD_INPUT: i32 = 2;

/// The `appointments` subcommands.
#[derive(Subcommand, Debug)]
pub enum AppointmentsCmd {
    /// The day's appointments per slot, with who came and who did not (names: officers only).
    List {
        /// The day, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        day: String,
        /// Output format: md, csv or html.
        #[arg(long, default_value = "md")]
        format: String,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Only this receiving office.
        #[arg(long)]
        office: Option<String>,
        /// Receipt codes only, no names (a list to post on the wall).
        #[arg(long)]
        no_names: bool,
    },
    /// Mark an appointment (by id or receipt code) attended or no_show.
    Mark {
        /// The appointment id or the citizen's receipt code.
        id: String,
        /// attended or no_show.
        status: String,
    },
    /// Cancel an appointment (by id or receipt code); its seat is free again.
    Cancel {
        /// The appointment id or the citizen's receipt code.
        id: String,
    },
}

fn bad(field: &str, message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {field}: {message}");
    EXIT_BAD_INPUT
}

fn failed(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    EXIT_FAILED
}

fn calendar_error(e: CalendarError) -> i32 {
    match e {
        e @ CalendarError::Transition { .. } => bad("status", e),
        e => failed(e),
    }
}

/// Run an `appointments` subcommand against the queue in `data_dir`; `config` is
/// the `[appointments]` section (to check `--office`). Returns the exit status.
pub fn run(cmd: AppointmentsCmd, data_dir: &Path, config: Option<&Appointments>) -> i32 {
    match run_inner(cmd, data_dir, config) {
        Ok(code) | Err(code) => code,
    }
}

/// One line of the printed list.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    appointment: Appointment,
    end: NaiveTime,
    name: Option<String>,
    procedure: String,
}

fn run_inner(
    cmd: AppointmentsCmd,
    data_dir: &Path,
    config: Option<&Appointments>,
) -> Result<i32, i32> {
    match cmd {
        AppointmentsCmd::List {
            day,
            format,
            out,
            office,
            no_names,
        } => {
            let day = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
                .map_err(|_| bad("day", format!("{day:?} is not a date YYYY-MM-DD")))?;
            let format = match format.as_str() {
                "md" | "csv" | "html" => format,
                other => {
                    return Err(bad(
                        "format",
                        format!("{other:?} is not one of md, csv, html"),
                    ))
                }
            };
            if let (Some(o), Some(c)) = (&office, config) {
                if !c.offices.contains(o) {
                    return Err(bad(
                        "office",
                        format!("{o:?} is not one of {}", c.offices.join(", ")),
                    ));
                }
            }
            let store = Store::open(data_dir).map_err(failed)?;
            let mut lines = Vec::new();
            for a in calendar::list_day(&store, day).map_err(calendar_error)? {
                if office.as_ref().is_some_and(|o| *o != a.slot.office) {
                    continue;
                }
                let app = record::get(&store, a.record_id).map_err(failed)?;
                lines.push(Line {
                    end: a.end,
                    name: (!no_names).then(|| app.application.applicant.full_name.clone()),
                    procedure: app
                        .application
                        .procedure
                        .label(crate::config::Language::Vi)
                        .to_string(),
                    appointment: a,
                });
            }
            let text = match format.as_str() {
                "csv" => csv(&lines),
                "html" => html(day, &lines),
                _ => markdown(day, &lines),
            };
            match out {
                Some(path) => std::fs::write(&path, text)
                    .map_err(|e| bad("out", format!("{}: {e}", path.display())))?,
                None => print!("{text}"),
            }
            Ok(EXIT_OK)
        }
        AppointmentsCmd::Mark { id, status } => {
            let wanted = match status.as_str() {
                "attended" => AppointmentStatus::Attended,
                "no_show" | "no-show" => AppointmentStatus::NoShow,
                other => {
                    return Err(bad(
                        "status",
                        format!("{other:?} is not attended or no_show"),
                    ))
                }
            };
            change(data_dir, &id, wanted)
        }
        AppointmentsCmd::Cancel { id } => change(data_dir, &id, AppointmentStatus::Cancelled),
    }
}

fn change(data_dir: &Path, id: &str, wanted: AppointmentStatus) -> Result<i32, i32> {
    let mut store = Store::open(data_dir).map_err(failed)?;
    let a = calendar::set_status(&mut store, id, wanted, Local::now().fixed_offset())
        .map_err(calendar_error)?;
    println!(
        "{}",
        serde_json::json!({"id": a.id, "receipt": a.receipt, "office": a.slot.office,
            "day": a.slot.day, "start": a.slot.start.format("%H:%M").to_string(), "status": a.status})
    );
    Ok(EXIT_OK)
}

fn count(lines: &[Line], s: AppointmentStatus) -> usize {
    lines.iter().filter(|l| l.appointment.status == s).count()
}

fn totals_line(lines: &[Line]) -> String {
    format!(
        "Đã đến / came: {} · Không đến / no-show: {} · Chưa đến / not yet: {} · Đã hủy / cancelled: {}",
        count(lines, AppointmentStatus::Attended),
        count(lines, AppointmentStatus::NoShow),
        count(lines, AppointmentStatus::Booked),
        count(lines, AppointmentStatus::Cancelled)
    )
}

/// A slot's heading: start, end, office.
type SlotKey = (NaiveTime, NaiveTime, String);

/// Lines grouped by (start, end, office), in time order.
fn by_slot(lines: &[Line]) -> Vec<(SlotKey, Vec<&Line>)> {
    let mut groups: Vec<(SlotKey, Vec<&Line>)> = Vec::new();
    for l in lines {
        let key = (
            l.appointment.slot.start,
            l.end,
            l.appointment.slot.office.clone(),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(l),
            None => groups.push((key, vec![l])),
        }
    }
    groups
}

fn mark(s: AppointmentStatus) -> &'static str {
    match s {
        AppointmentStatus::Attended => "☑",
        AppointmentStatus::NoShow => "✗",
        AppointmentStatus::Booked => "☐",
        AppointmentStatus::Cancelled => "—",
    }
}

fn markdown(day: NaiveDate, lines: &[Line]) -> String {
    let mut s = format!(
        "# Lịch hẹn cấp thẻ Căn cước — {}\n\n{}\n",
        day.format("%d/%m/%Y"),
        totals_line(lines)
    );
    let names = lines.iter().any(|l| l.name.is_some());
    for ((start, end, office), group) in by_slot(lines) {
        let _ = write!(
            s,
            "\n## {}–{} · {}\n\n| # | Mã phiếu | {}Thủ tục | Đến | Trạng thái |\n|---|---|{}---|---|---|\n",
            start.format("%H:%M"),
            end.format("%H:%M"),
            md_cell(&office),
            if names { "Họ và tên | " } else { "" },
            if names { "---|" } else { "" },
        );
        for l in group {
            let a = &l.appointment;
            let _ = writeln!(
                s,
                "| {} | {} | {}{} | {} | {} |",
                a.seat,
                a.receipt,
                l.name
                    .as_deref()
                    .map(|n| format!("{} | ", md_cell(n)))
                    .unwrap_or_default(),
                l.procedure,
                mark(a.status),
                a.status.label_vi(),
            );
        }
    }
    if lines.is_empty() {
        s.push_str("\nKhông có lịch hẹn. / No appointments.\n");
    }
    s
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(lines: &[Line]) -> String {
    let mut s = String::from(
        "\u{feff}start,end,office,seat,receipt,full_name,procedure,status,status_at\n",
    );
    for l in lines {
        let a = &l.appointment;
        let fields = [
            a.slot.start.format("%H:%M").to_string(),
            l.end.format("%H:%M").to_string(),
            a.slot.office.clone(),
            a.seat.to_string(),
            a.receipt.clone(),
            l.name.clone().unwrap_or_default(),
            l.procedure.clone(),
            a.status.as_str().to_string(),
            a.status_at.clone().unwrap_or_default(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(day: NaiveDate, lines: &[Line]) -> String {
    let title = format!("Lịch hẹn cấp thẻ Căn cước — {}", day.format("%d/%m/%Y"));
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>body{{font-family:sans-serif}}table{{border-collapse:collapse;width:100%;margin-bottom:1em}}td,th{{border:1px solid #444;padding:4px 8px;text-align:left}}h2{{page-break-after:avoid}}@media print{{section{{page-break-inside:avoid}}}}</style></head><body>\n<h1>{t}</h1>\n<p>{}</p>\n",
        esc(&totals_line(lines)),
        t = esc(&title)
    );
    let names = lines.iter().any(|l| l.name.is_some());
    for ((start, end, office), group) in by_slot(lines) {
        let _ = write!(
            s,
            "<section><h2>{}–{} · {}</h2>\n<table><tr><th>#</th><th>Mã phiếu</th>{}<th>Thủ tục</th><th>Đến</th><th>Trạng thái</th></tr>\n",
            start.format("%H:%M"),
            end.format("%H:%M"),
            esc(&office),
            if names { "<th>Họ và tên</th>" } else { "" }
        );
        for l in group {
            let a = &l.appointment;
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td><td>{}</td></tr>",
                a.seat,
                esc(&a.receipt),
                l.name
                    .as_deref()
                    .map(|n| format!("<td>{}</td>", esc(n)))
                    .unwrap_or_default(),
                esc(&l.procedure),
                mark(a.status),
                a.status.label_vi()
            );
        }
        s.push_str("</table></section>\n");
    }
    if lines.is_empty() {
        s.push_str("<p>Không có lịch hẹn. / No appointments.</p>\n");
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::record::submit;
    use crate::application::record::tests::{application, calendar, slot};
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(subcommand)]
        cmd: AppointmentsCmd,
    }

    fn cmd(args: &[&str]) -> AppointmentsCmd {
        T::try_parse_from(std::iter::once("appointments").chain(args.iter().copied()))
            .unwrap()
            .cmd
    }

    #[test]
    fn the_day_list_shows_each_slot_who_came_and_who_did_not() {
        let dir = tempfile::tempdir().unwrap();
        let cal = calendar();
        let (a, b, c) = {
            let mut store = Store::open(dir.path()).unwrap();
            let a = submit(&mut store, &cal, &application(1)).unwrap();
            let b = submit(&mut store, &cal, &application(2)).unwrap();
            let mut late = application(3);
            late.slot = slot((19, 30));
            let c = submit(&mut store, &cal, &late).unwrap();
            (a, b, c)
        };
        let cfg = cal.config().clone();
        assert_eq!(
            run(
                cmd(&["mark", &a.receipt, "attended"]),
                dir.path(),
                Some(&cfg)
            ),
            0
        );
        assert_eq!(
            run(
                cmd(&["mark", &b.appointment.id, "no_show"]),
                dir.path(),
                Some(&cfg)
            ),
            0
        );
        assert_eq!(
            run(cmd(&["mark", &b.receipt, "late"]), dir.path(), Some(&cfg)),
            2
        );
        assert_eq!(
            run(
                cmd(&["mark", "2345678A", "attended"]),
                dir.path(),
                Some(&cfg)
            ),
            1
        );

        let md = dir.path().join("list.md");
        let code = run(
            cmd(&["list", "--day", "2025-06-10", "--out", md.to_str().unwrap()]),
            dir.path(),
            Some(&cfg),
        );
        assert_eq!(code, 0);
        let md = std::fs::read_to_string(md).unwrap();
        assert!(
            md.contains("# Lịch hẹn cấp thẻ Căn cước — 10/06/2025"),
            "{md}"
        );
        assert!(
            md.contains("Đã đến / came: 1 · Không đến / no-show: 1 · Chưa đến / not yet: 1"),
            "{md}"
        );
        assert!(md.contains("## 09:00–09:30 · Công an xã Ka Lăng"), "{md}");
        assert!(md.contains("## 19:30–20:00 · Công an xã Ka Lăng"), "{md}");
        assert!(
            md.contains(&format!(
                "| 1 | {} | Lò Thị Mai Bình | Cấp mới | ☑ | Đã đến |",
                a.receipt
            )),
            "{md}"
        );
        assert!(
            md.contains(&format!(
                "| 2 | {} | Lò Thị Mai Chi | Cấp mới | ✗ | Không đến |",
                b.receipt
            )),
            "{md}"
        );
        assert!(
            md.contains(&format!(
                "{} | Lò Thị Mai Dung | Cấp mới | ☐ | Chưa đến |",
                c.receipt
            )),
            "{md}"
        );
        assert!(md.find("09:00–09:30").unwrap() < md.find("19:30–20:00").unwrap());

        let csv = dir.path().join("list.csv");
        run(
            cmd(&[
                "list",
                "--day",
                "2025-06-10",
                "--format",
                "csv",
                "--out",
                csv.to_str().unwrap(),
            ]),
            dir.path(),
            Some(&cfg),
        );
        let csv = std::fs::read_to_string(csv).unwrap();
        assert!(csv.starts_with(
            "\u{feff}start,end,office,seat,receipt,full_name,procedure,status,status_at\n"
        ));
        assert!(csv.contains(&format!(
            "09:00,09:30,Công an xã Ka Lăng,1,{},Lò Thị Mai Bình,Cấp mới,attended,",
            a.receipt
        )));
        assert_eq!(csv.lines().count(), 4);

        let html = dir.path().join("list.html");
        run(
            cmd(&[
                "list",
                "--day",
                "2025-06-10",
                "--format",
                "html",
                "--no-names",
                "--out",
                html.to_str().unwrap(),
            ]),
            dir.path(),
            Some(&cfg),
        );
        let html = std::fs::read_to_string(html).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(&format!("<td>{}</td>", c.receipt)));
        assert!(
            !html.contains("Lò Thị Mai"),
            "--no-names keeps names off the list"
        );
        assert!(!html.contains("Họ và tên"));

        assert_eq!(
            run(
                cmd(&["list", "--day", "2025-06-10", "--office", "UBND xã"]),
                dir.path(),
                Some(&cfg)
            ),
            2
        );
        // Bad input names the field; an empty day still prints a list.
        assert_eq!(
            run(
                cmd(&["list", "--day", "10/06/2025"]),
                dir.path(),
                Some(&cfg)
            ),
            2
        );
        assert_eq!(
            run(
                cmd(&["list", "--day", "2025-06-10", "--format", "pdf"]),
                dir.path(),
                Some(&cfg)
            ),
            2
        );
        let empty = dir.path().join("empty.md");
        run(
            cmd(&[
                "list",
                "--day",
                "2025-06-11",
                "--out",
                empty.to_str().unwrap(),
            ]),
            dir.path(),
            None,
        );
        assert!(std::fs::read_to_string(empty)
            .unwrap()
            .contains("Không có lịch hẹn"));
        // Cancel frees the seat; cancelling twice is refused.
        assert_eq!(run(cmd(&["cancel", &c.receipt]), dir.path(), Some(&cfg)), 0);
        assert_eq!(run(cmd(&["cancel", &c.receipt]), dir.path(), Some(&cfg)), 2);
    }
}
