//! `cccd-kiosk simulate`: a campaign day without a touch screen (issue 5, item 6).
//!
//! Each simulated citizen goes through the kiosk's own code, not a shortcut:
//! - the state machine [`crate::ui::flow::transition`] decides every step (consent
//!   before the chip is read, nothing queued before the phone step), exactly as the
//!   touch screen drives it; the simulator only plays the citizen's taps;
//! - the card is the project's emulated chip ([`crate::ui::cards::EmulatedCards`],
//!   in-process as a `CardTransport`), read by the kiosk's read worker
//!   ([`crate::ui::cards::spawn_read`]): PACE or BAC, secure messaging, the reader
//!   and passive authentication against the test CSCA;
//! - the camera is the synthetic one on the kiosk's camera thread
//!   ([`crate::camera::worker::CameraWorker`]): the card's QR code is decoded from a
//!   rendered frame, the face is found by the real SeetaFace detector, the live
//!   photo is encoded as JPEG as the photo screen does;
//! - the record goes through [`super::sink::StoreSink`], the mapping the kiosk uses,
//!   into the durable queue ([`super::store::Store::append`]).
//!
//! Citizens are varied and seeded ([`citizen`]): Vietnamese names with diacritics,
//! both sexes and centuries, provinces, BAC or PACE chips, every document-signer
//! algorithm. With faults, a seeded share of citizens pulls the card mid-read,
//! shows a QR code that is not a card's, holds up another person's card key (wrong
//! key), types a landline as their phone, or declines consent; none of those is
//! queued, and each is counted by reason.
//!
//! Output (stdout, flushed per line so a crash test can trust it): `committed
//! <record id> <receipt>` once the store committed a record, `rejected <n>
//! <reason>` for a citizen who left without one, then a summary. No personal data
//! is printed: ids and receipts only.
//!
//! Card applications (issue 9, `--applications N`): after the activations, N
//! citizens apply for a card through the same state machine (Welcome → consent →
//! procedure and reason → data → check → slot → declaration), stored by the
//! kiosk's desk ([`crate::application::desk::Desk`], the worker the touch screen
//! uses) in the same queue, so the day's export bundle and the tracker count them
//! under service `card_application`. They vary: every procedure and reason in
//! turn, elders known only by their birth year, renewals (the first activated
//! citizen of the day also books a renewal: counted once under each service),
//! and all of them first ask for the same slot, so it fills up and the later ones
//! are sent back to choose the next free one, as the slot screen does. With more
//! than 2 applications, the last one is the first applicant coming back: refused
//! (`already_booked`), nothing stored.
//!
//! The emulated cards are signed by the test CSCA, which the simulator trusts
//! (as the kiosk's tests do): `simulate` is a test and demonstration tool, and the
//! test CSCA never goes into a kiosk's trust store.

use super::record::RecordId;
use super::sink::StoreSink;
use super::store::StoreError;
use crate::camera::quality::Thresholds;
use crate::camera::synthetic::SyntheticSource;
use crate::camera::worker::{CameraMsg, CameraWorker, Report};
use crate::camera::{CameraError, FrameSource, Scene};
use crate::card::access_key::{candidate_expiries, KeyPlan};
use crate::card::emulator::pki::{self, SignerKind};
use crate::card::emulator::profile::CitizenProfile;
use crate::card::passive_auth::TrustStore;
use crate::ui::cards::{self, CardSource, EmulatedCards, ReadMsg};
use crate::ui::flow::{self, Effect, Event, Flow, LivePhoto, Officer, Screen};
use crate::ui::screens::photo::{face_check, FaceCheck};
use crate::ui::sink::{Mode, PhotoQuality, Service};
use chrono::{Datelike, Local, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Citizens to serve.
    pub citizens: u32,
    /// Officers taking turns (each citizen is served by officer `n mod K`).
    pub officers: u32,
    /// Inject the faults a real day brings.
    pub faults: bool,
    /// Seed for citizens and faults: the same seed gives the same day.
    pub seed: u64,
    /// The queue's data directory.
    pub data_dir: PathBuf,
    /// Kiosk id written into records.
    pub kiosk_id: String,
    /// Unit code records count for.
    pub unit: String,
    /// Citizens who apply for a card after the activations (issue 9).
    pub applications: u32,
    /// The calendar they book (`[appointments]` of the config); None: one
    /// office with the default hours and capacity ([`sim_appointments`]).
    pub appointments: Option<crate::config::Appointments>,
}

/// The calendar applications book when the config has none: one office,
/// 07:30–22:00, 30-minute slots of 4 seats.
pub fn sim_appointments() -> crate::config::Appointments {
    crate::config::Appointments::with_offices(&["Công an xã (điểm mô phỏng)"])
}

/// A fault a citizen brings (with `--faults`). None of them is queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The card leaves the reader in the middle of the read.
    CardPulled,
    /// The QR code shown is not a card's (no 12-digit ID).
    BadQr,
    /// The key belongs to another card: every PACE/BAC attempt is refused.
    WrongKey,
    /// The number typed is not a Vietnamese mobile number.
    InvalidPhone,
    /// The citizen declines the consent text.
    DeclinedConsent,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 5] = [
        Fault::CardPulled,
        Fault::BadQr,
        Fault::WrongKey,
        Fault::InvalidPhone,
        Fault::DeclinedConsent,
    ];

    /// The reason printed and counted.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::CardPulled => "card_pulled",
            Fault::BadQr => "bad_qr",
            Fault::WrongKey => "wrong_key",
            Fault::InvalidPhone => "invalid_phone",
            Fault::DeclinedConsent => "declined_consent",
        }
    }
}

