//! `cccd-kiosk doctor` on a machine as a technician finds it: the real binary, the
//! private pcscd of scripts/with-pcscd (root, in its own mount namespace, so the tests
//! can mount tiny tmpfs "disks"), each failure class simulated in turn. Each test checks
//! what the technician would read: the failing check, its advice, the exit status.

mod common;
use cccd_kiosk::card::emulator::profile::CitizenProfile;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A config file plus a data directory for one doctor run.
struct Kiosk {
    dir: tempfile::TempDir,
    config: PathBuf,
    mounts: Vec<PathBuf>,
}

impl Kiosk {
    fn new(extra: &str) -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("kiosk.toml");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        set_mode(&data, 0o700);
        std::fs::write(
            &config,
            format!(
                "kiosk_id = \"TEST-01\"\nunit = \"00001\"\ndata_dir = \"{}\"\ncamera = \"/dev/null\"\n{extra}\n",
                data.display()
            ),
        )
        .unwrap();
        Kiosk {
            dir,
            config,
            mounts: Vec::new(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Mount a tmpfs of `size` over the data directory (needs the test namespace).
    fn small_disk(&mut self, opts: &str) {
        assert_eq!(
            std::env::var("CCCD_IN_NAMESPACE").as_deref(),
            Ok("1"),
            "run under scripts/with-pcscd (make test): mounting needs the private namespace"
        );
        let st = Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(self.data())
            .status()
            .unwrap();
        assert!(st.success(), "mount -t tmpfs -o {opts}");
        self.mounts.push(self.data());
    }

    fn doctor(&self, env: &[(&str, &str)]) -> Run {
        let out = Command::new(BIN)
            .args([
                "--config",
                self.config.to_str().unwrap(),
                "doctor",
                "--json",
            ])
            .envs(env.iter().copied())
            .env_remove("CCCD_ALLOW_VIRTUAL")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        Run {
            code: out.status.code().unwrap_or(-1),
            json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
            stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        for m in self.mounts.iter().rev() {
            let _ = Command::new("umount").arg(m).status();
        }
    }
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn check<'a>(r: &'a Run, id: &str) -> &'a Value {
    r.json["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {}\n{}", r.stdout, r.stderr))
}

fn status<'a>(r: &'a Run, id: &str) -> &'a str {
    check(r, id)["status"].as_str().unwrap()
}

#[test]
fn healthy_demo_kiosk_passes() {
    let mut k = Kiosk::new("allow_virtual_readers = true");
    k.small_disk("size=2g,mode=0700");
    let _card = VirtualCard::insert(&CitizenProfile::demo());
    let r = k.doctor(&[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["ok"], true);
    assert_eq!(r.json["kiosk_id"], "TEST-01");
    for id in ["pcscd", "readers", "camera", "disk", "database", "clock"] {
        assert_eq!(status(&r, id), "ok", "{id}: {}", check(&r, id));
    }
    // The reader and the card's ATR are shown.
    let details = check(&r, "readers")["details"].to_string();
    assert!(
        details.contains(READER) && details.contains("ATR 3B"),
        "{details}"
    );
}

#[test]
fn no_pcscd() {
    let k = Kiosk::new("");
    let r = k.doctor(&[("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(status(&r, "pcscd"), "fail");
    let c = check(&r, "pcscd");
    assert!(c["summary"].as_str().unwrap().contains("not reachable"));
    assert!(c["action"]["en"]
        .as_str()
        .unwrap()
        .contains("systemctl restart pcscd"));
    assert!(c["action"]["vi"].as_str().unwrap().contains("Khởi động"));
}

#[test]
fn no_reader_when_only_virtual_readers_exist() {
    // The private pcscd has only vpcd's virtual reader, which a production kiosk ignores.
    let k = Kiosk::new("");
    let r = k.doctor(&[]);
    assert_eq!(r.code, 1);
    assert_eq!(status(&r, "pcscd"), "ok");
    let c = check(&r, "readers");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["summary"], "no smart-card reader");
    assert!(
        c["details"].to_string().contains("(virtual: ignored)"),
        "{c}"
    );
    assert!(c["action"]["en"]
        .as_str()
        .unwrap()
        .contains("Plug the card reader in"));
    // A reader filter that matches nothing is named.
    let k = Kiosk::new("allow_virtual_readers = true\nreader = \"ACR1252\"");
    let c = check(&k.doctor(&[]), "readers").clone();
    assert_eq!(c["summary"], "no reader matching \"ACR1252\"");
}

#[test]
fn no_camera() {
    let k = Kiosk::new("");
    let cfg = std::fs::read_to_string(&k.config)
        .unwrap()
        .replace("/dev/null", "/dev/video7");
    std::fs::write(&k.config, cfg).unwrap();
    let r = k.doctor(&[]);
    let c = check(&r, "camera");
    assert_eq!(c["status"], "fail");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("/dev/video7 not found"),
        "{c}"
    );
    assert!(c["action"]["vi"].as_str().unwrap().contains("webcam"));
}

#[test]
fn full_disk() {
    let mut k = Kiosk::new("");
    k.small_disk("size=64k,mode=0700");
    // Fill it as a day of photos would.
    let _ = std::fs::write(k.data().join("photos.bin"), vec![0u8; 128 * 1024]);
    let r = k.doctor(&[]);
    assert_eq!(r.code, 1);
    let c = check(&r, "disk");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(c["summary"].as_str().unwrap().contains("is full"), "{c}");
    assert!(c["action"]["en"].as_str().unwrap().contains("queue export"));
}

#[test]
fn small_disk_fails_and_half_gig_warns() {
    let mut k = Kiosk::new("");
    k.small_disk("size=64m,mode=0700");
    let c = check(&k.doctor(&[]), "disk").clone();
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .starts_with("only 0.1 GiB free"),
        "{c}"
    );
    let mut k = Kiosk::new("");
    k.small_disk("size=512m,mode=0700");
    let c = check(&k.doctor(&[]), "disk").clone();
    assert_eq!(c["status"], "warn", "{c}");
    assert!(
        c["summary"].as_str().unwrap().contains("under 1 GiB"),
        "{c}"
    );
}

#[test]
fn read_only_disk() {
    let mut k = Kiosk::new("");
    k.small_disk("size=2g,ro,mode=0700");
    let c = check(&k.doctor(&[]), "disk").clone();
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        c["summary"].as_str().unwrap().contains("cannot write"),
        "{c}"
    );
    assert!(c["summary"].as_str().unwrap().contains("Read-only"), "{c}");
}

