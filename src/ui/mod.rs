//! The kiosk screen: an eframe app whose screens are states of one machine
//! ([`flow`]), drawn by one file each ([`screens`]), with card reads and the
//! camera on worker threads ([`cards`], [`crate::camera::worker`]), and the record
//! sink, the officer PIN check (Argon2) and the diagnostics too, reporting through
//! channels, so the UI thread never blocks.
//!
//! Decisions:
//! - Vietnamese first, English second ([`i18n`], strings in `assets/i18n/`).
//! - Noto Sans is compiled in ([`theme`]): egui's default fonts lack Vietnamese.
//! - Consent comes before the chip is read (DESIGN.md "Flow and consent"); nothing
//!   reaches the [`sink::RecordSink`] before the Phone step; every way out of the
//!   flow drops the session, whose fields wipe themselves (zeroize).
//! - Touch only: targets ≥ 56 px, no hover, no keyboard; keypads on screen (digits,
//!   MRZ, Vietnamese names with tone keys, e-mail).
//! - Officers come from `kiosk.toml` (Argon2 PIN hashes): the PIN says who the
//!   officer is, and that id goes on the record; repeated wrong PINs lock officer
//!   mode for a while ([`flow::PinPolicy`]). Citizens aged 14–15 need the guardian
//!   recorded; younger ones are refused ([`flow::MIN_AGE`]).
//! - Card applications (issue 9) are their own states (`Apply*`) after the same
//!   consent step, with its own text ([`flow::APPLY_CONSENT_VERSION`]); they need
//!   `[appointments]` in `kiosk.toml` (else Welcome says so). The desk stores on a
//!   worker thread; a chip read for activation that shows a card due for renewal
//!   offers the booking on Done, prefilled from the chip, in the same visit.
//! - `run` with `demo_tour` walks every screen with the emulated card and the
//!   synthetic camera and saves a PNG of each ([`tour`]).

pub mod app;
pub mod cards;
pub mod flow;
pub mod i18n;
pub mod lockout;
pub mod phone;
pub mod screens;
pub mod sink;
pub mod theme;
pub mod tour;
mod tour_data;
pub mod widgets;

pub use app::KioskApp;

use crate::camera::{file::FileSource, synthetic::SyntheticSource, CameraError, FrameSource};
use crate::card::passive_auth::TrustStore;
use crate::card::pcsc::ReaderFilter;
use std::path::PathBuf;
use std::time::Duration;
use thiserror::Error;

/// Timers and switches of the kiosk.
#[derive(Debug, Clone)]
pub struct Config {
    /// No touch for this long on any screen → wipe, back to Welcome.
    pub idle_timeout: Duration,
    /// How long the Done screen stays.
    pub done_timeout: Duration,
    /// Photo countdown once every check passes.
    pub countdown: Duration,
    /// Officers from `kiosk.toml` (`[[officer]]`, Argon2 PIN hashes): a PIN opens
    /// officer mode as the officer whose hash it matches, and that officer's id goes
    /// on every record.
    pub officers: Vec<crate::config::Officer>,
    /// Fallback PIN (`--officer-pin`, `$CCCD_OFFICER_PIN`) for a kiosk whose config
    /// names no officer; the officer then types their id. Empty: no fallback.
    /// Ignored when `officers` is not empty (a configured kiosk has no shared PIN).
    pub officer_pin: String,
    /// Wrong PINs in a row before officer mode locks.
    pub pin_attempts: u32,
    /// How long officer mode stays locked after `pin_attempts` wrong PINs.
    pub pin_lockout: Duration,
    /// Language of the Welcome screen, and after every wipe (`kiosk.toml` `language`).
    pub language: i18n::Lang,
    /// Use the face detector (false: fail closed, officer confirms every photo).
    pub face_detector: bool,
    /// What the officer's diagnostics screen checks (None: the defaults).
    pub diagnostics: Option<screens::diagnostics::DiagnosticsSetup>,
    /// The queue's data directory, for the supervisor screen (None: no queue, e.g. the demo tour).
    pub data_dir: Option<PathBuf>,
    /// The province's age recipient (`age1…` or a file holding it) that exports are encrypted to.
    pub export_recipient: Option<String>,
    /// Where removable drives are mounted (udisks: `/media/USER/LABEL`, `/run/media/USER/LABEL`).
    pub removable_roots: Vec<PathBuf>,
    /// The wall clock PIN lock-outs are judged by (tests inject one).
    pub clock: lockout::Clock,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(60),
            done_timeout: Duration::from_secs(15),
            countdown: Duration::from_secs(3),
            officers: Vec::new(),
            officer_pin: String::new(),
            pin_attempts: 5,
            pin_lockout: Duration::from_secs(300),
            language: i18n::Lang::Vi,
            face_detector: true,
            diagnostics: None,
            data_dir: None,
            export_recipient: None,
            removable_roots: vec![PathBuf::from("/media"), PathBuf::from("/run/media")],
            clock: lockout::Clock::system(),
        }
    }
}

