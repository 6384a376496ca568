//! The kiosk's configuration file (`/etc/cccd-kiosk/kiosk.toml`, or `--config FILE`).
//!
//! A technician sets up dozens of kiosks from one template, so every mistake must be
//! caught when the file is read, not weeks later in a commune hall: unknown keys are
//! errors (`deny_unknown_fields`), and each value is checked against the form it must
//! have. An error names the file, the line and column (from the `toml` crate's spans),
//! the key, the expected form and what was found, e.g.
//! `kiosk.toml:4:21: idle_timeout_secs: expected a whole number of seconds between 10
//! and 3600, found "abc"`.
//!
//! Where the file is missing: at the default path the kiosk runs on defaults (a fresh
//! install reads cards before anyone edits the file); a path given with `--config` must
//! exist (a typo must not silently fall back to defaults).
//!
//! Officer PINs are stored only as Argon2 PHC strings (`cccd-kiosk config hash-pin`
//! makes one from a PIN on stdin); a plain PIN in the file is refused.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{de::Error as _, Deserialize, Deserializer, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Where the packaged kiosk reads its configuration.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/cccd-kiosk/kiosk.toml";
/// Where the queue and tracker data live unless `--data-dir` or the config say otherwise.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/cccd-kiosk";
/// Where the operator provisions CSCA certificates and master lists.
pub const DEFAULT_TRUST_DIR: &str = "/etc/cccd-kiosk/trust";
/// The idle timeout when the file says nothing: a citizen who walks away mid-flow
/// leaves the screen for the next one within a minute.
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;

/// Why the configuration could not be used. Each names the file.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file given with `--config` (or a file the config points to) cannot be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A syntax error, an unknown key or a bad value; `key` is the dotted key path.
    #[error("{file}:{line}:{column}: {key}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
}

impl ConfigError {
    /// The key an `Invalid` error is about (for `{"error": {"field": …}}`).
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => Some(key),
            ConfigError::Io { .. } => None,
        }
    }
}

/// Why a PIN could not be hashed or checked.
#[derive(Debug, Error)]
pub enum PinError {
    /// Not 4 to 12 digits.
    #[error("PIN: expected 4 to 12 digits")]
    Form,
    /// The Argon2 library refused (should not happen with the default parameters).
    #[error("PIN hash: {0}")]
    Hash(argon2::password_hash::Error),
}

/// Interface language of the kiosk screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Vietnamese, the citizens' language: the default.
    #[default]
    Vi,
    /// English, for visiting technicians.
    En,
}

/// Log verbosity for the `tracing` subscriber (RUST_LOG still wins when set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Only failures.
    Error,
    /// Failures and things an operator should look at.
    Warn,
    /// One line per card read and per state change: what journald keeps by default.
    #[default]
    Info,
    /// Protocol steps, for a technician chasing a reader problem.
    Debug,
    /// Everything except personal data (the `sensitive` target stays off unless named).
    Trace,
}

impl LogLevel {
    /// The `tracing` directive for this level.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// Where the kiosk takes the live photo from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "lowercase")]
pub enum CameraSource {
    /// A V4L2 device such as `/dev/video0` (`camera = 0` means the same).
    Device(PathBuf),
    /// An image file served as the camera's frames (demo and tests).
    File(PathBuf),
    /// A webcam by a part of its name (e.g. "C920"): found again after moving to
    /// another USB port, where its `/dev/videoN` may change.
    Name(String),
}

/// The province's public key that end-of-day export bundles are encrypted to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum ExportRecipient {
    /// An age X25519 recipient (`age1…`) written in the config itself.
    Key(String),
    /// A file holding the recipient (provisioned from USB with the trust store).
    File(PathBuf),
}

/// One officer who may open officer mode.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// Short identifier recorded on every activation record the officer serves.
    #[serde(deserialize_with = "de_ident")]
    pub id: String,
    /// Name shown on the officer screen.
    #[serde(default)]
    pub name: String,
    /// Argon2 PHC string (`cccd-kiosk config hash-pin`); never a plain PIN.
    #[serde(deserialize_with = "de_pin_hash")]
    #[serde(skip_serializing)]
    pub pin_hash: String,
}

