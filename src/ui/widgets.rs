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

/// Vietnamese vowels with their five tone marks, upper case: column 0 is the bare
/// vowel, then sắc, huyền, hỏi, ngã, nặng (the order of the tone keys).
const TONED: [&str; 12] = [
    "AÁÀẢÃẠ",
    "ĂẮẰẲẴẶ",
    "ÂẤẦẨẪẬ",
    "EÉÈẺẼẸ",
    "ÊẾỀỂỄỆ",
    "IÍÌỈĨỊ",
    "OÓÒỎÕỌ",
    "ÔỐỒỔỖỘ",
    "ƠỚỜỞỠỢ",
    "UÚÙỦŨỤ",
    "ƯỨỪỬỮỰ",
    "YÝỲỶỸỴ",
];

/// Put tone `tone` (1 sắc … 5 nặng; 0 removes it) on the last vowel of the last word
/// of `buf` (a simplified placement: the officer taps the tone right after the vowel
/// that carries it, as on a phone's Vietnamese keyboard).
pub fn apply_tone(buf: &mut String, tone: usize) -> bool {
    let mut chars: Vec<char> = buf.chars().collect();
    for i in (0..chars.len()).rev() {
        let Some(c) = chars.get(i).copied() else {
            break;
        };
        if c == ' ' {
            break;
        }
        if let Some(row) = TONED.iter().find(|r| r.contains(c)) {
            if let Some(t) = row.chars().nth(tone) {
                if let Some(slot) = chars.get_mut(i) {
                    *slot = t;
                }
                *buf = chars.into_iter().collect();
                return true;
            }
        }
    }
    false
}

/// A keyboard for Vietnamese names on a touch screen: A–Z, the letters Ă Â Đ Ê Ô Ơ Ư,
/// the five tone marks (applied to the last vowel typed), space and erase. Upper case,
/// as names are printed on the card. Returns true when `buf` changed.
pub fn name_keypad(ui: &mut Ui, buf: &mut String, max: usize, erase_label: &str) -> bool {
    let mut changed = false;
    let rows = ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM", "ĂÂĐÊÔƠƯ"];
    let key = Vec2::new(TOUCH, TOUCH + 4.0);
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing = egui::vec2(5.0, 5.0);
        for row in rows {
            ui.horizontal(|ui| {
                for c in row.chars() {
                    if ui
                        .add(Button::new(RichText::new(c.to_string()).size(24.0)).min_size(key))
                        .clicked()
                        && buf.chars().count() < max
                    {
                        buf.push(c);
                        changed = true;
                    }
                }
            });
        }
        // Tone marks on a dotted circle, with their Vietnamese names.
        ui.horizontal(|ui| {
            for (tone, label) in [
                (1, "◌́ sắc"),
                (2, "◌̀ huyền"),
                (3, "◌̉ hỏi"),
                (4, "◌̃ ngã"),
                (5, "◌̣ nặng"),
            ] {
                if ui
                    .add(Button::new(RichText::new(label).size(20.0)).min_size(key))
                    .clicked()
                {
                    changed |= apply_tone(buf, tone);
                }
            }
        });
        ui.horizontal(|ui| {
            if ui
                .add(
                    Button::new(RichText::new("␣").size(26.0))
                        .min_size(Vec2::new(4.0 * TOUCH, TOUCH + 4.0)),
                )
                .clicked()
                && !buf.is_empty()
                && !buf.ends_with(' ')
                && buf.chars().count() < max
            {
                buf.push(' ');
                changed = true;
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
        });
    });
    changed
}

/// A keyboard for e-mail addresses: a–z, 0–9, `@ . _ -` and a `@gmail.com` key (most
/// citizens' provider). Returns true when `buf` changed.
pub fn email_keypad(ui: &mut Ui, buf: &mut String, max: usize, erase_label: &str) -> bool {
    let mut changed = false;
    let rows = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm@._-"];
    let key = Vec2::new(TOUCH, TOUCH + 4.0);
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing = egui::vec2(5.0, 5.0);
        for row in rows {
            ui.horizontal(|ui| {
                for c in row.chars() {
                    if ui
                        .add(Button::new(RichText::new(c.to_string()).size(24.0)).min_size(key))
                        .clicked()
                        && buf.chars().count() < max
                    {
                        buf.push(c);
                        changed = true;
                    }
                }
            });
        }
        ui.horizontal(|ui| {
            if ui
                .add(
                    Button::new(RichText::new("@gmail.com").size(22.0))
                        .min_size(Vec2::new(3.0 * TOUCH, TOUCH + 4.0)),
                )
                .clicked()
                && buf.chars().count() + 10 <= max
            {
                buf.push_str("@gmail.com");
                changed = true;
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
        });
    });
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones_land_on_the_last_vowel_of_the_last_word() {
        let mut s = String::from("TRÂN");
        assert!(apply_tone(&mut s, 2));
        assert_eq!(s, "TRẦN");
        let mut s = String::from("NGUYÊN");
        assert!(apply_tone(&mut s, 4));
        assert_eq!(s, "NGUYỄN");
        let mut s = String::from("TRẦN TH");
        assert!(!apply_tone(&mut s, 5), "no vowel in the last word yet");
        assert_eq!(s, "TRẦN TH");
        let mut s = String::from("THI");
        apply_tone(&mut s, 5);
        apply_tone(&mut s, 0);
        assert_eq!(s, "THI");
    }
}
