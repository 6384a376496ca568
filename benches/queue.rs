//! Queue benchmarks: append with a ~20 KB live photo under `synchronous=FULL`
//! (production) against `NORMAL`, to show what surviving power loss costs; and
//! export + verify of a batch. Records per second are printed before criterion's
//! own timing. Figures go in `src/queue/README.md`.

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

fn export_verify(_c: &mut Criterion) {
    let n = std::env::var("CCCD_BENCH_EXPORT_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000u32);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut s = Store::open(&dir.path().join("data")).unwrap_or_else(|e| panic!("{e}"));
    let p = photo();
    for i in 0..n {
        s.append(&NewActivation::synthetic(i, p.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let id = age::x25519::Identity::generate();
    let out = dir.path().join("usb");
    let t = Instant::now();
    export::export(&mut s, &out, None, &id.to_public(), &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{e}"));
    let te = t.elapsed();
    let t = Instant::now();
    export::verify(&out, Some(&id)).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "export of {n} records: {:.2} s; verify with identity: {:.2} s",
        te.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
}

criterion_group!(benches, append, export_verify);
criterion_main!(benches);
