//! `make bench`: SIGKILL `cccd-kiosk simulate` 1,000 times at random moments into
//! one data directory, then check every committed record, the database and an
//! export of everything (the same checks as `tests/queue_crash.rs`, which kills
//! 50 times in `make test`). `CCCD_CRASH_KILLS` overrides the count.

#[path = "../tests/crash_driver/mod.rs"]
mod crash_driver;

fn main() {
    // `cargo test --all-targets` (make test) runs benches without `--bench`; the
    // 50-kill test already runs there, so this is only a smoke run of 2 kills.
    let bench = std::env::args().any(|a| a == "--bench");
    let kills = std::env::var("CCCD_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 1000usize } else { 2 });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data = dir.path().join("data");
    let seed = rand::random::<u64>();
    let c = crash_driver::crash_runs(&data, kills, seed);
    let n = crash_driver::check_after_crashes(&data, dir.path(), &c);
    println!(
        "queue crash: {} SIGKILLs ({} runs finished first), {} records reported committed, {n} in the queue, all intact; export verified; one run {:.2} s, {:.1} s in all (seed {seed})",
        c.kills,
        c.finished,
        c.committed.len(),
        c.run_time.as_secs_f64(),
        c.elapsed.as_secs_f64()
    );
}
