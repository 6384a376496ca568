//! The tracker on a seeded campaign: a district with communes, villages and a
//! school, targets with deadlines, a roster, and activation records appended
//! through the queue over several days. Report numbers are checked against counts
//! the test makes itself from its own list of who was served where and when.

use cccd_kiosk::queue::export;
use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
use cccd_kiosk::queue::store::{Store, DB_FILE};
use cccd_kiosk::queue::{RecordId, Service};
use cccd_kiosk::tracker::progress::Period;
use cccd_kiosk::tracker::roster::{import_roster, RosterIndex, RosterQuery};
use cccd_kiosk::tracker::targets::{import_targets, set_campaign, Campaign};
use cccd_kiosk::tracker::units::import_units;
use cccd_kiosk::tracker::{report, Classification, TrackerError};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

const UNITS: &str = "code,name,level,parent_code
H01,Huyện Mường Tè,district,
X01,Xã Mường Tè,commune,H01
X02,Thị trấn Mường Tè,commune,H01
T011,Bản Nậm Củm,village,X01
T012,Bản Pa Ủ,village,X01
T021,Tổ dân phố số 1,village,X02
ORG1,Trường THCS Thị trấn,organisation,X02
";

// T012 is small (done early); ORG1's deadline passes before 8 June (late).
const TARGETS: &str = "unit_code,target,deadline,service
T011,30,2025-06-25,eid_level2
T012,3,2025-06-25,
X02,40,2025-06-20,eid_level2
ORG1,50,2025-06-05,eid_level2
H01,100,2025-06-25,eid_level2
H01,5,2025-06-25,card_application
";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The test's own copy of the tree: a village's territorial ancestors.
fn ancestors(unit: &str) -> Vec<&'static str> {
    match unit {
        "T011" => vec!["T011", "X01", "H01"],
        "T012" => vec!["T012", "X01", "H01"],
        "T021" => vec!["T021", "X02", "H01"],
        _ => vec![],
    }
}

/// Who should count: (citizen number, unit, organisation, day, service).
type Expect = (u32, &'static str, Option<&'static str>, NaiveDate, Service);

fn record(n: u32, at: &str, unit: &str) -> NewActivation {
    let mut a = NewActivation::synthetic(n, synthetic_jpeg(u64::from(n), 16));
    a.created_at = DateTime::parse_from_rfc3339(at).unwrap();
    a.consent.accepted_at = a.created_at.with_timezone(&Utc) - Duration::seconds(60);
    a.unit_code = unit.into();
    a
}

struct Campaign1 {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    store: Store,
    expect: Vec<Expect>,
}

