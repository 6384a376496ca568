//! The command line (DESIGN.md "Fixed contracts"): exit codes, JSON on stdout,
//! progress and logs on stderr.
//!
//! Exit status: 0 read and genuine; 3 read but untrusted, failed or clone;
//! 4 access denied; 5 no reader, no card, card removed or communication failure;
//! 2 bad input. Errors 2, 4 and 5 print `{"error": {...}}` on stdout with `--json`.

use crate::card::access_key::KeyPlan;
use crate::card::emulator::{personalise, profile::CitizenProfile, vpcd};
use crate::card::passive_auth::TrustStore;
use crate::card::pcsc::{self, PcscTransport, ReaderFilter};
use crate::card::read::{self, ReadFailure};
use crate::card::reader::{ReadCaps, ReadError};
use crate::card::transport::TransportError;
use crate::config::{Config, LogLevel};
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// Exit status: read and genuine.
pub const EXIT_OK: i32 = 0;
/// Exit status: bad input; the message names the field.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit status: read, but the verdict is not `genuine`.
pub const EXIT_NOT_GENUINE: i32 = 3;
/// Exit status: every key was refused.
pub const EXIT_ACCESS_DENIED: i32 = 4;
/// Exit status: no reader, no card, card removed or communication failure.
pub const EXIT_CARD: i32 = 5;

#[derive(Parser, Debug)]
#[command(
    name = "cccd-kiosk",
    version,
    about = "Read and verify Vietnamese chip ID cards (CCCD) offline"
)]
struct Cli {
    /// Configuration file (TOML).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the queue and tracker data live.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Read a card's chip, verify it, print the result.
    Read(ReadArgs),
    /// List the PC/SC readers with card presence and ATR (like pcsc_scan).
    Readers {
        /// Also list vsmartcard's virtual readers.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Serve a software CCCD chip to pcscd through vsmartcard's vpcd.
    VirtualCard(VirtualCardArgs),
    /// The touchscreen kiosk (the default when no command is given).
    Kiosk(KioskArgs),
    /// The durable queue of activation records: export, verify, import results, list, stats.
    Queue {
        #[command(subcommand)]
        cmd: crate::queue::cli::QueueCmd,
    },
    /// Appointments for card applications: the day's list per slot (names: officers only), attendance.
    Appointments {
        #[command(subcommand)]
        cmd: crate::application::cli::AppointmentsCmd,
    },
    /// The "5 rõ" campaign tracker: import units, targets and roster; reports; roster search.
    Tracker {
        #[command(subcommand)]
        cmd: crate::tracker::cli::TrackerCmd,
    },
    /// Run N complete enrollments headless through the kiosk's pipeline (emulated
    /// cards, synthetic camera, the queue in --data-dir); prints each committed record.
    Simulate(SimulateArgs),
    /// Check this kiosk: pcscd, readers, camera, disk, trust store, clock; says what to do.
    Doctor {
        /// Also read the built-in software card in-process (tests the whole card pipeline).
        #[arg(long)]
        with_emulator: bool,
        #[arg(long)]
        json: bool,
    },
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCmd),
}

#[derive(Args, Debug, Default)]
struct KioskArgs {
    /// Walk every screen with the emulated card and the synthetic camera, save a PNG
    /// of each screen into DIR, then exit.
    #[arg(long, value_name = "DIR")]
    demo_tour: Option<PathBuf>,
    /// Use the emulated demo card in-process instead of PC/SC readers.
    #[arg(long)]
    emulated_card: bool,
    /// Use the reader whose name contains this text.
    #[arg(long, value_name = "SUBSTRING")]
    reader: Option<String>,
    /// Frames from an image file or a folder of images instead of a webcam.
    #[arg(long, value_name = "PATH", conflicts_with = "synthetic_camera")]
    camera_file: Option<PathBuf>,
    /// The synthetic camera (a portrait photo; the demo card's QR code when asked).
    #[arg(long)]
    synthetic_camera: bool,
    /// Webcam index (builds with the `camera` feature); default: the config's `camera`,
    /// else 0.
    #[arg(long)]
    camera_index: Option<u32>,
    /// Directory of trusted CSCA certificates and master lists.
    #[arg(long, value_name = "DIR")]
    trust: Option<PathBuf>,
    /// Seconds without a touch before everything is wiped (default: the config's
    /// `idle_timeout_secs`).
    #[arg(long)]
    idle_seconds: Option<u64>,
    /// Fallback officer PIN when the config names no `[[officer]]` (default:
    /// $CCCD_OFFICER_PIN; without one, officer mode stays locked).
    #[arg(long, value_name = "DIGITS")]
    officer_pin: Option<String>,
    /// Window size, e.g. 1280x800 or 1920x1080.
    #[arg(long, default_value = "1280x800")]
    size: String,
}

