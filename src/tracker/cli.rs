//! `cccd-kiosk tracker …`: imports, reports, roster search, campaign and tasks.
//!
//! Exit status as the rest of the CLI: 0 done; 1 some rows were refused (the good
//! ones loaded) or the database failed; 2 bad input (an argument, or a file that
//! cannot be used at all: unreadable, wrong header). On exit 1 and 2 the error is
//! printed on stdout as `{"error": {"kind", "field", "message"}}` (DESIGN "Errors
//! on stdout") and the message on stderr. Imports print one JSON object
//! (`file, inserted, updated, rejected[{line, reason}]`) and each refused row on
//! stderr as `FILE:LINE: reason`.
//!
//! `roster` prints names: it is the officer's own list, behind the data key on
//! this machine; nothing else here prints personal data.

use super::progress::Period;
use super::roster::{Classification, RosterIndex, RosterQuery};
use super::targets::{self, Campaign};
use super::{parse_date, report, tasks, ImportReport, TrackerError};
use crate::queue::Store;
use clap::{ArgGroup, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Exit status: done.
pub const EXIT_OK: i32 = 0;
/// Exit status: some rows refused, or the database failed.
pub const EXIT_FAILED: i32 = 1;
/// Exit status: bad input; the message names the field.
pub const EXIT_BAD_INPUT: i32 = 2;

/// The `tracker` subcommands.
#[derive(Subcommand, Debug)]
pub enum TrackerCmd {
    /// Import units.csv (code,name,level,parent_code).
    ImportUnits {
        /// The CSV file.
        file: PathBuf,
    },
    /// Import targets.csv (unit_code,target,deadline[,service]).
    ImportTargets {
        /// The CSV file.
        file: PathBuf,
    },
    /// Import roster.csv (id_number,full_name,date_of_birth,sex,unit_code,address,classification,officer_id).
    ImportRoster {
        /// The CSV file.
        file: PathBuf,
    },
    /// Set the campaign's name and dates (pace counts from the start); without options, print it.
    Campaign {
        /// The campaign's name.
        #[arg(long, requires_all = ["start", "end"])]
        name: Option<String>,
        /// First day, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        start: Option<String>,
        /// Last day, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        end: Option<String>,
    },
    /// Write the daily or weekly report.
    #[command(group(ArgGroup::new("period").required(true).args(["day", "week"])))]
    Report {
        /// The day reported, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        day: Option<String>,
        /// A day of the Monday–Sunday week reported (status as of that day).
        #[arg(long, value_name = "YYYY-MM-DD")]
        week: Option<String>,
        /// eid_level2 (default) or card_application.
        #[arg(long, default_value = "eid_level2")]
        service: String,
        /// csv, md or html.
        #[arg(long)]
        format: String,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Search the roster (diacritics-insensitive) and show who is served.
    Roster {
        /// Name words, or digits of the ID number.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// A village (or any unit: everything under it).
        #[arg(long, value_name = "CODE")]
        village: Option<String>,
        /// present, other_province, working_away, unknown or home_visit.
        #[arg(long, value_name = "C")]
        classification: Option<String>,
        /// Only this officer's citizens.
        #[arg(long, value_name = "ID")]
        officer: Option<String>,
        /// Only citizens not yet served (with --classification home_visit: the home-visit list).
        #[arg(long)]
        not_served: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Add a task: who, what, by when, who answers for it.
    TaskAdd {
        /// The unit.
        #[arg(long, value_name = "CODE")]
        unit: String,
        /// What is to be done.
        #[arg(long)]
        content: String,
        /// Who does it.
        #[arg(long)]
        owner: String,
        /// Who answers for it.
        #[arg(long)]
        responsible: String,
        /// By when, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        deadline: String,
    },
    /// Record a task's result (closes it).
    TaskDone {
        /// The task's number.
        id: i64,
        /// The measured result.
        #[arg(long)]
        result: String,
    },
    /// List tasks (JSON lines), overdue ones flagged.
    Tasks,
}

fn error(code: i32, kind: &str, field: Option<&str>, message: &str) -> i32 {
    println!(
        "{}",
        json!({"error": {"kind": kind, "field": field, "message": message}})
    );
    eprintln!("error: {message}");
    code
}

fn bad(field: &str, message: impl std::fmt::Display) -> i32 {
    error(
        EXIT_BAD_INPUT,
        "bad_input",
        Some(field),
        &format!("{field}: {message}"),
    )
}

fn tracker_error(e: TrackerError) -> i32 {
    match e {
        TrackerError::Csv(e) => bad("file", e),
        TrackerError::Invalid { field, message } => bad(&field, message),
        e => error(EXIT_FAILED, "io", None, &e.to_string()),
    }
}

fn date(field: &str, s: &str) -> Result<chrono::NaiveDate, i32> {
    parse_date(s).map_err(|m| bad(field, m))
}

fn open(data_dir: &Path) -> Result<Store, i32> {
    Store::open(data_dir).map_err(|e| error(EXIT_FAILED, "io", None, &e.to_string()))
}

type Importer = fn(&mut Store, &[u8], &str) -> Result<ImportReport, TrackerError>;

fn import(data_dir: &Path, file: &Path, f: Importer) -> Result<i32, i32> {
    let bytes = std::fs::read(file).map_err(|e| bad("file", format!("{}: {e}", file.display())))?;
    let mut store = open(data_dir)?;
    let name = file.display().to_string();
    let r = f(&mut store, &bytes, &name).map_err(tracker_error)?;
    println!("{}", serde_json::to_string(&r).unwrap_or_default());
    for e in &r.rejected {
        eprintln!("{name}:{}: {}", e.line, e.reason);
    }
    Ok(if r.rejected.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// Run a `tracker` subcommand against the database in `data_dir`; returns the exit status.
pub fn run(cmd: TrackerCmd, data_dir: &Path) -> i32 {
    match run_inner(cmd, data_dir) {
        Ok(code) | Err(code) => code,
    }
}

fn run_inner(cmd: TrackerCmd, data_dir: &Path) -> Result<i32, i32> {
    match cmd {
        TrackerCmd::ImportUnits { file } => import(data_dir, &file, super::units::import_units),
        TrackerCmd::ImportTargets { file } => import(data_dir, &file, targets::import_targets),
        TrackerCmd::ImportRoster { file } => import(data_dir, &file, super::roster::import_roster),
        TrackerCmd::Campaign { name, start, end } => {
            let mut store = open(data_dir)?;
            if let (Some(name), Some(start), Some(end)) = (name, start, end) {
                let c = Campaign {
                    name,
                    start: date("start", &start)?,
                    end: date("end", &end)?,
                };
                targets::set_campaign(&mut store, &c).map_err(tracker_error)?;
            }
            let c = targets::campaign(&store).map_err(tracker_error)?;
            println!("{}", json!({ "campaign": c }));
            Ok(EXIT_OK)
        }
        TrackerCmd::Report {
            day,
            week,
            service,
            format,
            out,
        } => {
            let period = match (day, week) {
                (Some(d), _) => Period::day(date("day", &d)?),
                (None, Some(w)) => Period::week(date("week", &w)?),
                (None, None) => return Err(bad("day", "give --day or --week")),
            };
            let service = targets::parse_service(&service).map_err(|m| bad("service", m))?;
            if !["csv", "md", "html"].contains(&format.as_str()) {
                return Err(bad(
                    "format",
                    format!("{format:?} is not one of csv, md, html"),
                ));
            }
            let store = open(data_dir)?;
            let p = report::build(&store, &period, service).map_err(tracker_error)?;
            let campaign = targets::campaign(&store)
                .map_err(tracker_error)?
                .map(|c| c.name);
            let bytes = match format.as_str() {
                "csv" => report::to_csv(&p),
                "md" => report::to_markdown(&p, campaign.as_deref()).into_bytes(),
                _ => report::to_html(&p, campaign.as_deref()).into_bytes(),
            };
            std::fs::write(&out, bytes)
                .map_err(|e| bad("out", format!("{}: {e}", out.display())))?;
            for (code, n) in &p.unknown_units {
                eprintln!(
                    "warning: {n} done for unit {code}, which is not in units.csv (not in TOTAL)"
                );
            }
            println!(
                "{}",
                json!({"out": out, "units": p.rows.len(), "total": {
                    "target": p.total.target, "done_day": p.total.done_day, "done_total": p.total.done_total,
                    "remaining": p.total.remaining, "needed_per_day": p.total.needed_per_day,
                    "status": p.total.status.map(|s| s.as_str())}})
            );
            Ok(EXIT_OK)
        }
        TrackerCmd::Roster {
            search,
            village,
            classification,
            officer,
            not_served,
            json,
        } => {
            let classification = classification
                .map(|c| c.parse::<Classification>())
                .transpose()
                .map_err(|m| bad("classification", m))?;
            let store = open(data_dir)?;
            let index = RosterIndex::load(&store).map_err(tracker_error)?;
            let found = index.search(&RosterQuery {
                text: search,
                unit: village,
                classification,
                officer,
                served: not_served.then_some(false),
            });
            for e in &found {
                if json {
                    println!("{}", serde_json::to_string(e).unwrap_or_default());
                } else {
                    println!(
                        "{}  {:<28} {:<10} {:<4} {:<10} {:<14} {:<8} {}",
                        e.id_number,
                        e.full_name,
                        e.date_of_birth,
                        e.sex,
                        e.unit_code,
                        e.classification,
                        if e.officer_id.is_empty() {
                            "-"
                        } else {
                            &e.officer_id
                        },
                        if e.served {
                            "đã thu nhận (served)"
                        } else {
                            "chưa (not served)"
                        }
                    );
                }
            }
            eprintln!(
                "{} found, {} served",
                found.len(),
                found.iter().filter(|e| e.served).count()
            );
            Ok(EXIT_OK)
        }
        TrackerCmd::TaskAdd {
            unit,
            content,
            owner,
            responsible,
            deadline,
        } => {
            let deadline = date("deadline", &deadline)?;
            let store = open(data_dir)?;
            let id = tasks::add(
                &store,
                &tasks::NewTask {
                    unit_code: unit,
                    content,
                    owner,
                    responsible,
                    deadline,
                },
            )
            .map_err(tracker_error)?;
            println!("{}", json!({ "task": id }));
            Ok(EXIT_OK)
        }
        TrackerCmd::TaskDone { id, result } => {
            let store = open(data_dir)?;
            tasks::record_result(&store, id, &result, chrono::Local::now().date_naive())
                .map_err(tracker_error)?;
            println!("{}", json!({ "task": id, "done": true }));
            Ok(EXIT_OK)
        }
        TrackerCmd::Tasks => {
            let store = open(data_dir)?;
            let today = chrono::Local::now().date_naive();
            for t in tasks::list(&store).map_err(tracker_error)? {
                let overdue = t.overdue(today);
                let mut v = serde_json::to_value(&t).unwrap_or_default();
                if let Some(o) = v.as_object_mut() {
                    o.insert("overdue".into(), overdue.into());
                }
                println!("{v}");
            }
            Ok(EXIT_OK)
        }
    }
}
