//! Tracker benchmarks at district scale (issue 6): 500 units, 100,000 roster
//! entries, 200,000 activation records. Targets: the daily report ≤ 1 s, a roster
//! search ≤ 50 ms (after the roster is decrypted once at unlock).
//!
//! Seeding uses the bulk paths: `Store::append_batch` (all records in ONE
//! transaction) and the roster CSV import (one transaction). The dashboard frame
//! (target ≤ 16 ms) is egui's layout and tessellation on the CPU, without
//! rasterising; so is the roster screen's frame (`roster_view_frame_*`, only the
//! visible rows laid out). Sizes can be scaled
//! down for a quick run: `CCCD_BENCH_TRACKER_RECORDS`, `CCCD_BENCH_TRACKER_ROSTER`.

use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
use cccd_kiosk::queue::store::{Store, Synchronous};
use cccd_kiosk::queue::Service;
use cccd_kiosk::tracker::progress::Period;
use cccd_kiosk::tracker::report;
use cccd_kiosk::tracker::roster::{import_roster, RosterIndex, RosterQuery};
use cccd_kiosk::tracker::targets::import_targets;
use cccd_kiosk::tracker::units::import_units;
use cccd_kiosk::tracker::{dashboard, done, roster_view};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use std::fmt::Write as _;
use std::time::Instant;

