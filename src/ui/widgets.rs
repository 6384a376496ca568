//! Touch widgets: big buttons and keypads. Every target is at least
//! [`super::theme::TOUCH`] px; keys are labelled with their text so tests and
//! screen readers (AccessKit) find them by label.

use super::theme::{self, TOUCH};
use egui::{Button, Color32, Response, RichText, Ui, Vec2};

/// A large button; `primary` is filled dark blue with white text.
pub fn big_button(ui: &mut Ui, text: &str, primary: bool) -> Response {
    let rt = RichText::new(text);
    let b = if primary {
        Button::new(rt.color(Color32::WHITE)).fill(theme::PRIMARY)
    } else {
        Button::new(rt)
    };
    ui.add(b.min_size(Vec2::new(220.0, TOUCH + 8.0)))
}

/// A large button that is greyed out and inert when `enabled` is false.
pub fn big_button_enabled(ui: &mut Ui, text: &str, primary: bool, enabled: bool) -> Response {
    ui.add_enabled_ui(enabled, |ui| big_button(ui, text, primary))
        .inner
}

/// A numeric keypad writing into `buf` (up to `max` characters). `extra` is an
/// optional key left of 0 (e.g. "+84"). Returns true when `buf` changed.
pub fn keypad(
    ui: &mut Ui,
    buf: &mut String,
    max: usize,
    extra: Option<&str>,
    erase_label: &str,
) -> bool {
    let mut changed = false;
    let key = Vec2::new(120.0, 72.0);
    egui::Grid::new(ui.next_auto_id())
        .spacing([12.0, 12.0])
        .show(ui, |ui| {
            for row in [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]] {
                for k in row {
                    if ui
                        .add(Button::new(RichText::new(k).size(34.0)).min_size(key))
                        .clicked()
                        && buf.chars().count() < max
                    {
                        buf.push_str(k);
                        changed = true;
                    }
                }
                ui.end_row();
            }
            match extra {
                Some(x) => {
                    if ui
                        .add(Button::new(RichText::new(x).size(30.0)).min_size(key))
                        .clicked()
                        && buf.chars().count() + x.chars().count() <= max
                    {
                        buf.push_str(x);
                        changed = true;
                    }
                }
                None => {
                    ui.label("");
                }
            }
            if ui
                .add(Button::new(RichText::new("0").size(34.0)).min_size(key))
                .clicked()
                && buf.chars().count() < max
            {
                buf.push('0');
                changed = true;
            }
            if ui
                .add(Button::new(RichText::new(erase_label).size(24.0)).min_size(key))
                .clicked()
            {
                changed |= buf.pop().is_some();
            }
            ui.end_row();
        });
    changed
}

/// An alphanumeric keypad for the MRZ (A–Z, 0–9 and the filler `<`).
pub fn mrz_keypad(ui: &mut Ui, buf: &mut String, max: usize, erase_label: &str) -> bool {
    let mut changed = false;
    let keys = "1234567890QWERTYUIOPASDFGHJKL<ZXCVBNM";
    let key = Vec2::new(TOUCH + 4.0, TOUCH + 4.0);
    egui::Grid::new(ui.next_auto_id())
        .spacing([6.0, 6.0])
        .show(ui, |ui| {
            for (i, c) in keys.chars().enumerate() {
                if ui
                    .add(Button::new(RichText::new(c.to_string()).size(26.0)).min_size(key))
                    .clicked()
                    && buf.len() < max
                {
                    buf.push(c);
                    changed = true;
                }
                if matches!(i, 9 | 19 | 29) {
                    ui.end_row();
                }
            }
            if ui
                .add(
                    Button::new(RichText::new(erase_label).size(22.0))
                        .min_size(Vec2::new(2.0 * TOUCH, TOUCH + 4.0)),
                )
                .clicked()
            {
                changed |= buf.pop().is_some();
            }
            ui.end_row();
        });
    changed
}

/// A boxed text display for typed values (large, monospace-like spacing).
pub fn display_box(ui: &mut Ui, label: &str, value: &str, active: bool) -> Response {
    let stroke = if active {
        egui::Stroke::new(4.0, theme::PRIMARY)
    } else {
        egui::Stroke::new(2.0, theme::NEUTRAL)
    };
    egui::Frame::new()
        .stroke(stroke)
        .inner_margin(12.0)
        .corner_radius(8.0)
        .show(ui, |ui| {
            ui.set_min_width(420.0);
            ui.label(RichText::new(label).small());
            ui.label(
                RichText::new(if value.is_empty() { " " } else { value })
                    .size(34.0)
                    .strong(),
            );
        })
        .response
}