/// `[appointments]`: where and when citizens who apply for a card come for their
/// biometrics (issue 9). `offices` is required; the rest default to the campaign's
/// practice: 30-minute slots of 4 citizens, every day, 7:30–22:00 (the campaign
/// hours of the Vinh Bao plan), bookable two weeks ahead, renewal offered 6 months
/// before a card expires.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Appointments {
    /// The receiving offices the citizen chooses from (step 7 of the online application).
    #[serde(deserialize_with = "de_offices")]
    pub offices: Vec<String>,
    /// Minutes per slot (5 to 240).
    #[serde(default = "default_slot_minutes", deserialize_with = "de_slot_minutes")]
    pub slot_minutes: u32,
    /// Citizens per slot and office (1 to 100).
    #[serde(default = "default_capacity", deserialize_with = "de_capacity")]
    pub capacity: u32,
    /// Working days, `mon` … `sun`.
    #[serde(default = "default_days", deserialize_with = "de_days")]
    pub days: Vec<String>,
    /// Opening hours, `HH:MM-HH:MM`.
    #[serde(default = "default_hours", deserialize_with = "de_hours")]
    pub hours: String,
    /// How many days ahead a slot may be booked (1 to 90).
    #[serde(default = "default_book_ahead", deserialize_with = "de_book_ahead")]
    pub book_ahead_days: u32,
    /// Offer a renewal when the card expires within this many months (1 to 24).
    #[serde(
        default = "default_renewal_window",
        deserialize_with = "de_renewal_window"
    )]
    pub renewal_window_months: u32,
}

/// The weekday keys `days` accepts, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn default_slot_minutes() -> u32 {
    30
}
fn default_capacity() -> u32 {
    4
}
fn default_days() -> Vec<String> {
    WEEKDAYS.iter().map(|d| d.to_string()).collect()
}
fn default_hours() -> String {
    "07:30-22:00".into()
}
fn default_book_ahead() -> u32 {
    14
}
fn default_renewal_window() -> u32 {
    6
}

impl Appointments {
    /// A calendar with `offices` and every other key at its default.
    pub fn with_offices(offices: &[&str]) -> Appointments {
        Appointments {
            offices: offices.iter().map(|o| o.to_string()).collect(),
            slot_minutes: default_slot_minutes(),
            capacity: default_capacity(),
            days: default_days(),
            hours: default_hours(),
            book_ahead_days: default_book_ahead(),
            renewal_window_months: default_renewal_window(),
        }
    }

    /// Opening and closing time, in minutes after midnight (checked when read).
    pub fn hours_minutes(&self) -> (u32, u32) {
        parse_hours(&self.hours).unwrap_or((450, 1320))
    }
}

/// The kiosk's configuration, with defaults for every key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Identifies this kiosk on every record and export bundle (e.g. `HN-BADINH-03`).
    #[serde(deserialize_with = "de_opt_ident")]
    pub kiosk_id: Option<String>,
    /// Code of the administrative unit (commune/ward) the kiosk serves.
    #[serde(deserialize_with = "de_opt_ident")]
    pub unit: Option<String>,
    /// Where the queue and tracker data live (`--data-dir` wins).
    #[serde(deserialize_with = "de_opt_abs_path")]
    pub data_dir: Option<PathBuf>,
    /// Use only readers whose name contains this text (`read --reader` wins).
    #[serde(deserialize_with = "de_opt_text")]
    pub reader: Option<String>,
    /// Accept vsmartcard's "Virtual PCD" readers (demo and test kiosks only).
    pub allow_virtual_readers: bool,
    /// The camera: an index or `/dev/video*` device, a part of the webcam's name, or an
    /// image file (demo). None: the first `/dev/video*` found.
    #[serde(deserialize_with = "de_opt_camera")]
    pub camera: Option<CameraSource>,
    /// Seconds without a touch before the screen returns to the start.
    #[serde(deserialize_with = "de_idle_timeout")]
    pub idle_timeout_secs: u64,
    /// Interface language.
    #[serde(deserialize_with = "de_language")]
    pub language: Language,
    /// Directory of CSCA certificates and master lists (`read --trust` wins).
    /// None: [`DEFAULT_TRUST_DIR`], which may be absent (every read is then `untrusted`).
    #[serde(deserialize_with = "de_opt_abs_path")]
    pub trust_dir: Option<PathBuf>,
    /// The key export bundles are encrypted to.
    #[serde(deserialize_with = "de_opt_recipient")]
    pub export_recipient: Option<ExportRecipient>,
    /// Log verbosity.
    #[serde(deserialize_with = "de_log_level")]
    pub log_level: LogLevel,
    /// Officers allowed into officer mode (`[[officer]]` tables).
    #[serde(rename = "officer")]
    pub officers: Vec<Officer>,
    /// The unit's appointment calendar for card applications (`[appointments]`);
    /// None: the kiosk offers no appointments.
    pub appointments: Option<Appointments>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            kiosk_id: None,
            unit: None,
            data_dir: None,
            reader: None,
            allow_virtual_readers: false,
            camera: None,
            idle_timeout_secs: DEFAULT_IDLE_TIMEOUT_SECS,
            language: Language::Vi,
            trust_dir: None,
            export_recipient: None,
            log_level: LogLevel::Info,
            officers: Vec::new(),
            appointments: None,
        }
    }
}

