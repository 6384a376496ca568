//! Diagnostics, in officer mode: the same checks as `cccd-kiosk doctor`
//! ([`crate::doctor::run`], not a copy) run on a worker thread, each shown with its
//! result and what to do in Vietnamese (English when the screen is in English), and
//! the camera's frame rate measured live from the kiosk's own `FrameSource` (the
//! camera thread only grabs and counts while this screen is open). Commune staff
//! read it aloud to the district technician over the phone, so the words are the
//! doctor's and the check names stable.

use super::{heading, widgets, ScreenCtx};
use crate::doctor::{Report, Status};
use crate::ui::flow::Event;
use crate::ui::i18n::Lang;
use crate::ui::theme;
use egui::{Color32, RichText, Ui};
use std::path::PathBuf;

/// What the diagnostics need besides the kiosk itself: the configuration as loaded
/// and where the data live.
#[derive(Debug, Clone)]
pub struct DiagnosticsSetup {
    pub loaded: crate::config::Loaded,
    pub data_dir: PathBuf,
    /// Accept virtual readers (demo and test kiosks).
    pub allow_virtual: bool,
    /// Read the built-in software card through the whole pipeline.
    pub with_emulator: bool,
}

impl Default for DiagnosticsSetup {
    fn default() -> Self {
        Self {
            loaded: crate::config::Loaded {
                config: crate::config::Config::default(),
                path: None,
            },
            data_dir: PathBuf::from(crate::config::DEFAULT_DATA_DIR),
            allow_virtual: false,
            with_emulator: true,
        }
    }
}

/// Run the doctor's checks (on the caller's thread: the app runs this on a worker).
pub fn run(setup: &DiagnosticsSetup) -> Report {
    let env = crate::doctor::Environment {
        data_dir: setup.data_dir.clone(),
        dev_dir: PathBuf::from("/dev"),
        now: chrono::Utc::now(),
        build_time: crate::doctor::build_time(),
        with_emulator: setup.with_emulator,
        allow_virtual: setup.allow_virtual,
    };
    crate::doctor::run(&setup.loaded, &env)
}

/// Draw the diagnostics screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("diag.title"));
    let fps = match sc.camera_fps {
        Some(f) => sc.t("diag.fps").replace("{fps}", &format!("{f:.1}")),
        None => sc.t("diag.fps_measuring").to_string(),
    };
    ui.label(RichText::new(fps).size(26.0).strong());
    ui.horizontal(|ui| {
        let running = sc.flow.diagnostics.is_none();
        if widgets::big_button_enabled(ui, sc.t("diag.again"), false, !running).clicked() {
            ev = Some(Event::DiagnosticsOpen);
        }
        if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
            ev = Some(Event::Back);
        }
    });
    let Some(report) = sc.flow.diagnostics.as_deref() else {
        ui.label(RichText::new(sc.t("diag.running")).size(28.0));
        return ev;
    };
    let (ok, warn, fail) = (
        report
            .checks
            .iter()
            .filter(|c| c.status == Status::Ok)
            .count(),
        report
            .checks
            .iter()
            .filter(|c| c.status == Status::Warn)
            .count(),
        report
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .count(),
    );
    ui.label(
        sc.t("diag.summary")
            .replace("{fail}", &fail.to_string())
            .replace("{warn}", &warn.to_string())
            .replace("{ok}", &ok.to_string()),
    );
    let lang = sc.flow.lang;
    egui::ScrollArea::vertical().show(ui, |ui| {
        for c in &report.checks {
            let (mark, colour) = match c.status {
                Status::Ok => (sc.t("diag.ok"), theme::GOOD),
                Status::Warn => (sc.t("diag.warn"), Color32::from_rgb(0xB0, 0x60, 0x00)),
                Status::Fail => (sc.t("diag.fail"), theme::WARN),
            };
            let name = match sc.t(&format!("diag.check.{}", c.id)) {
                "…" => c.id,
                n => n,
            };
            egui::Frame::new()
                .stroke(egui::Stroke::new(1.5, colour))
                .inner_margin(10.0)
                .corner_radius(6.0)
                .show(ui, |ui| {
                    ui.set_min_width(ui.available_width());
                    ui.label(
                        RichText::new(format!("{mark} {name}"))
                            .color(colour)
                            .size(24.0)
                            .strong(),
                    );
                    ui.label(RichText::new(&c.summary).small().color(theme::NEUTRAL));
                    for d in &c.details {
                        ui.label(RichText::new(d).small().color(theme::NEUTRAL));
                    }
                    if let Some(a) = &c.action {
                        let todo = match lang {
                            Lang::Vi => &a.vi,
                            Lang::En => &a.en,
                        };
                        ui.add(
                            egui::Label::new(
                                RichText::new(format!("{} {todo}", sc.t("diag.todo"))).size(22.0),
                            )
                            .wrap(),
                        );
                    }
                });
        }
    });
    ev
}