fn env_n(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const FAMILY: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Lò", "Đặng", "Vũ"];
const MIDDLE: [&str; 4] = ["Văn", "Thị", "Đức", "Ngọc"];
const GIVEN: [&str; 10] = [
    "An", "Bình", "Cường", "Dũng", "Hương", "Khôi", "Lan", "Minh", "Sơn", "Thảo",
];

/// 1 province, 4 districts, 40 communes, 440 villages, 15 organisations = 500.
fn units_csv() -> (String, Vec<String>) {
    let mut s = String::from("code,name,level,parent_code\nP,Tỉnh Lai Châu,province,\n");
    let mut villages = Vec::new();
    for d in 0..4 {
        let _ = writeln!(s, "D{d},Huyện {d},district,P");
        for c in 0..10 {
            let _ = writeln!(s, "C{d}{c},Xã {d}-{c},commune,D{d}");
            for v in 0..11 {
                let _ = writeln!(s, "V{d}{c}{v:02},Bản {d}-{c}-{v},village,C{d}{c}");
                villages.push(format!("V{d}{c}{v:02}"));
            }
        }
    }
    for o in 0..15 {
        let _ = writeln!(s, "O{o},Trường số {o},organisation,D{}", o % 4);
    }
    (s, villages)
}

fn seed(dir: &std::path::Path) -> Store {
    // `cargo test --all-targets` (make test) runs benches without `--bench`: a smoke
    // run at 1 % of the district scale, not minutes of seeding in the dev profile.
    let full = std::env::args().any(|a| a == "--bench");
    let records = env_n(
        "CCCD_BENCH_TRACKER_RECORDS",
        if full { 200_000 } else { 2_000 },
    );
    let roster = env_n(
        "CCCD_BENCH_TRACKER_ROSTER",
        if full { 100_000 } else { 1_000 },
    );
    let mut store = Store::open_with(dir, Synchronous::Normal).unwrap_or_else(|e| panic!("{e}"));
    let (units, villages) = units_csv();
    import_units(&mut store, units.as_bytes(), "units.csv").unwrap_or_else(|e| panic!("{e}"));
    let mut targets = String::from("unit_code,target,deadline\n");
    for v in &villages {
        let _ = writeln!(targets, "{v},500,2025-06-25");
    }
    for o in 0..15 {
        let _ = writeln!(targets, "O{o},300,2025-06-10");
    }
    let _ = writeln!(targets, "P,220000,2025-06-25");
    import_targets(&mut store, targets.as_bytes(), "targets.csv").unwrap_or_else(|e| panic!("{e}"));

    let t = Instant::now();
    let mut csv = String::from(
        "id_number,full_name,date_of_birth,sex,unit_code,address,classification,officer_id\n",
    );
    let classes = [
        "present",
        "other_province",
        "working_away",
        "unknown",
        "home_visit",
    ];
    for k in 0..roster as usize {
        let _ = writeln!(
            csv,
            "0012{:08},{} {} {},1980-01-01,Nam,{},Số {k},{},CB{:02}",
            k * 2,
            FAMILY[k % 8],
            MIDDLE[k / 8 % 4],
            GIVEN[k / 32 % 10],
            villages[k % villages.len()],
            classes[k % 5],
            k % 40
        );
    }
    let r =
        import_roster(&mut store, csv.as_bytes(), "roster.csv").unwrap_or_else(|e| panic!("{e}"));
    println!(
        "roster import of {} entries: {:.2} s",
        r.inserted,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let photo = synthetic_jpeg(1, 8);
    let start =
        DateTime::parse_from_rfc3339("2025-06-03T07:30:00+07:00").unwrap_or_else(|e| panic!("{e}"));
    let villages2 = villages.clone();
    let recs = (0..records).map(move |n| {
        let mut a = NewActivation::synthetic(n, photo.clone());
        a.card.citizen["id_number"] = format!("0012{:08}", n).into();
        a.created_at =
            start + Duration::days(i64::from(n % 22)) + Duration::minutes(i64::from(n % 800));
        a.consent.accepted_at = a.created_at.with_timezone(&Utc) - Duration::seconds(60);
        a.unit_code = villages2[n as usize % villages2.len()].clone();
        a.org_code = (n % 20 == 0).then(|| format!("O{}", n % 15));
        a.officer_id = format!("CB{:02}", n % 40);
        if n % 10 == 9 {
            a.service = Service::CardApplication;
        }
        a
    });
    let ids = store.append_batch(recs).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "append_batch of {} records (one transaction): {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    store
}

fn tracker(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let store = seed(dir.path());
    let day = NaiveDate::from_ymd_opt(2025, 6, 20).unwrap_or_default();
    // Where a report's time goes (printed once).
    let t = Instant::now();
    let rows = done::load_rows(&store).unwrap_or_else(|e| panic!("{e}"));
    let t_load = t.elapsed();
    let t = Instant::now();
    let all = done::resolve(&rows);
    println!(
        "report phases: read {} record rows {:.0} ms, resolve to {} done {:.0} ms",
        rows.len(),
        t_load.as_secs_f64() * 1e3,
        all.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut g = c.benchmark_group("tracker");
    g.sample_size(10);
    g.bench_function("daily_report_csv", |b| {
        b.iter(|| {
            let p = report::build(&store, &Period::day(day), Service::EidLevel2)
                .unwrap_or_else(|e| panic!("{e}"));
            report::to_csv(&p)
        })
    });
    let t = Instant::now();
    let index = RosterIndex::load(&store).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "roster unlock (decrypt {} entries, match served): {:.2} s",
        index.entries().len(),
        t.elapsed().as_secs_f64()
    );
    let q = RosterQuery {
        text: Some("nguyen van an".into()),
        ..RosterQuery::default()
    };
    println!("search hits: {}", index.search(&q).len());
    g.bench_function("roster_search_name", |b| b.iter(|| index.search(&q).len()));
    let q2 = RosterQuery {
        text: Some("dang thi".into()),
        unit: Some("C12".into()),
        served: Some(false),
        ..RosterQuery::default()
    };
    g.bench_function("roster_search_filtered", |b| {
        b.iter(|| index.search(&q2).len())
    });
    // Dashboard frame: egui layout + tessellation (CPU), no rasterising (DESIGN
    // "Measuring the UI"); the data is computed once, as the screen would.
    let data = dashboard::DashboardData::load(&store, day, Service::EidLevel2)
        .unwrap_or_else(|e| panic!("{e}"));
    let now = day.and_hms_opt(15, 30, 0).unwrap_or_default();
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        ..egui::RawInput::default()
    };
    g.bench_function("dashboard_frame_layout_tessellate", |b| {
        b.iter(|| {
            let out = ctx.run_ui(input(), |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| dashboard::show(ui, &data, now));
            });
            ctx.tessellate(out.shapes, out.pixels_per_point).len()
        })
    });
    // Roster screen frame at full size (100,000 entries): layout + tessellation of
    // the filters, the keyboard and only the visible rows (ScrollArea::show_rows);
    // the search itself runs once per query change (first bench), so the steady
    // frame (second) is what the officer's screen costs while idle or scrolling.
    let today = day;
    let mut view = roster_view::RosterView::new(cccd_kiosk::ui::i18n::Lang::Vi);
    let mut flip = false;
    g.bench_function("roster_view_frame_new_query", |b| {
        b.iter(|| {
            flip = !flip;
            view.text = if flip {
                "NGUYEN VAN".into()
            } else {
                "NGUYEN VAN AN".into()
            };
            let out = ctx.run_ui(input(), |ui| {
                view.show(ui, &index, today);
            });
            ctx.tessellate(out.shapes, out.pixels_per_point).len()
        })
    });
    view.text.clear();
    g.bench_function("roster_view_frame_steady", |b| {
        b.iter(|| {
            let out = ctx.run_ui(input(), |ui| {
                view.show(ui, &index, today);
            });
            ctx.tessellate(out.shapes, out.pixels_per_point).len()
        })
    });
    g.finish();
}

criterion_group!(benches, tracker);
criterion_main!(benches);