/// A configuration and where it came from (doctor shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The configuration, defaults filled in.
    pub config: Config,
    /// The file read; None when the default file is absent and defaults are used.
    pub path: Option<PathBuf>,
}

impl Config {
    /// Load `explicit` (from `--config`: must exist), else [`DEFAULT_CONFIG_PATH`] when it
    /// exists, else defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
        let (path, must_exist) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_PATH), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Loaded {
                config: Config::parse(&text, &path.display().to_string())?,
                path: Some(path),
            }),
            Err(e) if !must_exist && e.kind() == std::io::ErrorKind::NotFound => Ok(Loaded {
                config: Config::default(),
                path: None,
            }),
            Err(source) => Err(ConfigError::Io { path, source }),
        }
    }

    /// Parse the text of a config file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        toml::from_str::<Config>(text).map_err(|e| describe(e, text, file))
    }

    /// Where data lives: `--data-dir` > `$CCCD_DATA_DIR` > the config's `data_dir` >
    /// [`DEFAULT_DATA_DIR`].
    pub fn data_dir(&self, flag: Option<&Path>) -> PathBuf {
        flag.map(Path::to_path_buf)
            .or_else(|| std::env::var_os("CCCD_DATA_DIR").map(PathBuf::from))
            .or_else(|| self.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }

    /// The trust directory and whether it was named (a named directory must exist; the
    /// default one may be absent on a kiosk not yet provisioned).
    pub fn trust_dir(&self) -> (PathBuf, bool) {
        match &self.trust_dir {
            Some(d) => (d.clone(), true),
            None => (PathBuf::from(DEFAULT_TRUST_DIR), false),
        }
    }

    /// The officer with this id, if the PIN matches their hash.
    pub fn check_officer_pin(&self, officer_id: &str, pin: &str) -> Option<&Officer> {
        self.officers
            .iter()
            .find(|o| o.id == officer_id)
            .filter(|o| verify_pin(pin, &o.pin_hash))
    }
}

/// Hash an officer PIN (4–12 digits) as an Argon2id PHC string with a random salt.
pub fn hash_pin(pin: &str) -> Result<String, PinError> {
    let pin = pin.trim();
    if !(4..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PinError::Form);
    }
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(PinError::Hash)
}

