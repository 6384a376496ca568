//! `cccd-kiosk doctor`: what a technician runs first when a kiosk misbehaves, and what
//! the officer-mode diagnostics screen shows.
//!
//! Each check ends `ok`, `warn` or `fail`, and every `warn`/`fail` says what to do, in
//! Vietnamese (the commune staff's language) and English (the vendor's). The command
//! exits 0 when nothing failed, 1 otherwise, so a provisioning script can gate on it.
//!
//! Checks: configuration and kiosk identity; pcscd reachable; readers and cards (ATR,
//! vsmartcard's virtual readers ignored unless the config allows them, as the reader
//! monitor does); optionally a test read of the software chip in-process through the
//! whole pipeline (`card::read::read_card`: BAC, secure messaging, LDS, passive
//! authentication against the test CSCA); camera present and accessible; free space and
//! writability of the data directory; the queue database; the trust store (CSCA count,
//! validity; the test CSCA flagged, DESIGN.md "Trust store"); export key; officers; the
//! clock (before this program's build date, or a CSCA not yet valid: a kiosk with no
//! network often boots with a wrong clock, and a wrong clock makes valid certificates
//! look "not yet valid").
//!
//! The camera check also measures the frames per second the configured source delivers
//! ([`measure_camera`], through the same `FrameSource` the kiosk uses): an image file
//! always, a webcam in builds with the `camera` feature.

use crate::card::access_key::KeyPlan;
use crate::card::emulator::{personalise, pki, profile::CitizenProfile, InProcessCard};
use crate::card::passive_auth::{TrustStore, Verdict};
use crate::card::pcsc::{self, ReaderFilter};
use crate::card::read;
use crate::card::reader::ReadCaps;
use crate::config::{looks_like_age_recipient, CameraSource, ExportRecipient, Loaded};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Below this much free space in the data directory the kiosk warns: a day of records
/// with live photos is tens of megabytes, and the queue must never fill the disk.
pub const WARN_FREE_BYTES: u64 = 1 << 30;
/// Below this the kiosk cannot safely queue a day's records.
pub const FAIL_FREE_BYTES: u64 = 100 << 20;

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to do.
    Ok,
    /// The kiosk works, but something needs attention soon (low disk, no trust store).
    Warn,
    /// The kiosk cannot serve citizens until this is fixed.
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "[ OK ]",
            Status::Warn => "[WARN]",
            Status::Fail => "[FAIL]",
        }
    }
}

/// What to do about a warning or failure, in both languages of the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    /// For the commune staff.
    pub vi: String,
    /// For the vendor's technician.
    pub en: String,
}

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable name (`pcscd`, `readers`, `camera`, `disk`, …) for scripts and the UI.
    pub id: &'static str,
    pub status: Status,
    /// One line: what was found.
    pub summary: String,
    /// Further lines: readers and ATRs, certificates, paths.
    pub details: Vec<String>,
    /// What to do; present for every `warn` and `fail`.
    pub action: Option<Action>,
}

impl Check {
    fn ok(id: &'static str, summary: impl Into<String>) -> Check {
        Check {
            id,
            status: Status::Ok,
            summary: summary.into(),
            details: Vec::new(),
            action: None,
        }
    }

    fn bad(
        id: &'static str,
        status: Status,
        summary: impl Into<String>,
        vi: &str,
        en: &str,
    ) -> Check {
        Check {
            id,
            status,
            summary: summary.into(),
            details: Vec::new(),
            action: Some(Action {
                vi: vi.into(),
                en: en.into(),
            }),
        }
    }

    fn with_details(mut self, details: Vec<String>) -> Check {
        self.details = details;
        self
    }

    fn worst(mut self, other: Check) -> Check {
        if other.status > self.status {
            let mut details = std::mem::take(&mut self.details);
            details.extend(other.details.iter().cloned());
            return Check { details, ..other };
        }
        self
    }
}

/// What the checks look at besides the configuration; tests point these elsewhere.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The resolved data directory (`--data-dir` > config > default).
    pub data_dir: PathBuf,
    /// Where `video*` devices are looked for when the config names no camera (`/dev`).
    pub dev_dir: PathBuf,
    /// The clock being checked.
    pub now: DateTime<Utc>,
    /// When this program was built (from build.rs), if known.
    pub build_time: Option<DateTime<Utc>>,
    /// Run the in-process emulator read.
    pub with_emulator: bool,
    /// Accept virtual readers (config's `allow_virtual_readers` or `CCCD_ALLOW_VIRTUAL=1`).
    pub allow_virtual: bool,
}

/// This binary's build time (`CCCD_BUILD_EPOCH` set by build.rs), if it was known.
pub fn build_time() -> Option<DateTime<Utc>> {
    option_env!("CCCD_BUILD_EPOCH")
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| DateTime::from_timestamp(s, 0))
}

/// Every check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The kiosk checked (from the config), so a report sent to support says whose it is.
    pub kiosk_id: Option<String>,
    /// The config file read (None: defaults).
    pub config: Option<PathBuf>,
    /// In the order a technician fixes things: services, devices, storage, data.
    pub checks: Vec<Check>,
}

