//! SIGKILL `cccd-kiosk simulate` at random moments, many times, into one data
//! directory, then check what a supervisor relies on. Shared by
//! `tests/queue_crash.rs` (≥ 50 kills, `make test`) and `benches/queue_crash.rs`
//! (1,000 kills, `make bench`).
//!
//! The kill moments are calibrated: one unkilled run of one citizen measures how
//! long a run takes on this machine and build (startup, migration, the first
//! enrollment), and each kill falls uniformly in 0–1.5× that, so kills land in
//! startup, in the card read, the photo, inside the record's transaction and
//! (a third of them) after a first record is committed.
//! SIGKILL shows that no half-written record is ever visible; power loss is
//! `synchronous=FULL`'s job (see `queue::store`).

#![allow(dead_code)]

use cccd_kiosk::queue::store::{ListFilter, Store};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cccd-kiosk"))
}

/// What the runs did.
#[derive(Debug, Default)]
pub struct Crashes {
    /// Runs ended by SIGKILL.
    pub kills: usize,
    /// Runs that finished before their kill moment.
    pub finished: usize,
    /// Record id → receipt, for every `committed` line printed.
    pub committed: BTreeMap<String, String>,
    /// The calibrated length of one run.
    pub run_time: Duration,
    /// Wall time of all the runs.
    pub elapsed: Duration,
}

fn simulate(data: &Path, citizens: u32, seed: u64, faults: bool) -> Command {
    let mut c = Command::new(exe());
    c.arg("--data-dir")
        .arg(data)
        .args(["simulate", "--officers", "2", "--citizens"])
        .arg(citizens.to_string())
        .arg("--seed")
        .arg(seed.to_string())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if faults {
        c.arg("--faults");
    }
    c
}

fn committed_lines(out: impl std::io::Read) -> Vec<(String, String)> {
    BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| {
            let rest = l.strip_prefix("committed ")?;
            let (id, receipt) = rest.split_once(' ')?;
            Some((id.to_string(), receipt.to_string()))
        })
        .collect()
}

/// Kill `simulate` `kills` times (plus one calibration run) into `data`.
pub fn crash_runs(data: &Path, kills: usize, seed: u64) -> Crashes {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut c = Crashes::default();
    let started = Instant::now();
    // Calibration: one whole run of one citizen who is served (no fault).
    let t = Instant::now();
    let out = simulate(data, 1, seed, false)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", exe().display()));
    c.run_time = t.elapsed();
    assert!(out.status.success(), "calibration run failed: {out:?}");
    c.committed.extend(committed_lines(out.stdout.as_slice()));
    let mut round = 0u64;
    while c.kills < kills {
        round += 1;
        let mut child = simulate(data, 4, seed.wrapping_add(round), true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let reader = std::thread::spawn(move || committed_lines(stdout));
        let at = c.run_time.mul_f64(rng.gen_range(0.0..1.5));
        let deadline = Instant::now() + at;
        let mut exited = None;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap_or(None) {
                exited = Some(status);
                break;
            }
            std::thread::sleep(Duration::from_millis(2).min(deadline - Instant::now()));
        }
        match exited {
            Some(status) => {
                assert!(status.success(), "simulate failed on its own: {status}");
                c.finished += 1;
            }
            None => {
                child.kill().unwrap_or_else(|e| panic!("kill: {e}")); // SIGKILL on Unix
                let status = child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
                if status.success() {
                    c.finished += 1; // it finished between the last poll and the kill
                } else {
                    c.kills += 1;
                }
            }
        }
        c.committed
            .extend(reader.join().unwrap_or_else(|_| panic!("reader thread")));
    }
    c.elapsed = started.elapsed();
    c
}

/// Check the data directory after the crashes: every committed record present,
/// intact and with its receipt; nothing half-written; the database sound; and an
/// export of everything verifies, chain included, through the real CLI.
/// Returns the number of records.
pub fn check_after_crashes(data: &Path, work: &Path, c: &Crashes) -> usize {
    let store = Store::open(data).unwrap_or_else(|e| panic!("reopen after crashes: {e}"));
    store
        .integrity_check()
        .unwrap_or_else(|e| panic!("PRAGMA integrity_check: {e}"));
    let all = store
        .list(&ListFilter::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let by_id: BTreeMap<String, String> = all
        .iter()
        .map(|r| (r.id.to_string(), r.receipt.clone()))
        .collect();
    for (id, receipt) in &c.committed {
        assert_eq!(
            by_id.get(id),
            Some(receipt),
            "record {id} was reported committed (receipt {receipt}) but is not in the queue"
        );
    }
    // Every record decrypts and its photo matches its hash.
    for r in &all {
        let full = store
            .get(r.id)
            .unwrap_or_else(|e| panic!("record {} is damaged: {e}", r.id));
        assert!(full
            .personal
            .live_photo
            .jpeg
            .starts_with(&[0xFF, 0xD8, 0xFF]));
    }
    drop(store);
    // Nothing half-written: no record without its photo, no photo without its record.
    let db = rusqlite::Connection::open(data.join(cccd_kiosk::queue::store::DB_FILE))
        .unwrap_or_else(|e| panic!("{e}"));
    let count = |sql: &str| -> i64 {
        db.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    assert_eq!(
        count("SELECT count(*) FROM records WHERE id NOT IN (SELECT record_id FROM photos)"),
        0,
        "a record without its photo"
    );
    assert_eq!(
        count("SELECT count(*) FROM photos WHERE record_id NOT IN (SELECT id FROM records)"),
        0,
        "a photo without its record"
    );
    drop(db);
    // At most one record per killed run was committed but not yet reported.
    assert!(
        all.len() <= c.committed.len() + c.kills,
        "{} records but {} reported committed in {} kills",
        all.len(),
        c.committed.len(),
        c.kills
    );

    // The supervisor exports everything and the province verifies it.
    let identity = age::x25519::Identity::generate();
    let key = work.join("province.key");
    std::fs::write(
        &key,
        format!(
            "{}\n",
            age::secrecy::ExposeSecret::expose_secret(&identity.to_string())
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let pass = work.join("pass");
    std::fs::write(&pass, "tổ 3 ca chiều\n").unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| {
        let out = Command::new(exe())
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .env_remove("CCCD_SUPERVISOR_PASSPHRASE")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let p = |p: &Path| p.to_string_lossy().into_owned();
    let (code, _, err) = run(&["queue", "set-passphrase", "--new-file", &p(&pass)]);
    assert_eq!(code, Some(0), "{err}");
    let usb = work.join("usb");
    let recipient = identity.to_public().to_string();
    let (code, out, err) = run(&[
        "queue",
        "export",
        "--out",
        &p(&usb),
        "--recipient",
        &recipient,
        "--passphrase-file",
        &p(&pass),
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains(&format!("\"count\":{}", all.len())), "{out}");
    let (code, out, err) = run(&["queue", "verify", &p(&usb), "--identity", &p(&key)]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains(&format!("{} records checked, chain verified", all.len())),
        "{out}"
    );
    all.len()
}
