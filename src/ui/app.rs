//! The eframe app: owns the workers and the [`Flow`], routes worker messages and
//! screen events through [`transition`], and runs the effects. Drawing lives in
//! `screens/`, decisions in `flow.rs`; this file only wires them.

use super::cards::{self, CardSource, ReadMsg};
use super::flow::{transition, Effect, Event, Flow, Pin, PinCheck, Screen};
use super::screens::{self, ScreenCtx, UiState};
use super::sink::{RecordSink, SinkJob, SinkWorker};
use super::{theme, Config};
use crate::application::desk::Desk;
use crate::camera::worker::{CameraMsg, CameraWorker, Report};
use crate::camera::FrameSource;
use crate::card::passive_auth::TrustStore;
use egui::{TextureHandle, TextureOptions};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The kiosk application.
pub struct KioskApp {
    flow: Flow,
    cards: Box<dyn CardSource>,
    camera: CameraWorker,
    sink: SinkWorker,
    trust: Arc<TrustStore>,
    config: Config,
    read_tx: Sender<ReadMsg>,
    read_rx: Receiver<ReadMsg>,
    /// Results of short jobs (PIN checks, …) that ran on worker threads.
    work_tx: Sender<Event>,
    work_rx: Receiver<Event>,
    ctx_cell: Arc<OnceLock<egui::Context>>,
    last_activity: Instant,
    screen_since: Instant,
    last_screen: &'static str,
    report: Option<Report>,
    camera_error: Option<String>,
    tex: Textures,
    ui_state: UiState,
    styled: bool,
    /// CPU time of the last frames' `show` (layout + our logic), for "Measuring the UI".
    pub frame_times: Vec<Duration>,
    /// Card applications (issue 9), when the config has `[appointments]`; shared with
    /// the submit worker.
    desk: Option<Arc<Mutex<Desk>>>,
}

#[derive(Default)]
struct Textures {
    preview: Option<TextureHandle>,
    chip: Option<TextureHandle>,
    live: Option<TextureHandle>,
}

impl KioskApp {
    /// Build the app from its parts; nothing runs until the first frame.
    pub fn new(
        cards: Box<dyn CardSource>,
        camera: Box<dyn FrameSource>,
        sink: Box<dyn RecordSink>,
        trust: TrustStore,
        config: Config,
    ) -> Self {
        let ctx_cell: Arc<OnceLock<egui::Context>> = Arc::new(OnceLock::new());
        let wake_cell = ctx_cell.clone();
        let camera = CameraWorker::start(
            camera,
            config.face_detector,
            // A short delay rather than an immediate repaint: frames arrive continuously,
            // and egui coalesces delayed repaints.
            Box::new(move || {
                if let Some(c) = wake_cell.get() {
                    c.request_repaint_after(Duration::from_millis(5));
                }
            }),
        );
        let (read_tx, read_rx) = channel();
        let (work_tx, work_rx) = channel::<Event>();
        let sink_tx = work_tx.clone();
        let sink_wake = ctx_cell.clone();
        let sink = SinkWorker::start(
            sink,
            Box::new(move |e| {
                let _ = sink_tx.send(e);
                if let Some(c) = sink_wake.get() {
                    c.request_repaint();
                }
            }),
        );
        let now = Instant::now();
        let mut flow = Flow {
            lang: config.language,
            home_lang: config.language,
            pin_policy: super::flow::PinPolicy {
                attempts: config.pin_attempts.max(1),
                lockout: chrono::Duration::from_std(config.pin_lockout)
                    .unwrap_or_else(|_| chrono::Duration::minutes(5)),
            },
            ..Flow::default()
        };
        if let Some(dir) = &config.data_dir {
            let lock = super::lockout::load(dir, config.clock.now(), flow.pin_policy.lockout);
            flow.pin_failures = lock.failures;
            flow.pin_locked_until = lock.locked_until;
        }
        Self {
            flow,
            cards,
            camera,
            sink,
            trust: Arc::new(trust),
            config,
            read_tx,
            read_rx,
            work_tx,
            work_rx,
            ctx_cell,
            last_activity: now,
            screen_since: now,
            last_screen: "welcome",
            report: None,
            camera_error: None,
            tex: Textures::default(),
            ui_state: UiState::default(),
            styled: false,
            frame_times: Vec::new(),
            desk: None,
        }
    }

    /// Run `f` on the desk (the demo tour picks a slot this way); None without one.
    pub fn with_desk_ref<R>(&self, f: impl FnOnce(&Desk) -> R) -> Option<R> {
        let desk = self.desk.as_ref()?.lock().ok()?;
        Some(f(&desk))
    }

