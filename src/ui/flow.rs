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
    Phone,
    Done {
        receipt: String,
    },
    /// PIN pad, then the officer's settings.
    Officer {
        unlocked: bool,
    },
    /// The supervisor's end of day (from officer mode, behind the supervisor passphrase).
    Supervisor,
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
            Screen::Phone => "phone",
            Screen::Done { .. } => "done",
            Screen::Officer { .. } => "officer",
            Screen::Supervisor => "supervisor",
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

/// The phone keypad: first entry, then the same number again.
#[derive(Debug, Default, Clone)]
pub struct PhoneEntry {
    pub first: String,
    pub second: String,
    /// True once the first entry was accepted and the citizen types it again.
    pub confirming: bool,
}

impl Drop for PhoneEntry {
    fn drop(&mut self) {
        self.first.zeroize();
        self.second.zeroize();
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
    pub card: Option<CardData>,
    pub photo: Option<LivePhoto>,
    pub phone: PhoneEntry,
    /// What the current screen should tell the citizen.
    pub notice: Option<Notice>,
    /// The read worker's id; results from other (cancelled) reads are dropped.
    pub read_id: u64,
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
    }
}

/// Officer settings, kept across citizens until changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Officer {
    pub officer_id: String,
    pub unit: String,
    pub mode: Mode,
}

/// Everything the state machine holds.
#[derive(Debug, Default)]
pub struct Flow {
    pub screen: Screen,
    pub session: Session,
    pub lang: Lang,
    pub reader: ReaderStatus,
    pub officer: Officer,
    /// Monotonic counter for read ids.
    pub reads_started: u64,
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
    PhotoTaken(Box<LivePhoto>),
    Retake,
    PhotoAccepted,
    /// The phone number, normalised and confirmed.
    PhoneConfirmed(String),
    Enqueued(Result<String, String>),
    /// No touch for the idle limit, or the Done screen's time is up.
    Idle,
    Home,
    OfficerOpen,
    OfficerUnlocked,
    OfficerSaved(Officer),
    /// Officer mode: open the supervisor screen.
    SupervisorOpen,
}

/// Work for the app to do after a transition.
#[derive(Debug)]
pub enum Effect {
    StartRead { read_id: u64, plan: Box<KeyPlan> },
    Camera(crate::camera::worker::Mode),
    Enqueue(Box<Enrollment>),
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
        (Screen::Welcome, Event::Start(service)) => {
            flow.session.service = Some(service);
            Screen::Consent
        }
        (Screen::Welcome, Event::OfficerOpen) => Screen::Officer { unlocked: false },
        (Screen::Officer { .. }, Event::OfficerUnlocked) => Screen::Officer { unlocked: true },
        (Screen::Officer { .. }, Event::OfficerSaved(o)) => {
            flow.officer = o;
            Screen::Welcome
        }
        (Screen::Officer { .. }, Event::Back) => Screen::Welcome,
        (Screen::Officer { unlocked: true }, Event::SupervisorOpen) => Screen::Supervisor,
        (Screen::Supervisor, Event::Back) => Screen::Officer { unlocked: true },
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
        (Screen::CardKey, Event::KeyInvalid(n)) => {
            flow.session.notice = Some(n);
            Screen::CardKey
        }
        (Screen::CardKey, Event::KeyReady(plan)) => {
            flow.session.notice = None;
            flow.session.progress.clear();
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
                ReadOutcome::Card(card) => {
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
        (Screen::Review, Event::ReviewAccepted) => {
            fx.push(Effect::Camera(Cam::Face));
            Screen::Photo
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
        (Screen::Phone, Event::Back) => {
            flow.session.phone = PhoneEntry::default();
            fx.push(Effect::Camera(Cam::Face));
            flow.session.photo = None;
            Screen::Photo
        }
        (Screen::Phone, Event::PhoneConfirmed(phone)) => match enrollment(&flow, phone, now) {
            Some(e) => {
                fx.push(Effect::Enqueue(Box::new(e)));
                Screen::Phone
            }
            None => {
                flow.session.notice = Some(Notice::new("err.incomplete"));
                Screen::Phone
            }
        },
        (Screen::Phone, Event::Enqueued(Ok(receipt))) => {
            // Queued: the citizen's data leaves the kiosk's memory now.
            let lang = flow.lang;
            flow = wipe(flow);
            flow.lang = lang;
            Screen::Done { receipt }
        }
        (Screen::Phone, Event::Enqueued(Err(detail))) => {
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
        (_, CardEvent::ReaderAdded(n)) => ReaderStatus::Ready(n.clone()),
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
/// settings and the reader status stay, the language goes back to Vietnamese.
fn wipe(mut flow: Flow) -> Flow {
    flow.session = Session::default();
    flow.screen = Screen::Welcome;
    flow.lang = Lang::Vi;
    flow
}

fn enrollment(flow: &Flow, phone: String, now: DateTime<Utc>) -> Option<Enrollment> {
    let s = &flow.session;
    let card = s.card.as_ref()?;
    let photo = s.photo.as_ref()?;
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
        phone,
    })
}

#[cfg(test)]
mod tests {
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
}
