//! Where cards come from, and the read worker.
//!
//! [`CardSource`] is the kiosk's seam to the reader: the PC/SC one
//! ([`PcscCards`], hot-plug events from [`crate::card::monitor::Monitor`]) or the
//! project's emulator in-process ([`EmulatedCards`], for tests and the demo
//! tour). A read runs [`crate::card::read::read_card`] on a worker thread and
//! reports progress and the result on a channel; the UI thread never blocks.
//! Cancelling abandons the worker's result (the read finishes on its own within
//! a second or two and its data are dropped, wiped).

use super::flow::{CardData, ReadOutcome};
use crate::card::access_key::KeyPlan;
use crate::card::emulator::{personalise, profile::CitizenProfile, InProcessCard};
use crate::card::monitor::{CardEvent, Monitor};
use crate::card::passive_auth::{TrustStore, Verdict};
use crate::card::pcsc::{PcscTransport, ReaderFilter};
use crate::card::read::{read_card, CardRead, ReadFailure};
use crate::card::reader::{Progress, ReadCaps, ReadError};
use crate::card::transport::{CardTransport, TransportError};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

/// Opens the card for one read, on the worker thread.
pub type Opener = Box<
    dyn FnOnce() -> Result<(Box<dyn CardTransport + Send>, String, Vec<u8>), TransportError> + Send,
>;

/// Readers and cards, as the kiosk sees them.
pub trait CardSource: Send {
    /// Reader and card events since the last call (never blocks).
    fn poll(&mut self) -> Vec<CardEvent>;
    /// How to open the present card on the worker thread: transport, reader name, ATR.
    fn opener(&self) -> Opener;
}

/// Real readers through pcscd.
pub struct PcscCards {
    _monitor: Monitor,
    rx: Receiver<CardEvent>,
    filter: ReaderFilter,
    current: Option<String>,
}

impl PcscCards {
    /// Start the hot-plug monitor for the readers `filter` accepts.
    pub fn start(filter: ReaderFilter) -> Self {
        let (m, rx) = Monitor::start(filter.clone());
        Self {
            _monitor: m,
            rx,
            filter,
            current: None,
        }
    }
}

impl CardSource for PcscCards {
    fn poll(&mut self) -> Vec<CardEvent> {
        let ev: Vec<CardEvent> = self.rx.try_iter().collect();
        for e in &ev {
            match e {
                CardEvent::CardInserted { reader, .. } => self.current = Some(reader.clone()),
                CardEvent::CardRemoved(r) if self.current.as_ref() == Some(r) => {
                    self.current = None
                }
                _ => {}
            }
        }
        ev
    }

    fn opener(&self) -> Opener {
        let reader = self.current.clone();
        let filter = self.filter.clone();
        Box::new(move || {
            let t = match reader {
                Some(r) => PcscTransport::connect_to(&r)?,
                None => PcscTransport::connect(&filter)?,
            };
            let (name, atr) = (t.reader().to_string(), t.atr().to_vec());
            Ok((Box::new(t) as Box<dyn CardTransport + Send>, name, atr))
        })
    }
}

/// The project's emulated chip in-process, "inserted" on a virtual reader.
pub struct EmulatedCards {
    /// Pause before each APDU (the demo tour shows the Reading screen at a real card's pace).
    pub apdu_delay: std::time::Duration,
    /// The citizen and chip behaviour each read's card is personalised from, shared
    /// with the handles: putting another citizen's card on the reader changes it.
    profile: Arc<Mutex<CitizenProfile>>,
    pending: Arc<Mutex<Vec<CardEvent>>>,
}

/// Inserts and removes the emulated card from outside (tests, the demo tour).
#[derive(Clone)]
pub struct EmulatedHandle {
    profile: Arc<Mutex<CitizenProfile>>,
    pending: Arc<Mutex<Vec<CardEvent>>>,
}