/// True when `pin` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_pin(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(pin.trim().as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// `cccd-kiosk config hash-pin`: read a PIN from stdin (so it stays out of the shell
/// history and `ps`), print its PHC string. Returns the exit status.
pub fn cmd_hash_pin() -> i32 {
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        eprintln!("error: stdin: {e}");
        return 2;
    }
    let line = zeroize::Zeroizing::new(line);
    match hash_pin(&line) {
        Ok(h) => {
            println!("{h}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// `cccd-kiosk config check`: the configuration as resolved (where it came from, the
/// data directory after `--data-dir`), as JSON; officers' PIN hashes left out.
pub fn cmd_check(loaded: &Loaded, data_dir_flag: Option<&Path>) -> i32 {
    let (trust_dir, _) = loaded.config.trust_dir();
    let out = serde_json::json!({
        "file": loaded.path,
        "config": loaded.config,
        "resolved": {
            "data_dir": loaded.config.data_dir(data_dir_flag),
            "trust_dir": trust_dir,
        },
    });
    println!("{out:#}");
    0
}

// ---------------------------------------------------------------------------------------
// Error description: line/column from the span, the key from the text at the span.

fn describe(e: toml::de::Error, text: &str, file: &str) -> ConfigError {
    let file = file.to_string();
    let start = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let before = text.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = text
        .get(line_start..start)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    let message = e.message().trim().to_string();
    // The header in force includes one on the error's own line (a missing key is
    // reported at its table's header).
    let line_end = text
        .get(start..)
        .and_then(|r| r.find('\n'))
        .map(|i| start + i)
        .unwrap_or(text.len());
    let section = current_section(text.get(..line_end).unwrap_or(before));
    let mut key = text
        .get(line_start..)
        .and_then(|l| l.lines().next())
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .unwrap_or_default();
    let mut message_out = message.clone();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, expected) = rest.split_once('`').unwrap_or((rest, ""));
        key = name.to_string();
        let known = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ");
        message_out = format!("unknown key; the keys here are {known}");
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        key = rest.split('`').next().unwrap_or(rest).to_string();
        message_out = "missing; this key is required".into();
    }
    let key = match (section, key.is_empty()) {
        (Some(s), false) => format!("{s}.{key}"),
        (Some(s), true) => s,
        (None, false) => key,
        (None, true) => "(file)".into(),
    };
    ConfigError::Invalid {
        file,
        line,
        column,
        key,
        message: message_out,
    }
}

/// The `[table]` or `[[array]]` header in force at the end of `before`, with the array
/// index for `[[officer]]` (1-based, as a technician counts).
fn current_section(before: &str) -> Option<String> {
    let mut section = None;
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for l in before.lines() {
        let l = l.trim();
        if let Some(name) = l.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let n = counts.entry(name.trim().to_string()).or_insert(0);
            *n += 1;
            section = Some(format!("{}[{}]", name.trim(), n));
        } else if let Some(name) = l.strip_prefix('[').and_then(|r| r.split(']').next()) {
            section = Some(name.trim().to_string());
        }
    }
    section
}

// ---------------------------------------------------------------------------------------
// Value checks: each says the form it expects and shows what it found.

fn found(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Table(_) => "a table".into(),
        toml::Value::Array(_) => "a list".into(),
        other => other.to_string(),
    }
}

fn bad<E: serde::de::Error>(expected: &str, v: &toml::Value) -> E {
    E::custom(format!("expected {expected}, found {}", found(v)))
}

fn de_idle_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v {
        toml::Value::Integer(i) if (10..=3600).contains(&i) => Ok(i.unsigned_abs()),
        _ => Err(bad("a whole number of seconds between 10 and 3600", &v)),
    }
}

fn de_language<'de, D: Deserializer<'de>>(d: D) -> Result<Language, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v.as_str() {
        Some("vi") => Ok(Language::Vi),
        Some("en") => Ok(Language::En),
        _ => Err(bad("\"vi\" or \"en\"", &v)),
    }
}

fn de_log_level<'de, D: Deserializer<'de>>(d: D) -> Result<LogLevel, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v.as_str() {
        Some("error") => Ok(LogLevel::Error),
        Some("warn") => Ok(LogLevel::Warn),
        Some("info") => Ok(LogLevel::Info),
        Some("debug") => Ok(LogLevel::Debug),
        Some("trace") => Ok(LogLevel::Trace),
        _ => Err(bad(
            "one of \"error\", \"warn\", \"info\", \"debug\", \"trace\"",
            &v,
        )),
    }
}

const IDENT_FORM: &str = "1 to 32 letters, digits, '.', '_' or '-'";

fn ident_ok(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn de_ident<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v.as_str() {
        Some(s) if ident_ok(s) => Ok(s.to_string()),
        _ => Err(bad(IDENT_FORM, &v)),
    }
}

fn de_opt_ident<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_ident(d).map(Some)
}

fn de_opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(Some(s.to_string())),
        _ => Err(bad("a non-empty text", &v)),
    }
}