    /// Offer card applications (and renewals after a chip read) through `desk`.
    pub fn with_desk(mut self, desk: Desk) -> Self {
        self.flow.applications = true;
        self.flow.renewal_window_months = Some(desk.calendar().config().renewal_window_months);
        self.desk = Some(Arc::new(Mutex::new(desk)));
        self
    }

    /// The test constructor (STYLE.md): an emulated card, a camera, a sink; the test
    /// CSCA trusted so the demo card reads `genuine`; short timers.
    pub fn for_test(
        cards: Box<dyn CardSource>,
        camera: Box<dyn FrameSource>,
        sink: Box<dyn RecordSink>,
    ) -> Self {
        Self::for_test_with(cards, camera, sink, Config::for_test())
    }

    /// [`Self::for_test`] with a given configuration (officers, language, timers).
    pub fn for_test_with(
        cards: Box<dyn CardSource>,
        camera: Box<dyn FrameSource>,
        sink: Box<dyn RecordSink>,
        config: Config,
    ) -> Self {
        let trust = crate::card::emulator::pki::test_pki()
            .ok()
            .and_then(|p| p.csca_certificate().ok())
            .and_then(|c| TrustStore::from_certs(vec![c]).ok())
            .unwrap_or_else(TrustStore::empty);
        Self::new(cards, camera, sink, trust, config)
    }

    /// The state machine (read-only), for tests and the demo tour.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// The session, for scripted input (the demo tour types as if tapped).
    pub fn session_mut(&mut self) -> &mut super::flow::Session {
        &mut self.flow.session
    }

    /// The supervisor screen: type `pass` on its keypad and tap Unlock (demo tour).
    /// True when it was accepted.
    pub fn supervisor_unlock(&mut self, pass: &str) -> bool {
        let Some(dir) = self.config.data_dir.clone() else {
            return false;
        };
        let p = &mut self.ui_state.supervisor;
        p.type_pass(pass);
        p.unlock(&dir, &self.config.removable_roots);
        p.is_unlocked()
    }

    /// The supervisor screen: tap "Export" for the chosen drive (demo tour).
    pub fn supervisor_export(&mut self) -> bool {
        match (
            self.config.data_dir.clone(),
            self.config.export_recipient.clone(),
        ) {
            (Some(dir), Some(r)) => {
                let lang = self.flow.lang;
                self.ui_state.supervisor.export_to_chosen(&dir, &r, lang)
            }
            _ => false,
        }
    }

    /// True once the supervisor's export has ended.
    pub fn supervisor_export_done(&self) -> bool {
        self.ui_state.supervisor.export_done()
    }

    /// The appointment list's panel (the demo tour picks the day through it).
    pub fn appointments_panel(&mut self) -> &mut super::screens::appointments::Panel {
        &mut self.ui_state.appointments
    }

    /// True once the tracker's views are loaded (they load on a worker thread).
    pub fn tracker_loaded(&self) -> bool {
        self.ui_state.tracker.is_loaded()
    }

    /// The tracker screen's panel (the demo tour picks tabs through it).
    pub fn tracker_panel(&mut self) -> &mut super::screens::tracker::Panel {
        &mut self.ui_state.tracker
    }

    /// True once the camera thread has delivered a frame for the current mode.
    pub fn has_camera_frame(&self) -> bool {
        self.report.is_some()
    }

    /// Pretend the citizen has not touched the screen for `d` (idle-timeout tests).
    pub fn pretend_idle(&mut self, d: Duration) {
        self.last_activity = self
            .last_activity
            .checked_sub(d)
            .unwrap_or(self.last_activity);
        self.screen_since = self
            .screen_since
            .checked_sub(d)
            .unwrap_or(self.screen_since);
    }

    /// Feed an event as if a screen had returned it (demo tour, tests).
    pub fn dispatch(&mut self, event: Event) {
        let flow = std::mem::take(&mut self.flow);
        let before = (flow.pin_failures, flow.pin_locked_until);
        let (flow, effects) = transition(flow, event, self.config.clock.now());
        self.flow = flow;
        if before != (self.flow.pin_failures, self.flow.pin_locked_until) {
            self.save_pin_lock();
        }
        for fx in effects {
            self.run_effect(fx);
        }
        let name = self.flow().screen.name();
        if name != self.last_screen {
            self.last_screen = name;
            self.screen_since = Instant::now();
            self.ui_state.on_screen_change();
            if name == "welcome" {
                self.tex = Textures::default();
                self.report = None;
            }
        }
    }