impl EmulatedHandle {
    /// Put `profile`'s card on the reader (the next citizen's card).
    pub fn insert_card(&self, profile: CitizenProfile) {
        if let Ok(mut p) = self.profile.lock() {
            *p = profile;
        }
        self.insert();
    }
    /// Put the card on the reader.
    pub fn insert(&self) {
        if let Ok(mut p) = self.pending.lock() {
            p.push(CardEvent::CardInserted {
                reader: EMULATED_READER.into(),
                atr: EMULATED_ATR.to_vec(),
            });
        }
    }
    /// Take the card off the reader.
    pub fn remove(&self) {
        if let Ok(mut p) = self.pending.lock() {
            p.push(CardEvent::CardRemoved(EMULATED_READER.into()));
        }
    }
    /// Unplug the reader (the monitor reports the card gone, then the reader).
    pub fn unplug_reader(&self) {
        if let Ok(mut p) = self.pending.lock() {
            p.push(CardEvent::CardRemoved(EMULATED_READER.into()));
            p.push(CardEvent::ReaderRemoved(EMULATED_READER.into()));
        }
    }
    /// Plug the reader back in (empty).
    pub fn plug_reader(&self) {
        if let Ok(mut p) = self.pending.lock() {
            p.push(CardEvent::ReaderAdded(EMULATED_READER.into()));
        }
    }
}

/// Reader name the emulated source reports.
pub const EMULATED_READER: &str = "Emulated CCCD reader";
const EMULATED_ATR: [u8; 4] = [0x3B, 0x88, 0x80, 0x01];

impl EmulatedCards {
    /// A reader with `profile`'s card already on it.
    pub fn new(profile: CitizenProfile) -> Self {
        let s = Self::empty_reader(profile);
        s.handle().insert();
        s
    }

    /// A reader with no card yet (insert it through [`Self::handle`]).
    pub fn empty_reader(profile: CitizenProfile) -> Self {
        Self {
            profile: Arc::new(Mutex::new(profile)),
            apdu_delay: std::time::Duration::ZERO,
            pending: Arc::new(Mutex::new(vec![CardEvent::ReaderAdded(
                EMULATED_READER.into(),
            )])),
        }
    }

    /// A handle to insert and remove the card.
    pub fn handle(&self) -> EmulatedHandle {
        EmulatedHandle {
            profile: self.profile.clone(),
            pending: self.pending.clone(),
        }
    }

    /// The card the next read opens (the simulator's next citizen).
    pub fn set_profile(&mut self, profile: CitizenProfile) {
        if let Ok(mut p) = self.profile.lock() {
            *p = profile;
        }
    }
}

/// A transport that waits before each APDU.
struct Paced<T> {
    inner: T,
    delay: std::time::Duration,
}

impl<T: CardTransport> CardTransport for Paced<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        std::thread::sleep(self.delay);
        self.inner.transmit(apdu)
    }
}

impl CardSource for EmulatedCards {
    fn poll(&mut self) -> Vec<CardEvent> {
        self.pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }

    fn opener(&self) -> Opener {
        let profile = self.profile.clone();
        let delay = self.apdu_delay;
        Box::new(move || {
            let p = profile
                .lock()
                .map(|p| p.clone())
                .map_err(|_| TransportError::Io("emulated card: profile lock poisoned".into()))?;
            let chip =
                personalise::chip(&p, None).map_err(|e| TransportError::Io(e.to_string()))?;
            Ok((
                Box::new(Paced {
                    inner: InProcessCard { chip },
                    delay,
                }) as Box<dyn CardTransport + Send>,
                EMULATED_READER.to_string(),
                EMULATED_ATR.to_vec(),
            ))
        })
    }
}

/// Messages from the read worker.
pub enum ReadMsg {
    Progress { read_id: u64, progress: Progress },
    Done { read_id: u64, outcome: ReadOutcome },
}

