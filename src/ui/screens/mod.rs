//! One file per screen. Each draws its state and returns `Option<Event>`; none
//! changes the screen itself (that is [`super::flow::transition`]'s job). They
//! may edit the session's entry buffers (typed digits) and its notice.

pub mod apply_check;
pub mod apply_declare;
pub mod apply_done;
pub mod apply_keyboard;
pub mod apply_procedure;
pub mod apply_slot;
pub mod appointments;
pub mod card_key;
pub mod consent;
pub mod diagnostics;
pub mod done;
pub mod guardian;
pub mod officer;
pub mod phone;
pub mod photo;
pub mod place_card;
pub mod reading;
pub mod renewal_offer;
pub mod review;
pub mod supervisor;
pub mod tracker;
pub mod welcome;

use super::flow::{Event, Flow, Notice, Officer, Screen};
use super::i18n::{tr, Lang};
use super::{theme, widgets, Config};
use crate::camera::worker::Report;
use egui::{RichText, TextureHandle, Ui};
use std::time::Instant;

/// Screen-local state that is not the citizen's data (PIN pad, countdown, textures).
#[derive(Default)]
pub struct UiState {
    pub pin: String,
    pub pin_error: bool,
    pub officer_draft: Option<Officer>,
    pub officer_field: u8,
    pub countdown_start: Option<Instant>,
    pub receipt_tex: Option<(String, TextureHandle)>,
    /// The supervisor screen's state (kept while an export runs).
    pub supervisor: supervisor::Panel,
    /// The tracker's store and decrypted roster (dropped when the screen is left).
    pub tracker: tracker::Panel,
    /// The appointment list of the day chosen (dropped when the screen is left).
    pub appointments: appointments::Panel,
    /// The slot screen's availability for (office, day), read once per choice.
    pub slots: Option<apply_slot::SlotCache>,
}

impl UiState {
    /// Forget per-screen state when the screen changes.
    pub fn on_screen_change(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.pin);
        self.pin_error = false;
        self.officer_draft = None;
        self.countdown_start = None;
        self.receipt_tex = None;
        self.supervisor.on_screen_change();
        self.tracker.on_screen_change();
        self.appointments.on_screen_change();
        self.slots = None;
    }
}

/// What a screen may read and write.
pub struct ScreenCtx<'a> {
    pub flow: &'a mut Flow,
    pub camera: Option<&'a Report>,
    pub camera_error: Option<&'a str>,
    /// Frames per second the camera thread measured (diagnostics).
    pub camera_fps: Option<f64>,
    pub preview: Option<&'a TextureHandle>,
    pub chip_photo: Option<&'a TextureHandle>,
    pub live_photo: Option<&'a TextureHandle>,
    pub config: &'a Config,
    pub now: Instant,
    /// Wall-clock time of this frame (the config's clock): PIN lock-outs.
    pub wall: chrono::DateTime<chrono::Utc>,
    pub screen_since: Instant,
    pub ui_state: &'a mut UiState,
    /// Card applications (None: not set up on this kiosk).
    pub desk: Option<&'a std::sync::Mutex<crate::application::desk::Desk>>,
}

impl ScreenCtx<'_> {
    /// The text for `key` in the current language.
    pub fn t(&self, key: &str) -> &'static str {
        tr(self.flow.lang, key)
    }

    /// A notice as the citizen reads it: the message with its field named.
    pub fn notice_text(&self, n: &Notice) -> String {
        let field = n.field.map(|f| self.t(f)).unwrap_or_default();
        self.t(n.key).replace("{field}", field)
    }
}