    /// Keep wrong PINs and the lock-out across restarts (the data dir; none in the tour).
    fn save_pin_lock(&self) {
        let Some(dir) = &self.config.data_dir else {
            return;
        };
        let lock = super::lockout::PinLock {
            failures: self.flow.pin_failures,
            locked_until: self.flow.pin_locked_until,
        };
        if let Err(e) = super::lockout::save(dir, &lock) {
            tracing::error!("{}: officer PIN lock-out not saved: {e}", dir.display());
        }
    }

    fn run_effect(&mut self, fx: Effect) {
        match fx {
            Effect::Camera(m) => {
                self.report = None;
                self.camera_error = None;
                self.camera.set_mode(m);
            }
            Effect::StartRead { read_id, plan } => {
                let wake = self.ctx_cell.clone();
                cards::spawn_read(
                    read_id,
                    self.cards.opener(),
                    *plan,
                    self.trust.clone(),
                    self.read_tx.clone(),
                    Arc::new(move || {
                        if let Some(c) = wake.get() {
                            c.request_repaint();
                        }
                    }),
                );
            }
            Effect::CheckPin(pin) => {
                let officers = self.config.officers.clone();
                let fallback = zeroize::Zeroizing::new(self.config.officer_pin.clone());
                self.spawn_work("pin-check", move || {
                    Event::OfficerPinChecked(check_pin(&pin, &officers, &fallback))
                });
            }
            Effect::Enqueue(e) => {
                // On the sink's thread: the UI keeps drawing while SQLite syncs.
                if let Err(err) = self.sink.send(SinkJob::Enqueue(e)) {
                    self.dispatch(Event::Enqueued(Err(err)));
                }
            }
            Effect::RunDiagnostics => {
                let setup = self.config.diagnostics.clone().unwrap_or_default();
                self.spawn_work("diagnostics", move || {
                    Event::DiagnosticsDone(Box::new(screens::diagnostics::run(&setup)))
                });
            }
            Effect::SubmitApplication { draft, officer } => {
                let Some(desk) = self.desk.clone() else {
                    self.dispatch(Event::ApplySubmitted(Err(super::flow::SubmitFailure {
                        key: "apply.not_set_up",
                        back_to_slot: false,
                        field: None,
                        detail: "card applications are not set up on this kiosk".into(),
                    })));
                    return;
                };
                // SQLite syncs (synchronous=FULL) on commit: off the UI thread.
                self.spawn_work("apply-submit", move || {
                    Event::ApplySubmitted(super::screens::apply_declare::submit(
                        &desk, &draft, &officer,
                    ))
                });
            }
            Effect::CheckPhone(phone) => {
                if let Err(err) = self.sink.send(SinkJob::PhoneToday(phone.clone())) {
                    self.dispatch(Event::PhoneChecked {
                        phone,
                        count: Err(err),
                    });
                }
            }
        }
    }