/// Share of citizens that bring a fault when faults are on.
pub const FAULT_SHARE: f64 = 0.3;

/// The simulation could not run (or the pipeline did something no citizen caused).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The queue could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// stdout went away.
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
    /// The test PKI could not be made.
    #[error("test PKI: {0}")]
    Pki(String),
}

/// The day's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Citizens served.
    pub citizens: u32,
    /// Records committed to the queue.
    pub queued: u64,
    /// Citizens who left without a record, by reason (the faults).
    pub rejected: BTreeMap<String, u64>,
    /// Citizens the pipeline failed although no fault was planned, by what failed.
    /// Anything here is a bug (the CLI exits 1).
    pub unexpected: BTreeMap<String, u64>,
    /// Wall time.
    pub seconds: f64,
    /// Queued records per second of wall time.
    pub records_per_second: f64,
    /// Card applications stored (also counted in `queued`).
    pub applications: u64,
    /// Applications sent back from a full slot to choose another (then stored).
    pub rebooked: u64,
}

const FAMILY: [&str; 12] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
];
const MIDDLE_F: [&str; 5] = ["Thị", "Ngọc", "Thu", "Thị Thanh", "Hồng"];
const MIDDLE_M: [&str; 5] = ["Văn", "Đức", "Minh", "Quốc", "Hữu"];
const GIVEN_F: [&str; 8] = [
    "Hương",
    "Lan",
    "Ánh",
    "Thảo",
    "Hằng",
    "Nguyệt",
    "Phượng",
    "Yến",
];
const GIVEN_M: [&str; 8] = ["Dũng", "Khôi", "Bảo", "Đạt", "Hùng", "Tuấn", "Lộc", "Thắng"];
/// (code, residence) pairs: real province codes of the ID number.
const PLACES: [(&str, &str); 6] = [
    ("001", "Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội"),
    ("079", "Phường Bến Nghé, Quận 1, TP Hồ Chí Minh"),
    ("048", "Phường Hải Châu I, Quận Hải Châu, Đà Nẵng"),
    ("038", "Xã Xuân Hòa, Huyện Thọ Xuân, Thanh Hóa"),
    ("092", "Phường An Hòa, Quận Ninh Kiều, Cần Thơ"),
    ("075", "Xã Tân Phú, Huyện Đức Hòa, Long An"),
];
const STREETS: [&str; 5] = [
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Điện Biên Phủ",
];

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list.get(rng.gen_range(0..list.len().max(1)))
        .copied()
        .unwrap_or_default()
}

