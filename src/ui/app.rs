//! The eframe app: owns the workers and the [`Flow`], routes worker messages and
//! screen events through [`transition`], and runs the effects. Drawing lives in
//! `screens/`, decisions in `flow.rs`; this file only wires them.

use super::cards::{self, CardSource, ReadMsg};
use super::flow::{transition, Effect, Event, Flow, Screen};
use super::screens::{self, ScreenCtx, UiState};
use super::sink::RecordSink;
use super::{theme, Config};
use crate::camera::worker::{CameraMsg, CameraWorker, Report};
use crate::camera::FrameSource;
use crate::card::passive_auth::TrustStore;
use egui::{TextureHandle, TextureOptions};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The kiosk application.
pub struct KioskApp {
    flow: Flow,
    cards: Box<dyn CardSource>,
    camera: CameraWorker,
    sink: Box<dyn RecordSink>,
    trust: Arc<TrustStore>,
    config: Config,
    read_tx: Sender<ReadMsg>,
    read_rx: Receiver<ReadMsg>,
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
        let now = Instant::now();
        Self {
            flow: Flow::default(),
            cards,
            camera,
            sink,
            trust: Arc::new(trust),
            config,
            read_tx,
            read_rx,
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
        }
    }

    /// The test constructor (STYLE.md): an emulated card, a camera, a sink; the test
    /// CSCA trusted so the demo card reads `genuine`; short timers.
    pub fn for_test(
        cards: Box<dyn CardSource>,
        camera: Box<dyn FrameSource>,
        sink: Box<dyn RecordSink>,
    ) -> Self {
        let trust = crate::card::emulator::pki::test_pki()
            .ok()
            .and_then(|p| p.csca_certificate().ok())
            .and_then(|c| TrustStore::from_certs(vec![c]).ok())
            .unwrap_or_else(TrustStore::empty);
        Self::new(cards, camera, sink, trust, Config::for_test())
    }

    /// The state machine (read-only), for tests and the demo tour.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// The session, for scripted input (the demo tour types as if tapped).
    pub fn session_mut(&mut self) -> &mut super::flow::Session {
        &mut self.flow.session
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
        let (flow, effects) = transition(flow, event, chrono::Utc::now());
        self.flow = flow;
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

    fn run_effect(&mut self, fx: Effect) {
        match fx {
            Effect::Camera(m) => {
                self.report = None;
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
            Effect::Enqueue(e) => {
                // The SQLite sink commits in a few ms; a slow sink belongs on a worker.
                let r = self.sink.enqueue(&e);
                drop(e);
                self.dispatch(Event::Enqueued(r));
            }
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
        while let Ok(m) = self.camera.rx.try_recv() {
            match m {
                CameraMsg::Frame(r) if r.generation == self.camera.generation() => {
                    self.camera_error = None;
                    self.report = Some(*r);
                }
                CameraMsg::Frame(_) => {} // grabbed before the last mode change
                CameraMsg::Error(e) => self.camera_error = Some(e.to_string()),
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
            Screen::Done { .. }
                if now.duration_since(self.screen_since) >= self.config.done_timeout =>
            {
                self.dispatch(Event::Home)
            }
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
                preview: self.tex.preview.as_ref(),
                chip_photo: self.tex.chip.as_ref(),
                live_photo: self.tex.live.as_ref(),
                config: &self.config,
                now,
                screen_since: self.screen_since,
                ui_state: &mut self.ui_state,
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

impl eframe::App for KioskApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
