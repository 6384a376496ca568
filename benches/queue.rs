//! Queue benchmarks: append with a ~20 KB live photo under `synchronous=FULL`
//! (production) against `NORMAL`, to show what surviving power loss costs; and
//! export + verify of a batch. Records per second are printed before criterion's
//! own timing. Figures go in `src/queue/README.md`. Export and verify run on
//! 10,000 records (`CCCD_BENCH_EXPORT_N` overrides), streaming: the peak RSS is
//! printed before and after.

use cccd_kiosk::queue::export;
use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
use cccd_kiosk::queue::store::{Store, Synchronous};
use criterion::{criterion_group, criterion_main, Criterion};
use std::time::{Duration, Instant};

fn photo() -> Vec<u8> {
    synthetic_jpeg(1, 128)
}

fn rate(sync: Synchronous, n: u32) -> f64 {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut s = Store::open_with(dir.path(), sync).unwrap_or_else(|e| panic!("{e}"));
    let p = photo();
    let t = Instant::now();
    for i in 0..n {
        s.append(&NewActivation::synthetic(i, p.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    f64::from(n) / t.elapsed().as_secs_f64()
}

fn append(c: &mut Criterion) {
    println!("photo {} bytes", photo().len());
    for sync in [Synchronous::Full, Synchronous::Normal] {
        println!(
            "append, synchronous={sync:?}: {:.0} records/s (500 records)",
            rate(sync, 500)
        );
    }
    let mut g = c.benchmark_group("queue_append_20k_photo");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for (name, sync) in [("full", Synchronous::Full), ("normal", Synchronous::Normal)] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let mut s = Store::open_with(dir.path(), sync).unwrap_or_else(|e| panic!("{e}"));
        let p = photo();
        let mut i = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                s.append(&NewActivation::synthetic(i, p.clone()))
                    .unwrap_or_else(|e| panic!("{e}"))
            })
        });
    }
    g.finish();
}

/// Issue 5's targets for a 10,000-record export (release build).
const EXPORT_TARGET_S: f64 = 10.0;
const VERIFY_TARGET_S: f64 = 5.0;

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn export_verify(_c: &mut Criterion) {
    // `cargo test --all-targets` (make test) runs benches without `--bench`: a smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    let n = std::env::var("CCCD_BENCH_EXPORT_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 10_000u32 } else { 20 });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data = dir.path().join("data");
    {
        // Filling is not what is measured here: NORMAL, to fill 10,000 records quickly.
        let mut s = Store::open_with(&data, Synchronous::Normal).unwrap_or_else(|e| panic!("{e}"));
        let p = photo();
        for i in 0..n {
            s.append(&NewActivation::synthetic(i, p.clone()))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let mut s = Store::open(&data).unwrap_or_else(|e| panic!("{e}"));
    let id = age::x25519::Identity::generate();
    let out = dir.path().join("usb");
    let rss_before = peak_rss_kb();
    let t = Instant::now();
    let m = export::export(&mut s, &out, None, &id.to_public(), &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{e}"));
    let te = t.elapsed().as_secs_f64();
    let rss_export = peak_rss_kb();
    let t = Instant::now();
    let v = export::verify(&out, Some(&id)).unwrap_or_else(|e| panic!("{e}"));
    let tv = t.elapsed().as_secs_f64();
    assert_eq!(v.records_checked, m.count);
    println!(
        "export of {n} records ({} MB payload): {te:.2} s (target <= {EXPORT_TARGET_S} s{}); verify with identity: {tv:.2} s (target <= {VERIFY_TARGET_S} s{}); peak RSS {rss_before} kB before, {rss_export} kB after export, {} kB after verify",
        m.payload.bytes / 1_000_000,
        if n == 10_000 && te > EXPORT_TARGET_S { ", MISSED" } else { "" },
        if n == 10_000 && tv > VERIFY_TARGET_S { ", MISSED" } else { "" },
        peak_rss_kb()
    );
}

criterion_group!(benches, append, export_verify);
criterion_main!(benches);
