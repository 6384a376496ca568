//! A USB stick that fills up during the export: the command fails with a clear
//! error, no half-written file is left on the stick, every record stays queued,
//! and the same records go out as batch 1 on the next stick. The stick is a small
//! tmpfs mounted in the test's private mount namespace (`scripts/with-pcscd`,
//! as `make test` runs it).

use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
use cccd_kiosk::queue::store::{ListFilter, Store};
use cccd_kiosk::queue::Status;
use std::path::Path;
use std::process::Command;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn export(data: &Path, out: &Path, recipient: &str, pass: &Path) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cccd-kiosk"))
        .arg("--data-dir")
        .arg(data)
        .args(["queue", "export", "--out"])
        .arg(out)
        .args(["--recipient", recipient, "--passphrase-file"])
        .arg(pass)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_full_usb_stick_leaves_every_record_queued_with_a_clear_error() {
    assert_eq!(
        std::env::var("CCCD_IN_NAMESPACE").as_deref(),
        Ok("1"),
        "run under scripts/with-pcscd (make test): mounting the small stick needs the private namespace"
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut store = Store::open(&data).unwrap();
    store.set_supervisor_passphrase(None, "trưởng tổ số 3").unwrap();
    for n in 0..6 {
        // ~20 KB photos: 120 KB of payload, on a 64 KB stick.
        store
            .append(&NewActivation::synthetic(n, synthetic_jpeg(n.into(), 128)))
            .unwrap();
    }
    drop(store);
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "trưởng tổ số 3\n").unwrap();
    let recipient = age::x25519::Identity::generate().to_public().to_string();

    let stick = dir.path().join("stick");
    std::fs::create_dir(&stick).unwrap();
    let st = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&stick)
        .status()
        .unwrap();
    assert!(st.success(), "mount -t tmpfs -o size=64k");
    let _mounted = Mount(stick.clone());

    let (code, out, err) = export(&data, &stick.join("day1"), &recipient, &pass);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("No space left on device") && err.contains("still queued"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(stick.join("day1"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left on the full stick: {left:?}");
    let store = Store::open(&data).unwrap();
    let all = store.list(&ListFilter::default()).unwrap();
    assert_eq!(all.len(), 6);
    assert!(all
        .iter()
        .all(|r| r.status == Status::Queued && r.batch_id.is_none()));
    drop(store);

    // A good stick: the same six records, as the first batch.
    let (code, out, err) = export(&data, &dir.path().join("good"), &recipient, &pass);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\"count\":6") && out.contains("-0001\""),
        "{out}"
    );
}