fn citizen_rng(seed: u64, n: u32) -> StdRng {
    StdRng::seed_from_u64(seed ^ (u64::from(n) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn ddmmyyyy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Citizen number `n` of the day seeded `seed`: a valid, varied card holder aged
/// 16 to 90 (younger citizens need a guardian, which the kiosk's flow does not take
/// yet). The expiry follows the card-validity rules (DESIGN "Keys"), so a BAC key
/// from the QR code opens the chip.
pub fn citizen(seed: u64, n: u32) -> CitizenProfile {
    let mut rng = citizen_rng(seed, n);
    let today = Local::now().date_naive();
    let female = rng.gen_bool(0.5);
    let name = if female {
        format!(
            "{} {} {}",
            pick(&mut rng, &FAMILY),
            pick(&mut rng, &MIDDLE_F),
            pick(&mut rng, &GIVEN_F)
        )
    } else {
        format!(
            "{} {} {}",
            pick(&mut rng, &FAMILY),
            pick(&mut rng, &MIDDLE_M),
            pick(&mut rng, &GIVEN_M)
        )
    };
    let age = rng.gen_range(17..=90);
    let dob = NaiveDate::from_ymd_opt(
        today.year() - age,
        rng.gen_range(1..=12),
        rng.gen_range(1..=28),
    )
    .unwrap_or_default();
    let century = if dob.year() >= 2000 { 2 } else { 0 } + u8::from(female);
    let (code, place) = PLACES
        .get(rng.gen_range(0..PLACES.len()))
        .copied()
        .unwrap_or(PLACES[0]);
    let id_number = format!(
        "{code}{century}{:02}{:06}",
        dob.year() % 100,
        rng.gen_range(0..1_000_000u32)
    );
    // Issued in the 2021–2024 campaigns, at 14 or older.
    let first_issue = NaiveDate::from_ymd_opt(2021, 3, 1).unwrap_or_default();
    let last_issue = NaiveDate::from_ymd_opt(2024, 6, 30)
        .unwrap_or_default()
        .min(today);
    let span = (last_issue - first_issue).num_days().max(1);
    let mut issue = first_issue + chrono::Duration::days(rng.gen_range(0..span));
    if let Some(at14) = dob.with_year(dob.year() + 14) {
        issue = issue.max(at14).min(today);
    }
    let expiry = candidate_expiries(dob, Some(issue), today)
        .first()
        .and_then(|yymmdd| {
            if yymmdd == "991231" {
                return Some("Không thời hạn".to_string());
            }
            NaiveDate::parse_from_str(&format!("20{yymmdd}"), "%Y%m%d")
                .ok()
                .map(ddmmyyyy)
        })
        .unwrap_or_else(|| "Không thời hạn".into());
    let mut p = CitizenProfile::demo();
    p.id_number = id_number;
    p.full_name = name;
    p.date_of_birth = ddmmyyyy(dob);
    p.sex = if female { "Nữ" } else { "Nam" }.into();
    p.place_of_origin = pick(&mut rng, &PLACES.map(|(_, p)| p)).to_string();
    p.place_of_residence = format!(
        "Số {} Đường {}, {place}",
        rng.gen_range(1..300),
        pick(&mut rng, &STREETS)
    );
    p.identifying_marks = "Nốt ruồi C:1cm dưới mép trái".into();
    p.date_of_issue = ddmmyyyy(issue);
    p.date_of_expiry = expiry;
    p.father_name = Some(format!(
        "{} Văn {}",
        pick(&mut rng, &FAMILY),
        pick(&mut rng, &GIVEN_M)
    ));
    p.mother_name = Some(format!(
        "{} Thị {}",
        pick(&mut rng, &FAMILY),
        pick(&mut rng, &GIVEN_F)
    ));
    p.spouse_name = None;
    p.old_id_number = Some(format!("{:09}", rng.gen_range(0..1_000_000_000u32)));
    p.chip.pace = rng.gen_bool(0.5);
    p.chip.signer = SignerKind::ALL
        .get(rng.gen_range(0..SignerKind::ALL.len()))
        .copied()
        .unwrap_or(SignerKind::EcdsaP256Sha256);
    p
}

/// The mobile number citizen `n` types (`09…`, national form).
pub fn phone(seed: u64, n: u32) -> String {
    let mut rng = citizen_rng(seed ^ 0x005E_ED0F_0000, n);
    format!(
        "0{}{:08}",
        ['3', '5', '7', '8', '9']
            .get(rng.gen_range(0..5))
            .copied()
            .unwrap_or('9'),
        rng.gen_range(0..100_000_000u32)
    )
}

/// The citizens' taps, played against the kiosk's state machine and workers.
struct Kiosk {
    flow: Flow,
    cards: EmulatedCards,
    camera: CameraWorker,
    sink: StoreSink,
    trust: Arc<TrustStore>,
    read_tx: Sender<ReadMsg>,
    read_rx: Receiver<ReadMsg>,
    /// What the camera thread looks through.
    lens: Arc<Mutex<SyntheticSource>>,
    /// The last record committed by an `Enqueue` effect.
    committed: Option<(RecordId, String)>,
    /// The last enqueue failure.
    enqueue_error: Option<String>,
    thresholds: Thresholds,
    /// Card applications (issue 9): the desk the touch screen's worker uses.
    desk: Option<Arc<Mutex<crate::application::desk::Desk>>>,
    /// The last application stored by a `SubmitApplication` effect.
    applied: Option<(RecordId, String)>,
}

/// How one citizen's visit ended.
enum Visit {
    Queued(RecordId, String),
    Left(&'static str),
    Failed(String),
}

impl Kiosk {
    fn dispatch(&mut self, event: Event) {
        let f = std::mem::take(&mut self.flow);
        let (f, effects) = flow::transition(f, event, Utc::now());
        self.flow = f;
        for fx in effects {
            match fx {
                Effect::Camera(m) => self.camera.set_mode(m),
                Effect::StartRead { read_id, plan } => cards::spawn_read(
                    read_id,
                    self.cards.opener(),
                    *plan,
                    self.trust.clone(),
                    self.read_tx.clone(),
                    Arc::new(|| {}),
                ),
                Effect::Enqueue(e) => {
                    let r = self.sink.append_enrollment(&e);
                    drop(e);
                    let receipt = match r {
                        Ok((id, receipt)) => {
                            self.committed = Some((id, receipt.clone()));
                            Ok(receipt)
                        }
                        Err(err) => {
                            self.enqueue_error = Some(err.clone());
                            Err(err)
                        }
                    };
                    self.dispatch(Event::Enqueued(receipt));
                }
                Effect::CheckPhone(phone) => {
                    let count = crate::ui::sink::RecordSink::records_with_phone_today(
                        &mut self.sink,
                        &phone,
                    );
                    self.dispatch(Event::PhoneChecked { phone, count });
                }
                Effect::SubmitApplication { draft, officer } => {
                    let Some(desk) = self.desk.clone() else {
                        continue;
                    };
                    let r =
                        crate::ui::screens::apply_declare::submit_recorded(&desk, &draft, &officer);
                    drop(draft);
                    let r = r.map(|(id, receipt)| {
                        self.applied = Some((id, receipt.receipt.clone()));
                        receipt
                    });
                    self.dispatch(Event::ApplySubmitted(r));
                }
                // The simulated officer unlocks without a PIN and runs no diagnostics.
                Effect::CheckPin(_) | Effect::RunDiagnostics => {}
            }
        }
    }

    fn poll_cards(&mut self) {
        for e in self.cards.poll() {
            self.dispatch(Event::Card(e));
        }
    }

    /// The next camera frame answering the current mode (stale frames dropped).
    fn frame(&mut self) -> Result<Report, String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("camera: no frame in 20 s".into());
            }
            match self.camera.rx.recv_timeout(left) {
                Ok(CameraMsg::Frame(r)) if r.generation == self.camera.generation() => {
                    return Ok(*r)
                }
                Ok(CameraMsg::Frame(_)) => {}
                Ok(CameraMsg::Error(e, _)) => return Err(format!("camera: {e}")),
                Err(_) => return Err("camera: no frame in 20 s".into()),
            }
        }
    }

    /// Wait for the read worker; feed its progress and result to the flow.
    fn finish_read(&mut self) -> Result<(), String> {
        loop {
            match self.read_rx.recv_timeout(Duration::from_secs(60)) {
                Ok(ReadMsg::Progress { read_id, progress }) => {
                    self.dispatch(Event::ReadProgress { read_id, progress })
                }
                Ok(ReadMsg::Done { read_id, outcome }) => {
                    self.dispatch(Event::ReadDone { read_id, outcome });
                    return Ok(());
                }
                Err(_) => return Err("card read: no result in 60 s".into()),
            }
        }
    }

    fn set_officer(&mut self, officer: Officer) {
        if self.flow.officer == officer {
            return;
        }
        // The officer's own taps: open officer mode, unlock, save.
        self.dispatch(Event::OfficerOpen);
        self.dispatch(Event::OfficerUnlocked);
        self.dispatch(Event::OfficerSaved(officer));
    }

    fn visit(
        &mut self,
        profile: CitizenProfile,
        fault: Option<Fault>,
        phone: String,
        rng: &mut StdRng,
    ) -> Visit {
        let v = self.visit_inner(profile, fault, phone, rng);
        // Whatever happened, the card leaves and the kiosk goes back to Welcome.
        self.cards.handle().remove();
        self.poll_cards();
        if self.flow.screen != Screen::Welcome {
            self.dispatch(Event::Home);
        }
        v
    }

    fn visit_inner(
        &mut self,
        mut profile: CitizenProfile,
        fault: Option<Fault>,
        typed_phone: String,
        rng: &mut StdRng,
    ) -> Visit {
        self.committed = None;
        self.enqueue_error = None;
        let today = Local::now().date_naive();
        let qr = match fault {
            Some(Fault::BadQr) => "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html".to_string(),
            Some(Fault::WrongKey) => {
                // Someone else's card key: another citizen's QR code.
                citizen(rng.gen(), rng.gen()).qr_text()
            }
            _ => profile.qr_text(),
        };
        if fault == Some(Fault::CardPulled) {
            profile.chip.remove_after_apdus = Some(rng.gen_range(4..40));
        }
        self.cards.set_profile(profile);
        // The camera shows this citizen's card (its QR code) and then their face.
        match self.lens.lock() {
            Ok(mut l) => l.set_qr_text(Some(qr)),
            Err(_) => return Visit::Failed("camera: lens lock poisoned".into()),
        }

        self.dispatch(Event::Start(Service::EidLevel2));
        if fault == Some(Fault::DeclinedConsent) {
            self.dispatch(Event::ConsentDeclined);
            return Visit::Left(Fault::DeclinedConsent.as_str());
        }
        self.dispatch(Event::ConsentAccepted);
        if self.flow.screen == Screen::PlaceCard {
            self.cards.handle().insert();
            self.poll_cards();
        }
        if self.flow.screen != Screen::CardKey {
            return Visit::Failed(format!("after consent: screen {}", self.flow.screen.name()));
        }
        // Card key from the QR code, as the card-key screen reads it.
        let text = match self.frame() {
            Ok(r) => r.qr,
            Err(e) => return Visit::Failed(e),
        };
        let Some(text) = text else {
            return Visit::Failed("the card's QR code was not decoded".into());
        };
        match KeyPlan::from_qr(&text, today) {
            Ok(plan) => {
                self.flow.session.key.qr = Some(text);
                self.dispatch(Event::KeyReady(plan));
            }
            Err(e) => {
                self.dispatch(Event::KeyInvalid(flow::Notice {
                    key: "err.qr_invalid",
                    field: Some("field.qr"),
                    detail: Some(e.to_string()),
                }));
                return match fault {
                    Some(Fault::BadQr) => Visit::Left(Fault::BadQr.as_str()),
                    _ => Visit::Failed(format!("QR refused: {e}")),
                };
            }
        }
        if let Err(e) = self.finish_read() {
            return Visit::Failed(e);
        }
        if self.flow.screen != Screen::Review {
            let notice = self
                .flow
                .session
                .notice
                .as_ref()
                .map(|n| n.key)
                .unwrap_or("none");
            return match (fault, notice) {
                (Some(Fault::CardPulled), "err.card_removed") => {
                    Visit::Left(Fault::CardPulled.as_str())
                }
                (Some(Fault::WrongKey), "err.key_refused") => Visit::Left(Fault::WrongKey.as_str()),
                _ => Visit::Failed(format!(
                    "read ended on {} ({notice}: {})",
                    self.flow.screen.name(),
                    self.flow
                        .session
                        .notice
                        .as_ref()
                        .and_then(|n| n.detail.clone())
                        .unwrap_or_default()
                )),
            };
        }
        if fault == Some(Fault::CardPulled) {
            // Pulled too late to matter: the read had finished.
            tracing::debug!("card pulled after the read finished");
        }
        self.dispatch(Event::ReviewAccepted);
        // The photo: frames until the checks the photo screen applies pass.
        let mut taken = false;
        for _ in 0..10 {
            let rep = match self.frame() {
                Ok(r) => r,
                Err(e) => return Visit::Failed(e),
            };
            let (w, h) = rep.frame.dimensions();
            let face = face_check(&rep.faces, w, h);
            let ok = self.thresholds.bright_ok(&rep.quality)
                && self.thresholds.sharp_ok(&rep.quality)
                && matches!(face, FaceCheck::Ok | FaceCheck::NoDetector);
            if !ok {
                continue;
            }
            match capture(&rep, face == FaceCheck::NoDetector) {
                Ok(p) => self.dispatch(Event::PhotoTaken(Box::new(p))),
                Err(e) => return Visit::Failed(e),
            }
            taken = true;
            break;
        }
        if !taken {
            return Visit::Failed("no frame passed the photo checks in 10 tries".into());
        }
        self.dispatch(Event::PhotoAccepted);
        if self.flow.screen != Screen::Phone {
            return Visit::Failed(format!(
                "after the photo: screen {}",
                self.flow.screen.name()
            ));
        }
        // The phone keypad: the number typed twice, checked as the phone screen does.
        let typed = if fault == Some(Fault::InvalidPhone) {
            // A Hà Nội landline: refused, the citizen gives up.
            format!("024{:07}", rng.gen_range(0..10_000_000u32))
        } else {
            typed_phone
        };
        match crate::ui::phone::normalise(&typed) {
            Ok(n) => {
                self.dispatch(Event::PhoneConfirmed(n));
                // The same number on another record today: the officer reads the
                // warning and goes on (a family sharing one phone).
                if self.flow.session.phone.duplicate.is_some() {
                    self.dispatch(Event::DuplicateAccepted);
                }
            }
            Err(e) => {
                return match fault {
                    Some(Fault::InvalidPhone) => Visit::Left(Fault::InvalidPhone.as_str()),
                    _ => Visit::Failed(format!("phone refused: {e}")),
                }
            }
        }
        match (&self.flow.screen, self.committed.take()) {
            (Screen::Done { receipt }, Some((id, kept))) if *receipt == kept => {
                Visit::Queued(id, kept)
            }
            (s, _) => Visit::Failed(format!(
                "after the phone: screen {}{}",
                s.name(),
                self.enqueue_error
                    .as_deref()
                    .map(|e| format!(", queue: {e}"))
                    .unwrap_or_default()
            )),
        }
    }
}

/// One card application, as the citizen and the officer tap it.
#[derive(Clone)]
struct Applicant {
    /// Whose data (a seeded citizen).
    profile: CitizenProfile,
    reason: crate::application::fields::Reason,
    /// Only the birth year is known (typed `YYYY`).
    year_only: bool,
}

/// Application `k` of the day: reasons in turn, every fifth applicant an elder
/// known only by the birth year (the profile is made 62 or older).
fn applicant(seed: u64, citizens: u32, k: u32) -> Applicant {
    use crate::application::fields::Reason;
    let reason = Reason::ALL
        .get(k as usize % Reason::ALL.len())
        .copied()
        .unwrap_or(Reason::NeverIssued);
    let mut profile = citizen(seed, citizens + k);
    let year_only = k % 5 == 4;
    if year_only {
        // An elder: born 62–90 years ago, the ID number's year to match.
        let mut rng = citizen_rng(seed ^ 0xE1DE, k);
        let year = Local::now().year() - rng.gen_range(62..=90);
        profile.date_of_birth = format!("01/01/{year}");
        let female = profile.sex == "Nữ";
        profile.id_number = format!(
            "{}{}{:02}{}",
            profile.id_number.get(..3).unwrap_or("001"),
            u8::from(female),
            year % 100,
            profile.id_number.get(6..).unwrap_or("000000")
        );
    }
    Applicant {
        profile,
        reason,
        year_only,
    }
}

impl Kiosk {
    /// The slot screen's choice: the first bookable slot of `office` on `day`.
    fn first_free(
        &self,
        office: &str,
        day: NaiveDate,
    ) -> Option<crate::application::calendar::Slot> {
        let desk = self.desk.as_ref()?.lock().ok()?;
        let now = Local::now().fixed_offset();
        let slots = desk.slots(office, day, now).ok()?;
        slots
            .into_iter()
            .find(|s| s.bookable)
            .map(|s| crate::application::calendar::Slot {
                office: office.to_string(),
                day,
                start: s.start,
            })
    }

    /// A card application from Welcome to the receipt; `wanted` is the slot the
    /// citizen asks for first (full once its seats are taken: then the next free
    /// one). Returns the visit and whether the slot had to be chosen again.
    fn apply(
        &mut self,
        a: Applicant,
        wanted: &crate::application::calendar::Slot,
    ) -> (Visit, bool) {
        let v = self.apply_inner(a, wanted);
        if self.flow.screen != Screen::Welcome {
            self.dispatch(Event::Home);
        }
        v
    }

    fn apply_inner(
        &mut self,
        a: Applicant,
        wanted: &crate::application::calendar::Slot,
    ) -> (Visit, bool) {
        use crate::application::fields::{Procedure, Reason};
        use crate::ui::flow::ApplyField;
        self.applied = None;
        let failed = |what: String| (Visit::Failed(what), false);
        self.dispatch(Event::Start(Service::CardApplication));
        self.dispatch(Event::ConsentAccepted);
        if self.flow.screen != Screen::ApplyProcedure {
            return failed(format!("after consent: screen {}", self.flow.screen.name()));
        }
        let p = &a.profile;
        let Some(entry) = self.flow.session.apply.as_mut() else {
            return failed("no application after consent".into());
        };
        // The procedure and reason buttons.
        entry.draft.choose_procedure(a.reason.procedure());
        entry.draft.reason = Some(a.reason);
        self.dispatch(Event::ApplyNext);
        if self.flow.screen != Screen::ApplyData {
            return failed(format!(
                "after the reason: screen {}",
                self.flow.screen.name()
            ));
        }
        let Some(entry) = self.flow.session.apply.as_mut() else {
            return failed("application lost".into());
        };
        // The keyboard: each field typed, as the data screen's composer leaves it.
        let dob = if a.year_only {
            p.date_of_birth.get(6..).unwrap_or_default().to_string()
        } else {
            p.date_of_birth.clone()
        };
        let needs_id = a.reason.procedure() != Procedure::FirstIssue;
        for (field, text) in [
            (ApplyField::FullName, p.full_name.clone()),
            (ApplyField::DateOfBirth, dob),
            (
                ApplyField::IdNumber,
                if needs_id || a.year_only {
                    p.id_number.clone()
                } else {
                    String::new()
                },
            ),
            (
                ApplyField::OldIdNumber,
                if a.reason == Reason::FromOldCmnd {
                    p.old_id_number.clone().unwrap_or_default()
                } else {
                    String::new()
                },
            ),
            (ApplyField::PlaceOfResidence, p.place_of_residence.clone()),
        ] {
            entry.focus(field);
            entry.composer.set_text(&text);
            entry.sync();
        }
        entry.draft.form.sex = p.sex.clone();
        self.dispatch(Event::ApplyNext);
        self.dispatch(Event::ApplyNext);
        if self.flow.screen != Screen::ApplySlot {
            let problems = self
                .flow
                .session
                .apply
                .as_ref()
                .map(|e| {
                    flow::field_problems(&e.draft, Local::now().date_naive())
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            return failed(format!(
                "check: screen {} ({problems})",
                self.flow.screen.name()
            ));
        }
        let mut rebooked = false;
        let mut slot = wanted.clone();
        for _ in 0..3 {
            let Some(entry) = self.flow.session.apply.as_mut() else {
                return failed("application lost".into());
            };
            entry.office = Some(slot.office.clone());
            entry.day = Some(slot.day);
            entry.draft.slot = Some(slot.clone());
            self.dispatch(Event::ApplyNext);
            if let Some(entry) = self.flow.session.apply.as_mut() {
                entry.draft.accept_declaration(Utc::now());
            }
            self.dispatch(Event::ApplySubmit);
            match &self.flow.screen {
                Screen::ApplyDone(r) => {
                    return match self.applied.take() {
                        Some((id, receipt)) if receipt == r.receipt => {
                            (Visit::Queued(id, receipt), rebooked)
                        }
                        _ => failed("receipt shown without a stored application".into()),
                    };
                }
                Screen::ApplySlot => {
                    // Full: the slot screen shows it taken; the next free one.
                    rebooked = true;
                    match self.first_free(&slot.office, slot.day) {
                        Some(next) => slot = next,
                        None => return (Visit::Left("no_free_slot"), rebooked),
                    }
                }
                s => {
                    let key = self.flow.session.notice.as_ref().map(|n| n.key);
                    return match key {
                        Some("apply.already_booked") => (Visit::Left("already_booked"), rebooked),
                        _ => failed(format!("submit: screen {} ({key:?})", s.name())),
                    };
                }
            }
        }
        failed("submit: no slot after 3 tries".into())
    }
}

/// The synthetic camera, shared with the simulator so each citizen holds up their
/// own card's QR code; one camera thread, so the face detector is built once.
struct Lens {
    inner: Arc<Mutex<SyntheticSource>>,
    scene: Scene,
}

impl FrameSource for Lens {
    fn next_frame(&mut self) -> Result<image::RgbImage, CameraError> {
        let mut s = self
            .inner
            .lock()
            .map_err(|_| CameraError::Unavailable("simulated camera lock poisoned".into()))?;
        s.set_scene(self.scene);
        s.next_frame()
    }

    fn set_scene(&mut self, scene: Scene) {
        self.scene = scene;
    }
}

/// The live photo from a frame, as the photo screen captures it (JPEG quality 90).
fn capture(rep: &Report, officer_confirmed: bool) -> Result<LivePhoto, String> {
    use sha2::Digest;
    let frame = &*rep.frame;
    let mut jpeg = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90);
    frame
        .write_with_encoder(enc)
        .map_err(|e| format!("live photo JPEG: {e}"))?;
    let sha256 = hex::encode(sha2::Sha256::digest(&jpeg));
    Ok(LivePhoto {
        jpeg,
        sha256,
        rgb: (frame.width(), frame.height(), frame.as_raw().clone()),
        quality: PhotoQuality {
            brightness: rep.quality.brightness,
            sharpness: rep.quality.sharpness,
            faces: rep.faces.as_ref().ok().map(Vec::len),
            officer_confirmed,
        },
    })
}

/// Run the day; one line per citizen on `out` (flushed). With `opts.faults`, a
/// seeded [`FAULT_SHARE`] of citizens bring a fault chosen at random.
pub fn run(opts: &SimOptions, out: &mut dyn Write) -> Result<Summary, SimError> {
    let mut rng = StdRng::seed_from_u64(opts.seed ^ 0xFA17);
    let faults = opts.faults;
    run_with(opts, out, &mut |_| {
        (faults && rng.gen_bool(FAULT_SHARE))
            .then(|| Fault::ALL.get(rng.gen_range(0..Fault::ALL.len())).copied())
            .flatten()
    })
}

/// Run the day with `fault_of(n)` choosing citizen `n`'s fault (tests force each
/// fault this way).
pub fn run_with(
    opts: &SimOptions,
    out: &mut dyn Write,
    fault_of: &mut dyn FnMut(u32) -> Option<Fault>,
) -> Result<Summary, SimError> {
    let started = Instant::now();
    let sink = StoreSink::open(&opts.data_dir, &opts.kiosk_id, &opts.unit)?;
    let csca = pki::test_pki()
        .and_then(|p| p.csca_certificate())
        .map_err(|e| SimError::Pki(e.to_string()))?;
    let trust = TrustStore::from_certs(vec![csca]).map_err(|e| SimError::Pki(e.to_string()))?;
    let (read_tx, read_rx) = channel();
    let mut idle = SyntheticSource::new(None);
    idle.frame_interval = Duration::ZERO;
    let lens = Arc::new(Mutex::new(idle));
    let camera = CameraWorker::start(
        Box::new(Lens {
            inner: lens.clone(),
            scene: Scene::Face,
        }),
        true,
        Box::new(|| {}),
    );
    let mut kiosk = Kiosk {
        flow: Flow::default(),
        cards: EmulatedCards::empty_reader(CitizenProfile::demo()),
        camera,
        sink,
        trust: Arc::new(trust),
        read_tx,
        read_rx,
        lens,
        committed: None,
        enqueue_error: None,
        thresholds: Thresholds::default(),
        desk: None,
        applied: None,
    };
    if opts.applications > 0 {
        let desk = crate::application::desk::Desk::open_with(
            &opts.data_dir,
            opts.appointments.clone().unwrap_or_else(sim_appointments),
            &opts.kiosk_id,
            &opts.unit,
        )?;
        kiosk.flow.applications = true;
        kiosk.flow.renewal_window_months = Some(desk.calendar().config().renewal_window_months);
        kiosk.desk = Some(Arc::new(Mutex::new(desk)));
    }
    kiosk.poll_cards(); // the reader appears
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut summary = Summary {
        citizens: opts.citizens,
        ..Summary::default()
    };
    let officers = opts.officers.max(1);
    for n in 0..opts.citizens {
        kiosk.set_officer(Officer {
            officer_id: format!("CB{:02}", n % officers + 1),
            unit: opts.unit.clone(),
            mode: Mode::Kiosk,
        });
        let fault = fault_of(n);
        let profile = citizen(opts.seed, n);
        match kiosk.visit(profile, fault, phone(opts.seed, n), &mut rng) {
            Visit::Queued(id, receipt) => {
                summary.queued += 1;
                writeln!(out, "committed {id} {receipt}")?;
            }
            Visit::Left(reason) => {
                *summary.rejected.entry(reason.to_string()).or_default() += 1;
                writeln!(out, "rejected {n} {reason}")?;
            }
            Visit::Failed(what) => {
                // `what` comes from the pipeline's own messages: no personal data.
                tracing::error!(citizen = n, "simulated enrollment failed: {what}");
                let key = what.split(':').next().unwrap_or("failed").to_string();
                *summary.unexpected.entry(key).or_default() += 1;
                writeln!(out, "failed {n} {what}")?;
            }
        }
        out.flush()?;
    }
    // Card applications: everyone asks first for the day's first free slot.
    let wanted = kiosk.desk.as_ref().and_then(|d| {
        let d = d.lock().ok()?;
        let office = d.calendar().config().offices.first()?.clone();
        let today = Local::now().date_naive();
        let days = d.calendar().bookable_days(today);
        drop(d);
        days.into_iter()
            .filter(|day| *day > today)
            .find_map(|day| kiosk.first_free(&office, day))
    });
    let mut first_applicant: Option<Applicant> = None;
    for k in 0..opts.applications {
        let n = opts.citizens + k;
        kiosk.set_officer(Officer {
            officer_id: format!("CB{:02}", n % officers + 1),
            unit: opts.unit.clone(),
            mode: if k % 2 == 0 {
                Mode::Outreach
            } else {
                Mode::HomeVisit
            },
        });
        let mut a = applicant(opts.seed, opts.citizens, k);
        if k == 1 && opts.citizens > 0 {
            // The day's first activated citizen books the renewal of their card.
            a = Applicant {
                profile: citizen(opts.seed, 0),
                reason: crate::application::fields::Reason::AgeMilestone,
                year_only: false,
            };
        }
        if k + 1 == opts.applications && k >= 2 {
            // The first applicant comes back: already booked, refused.
            if let Some(first) = first_applicant.take() {
                a = first;
            }
        }
        let Some(wanted) = wanted.clone() else {
            *summary.unexpected.entry("calendar".into()).or_default() += 1;
            writeln!(out, "failed {n} calendar: no bookable slot")?;
            continue;
        };
        let again = a.clone();
        match kiosk.apply(a, &wanted) {
            (Visit::Queued(id, receipt), rebooked) => {
                summary.queued += 1;
                summary.applications += 1;
                summary.rebooked += u64::from(rebooked);
                writeln!(out, "committed {id} {receipt}")?;
                if k == 0 {
                    first_applicant = Some(again);
                }
            }
            (Visit::Left(reason), _) => {
                *summary.rejected.entry(reason.to_string()).or_default() += 1;
                writeln!(out, "rejected {n} {reason}")?;
            }
            (Visit::Failed(what), _) => {
                tracing::error!(citizen = n, "simulated application failed: {what}");
                let key = what.split(':').next().unwrap_or("failed").to_string();
                *summary.unexpected.entry(key).or_default() += 1;
                writeln!(out, "failed {n} {what}")?;
            }
        }
        out.flush()?;
    }
    summary.citizens = opts.citizens + opts.applications;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.records_per_second = summary.queued as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

/// Print the summary: human lines, then one JSON line (`summary {…}`).
pub fn print_summary(s: &Summary, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "queued {} of {} citizens", s.queued, s.citizens)?;
    let total: u64 = s.rejected.values().sum();
    let parts: Vec<String> = s.rejected.iter().map(|(k, v)| format!("{k} {v}")).collect();
    writeln!(out, "rejected {total} ({})", parts.join(", "))?;
    if !s.unexpected.is_empty() {
        let parts: Vec<String> = s
            .unexpected
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(out, "FAILED unexpectedly: {}", parts.join(", "))?;
    }
    writeln!(
        out,
        "throughput {:.2} records/s ({} records in {:.1} s)",
        s.records_per_second, s.queued, s.seconds
    )?;
    writeln!(
        out,
        "summary {}",
        serde_json::to_string(s).unwrap_or_default()
    )?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citizens_are_valid_varied_and_reproducible() {
        let today = Local::now().date_naive();
        let mut pace = 0;
        let mut names = std::collections::BTreeSet::new();
        for n in 0..60 {
            let p = citizen(7, n);
            assert_eq!(p, citizen(7, n));
            let plan = KeyPlan::from_qr(&p.qr_text(), today).unwrap();
            assert!(!plan.bac.is_empty(), "{}", p.qr_text());
            assert!(crate::ui::phone::normalise(&phone(7, n)).is_ok());
            pace += usize::from(p.chip.pace);
            names.insert(p.full_name.clone());
        }
        assert!(pace > 10 && pace < 50);
        assert!(names.len() > 40);
        assert!(names
            .iter()
            .any(|n| n.chars().any(|c| "ễầưởạđĐ".contains(c))));
        assert_ne!(citizen(7, 1), citizen(8, 1));
    }

    #[test]
    fn every_fault_leaves_the_citizen_unqueued_for_its_own_reason() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SimOptions {
            citizens: 6,
            officers: 1,
            faults: true,
            seed: 11,
            data_dir: dir.path().to_path_buf(),
            kiosk_id: "KIOSK-SIM".into(),
            unit: "27681".into(),
            applications: 0,
            appointments: None,
        };
        let mut out = Vec::new();
        // Citizens 0-4 bring each fault in turn; citizen 5 none.
        let s = run_with(&opts, &mut out, &mut |n| {
            Fault::ALL.get(n as usize).copied()
        })
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(s.unexpected.is_empty(), "{text}");
        for (n, f) in Fault::ALL.iter().enumerate() {
            assert!(
                text.lines()
                    .any(|l| l == format!("rejected {n} {}", f.as_str())),
                "{text}"
            );
        }
        assert_eq!(s.queued, 1, "{text}");
        assert_eq!(
            crate::queue::Store::open(dir.path())
                .unwrap()
                .list(&Default::default())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_day_with_faults_queues_the_good_citizens_and_counts_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SimOptions {
            citizens: 14,
            officers: 2,
            faults: true,
            seed: 3,
            data_dir: dir.path().to_path_buf(),
            kiosk_id: "KIOSK-SIM".into(),
            unit: "27681".into(),
            applications: 0,
            appointments: None,
        };
        let mut out = Vec::new();
        let s = run(&opts, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(s.unexpected.is_empty(), "{text}");
        let rejected: u64 = s.rejected.values().sum();
        assert_eq!(s.queued + rejected, 14, "{text}");
        assert!(rejected > 0 && s.queued > 0, "{text}");
        let store = crate::queue::Store::open(dir.path()).unwrap();
        let all = store.list(&Default::default()).unwrap();
        assert_eq!(all.len() as u64, s.queued);
        for line in text.lines().filter(|l| l.starts_with("committed ")) {
            let mut parts = line.split(' ').skip(1);
            let id: RecordId = parts.next().unwrap().parse().unwrap();
            let r = store.get(id).unwrap();
            assert_eq!(Some(r.summary.receipt.as_str()), parts.next());
            assert_eq!(r.summary.verdict, "genuine");
            assert!(r.summary.officer_id == "CB01" || r.summary.officer_id == "CB02");
        }
    }
}
