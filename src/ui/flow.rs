//! The kiosk as one state machine: [`Screen`] is where the citizen is, [`Session`]
//! what they have given so far, [`Event`] what happened (a tap, a card, a worker's
//! result, a timer), and [`transition`] the only place the screen changes. The
//! function is pure apart from the clock: what must happen outside (start a read,
//! switch the camera, enqueue) comes back as [`Effect`]s for the app to run.
//!
//! Order (DESIGN.md "Flow and consent", Decree 13/2023): the citizen accepts the
//! consent text before the chip is read or a photo taken; nothing is enqueued
//! before the Phone step completes; leaving the flow anywhere (decline, cancel,
//! idle timeout, home) replaces the [`Session`] with an empty one, and a
//! `Session` wipes its bytes and strings when dropped.

use super::i18n::Lang;
use super::sink::{Enrollment, Mode, PhotoQuality, Service};
use crate::application::draft::Draft;
use crate::application::fields::{Procedure, Reason};
use crate::application::renewal::RenewalOffer;
use crate::application::vietnamese_input::{Composer, InputMethod};
use crate::card::access_key::KeyPlan;
use crate::card::monitor::CardEvent;
use crate::card::passive_auth::Verdict;
use crate::card::reader::Progress;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use zeroize::Zeroize;

/// Version of the consent text shown (bump it whenever `consent.*` strings change).
pub const CONSENT_VERSION: &str = "vi-2026-11-v1";

/// The screens, in the order a citizen meets them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Screen {
    #[default]
    Welcome,
    Consent,
    PlaceCard,
    CardKey,
    Reading,
    Review,
    Photo,
    /// A citizen aged 14–15: the officer records the guardian who consents.
    Guardian,
    Phone,
    Done {
        receipt: String,
    },
    /// PIN pad, then the officer's settings.
    Officer {
        unlocked: bool,
    },
    /// Officer mode: the `doctor` checks and the camera's frame rate.
    Diagnostics,
    /// The supervisor's end of day (from officer mode, behind the supervisor passphrase).
    Supervisor,
    /// The "5 rõ" tracker, from officer mode.
    Tracker,
    /// The officers' appointment list (who came, who did not), from officer mode.
    Appointments,
    /// Card application (issue 9), step 1: procedure and reason.
    ApplyProcedure,
    /// Card application: the applicant's data on the on-screen keyboard.
    ApplyData,
    /// Card application: check the data, each field's problem under it.
    ApplyCheck,
    /// Card application: receiving office, day and slot.
    ApplySlot,
    /// Card application: the declaration, then submit.
    ApplyDeclare,
    /// Card application stored: receipt, appointment, what to bring.
    ApplyDone(Box<ApplyReceipt>),
}

/// What the card application's done screen shows (no personal data: the
/// receipt code, the appointment, the reminders of the procedure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyReceipt {
    /// The record's receipt code (8 characters with a check character).
    pub receipt: String,
    /// The appointment: receiving office, day, start and end.
    pub office: String,
    pub day: chrono::NaiveDate,
    pub start: chrono::NaiveTime,
    pub end: chrono::NaiveTime,
    /// What was applied for (chooses the reminders of what to bring).
    pub procedure: Procedure,
    pub reason: Reason,
}

impl Screen {
    /// A stable name (screenshots, logs, benchmarks).
    pub fn name(&self) -> &'static str {
        match self {
            Screen::Welcome => "welcome",
            Screen::Consent => "consent",
            Screen::PlaceCard => "place_card",
            Screen::CardKey => "card_key",
            Screen::Reading => "reading",
            Screen::Review => "review",
            Screen::Photo => "photo",
            Screen::Guardian => "guardian",
            Screen::Phone => "phone",
            Screen::Done { .. } => "done",
            Screen::Officer { .. } => "officer",
            Screen::Diagnostics => "diagnostics",
            Screen::Supervisor => "supervisor",
            Screen::Tracker => "tracker",
            Screen::Appointments => "appointments",
            Screen::ApplyProcedure => "apply_procedure",
            Screen::ApplyData => "apply_data",
            Screen::ApplyCheck => "apply_check",
            Screen::ApplySlot => "apply_slot",
            Screen::ApplyDeclare => "apply_declare",
            Screen::ApplyDone(_) => "apply_done",
        }
    }
}

/// Reader status as the monitor reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReaderStatus {
    #[default]
    NoReader,
    Ready(String),
    CardPresent(String),
    /// pcscd is not running or failing.
    ServiceDown,
}

/// A message for the citizen: an i18n key, the field it is about (an i18n key), and
/// a detail for the officer (English, from the layer below).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub key: &'static str,
    pub field: Option<&'static str>,
    pub detail: Option<String>,
}

impl Notice {
    /// A notice with no field.
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            field: None,
            detail: None,
        }
    }
}

/// Which way the citizen gives the card key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyTab {
    #[default]
    Qr,
    Typed,
    Mrz,
}

/// Which typed field the keypad writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyField {
    #[default]
    Id,
    Dob,
}

/// What the citizen typed for the card key (wiped on drop).
#[derive(Debug, Default, Clone)]
pub struct KeyEntry {
    pub tab: KeyTab,
    pub field: KeyField,
    pub id: String,
    /// Date of birth digits as typed, DDMMYYYY.
    pub dob: String,
    pub mrz: String,
    pub qr: Option<String>,
}

impl Drop for KeyEntry {
    fn drop(&mut self) {
        self.id.zeroize();
        self.dob.zeroize();
        self.mrz.zeroize();
        if let Some(q) = self.qr.as_mut() {
            q.zeroize();
        }
    }
}

/// The card as the flow needs it, taken out of `CardRead` (wiped on drop).
#[derive(Debug, Clone, Default)]
pub struct CardData {
    pub full_name: String,
    pub id_number: String,
    pub date_of_birth: String,
    pub sex: String,
    pub address: String,
    pub verdict: Option<Verdict>,
    /// Reasons behind a non-genuine verdict, for the officer.
    pub reasons: Vec<String>,
    pub card_json: String,
    pub sod: Vec<u8>,
    pub dg1: Vec<u8>,
    pub dg13: Vec<u8>,
    /// The chip's face image decoded to RGB (for display) and its hash.
    pub photo_rgb: Option<(u32, u32, Vec<u8>)>,
    pub photo_sha256: String,
    /// SHA-256 of the whole DG2 file (hex): what the SOD hashes, kept for re-verification.
    pub dg2_sha256: String,
}

impl Drop for CardData {
    fn drop(&mut self) {
        self.full_name.zeroize();
        self.id_number.zeroize();
        self.date_of_birth.zeroize();
        self.sex.zeroize();
        self.address.zeroize();
        self.reasons.zeroize();
        self.card_json.zeroize();
        self.sod.zeroize();
        self.dg1.zeroize();
        self.dg13.zeroize();
        if let Some((_, _, px)) = self.photo_rgb.as_mut() {
            px.zeroize();
        }
    }
}

/// The captured live photo (wiped on drop).
#[derive(Debug, Clone)]
pub struct LivePhoto {
    pub jpeg: Vec<u8>,
    pub sha256: String,
    pub rgb: (u32, u32, Vec<u8>),
    pub quality: PhotoQuality,
}

impl Drop for LivePhoto {
    fn drop(&mut self) {
        self.jpeg.zeroize();
        self.rgb.2.zeroize();
    }
}

/// Which contact the citizen gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactKind {
    #[default]
    Own,
    /// A relative's number (the citizen has no phone), with the relation.
    Relative,
    Email,
}

/// The contact step: phone typed twice (own or a relative's), or an e-mail.
#[derive(Debug, Default, Clone)]
pub struct PhoneEntry {
    pub kind: ContactKind,
    pub first: String,
    pub second: String,
    /// True once the first entry was accepted and the citizen types it again.
    pub confirming: bool,
    /// Relation of the relative (an i18n key, `kin.*`).
    pub relation: Option<&'static str>,
    pub email: String,
    /// The contact confirmed, waiting for the duplicate check or the save.
    pub contact: Option<super::sink::Contact>,
    /// The number already checked against today's records (no second check).
    pub checked: Option<String>,
    /// Records today that already carry the number: the warning shown.
    pub duplicate: Option<u64>,
    /// The record is being written (buttons off, idle timer held).
    pub saving: bool,
}

impl Drop for PhoneEntry {
    fn drop(&mut self) {
        self.first.zeroize();
        self.second.zeroize();
        self.email.zeroize();
        if let Some(c) = self.checked.as_mut() {
            c.zeroize();
        }
        self.contact = None; // a Contact wipes itself on drop
    }
}

/// Which guardian field the keypad writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GuardianField {
    #[default]
    Name,
    Id,
}

/// The guardian as the officer types them (wiped on drop).
#[derive(Debug, Default, Clone)]
pub struct GuardianEntry {
    pub field: GuardianField,
    pub full_name: String,
    /// An i18n key of the relation (`relation.mother`, …).
    pub relation: Option<&'static str>,
    pub id_number: String,
}

impl Drop for GuardianEntry {
    fn drop(&mut self) {
        self.full_name.zeroize();
        self.id_number.zeroize();
    }
}

/// Version of the card-application consent text (`apply.consent_*` strings).
pub const APPLY_CONSENT_VERSION: &str = "vi-2026-11-app-v1";