    /// Run `job` on its own thread; its event comes back through `work_rx`.
    fn spawn_work(&self, name: &str, job: impl FnOnce() -> Event + Send + 'static) {
        let tx = self.work_tx.clone();
        let wake = self.ctx_cell.clone();
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _ = tx.send(job());
                if let Some(c) = wake.get() {
                    c.request_repaint();
                }
            });
        if let Err(e) = spawned {
            tracing::error!("could not start the {name} thread: {e}");
        }
    }

    /// Draw one frame into `ui` (the whole window) and advance the flow.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        let _ = self.ctx_cell.set(ctx.clone());
        if !self.styled {
            theme::install(&ctx);
            self.styled = true;
        }
        // workers → events
        for e in self.cards.poll() {
            self.dispatch(Event::Card(e));
        }
        while let Ok(m) = self.read_rx.try_recv() {
            match m {
                ReadMsg::Progress { read_id, progress } => {
                    self.dispatch(Event::ReadProgress { read_id, progress })
                }
                ReadMsg::Done { read_id, outcome } => {
                    self.dispatch(Event::ReadDone { read_id, outcome });
                }
            }
        }
        while let Ok(e) = self.work_rx.try_recv() {
            self.dispatch(e);
        }
        while let Ok(m) = self.camera.rx.try_recv() {
            match m {
                CameraMsg::Frame(r) if r.generation == self.camera.generation() => {
                    self.camera_error = None;
                    self.report = Some(*r);
                }
                CameraMsg::Frame(_) => {} // grabbed before the last mode change
                CameraMsg::Error(e, g) if g == self.camera.generation() => {
                    // No stale picture of a camera that is gone: the screens say so
                    // until the camera thread's retries bring frames back.
                    self.camera_error = Some(e.to_string());
                    self.report = None;
                    self.tex.preview = None;
                }
                CameraMsg::Error(..) => {}
            }
        }
        // timers
        let now = Instant::now();
        if ctx.input(|i| !i.events.is_empty() || i.pointer.any_down()) {
            self.last_activity = now;
        }
        let screen = self.flow().screen.clone();
        match screen {
            Screen::Welcome => {}
            // A renewal offered on Done waits for the idle timer, not the Done timer.
            Screen::Done { .. }
                if self.flow.session.apply.is_none()
                    && now.duration_since(self.screen_since) >= self.config.done_timeout =>
            {
                self.dispatch(Event::Home)
            }
            // A record being written is not abandoned half-way by the idle timer.
            _ if self.flow.session.phone.saving => {}
            _ if self
                .flow
                .session
                .apply
                .as_ref()
                .is_some_and(|a| a.submitting) => {}
            _ if now.duration_since(self.last_activity) >= self.config.idle_timeout => {
                self.dispatch(Event::Idle)
            }
            _ => {}
        }
        self.update_textures(&ctx);
        // draw
        let event = {
            let mut sc = ScreenCtx {
                flow: &mut self.flow,
                camera: self.report.as_ref(),
                camera_error: self.camera_error.as_deref(),
                camera_fps: self.camera.fps(),
                preview: self.tex.preview.as_ref(),
                chip_photo: self.tex.chip.as_ref(),
                live_photo: self.tex.live.as_ref(),
                config: &self.config,
                now,
                wall: self.config.clock.now(),
                screen_since: self.screen_since,
                ui_state: &mut self.ui_state,
                desk: self.desk.as_deref(),
            };
            screens::show(ui, &mut sc)
        };
        if let Some(e) = event {
            self.last_activity = Instant::now();
            self.dispatch(e);
        }
        // Timers (idle, countdown, Done) and reader events need frames even without touches;
        // workers wake the UI themselves when they have news.
        ctx.request_repaint_after(Duration::from_millis(500));
        self.frame_times.push(started.elapsed());
        if self.frame_times.len() > 10_000 {
            self.frame_times.drain(..5_000);
        }
    }

    fn update_textures(&mut self, ctx: &egui::Context) {
        let rgb_tex = |name: &str, w: u32, h: u32, px: &[u8]| {
            let img = egui::ColorImage::from_rgb([w as usize, h as usize], px);
            ctx.load_texture(name, img, TextureOptions::LINEAR)
        };
        if let Some(r) = &self.report {
            let f = &r.frame;
            let img =
                egui::ColorImage::from_rgb([f.width() as usize, f.height() as usize], f.as_raw());
            match &mut self.tex.preview {
                Some(t) => t.set(img, TextureOptions::LINEAR),
                None => {
                    self.tex.preview =
                        Some(ctx.load_texture("preview", img, TextureOptions::LINEAR))
                }
            }
        }
        let s = &self.flow.session;
        match s.card.as_ref().and_then(|c| c.photo_rgb.as_ref()) {
            Some((w, h, px)) if self.tex.chip.is_none() => {
                self.tex.chip = Some(rgb_tex("chip", *w, *h, px))
            }
            None => self.tex.chip = None,
            _ => {}
        }
        match s.photo.as_ref().map(|p| &p.rgb) {
            Some((w, h, px)) if self.tex.live.is_none() => {
                self.tex.live = Some(rgb_tex("live", *w, *h, px))
            }
            None => self.tex.live = None,
            _ => {}
        }
    }
}

/// Which officer `pin` belongs to: every configured hash is tried (Argon2, slow on
/// purpose); the fallback PIN only when no officer is configured.
fn check_pin(pin: &Pin, officers: &[crate::config::Officer], fallback: &str) -> PinCheck {
    if officers.is_empty() {
        let ok = !fallback.is_empty()
            && pin.0.len() == fallback.len()
            && pin
                .0
                .bytes()
                .zip(fallback.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        return if ok {
            PinCheck::Fallback
        } else {
            PinCheck::Wrong
        };
    }
    officers
        .iter()
        .find(|o| crate::config::verify_pin(&pin.0, &o.pin_hash))
        .map(|o| PinCheck::Officer(o.id.clone()))
        .unwrap_or(PinCheck::Wrong)
}

impl eframe::App for KioskApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