/// Header (title, language) and the current screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut event = None;
    egui::Panel::top("header")
        .frame(
            egui::Frame::new()
                .fill(theme::PRIMARY)
                .inner_margin(egui::Margin::symmetric(24, 10)),
        )
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(sc.t("app.title"))
                        .color(egui::Color32::WHITE)
                        .size(28.0)
                        .strong(),
                );
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let other = match sc.flow.lang {
                        Lang::Vi => (Lang::En, "English"),
                        Lang::En => (Lang::Vi, "Tiếng Việt"),
                    };
                    if widgets::big_button(ui, other.1, false).clicked() {
                        event = Some(Event::SetLang(other.0));
                    }
                    if let Some(step) = step_of(&sc.flow.screen) {
                        ui.label(
                            RichText::new(format!("{} {step}/8", sc.t("app.step")))
                                .color(egui::Color32::WHITE)
                                .size(24.0),
                        );
                    }
                });
            });
        });
    let screen_event = egui::CentralPanel::default()
        .frame(
            egui::Frame::new()
                .fill(egui::Color32::WHITE)
                .inner_margin(egui::Margin::symmetric(32, 20)),
        )
        .show(ui, |ui| match sc.flow.screen.clone() {
            Screen::Welcome => welcome::show(ui, sc),
            Screen::Consent => consent::show(ui, sc),
            Screen::PlaceCard => place_card::show(ui, sc),
            Screen::CardKey => card_key::show(ui, sc),
            Screen::Reading => reading::show(ui, sc),
            Screen::Review => review::show(ui, sc),
            Screen::Photo => photo::show(ui, sc),
            Screen::Guardian => guardian::show(ui, sc),
            Screen::Phone => phone::show(ui, sc),
            Screen::Done { receipt } => done::show(ui, sc, &receipt),
            Screen::Officer { unlocked } => officer::show(ui, sc, unlocked),
            Screen::Diagnostics => diagnostics::show(ui, sc),
            Screen::Supervisor => supervisor::show(ui, sc),
            Screen::Tracker => tracker::show(ui, sc),
            Screen::Appointments => appointments::show(ui, sc),
            Screen::ApplyProcedure => apply_procedure::show(ui, sc),
            Screen::ApplyData => apply_keyboard::show(ui, sc),
            Screen::ApplyCheck => apply_check::show(ui, sc),
            Screen::ApplySlot => apply_slot::show(ui, sc),
            Screen::ApplyDeclare => apply_declare::show(ui, sc),
            Screen::ApplyDone(r) => apply_done::show(ui, sc, &r),
        })
        .inner;
    event.or(screen_event)
}

fn step_of(s: &Screen) -> Option<u8> {
    Some(match s {
        Screen::Consent => 1,
        Screen::PlaceCard => 2,
        Screen::CardKey => 3,
        Screen::Reading => 4,
        Screen::Review | Screen::Guardian => 5,
        Screen::Photo => 6,
        Screen::Phone => 7,
        Screen::Done { .. } => 8,
        _ => return None,
    })
}

/// A screen's heading.
pub fn heading(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).heading());
}

/// The session's notice, if any, in a red frame.
pub fn notice(ui: &mut Ui, sc: &ScreenCtx) {
    if let Some(n) = &sc.flow.session.notice {
        let text = sc.notice_text(n);
        egui::Frame::new()
            .fill(egui::Color32::from_rgb(0xFD, 0xEC, 0xEA))
            .stroke(egui::Stroke::new(3.0, theme::WARN))
            .inner_margin(14.0)
            .corner_radius(8.0)
            .show(ui, |ui| {
                ui.set_min_width(ui.available_width());
                ui.label(RichText::new(text).color(theme::WARN).size(28.0).strong());
                if let Some(d) = &n.detail {
                    ui.label(
                        RichText::new(format!("{}: {d}", sc.t("common.officer_detail")))
                            .small()
                            .color(theme::NEUTRAL),
                    );
                }
            });
    }
}

/// An image scaled to fit `max` (keeping its aspect ratio).
pub fn image(ui: &mut Ui, tex: &TextureHandle, max: egui::Vec2) -> egui::Response {
    let size = tex.size_vec2();
    let scale = (max.x / size.x).min(max.y / size.y);
    ui.add(egui::Image::new((tex.id(), size * scale)))
}