#[derive(Args, Debug)]
struct SimulateArgs {
    /// How many citizens come to the kiosk.
    #[arg(long, value_name = "N")]
    citizens: u32,
    /// How many officers take turns.
    #[arg(long, value_name = "K", default_value_t = 1)]
    officers: u32,
    /// Some citizens pull the card, show a bad QR, hold the wrong key, type a
    /// landline or decline consent (none of them is queued).
    #[arg(long)]
    faults: bool,
    /// Seed for citizens and faults (default: from the clock).
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Then N citizens apply for a card (issue 9), booking the config's
    /// `[appointments]` calendar (or a one-office default).
    #[arg(long, value_name = "N", default_value_t = 0)]
    applications: u32,
}

#[derive(Subcommand, Debug)]
enum ConfigCmd {
    /// Read an officer PIN (4-12 digits) from stdin, print its Argon2 hash for `pin_hash`.
    HashPin,
    /// Check the configuration file and print it as resolved (PIN hashes left out).
    Check,
}

#[derive(Args, Debug)]
struct ReadArgs {
    /// Use the reader whose name contains this text.
    #[arg(long, value_name = "SUBSTRING")]
    reader: Option<String>,
    /// The text of the card's QR code.
    #[arg(long, group = "key", value_name = "TEXT")]
    qr: Option<String>,
    /// Card access number (6 digits: the last 6 of the ID number).
    #[arg(long, group = "key", value_name = "6DIGITS")]
    can: Option<String>,
    /// The 12-digit personal ID number.
    #[arg(long, group = "key", value_name = "12DIGITS")]
    id: Option<String>,
    /// The MRZ printed on the back (3 lines of 30, newlines optional).
    #[arg(long, group = "key", value_name = "TEXT")]
    mrz: Option<String>,
    /// Document number as in the MRZ (the last 9 digits of the ID).
    #[arg(long, group = "key", value_name = "NUM", requires_all = ["dob", "expiry"])]
    doc: Option<String>,
    /// Date of birth, YYMMDD (with --id or --doc).
    #[arg(long, value_name = "YYMMDD")]
    dob: Option<String>,
    /// Date of expiry, YYMMDD; 991231 for a card without expiry (with --id --dob or --doc).
    #[arg(long, value_name = "YYMMDD", requires = "dob")]
    expiry: Option<String>,
    /// Directory of trusted CSCA certificates and master lists.
    #[arg(long, value_name = "DIR")]
    trust: Option<PathBuf>,
    /// Write the chip's face image (JPEG or JPEG 2000, as stored) here.
    #[arg(long, value_name = "FILE")]
    photo_out: Option<PathBuf>,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct VirtualCardArgs {
    /// The built-in demo citizen.
    #[arg(long, group = "who")]
    demo: bool,
    /// The built-in elderly citizen (card for life, birth year only).
    #[arg(long, group = "who")]
    elderly: bool,
    /// A citizen profile (JSON).
    #[arg(long, group = "who", value_name = "FILE")]
    profile: Option<PathBuf>,
    /// vpcd's port (default: $CCCD_VPCD_PORT, else 35963).
    #[arg(long)]
    port: Option<u16>,
    /// vpcd's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Write the test CSCA certificate into this directory (for `read --trust`).
    #[arg(long, value_name = "DIR")]
    write_csca: Option<PathBuf>,
    /// Serve this many insertions, then exit (0: until pcscd goes away).
    #[arg(long, default_value_t = 0)]
    insertions: usize,
}

/// Entry point; returns the process exit status.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let json_wanted = args.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            let _ = e.print();
            return EXIT_OK;
        }
        Err(e) => {
            let field = e
                .get(clap::error::ContextKind::InvalidArg)
                .map(|v| v.to_string());
            let message = e.kind().to_string();
            if json_wanted {
                print_error(
                    "bad_input",
                    field.as_deref().map(|f| {
                        f.split_whitespace()
                            .next()
                            .unwrap_or(f)
                            .trim_start_matches('-')
                    }),
                    &message,
                );
            }
            let _ = e.print();
            return EXIT_BAD_INPUT;
        }
    };
    // A PIN can be hashed and a virtual card served even when the config is broken.
    if let Some(Cmd::Config(ConfigCmd::HashPin)) = cli.command {
        crate::logging::init(LogLevel::default());
        return crate::config::cmd_hash_pin();
    }
    if let Some(Cmd::VirtualCard(a)) = cli.command {
        crate::logging::init(LogLevel::default());
        return cmd_virtual_card(a);
    }
    let loaded = match Config::load(cli.config.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            crate::logging::init(LogLevel::default());
            return fail(
                json_wanted,
                EXIT_BAD_INPUT,
                "bad_input",
                Some(e.key().unwrap_or("config")),
                &e.to_string(),
            );
        }
    };
    crate::logging::init(loaded.config.log_level);
    let cfg = &loaded.config;
    match cli.command {
        Some(Cmd::Read(a)) => cmd_read(a, cfg),
        Some(Cmd::Readers { all, json }) => cmd_readers(all || cfg.allow_virtual_readers, json),
        Some(Cmd::Doctor {
            with_emulator,
            json,
        }) => {
            let allow = allow_virtual() || cfg.allow_virtual_readers;
            crate::doctor::cmd_doctor(&loaded, cli.data_dir.as_deref(), with_emulator, json, allow)
        }
        Some(Cmd::Config(_)) => crate::config::cmd_check(&loaded, cli.data_dir.as_deref()),
        Some(Cmd::VirtualCard(_)) => EXIT_OK,
        Some(Cmd::Queue { cmd }) => {
            crate::queue::cli::run(cmd, &cfg.data_dir(cli.data_dir.as_deref()))
        }
        Some(Cmd::Appointments { cmd }) => crate::application::cli::run(
            cmd,
            &cfg.data_dir(cli.data_dir.as_deref()),
            cfg.appointments.as_ref(),
        ),
        Some(Cmd::Tracker { cmd }) => {
            crate::tracker::cli::run(cmd, &cfg.data_dir(cli.data_dir.as_deref()))
        }
        Some(Cmd::Kiosk(a)) => cmd_kiosk(a, &loaded, cli.data_dir.as_deref()),
        Some(Cmd::Simulate(a)) => cmd_simulate(a, cfg, cli.data_dir.as_deref()),
        None => cmd_kiosk(
            KioskArgs {
                size: "1280x800".into(),
                ..KioskArgs::default()
            },
            &loaded,
            cli.data_dir.as_deref(),
        ),
    }
}