fn seed() -> Campaign1 {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut store = Store::open(&data).unwrap();
    let r = import_units(&mut store, UNITS.as_bytes(), "units.csv").unwrap();
    assert_eq!((r.inserted, r.rejected.len()), (7, 0), "{r:?}");
    let r = import_targets(&mut store, TARGETS.as_bytes(), "targets.csv").unwrap();
    assert_eq!((r.inserted, r.rejected.len()), (6, 0), "{r:?}");
    set_campaign(
        &mut store,
        &Campaign {
            name: "Chiến dịch 22 ngày đêm".into(),
            start: d("2025-06-03"),
            end: d("2025-06-25"),
        },
    )
    .unwrap();
    let villages = ["T011", "T012", "T021"];
    let mut expect: Vec<Expect> = Vec::new();
    let mut batch = Vec::new();
    for n in 0..48u32 {
        let unit = villages[n as usize % 3];
        let day = d("2025-06-03") + Duration::days(i64::from(n % 8));
        let at = format!("{}T{:02}:15:00+07:00", day, 7 + n % 14);
        let mut a = record(n, &at, unit);
        let org = (n % 7 == 0).then_some("ORG1");
        a.org_code = org.map(str::to_string);
        let service = if n % 10 == 9 {
            Service::CardApplication
        } else {
            Service::EidLevel2
        };
        a.service = service;
        batch.push(a);
        expect.push((n, unit, org, day, service));
    }
    store.append_batch(&batch).unwrap();
    // The same citizen served again for the same service: counts once, first day.
    store
        .append(&record(5, "2025-06-10T09:00:00+07:00", "T011"))
        .unwrap();
    // A record the back office rejects: never counts.
    let rejected = store
        .append(&record(1000, "2025-06-06T10:00:00+07:00", "T011"))
        .unwrap();
    // A record made in the wrong village and corrected the next day: counts once,
    // in the corrected village, on the day the citizen was served.
    let wrong = store
        .append(&record(2000, "2025-06-04T10:00:00+07:00", "T011"))
        .unwrap();
    let mut fix = record(2000, "2025-06-05T08:00:00+07:00", "T012");
    fix.corrects = Some(wrong);
    store.append(&fix).unwrap();
    expect.push((2000, "T012", None, d("2025-06-04"), Service::EidLevel2));
    // Sunday 23:59 and Monday 00:10 local (Monday 00:10 +07:00 is still Sunday in UTC).
    store
        .append(&record(3000, "2025-06-08T23:59:00+07:00", "T021"))
        .unwrap();
    expect.push((3000, "T021", None, d("2025-06-08"), Service::EidLevel2));
    store
        .append(&record(3001, "2025-06-09T00:10:00+07:00", "T021"))
        .unwrap();
    expect.push((3001, "T021", None, d("2025-06-09"), Service::EidLevel2));
    // A unit code nobody imported: reported, not in TOTAL.
    store
        .append(&record(4000, "2025-06-05T10:00:00+07:00", "Z99"))
        .unwrap();
    // End of day: export, then the back office rejects one and accepts another.
    let id = age::x25519::Identity::generate();
    export::export(
        &mut store,
        &dir.path().join("usb"),
        None,
        &id.to_public(),
        &mut |_, _| {},
    )
    .unwrap();
    let ok: RecordId = wrong;
    export::import_results(
        &mut store,
        &format!("record_id,status,reason\n{rejected},rejected,Ảnh mờ\n{ok},accepted,\n"),
    )
    .unwrap();
    Campaign1 {
        _dir: dir,
        data,
        store,
        expect,
    }
}

/// The test's own count for `unit` in [first, last] and up to `last`.
fn count(
    expect: &[Expect],
    unit: &str,
    service: Service,
    first: NaiveDate,
    last: NaiveDate,
) -> (u64, u64) {
    let mine =
        |e: &&Expect| e.4 == service && (ancestors(e.1).contains(&unit) || e.2 == Some(unit));
    let day = expect
        .iter()
        .filter(mine)
        .filter(|e| e.3 >= first && e.3 <= last)
        .count();
    let total = expect.iter().filter(mine).filter(|e| e.3 <= last).count();
    (day as u64, total as u64)
}

fn csv_rows(bytes: &[u8]) -> HashMap<String, HashMap<String, String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header, report::CSV_COLUMNS);
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let m: HashMap<String, String> = header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect();
            (m["unit_code"].clone(), m)
        })
        .collect()
}

fn num(rows: &HashMap<String, HashMap<String, String>>, unit: &str, col: &str) -> u64 {
    rows[unit][col]
        .parse()
        .unwrap_or_else(|_| panic!("{unit}.{col} = {:?}", rows[unit][col]))
}