/// Which applicant field the on-screen keyboard writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApplyField {
    #[default]
    FullName,
    DateOfBirth,
    IdNumber,
    OldIdNumber,
    PlaceOfResidence,
}

impl ApplyField {
    /// Names and addresses compose Vietnamese; dates and numbers are typed as they are.
    pub fn method(self, chosen: InputMethod) -> InputMethod {
        match self {
            ApplyField::FullName | ApplyField::PlaceOfResidence => chosen,
            _ => InputMethod::Plain,
        }
    }
}

/// A card application being filled in (issue 9). The [`Draft`] zeroizes its
/// form on drop, and the composer's text is wiped too.
#[derive(Debug, Clone, Default)]
pub struct ApplyEntry {
    pub draft: Draft,
    /// The field the keyboard writes to, and its composer (Telex/VNI/plain).
    pub field: ApplyField,
    pub composer: Composer,
    /// Telex or VNI, as the officer chose on the keyboard.
    pub method: InputMethod,
    /// Next letter upper case (the keyboard's shift key).
    pub shift: bool,
    /// Office and day chosen on the slot screen (the slot itself is in the draft).
    pub office: Option<String>,
    pub day: Option<chrono::NaiveDate>,
    /// The submission is on the worker thread (buttons off, idle timer held).
    pub submitting: bool,
    /// Offered from a chip read: the renewal's one-sentence reason.
    pub renewal: Option<RenewalOffer>,
}

impl ApplyEntry {
    /// A new application for a draft; the keyboard starts on the full name.
    pub fn new(draft: Draft) -> ApplyEntry {
        let mut e = ApplyEntry::default();
        e.draft = draft;
        e.focus(ApplyField::FullName);
        e
    }

    /// The form's text for `f`.
    pub fn value_mut(&mut self, f: ApplyField) -> &mut String {
        let form = &mut self.draft.form;
        match f {
            ApplyField::FullName => &mut form.full_name,
            ApplyField::DateOfBirth => &mut form.date_of_birth,
            ApplyField::IdNumber => &mut form.id_number,
            ApplyField::OldIdNumber => &mut form.old_id_number,
            ApplyField::PlaceOfResidence => &mut form.place_of_residence,
        }
    }

    /// Move the keyboard to `f` (its text goes into the composer).
    pub fn focus(&mut self, f: ApplyField) {
        self.field = f;
        let text = zeroize::Zeroizing::new(self.value_mut(f).clone());
        self.composer.set_method(f.method(self.method));
        // The previous field's text is in the form already: wipe the composer's copy.
        self.composer.wipe();
        self.composer.set_text(&text);
    }

    /// Switch Telex/VNI.
    pub fn set_method(&mut self, m: InputMethod) {
        self.method = m;
        self.composer.set_method(self.field.method(m));
    }

    /// Copy the composer's text into the focused field.
    pub fn sync(&mut self) {
        let text = self.composer.text().to_string();
        *self.value_mut(self.field) = text;
    }
}

impl Drop for ApplyEntry {
    fn drop(&mut self) {
        self.composer.wipe();
    }
}

/// Why a submission failed, as the flow needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitFailure {
    /// The notice shown (an i18n key).
    pub key: &'static str,
    /// The slot filled up or is over: back to the slot screen to choose again.
    pub back_to_slot: bool,
    /// A typed field is wrong: its message (Vietnamese, English).
    pub field: Option<(String, String)>,
    /// For the officer.
    pub detail: String,
}

/// Youngest age served at all (a younger citizen is refused with a clear message).
pub const MIN_AGE: u32 = 14;
/// Up to this age a guardian consents with the citizen (Decree 13/2023 Art. 20).
pub const GUARDIAN_UNTIL_AGE: u32 = 15;
/// Youngest age of a guardian (an adult).
pub const GUARDIAN_MIN_AGE: i32 = 18;

/// Typical sizes on a CCCD of the files every read goes through (cccd-chip.md §3), for
/// the part of the bar a file takes before its first reply says its real size: the
/// reader learns sizes file by file (reader.rs), and DG2's photo, read near the end,
/// is most of the card.
const TYPICAL_SIZES: [(u16, usize); 5] = [
    (0x011E, 26),     // EF.COM
    (0x0101, 95),     // DG1
    (0x010D, 500),    // DG13
    (0x0102, 15_000), // DG2
    (0x011D, 1_600),  // EF.SOD
];

/// The share of the card read so far: bytes read over the sizes known, plus the
/// typical size of each file not reached yet.
pub fn read_fraction(progress: &BTreeMap<u16, (usize, usize)>) -> f32 {
    let (done, known) = progress
        .values()
        .fold((0usize, 0usize), |(d, t), (a, b)| (d + a, t + b));
    let expected: usize = TYPICAL_SIZES
        .iter()
        .filter(|(fid, _)| !progress.contains_key(fid))
        .map(|(_, size)| size)
        .sum();
    let total = known + expected;
    if total == 0 {
        0.0
    } else {
        (done as f32 / total as f32).min(1.0)
    }
}

/// One citizen's data while they are at the kiosk.
#[derive(Debug, Default)]
pub struct Session {
    pub service: Option<Service>,
    pub consent_at: Option<DateTime<Utc>>,
    pub key: KeyEntry,
    pub plan: Option<KeyPlan>,
    /// Bytes read per file (FID → done, total).
    pub progress: BTreeMap<u16, (usize, usize)>,
    /// The share of the read the progress bar shows: the highest [`read_fraction`] so
    /// far, so the bar never goes back when a file turns out larger than expected.
    pub progress_shown: f32,
    pub card: Option<CardData>,
    pub photo: Option<LivePhoto>,
    pub phone: PhoneEntry,
    /// Age in whole years on the day of the read (from the chip's date of birth).
    pub age: Option<u32>,
    pub guardian: GuardianEntry,
    /// The guardian the officer confirmed (ages 14–15).
    pub guardian_ok: Option<crate::queue::record::Guardian>,
    /// What the current screen should tell the citizen.
    pub notice: Option<Notice>,
    /// The read worker's id; results from other (cancelled) reads are dropped.
    pub read_id: u64,
    /// A card application in progress (issue 9).
    pub apply: Option<Box<ApplyEntry>>,
    /// A renewal the chip read offers (kept for the Done screen).
    pub renewal: Option<RenewalOffer>,
}

impl Session {
    /// True when the session holds anything personal (the idle-wipe test uses it).
    pub fn holds_personal_data(&self) -> bool {
        self.plan.is_some()
            || self.card.is_some()
            || self.photo.is_some()
            || !self.key.id.is_empty()
            || !self.key.dob.is_empty()
            || !self.key.mrz.is_empty()
            || self.key.qr.is_some()
            || !self.phone.first.is_empty()
            || !self.phone.second.is_empty()
            || !self.phone.email.is_empty()
            || self.phone.contact.is_some()
            || !self.guardian.full_name.is_empty()
            || !self.guardian.id_number.is_empty()
            || self.guardian_ok.is_some()
            || self.apply.is_some()
    }
}

/// Officer settings, kept across citizens until changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Officer {
    pub officer_id: String,
    pub unit: String,
    pub mode: Mode,
}

/// An officer PIN on its way to be checked (wiped on drop, never printed).
#[derive(Clone, Default)]
pub struct Pin(pub zeroize::Zeroizing<String>);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(…)")
    }
}

/// What a PIN check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinCheck {
    /// It matched this configured officer's Argon2 hash.
    Officer(String),
    /// It matched the fallback PIN (no officers configured): the officer types their id.
    Fallback,
    Wrong,
}

/// Officer-mode lock-out: after `attempts` wrong PINs in a row, no PIN is checked
/// for `lockout` (a 4-digit PIN must not be guessable by a bystander in an afternoon).
#[derive(Debug, Clone, Copy)]
pub struct PinPolicy {
    pub attempts: u32,
    pub lockout: chrono::Duration,
}

impl Default for PinPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            lockout: chrono::Duration::minutes(5),
        }
    }
}

/// Everything the state machine holds.
#[derive(Debug, Default)]
pub struct Flow {
    pub screen: Screen,
    pub session: Session,
    pub lang: Lang,
    /// The configured language, restored after every wipe.
    pub home_lang: Lang,
    pub reader: ReaderStatus,
    pub officer: Officer,
    /// True when `officer.officer_id` came from a configured officer's PIN (not typed).
    pub officer_verified: bool,
    /// Wrong PINs since the last good one or lock-out (kept across citizens).
    pub pin_failures: u32,
    /// Officer mode refuses PINs until then.
    pub pin_locked_until: Option<DateTime<Utc>>,
    pub pin_policy: PinPolicy,
    /// The last diagnostics report (no personal data), None while the checks run.
    pub diagnostics: Option<Box<crate::doctor::Report>>,
    /// Monotonic counter for read ids.
    pub reads_started: u64,
    /// Card applications are set up here (`[appointments]` in the config).
    pub applications: bool,
    /// Offer a renewal this many months before expiry (None: no applications).
    pub renewal_window_months: Option<u32>,
}

/// How a read ended, as the flow needs to know it.
#[derive(Debug)]
pub enum ReadOutcome {
    Card(Box<CardData>),
    /// Every key refused.
    KeyRefused {
        detail: String,
    },
    /// The card left the reader.
    CardRemoved,
    /// Any other failure (reader, link, not an ID card).
    Failed {
        detail: String,
    },
}