impl Config {
    /// Test timers: a short countdown; the fallback PIN `2468` (no configured officers).
    pub fn for_test() -> Self {
        Self {
            countdown: Duration::from_millis(200),
            officer_pin: "2468".into(),
            ..Self::default()
        }
    }
}

/// Where frames come from.
#[derive(Debug, Clone)]
pub enum CameraChoice {
    /// The synthetic camera (a portrait photo; the card's QR when asked).
    Synthetic { qr_text: Option<String> },
    /// A still image or a folder of frames.
    File(PathBuf),
    /// A real webcam by index or name (needs the `camera` feature).
    Device(crate::camera::Webcam),
}

/// How to start the kiosk.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub config: Config,
    /// Readers to use (virtual readers only in demo/test mode).
    pub readers: ReaderFilter,
    /// Serve the emulated demo card in-process instead of PC/SC.
    pub emulated_card: bool,
    pub camera: CameraChoice,
    /// CSCA certificates and master lists.
    pub trust_dir: Option<PathBuf>,
    /// Walk every screen, save a PNG of each here, then exit.
    pub demo_tour: Option<PathBuf>,
    /// Window size (logical px).
    pub size: [f32; 2],
    /// Where the durable queue lives (records go there; the demo tour keeps them in memory).
    pub data_dir: PathBuf,
    /// This kiosk's id and default unit, on every record.
    pub kiosk_id: String,
    pub unit: String,
    /// The loaded `kiosk.toml`: with an `[appointments]` section the kiosk offers
    /// card applications (issue 9). The demo tour uses a demo calendar without one.
    pub app_config: Option<crate::config::Config>,
}

/// A calendar for the demo tour when the config has none: two offices, all week.
const DEMO_APPOINTMENTS: &str = "kiosk_id = \"KIOSK-DEMO\"\nunit = \"03679\"\n[appointments]\noffices = [\"Công an xã Ka Lăng\", \"Công an huyện Mường Tè\"]\ncapacity = 4\n";

/// The desk for card applications: the tour's in a scratch directory (removed when
/// the tour ends), the kiosk's in its data dir; None without `[appointments]`.
fn open_desk(
    opts: &RunOptions,
) -> Result<Option<(crate::application::desk::Desk, Option<PathBuf>)>, UiError> {
    let queue = |e: &dyn std::fmt::Display, dir: &std::path::Path| {
        UiError::Queue(format!("{}: {e}", dir.display()))
    };
    if opts.demo_tour.is_some() {
        let cfg = match opts.app_config.clone().filter(|c| c.appointments.is_some()) {
            Some(c) => c,
            None => crate::config::Config::parse(DEMO_APPOINTMENTS, "demo")
                .map_err(|e| UiError::Tour(e.to_string()))?,
        };
        let dir = std::env::temp_dir().join(format!("cccd-kiosk-tour-{}", std::process::id()));
        let desk = crate::application::desk::Desk::open(&dir, &cfg).map_err(|e| queue(&e, &dir))?;
        return Ok(desk.map(|d| (d, Some(dir))));
    }
    let Some(cfg) = &opts.app_config else {
        return Ok(None);
    };
    let desk = crate::application::desk::Desk::open(&opts.data_dir, cfg)
        .map_err(|e| queue(&e, &opts.data_dir))?;
    Ok(desk.map(|d| (d, None)))
}