#[test]
fn daily_report_numbers_match_an_independent_count() {
    let c = seed();
    let day = d("2025-06-08"); // a Sunday
    let p = report::build(&c.store, &Period::day(day), Service::EidLevel2).unwrap();
    let rows = csv_rows(&report::to_csv(&p));
    assert_eq!(rows.len(), 8, "7 units and TOTAL");
    for unit in ["H01", "X01", "X02", "T011", "T012", "T021", "ORG1"] {
        let (done_day, done_total) = count(&c.expect, unit, Service::EidLevel2, day, day);
        assert_eq!(num(&rows, unit, "done_day"), done_day, "{unit} done_day");
        assert_eq!(
            num(&rows, unit, "done_total"),
            done_total,
            "{unit} done_total"
        );
    }
    // TOTAL is the territorial root; the school's records are in it once, not twice.
    let territorial = c
        .expect
        .iter()
        .filter(|e| e.4 == Service::EidLevel2 && e.3 <= day)
        .count() as u64;
    assert_eq!(num(&rows, "TOTAL", "done_total"), territorial);
    assert_eq!(num(&rows, "H01", "done_total"), territorial);
    assert!(num(&rows, "ORG1", "done_total") > 0);
    assert_eq!(
        num(&rows, "X01", "done_total"),
        num(&rows, "T011", "done_total") + num(&rows, "T012", "done_total"),
        "a commune is the sum of its villages"
    );
    // remaining and needed per day, by hand: H01 100 by 25 June, 18 days left on 8 June.
    let h_total = num(&rows, "H01", "done_total");
    assert_eq!(num(&rows, "H01", "remaining"), 100 - h_total);
    assert_eq!(
        num(&rows, "H01", "needed_per_day"),
        (100 - h_total).div_ceil(18)
    );
    assert_eq!(rows["H01"]["deadline"], "2025-06-25");
    // A village without its own target has none; X02 has its own.
    assert_eq!(rows["T021"]["target"], "");
    assert_eq!(rows["T021"]["status"], "");
    assert_eq!(num(&rows, "X02", "target"), 40);
    // X01 has no own target: the sum of its villages', latest deadline.
    assert_eq!(num(&rows, "X01", "target"), 33);
    // Statuses: T012 reached 3; ORG1's deadline (5 June) passed short of 50.
    assert_eq!(rows["T012"]["status"], "done");
    assert_eq!(rows["ORG1"]["status"], "late");
    assert_eq!(
        num(&rows, "ORG1", "needed_per_day"),
        num(&rows, "ORG1", "remaining")
    );
    // On track vs at risk, by the documented rule: pace so far (done ÷ 6 days since
    // 3 June) against what is left (remaining ÷ days left).
    for unit in ["H01", "T011", "X02"] {
        let total = num(&rows, unit, "done_total");
        let remaining = num(&rows, unit, "remaining");
        let left = (d(&rows[unit]["deadline"]) - day).num_days() as u64 + 1;
        let expected = if total * left >= remaining * 6 {
            "on_track"
        } else {
            "at_risk"
        };
        assert_eq!(rows[unit]["status"], expected, "{unit}");
    }
    // The unknown unit is reported, not silently dropped, and not in TOTAL.
    assert_eq!(p.unknown_units.get("Z99"), Some(&1));
    // The card-application report counts only card applications.
    let p = report::build(&c.store, &Period::day(day), Service::CardApplication).unwrap();
    let rows = csv_rows(&report::to_csv(&p));
    let (_, cards) = count(&c.expect, "H01", Service::CardApplication, day, day);
    assert!(cards > 0);
    assert_eq!(num(&rows, "TOTAL", "done_total"), cards);
    assert_eq!(num(&rows, "TOTAL", "target"), 5);
}

#[test]
fn weeks_run_monday_to_sunday_in_local_time() {
    let c = seed();
    let week1 =
        report::build(&c.store, &Period::week(d("2025-06-08")), Service::EidLevel2).unwrap();
    let week2 =
        report::build(&c.store, &Period::week(d("2025-06-09")), Service::EidLevel2).unwrap();
    let r1 = csv_rows(&report::to_csv(&week1));
    let r2 = csv_rows(&report::to_csv(&week2));
    for unit in ["H01", "T021", "ORG1", "X01"] {
        let (w1, _) = count(
            &c.expect,
            unit,
            Service::EidLevel2,
            d("2025-06-02"),
            d("2025-06-08"),
        );
        let (w2, t2) = count(
            &c.expect,
            unit,
            Service::EidLevel2,
            d("2025-06-09"),
            d("2025-06-15"),
        );
        assert_eq!(num(&r1, unit, "done_day"), w1, "{unit} week 1");
        assert_eq!(num(&r2, unit, "done_day"), w2, "{unit} week 2");
        assert_eq!(num(&r2, unit, "done_total"), t2, "{unit} total");
    }
    // Sunday 23:59 is in week 1, Monday 00:10 (+07:00) in week 2: T021's week 2 has
    // exactly the Monday record plus the generated ones from 9 and 10 June.
    let monday_generated = c
        .expect
        .iter()
        .filter(|e| {
            e.1 == "T021" && e.4 == Service::EidLevel2 && e.3 >= d("2025-06-09") && e.0 < 3000
        })
        .count() as u64;
    assert_eq!(num(&r2, "T021", "done_day"), monday_generated + 1);
}