/// Something that happened.
#[derive(Debug)]
pub enum Event {
    /// Welcome: the citizen picked a service.
    Start(Service),
    SetLang(Lang),
    ConsentAccepted,
    ConsentDeclined,
    Card(CardEvent),
    /// Place card: the card is on the reader, go on.
    CardReady,
    /// Card key: the citizen switched between QR, typed fields and MRZ.
    KeyTab(KeyTab),
    /// Card key ready (from QR, typed fields or MRZ).
    KeyReady(KeyPlan),
    /// The key input is wrong (shown on the Card key screen).
    KeyInvalid(Notice),
    ReadProgress {
        read_id: u64,
        progress: Progress,
    },
    ReadDone {
        read_id: u64,
        outcome: ReadOutcome,
    },
    /// Back to the previous step / cancel the current one.
    Back,
    ReviewAccepted,
    /// The officer confirmed the guardian's details (validated by the transition).
    GuardianConfirmed,
    PhotoTaken(Box<LivePhoto>),
    Retake,
    PhotoAccepted,
    /// The citizen's own phone number, normalised and confirmed.
    PhoneConfirmed(String),
    /// Any contact, validated by the Phone screen.
    ContactConfirmed(super::sink::Contact),
    /// The sink's answer: records today with this phone.
    PhoneChecked {
        phone: String,
        count: Result<u64, String>,
    },
    /// The number is on another record today, and the citizen keeps it.
    DuplicateAccepted,
    /// Try the failed save again (the citizen's data were kept).
    RetrySave,
    Enqueued(Result<String, String>),
    /// No touch for the idle limit, or the Done screen's time is up.
    Idle,
    Home,
    OfficerOpen,
    /// Unlock without a PIN check (the demo tour only; no screen sends it).
    OfficerUnlocked,
    /// The officer typed a PIN and tapped Unlock.
    OfficerPin(Pin),
    /// The PIN worker's answer.
    OfficerPinChecked(PinCheck),
    OfficerSaved(Officer),
    /// Officer mode: run the diagnostics.
    DiagnosticsOpen,
    /// The diagnostics worker's report.
    DiagnosticsDone(Box<crate::doctor::Report>),
    /// Officer mode: open the supervisor screen.
    SupervisorOpen,
    /// Officer mode: open the "5 rõ" tracker (dashboard, roster, home visits, tasks).
    TrackerOpen,
    /// Officer mode: open the appointment list.
    AppointmentsOpen,
    /// Card application: the step is done, go on (checked by the transition).
    ApplyNext,
    /// Card application: submit the finished draft.
    ApplySubmit,
    /// The desk's answer (on a worker thread).
    ApplySubmitted(Result<Box<ApplyReceipt>, SubmitFailure>),
    /// Done (activation): book the renewal the chip read offered.
    ApplyRenewal,
    /// Card application, data step: prefill from the old card's chip (read it).
    ApplyReadOldCard,
    /// Card application, check step: record the guardian of an applicant under 16.
    ApplyGuardian,
    /// Tracker roster: start a card application prefilled from a roster entry
    /// (after the consent; the citizen checks the data).
    ApplyFromRoster(Box<crate::application::record::ApplicantForm>),
    /// Officer mode: start a card application for the citizen beside the officer,
    /// with the officer's settings as drafted (the mode goes on the record).
    ApplyAssisted(Officer),
}

/// Work for the app to do after a transition.
#[derive(Debug)]
pub enum Effect {
    StartRead {
        read_id: u64,
        plan: Box<KeyPlan>,
    },
    Camera(crate::camera::worker::Mode),
    Enqueue(Box<Enrollment>),
    /// Check a PIN against the configured hashes (Argon2 is slow on purpose: a worker).
    CheckPin(Pin),
    /// Count today's records with this phone (on the sink's thread).
    CheckPhone(String),
    /// Run the `doctor` checks on a worker thread.
    RunDiagnostics,
    /// Store the application and book its slot on a worker thread.
    SubmitApplication {
        draft: Box<Draft>,
        officer: Officer,
    },
}