#[test]
fn test_csca_in_trust_store() {
    let k = Kiosk::new("");
    let trust = k.dir.path().join("trust");
    std::fs::create_dir(&trust).unwrap();
    cccd_kiosk::card::emulator::pki::write_csca(&trust).unwrap();
    let cfg = std::fs::read_to_string(&k.config).unwrap();
    std::fs::write(
        &k.config,
        format!("trust_dir = \"{}\"\n{cfg}", trust.display()),
    )
    .unwrap();
    let r = k.doctor(&[]);
    let c = check(&r, "trust");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(c["summary"].as_str().unwrap().contains("TEST CSCA"));
    assert!(c["details"].to_string().contains("NOT FOR PRODUCTION"));
    assert!(c["action"]["en"]
        .as_str()
        .unwrap()
        .contains("Remove the cccd-kiosk test CSCA"));
}

#[test]
fn text_report_says_what_to_do_in_both_languages() {
    let k = Kiosk::new("");
    let out = Command::new(BIN)
        .args(["--config", k.config.to_str().unwrap(), "doctor"])
        .env("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("[FAIL] pcscd"), "{text}");
    assert!(
        text.contains("→ Cách xử lý: Khởi động dịch vụ đọc thẻ"),
        "{text}"
    );
    assert!(
        text.contains("→ To do: Start the smart-card service"),
        "{text}"
    );
}

#[test]
fn emulator_test_read() {
    let k = Kiosk::new("");
    let out = Command::new(BIN)
        .args([
            "--config",
            k.config.to_str().unwrap(),
            "doctor",
            "--json",
            "--with-emulator",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "emulator")
        .unwrap();
    assert_eq!(c["status"], "ok", "{c}");
}

#[test]
fn config_errors_name_the_key() {
    let k = Kiosk::new("idle_timout_secs = 30");
    let r = k.doctor(&[]);
    assert_eq!(r.code, 2);
    assert_eq!(r.json["error"]["field"], "idle_timout_secs");
    assert!(
        r.stderr
            .contains("kiosk.toml:5:1: idle_timout_secs: unknown key"),
        "{}",
        r.stderr
    );
    // A --config that does not exist is an error, not silent defaults.
    let r = run(&["--config", "/nonexistent/kiosk.toml", "doctor"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("/nonexistent/kiosk.toml"), "{}", r.stderr);
}