/// The kiosk's camera when no file or synthetic camera is asked for: `--camera-index`,
/// else the config's `camera` (an index, a /dev/videoN device or a udev link to one, a
/// name, an image file), else /dev/video0. Err: the message for a `camera` the kiosk
/// cannot open.
fn webcam_choice(
    index: Option<u32>,
    configured: Option<&crate::config::CameraSource>,
) -> Result<crate::ui::CameraChoice, String> {
    use crate::camera::Webcam;
    use crate::config::CameraSource;
    use crate::ui::CameraChoice;
    Ok(match (index, configured) {
        (Some(i), _) => CameraChoice::Device(Webcam::Index(i)),
        (None, None) => CameraChoice::Device(Webcam::Index(0)),
        (None, Some(CameraSource::File(p))) => CameraChoice::File(p.clone()),
        (None, Some(CameraSource::Name(n))) => CameraChoice::Device(Webcam::Name(n.clone())),
        // A udev link (/dev/v4l/by-id/…) names the /dev/videoN it points to now.
        (None, Some(CameraSource::Device(p))) => [p.clone()]
            .into_iter()
            .chain(std::fs::canonicalize(p).ok())
            .find_map(|p| {
                p.to_str()
                    .and_then(|p| p.strip_prefix("/dev/video"))
                    .and_then(|n| n.parse().ok())
            })
            .map(|i| CameraChoice::Device(Webcam::Index(i)))
            .ok_or_else(|| {
                format!(
                    "camera = \"{}\": the kiosk opens /dev/videoN devices (or give a part of the camera's name)",
                    p.display()
                )
            })?,
    })
}