/// The one place the screen changes.
pub fn transition(mut flow: Flow, event: Event, now: DateTime<Utc>) -> (Flow, Vec<Effect>) {
    use crate::camera::worker::Mode as Cam;
    let mut fx = Vec::new();
    // Events that apply on every screen.
    match event {
        Event::Card(ref e) => {
            update_reader(&mut flow.reader, e);
        }
        Event::SetLang(l) => {
            flow.lang = l;
            return (flow, fx);
        }
        Event::Idle | Event::Home => {
            flow = wipe(flow);
            fx.push(Effect::Camera(Cam::Off));
            return (flow, fx);
        }
        _ => {}
    }
    let screen = std::mem::take(&mut flow.screen);
    let next = match (screen, event) {
        (Screen::Welcome, Event::Start(super::sink::Service::CardApplication))
            if !flow.applications =>
        {
            flow.session.notice = Some(Notice::new("apply.not_set_up"));
            Screen::Welcome
        }
        (Screen::Welcome, Event::Start(service)) => {
            flow.session.notice = None;
            flow.session.service = Some(service);
            Screen::Consent
        }
        (Screen::Welcome, Event::OfficerOpen) => Screen::Officer { unlocked: false },
        (Screen::Officer { .. }, Event::OfficerUnlocked) => Screen::Officer { unlocked: true },
        (Screen::Officer { unlocked: false }, Event::OfficerPin(pin)) => {
            if flow.pin_locked_until.is_some_and(|t| now < t) {
                // Locked: the PIN is not even checked.
            } else {
                flow.pin_locked_until = None;
                fx.push(Effect::CheckPin(pin));
            }
            Screen::Officer { unlocked: false }
        }
        (Screen::Officer { unlocked: false }, Event::OfficerPinChecked(check)) => match check {
            PinCheck::Wrong => {
                flow.pin_failures += 1;
                if flow.pin_failures >= flow.pin_policy.attempts {
                    flow.pin_failures = 0;
                    flow.pin_locked_until = Some(now + flow.pin_policy.lockout);
                    tracing::warn!("officer mode locked after repeated wrong PINs");
                }
                Screen::Officer { unlocked: false }
            }
            PinCheck::Officer(id) => {
                flow.pin_failures = 0;
                tracing::info!(officer = %id, "officer mode unlocked");
                flow.officer.officer_id = id;
                flow.officer_verified = true;
                Screen::Officer { unlocked: true }
            }
            PinCheck::Fallback => {
                flow.pin_failures = 0;
                flow.officer_verified = false;
                Screen::Officer { unlocked: true }
            }
        },
        (Screen::Officer { unlocked: true }, Event::OfficerSaved(mut o)) => {
            if flow.officer_verified {
                // The id is the one whose PIN matched, whatever the draft says.
                o.officer_id = flow.officer.officer_id.clone();
            }
            flow.officer = o;
            Screen::Welcome
        }
        (Screen::Officer { unlocked: true }, Event::DiagnosticsOpen) => {
            flow.diagnostics = None;
            fx.push(Effect::RunDiagnostics);
            // Count frames (no analysis) for the camera's frame rate.
            fx.push(Effect::Camera(Cam::Measure));
            Screen::Diagnostics
        }
        (Screen::Diagnostics, Event::DiagnosticsDone(r)) => {
            flow.diagnostics = Some(r);
            Screen::Diagnostics
        }
        (Screen::Diagnostics, Event::DiagnosticsOpen) if flow.diagnostics.is_some() => {
            flow.diagnostics = None;
            fx.push(Effect::RunDiagnostics);
            Screen::Diagnostics
        }
        (Screen::Diagnostics, Event::Back) => {
            fx.push(Effect::Camera(Cam::Off));
            Screen::Officer { unlocked: true }
        }
        (Screen::Officer { .. }, Event::Back) => Screen::Welcome,
        (Screen::Officer { unlocked: true }, Event::SupervisorOpen) => Screen::Supervisor,
        (Screen::Supervisor, Event::Back) => Screen::Officer { unlocked: true },
        (Screen::Officer { unlocked: true }, Event::TrackerOpen) => Screen::Tracker,
        (Screen::Tracker, Event::Back) => Screen::Officer { unlocked: true },
        (Screen::Officer { unlocked: true }, Event::AppointmentsOpen) if flow.applications => {
            Screen::Appointments
        }
        (Screen::Appointments, Event::Back) => Screen::Officer { unlocked: true },
        (Screen::Tracker, Event::ApplyFromRoster(form)) => {
            start_assisted(&mut flow, Some(*form), Screen::Tracker)
        }
        (Screen::Officer { unlocked: true }, Event::ApplyAssisted(mut o)) => {
            if flow.officer_verified {
                o.officer_id = flow.officer.officer_id.clone();
            }
            flow.officer = o;
            start_assisted(&mut flow, None, Screen::Officer { unlocked: true })
        }
        (Screen::Consent, Event::ConsentAccepted)
            if flow.session.service == Some(super::sink::Service::CardApplication) =>
        {
            flow.session.consent_at = Some(now);
            let consent = crate::queue::record::Consent {
                text_version: APPLY_CONSENT_VERSION.into(),
                accepted_at: now,
                guardian: None,
            };
            match flow.session.apply.as_mut() {
                // Started from the roster or officer mode: keep the prefilled draft.
                Some(entry) => entry.draft.consent = Some(consent),
                None => flow.session.apply = Some(Box::new(ApplyEntry::new(Draft::new(consent)))),
            }
            Screen::ApplyProcedure
        }
        (Screen::Consent, Event::ConsentAccepted) => {
            flow.session.consent_at = Some(now);
            after_consent(&mut flow, &mut fx)
        }
        (Screen::Consent, Event::ConsentDeclined | Event::Back) => {
            flow = wipe(flow);
            Screen::Welcome
        }
        (Screen::PlaceCard, Event::Card(CardEvent::CardInserted { .. })) => {
            flow.session.notice = None;
            to_card_key(&mut flow, &mut fx)
        }
        (Screen::PlaceCard, Event::CardReady)
            if matches!(flow.reader, ReaderStatus::CardPresent(_)) =>
        {
            flow.session.notice = None;
            to_card_key(&mut flow, &mut fx)
        }
        (Screen::CardKey, Event::KeyTab(tab)) => {
            flow.session.key.tab = tab;
            flow.session.notice = None;
            fx.push(Effect::Camera(if tab == KeyTab::Qr {
                Cam::Qr
            } else {
                Cam::Off
            }));
            Screen::CardKey
        }
        (Screen::CardKey, Event::Card(CardEvent::CardRemoved(_))) => {
            fx.push(Effect::Camera(Cam::Off));
            Screen::PlaceCard
        }
        // Hot-plug: a reader unplugged while the citizen types the key sends them back
        // to Place card, which follows the monitor (no reader → reader → card).
        (Screen::CardKey | Screen::PlaceCard, Event::Card(CardEvent::ReaderRemoved(_)))
            if flow.reader == ReaderStatus::NoReader =>
        {
            fx.push(Effect::Camera(Cam::Off));
            flow.session.notice = Some(Notice::new("err.reader_removed"));
            Screen::PlaceCard
        }
        (Screen::PlaceCard, Event::Card(CardEvent::ReaderAdded(_))) => {
            if flow.session.notice.as_ref().map(|n| n.key) == Some("err.reader_removed") {
                flow.session.notice = None;
            }
            Screen::PlaceCard
        }
        (Screen::CardKey, Event::KeyInvalid(n)) => {
            flow.session.notice = Some(n);
            Screen::CardKey
        }
        (Screen::CardKey, Event::KeyReady(plan)) => {
            flow.session.notice = None;
            flow.session.progress.clear();
            flow.session.progress_shown = 0.0;
            flow.reads_started += 1;
            flow.session.read_id = flow.reads_started;
            fx.push(Effect::Camera(Cam::Off));
            fx.push(Effect::StartRead {
                read_id: flow.session.read_id,
                plan: Box::new(plan.clone()),
            });
            flow.session.plan = Some(plan);
            Screen::Reading
        }
        // Reading an old card for a card application: Back returns to its data step.
        (Screen::PlaceCard | Screen::CardKey, Event::Back) if flow.session.apply.is_some() => {
            flow.session.notice = None;
            flow.session.key = KeyEntry::default();
            fx.push(Effect::Camera(Cam::Off));
            Screen::ApplyData
        }
        (Screen::PlaceCard | Screen::CardKey, Event::Back) => {
            flow = wipe(flow);
            fx.push(Effect::Camera(Cam::Off));
            Screen::Welcome
        }
        (Screen::Reading, Event::ReadProgress { read_id, progress }) => {
            if read_id == flow.session.read_id {
                flow.session
                    .progress
                    .insert(progress.fid, (progress.done, progress.total));
                flow.session.progress_shown = flow
                    .session
                    .progress_shown
                    .max(read_fraction(&flow.session.progress));
            }
            Screen::Reading
        }
        (Screen::Reading, Event::Back) => {
            // Cancel: the worker's late result carries an old read id and is dropped.
            flow.session.read_id = 0;
            flow.session.notice = Some(Notice::new("reading.cancelled"));
            to_card_key(&mut flow, &mut fx)
        }
        (Screen::Reading, Event::ReadDone { read_id, outcome })
            if read_id == flow.session.read_id =>
        {
            match outcome {
                ReadOutcome::Card(card) if flow.session.apply.is_some() => {
                    // An old card read for a card application: its chip prefills the
                    // form (the citizen checks it); nothing of the read is kept beyond
                    // what the application record stores.
                    let read: Option<serde_json::Value> =
                        serde_json::from_str(&card.card_json).ok();
                    let old = old_card(&card);
                    flow.session.plan = None;
                    match (read, flow.session.apply.as_mut()) {
                        (Some(read), Some(entry)) => {
                            entry.draft.prefill_chip(&read["citizen"], old);
                            entry.focus(ApplyField::FullName);
                            Screen::ApplyCheck
                        }
                        _ => {
                            flow.session.notice = Some(Notice::new("err.read_failed"));
                            Screen::ApplyData
                        }
                    }
                }
                ReadOutcome::Card(card) => {
                    flow.session.age = chip_age(&card.date_of_birth, now);
                    if flow.session.age.is_some_and(|a| a < MIN_AGE) {
                        flow.session.notice = Some(Notice::new("err.too_young"));
                    }
                    flow.session.renewal = flow.renewal_window_months.and_then(|m| {
                        let read = serde_json::from_str(&card.card_json).ok()?;
                        let today = now.with_timezone(&chrono::Local).date_naive();
                        crate::application::renewal::offer_from_read(&read, today, m)
                    });
                    flow.session.card = Some(*card);
                    flow.session.plan = None;
                    Screen::Review
                }
                ReadOutcome::KeyRefused { detail } => {
                    let field = match flow.session.key.tab {
                        KeyTab::Qr => "field.qr",
                        KeyTab::Typed => "field.id_dob",
                        KeyTab::Mrz => "field.mrz",
                    };
                    flow.session.plan = None;
                    flow.session.notice = Some(Notice {
                        key: "err.key_refused",
                        field: Some(field),
                        detail: Some(detail),
                    });
                    to_card_key(&mut flow, &mut fx)
                }
                ReadOutcome::CardRemoved => {
                    flow.session.plan = None;
                    flow.session.notice = Some(Notice::new("err.card_removed"));
                    Screen::PlaceCard
                }
                ReadOutcome::Failed { detail } => {
                    flow.session.plan = None;
                    flow.session.notice = Some(Notice {
                        key: "err.read_failed",
                        field: None,
                        detail: Some(detail),
                    });
                    Screen::PlaceCard
                }
            }
        }
        (Screen::Review, Event::ReviewAccepted) => match flow.session.age {
            Some(a) if a < MIN_AGE => Screen::Review,
            Some(a) if a <= GUARDIAN_UNTIL_AGE && flow.session.guardian_ok.is_none() => {
                Screen::Guardian
            }
            _ => {
                fx.push(Effect::Camera(Cam::Face));
                Screen::Photo
            }
        },
        // The guardian of a card applicant under 16: on the application's consent.
        (Screen::Guardian, Event::GuardianConfirmed) if flow.session.apply.is_some() => {
            match check_guardian(&flow, now) {
                Ok(g) => {
                    flow.session.notice = None;
                    if let Some(c) = flow
                        .session
                        .apply
                        .as_mut()
                        .and_then(|a| a.draft.consent.as_mut())
                    {
                        c.guardian = Some(g);
                    }
                    Screen::ApplyCheck
                }
                Err(n) => {
                    flow.session.notice = Some(n);
                    Screen::Guardian
                }
            }
        }
        (Screen::Guardian, Event::Back) if flow.session.apply.is_some() => {
            flow.session.notice = None;
            Screen::ApplyCheck
        }
        (Screen::Guardian, Event::GuardianConfirmed) => match check_guardian(&flow, now) {
            Ok(g) => {
                flow.session.notice = None;
                flow.session.guardian_ok = Some(g);
                fx.push(Effect::Camera(Cam::Face));
                Screen::Photo
            }
            Err(n) => {
                flow.session.notice = Some(n);
                Screen::Guardian
            }
        },
        (Screen::Guardian, Event::Back) => {
            flow.session.notice = None;
            Screen::Review
        }
        (Screen::Review, Event::Back) => {
            flow = wipe(flow);
            Screen::Welcome
        }
        (Screen::Photo, Event::PhotoTaken(p)) => {
            flow.session.photo = Some(*p);
            fx.push(Effect::Camera(Cam::Off));
            Screen::Photo
        }
        (Screen::Photo, Event::Retake) => {
            flow.session.photo = None;
            fx.push(Effect::Camera(Cam::Face));
            Screen::Photo
        }
        (Screen::Photo, Event::PhotoAccepted) if flow.session.photo.is_some() => Screen::Phone,
        (Screen::Photo, Event::Back) => {
            flow.session.photo = None;
            fx.push(Effect::Camera(Cam::Off));
            Screen::Review
        }
        (Screen::Phone, Event::Back) if flow.session.phone.saving => Screen::Phone,
        (Screen::Phone, Event::Back) => {
            flow.session.phone = PhoneEntry::default();
            fx.push(Effect::Camera(Cam::Face));
            flow.session.photo = None;
            Screen::Photo
        }
        (Screen::Phone, Event::PhoneConfirmed(phone)) => {
            contact_given(&mut flow, super::sink::Contact::Phone(phone), now, &mut fx);
            Screen::Phone
        }
        (Screen::Phone, Event::ContactConfirmed(c)) => {
            contact_given(&mut flow, c, now, &mut fx);
            Screen::Phone
        }
        (Screen::Phone, Event::PhoneChecked { phone, count }) => {
            let pending = flow.session.phone.contact.as_ref().and_then(|c| c.phone());
            if pending == Some(phone.as_str()) {
                flow.session.phone.checked = Some(phone);
                match count {
                    Ok(n) if n > 0 => {
                        flow.session.phone.saving = false;
                        flow.session.phone.duplicate = Some(n);
                    }
                    Ok(_) => save(&mut flow, now, &mut fx),
                    Err(e) => {
                        // A warning, never a block: the check failing does not stop the citizen.
                        tracing::warn!("duplicate-phone check failed");
                        tracing::warn!(target: "sensitive", "duplicate-phone check failed: {e}");
                        save(&mut flow, now, &mut fx)
                    }
                }
            }
            Screen::Phone
        }
        (Screen::Phone, Event::DuplicateAccepted) if flow.session.phone.duplicate.is_some() => {
            flow.session.phone.duplicate = None;
            save(&mut flow, now, &mut fx);
            Screen::Phone
        }
        (Screen::Phone, Event::RetrySave) if !flow.session.phone.saving => {
            flow.session.notice = None;
            save(&mut flow, now, &mut fx);
            Screen::Phone
        }
        (Screen::Phone, Event::Enqueued(Ok(receipt))) => {
            // Queued: the citizen's data leaves the kiosk's memory now, except what the
            // renewal the chip offered needs (the Done screen offers it; Home wipes it).
            let lang = flow.lang;
            let renewal = renewal_draft(&flow, now);
            flow = wipe(flow);
            flow.lang = lang;
            if let Some(entry) = renewal {
                flow.session.renewal = entry.renewal.clone();
                flow.session.apply = Some(entry);
            }
            Screen::Done { receipt }
        }
        (Screen::Done { .. }, Event::ApplyRenewal) if flow.session.apply.is_some() => {
            Screen::ApplyCheck
        }
        (s, e) if is_apply(&s) => apply_step(&mut flow, s, e, now, &mut fx),
        (Screen::Phone, Event::Enqueued(Err(detail))) => {
            // Nothing was written (one transaction); everything stays for a retry.
            flow.session.phone.saving = false;
            flow.session.notice = Some(Notice {
                key: "err.queue_failed",
                field: None,
                detail: Some(detail),
            });
            Screen::Phone
        }
        (s, _) => s,
    };
    flow.screen = next;
    (flow, fx)
}