/// Start one read on its own thread.
pub fn spawn_read(
    read_id: u64,
    opener: Opener,
    plan: KeyPlan,
    trust: Arc<TrustStore>,
    tx: Sender<ReadMsg>,
    wake: Arc<dyn Fn() + Send + Sync>,
) {
    let spawned = std::thread::Builder::new()
        .name("card-read".into())
        .spawn(move || {
            let outcome = match opener() {
                Err(e) => failure_of_transport(e),
                Ok((card, reader, atr)) => {
                    let caps = ReadCaps::remembered(&reader, &atr);
                    let ptx = tx.clone();
                    let pwake = wake.clone();
                    let mut progress = move |p: Progress| {
                        let _ = ptx.send(ReadMsg::Progress {
                            read_id,
                            progress: p,
                        });
                        pwake();
                    };
                    match read_card(card, &plan, caps, &trust, chrono::Utc::now(), &mut progress) {
                        Ok(r) => {
                            r.caps.remember(&reader, &atr);
                            ReadOutcome::Card(Box::new(card_data(r, &reader, &atr)))
                        }
                        Err(ReadFailure::AccessDenied { message, .. }) => {
                            ReadOutcome::KeyRefused { detail: message }
                        }
                        Err(ReadFailure::Transport(e))
                        | Err(ReadFailure::File(ReadError::Transport(e))) => {
                            failure_of_transport(e)
                        }
                        Err(e) => ReadOutcome::Failed {
                            detail: e.to_string(),
                        },
                    }
                }
            };
            let _ = tx.send(ReadMsg::Done { read_id, outcome });
            wake();
        });
    if let Err(e) = spawned {
        tracing::error!("could not start the card-read thread: {e}");
    }
}

fn failure_of_transport(e: TransportError) -> ReadOutcome {
    match e {
        TransportError::CardRemoved | TransportError::CardReset | TransportError::NoCard => {
            ReadOutcome::CardRemoved
        }
        other => ReadOutcome::Failed {
            detail: other.to_string(),
        },
    }
}

/// What the flow keeps of a read: display fields, the record's JSON (without
/// religion and ethnicity), the raw files for re-verification, the chip photo.
pub fn card_data(mut r: CardRead, reader: &str, atr: &[u8]) -> CardData {
    use sha2::Digest;
    let today = chrono::Local::now().date_naive();
    // The face is decoded once: for display here, and its size for the JSON.
    let face = r.dg2.as_ref().and_then(|d| d.decode_image().ok());
    let mut json = r.to_json_with_size(
        reader,
        atr,
        today,
        face.as_ref().map(|i| (i.width(), i.height())),
    );
    if let Some(c) = json.get_mut("citizen").and_then(|c| c.as_object_mut()) {
        c.remove("religion");
        c.remove("ethnicity");
    }
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let (full_name, id_number, date_of_birth, sex, address) = match &r.dg13 {
        Some(d) => (
            s(&d.full_name),
            s(&d.id_number),
            s(&d.date_of_birth),
            s(&d.sex),
            s(&d.place_of_residence),
        ),
        None => match &r.mrz {
            Some(m) => {
                let j = m.mrz.to_json(today);
                let g = |k: &str| {
                    j.get(k)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                (
                    g("name"),
                    g("document_number"),
                    g("date_of_birth"),
                    g("sex"),
                    String::new(),
                )
            }
            None => Default::default(),
        },
    };
    let photo_rgb = face.map(|i| {
        let rgb = i.to_rgb8();
        (rgb.width(), rgb.height(), rgb.into_raw())
    });
    let photo_sha256 = r
        .dg2
        .as_ref()
        .map(|d| hex::encode(sha2::Sha256::digest(&d.image)))
        .unwrap_or_default();
    let verdict = r.verification.verdict;
    let reasons = if verdict == Verdict::Genuine {
        Vec::new()
    } else {
        r.verification.errors.clone()
    };
    let dg2_sha256 = r
        .files
        .get(&0x0102)
        .map(|f| hex::encode(sha2::Sha256::digest(f)))
        .unwrap_or_default();
    let mut take = |fid: u16| r.files.remove(&fid).unwrap_or_default();
    let (sod, dg1, dg13) = (take(0x011D), take(0x0101), take(0x010D));
    for f in r.files.values_mut() {
        zeroize::Zeroize::zeroize(f);
    }
    CardData {
        full_name,
        id_number,
        date_of_birth,
        sex,
        address,
        verdict: Some(verdict),
        reasons,
        card_json: json.to_string(),
        sod,
        dg1,
        dg13,
        photo_rgb,
        photo_sha256,
        dg2_sha256,
    }
}