fn cmd_kiosk(
    a: KioskArgs,
    loaded: &crate::config::Loaded,
    data_dir: Option<&std::path::Path>,
) -> i32 {
    use crate::ui::{self, CameraChoice, Config, RunOptions};
    let cfg = &loaded.config;
    let size = match a
        .size
        .split_once('x')
        .and_then(|(w, h)| Some([w.parse::<f32>().ok()?, h.parse::<f32>().ok()?]))
    {
        Some(s) => s,
        None => {
            return fail(
                false,
                EXIT_BAD_INPUT,
                "bad_input",
                Some("size"),
                "--size is WIDTHxHEIGHT, e.g. 1280x800",
            )
        }
    };
    let demo_qr = "001195000123|012345678|Nguyễn Thị Thu Hương|14031995|Nữ|Số 12 Ngõ 34 Phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội|10072021";
    let camera = match (&a.camera_file, a.synthetic_camera || a.demo_tour.is_some()) {
        (Some(p), _) => CameraChoice::File(p.clone()),
        (None, true) => CameraChoice::Synthetic {
            // The tour types the key, so its camera shows no QR code.
            qr_text: a.demo_tour.is_none().then(|| demo_qr.to_string()),
        },
        (None, false) => match webcam_choice(a.camera_index, cfg.camera.as_ref()) {
            Ok(c) => c,
            Err(msg) => return fail(false, EXIT_BAD_INPUT, "bad_input", Some("camera"), &msg),
        },
    };
    let mut officer_pin = a
        .officer_pin
        .clone()
        .or_else(|| std::env::var("CCCD_OFFICER_PIN").ok())
        .unwrap_or_else(|| {
            if a.demo_tour.is_some() {
                "2468".into()
            } else {
                String::new()
            }
        });
    if !cfg.officers.is_empty() && !officer_pin.is_empty() {
        tracing::warn!("the config names officers: --officer-pin / $CCCD_OFFICER_PIN is ignored");
        officer_pin.clear();
    }
    if let Some(dir) = &a.demo_tour {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return fail(
                false,
                EXIT_BAD_INPUT,
                "bad_input",
                Some("demo-tour"),
                &format!("{}: {e}", dir.display()),
            );
        }
    }
    let opts = RunOptions {
        config: Config {
            idle_timeout: Duration::from_secs(
                a.idle_seconds.unwrap_or(cfg.idle_timeout_secs).max(10),
            ),
            officers: cfg.officers.clone(),
            officer_pin,
            diagnostics: Some(crate::ui::screens::diagnostics::DiagnosticsSetup {
                loaded: loaded.clone(),
                data_dir: cfg.data_dir(data_dir),
                allow_virtual: allow_virtual() || cfg.allow_virtual_readers,
                with_emulator: true,
            }),
            language: match cfg.language {
                crate::config::Language::Vi => crate::ui::i18n::Lang::Vi,
                crate::config::Language::En => crate::ui::i18n::Lang::En,
            },
            // The supervisor screen exports the queue (never the demo tour's memory sink).
            data_dir: a.demo_tour.is_none().then(|| cfg.data_dir(data_dir)),
            export_recipient: cfg.export_recipient.as_ref().map(|r| match r {
                crate::config::ExportRecipient::Key(k) => k.clone(),
                crate::config::ExportRecipient::File(f) => f.display().to_string(),
            }),
            ..Config::default()
        },
        readers: ReaderFilter {
            name_contains: a.reader.clone(),
            allow_virtual: allow_virtual(),
        },
        emulated_card: a.emulated_card,
        camera,
        trust_dir: a.trust.clone(),
        demo_tour: a.demo_tour.clone(),
        size,
        data_dir: cfg.data_dir(data_dir),
        kiosk_id: cfg.kiosk_id.clone().unwrap_or_else(|| "kiosk".into()),
        unit: cfg.unit.clone().unwrap_or_default(),
        app_config: Some(cfg.clone()),
    };
    match ui::run(opts) {
        Ok(()) => EXIT_OK,
        Err(e) => fail(false, EXIT_CARD, "io", None, &e.to_string()),
    }
}

