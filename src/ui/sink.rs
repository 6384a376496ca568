//! Where a finished enrollment goes: the [`RecordSink`] seam between the kiosk
//! screens and the durable queue ([`crate::queue::sink::StoreSink`]). Nothing reaches
//! a sink before the contact step completes. The sink lives on its own thread
//! ([`SinkWorker`]): SQLite's `synchronous=FULL` fsync must never freeze the touch
//! screen, and a failed write (one transaction: all or nothing) comes back as an
//! event while the session keeps the citizen's data for a retry. Receipt codes are
//! [`crate::queue::receipt`]'s, for every sink.
//!
//! An [`Enrollment`] wipes its bytes and strings on drop (zeroize): the kiosk
//! must not leave a citizen's data in memory after it is queued or abandoned.

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use zeroize::Zeroize;

/// The service the citizen asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Activate the e-ID account at level 2 (with biometrics).
    EidLevel2,
    /// Register an e-ID account at level 1.
    EidLevel1,
    /// Help with a card application.
    CardApplication,
}

impl Service {
    /// The record's `service` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::EidLevel2 => "eid_level2",
            Service::EidLevel1 => "eid_level1",
            Service::CardApplication => "card_application",
        }
    }
}

/// Where the officer is working (DESIGN.md "Activation record").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Kiosk,
    Outreach,
    HomeVisit,
}

impl Mode {
    /// The record's `mode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Kiosk => "kiosk",
            Mode::Outreach => "outreach",
            Mode::HomeVisit => "home_visit",
        }
    }
}

/// Checks measured on the captured live photo.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PhotoQuality {
    pub brightness: f32,
    pub sharpness: f32,
    /// Faces the detector found; `None` when no detector was available.
    pub faces: Option<usize>,
    /// The officer confirmed the photo by hand (no detector, or checks overridden).
    pub officer_confirmed: bool,
}

/// How the result reaches the citizen (DESIGN.md "Flow and consent": phone or
/// e-mail; a relative's number with the relation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// The citizen's own mobile, normalised `+84…`.
    Phone(String),
    /// A relative's mobile (`+84…`) and who they are ("Con", "Cháu", …).
    RelativePhone { phone: String, relation: String },
    /// An e-mail address.
    Email(String),
}

impl Contact {
    /// The phone number, when the contact is one.
    pub fn phone(&self) -> Option<&str> {
        match self {
            Contact::Phone(p) | Contact::RelativePhone { phone: p, .. } => Some(p),
            Contact::Email(_) => None,
        }
    }

    fn zeroize(&mut self) {
        match self {
            Contact::Phone(p) | Contact::Email(p) => p.zeroize(),
            Contact::RelativePhone { phone, relation } => {
                phone.zeroize();
                relation.zeroize();
            }
        }
    }
}

impl Drop for Contact {
    fn drop(&mut self) {
        self.zeroize();
    }
}

/// Everything the kiosk collected for one citizen.
#[derive(Debug, Clone)]
pub struct Enrollment {
    pub created_at: DateTime<Utc>,
    pub service: Service,
    /// Version of the consent text the citizen accepted, and when.
    pub consent_version: String,
    pub consent_at: DateTime<Utc>,
    pub officer_id: Option<String>,
    pub unit: Option<String>,
    pub mode: Mode,
    /// The `read --json` object of the card, minus religion and ethnicity (not needed
    /// for the service, Decree 13/2023), as JSON text.
    pub card_json: String,
    /// Raw EF.SOD, DG1 and DG13 so the back office can re-verify the card.
    pub sod: Vec<u8>,
    pub dg1: Vec<u8>,
    pub dg13: Vec<u8>,
    /// SHA-256 of the chip's face image bytes (hex).
    pub chip_photo_sha256: String,
    /// SHA-256 of the whole DG2 file (hex).
    pub dg2_sha256: String,
    /// The live photo, JPEG, and its SHA-256 (hex).
    pub live_jpeg: Vec<u8>,
    pub live_sha256: String,
    pub quality: PhotoQuality,
    /// How the result reaches the citizen.
    pub contact: Contact,
    /// The guardian who consented with a citizen aged 14–15.
    pub guardian: Option<crate::queue::record::Guardian>,
}

