//! The queue under a killed process, and the supervisor's end of day through the
//! real binary: export, verify, import results, tampering and a missing batch.
//!
//! The crash test re-executes this test binary as the child (`crash_child`,
//! selected with `--exact` and an environment variable), kills it with SIGKILL at
//! random moments while it appends records, and then checks the store. SIGKILL
//! shows that no half-written record is ever visible (one transaction per record
//! and photo); power loss is covered by `synchronous=FULL` (see `queue::store`).

use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
use cccd_kiosk::queue::store::{ListFilter, Store};
use cccd_kiosk::queue::{RecordId, Status};
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_DIR: &str = "CCCD_QUEUE_CRASH_CHILD";
const CHILD_START: &str = "CCCD_QUEUE_CRASH_START";

/// The child's body: appends records forever, printing each id once committed.
/// In a normal test run (no environment variable) it returns at once.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let start: u32 = std::env::var(CHILD_START)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut store = Store::open(Path::new(&dir)).unwrap();
    let photo = synthetic_jpeg(u64::from(start), 128);
    let mut out = std::io::stdout().lock();
    for n in start.. {
        let id = store
            .append(&NewActivation::synthetic(n, photo.clone()))
            .unwrap();
        writeln!(out, "committed {id}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_at_random_moments_never_leaves_half_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rngs::StdRng::from_entropy();
    let mut committed: Vec<String> = Vec::new();
    let rounds = 24;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_START, (round * 1000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.split_once("committed ").map(|(_, id)| id.to_string()))
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(rng.gen_range(20..400)));
        child.kill().unwrap(); // SIGKILL on Unix
                               // (libtest prints "test crash_child ... " without a newline: the first id shares its line.)
        child.wait().unwrap();
        committed.extend(reader.join().unwrap());
    }
    assert!(
        committed.len() >= rounds as usize,
        "the children committed only {} records",
        committed.len()
    );

    let mut store = Store::open(dir.path()).unwrap();
    store.integrity_check().unwrap();
    let all = store.list(&ListFilter::default()).unwrap();
    // Every record reported committed is there; every record there is whole (its
    // sealed data opens and its photo matches its hash).
    for id in &committed {
        assert!(
            all.iter().any(|r| r.id.to_string() == *id),
            "committed record {id} lost"
        );
    }
    for r in &all {
        let full = store.get(r.id).unwrap();
        assert!(
            full.personal.live_photo.jpeg.starts_with(&[0xFF, 0xD8]),
            "record {} has no photo",
            r.id
        );
    }
    assert!(
        all.len() <= committed.len() + rounds as usize,
        "{} records but {} commits reported",
        all.len(),
        committed.len()
    );

    // And the chain over everything that survived verifies.
    let identity = age::x25519::Identity::generate();
    let out = dir.path().join("usb");
    let m = cccd_kiosk::queue::export::export(
        &mut store,
        &out,
        None,
        &identity.to_public(),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(m.count as usize, all.len());
    assert_eq!(
        cccd_kiosk::queue::export::verify(&out, Some(&identity))
            .unwrap()
            .records_checked as usize,
        all.len()
    );
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