fn de_opt_abs_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v.as_str() {
        Some(s) if s.starts_with('/') => Ok(Some(PathBuf::from(s))),
        _ => Err(bad("an absolute path (starting with /)", &v)),
    }
}

fn de_opt_camera<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CameraSource>, D::Error> {
    let v = toml::Value::deserialize(d)?;
    let form = "a camera index (0), device (\"/dev/video0\"), a part of its name (\"C920\") \
                or the absolute path of an image file";
    if let Some(i) = v.as_integer() {
        return match u8::try_from(i) {
            Ok(i) if i < 64 => Ok(Some(CameraSource::Device(PathBuf::from(format!(
                "/dev/video{i}"
            ))))),
            _ => Err(bad(form, &v)),
        };
    }
    match v.as_str().map(str::trim) {
        Some(s) if s.starts_with("/dev/") => Ok(Some(CameraSource::Device(PathBuf::from(s)))),
        Some(s) if s.starts_with('/') => Ok(Some(CameraSource::File(PathBuf::from(s)))),
        Some(s) if !s.is_empty() && !s.contains('/') && s.chars().count() <= 64 => {
            Ok(Some(CameraSource::Name(s.to_string())))
        }
        _ => Err(bad(form, &v)),
    }
}

fn de_offices<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = toml::Value::deserialize(d)?;
    let form = "a list of 1 to 20 office names, e.g. [\"Công an huyện Mường Tè\"]";
    let list = v.as_array().ok_or_else(|| bad(form, &v))?;
    let mut out: Vec<String> = Vec::new();
    for item in list {
        match item.as_str().map(str::trim) {
            Some(s) if !s.is_empty() && s.chars().count() <= 120 && !out.iter().any(|o| o == s) => {
                out.push(s.to_string())
            }
            _ => return Err(bad(&format!("{form}, each non-empty and different"), item)),
        }
    }
    if out.is_empty() || out.len() > 20 {
        return Err(bad(form, &v));
    }
    Ok(out)
}

fn de_range<'de, D: Deserializer<'de>>(
    d: D,
    lo: i64,
    hi: i64,
    what: &str,
) -> Result<u32, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v {
        toml::Value::Integer(i) if (lo..=hi).contains(&i) => {
            u32::try_from(i).map_err(|_| bad(what, &v))
        }
        _ => Err(bad(&format!("{what} between {lo} and {hi}"), &v)),
    }
}

fn de_slot_minutes<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    de_range(d, 5, 240, "a whole number of minutes")
}

fn de_capacity<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    de_range(d, 1, 100, "a whole number of citizens")
}

fn de_book_ahead<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    de_range(d, 1, 90, "a whole number of days")
}

fn de_renewal_window<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    de_range(d, 1, 24, "a whole number of months")
}

fn de_days<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = toml::Value::deserialize(d)?;
    let form =
        "a list of weekdays from \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"";
    let list = v.as_array().ok_or_else(|| bad(form, &v))?;
    let mut out: Vec<String> = Vec::new();
    for item in list {
        match item.as_str().map(|s| s.trim().to_ascii_lowercase()) {
            Some(s) if WEEKDAYS.contains(&s.as_str()) => {
                if !out.contains(&s) {
                    out.push(s)
                }
            }
            _ => return Err(bad(form, item)),
        }
    }
    if out.is_empty() {
        return Err(bad(form, &v));
    }
    out.sort_by_key(|d| WEEKDAYS.iter().position(|w| w == d));
    Ok(out)
}

/// `HH:MM-HH:MM` → minutes after midnight, opening before closing.
fn parse_hours(s: &str) -> Option<(u32, u32)> {
    let minutes = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
    };
    let (a, b) = s.split_once('-')?;
    let (open, close) = (minutes(a)?, minutes(b)?);
    (open < close).then_some((open, close))
}

fn de_hours<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v
        .as_str()
        .and_then(|s| parse_hours(s).map(|_| s.trim().to_string()))
    {
        Some(s) => Ok(s),
        None => Err(bad(
            "opening hours \"HH:MM-HH:MM\", opening before closing (e.g. \"07:30-22:00\")",
            &v,
        )),
    }
}