#[test]
fn rejected_and_corrected_records_are_counted_right() {
    let c = seed();
    let p = report::build(&c.store, &Period::day(d("2025-06-04")), Service::EidLevel2).unwrap();
    let rows = csv_rows(&report::to_csv(&p));
    // 2000 was entered at T011 and corrected to T012: T012 has it on 4 June, T011 not.
    let (t12, _) = count(
        &c.expect,
        "T012",
        Service::EidLevel2,
        d("2025-06-04"),
        d("2025-06-04"),
    );
    let (t11, _) = count(
        &c.expect,
        "T011",
        Service::EidLevel2,
        d("2025-06-04"),
        d("2025-06-04"),
    );
    assert_eq!(num(&rows, "T012", "done_day"), t12);
    assert_eq!(num(&rows, "T011", "done_day"), t11);
    // Nothing from the rejected record (6 June) nor the second visit of citizen 5.
    let p = report::build(&c.store, &Period::day(d("2025-06-10")), Service::EidLevel2).unwrap();
    let rows = csv_rows(&report::to_csv(&p));
    let all = c
        .expect
        .iter()
        .filter(|e| e.4 == Service::EidLevel2)
        .count() as u64;
    assert_eq!(num(&rows, "TOTAL", "done_total"), all);
}

const ROSTER: &str =
    "\u{feff}id_number,full_name,date_of_birth,sex,unit_code,address,classification,officer_id\r
001199000003,Nguyễn Văn A,1990-05-17,Nam,T011,Bản Nậm Củm,present,CB01\r
001199099001,Đặng Thị Đào,1948,Nữ,T012,Nhà số 12 ngõ Hoa Ban,home_visit,CB02\r
001199099002,Lò Văn Sơn,1985-01-02,Nam,T021,Tổ 1,working_away,CB02\r
001199099003,Nguyễn Văn Anh,2001-09-09,Nam,T011,Bản Nậm Củm,present,CB01\r
12345,Bad Id,1990-01-01,Nam,T011,x,present,CB01\r
001199099004,Bad Date,1990-13-01,Nam,T011,x,present,CB01\r
001199099005,Bad Unit,1990-01-01,Nam,Z77,x,present,CB01\r
001199099006,Bad Class,1990-01-01,Nam,T011,x,away,CB01\r
";

#[test]
fn roster_is_sealed_matched_by_keyed_index_and_searched_without_diacritics() {
    let mut c = seed();
    let r = import_roster(&mut c.store, ROSTER.as_bytes(), "roster.csv").unwrap();
    assert_eq!(r.inserted, 4);
    let lines: Vec<u64> = r.rejected.iter().map(|e| e.line).collect();
    assert_eq!(lines, [6, 7, 8, 9], "{:?}", r.rejected);
    assert!(r.rejected[0].reason.starts_with("id_number:"));
    assert!(r.rejected[1].reason.starts_with("date_of_birth:"));
    assert!(r.rejected[2].reason.contains("unknown unit \"Z77\""));
    assert!(r.rejected[3].reason.starts_with("classification:"));
    // Importing again updates, adds nothing.
    let again = import_roster(&mut c.store, ROSTER.as_bytes(), "roster.csv").unwrap();
    assert_eq!((again.inserted, again.updated), (0, 4));

    let index = RosterIndex::load(&c.store).unwrap();
    let found = index.search(&RosterQuery {
        text: Some("nguyen van a".into()),
        ..RosterQuery::default()
    });
    let names: Vec<&str> = found.iter().map(|e| e.full_name.as_str()).collect();
    assert_eq!(
        names,
        ["Nguyễn Văn A", "Nguyễn Văn Anh"],
        "exact match first"
    );
    // Citizen 3 has a record (T011, served); 099003 does not.
    assert!(found[0].served);
    assert!(!found[1].served);
    let dao = index.search(&RosterQuery {
        text: Some("dang thi dao".into()),
        ..RosterQuery::default()
    });
    assert_eq!(dao.len(), 1);
    assert_eq!(dao[0].date_of_birth, "1948");
    let homes = index.home_visits(Some("CB02"));
    assert_eq!(homes.len(), 1);
    assert_eq!(homes[0].classification, Classification::HomeVisit);
    let x01 = index.search(&RosterQuery {
        unit: Some("X01".into()),
        ..RosterQuery::default()
    });
    assert_eq!(x01.len(), 3, "a commune filter takes its villages");

    // Nothing personal from the roster in the clear, in the database or its WAL.
    for file in [DB_FILE.to_string(), format!("{DB_FILE}-wal")] {
        let path = c.data.join(&file);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        for needle in [
            "Nguyễn Văn A",
            "Đặng Thị Đào",
            "Lò Văn Sơn",
            "001199099002",
            "ngõ Hoa Ban",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in {file}"
            );
        }
    }
    // Per-officer counts in the report.
    let p = report::build(&c.store, &Period::day(d("2025-06-08")), Service::EidLevel2).unwrap();
    let cb02 = p.officers.iter().find(|o| o.officer_id == "CB02").unwrap();
    assert_eq!(
        (
            cb02.roster.assigned,
            cb02.roster.served,
            cb02.roster.home_visits_pending
        ),
        (2, 0, 1)
    );
}