/// `simulate`: exit 0 when every citizen ended as planned (queued, or left for
/// their fault); 1 when the pipeline failed a citizen it should have served or
/// the queue could not be used; 2 bad input.
fn cmd_simulate(a: SimulateArgs, cfg: &Config, data_dir: Option<&std::path::Path>) -> i32 {
    use crate::queue::simulate;
    if a.citizens == 0 && a.applications == 0 {
        return fail(
            false,
            EXIT_BAD_INPUT,
            "bad_input",
            Some("citizens"),
            "--citizens must be at least 1",
        );
    }
    let seed = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    });
    let opts = simulate::SimOptions {
        citizens: a.citizens,
        officers: a.officers.max(1),
        faults: a.faults,
        seed,
        data_dir: cfg.data_dir(data_dir),
        kiosk_id: cfg.kiosk_id.clone().unwrap_or_else(|| "KIOSK-SIM".into()),
        unit: cfg.unit.clone().unwrap_or_else(|| "00000".into()),
        applications: a.applications,
        appointments: cfg.appointments.clone(),
    };
    eprintln!(
        "simulate: {} citizens, {} officer(s), faults {}, seed {seed}, queue in {}",
        opts.citizens,
        opts.officers,
        if opts.faults { "on" } else { "off" },
        opts.data_dir.display()
    );
    let mut out = std::io::stdout().lock();
    match simulate::run(&opts, &mut out) {
        Ok(s) => {
            if simulate::print_summary(&s, &mut out).is_err() {
                return 1;
            }
            if s.unexpected.is_empty() {
                EXIT_OK
            } else {
                1
            }
        }
        Err(e) => fail(false, 1, "io", None, &e.to_string()),
    }
}

fn print_error(kind: &str, field: Option<&str>, message: &str) {
    println!(
        "{}",
        json!({"error": {"kind": kind, "field": field, "message": message}})
    );
}

/// Report an error: JSON on stdout when asked, the message on stderr always.
fn fail(json_out: bool, code: i32, kind: &str, field: Option<&str>, message: &str) -> i32 {
    if json_out {
        print_error(kind, field, message);
    }
    eprintln!("error: {message}");
    code
}