impl Report {
    /// True when no check failed (exit status 0).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// The check named `id`.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The JSON `doctor --json` prints.
    pub fn to_json(&self) -> Value {
        json!({
            "kiosk_id": self.kiosk_id,
            "config": self.config,
            "ok": self.passed(),
            "checks": self.checks,
        })
    }

    /// The text `doctor` prints for a technician at the console.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "cccd-kiosk doctor — kiosk {} — config {}\n",
            self.kiosk_id.as_deref().unwrap_or("(no kiosk_id)"),
            self.config
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(defaults)".into())
        );
        for c in &self.checks {
            out.push_str(&format!("{} {:<9} {}\n", c.status.label(), c.id, c.summary));
            for d in &c.details {
                out.push_str(&format!("                 {d}\n"));
            }
            if let Some(a) = &c.action {
                out.push_str(&format!("       → Cách xử lý: {}\n", a.vi));
                out.push_str(&format!("       → To do: {}\n", a.en));
            }
        }
        let count = |s| self.checks.iter().filter(|c| c.status == s).count();
        out.push_str(&format!(
            "{} fail, {} warn, {} ok\n",
            count(Status::Fail),
            count(Status::Warn),
            count(Status::Ok)
        ));
        out
    }
}

/// `cccd-kiosk doctor`: run the checks on this machine, print them, return the exit
/// status (0 when nothing failed, 1 otherwise).
pub fn cmd_doctor(
    loaded: &Loaded,
    data_dir_flag: Option<&Path>,
    with_emulator: bool,
    json_out: bool,
    allow_virtual: bool,
) -> i32 {
    let env = Environment {
        data_dir: loaded.config.data_dir(data_dir_flag),
        dev_dir: PathBuf::from("/dev"),
        now: Utc::now(),
        build_time: build_time(),
        with_emulator,
        allow_virtual,
    };
    let report = run(loaded, &env);
    for c in &report.checks {
        tracing::debug!(check = c.id, status = ?c.status, "doctor: {}", c.summary);
    }
    if json_out {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    if report.passed() {
        0
    } else {
        1
    }
}

/// Run every check.
pub fn run(loaded: &Loaded, env: &Environment) -> Report {
    let cfg = &loaded.config;
    let trust = load_trust(loaded);
    let mut checks = vec![check_identity(loaded)];
    let (pcscd, readers) = check_pcsc(cfg.reader.as_deref(), env.allow_virtual);
    checks.push(pcscd);
    checks.push(readers);
    if env.with_emulator {
        checks.push(check_emulator(env.now));
    }
    checks.push(measure_camera(
        cfg.camera.as_ref(),
        &env.dev_dir,
        check_camera(cfg.camera.as_ref(), &env.dev_dir),
    ));
    checks.push(check_disk(&env.data_dir));
    checks.push(check_database(&env.data_dir));
    checks.push(check_trust(&trust, env.now, env.allow_virtual));
    checks.push(check_export(cfg.export_recipient.as_ref()));
    checks.push(check_officers(loaded));
    checks.push(check_clock(env.now, env.build_time, &trust));
    Report {
        kiosk_id: cfg.kiosk_id.clone(),
        config: loaded.path.clone(),
        checks,
    }
}

/// The trust store as the kiosk would load it, with where it came from.
pub struct TrustState {
    /// The directory read.
    pub dir: PathBuf,
    /// The store, None when the directory is absent (allowed for the default one), or why
    /// it did not load.
    pub store: Result<Option<TrustStore>, String>,
    /// True when the config named the directory (then it must exist).
    pub named: bool,
}

/// Load the trust store the config points to, as `read` would.
pub fn load_trust(loaded: &Loaded) -> TrustState {
    let (dir, named) = loaded.config.trust_dir();
    let store = if !named && !dir.exists() {
        Ok(None)
    } else {
        TrustStore::load_dir(&dir)
            .map(Some)
            .map_err(|e| e.to_string())
    };
    TrustState { dir, store, named }
}

/// Configuration file and kiosk identity.
pub fn check_identity(loaded: &Loaded) -> Check {
    let cfg = &loaded.config;
    let source = match &loaded.path {
        Some(p) => format!("config {}", p.display()),
        None => format!("no {}: defaults", crate::config::DEFAULT_CONFIG_PATH),
    };
    match (&cfg.kiosk_id, &cfg.unit) {
        (Some(id), Some(unit)) => Check::ok("config", format!("{source}; kiosk {id}, unit {unit}")),
        _ => Check::bad(
            "config",
            Status::Warn,
            format!("{source}; kiosk_id or unit not set"),
            "Ghi kiosk_id và unit (mã đơn vị hành chính) vào /etc/cccd-kiosk/kiosk.toml: mọi hồ sơ đều mang hai mã này.",
            "Set kiosk_id and unit (administrative unit code) in /etc/cccd-kiosk/kiosk.toml: every record carries them.",
        ),
    }
}

/// pcscd reachable, and the readers the kiosk may use (with card presence and ATR).
pub fn check_pcsc(name_filter: Option<&str>, allow_virtual: bool) -> (Check, Check) {
    let readers = match pcsc::list_readers() {
        Ok(r) => r,
        Err(e) => {
            let pcscd = Check::bad(
                "pcscd",
                Status::Fail,
                format!("pcscd not reachable: {e}"),
                "Khởi động dịch vụ đọc thẻ: `sudo systemctl restart pcscd.socket pcscd`; nếu chưa cài: `sudo apt install pcscd libccid`.",
                "Start the smart-card service: `sudo systemctl restart pcscd.socket pcscd`; if missing: `sudo apt install pcscd libccid`.",
            );
            let readers = Check::bad(
                "readers",
                Status::Fail,
                "readers not listed (pcscd not reachable)",
                "Sửa lỗi pcscd ở trên trước.",
                "Fix pcscd (above) first.",
            );
            return (pcscd, readers);
        }
    };
    let pcscd = Check::ok(
        "pcscd",
        format!("reachable, {} reader(s) known", readers.len()),
    );
    let filter = ReaderFilter {
        name_contains: name_filter.map(str::to_string),
        allow_virtual,
    };
    let mut details = Vec::new();
    let mut usable = 0;
    let mut with_card = 0;
    for r in &readers {
        let used = filter.accepts(&r.name);
        usable += usize::from(used);
        with_card += usize::from(used && r.card_present);
        let card = match (&r.atr, r.card_present) {
            (Some(atr), _) => format!("card present, ATR {atr}"),
            (None, true) => "card present".to_string(),
            (None, false) => "no card".to_string(),
        };
        let note = if used {
            ""
        } else if r.virtual_reader {
            " (virtual: ignored)"
        } else {
            " (not matching the config's reader filter: ignored)"
        };
        details.push(format!("{}: {card}{note}", r.name));
    }
    let readers_check = if usable == 0 {
        let why = match name_filter {
            Some(f) => format!("no reader matching \"{f}\""),
            None => "no smart-card reader".into(),
        };
        Check::bad(
            "readers",
            Status::Fail,
            why,
            "Cắm đầu đọc thẻ (cổng USB khác nếu cần), chờ 5 giây rồi chạy lại; kiểm tra bộ lọc `reader` trong kiosk.toml.",
            "Plug the card reader in (try another USB port), wait 5 s and run again; check the `reader` filter in kiosk.toml.",
        )
    } else {
        Check::ok(
            "readers",
            format!("{usable} usable reader(s), {with_card} with a card"),
        )
    };
    (pcscd, readers_check.with_details(details))
}

/// Read the built-in demo citizen's software chip in-process through the whole
/// pipeline, verified against the test CSCA: proves the binary's card logic works on
/// this machine independent of reader hardware.
pub fn check_emulator(now: DateTime<Utc>) -> Check {
    let fail = |what: String| {
        Check::bad(
            "emulator",
            Status::Fail,
            format!("test read of the software card failed: {what}"),
            "Cài lại gói cccd-kiosk; nếu vẫn lỗi, gửi kết quả `cccd-kiosk doctor --json` cho bộ phận kỹ thuật.",
            "Reinstall the cccd-kiosk package; if it persists, send `cccd-kiosk doctor --json` to support.",
        )
    };
    let profile = CitizenProfile::demo();
    let chip = match personalise::chip(&profile, None) {
        Ok(c) => c,
        Err(e) => return fail(e.to_string()),
    };
    let plan = match personalise::mrz_of(&profile)
        .map_err(|e| e.to_string())
        .and_then(|m| {
            KeyPlan::from_mrz(&m.lines.concat(), now.date_naive()).map_err(|e| e.to_string())
        }) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let trust = match pki::test_pki()
        .map_err(|e| e.to_string())
        .and_then(|p| p.csca_certificate().map_err(|e| e.to_string()))
        .and_then(|c| TrustStore::from_certs(vec![c]).map_err(|e| e.to_string()))
    {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    match read::read_card(
        InProcessCard { chip },
        &plan,
        ReadCaps::default(),
        &trust,
        now,
        &mut |_| {},
    ) {
        Ok(r) if r.verification.verdict == Verdict::Genuine => Check::ok(
            "emulator",
            format!(
                "software card read and verified in {} ms ({} APDUs, {} bytes)",
                r.millis, r.apdus, r.bytes_read
            ),
        ),
        Ok(r) => fail(format!(
            "verdict {:?}: {:?}",
            r.verification.verdict, r.verification.errors
        )),
        Err(e) => fail(e.to_string()),
    }
}

/// The camera the config names, or any `video*` device under `dev_dir`.
pub fn check_camera(camera: Option<&CameraSource>, dev_dir: &Path) -> Check {
    let missing = |what: String| {
        Check::bad(
            "camera",
            Status::Fail,
            what,
            "Cắm webcam (cổng USB khác nếu cần) rồi chạy lại; kiểm tra `camera` trong kiosk.toml (ví dụ \"/dev/video0\").",
            "Plug the webcam in (try another USB port) and run again; check `camera` in kiosk.toml (e.g. \"/dev/video0\").",
        )
    };
    let device = match camera {
        Some(CameraSource::File(p)) => {
            return match std::fs::metadata(p) {
                Ok(m) if m.is_file() => Check::bad(
                    "camera",
                    Status::Warn,
                    format!("camera is an image file {} (demo only)", p.display()),
                    "Chỉ dùng cho trình diễn: đặt `camera = \"/dev/video0\"` trên máy phục vụ người dân.",
                    "For demonstrations only: set `camera = \"/dev/video0\"` on a kiosk serving citizens.",
                ),
                _ => missing(format!("camera image file {} not found", p.display())),
            };
        }
        Some(CameraSource::Device(p)) => p.clone(),
        Some(CameraSource::Name(name)) => {
            let devices = crate::camera::v4l2_devices(Path::new("/sys/class/video4linux"));
            match crate::camera::match_webcam(&devices, name).first() {
                Some(n) => dev_dir.join(format!("video{n}")),
                None => {
                    let seen: Vec<&str> = devices.iter().map(|(_, n)| n.as_str()).collect();
                    return missing(format!(
                        "no camera named like \"{name}\" (connected: {})",
                        if seen.is_empty() {
                            "none".into()
                        } else {
                            seen.join(", ")
                        }
                    ));
                }
            }
        }
        None => {
            let mut found: Vec<PathBuf> = std::fs::read_dir(dev_dir)
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| {
                            p.file_name()
                                .and_then(|n| n.to_str())
                                .is_some_and(|n| n.starts_with("video"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            match found.into_iter().next() {
                Some(p) => p,
                None => {
                    return missing(format!(
                        "no camera: no video device in {}",
                        dev_dir.display()
                    ))
                }
            }
        }
    };
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(&device) {
        Err(_) => missing(format!("camera {} not found", device.display())),
        Ok(m) if !m.file_type().is_char_device() => {
            missing(format!("{} is not a camera device", device.display()))
        }
        Ok(_) => match rustix::fs::access(&device, rustix::fs::Access::READ_OK | rustix::fs::Access::WRITE_OK) {
            Ok(()) => Check::ok("camera", format!("camera {}", device.display())),
            Err(e) => Check::bad(
                "camera",
                Status::Fail,
                format!("camera {} not accessible to this user: {e}", device.display()),
                "Thêm người dùng kiosk vào nhóm video (`sudo usermod -aG video cccd-kiosk`) hoặc cài lại gói để có quy tắc udev, rồi khởi động lại.",
                "Add the kiosk user to the video group (`sudo usermod -aG video cccd-kiosk`) or reinstall the package for its udev rules, then reboot.",
            ),
        },
    }
}

/// Below this many frames per second the photo step's checks and countdown stutter.
pub const MIN_CAMERA_FPS: f64 = 10.0;

/// Add the measured frame rate to a camera check that did not fail: an image file is
/// read as the kiosk reads it; a `/dev/videoN` webcam is opened through nokhwa in
/// builds with the `camera` feature (without it the detail says so).
pub fn measure_camera(camera: Option<&CameraSource>, dev_dir: &Path, check: Check) -> Check {
    use crate::camera::FrameSource;
    if check.status == Status::Fail {
        return check;
    }
    let device = |p: &Path| -> Result<Box<dyn FrameSource>, String> {
        let index = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("video"))
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or_else(|| format!("{} is not a /dev/videoN device", p.display()))?;
        #[cfg(feature = "camera")]
        {
            Ok(Box::new(crate::camera::nokhwa_source::NokhwaSource::new(
                index,
            )))
        }
        #[cfg(not(feature = "camera"))]
        {
            let _ = index;
            Err("this build has no webcam support (feature `camera`)".into())
        }
    };
    let source: Result<Box<dyn FrameSource>, String> = match camera {
        Some(CameraSource::File(p)) => crate::camera::file::FileSource::open(p)
            .map(|s| Box::new(s) as Box<dyn FrameSource>)
            .map_err(|e| e.to_string()),
        Some(CameraSource::Device(p)) => device(p),
        #[cfg(feature = "camera")]
        Some(CameraSource::Name(n)) => Ok(Box::new(
            crate::camera::nokhwa_source::NokhwaSource::select(crate::camera::Webcam::Name(
                n.clone(),
            )),
        )),
        #[cfg(not(feature = "camera"))]
        Some(CameraSource::Name(_)) => {
            Err("this build has no webcam support (feature `camera`)".into())
        }
        None => {
            let mut found: Vec<PathBuf> = std::fs::read_dir(dev_dir)
                .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            found.retain(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("video"))
            });
            found.sort();
            match found.first() {
                Some(p) => device(p),
                None => Err("no video device".into()),
            }
        }
    };
    let fps = source.and_then(|mut s| {
        crate::camera::measure_fps(&mut *s, 30, std::time::Duration::from_secs(3))
            .map_err(|e| e.to_string())
    });
    let mut details = check.details.clone();
    match fps {
        Ok(f) if f < MIN_CAMERA_FPS => check.worst(
                Check::bad(
                    "camera",
                    Status::Warn,
                    format!("camera delivers only {f:.1} frames/s"),
                    "Camera quá chậm: cắm vào cổng USB khác (USB 3 nếu có), tắt chương trình khác đang dùng camera, hoặc thay camera.",
                    "The camera is too slow: plug it into another USB port (USB 3 if any), close other programs using it, or replace it.",
                )
                .with_details(vec![format!("{f:.1} frames/s")]),
        ),
        Ok(f) => {
            details.push(format!("{f:.1} frames/s"));
            check.with_details(details)
        }
        Err(e) => {
            details.push(format!("frame rate not measured: {e}"));
            check.with_details(details)
        }
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// Free space and writability of the data directory; its permissions (personal data:
/// owner only).
pub fn check_disk(data_dir: &Path) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::metadata(data_dir) {
        Ok(m) if m.is_dir() => m,
        _ => {
            return Check::bad(
                "disk",
                Status::Fail,
                format!("data directory {} does not exist", data_dir.display()),
                "Tạo thư mục dữ liệu: `sudo install -d -m 0700 -o cccd-kiosk -g cccd-kiosk /var/lib/cccd-kiosk` (hoặc cài lại gói).",
                "Create the data directory: `sudo install -d -m 0700 -o cccd-kiosk -g cccd-kiosk /var/lib/cccd-kiosk` (or reinstall the package).",
            )
        }
    };
    let free = rustix::fs::statvfs(data_dir)
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
        .ok();
    let details = vec![format!(
        "{}: {} free",
        data_dir.display(),
        free.map(gib).unwrap_or_else(|| "?".into())
    )];
    let write = probe_write(data_dir);
    let full = Check::bad(
        "disk",
        Status::Fail,
        "",
        "Ổ đĩa gần đầy: xuất dữ liệu cuối ngày (`cccd-kiosk queue export`) và chuyển đi, xóa tệp không cần thiết; không xóa hàng đợi chưa xuất.",
        "Disk nearly full: export the day's records (`cccd-kiosk queue export`) and move them off, remove unneeded files; never delete the unexported queue.",
    );
    let check = match (write, free) {
        (Err(e), _) if e.kind() == std::io::ErrorKind::StorageFull => Check {
            summary: format!("data directory {} is full: {e}", data_dir.display()),
            ..full
        },
        (Err(e), _) => Check::bad(
            "disk",
            Status::Fail,
            format!("cannot write in {}: {e}", data_dir.display()),
            "Kiểm tra ổ đĩa (chỉ đọc?) và quyền: `sudo chown -R cccd-kiosk: /var/lib/cccd-kiosk`; nếu ổ đĩa báo lỗi, thay ổ và báo kỹ thuật.",
            "Check the disk (read-only?) and ownership: `sudo chown -R cccd-kiosk: /var/lib/cccd-kiosk`; if the disk reports errors, replace it and tell support.",
        ),
        (Ok(()), Some(f)) if f < FAIL_FREE_BYTES => Check {
            summary: format!("only {} free in {}", gib(f), data_dir.display()),
            ..full
        },
        (Ok(()), Some(f)) if f < WARN_FREE_BYTES => Check {
            status: Status::Warn,
            summary: format!("{} free in {} (under 1 GiB)", gib(f), data_dir.display()),
            ..full
        },
        (Ok(()), _) => Check::ok("disk", format!("data directory writable, {} free", free.map(gib).unwrap_or_else(|| "?".into()))),
    };
    let mode = meta.permissions().mode() & 0o777;
    let check = if mode & 0o077 != 0 {
        check.worst(Check::bad(
            "disk",
            Status::Warn,
            format!("data directory is readable by others (mode {mode:o})"),
            "Dữ liệu cá nhân: `sudo chmod 0700 /var/lib/cccd-kiosk`.",
            "Personal data: `sudo chmod 0700 /var/lib/cccd-kiosk`.",
        ))
    } else {
        check
    };
    check.with_details(details)
}

/// Write and sync 64 KiB, then remove it: proves the directory takes a record.
fn probe_write(dir: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let path = dir.join(format!(".doctor-probe-{}", std::process::id()));
    let result = std::fs::File::create(&path).and_then(|mut f| {
        f.write_all(&[0u8; 64 * 1024])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&path);
    result
}

/// The queue database: integrity and how many records wait for export; a `*.corrupt-*`
/// file left by the queue's corruption handling is a warning (records there were never
/// exported).
pub fn check_database(data_dir: &Path) -> Check {
    let mut corrupt = Vec::new();
    if let Ok(rd) = std::fs::read_dir(data_dir) {
        for e in rd.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.contains(".corrupt-") {
                corrupt.push(name);
            }
        }
    }
    corrupt.sort();
    if !corrupt.is_empty() {
        return Check::bad(
            "database",
            Status::Warn,
            format!("{} damaged database file(s) kept aside", corrupt.len()),
            "Không xóa: chép các tệp *.corrupt-* ra USB và gửi bộ phận kỹ thuật để khôi phục hồ sơ chưa xuất.",
            "Do not delete: copy the *.corrupt-* files to USB and send them to support to recover unexported records.",
        )
        .with_details(corrupt);
    }
    let db = data_dir.join(crate::queue::store::DB_FILE);
    if !db.exists() {
        return Check::ok(
            "database",
            "no queue database yet (created with the first record)",
        );
    }
    match queue_health(&db) {
        Ok((queued, total)) => Check::ok(
            "database",
            format!("integrity ok; {total} records, {queued} not yet exported"),
        ),
        Err(e) => Check::bad(
            "database",
            Status::Fail,
            format!("queue database: {e}"),
            "Không xóa tệp: tắt kiosk, chép thư mục dữ liệu ra USB và gọi bộ phận kỹ thuật.",
            "Do not delete anything: stop the kiosk, copy the data directory to USB and call support.",
        ),
    }
}

/// `PRAGMA integrity_check` and record counts, read-only: the doctor never migrates,
/// creates a key or writes to the queue it inspects.
fn queue_health(db: &Path) -> Result<(i64, i64), rusqlite::Error> {
    use rusqlite::{Connection, OpenFlags};
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(verdict),
        ));
    }
    let total: i64 = conn.query_row("SELECT count(*) FROM records", [], |r| r.get(0))?;
    let queued: i64 = conn.query_row(
        "SELECT count(*) FROM records WHERE status = 'queued'",
        [],
        |r| r.get(0),
    )?;
    Ok((queued, total))
}