/// Why the kiosk could not start or ended badly.
#[derive(Debug, Error)]
pub enum UiError {
    #[error("trust store: {0}")]
    Trust(#[from] crate::card::passive_auth::TrustError),
    #[error("camera: {0}")]
    Camera(#[from] CameraError),
    #[error("window: {0}")]
    Window(String),
    /// The queue could not be opened (damaged database, lost key file): the kiosk must
    /// not take citizens whose records it cannot keep.
    #[error("queue: {0}")]
    Queue(String),
    #[error("demo tour: {0}")]
    Tour(String),
}

/// A camera that is not there: every frame is an error the Photo screen shows.
#[cfg(not(feature = "camera"))]
struct NoCamera(String);

#[cfg(not(feature = "camera"))]
impl FrameSource for NoCamera {
    fn next_frame(&mut self) -> Result<image::RgbImage, CameraError> {
        std::thread::sleep(Duration::from_millis(500));
        Err(CameraError::Unavailable(self.0.clone()))
    }
}

/// Open the camera the options name.
pub fn open_camera(choice: &CameraChoice) -> Result<Box<dyn FrameSource>, UiError> {
    Ok(match choice {
        CameraChoice::Synthetic { qr_text } => Box::new(SyntheticSource::new(qr_text.clone())),
        CameraChoice::File(p) => Box::new(FileSource::open(p)?),
        #[cfg(feature = "camera")]
        CameraChoice::Device(w) => Box::new(crate::camera::nokhwa_source::NokhwaSource::select(
            w.clone(),
        )),
        #[cfg(not(feature = "camera"))]
        CameraChoice::Device(_) => Box::new(NoCamera(
            "this build has no webcam support (build with --features camera, or use --camera-file)"
                .into(),
        )),
    })
}

/// When [`run`] began: the demo tour reports cold start (queue, camera, trust store,
/// window and GL context, fonts) to the first frame drawn.
pub static RUN_STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Start the kiosk window (or the demo tour) and run until it closes.
pub fn run(opts: RunOptions) -> Result<(), UiError> {
    let _ = RUN_STARTED.set(std::time::Instant::now());
    let trust = match &opts.trust_dir {
        Some(d) => TrustStore::load_dir(d)?,
        None => TrustStore::empty(),
    };
    let camera = open_camera(&opts.camera)?;
    let demo = crate::card::emulator::profile::CitizenProfile::demo().with_cccd_chip();
    let mut tour_reader = None;
    let cards: Box<dyn cards::CardSource> = if opts.demo_tour.is_some() {
        // The tour puts each citizen's card on the reader itself, and reads at a real
        // card's pace (~25 ms per APDU) so the Reading screen is seen.
        let mut c = cards::EmulatedCards::empty_reader(demo);
        c.apdu_delay = Duration::from_millis(25);
        tour_reader = Some(c.handle());
        Box::new(c)
    } else if opts.emulated_card {
        Box::new(cards::EmulatedCards::new(demo))
    } else {
        Box::new(cards::PcscCards::start(opts.readers.clone()))
    };
    let sink: Box<dyn sink::RecordSink> = if opts.demo_tour.is_some() {
        Box::new(sink::MemorySink::default())
    } else {
        let store = crate::queue::sink::StoreSink::open(&opts.data_dir, &opts.kiosk_id, &opts.unit)
            .map_err(|e| UiError::Queue(format!("{}: {e}", opts.data_dir.display())))?;
        Box::new(store)
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size(opts.size)
            .with_title("CCCD kiosk"),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    let tour_dir = opts.demo_tour.clone();
    let mut config = opts.config.clone();
    let (desk, scratch) = match open_desk(&opts)? {
        Some((d, scratch)) => (Some(d), scratch),
        None => (None, None),
    };
    if let Some(dir) = &scratch {
        // The tour's tracker and supervisor screens show a campaign in mid-course.
        let mut store = crate::queue::store::Store::open(dir)
            .map_err(|e| UiError::Queue(format!("{}: {e}", dir.display())))?;
        tour_data::seed(&mut store, chrono::Local::now().date_naive())
            .map_err(|e| UiError::Tour(e.to_string()))?;
        config.data_dir = Some(dir.clone());
        // A USB stick and the province's key, so the supervisor's export runs for real
        // (the tour's key is thrown away: the bundle is demo data).
        let usb = dir.join("media").join("USB-KIOSK");
        std::fs::create_dir_all(&usb)
            .map_err(|e| UiError::Tour(format!("{}: {e}", usb.display())))?;
        config.removable_roots = vec![dir.join("media")];
        config.export_recipient = Some(age::x25519::Identity::generate().to_public().to_string());
    }
    let ran = eframe::run_native(
        "cccd-kiosk",
        native,
        Box::new(move |_cc| {
            let mut app = KioskApp::new(cards, camera, sink, trust, config);
            if let Some(d) = desk {
                app = app.with_desk(d);
            }
            Ok(match tour_dir {
                Some(dir) => {
                    Box::new(tour::Tour::new(app, dir, tour_reader)) as Box<dyn eframe::App>
                }
                None => Box::new(app),
            })
        }),
    );
    if let Some(dir) = scratch {
        // The tour's applications are demo data: nothing of them stays behind.
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!("{}: {e}", dir.display());
        }
    }
    ran.map_err(|e| UiError::Window(e.to_string()))
}