#[test]
fn malformed_files_are_reported_per_line_and_good_rows_load() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // Wrong columns: one error naming them, nothing loaded.
    let e = import_units(&mut store, b"code,ten,cap\nH01,X,district\n", "units.csv").unwrap_err();
    let TrackerError::Csv(e) = e else {
        panic!("{e}")
    };
    let m = e.to_string();
    assert!(m.contains("missing: name, level, parent_code"), "{m}");
    assert!(m.contains("unknown: ten, cap"), "{m}");
    // Bad level, unknown parent, a village under a village, an orphan organisation;
    // BOM + CRLF; the good rows load.
    let units = "\u{feff}code,name,level,parent_code\r\nH01,Huyện,district,\r\nX01,Xã,commune,H01\r\nT1,Thôn 1,hamlet,X01\r\nT2,Thôn 2,village,X99\r\nT3,Thôn 3,village,X01\r\nT4,Thôn 4,village,T3\r\nO1,Đoàn,organisation,\r\nX01,Xã again,commune,H01\r\n";
    let r = import_units(&mut store, units.as_bytes(), "units.csv").unwrap();
    assert_eq!(r.inserted, 3, "{r:?}");
    let lines: Vec<u64> = r.rejected.iter().map(|e| e.line).collect();
    assert_eq!(lines, [4, 5, 7, 8, 9], "{:?}", r.rejected);
    assert!(r.rejected[0].reason.contains("level \"hamlet\""));
    assert!(r.rejected[1].reason.contains("unknown unit \"X99\""));
    assert!(r.rejected[2].reason.contains("higher level"));
    assert!(r.rejected[4].reason.contains("already on line 3"));
    // Targets: bad date, unknown unit, bad number, bad service.
    let targets = "unit_code,target,deadline\nH01,100,2025-06-25\nX01,50,25/06/2025\nZ1,5,2025-06-25\nT3,many,2025-06-25\nT3,4,2025-02-30\n";
    let r = import_targets(&mut store, targets.as_bytes(), "targets.csv").unwrap();
    assert_eq!(r.inserted, 1);
    let got: Vec<(u64, bool)> = r
        .rejected
        .iter()
        .map(|e| {
            (
                e.line,
                e.reason.starts_with("deadline")
                    || e.reason.starts_with("unit_code")
                    || e.reason.starts_with("target"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(3, true), (4, true), (5, true), (6, true)],
        "{:?}",
        r.rejected
    );
    let e = import_targets(
        &mut store,
        b"unit_code,target,deadline,service,x\n",
        "t.csv",
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown: x"), "{e}");
}

fn kiosk(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cccd-kiosk"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("CCCD_DATA_DIR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_imports_reports_and_searches_end_to_end() {
    let c = seed();
    let dir = tempfile::tempdir().unwrap();
    let data = c.data.clone();
    drop(c.store);
    let f = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    // Re-importing the same units is idempotent.
    let (code, out, _) = kiosk(&data, &["tracker", "import-units", &f("units.csv", UNITS)]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["inserted"].as_u64(), v["updated"].as_u64()),
        (Some(0), Some(7))
    );
    // A file with a bad row: exit 1, the line on stderr, the good rows loaded.
    let (code, out, err) = kiosk(
        &data,
        &[
            "tracker",
            "import-targets",
            &f(
                "t.csv",
                "unit_code,target,deadline\nT021,7,2025-06-30\nT021x,7,2025-06-30\n",
            ),
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("t.csv:3: unit_code: unknown unit \"T021x\""),
        "{err}"
    );
    // A wrong header: exit 2 and the JSON error on stdout.
    let (code, out, _) = kiosk(
        &data,
        &["tracker", "import-roster", &f("r.csv", "name,id\n")],
    );
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["error"]["kind"], "bad_input");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("missing: id_number"));
    // Reports.
    let csv_out = dir.path().join("ngay.csv");
    let (code, out, err) = kiosk(
        &data,
        &[
            "tracker",
            "report",
            "--day",
            "2025-06-08",
            "--format",
            "csv",
            "--out",
            csv_out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("unit Z99"), "{err}");
    let rows = csv_rows(&std::fs::read(&csv_out).unwrap());
    assert_eq!(
        rows["T021"]["target"], "7",
        "the target imported through the CLI"
    );
    let html_out = dir.path().join("tuan.html");
    let (code, _, _) = kiosk(
        &data,
        &[
            "tracker",
            "report",
            "--week",
            "2025-06-08",
            "--format",
            "html",
            "--out",
            html_out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    let html = std::fs::read_to_string(&html_out).unwrap();
    for part in [
        "BÁO CÁO TUẦN",
        "<svg",
        "Khó khăn, vướng mắc",
        "Đề xuất, kiến nghị",
        "@media print",
        "Bản Nậm Củm",
    ] {
        assert!(html.contains(part), "{part}");
    }
    let md_out = dir.path().join("ngay.md");
    let (code, _, _) = kiosk(
        &data,
        &[
            "tracker",
            "report",
            "--day",
            "2025-06-08",
            "--service",
            "card_application",
            "--format",
            "md",
            "--out",
            md_out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(&md_out)
        .unwrap()
        .contains("| TOTAL |"));
    let (code, _, _) = kiosk(
        &data,
        &[
            "tracker", "report", "--day", "8/6/2025", "--format", "csv", "--out", "x",
        ],
    );
    assert_eq!(code, 2);
    // Roster through the CLI.
    let (code, _, err) = kiosk(
        &data,
        &["tracker", "import-roster", &f("roster.csv", ROSTER)],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("roster.csv:6: id_number:"), "{err}");
    let (code, out, _) = kiosk(&data, &["tracker", "roster", "--search", "nguyen van a"]);
    assert_eq!(code, 0);
    let first = out.lines().next().unwrap();
    assert!(
        first.contains("Nguyễn Văn A") && first.contains("served") && !first.contains("not served"),
        "{out}"
    );
    assert!(out.lines().nth(1).unwrap().contains("not served"), "{out}");
}

#[test]
fn the_dashboard_shows_countdowns_totals_and_statuses() {
    use cccd_kiosk::tracker::dashboard::{self, DashboardData};
    use egui_kittest::kittest::Queryable;
    let c = seed();
    let day = d("2025-06-08");
    let data = DashboardData::load(&c.store, day, Service::EidLevel2).unwrap();
    let (today, total) = count(&c.expect, "H01", Service::EidLevel2, day, day);
    // The TOTAL line ends at the total done; one line per commune follows.
    assert_eq!(data.lines.len(), 3);
    assert_eq!(data.lines[0].1.last().unwrap()[1] as u64, total);
    let (_, x02) = count(&c.expect, "X02", Service::EidLevel2, day, day);
    assert_eq!(data.lines[2].1.last().unwrap()[1] as u64, x02);
    // Sunday 15:30: 1 h 30 to the daily report, 5 days 1 h 30 to Friday's.
    let now = chrono::NaiveDateTime::parse_from_str("2025-06-08 15:30", "%Y-%m-%d %H:%M").unwrap();
    let mut h = egui_kittest::Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_ui(move |ui| dashboard::show(ui, &data, now));
    h.run();
    h.get_by_label("Báo cáo ngày (trước 17:00): còn 1 giờ 30 phút");
    h.get_by_label("Báo cáo tuần (trước 17:00 thứ Sáu): còn 5 ngày 1 giờ 30 phút");
    h.get_by_label(&format!(
        "Tổng: {total} / 100 — hôm nay {today} — Đúng tiến độ"
    ));
    h.get_by_label("Chậm tiến độ"); // the school: deadline passed
    h.get_by_label("Hoàn thành"); // Bản Pa Ủ: target reached
    h.get_by_label("    Trường THCS Thị trấn"); // indented under its commune
}
