//! The queue under a killed process, and the supervisor's end of day through the
//! real binary: export, verify, import results, tampering and a missing batch.
//!
//! The crash test SIGKILLs `cccd-kiosk simulate` (the kiosk's whole pipeline:
//! emulated card, synthetic camera, the queue) at random moments, at least 50
//! times into one data directory, and then checks that every record reported
//! committed is there and whole, none is half-written, SQLite's integrity check
//! passes, and an export of everything verifies with the chain (see
//! `crash_driver`). SIGKILL shows that no half-written record is ever visible (one
//! transaction per record and photo); power loss is covered by
//! `synchronous=FULL` (see `queue::store`).

mod crash_driver;

use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
use cccd_kiosk::queue::store::Store;
use cccd_kiosk::queue::{RecordId, Status};
use std::path::Path;
use std::process::Command;

#[test]
fn sigkill_of_simulate_at_random_moments_never_loses_or_halves_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seed = rand::random::<u64>();
    let c = crash_driver::crash_runs(&data, 50, seed);
    eprintln!(
        "{} kills, {} runs finished, {} records reported committed, one run {:.2} s, all runs {:.1} s (seed {seed})",
        c.kills,
        c.finished,
        c.committed.len(),
        c.run_time.as_secs_f64(),
        c.elapsed.as_secs_f64()
    );
    assert!(c.kills >= 50);
    assert!(
        !c.committed.is_empty(),
        "no run committed a record before its kill (seed {seed})"
    );
    let n = crash_driver::check_after_crashes(&data, dir.path(), &c);
    assert!(n >= c.committed.len());
}

fn kiosk(data: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cccd-kiosk"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("CCCD_SUPERVISOR_PASSPHRASE")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn end_of_day_through_the_cli_export_verify_import_and_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let mut store = Store::open(&data).unwrap();
    let ids: Vec<RecordId> = (0..4)
        .map(|n| {
            store
                .append(&NewActivation::synthetic(n, synthetic_jpeg(n.into(), 64)))
                .unwrap()
        })
        .collect();
    drop(store);
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    std::fs::write(
        d("province.key"),
        format!(
            "# province\n{}\n",
            age::secrecy::ExposeSecret::expose_secret(&identity.to_string())
        ),
    )
    .unwrap();
    std::fs::write(d("pass"), "tổ công tác số 3\n").unwrap();
    let pass = [("CCCD_SUPERVISOR_PASSPHRASE", "tổ công tác số 3")];

    // Export is refused before a passphrase is set, and with a wrong one.
    let (code, _, err) = kiosk(
        &data,
        &[
            "queue",
            "export",
            "--out",
            &d("usb1"),
            "--recipient",
            &recipient,
        ],
        &pass,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("passphrase"), "{err}");
    let (code, _, err) = kiosk(
        &data,
        &["queue", "set-passphrase", "--new-file", &d("pass")],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = kiosk(
        &data,
        &[
            "queue",
            "export",
            "--out",
            &d("usb1"),
            "--recipient",
            &recipient,
        ],
        &[("CCCD_SUPERVISOR_PASSPHRASE", "wrong guess!")],
    );
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = kiosk(
        &data,
        &[
            "queue",
            "export",
            "--out",
            &d("usb1"),
            "--recipient",
            "age1notakey",
        ],
        &pass,
    );
    assert_eq!(code, 2);
    assert!(err.contains("recipient"), "{err}");

    let (code, out, err) = kiosk(
        &data,
        &[
            "queue",
            "export",
            "--out",
            &d("usb1"),
            "--recipient",
            &recipient,
        ],
        &pass,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"count\":4"), "{out}");
    let (code, out, _) = kiosk(
        &data,
        &[
            "queue",
            "verify",
            &d("usb1"),
            "--identity",
            &d("province.key"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("4 records checked"), "{out}");
    let (_, out, _) = kiosk(
        &data,
        &["queue", "list", "--status", "exported", "--json"],
        &[],
    );
    assert_eq!(out.lines().count(), 4);
    assert!(
        !out.contains("001199") && !out.contains("Nguy"),
        "list shows personal data: {out}"
    );

    // Results come back.
    std::fs::write(
        d("results.csv"),
        format!(
            "record_id,status,reason\n{},accepted,\n{},rejected,Ảnh mờ\n",
            ids[0], ids[1]
        ),
    )
    .unwrap();
    let (code, out, err) = kiosk(&data, &["queue", "import-results", &d("results.csv")], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = kiosk(&data, &["queue", "stats", "--json"], &[]);
    let stats: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(stats["by_status"]["accepted"], 1);
    assert_eq!(stats["by_status"]["rejected"], 1);
    assert_eq!(stats["by_status"]["exported"], 2);
    let store = Store::open(&data).unwrap();
    assert_eq!(store.get(ids[1]).unwrap().summary.status, Status::Rejected);
    drop(store);
    std::fs::write(
        d("unknown.csv"),
        format!("{},accepted,\n", RecordId::new_v7()),
    )
    .unwrap();
    let (code, _, err) = kiosk(&data, &["queue", "import-results", &d("unknown.csv")], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("not a record of this kiosk"), "{err}");

    // Bad input names the field.
    let (code, _, err) = kiosk(&data, &["queue", "list", "--status", "done"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("status"), "{err}");

    // Two more batches; verifying the first and the third shows the missing second.
    for (n, usb) in [(10u32, "usb2"), (11, "usb3")] {
        let mut store = Store::open(&data).unwrap();
        store
            .append(&NewActivation::synthetic(n, synthetic_jpeg(n.into(), 64)))
            .unwrap();
        drop(store);
        let (code, _, err) = kiosk(
            &data,
            &[
                "queue",
                "export",
                "--out",
                &d(usb),
                "--recipient",
                &recipient,
            ],
            &pass,
        );
        assert_eq!(code, 0, "{err}");
    }
    let (code, out, _) = kiosk(
        &data,
        &["queue", "verify", &d("usb1"), &d("usb2"), &d("usb3")],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = kiosk(&data, &["queue", "verify", &d("usb1"), &d("usb3")], &[]);
    assert_eq!(code, 1);
    assert!(out.contains("missing"), "{out}");

    // One changed byte in the payload.
    let p = dir.path().join("usb2/payload.age");
    let mut bytes = std::fs::read(&p).unwrap();
    let last = bytes.len() - 20;
    bytes[last] ^= 0x10;
    std::fs::write(&p, bytes).unwrap();
    let (code, out, _) = kiosk(&data, &["queue", "verify", &d("usb2")], &[]);
    assert_eq!(code, 1);
    assert!(out.contains("payload.age"), "{out}");
}