/// An officer starts a card application (from the roster, prefilled, or from
/// officer mode): a fresh session whose draft waits for the citizen's consent —
/// the consent screen comes first, as from Welcome (DESIGN "Flow and consent").
/// Without a calendar nothing starts and `stay` says why.
fn start_assisted(
    flow: &mut Flow,
    form: Option<crate::application::record::ApplicantForm>,
    stay: Screen,
) -> Screen {
    if !flow.applications {
        flow.session.notice = Some(Notice::new("apply.not_set_up"));
        return stay;
    }
    flow.session = Session::default();
    flow.session.service = Some(super::sink::Service::CardApplication);
    let mut draft = Draft::default();
    if let Some(form) = form {
        draft.prefill_roster(form);
    }
    flow.session.apply = Some(Box::new(ApplyEntry::new(draft)));
    Screen::Consent
}

fn is_apply(s: &Screen) -> bool {
    matches!(
        s,
        Screen::ApplyProcedure
            | Screen::ApplyData
            | Screen::ApplyCheck
            | Screen::ApplySlot
            | Screen::ApplyDeclare
    )
}

/// The card-application steps (issue 9). Each Next checks its own step; the desk
/// checks everything again when it stores (one transaction).
fn apply_step(
    flow: &mut Flow,
    screen: Screen,
    event: Event,
    now: DateTime<Utc>,
    fx: &mut Vec<Effect>,
) -> Screen {
    let today = now.with_timezone(&chrono::Local).date_naive();
    let Some(entry) = flow.session.apply.as_mut() else {
        return Screen::Welcome;
    };
    let submitting = entry.submitting;
    let next = match (screen, event) {
        (s, Event::Back | Event::ApplyNext | Event::ApplySubmit) if submitting => s,
        (Screen::ApplyProcedure, Event::Back) => {
            *flow = wipe(std::mem::take(flow));
            return Screen::Welcome;
        }
        (Screen::ApplyProcedure, Event::ApplyNext) => {
            let d = &entry.draft;
            match (d.procedure, d.reason) {
                (Some(p), Some(r)) if r.procedure() == p => {
                    flow.session.notice = None;
                    Screen::ApplyData
                }
                _ => {
                    flow.session.notice = Some(Notice::new("apply.choose_reason"));
                    Screen::ApplyProcedure
                }
            }
        }
        (Screen::ApplyData, Event::Back) => Screen::ApplyProcedure,
        (Screen::ApplyData, Event::ApplyReadOldCard) => {
            entry.sync();
            flow.session.notice = None;
            return after_consent(flow, fx);
        }
        (Screen::ApplyData, Event::ApplyNext) => {
            entry.sync();
            Screen::ApplyCheck
        }
        (Screen::ApplyCheck, Event::Back) => Screen::ApplyData,
        (Screen::ApplyCheck, Event::ApplyGuardian) => {
            let born =
                crate::application::fields::date_of_birth(&entry.draft.form.date_of_birth, today);
            flow.session.age = born.ok().and_then(|b| u32::try_from(b.age_on(today)).ok());
            flow.session.notice = None;
            Screen::Guardian
        }
        (Screen::ApplyCheck, Event::ApplyNext) => {
            if field_problems(&entry.draft, today).is_empty() {
                flow.session.notice = None;
                Screen::ApplySlot
            } else {
                flow.session.notice = Some(Notice::new("apply.fix_fields"));
                Screen::ApplyCheck
            }
        }
        (Screen::ApplySlot, Event::Back) => Screen::ApplyCheck,
        (Screen::ApplySlot, Event::ApplyNext) if entry.draft.slot.is_some() => {
            flow.session.notice = None;
            Screen::ApplyDeclare
        }
        (Screen::ApplySlot, Event::ApplyNext) => {
            flow.session.notice = Some(Notice::new("apply.choose_slot"));
            Screen::ApplySlot
        }
        (Screen::ApplyDeclare, Event::Back) => {
            entry.draft.declaration_at = None;
            Screen::ApplySlot
        }
        (Screen::ApplyDeclare, Event::ApplySubmit) if entry.draft.declaration_at.is_some() => {
            entry.submitting = true;
            flow.session.notice = None;
            fx.push(Effect::SubmitApplication {
                draft: Box::new(entry.draft.clone()),
                officer: flow.officer.clone(),
            });
            Screen::ApplyDeclare
        }
        (Screen::ApplyDeclare, Event::ApplySubmit) => {
            flow.session.notice = Some(Notice::new("apply.accept_declaration"));
            Screen::ApplyDeclare
        }
        (Screen::ApplyDeclare, Event::ApplySubmitted(Ok(receipt))) => {
            // Stored: the applicant's data leaves the kiosk's memory now.
            let lang = flow.lang;
            *flow = wipe(std::mem::take(flow));
            flow.lang = lang;
            return Screen::ApplyDone(receipt);
        }
        (Screen::ApplyDeclare, Event::ApplySubmitted(Err(f))) => {
            entry.submitting = false;
            if f.back_to_slot {
                entry.draft.slot = None;
                entry.draft.declaration_at = None;
            }
            let key = f.key;
            let detail = match (&f.field, flow.lang) {
                (Some((vi, _)), Lang::Vi) => format!("{vi} ({})", f.detail),
                (Some((_, en)), Lang::En) => format!("{en} ({})", f.detail),
                (None, _) => f.detail,
            };
            flow.session.notice = Some(Notice {
                key,
                field: None,
                detail: Some(detail),
            });
            if f.back_to_slot {
                Screen::ApplySlot
            } else {
                Screen::ApplyDeclare
            }
        }
        (s, _) => s,
    };
    next
}

/// Every field's problem (not only the first): the check screen shows each under
/// its field. Empty when the form, the procedure and the reason fit together.
pub fn field_problems(
    draft: &Draft,
    today: chrono::NaiveDate,
) -> Vec<crate::application::fields::FieldError> {
    use crate::application::fields::{self as f, Field, FieldError, Problem, Sex};
    let form = &draft.form;
    let mut out = Vec::new();
    if let Err(e) = f::full_name(&form.full_name) {
        out.push(e);
    }
    let dob = f::date_of_birth(&form.date_of_birth, today);
    if let Err(e) = &dob {
        out.push(e.clone());
    }
    let sex = form.sex.parse::<Sex>();
    if let Err(e) = &sex {
        out.push(e.clone());
    }
    let id = form.id_number.trim();
    if !id.is_empty() {
        if let Err(e) = f::id_number(id, dob.clone().ok().map(|b| b.year()), sex.clone().ok()) {
            out.push(e);
        }
    }
    let old = form.old_id_number.trim();
    if !old.is_empty() {
        if let Err(e) = f::old_id_number(old) {
            out.push(e);
        }
    }
    let place = form.place_of_residence.chars().count();
    if place > 300 {
        out.push(FieldError::new(
            Field::PlaceOfResidence,
            Problem::TooLong {
                max: 300,
                found: place,
            },
        ));
    }
    if let (Some(p), Some(r), Ok(born)) = (draft.procedure, draft.reason, dob.clone()) {
        let facts = f::ProcedureFacts {
            age: born.age_on(today),
            has_id_number: !id.is_empty(),
            has_old_id_number: !old.is_empty(),
        };
        if let Err(e) = f::check_procedure(p, r, facts) {
            if !out.iter().any(|o| o.field == e.field) {
                out.push(e);
            }
        }
    }
    // Under 16 the record needs a guardian (Decree 13/2023 Art. 20): the officer
    // records one through the activation's guardian step; say so here, not at submit.
    if let Ok(born) = dob {
        let no_guardian = draft.consent.as_ref().is_none_or(|c| c.guardian.is_none());
        if born.age_on(today) < 16 && no_guardian {
            out.push(FieldError::new(Field::Guardian, Problem::Required));
        }
    }
    out
}