fn cert_time(t: &x509_cert::time::Time) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).ok()?;
    DateTime::from_timestamp(secs, 0)
}

/// The trust store: CSCA count and validity; the test CSCA is a failure on a kiosk
/// serving citizens (it would make the emulator's cards "genuine"), a warning on a demo
/// kiosk.
pub fn check_trust(trust: &TrustState, now: DateTime<Utc>, demo: bool) -> Check {
    let dir = trust.dir.display();
    let store = match &trust.store {
        Err(e) => {
            return Check::bad(
                "trust",
                Status::Fail,
                format!("trust store not loaded: {e}"),
                "Chép lại chứng thư CSCA / danh sách master list (.cer .crt .der .pem .ml) từ USB của cấp trên vào thư mục trust_dir; xóa tệp hỏng.",
                "Copy the CSCA certificates / master lists (.cer .crt .der .pem .ml) from the provincial USB into trust_dir again; remove the damaged file.",
            )
        }
        Ok(None) => {
            return Check::bad(
                "trust",
                Status::Warn,
                format!("no trust store ({dir} absent): every card reads as \"untrusted\""),
                "Chép chứng thư CSCA / master list được cấp vào /etc/cccd-kiosk/trust rồi chạy lại.",
                "Copy the provisioned CSCA certificates / master lists into /etc/cccd-kiosk/trust and run again.",
            )
        }
        Ok(Some(s)) => s,
    };
    let mut details = Vec::new();
    let mut check = Check::ok(
        "trust",
        format!("{} CSCA certificate(s) in {dir}", store.len()),
    );
    if store.is_empty() {
        check = Check::bad(
            "trust",
            Status::Warn,
            format!("{dir} holds no CSCA: every card reads as \"untrusted\""),
            "Chép chứng thư CSCA / master list được cấp vào thư mục này rồi chạy lại.",
            "Copy the provisioned CSCA certificates / master lists into this directory and run again.",
        );
    }
    for cert in store.certificates() {
        let tbs = &cert.tbs_certificate;
        let from = cert_time(&tbs.validity.not_before);
        let to = cert_time(&tbs.validity.not_after);
        let day = |d: Option<DateTime<Utc>>| {
            d.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        details.push(format!(
            "{} (valid {} to {})",
            tbs.subject,
            day(from),
            day(to)
        ));
        if pki::is_test_certificate(cert) {
            check = check.worst(Check::bad(
                "trust",
                if demo { Status::Warn } else { Status::Fail },
                "the TEST CSCA (NOT FOR PRODUCTION) is trusted",
                "Xóa chứng thư thử nghiệm cccd-kiosk-test-csca khỏi thư mục trust: nó làm thẻ giả lập được coi là thật.",
                "Remove the cccd-kiosk test CSCA from the trust directory: it makes emulated cards pass as genuine.",
            ));
        } else if to.is_some_and(|t| t < now) {
            check = check.worst(Check::bad(
                "trust",
                Status::Warn,
                "a CSCA certificate has expired",
                "Thẻ đã cấp vẫn đọc được; xin bộ chứng thư CSCA mới từ cấp trên.",
                "Cards already issued still verify; ask the province for the current CSCA set.",
            ));
        }
    }
    details.extend(store.warnings().iter().cloned());
    check.with_details(details)
}

/// The export key: bundles cannot leave the kiosk without it.
pub fn check_export(recipient: Option<&ExportRecipient>) -> Check {
    let missing = |what: String| {
        Check::bad(
            "export",
            Status::Fail,
            what,
            "Chép khóa công khai của tỉnh (age1…) vào tệp đã khai báo, hoặc ghi trực tiếp vào `export_recipient`.",
            "Copy the province's public key (age1…) to the configured file, or write it into `export_recipient`.",
        )
    };
    match recipient {
        None => Check::bad(
            "export",
            Status::Warn,
            "no export_recipient: end-of-day bundles cannot be encrypted",
            "Ghi khóa công khai của tỉnh vào `export_recipient` trong kiosk.toml.",
            "Set the province's public key as `export_recipient` in kiosk.toml.",
        ),
        Some(ExportRecipient::Key(k)) => Check::ok(
            "export",
            format!("export key {}…", k.get(..12).unwrap_or(k)),
        ),
        Some(ExportRecipient::File(p)) => match std::fs::read_to_string(p) {
            Err(e) => missing(format!("export key file {}: {e}", p.display())),
            Ok(t) => {
                let key = t
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && !l.starts_with('#'))
                    .unwrap_or("");
                if looks_like_age_recipient(key) {
                    Check::ok("export", format!("export key from {}", p.display()))
                } else {
                    missing(format!("{} holds no age public key (age1…)", p.display()))
                }
            }
        },
    }
}