fn transport_kind(e: &TransportError) -> &'static str {
    match e {
        TransportError::NoReader(_) => "no_reader",
        TransportError::NoCard => "no_card",
        TransportError::CardRemoved | TransportError::CardReset => "card_removed",
        _ => "io",
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn key_plan(a: &ReadArgs) -> Result<KeyPlan, crate::card::access_key::KeyError> {
    let today = today();
    if let Some(qr) = &a.qr {
        return KeyPlan::from_qr(qr, today);
    }
    if let Some(can) = &a.can {
        return KeyPlan::from_can(can);
    }
    if let Some(id) = &a.id {
        return KeyPlan::from_id(id, a.dob.as_deref(), a.expiry.as_deref(), today);
    }
    if let Some(mrz) = &a.mrz {
        return KeyPlan::from_mrz(mrz, today);
    }
    if let (Some(doc), Some(dob), Some(exp)) = (&a.doc, &a.dob, &a.expiry) {
        return KeyPlan::from_document(doc, dob, exp);
    }
    Err(crate::card::access_key::KeyError {
        field: "key".into(),
        message: "give one of --qr, --can, --id, --mrz or --doc with --dob and --expiry".into(),
    })
}

fn cmd_read(a: ReadArgs, cfg: &Config) -> i32 {
    let j = a.json;
    if (a.dob.is_some() || a.expiry.is_some()) && a.id.is_none() && a.doc.is_none() {
        return fail(
            j,
            EXIT_BAD_INPUT,
            "bad_input",
            Some("dob"),
            "--dob and --expiry go with --id or --doc",
        );
    }
    let plan = match key_plan(&a) {
        Ok(p) => p,
        Err(e) => {
            return fail(
                j,
                EXIT_BAD_INPUT,
                "bad_input",
                Some(&e.field),
                &e.to_string(),
            )
        }
    };
    for w in &plan.warnings {
        eprintln!("warning: {w}");
    }
    // --trust wins; else the config's trust_dir (which must exist when named); else the
    // default directory when present.
    let (cfg_trust, named) = cfg.trust_dir();
    let trust_dir = a
        .trust
        .clone()
        .or_else(|| (named || cfg_trust.is_dir()).then_some(cfg_trust));
    let trust = match &trust_dir {
        Some(dir) => match TrustStore::load_dir(dir) {
            Ok(t) => t,
            Err(e) => {
                return fail(
                    j,
                    EXIT_BAD_INPUT,
                    "bad_input",
                    Some("trust"),
                    &e.to_string(),
                )
            }
        },
        None => TrustStore::empty(),
    };
    let filter = ReaderFilter {
        name_contains: a.reader.clone().or_else(|| cfg.reader.clone()),
        allow_virtual: allow_virtual() || cfg.allow_virtual_readers,
    };
    let card = match PcscTransport::connect(&filter) {
        Ok(c) => c,
        Err(e) => return fail(j, EXIT_CARD, transport_kind(&e), None, &e.to_string()),
    };
    let reader = card.reader().to_string();
    let atr = card.atr().to_vec();
    tracing::info!(reader = %reader, atr = %hex::encode_upper(&atr), key_source = plan.source.as_str(), "reading card");
    let caps = ReadCaps::remembered(&reader, &atr);
    // Progress goes to stderr with or without --json (stdout holds the JSON alone).
    // One line per file and percent (a file read whole in one APDU still shows).
    let mut last_pct = (0, usize::MAX);
    let mut progress = |p: crate::card::reader::Progress| {
        let pct = (p.fid, (p.done * 100).checked_div(p.total).unwrap_or(100));
        if pct != last_pct {
            eprintln!(
                "{}: {}/{} bytes",
                crate::card::reader::file_name(p.fid),
                p.done,
                p.total
            );
        }
        last_pct = pct;
    };
    let result = read::read_card(card, &plan, caps, &trust, chrono::Utc::now(), &mut progress);
    let read = match result {
        Ok(r) => r,
        Err(ReadFailure::AccessDenied { message, .. }) => {
            return fail(
                j,
                EXIT_ACCESS_DENIED,
                "access_denied",
                Some(plan.source.as_str()),
                &message,
            )
        }
        Err(ReadFailure::Transport(e)) | Err(ReadFailure::File(ReadError::Transport(e))) => {
            return fail(j, EXIT_CARD, transport_kind(&e), None, &e.to_string())
        }
        Err(e) => return fail(j, EXIT_CARD, "io", None, &e.to_string()),
    };
    read.caps.remember(&reader, &atr);
    tracing::info!(
        verdict = ?read.verification.verdict,
        apdus = read.apdus,
        millis = read.millis as u64,
        "card read"
    );
    if let (Some(path), Some(dg2)) = (&a.photo_out, &read.dg2) {
        if let Err(e) = std::fs::write(path, &dg2.image) {
            eprintln!(
                "warning: could not write the photo to {}: {e}",
                path.display()
            );
        }
    }
    let out = read.to_json(&reader, &atr, today());
    if j {
        println!("{out}");
    } else {
        print_summary(&out);
    }
    if read.verification.verdict == crate::card::passive_auth::Verdict::Genuine {
        EXIT_OK
    } else {
        EXIT_NOT_GENUINE
    }
}

fn print_summary(v: &serde_json::Value) {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or("-")
            .to_string()
    };
    println!("Họ và tên / Name:     {}", s("/citizen/full_name"));
    println!("Số định danh / ID:    {}", s("/citizen/id_number"));
    println!("Ngày sinh / Born:     {}", s("/citizen/date_of_birth"));
    println!(
        "Có giá trị đến / Exp: {}",
        v.pointer("/citizen/date_of_expiry")
            .and_then(|x| x.as_str())
            .unwrap_or("không thời hạn / none")
    );
    println!(
        "Mở chip / Access:     {} ({})",
        s("/access/protocol"),
        s("/access/key_source")
    );
    // The JSON's words, with the Vietnamese an officer reads first.
    let word = |p: &str| {
        let w = s(p);
        let vi = match w.as_str() {
            "valid" | "passed" => "đạt",
            "failed" => "không đạt",
            "untrusted" => "chưa xác minh được cơ quan cấp",
            "not_supported" => "chip không hỗ trợ",
            "genuine" => "thẻ thật",
            "clone" => "nghi thẻ giả (sao chép chip)",
            _ => "",
        };
        if vi.is_empty() {
            w
        } else {
            format!("{vi} / {w}")
        }
    };
    println!(
        "Dữ liệu ký số / Passive auth: {}",
        word("/verification/passive_auth")
    );
    println!(
        "Xác thực chip / Chip auth:    {}",
        word("/verification/chip_auth")
    );
    println!(
        "Xác thực chủ động / Active auth: {}",
        word("/verification/active_auth")
    );
    println!("Kết luận / Verdict:   {}", word("/verification/verdict"));
    if let Some(errs) = v.pointer("/verification/errors").and_then(|e| e.as_array()) {
        for e in errs {
            println!("  - {}", e.as_str().unwrap_or_default());
        }
    }
}

