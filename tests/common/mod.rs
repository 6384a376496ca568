//! Shared by the integration tests: a virtual card on the private pcscd that
//! `make test` starts (scripts/with-pcscd), and the `cccd-kiosk` binary run as a
//! user would run it.
#![allow(dead_code)]

use cccd_kiosk::card::emulator::profile::CitizenProfile;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// vpcd has one slot per port: one virtual card at a time per test binary.
static SLOT: Mutex<()> = Mutex::new(());

pub const BIN: &str = env!("CARGO_BIN_EXE_cccd-kiosk");
pub const READER: &str = "Virtual PCD 00 00";

/// The vpcd port of the private pcscd; these tests need it (run them with `make test`).
pub fn vpcd_port() -> u16 {
    std::env::var("CCCD_VPCD_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or_else(|| {
        panic!("CCCD_VPCD_PORT is not set: run these tests with `make test` (scripts/with-pcscd starts a private pcscd)")
    })
}

/// A software card inserted into the private pcscd's vpcd reader.
pub struct VirtualCard {
    child: Child,
    _slot: MutexGuard<'static, ()>,
    _dir: tempfile::TempDir,
    pub trust_dir: std::path::PathBuf,
}

impl VirtualCard {
    /// Insert a card personalised from `profile`; returns once pcscd sees it.
    pub fn insert(profile: &CitizenProfile) -> VirtualCard {
        let slot = SLOT.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.json");
        std::fs::write(&path, serde_json::to_string(profile).unwrap()).unwrap();
        let trust_dir = dir.path().join("trust");
        std::fs::create_dir(&trust_dir).unwrap();
        let child = Command::new(BIN)
            .args(["virtual-card", "--profile"])
            .arg(&path)
            .args([
                "--port",
                &vpcd_port().to_string(),
                "--insertions",
                "1",
                "--write-csca",
            ])
            .arg(&trust_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let card = VirtualCard {
            child,
            _slot: slot,
            _dir: dir,
            trust_dir,
        };
        wait_for_card(true);
        card
    }
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        wait_for_card(false);
    }
}

/// Hold the vpcd slot with no card in it.
pub fn empty_reader() -> MutexGuard<'static, ()> {
    let g = SLOT.lock().unwrap_or_else(|e| e.into_inner());
    wait_for_card(false);
    g
}

/// Poll `cccd-kiosk readers` until the virtual reader shows (or stops showing) a card.
pub fn wait_for_card(present: bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        let out = Command::new(BIN)
            .args(["readers", "--all", "--json"])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let shown = v["readers"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .any(|r| r["name"] == READER && r["card_present"] == true)
            })
            .unwrap_or(false);
        if shown == present {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "the virtual card did not {} within 10 s",
        if present { "appear" } else { "go away" }
    );
}

/// What one `cccd-kiosk` run gave.
pub struct Run {
    pub code: i32,
    pub json: Value,
    pub stdout: String,
    pub stderr: String,
}

/// Run `cccd-kiosk ARGS`, parse stdout as JSON when it is.
pub fn run(args: &[&str]) -> Run {
    let out = Command::new(BIN).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Run {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