/// At least one officer can open officer mode.
pub fn check_officers(loaded: &Loaded) -> Check {
    match loaded.config.officers.len() {
        0 => Check::bad(
            "officers",
            Status::Warn,
            "no officer configured: officer mode cannot be opened",
            "Thêm mục [[officer]] với pin_hash tạo bằng `cccd-kiosk config hash-pin`.",
            "Add an [[officer]] entry with a pin_hash made by `cccd-kiosk config hash-pin`.",
        ),
        n => Check::ok("officers", format!("{n} officer(s)")),
    }
}

/// The clock: not before this program's build date, no trusted CSCA not yet valid.
pub fn check_clock(now: DateTime<Utc>, built: Option<DateTime<Utc>>, trust: &TrustState) -> Check {
    let wrong = |what: String| {
        Check::bad(
            "clock",
            Status::Warn,
            what,
            "Đặt lại ngày giờ: `sudo timedatectl set-time 'YYYY-MM-DD HH:MM'` (hoặc kết nối mạng để đồng bộ); thay pin CMOS nếu lần nào khởi động cũng sai.",
            "Set the date and time: `sudo timedatectl set-time 'YYYY-MM-DD HH:MM'` (or connect to a network to sync); replace the CMOS battery if it is wrong at every boot.",
        )
    };
    let shown = now.format("%Y-%m-%d %H:%M UTC");
    if let Some(b) = built {
        if now < b {
            return wrong(format!(
                "clock says {shown}, before this program was built ({})",
                b.format("%Y-%m-%d")
            ));
        }
    }
    if let Ok(Some(store)) = &trust.store {
        for cert in store.certificates() {
            let from = cert_time(&cert.tbs_certificate.validity.not_before);
            if let Some(f) = from.filter(|f| now < *f) {
                return wrong(format!(
                    "clock says {shown}, but CSCA {} is valid only from {}",
                    cert.tbs_certificate.subject,
                    f.format("%Y-%m-%d")
                ));
            }
        }
    }
    let mut c = Check::ok("clock", format!("clock says {shown}"));
    if built.is_none() {
        c.details
            .push("build date unknown: only the trust store was compared".into());
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use chrono::TimeZone;

    fn loaded(text: &str) -> Loaded {
        Loaded {
            config: Config::parse(text, "kiosk.toml").unwrap(),
            path: Some(PathBuf::from("/tmp/kiosk.toml")),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap()
    }

    fn trust_of(dir: &Path) -> TrustState {
        let l = loaded(&format!("trust_dir = \"{}\"", dir.display()));
        load_trust(&l)
    }

    #[test]
    fn emulator_read_through_the_pipeline_is_genuine() {
        let c = check_emulator(Utc::now());
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(c.summary.contains("APDUs"));
    }

    #[test]
    fn camera_missing_device_file_and_none() {
        let dir = tempfile::tempdir().unwrap();
        let c = check_camera(None, dir.path());
        assert_eq!(c.status, Status::Fail);
        assert!(c.summary.contains("no camera"), "{}", c.summary);
        assert!(c.action.as_ref().unwrap().vi.contains("webcam"));
        let c = check_camera(
            Some(&CameraSource::Device("/dev/video-none".into())),
            dir.path(),
        );
        assert_eq!(c.status, Status::Fail);
        // A name no connected camera has (this machine lists none in sysfs, or others).
        let c = check_camera(
            Some(&CameraSource::Name("No Such Webcam 9000".into())),
            dir.path(),
        );
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.summary
                .contains("no camera named like \"No Such Webcam 9000\""),
            "{}",
            c.summary
        );
        // A regular file where a device should be is not a camera.
        let fake = dir.path().join("video0");
        std::fs::write(&fake, b"").unwrap();
        let c = check_camera(None, dir.path());
        assert_eq!(c.status, Status::Fail);
        assert!(c.summary.contains("not a camera device"), "{}", c.summary);
        // A character device is accepted (/dev/null stands in: root can open it).
        let c = check_camera(Some(&CameraSource::Device("/dev/null".into())), dir.path());
        assert_eq!(c.status, Status::Ok, "{c:?}");
        // An image file is a demo camera.
        let img = dir.path().join("face.jpg");
        std::fs::write(&img, b"\xff\xd8").unwrap();
        assert_eq!(
            check_camera(Some(&CameraSource::File(img)), dir.path()).status,
            Status::Warn
        );
        let c = check_camera(
            Some(&CameraSource::File(dir.path().join("gone.jpg"))),
            dir.path(),
        );
        assert_eq!(c.status, Status::Fail);
    }

    #[test]
    fn an_image_file_camera_reports_its_frame_rate() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("face.png");
        image::RgbImage::new(64, 48).save(&img).unwrap();
        let cam = CameraSource::File(img);
        let c = measure_camera(Some(&cam), dir.path(), check_camera(Some(&cam), dir.path()));
        assert!(
            c.details.iter().any(|d| d.ends_with("frames/s")),
            "{:?}",
            c.details
        );
    }

    #[test]
    fn disk_missing_dir_and_loose_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let c = check_disk(&dir.path().join("absent"));
        assert_eq!(c.status, Status::Fail);
        assert!(c.summary.contains("does not exist"));
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
        let c = check_disk(&data);
        assert_ne!(c.status, Status::Fail, "{c:?}");
        assert!(c.details[0].contains("free"));
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let c2 = check_disk(&data);
        assert!(c2.status >= Status::Warn);
        // The probe file does not stay behind.
        assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);
    }

    #[test]
    fn database_integrity_queue_size_and_corrupt_leftovers() {
        use crate::queue::record::{synthetic_jpeg, NewActivation};
        let dir = tempfile::tempdir().unwrap();
        let c = check_database(dir.path());
        assert_eq!(c.status, Status::Ok);
        assert!(c.summary.contains("no queue database"));
        {
            let mut store = crate::queue::store::Store::open(dir.path()).unwrap();
            for n in 0..2 {
                store
                    .append(&NewActivation::synthetic(n, synthetic_jpeg(n.into(), 32)))
                    .unwrap();
            }
        }
        let c = check_database(dir.path());
        assert_eq!(c.status, Status::Ok, "{}", c.summary);
        assert!(
            c.summary.contains("2 records, 2 not yet exported"),
            "{}",
            c.summary
        );

        let broken = tempfile::tempdir().unwrap();
        std::fs::write(
            broken.path().join(crate::queue::store::DB_FILE),
            vec![0x42; 8192],
        )
        .unwrap();
        assert_eq!(check_database(broken.path()).status, Status::Fail);

        std::fs::write(dir.path().join("queue.sqlite3.corrupt-20260501T0800"), b"").unwrap();
        assert_eq!(check_database(dir.path()).status, Status::Warn);
    }

    #[test]
    fn test_csca_is_flagged() {
        let dir = tempfile::tempdir().unwrap();
        pki::write_csca(dir.path()).unwrap();
        let t = trust_of(dir.path());
        let c = check_trust(&t, Utc::now(), false);
        assert_eq!(c.status, Status::Fail, "{c:?}");
        assert!(c.summary.contains("TEST CSCA"));
        assert!(c
            .details
            .iter()
            .any(|d| d.contains("NOT FOR PRODUCTION") && d.contains("valid")));
        // On a demo kiosk it is expected, still shown.
        assert_eq!(check_trust(&t, Utc::now(), true).status, Status::Warn);
    }

    #[test]
    fn trust_store_absent_empty_or_broken() {
        let dir = tempfile::tempdir().unwrap();
        let t = trust_of(dir.path());
        let c = check_trust(&t, now(), false);
        assert_eq!(c.status, Status::Warn);
        assert!(c.summary.contains("no CSCA"));
        std::fs::write(dir.path().join("bad.cer"), b"not a certificate").unwrap();
        let c = check_trust(&trust_of(dir.path()), now(), false);
        assert_eq!(c.status, Status::Fail);
        assert!(c.summary.contains("bad.cer"), "{}", c.summary);
        let named_missing = trust_of(&dir.path().join("nope"));
        assert_eq!(
            check_trust(&named_missing, now(), false).status,
            Status::Fail
        );
    }

    #[test]
    fn clock_before_build_or_before_csca() {
        let dir = tempfile::tempdir().unwrap();
        let empty = trust_of(dir.path());
        let built = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let c = check_clock(
            Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap(),
            Some(built),
            &empty,
        );
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.summary
                .contains("before this program was built (2026-03-01)"),
            "{}",
            c.summary
        );
        assert_eq!(check_clock(now(), Some(built), &empty).status, Status::Ok);
        // A clock years in the past makes the CSCA "not yet valid".
        pki::write_csca(dir.path()).unwrap();
        let t = trust_of(dir.path());
        let c = check_clock(Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap(), None, &t);
        assert_eq!(c.status, Status::Warn, "{c:?}");
        assert!(c.summary.contains("valid only from"), "{}", c.summary);
    }

    #[test]
    fn export_key_checks() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check_export(None).status, Status::Warn);
        let f = dir.path().join("province.pub");
        let c = check_export(Some(&ExportRecipient::File(f.clone())));
        assert_eq!(c.status, Status::Fail);
        std::fs::write(
            &f,
            "# Ha Noi\nage1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n",
        )
        .unwrap();
        assert_eq!(
            check_export(Some(&ExportRecipient::File(f))).status,
            Status::Ok
        );
    }

    #[test]
    fn every_warning_and_failure_says_what_to_do_in_both_languages() {
        let dir = tempfile::tempdir().unwrap();
        let l = loaded(&format!("trust_dir = \"{}\"", dir.path().display()));
        let env = Environment {
            data_dir: dir.path().join("absent"),
            dev_dir: dir.path().to_path_buf(),
            now: now(),
            build_time: None,
            with_emulator: false,
            allow_virtual: false,
        };
        let r = run(&l, &env);
        assert!(!r.passed());
        for c in &r.checks {
            if c.status != Status::Ok {
                let a = c.action.as_ref().unwrap();
                assert!(!a.vi.is_empty() && !a.en.is_empty(), "{}", c.id);
            }
        }
        let text = r.to_text();
        assert!(text.contains("[FAIL] camera"), "{text}");
        assert!(text.contains("Cách xử lý"));
        assert_eq!(r.to_json()["ok"], false);
    }
}