/// The old card's chip data as an application record keeps them (raw files for
/// re-verification, no photo, no religion or ethnicity); None when incomplete.
fn old_card(card: &CardData) -> Option<crate::queue::record::CardData> {
    let read: serde_json::Value = serde_json::from_str(&card.card_json).ok()?;
    let hash = |h: &str| -> Option<[u8; 32]> { hex::decode(h).ok()?.try_into().ok() };
    crate::queue::record::CardData::from_parts(
        read.get("citizen").cloned()?,
        read.get("mrz").cloned().unwrap_or_default(),
        read.get("verification").cloned().unwrap_or_default(),
        read.get("access").cloned().unwrap_or_default(),
        [card.sod.clone(), card.dg1.clone(), card.dg13.clone()],
        hash(&card.dg2_sha256)?,
        hash(&card.photo_sha256)?,
        crate::queue::record::Service::CardApplication,
    )
    .ok()
}

/// After an activation is queued: the renewal the chip offered, as a draft
/// prefilled from the chip (the consent given at the start covers it).
fn renewal_draft(flow: &Flow, now: DateTime<Utc>) -> Option<Box<ApplyEntry>> {
    let s = &flow.session;
    let offer = s.renewal.as_ref()?;
    if !flow.applications {
        return None;
    }
    let card = s.card.as_ref()?;
    let read: serde_json::Value = serde_json::from_str(&card.card_json).ok()?;
    let consent = crate::queue::record::Consent {
        text_version: CONSENT_VERSION.into(),
        accepted_at: s.consent_at.unwrap_or(now),
        guardian: s.guardian_ok.clone(),
    };
    let draft = Draft::renewal(consent, offer, &read["citizen"], old_card(card));
    let mut entry = ApplyEntry::new(draft);
    entry.renewal = Some(offer.clone());
    Some(Box::new(entry))
}

/// The contact is confirmed: check a phone against today's records first (once per
/// number), then save.
fn contact_given(
    flow: &mut Flow,
    c: super::sink::Contact,
    now: DateTime<Utc>,
    fx: &mut Vec<Effect>,
) {
    if flow.session.phone.saving {
        return;
    }
    flow.session.notice = None;
    flow.session.phone.duplicate = None;
    let phone = c.phone().map(str::to_string);
    flow.session.phone.contact = Some(c);
    match phone {
        Some(p) if flow.session.phone.checked.as_deref() != Some(p.as_str()) => {
            flow.session.phone.saving = true;
            fx.push(Effect::CheckPhone(p));
        }
        _ => save(flow, now, fx),
    }
}

/// Build the record from the session and hand it to the sink's thread.
fn save(flow: &mut Flow, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
    match flow
        .session
        .phone
        .contact
        .clone()
        .and_then(|c| enrollment(flow, c, now))
    {
        Some(e) => {
            flow.session.phone.saving = true;
            fx.push(Effect::Enqueue(Box::new(e)));
        }
        None => {
            flow.session.phone.saving = false;
            flow.session.notice = Some(Notice::new("err.incomplete"));
        }
    }
}

fn after_consent(flow: &mut Flow, fx: &mut Vec<Effect>) -> Screen {
    if matches!(flow.reader, ReaderStatus::CardPresent(_)) {
        to_card_key(flow, fx)
    } else {
        Screen::PlaceCard
    }
}

fn to_card_key(flow: &mut Flow, fx: &mut Vec<Effect>) -> Screen {
    if flow.session.key.tab == KeyTab::Qr {
        fx.push(Effect::Camera(crate::camera::worker::Mode::Qr));
    }
    Screen::CardKey
}

fn update_reader(r: &mut ReaderStatus, e: &CardEvent) {
    *r = match (std::mem::take(r), e) {
        // A second reader plugged in does not hide the card on the first.
        (ReaderStatus::NoReader | ReaderStatus::ServiceDown, CardEvent::ReaderAdded(n)) => {
            ReaderStatus::Ready(n.clone())
        }
        (_, CardEvent::CardInserted { reader, .. }) => ReaderStatus::CardPresent(reader.clone()),
        (ReaderStatus::CardPresent(n), CardEvent::CardRemoved(m)) if n == *m => {
            ReaderStatus::Ready(n)
        }
        (ReaderStatus::Ready(n) | ReaderStatus::CardPresent(n), CardEvent::ReaderRemoved(m))
            if n == *m =>
        {
            ReaderStatus::NoReader
        }
        (_, CardEvent::ServiceUnavailable(_)) => ReaderStatus::ServiceDown,
        (old, _) => old,
    };
}

/// Drop the session (its fields wipe themselves) and return to Welcome; officer
/// settings and the reader status stay, the language goes back to the configured one.
fn wipe(mut flow: Flow) -> Flow {
    flow.session = Session::default();
    flow.screen = Screen::Welcome;
    flow.lang = flow.home_lang;
    flow
}

/// Whole years from a chip's date of birth to `now` (local date): DG13's
/// `DD/MM/YYYY` or the MRZ's `YYYY-MM-DD`, counted by [`crate::queue::record::age_on`];
/// None when the chip has no full date (the elderly's `00/00/YYYY`).
pub fn chip_age(date_of_birth: &str, now: DateTime<Utc>) -> Option<u32> {
    let born = chrono::NaiveDate::parse_from_str(date_of_birth, "%d/%m/%Y")
        .or_else(|_| chrono::NaiveDate::parse_from_str(date_of_birth, "%Y-%m-%d"))
        .ok()?;
    let today = now.with_timezone(&chrono::Local).date_naive();
    u32::try_from(crate::queue::record::age_on(born, today)).ok()
}

/// The guardian as typed, or what is wrong (the notice names the field).
fn check_guardian(
    flow: &Flow,
    now: DateTime<Utc>,
) -> Result<crate::queue::record::Guardian, Notice> {
    use chrono::Datelike;
    let g = &flow.session.guardian;
    let bad = |key: &'static str, field: &'static str| Notice {
        key,
        field: Some(field),
        detail: None,
    };
    let name = g.full_name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.split(' ').count() < 2 {
        return Err(bad("err.guardian_name", "field.guardian_name"));
    }
    let relation = g
        .relation
        .ok_or_else(|| bad("err.guardian_relation", "field.guardian_relation"))?;
    let id = crate::card::access_key::IdNumber::parse(&g.id_number)
        .map_err(|_| bad("err.id_length", "field.guardian_id"))?;
    let citizen_id = flow
        .session
        .card
        .as_ref()
        .map(|c| c.id_number.as_str())
        .unwrap_or_default();
    if id.as_str() == citizen_id {
        return Err(bad("err.guardian_same", "field.guardian_id"));
    }
    let year = now.with_timezone(&chrono::Local).year();
    if id.century_digit() > 5 || year - id.birth_year() < GUARDIAN_MIN_AGE {
        return Err(bad("err.guardian_minor", "field.guardian_id"));
    }
    Ok(crate::queue::record::Guardian {
        full_name: name,
        relation: super::i18n::tr(super::i18n::Lang::Vi, relation).to_string(),
        id_number: Some(id.as_str().to_string()),
    })
}