/// Virtual readers are used only when named, or in demo/test mode (`CCCD_ALLOW_VIRTUAL=1`).
fn allow_virtual() -> bool {
    std::env::var("CCCD_ALLOW_VIRTUAL").is_ok_and(|v| v == "1")
}

fn cmd_readers(all: bool, json_out: bool) -> i32 {
    let readers = match pcsc::list_readers() {
        Ok(r) => r,
        Err(e) => {
            return fail(
                json_out,
                EXIT_CARD,
                transport_kind(&e),
                None,
                &e.to_string(),
            )
        }
    };
    let shown: Vec<_> = readers
        .into_iter()
        .filter(|r| all || allow_virtual() || !r.virtual_reader)
        .collect();
    if json_out {
        println!("{}", json!({"readers": shown}));
    } else if shown.is_empty() {
        println!("no readers (virtual readers are hidden; --all shows them)");
    } else {
        for (i, r) in shown.iter().enumerate() {
            match &r.atr {
                Some(atr) => println!("{i}: {}\n   card present, ATR {atr}", r.name),
                None if r.card_present => println!("{i}: {}\n   card present", r.name),
                None => println!("{i}: {}\n   no card", r.name),
            }
        }
    }
    EXIT_OK
}

/// The citizen a `virtual-card` serves: a profile file, or a built-in one on a chip
/// like a real CCCD's (PACE, chip and active authentication).
fn load_profile(a: &VirtualCardArgs) -> Result<CitizenProfile, String> {
    match &a.profile {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| CitizenProfile::from_json(&text).map_err(|e| e.to_string()))
            .map_err(|e| format!("{}: {e}", path.display())),
        None if a.elderly => Ok(CitizenProfile::elderly().with_cccd_chip()),
        None => Ok(CitizenProfile::demo().with_cccd_chip()),
    }
}