impl Drop for Enrollment {
    fn drop(&mut self) {
        self.card_json.zeroize();
        self.sod.zeroize();
        self.dg1.zeroize();
        self.dg13.zeroize();
        self.live_jpeg.zeroize();
        self.chip_photo_sha256.zeroize();
        self.live_sha256.zeroize();
        if let Some(g) = self.guardian.as_mut() {
            g.full_name.zeroize();
            if let Some(id) = g.id_number.as_mut() {
                id.zeroize();
            }
        }
    }
}

/// A durable (or test) store of enrollments.
pub trait RecordSink: Send {
    /// Store the record, all of it or nothing; returns the receipt code shown to the
    /// citizen.
    fn enqueue(&mut self, e: &Enrollment) -> Result<String, String>;
    /// How many records made today already carry `phone` (normalised `+84…`): the
    /// kiosk warns (does not block) when a number is on another record today.
    fn records_with_phone_today(&mut self, phone: &str) -> Result<u64, String>;
}

/// Keeps records in memory, shared with the test that made it.
#[derive(Clone, Default)]
pub struct MemorySink {
    /// The records enqueued, in order.
    pub records: Arc<Mutex<Vec<Enrollment>>>,
    /// While set, every enqueue fails with this message (disk full, …); shared, so a
    /// test can clear it and see the retry succeed.
    pub fail_with: Arc<Mutex<Option<String>>>,
    /// Each enqueue takes this long (a slow disk's fsync): the UI must not wait on it.
    pub delay: std::time::Duration,
}

impl RecordSink for MemorySink {
    fn enqueue(&mut self, e: &Enrollment) -> Result<String, String> {
        std::thread::sleep(self.delay);
        if let Some(m) = self.fail_with.lock().ok().and_then(|f| f.clone()) {
            return Err(m);
        }
        let mut r = self
            .records
            .lock()
            .map_err(|_| "memory sink poisoned".to_string())?;
        r.push(e.clone());
        // The same codes the durable queue gives (one implementation: queue::receipt).
        Ok(crate::queue::receipt::Receipt::random(&mut rand::thread_rng()).to_string())
    }

    fn records_with_phone_today(&mut self, phone: &str) -> Result<u64, String> {
        let today = chrono::Local::now().date_naive();
        let r = self
            .records
            .lock()
            .map_err(|_| "memory sink poisoned".to_string())?;
        Ok(r.iter()
            .filter(|e| {
                e.contact.phone() == Some(phone)
                    && e.created_at.with_timezone(&chrono::Local).date_naive() == today
            })
            .count() as u64)
    }
}

/// Work for the sink thread.
pub enum SinkJob {
    Enqueue(Box<Enrollment>),
    PhoneToday(String),
}

/// The sink on its own thread, so the UI never waits on SQLite's fsync
/// (`synchronous=FULL`): jobs go in on a channel, results come back as flow events.
pub struct SinkWorker {
    tx: Option<std::sync::mpsc::Sender<SinkJob>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SinkWorker {
    /// Start the thread; `reply` gets each job's result event (and wakes the UI).
    pub fn start(
        mut sink: Box<dyn RecordSink>,
        reply: Box<dyn Fn(super::flow::Event) + Send>,
    ) -> SinkWorker {
        use super::flow::Event;
        let (tx, rx) = std::sync::mpsc::channel::<SinkJob>();
        let thread = std::thread::Builder::new()
            .name("record-sink".into())
            .spawn(move || {
                for job in rx {
                    match job {
                        SinkJob::Enqueue(e) => {
                            let r = sink.enqueue(&e);
                            drop(e);
                            if let Err(err) = &r {
                                tracing::error!("enqueue failed: {err}");
                            }
                            reply(Event::Enqueued(r));
                        }
                        SinkJob::PhoneToday(phone) => {
                            let count = sink.records_with_phone_today(&phone);
                            reply(Event::PhoneChecked { phone, count });
                        }
                    }
                }
            })
            .ok();
        SinkWorker {
            tx: Some(tx),
            thread,
        }
    }

    /// Hand a job to the thread (never blocks).
    pub fn send(&self, job: SinkJob) -> Result<(), String> {
        self.tx
            .as_ref()
            .ok_or_else(|| "record sink stopped".to_string())?
            .send(job)
            .map_err(|_| "the record-sink thread has stopped".to_string())
    }
}

impl Drop for SinkWorker {
    fn drop(&mut self) {
        // Close the channel, then wait: a record being written is finished, never cut.
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