fn enrollment(
    flow: &Flow,
    contact: super::sink::Contact,
    now: DateTime<Utc>,
) -> Option<Enrollment> {
    let s = &flow.session;
    let card = s.card.as_ref()?;
    let photo = s.photo.as_ref()?;
    let needs_guardian = s.age.is_some_and(|a| a <= GUARDIAN_UNTIL_AGE);
    if s.age.is_some_and(|a| a < MIN_AGE) || (needs_guardian && s.guardian_ok.is_none()) {
        return None;
    }
    let non_empty = |x: &str| (!x.is_empty()).then(|| x.to_string());
    Some(Enrollment {
        created_at: now,
        service: s.service?,
        consent_version: CONSENT_VERSION.to_string(),
        consent_at: s.consent_at?,
        officer_id: non_empty(&flow.officer.officer_id),
        unit: non_empty(&flow.officer.unit),
        mode: flow.officer.mode,
        card_json: card.card_json.clone(),
        sod: card.sod.clone(),
        dg1: card.dg1.clone(),
        dg13: card.dg13.clone(),
        chip_photo_sha256: card.photo_sha256.clone(),
        dg2_sha256: card.dg2_sha256.clone(),
        live_jpeg: photo.jpeg.clone(),
        live_sha256: photo.sha256.clone(),
        quality: photo.quality,
        contact,
        guardian: s.guardian_ok.clone(),
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_read_bar_moves_forward_only_and_is_not_full_before_the_photo() {
        let mut progress = BTreeMap::new();
        let mut shown = 0.0f32;
        let mut seen = Vec::new();
        // A card whose photo is larger than the typical one, read file by file.
        for (fid, total) in [
            (0x011E, 26),
            (0x0101, 95),
            (0x010D, 474),
            (0x0102, 40_000),
            (0x011D, 1_581),
        ] {
            let mut done = 0;
            while done < total {
                done = (done + 223).min(total);
                progress.insert(fid, (done, total));
                shown = shown.max(read_fraction(&progress));
                seen.push((fid, shown));
            }
        }
        assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1));
        let before_photo = seen.iter().rfind(|(f, _)| *f == 0x010D).unwrap().1;
        assert!(
            before_photo < 0.1,
            "{before_photo}: EF.COM, DG1 and DG13 are a sliver"
        );
        assert_eq!(seen.last().unwrap().1, 1.0);
    }

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    fn step(f: Flow, e: Event) -> (Flow, Vec<Effect>) {
        transition(f, e, now())
    }

    #[test]
    fn no_read_starts_before_consent_and_declining_keeps_nothing() {
        let (f, _) = step(Flow::default(), Event::Start(Service::EidLevel2));
        assert_eq!(f.screen, Screen::Consent);
        // a card arriving on the consent screen does not skip consent
        let (f, fx) = step(
            f,
            Event::Card(CardEvent::CardInserted {
                reader: "R".into(),
                atr: vec![],
            }),
        );
        assert_eq!(f.screen, Screen::Consent);
        assert!(fx.is_empty());
        let (f, _) = step(f, Event::ConsentDeclined);
        assert_eq!(f.screen, Screen::Welcome);
        assert!(f.session.service.is_none() && f.session.consent_at.is_none());
    }

    #[test]
    fn consent_with_a_card_already_present_goes_to_the_key_step_with_the_camera_on() {
        let (f, _) = step(
            Flow::default(),
            Event::Card(CardEvent::CardInserted {
                reader: "R".into(),
                atr: vec![],
            }),
        );
        let (f, _) = step(f, Event::Start(Service::EidLevel2));
        let (f, fx) = step(f, Event::ConsentAccepted);
        assert_eq!(f.screen, Screen::CardKey);
        assert!(f.session.consent_at.is_some());
        assert!(matches!(
            fx.as_slice(),
            [Effect::Camera(crate::camera::worker::Mode::Qr)]
        ));
    }

    #[test]
    fn a_stale_read_result_after_cancel_is_ignored() {
        let mut f = Flow {
            screen: Screen::Reading,
            ..Default::default()
        };
        f.session.read_id = 3;
        let (f, _) = step(f, Event::Back);
        assert_eq!(f.screen, Screen::CardKey);
        let (f, _) = step(
            f,
            Event::ReadDone {
                read_id: 3,
                outcome: ReadOutcome::Card(Box::default()),
            },
        );
        assert_eq!(f.screen, Screen::CardKey);
        assert!(f.session.card.is_none());
    }

    #[test]
    fn repeated_wrong_pins_lock_officer_mode_and_a_locked_pad_checks_nothing() {
        let t0 = now();
        let mut f = Flow {
            screen: Screen::Officer { unlocked: false },
            ..Default::default()
        };
        for _ in 0..5 {
            let (g, fx) = transition(f, Event::OfficerPin(Pin::default()), t0);
            assert!(matches!(fx.as_slice(), [Effect::CheckPin(_)]));
            f = transition(g, Event::OfficerPinChecked(PinCheck::Wrong), t0).0;
        }
        assert_eq!(f.pin_locked_until, Some(t0 + chrono::Duration::minutes(5)));
        // Locked: even the right PIN is not sent to be checked.
        let (f, fx) = transition(
            f,
            Event::OfficerPin(Pin::default()),
            t0 + chrono::Duration::minutes(4),
        );
        assert!(fx.is_empty());
        // After the lock-out, PINs are checked again, and the matched officer is recorded.
        let later = t0 + chrono::Duration::minutes(6);
        let (f, fx) = transition(f, Event::OfficerPin(Pin::default()), later);
        assert!(matches!(fx.as_slice(), [Effect::CheckPin(_)]));
        let (f, _) = transition(
            f,
            Event::OfficerPinChecked(PinCheck::Officer("cb-7".into())),
            later,
        );
        assert_eq!(f.screen, Screen::Officer { unlocked: true });
        assert_eq!(f.officer.officer_id, "cb-7");
        // The draft cannot change whose id goes on the records.
        let draft = Officer {
            officer_id: "someone-else".into(),
            ..Officer::default()
        };
        let (f, _) = transition(f, Event::OfficerSaved(draft), later);
        assert_eq!(f.officer.officer_id, "cb-7");
    }

    #[test]
    fn a_15_year_old_without_a_guardian_is_never_enqueued() {
        let mut f = Flow {
            screen: Screen::Phone,
            ..Default::default()
        };
        f.session.service = Some(Service::EidLevel2);
        f.session.consent_at = Some(now());
        f.session.card = Some(CardData::default());
        f.session.photo = Some(LivePhoto {
            jpeg: vec![0xFF, 0xD8, 0xFF],
            sha256: String::new(),
            rgb: (0, 0, Vec::new()),
            quality: PhotoQuality {
                brightness: 0.5,
                sharpness: 1.0,
                faces: Some(1),
                officer_confirmed: false,
            },
        });
        f.session.age = Some(15);
        f.session.phone.checked = Some("+84912345678".into());
        let (f, fx) = step(f, Event::PhoneConfirmed("+84912345678".into()));
        assert!(fx.is_empty(), "{fx:?}");
        assert_eq!(
            f.session.notice.as_ref().map(|n| n.key),
            Some("err.incomplete")
        );
    }

    #[test]
    fn age_comes_from_either_date_form_and_an_unknown_date_gives_none() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        assert_eq!(chip_age("02/06/2011", now), Some(14)); // birthday tomorrow
        assert_eq!(chip_age("2011-05-31", now), Some(15));
        assert_eq!(chip_age("00/00/1948", now), None);
    }

    #[test]
    fn idle_anywhere_wipes_the_session_but_keeps_the_officer() {
        let mut f = Flow::default();
        f.officer.officer_id = "123".into();
        f.screen = Screen::Phone;
        f.session.key.id = "001195000123".into();
        f.session.card = Some(CardData::default());
        let (f, _) = step(f, Event::Idle);
        assert_eq!(f.screen, Screen::Welcome);
        assert!(!f.session.holds_personal_data());
        assert_eq!(f.officer.officer_id, "123");
    }

    fn applying() -> Flow {
        let f = Flow {
            applications: true,
            renewal_window_months: Some(6),
            ..Default::default()
        };
        let (f, _) = step(f, Event::Start(Service::CardApplication));
        assert_eq!(f.screen, Screen::Consent);
        let (f, fx) = step(f, Event::ConsentAccepted);
        assert!(fx.is_empty(), "no card read, no camera for an application");
        f
    }

    #[test]
    fn card_application_needs_a_calendar_and_consent_first() {
        let (f, _) = step(Flow::default(), Event::Start(Service::CardApplication));
        assert_eq!(f.screen, Screen::Welcome);
        assert_eq!(
            f.session.notice.as_ref().map(|n| n.key),
            Some("apply.not_set_up")
        );
        let f = applying();
        assert_eq!(f.screen, Screen::ApplyProcedure);
        let consent = f
            .session
            .apply
            .as_ref()
            .and_then(|a| a.draft.consent.clone());
        assert_eq!(
            consent.map(|c| c.text_version),
            Some(APPLY_CONSENT_VERSION.into())
        );
        // No reason chosen: the step says so and stays.
        let (f, _) = step(f, Event::ApplyNext);
        assert_eq!(f.screen, Screen::ApplyProcedure);
        assert_eq!(
            f.session.notice.as_ref().map(|n| n.key),
            Some("apply.choose_reason")
        );
        // Back from the first step abandons the application: nothing is kept.
        let (f, _) = step(f, Event::Back);
        assert_eq!(f.screen, Screen::Welcome);
        assert!(!f.session.holds_personal_data());
    }

    #[test]
    fn submit_waits_for_the_declaration_and_a_lost_slot_goes_back_to_choose() {
        use crate::application::calendar::Slot;
        let mut f = applying();
        f.screen = Screen::ApplyDeclare;
        if let Some(a) = f.session.apply.as_mut() {
            a.draft.slot = Some(Slot {
                office: "Công an xã Ka Lăng".into(),
                day: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                start: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            });
        }
        let (mut f, fx) = step(f, Event::ApplySubmit);
        assert!(fx.is_empty());
        assert_eq!(
            f.session.notice.as_ref().map(|n| n.key),
            Some("apply.accept_declaration")
        );
        if let Some(a) = f.session.apply.as_mut() {
            a.draft.accept_declaration(now());
        }
        let (f, fx) = step(f, Event::ApplySubmit);
        assert!(matches!(fx.as_slice(), [Effect::SubmitApplication { .. }]));
        // A second tap while the worker stores does nothing.
        let (f, fx) = step(f, Event::ApplySubmit);
        assert!(fx.is_empty());
        let (f, _) = step(
            f,
            Event::ApplySubmitted(Err(SubmitFailure {
                key: "apply.slot_taken",
                back_to_slot: true,
                field: None,
                detail: "full".into(),
            })),
        );
        assert_eq!(f.screen, Screen::ApplySlot);
        let a = f.session.apply.as_ref().unwrap();
        assert!(a.draft.slot.is_none() && a.draft.declaration_at.is_none() && !a.submitting);
    }

    #[test]
    fn a_renewal_offered_by_the_chip_survives_the_activation_until_home() {
        let read = serde_json::json!({"citizen": {"id_number": "001300012345",
            "full_name": "Nguyễn Thị Thu Hương", "date_of_birth": "2000-06-20", "sex": "Nữ",
            "date_of_issue": "2021-04-10", "date_of_expiry": "2025-06-20"}});
        let offer = crate::application::renewal::offer_from_read(
            &read,
            chrono::NaiveDate::from_ymd_opt(2025, 5, 1).unwrap(),
            6,
        )
        .unwrap();
        let mut f = Flow {
            applications: true,
            screen: Screen::Phone,
            ..Default::default()
        };
        let mut card = CardData::default();
        card.card_json = read.to_string();
        f.session.card = Some(card);
        f.session.consent_at = Some(now());
        f.session.renewal = Some(offer);
        let (f, _) = step(f, Event::Enqueued(Ok("ABCD2345".into())));
        assert!(matches!(f.screen, Screen::Done { .. }));
        assert!(f.session.card.is_none(), "the activation's data are gone");
        let form = &f.session.apply.as_ref().unwrap().draft.form;
        assert_eq!(form.full_name, "Nguyễn Thị Thu Hương");
        let (f, _) = step(f, Event::ApplyRenewal);
        assert_eq!(f.screen, Screen::ApplyCheck);
        let (f, _) = step(f, Event::Home);
        assert!(!f.session.holds_personal_data());
    }

    #[test]
    fn the_check_lists_every_wrong_field_and_asks_for_a_guardian_under_16() {
        use crate::application::fields::Field;
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut d = Draft::new(crate::queue::record::Consent {
            text_version: APPLY_CONSENT_VERSION.into(),
            accepted_at: now(),
            guardian: None,
        });
        d.choose_procedure(Procedure::FirstIssue);
        d.reason = Some(Reason::NeverIssued);
        d.form.full_name = "Lò Văn 3".into();
        d.form.date_of_birth = "31/02/2000".into();
        d.form.id_number = "12345".into();
        let fields: Vec<Field> = field_problems(&d, today).iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                Field::FullName,
                Field::DateOfBirth,
                Field::Sex,
                Field::IdNumber
            ]
        );
        d.form.full_name = "Lò Văn Páo".into();
        d.form.date_of_birth = "01/01/2011".into();
        d.form.sex = "Nam".into();
        d.form.id_number.clear();
        let fields: Vec<Field> = field_problems(&d, today).iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [Field::Guardian],
            "15 years old: a guardian is needed"
        );
        d.form.date_of_birth = "01/01/2008".into();
        assert!(field_problems(&d, today).is_empty());
    }

    #[test]
    fn the_roster_and_officer_mode_start_an_application_after_the_consent() {
        use crate::application::record::{ApplicantForm, Prefill};
        let form = ApplicantForm::from_roster(
            "011148000021",
            "Giàng Thị Dua",
            "1948",
            "Nữ",
            "Bản Nậm Củm",
        );
        // No calendar: nothing starts, the officer stays on the tracker.
        let f = Flow {
            screen: Screen::Tracker,
            ..Default::default()
        };
        let (f, _) = step(f, Event::ApplyFromRoster(Box::new(form.clone())));
        assert_eq!(f.screen, Screen::Tracker);
        assert!(f.session.apply.is_none());
        let f = Flow {
            screen: Screen::Tracker,
            applications: true,
            ..Default::default()
        };
        let (f, _) = step(f, Event::ApplyFromRoster(Box::new(form)));
        assert_eq!(f.screen, Screen::Consent, "the consent comes first");
        let (f, _) = step(f, Event::ConsentAccepted);
        assert_eq!(f.screen, Screen::ApplyProcedure);
        let entry = f.session.apply.as_ref().unwrap();
        assert_eq!(entry.draft.form.full_name, "Giàng Thị Dua");
        assert_eq!(entry.draft.form.date_of_birth, "1948");
        assert_eq!(entry.draft.source, Some(Prefill::Roster));
        assert_eq!(
            entry
                .draft
                .consent
                .as_ref()
                .map(|c| c.text_version.as_str()),
            Some(APPLY_CONSENT_VERSION)
        );
        // The keyboard shows the prefilled name, not an empty field.
        assert_eq!(entry.composer.text(), "Giàng Thị Dua");
        // Declining the consent keeps nothing.
        let f = Flow {
            screen: Screen::Tracker,
            applications: true,
            ..Default::default()
        };
        let form = ApplicantForm::from_roster("011148000021", "Giàng Thị Dua", "1948", "Nữ", "");
        let (f, _) = step(f, Event::ApplyFromRoster(Box::new(form)));
        let (f, _) = step(f, Event::ConsentDeclined);
        assert_eq!(f.screen, Screen::Welcome);
        assert!(!f.session.holds_personal_data());

        // Officer mode: the drafted settings are kept, the mode goes on the submission.
        let f = Flow {
            screen: Screen::Officer { unlocked: true },
            applications: true,
            ..Default::default()
        };
        let o = Officer {
            officer_id: "4521".into(),
            unit: "03679".into(),
            mode: Mode::HomeVisit,
        };
        let (f, _) = step(f, Event::ApplyAssisted(o.clone()));
        assert_eq!(f.screen, Screen::Consent);
        assert_eq!(f.officer, o);
        let (f, _) = step(f, Event::ConsentAccepted);
        assert_eq!(f.screen, Screen::ApplyProcedure);
        assert_eq!(
            f.session.apply.as_ref().unwrap().draft.form,
            ApplicantForm::default()
        );
        // A locked officer screen starts nothing.
        let f = Flow {
            screen: Screen::Officer { unlocked: false },
            applications: true,
            ..Default::default()
        };
        let (f, _) = step(f, Event::ApplyAssisted(o));
        assert_eq!(f.screen, Screen::Officer { unlocked: false });
        assert!(f.session.apply.is_none());
    }

    #[test]
    fn a_birth_year_alone_passes_the_check_and_is_aged_from_the_first_of_january() {
        use crate::application::fields::Field;
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut d = Draft::new(crate::queue::record::Consent {
            text_version: APPLY_CONSENT_VERSION.into(),
            accepted_at: now(),
            guardian: None,
        });
        d.choose_procedure(Procedure::FirstIssue);
        d.reason = Some(Reason::NeverIssued);
        d.form.full_name = "Giàng Thị Dua".into();
        d.form.date_of_birth = "1948".into();
        d.form.sex = "Nữ".into();
        d.form.id_number = "011148000021".into();
        assert!(field_problems(&d, today).is_empty());
        // The ID's year is checked against the year alone.
        d.form.id_number = "011149000021".into();
        let fields: Vec<Field> = field_problems(&d, today).iter().map(|e| e.field).collect();
        assert_eq!(fields, [Field::IdNumber]);
        // Born "2012": 14 from 01/01/2026, so a first card is allowed in 2026.
        d.form.id_number.clear();
        d.form.date_of_birth = "2012".into();
        let problems = field_problems(&d, today);
        assert_eq!(
            problems.iter().map(|e| e.field).collect::<Vec<_>>(),
            [Field::Guardian],
            "14: only the guardian is asked for"
        );
        d.form.date_of_birth = "2013".into();
        assert!(field_problems(&d, today)
            .iter()
            .any(|e| e.field == Field::DateOfBirth));
    }

    #[test]
    fn a_card_applicant_under_16_gets_the_guardian_recorded_on_the_consent() {
        let mut f = applying();
        f.screen = Screen::ApplyCheck;
        let today = now().with_timezone(&chrono::Local).date_naive();
        let born = today - chrono::Months::new(15 * 12);
        if let Some(a) = f.session.apply.as_mut() {
            a.draft.choose_procedure(Procedure::FirstIssue);
            a.draft.reason = Some(Reason::NeverIssued);
            a.draft.form.full_name = "Lò Văn Páo".into();
            a.draft.form.date_of_birth = born.format("%d/%m/%Y").to_string();
            a.draft.form.sex = "Nam".into();
        }
        let (f, _) = step(f, Event::ApplyNext);
        assert_eq!(f.screen, Screen::ApplyCheck, "no guardian yet");
        let (mut f, _) = step(f, Event::ApplyGuardian);
        assert_eq!(f.screen, Screen::Guardian);
        assert_eq!(f.session.age, Some(15));
        f.session.guardian.full_name = "Lò Thị Mai".into();
        f.session.guardian.relation = Some("relation.mother");
        f.session.guardian.id_number = "001180000123".into();
        let (f, _) = step(f, Event::GuardianConfirmed);
        assert_eq!(f.screen, Screen::ApplyCheck, "{:?}", f.session.notice);
        let consent = f
            .session
            .apply
            .as_ref()
            .unwrap()
            .draft
            .consent
            .clone()
            .unwrap();
        assert_eq!(
            consent.guardian.map(|g| g.full_name).as_deref(),
            Some("Lò Thị Mai")
        );
        let (f, _) = step(f, Event::ApplyNext);
        assert_eq!(f.screen, Screen::ApplySlot);
    }
}