fn cmd_virtual_card(a: VirtualCardArgs) -> i32 {
    let profile = match load_profile(&a) {
        Ok(p) => p,
        Err(e) => return fail(false, EXIT_BAD_INPUT, "bad_input", Some("profile"), &e),
    };
    if let Some(dir) = &a.write_csca {
        if let Err(e) = crate::card::emulator::pki::write_csca(dir) {
            return fail(
                false,
                EXIT_BAD_INPUT,
                "bad_input",
                Some("write-csca"),
                &format!("{}: {e}", dir.display()),
            );
        }
    }
    let port = a
        .port
        .or_else(|| {
            std::env::var("CCCD_VPCD_PORT")
                .ok()
                .and_then(|p| p.parse().ok())
        })
        .unwrap_or(35963);
    let mut served = 0;
    loop {
        let mut chip = match personalise::chip(&profile, None) {
            Ok(c) => c,
            Err(e) => {
                return fail(
                    false,
                    EXIT_BAD_INPUT,
                    "bad_input",
                    Some("profile"),
                    &e.to_string(),
                )
            }
        };
        let mut stream = match vpcd::connect(&a.host, port, Duration::from_secs(10)) {
            Ok(s) => s,
            Err(e) => {
                return fail(
                    false,
                    EXIT_CARD,
                    "no_reader",
                    None,
                    &format!("vpcd at {}:{port}: {e}", a.host),
                )
            }
        };
        eprintln!("virtual card inserted ({}:{port})", a.host);
        match vpcd::serve(&mut chip, &mut stream) {
            Ok(vpcd::Ended::Removed) => eprintln!("virtual card removed"),
            Ok(vpcd::Ended::Closed) => return EXIT_OK,
            Err(e) => return fail(false, EXIT_CARD, "io", None, &format!("vpcd: {e}")),
        }
        served += 1;
        if a.insertions != 0 && served >= a.insertions {
            return EXIT_OK;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::webcam_choice;
    use crate::camera::Webcam;
    use crate::config::CameraSource;
    use crate::ui::CameraChoice;
    use std::path::PathBuf;

    fn device(c: CameraChoice) -> Option<Webcam> {
        match c {
            CameraChoice::Device(w) => Some(w),
            _ => None,
        }
    }

    #[test]
    fn the_kiosk_opens_the_camera_the_config_names_and_the_flag_wins() {
        let dev = |p: &str| CameraSource::Device(PathBuf::from(p));
        assert_eq!(
            device(webcam_choice(None, None).unwrap()),
            Some(Webcam::Index(0))
        );
        assert_eq!(
            device(webcam_choice(None, Some(&dev("/dev/video2"))).unwrap()),
            Some(Webcam::Index(2))
        );
        assert_eq!(
            device(webcam_choice(Some(1), Some(&dev("/dev/video2"))).unwrap()),
            Some(Webcam::Index(1))
        );
        let name = CameraSource::Name("C920".into());
        assert_eq!(
            device(webcam_choice(None, Some(&name)).unwrap()),
            Some(Webcam::Name("C920".into()))
        );
        let file = CameraSource::File("/srv/face.jpg".into());
        assert!(matches!(
            webcam_choice(None, Some(&file)).unwrap(),
            CameraChoice::File(p) if p == std::path::Path::new("/srv/face.jpg")
        ));
        // A device that is no /dev/videoN (nor a link to one) is refused, naming it.
        let err = webcam_choice(None, Some(&dev("/dev/null"))).unwrap_err();
        assert!(err.contains("camera = \"/dev/null\""), "{err}");
    }
}