/// The bech32 alphabet age recipients are written in (BIP 173).
const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// True when `s` has the form of an age X25519 recipient: `age1` + 58 bech32 characters.
/// (The age crate checks the checksum when the queue's export encrypts to it.)
pub fn looks_like_age_recipient(s: &str) -> bool {
    s.len() == 62
        && s.starts_with("age1")
        && s.get(4..)
            .is_some_and(|t| t.chars().all(|c| BECH32.contains(c)))
}

fn de_opt_recipient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ExportRecipient>, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v.as_str() {
        Some(s) if looks_like_age_recipient(s.trim()) => {
            Ok(Some(ExportRecipient::Key(s.trim().to_string())))
        }
        Some(s) if s.starts_with('/') => Ok(Some(ExportRecipient::File(PathBuf::from(s)))),
        _ => Err(bad(
            "an age public key (\"age1\" and 58 more characters) or the absolute path of a file holding one",
            &v,
        )),
    }
}

fn de_pin_hash<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = toml::Value::deserialize(d)?;
    let form = "an Argon2 PHC string (\"$argon2id$…\", made by `cccd-kiosk config hash-pin`)";
    let Some(s) = v.as_str() else {
        return Err(bad(form, &v));
    };
    match PasswordHash::new(s) {
        Ok(h) if h.algorithm.as_str().starts_with("argon2") && h.hash.is_some() => {
            Ok(s.to_string())
        }
        // Never echo what may be a plain PIN into a log or a screen.
        _ => Err(D::Error::custom(format!(
            "expected {form}, found something else (a plain PIN is not accepted)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (String, String, usize, usize) {
        match Config::parse(text, "/etc/cccd-kiosk/kiosk.toml") {
            Err(ConfigError::Invalid {
                key,
                message,
                line,
                column,
                file,
            }) => {
                assert_eq!(file, "/etc/cccd-kiosk/kiosk.toml");
                (key, message, line, column)
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let c = Config::parse("", "kiosk.toml").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.idle_timeout_secs, 60);
        assert_eq!(c.language, Language::Vi);
        assert_eq!(c.data_dir(None), PathBuf::from("/var/lib/cccd-kiosk"));
        assert_eq!(c.trust_dir(), (PathBuf::from(DEFAULT_TRUST_DIR), false));
    }

    #[test]
    fn full_example_parses() {
        let hash = hash_pin("246810").unwrap();
        let text = format!(
            r#"
kiosk_id = "HN-BADINH-03"
unit = "00001"
data_dir = "/srv/kiosk"
reader = "ACS ACR1252"
allow_virtual_readers = false
camera = "/dev/video2"
idle_timeout_secs = 90
language = "en"
trust_dir = "/media/usb/trust"
export_recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
log_level = "debug"

[[officer]]
id = "can-bo-01"
name = "Trần Văn Bình"
pin_hash = "{hash}"
"#
        );
        let c = Config::parse(&text, "kiosk.toml").unwrap();
        assert_eq!(c.kiosk_id.as_deref(), Some("HN-BADINH-03"));
        assert_eq!(
            c.camera,
            Some(CameraSource::Device(PathBuf::from("/dev/video2")))
        );
        for (line, want) in [
            (
                "camera = 1",
                CameraSource::Device(PathBuf::from("/dev/video1")),
            ),
            (
                "camera = \"HD Pro Webcam C920\"",
                CameraSource::Name("HD Pro Webcam C920".into()),
            ),
            (
                "camera = \"/srv/demo/face.jpg\"",
                CameraSource::File("/srv/demo/face.jpg".into()),
            ),
        ] {
            assert_eq!(
                Config::parse(line, "kiosk.toml").unwrap().camera,
                Some(want),
                "{line}"
            );
        }
        assert_eq!(c.idle_timeout_secs, 90);
        assert_eq!(c.language, Language::En);
        assert_eq!(c.log_level, LogLevel::Debug);
        assert!(matches!(c.export_recipient, Some(ExportRecipient::Key(_))));
        assert_eq!(c.officers.len(), 1);
        assert_eq!(c.officers[0].name, "Trần Văn Bình");
        // The PIN works, a wrong one and a wrong officer do not.
        assert!(c.check_officer_pin("can-bo-01", "246810").is_some());
        assert!(c.check_officer_pin("can-bo-01", "246811").is_none());
        assert!(c.check_officer_pin("can-bo-02", "246810").is_none());
        // --data-dir wins over the config.
        assert_eq!(c.data_dir(None), PathBuf::from("/srv/kiosk"));
        assert_eq!(
            c.data_dir(Some(Path::new("/tmp/x"))),
            PathBuf::from("/tmp/x")
        );
    }

    #[test]
    fn bad_idle_timeout_names_key_form_and_position() {
        let (key, msg, line, col) = err("kiosk_id = \"K1\"\n\nidle_timeout_secs = \"abc\"\n");
        assert_eq!(key, "idle_timeout_secs");
        assert_eq!(
            msg,
            "expected a whole number of seconds between 10 and 3600, found \"abc\""
        );
        assert_eq!((line, col), (3, 21));
        let (key, msg, ..) = err("idle_timeout_secs = 5");
        assert_eq!(key, "idle_timeout_secs");
        assert!(msg.ends_with("found 5"), "{msg}");
        let (_, msg, ..) = err("idle_timeout_secs = 60.5");
        assert!(msg.ends_with("found 60.5"), "{msg}");
    }

    #[test]
    fn whole_message_reads_like_the_issue_example() {
        let e = Config::parse("idle_timeout_secs = \"abc\"", "/etc/cccd-kiosk/kiosk.toml")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "/etc/cccd-kiosk/kiosk.toml:1:21: idle_timeout_secs: expected a whole number of seconds between 10 and 3600, found \"abc\""
        );
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let (key, msg, line, _) = err("kiosk_id = \"K1\"\nidle_timeout = 60\n");
        assert_eq!(key, "idle_timeout");
        assert_eq!(line, 2);
        assert!(msg.contains("unknown key"), "{msg}");
        assert!(msg.contains("idle_timeout_secs"), "{msg}");
        let (key, ..) = err("[[officer]]\nid = \"a\"\npin_hash = \"x\"\nrole = \"boss\"\n");
        assert!(key.starts_with("officer[1]"), "{key}");
    }

    #[test]
    fn each_value_form_is_checked() {
        for (text, key, expected) in [
            (
                "language = \"fr\"",
                "language",
                "expected \"vi\" or \"en\", found \"fr\"",
            ),
            ("log_level = \"verbose\"", "log_level", "expected one of"),
            (
                "kiosk_id = \"kiosk 1\"",
                "kiosk_id",
                "expected 1 to 32 letters",
            ),
            (
                "data_dir = \"var/lib\"",
                "data_dir",
                "expected an absolute path",
            ),
            ("trust_dir = 3", "trust_dir", "found 3"),
            (
                "camera = \"frames/a.jpg\"",
                "camera",
                "expected a camera index",
            ),
            ("camera = \" \"", "camera", "expected a camera index"),
            ("camera = -1", "camera", "expected a camera index"),
            (
                "export_recipient = \"age1xyz\"",
                "export_recipient",
                "expected an age public key",
            ),
            (
                "allow_virtual_readers = \"yes\"",
                "allow_virtual_readers",
                "bool",
            ),
            ("reader = \"\"", "reader", "a non-empty text"),
        ] {
            let (k, msg, ..) = err(text);
            assert_eq!(k, key, "{text}");
            assert!(msg.contains(expected), "{text}: {msg}");
        }
    }

    #[test]
    fn plain_pin_is_refused_without_echoing_it() {
        let (key, msg, line, _) = err("[[officer]]\nid = \"cb1\"\npin_hash = \"123456\"\n");
        assert_eq!(key, "officer[1].pin_hash");
        assert_eq!(line, 3);
        assert!(msg.contains("Argon2 PHC"), "{msg}");
        assert!(!msg.contains("123456"), "{msg}");
        let (key, msg, ..) = err("[[officer]]\nid = \"cb1\"\n");
        assert_eq!(key, "officer[1].pin_hash");
        assert!(msg.contains("required"), "{msg}");
        let h = hash_pin("1111").unwrap();
        let (key, ..) = err(&format!(
            "[[officer]]\nid = \"cb1\"\npin_hash = \"{h}\"\n[[officer]]\nid = \"cb 2\"\npin_hash = \"{h}\"\n"
        ));
        assert_eq!(key, "officer[2].id");
    }

    #[test]
    fn syntax_error_has_a_position() {
        let (_, _, line, _) = err("kiosk_id = \"K1\"\nunit = \n");
        assert_eq!(line, 2);
    }

    #[test]
    fn pin_hashes_are_salted_argon2id() {
        let a = hash_pin("123456").unwrap();
        let b = hash_pin("123456").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_pin("123456", &a) && verify_pin("123456", &b));
        assert!(!verify_pin("654321", &a));
        assert!(matches!(hash_pin("12a4"), Err(PinError::Form)));
        assert!(matches!(hash_pin("123"), Err(PinError::Form)));
        assert!(!verify_pin("123456", "not a hash"));
    }

    #[test]
    fn missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        assert!(matches!(
            Config::load(Some(&missing)),
            Err(ConfigError::Io { .. })
        ));
        let path = dir.path().join("kiosk.toml");
        std::fs::write(&path, "kiosk_id = \"K7\"\n").unwrap();
        let l = Config::load(Some(&path)).unwrap();
        assert_eq!(l.config.kiosk_id.as_deref(), Some("K7"));
        assert_eq!(l.path.as_deref(), Some(path.as_path()));
    }

    #[test]
    fn appointments_section_defaults_and_errors_name_key_and_line() {
        let c = Config::parse(
            "kiosk_id = \"K1\"\n[appointments]\noffices = [\"Công an xã Ka Lăng\", \"Công an huyện Mường Tè\"]\n",
            "kiosk.toml",
        )
        .unwrap();
        let a = c.appointments.unwrap();
        assert_eq!(a.offices[1], "Công an huyện Mường Tè");
        assert_eq!((a.slot_minutes, a.capacity, a.book_ahead_days), (30, 4, 14));
        assert_eq!(a.days.len(), 7);
        assert_eq!(a.hours_minutes(), (7 * 60 + 30, 22 * 60));
        assert_eq!(a.renewal_window_months, 6);
        assert!(Config::parse("", "k").unwrap().appointments.is_none());
        let c = Config::parse(
            "[appointments]\noffices = [\"CA\"]\ndays = [\"SUN\", \"sat\"]\nhours = \"13:00-17:30\"\n",
            "k",
        )
        .unwrap();
        let a = c.appointments.unwrap();
        assert_eq!(a.days, ["sat", "sun"]);
        assert_eq!(a.hours_minutes(), (13 * 60, 17 * 60 + 30));

        let (key, msg, line, _) =
            err("kiosk_id = \"K1\"\n[appointments]\noffices = [\"CA\"]\nslot_minutes = 0\n");
        assert_eq!((key.as_str(), line), ("appointments.slot_minutes", 4));
        assert!(msg.contains("between 5 and 240, found 0"), "{msg}");
        let (key, msg, ..) = err("[appointments]\noffices = [\"CA\"]\nhours = \"22:00-07:30\"\n");
        assert_eq!(key, "appointments.hours");
        assert!(msg.contains("opening before closing"), "{msg}");
        let (key, msg, ..) = err("[appointments]\noffices = [\"CA\"]\ndays = [\"monday\"]\n");
        assert_eq!(key, "appointments.days");
        assert!(msg.contains("found \"monday\""), "{msg}");
        let (key, msg, ..) = err("[appointments]\nslot_minutes = 15\n");
        assert_eq!(key, "appointments.offices");
        assert!(msg.contains("required"), "{msg}");
        let (key, msg, ..) = err("[appointments]\noffices = []\n");
        assert_eq!(key, "appointments.offices");
        assert!(msg.contains("1 to 20 office names"), "{msg}");
        let (key, msg, ..) = err("[appointments]\noffices = [\"CA\"]\ncapacity_per_slot = 3\n");
        assert_eq!(key, "appointments.capacity_per_slot");
        assert!(msg.contains("unknown key"), "{msg}");
    }

    #[test]
    fn age_recipient_form() {
        assert!(looks_like_age_recipient(
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
        ));
        assert!(!looks_like_age_recipient(
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcacbp"
        ));
        assert!(!looks_like_age_recipient("age1abc"));
    }
}
