//! Card application, step 2: the applicant's data on the on-screen keyboard.
//!
//! The keyboard is a touch widget over [`Composer`]: names and addresses compose
//! Vietnamese from plain keys (Telex by default, VNI on the toggle: `Giaangf` →
//! `Giầng`), dates and numbers are typed as they are ([`ApplyField::method`]).
//! Keys are at least 56 px and labelled with their character (tests and
//! AccessKit find them by label); the first letter of each word of a name is
//! upper case, as on the card, and `Aa` makes the next letter upper case. The
//! text renders with the shipped Noto Sans (egui's default fonts lack U+1Exx).
//! A form prefilled from a chip or the roster arrives here for correction; "read
//! the old card" sends the citizen through the card-reading steps and back to the
//! check step with the chip's data.

use super::apply_procedure::{choice, hint_or_notice, language, nav_with};
use super::{heading, ScreenCtx};
use crate::application::fields::Field;
use crate::application::vietnamese_input::InputMethod;
use crate::ui::flow::{ApplyEntry, ApplyField, Event};
use crate::ui::theme::TOUCH;
use egui::{Button, RichText, Ui, Vec2};

const ROWS: [&str; 4] = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm,./"];

/// The keyboard's labels in the kiosk's language.
pub struct Labels<'a> {
    /// The erase and space keys.
    pub erase: &'a str,
    pub space: &'a str,
    /// "Kiểu gõ" (input method), before its current name.
    pub method: &'a str,
}

/// The keyboard writing into `entry`'s focused field. Returns true on a change.
pub fn keyboard(ui: &mut Ui, entry: &mut ApplyEntry, labels: &Labels) -> bool {
    let (erase, space) = (labels.erase, labels.space);
    let mut changed = false;
    let key = Vec2::new(TOUCH + 4.0, TOUCH + 4.0);
    let names = matches!(
        entry.field,
        ApplyField::FullName | ApplyField::PlaceOfResidence
    );
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing = egui::vec2(6.0, 6.0);
        for row in ROWS {
            ui.horizontal(|ui| {
                for c in row.chars() {
                    let b = Button::new(RichText::new(c.to_string()).size(26.0)).min_size(key);
                    if ui.add(b).clicked() {
                        let text = entry.composer.text();
                        let word_start = text.is_empty() || text.ends_with(' ');
                        let upper = c.is_alphabetic() && (entry.shift || (names && word_start));
                        let c = if upper {
                            c.to_uppercase().next().unwrap_or(c)
                        } else {
                            c
                        };
                        entry.shift = false;
                        entry.composer.key(c);
                        changed = true;
                    }
                }
            });
        }
        ui.horizontal(|ui| {
            // Noto Sans has no ⇧: the shift key says what it does.
            let shift = Button::new(RichText::new("Aa").size(24.0))
                .min_size(key)
                .selected(entry.shift);
            if ui.add(shift).clicked() {
                entry.shift = !entry.shift;
            }
            let (other, label) = match entry.method {
                InputMethod::Vni => (InputMethod::Telex, format!("{}: VNI", labels.method)),
                _ => (InputMethod::Vni, format!("{}: Telex", labels.method)),
            };
            if ui
                .add(
                    Button::new(RichText::new(label).size(20.0))
                        .min_size(Vec2::new(2.5 * TOUCH, key.y)),
                )
                .clicked()
            {
                entry.set_method(other);
            }
            let sp = Button::new(RichText::new(space).size(22.0))
                .min_size(Vec2::new(4.0 * TOUCH, key.y));
            if ui.add(sp).clicked() && !entry.composer.text().ends_with(' ') {
                entry.composer.key(' ');
                changed = true;
            }
            let bs = Button::new(RichText::new(erase).size(22.0))
                .min_size(Vec2::new(2.0 * TOUCH, key.y));
            if ui.add(bs).clicked() {
                entry.composer.backspace();
                changed = true;
            }
        });
    });
    if changed {
        entry.sync();
    }
    changed
}

/// The form's fields in screen order with their labels.
pub const FIELDS: [(ApplyField, Field); 5] = [
    (ApplyField::FullName, Field::FullName),
    (ApplyField::DateOfBirth, Field::DateOfBirth),
    (ApplyField::IdNumber, Field::IdNumber),
    (ApplyField::OldIdNumber, Field::OldIdNumber),
    (ApplyField::PlaceOfResidence, Field::PlaceOfResidence),
];

/// Draw the data step.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let lang = language(sc.flow.lang);
    heading(ui, sc.t("apply.data_title"));
    let (erase, space, hint) = (
        sc.t("common.erase"),
        sc.t("apply.space"),
        sc.t("apply.data_hint"),
    );
    let labels = Labels {
        erase,
        space,
        method: sc.t("apply.method"),
    };
    let (back, next) = (sc.t("common.back"), sc.t("common.continue"));
    let read_old = sc.t("apply.read_old_card");
    let mut ev = None;
    let hint = hint_or_notice(sc, hint);
    let Some(entry) = sc.flow.session.apply.as_mut() else {
        return Some(Event::Home);
    };
    ui.label(hint);
    egui::Grid::new("apply-fields")
        .num_columns(4)
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            for (i, (f, field)) in FIELDS.iter().enumerate() {
                let active = entry.field == *f;
                if choice(ui, field.label(lang), active, true) {
                    entry.sync();
                    entry.focus(*f);
                }
                let mut value = entry.value_mut(*f).clone();
                if active {
                    value.push('|');
                }
                ui.add_sized(
                    [270.0, 56.0],
                    egui::Label::new(RichText::new(value).size(26.0).strong()).truncate(),
                );
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
        });
    ui.add_space(6.0);
    ui.horizontal_top(|ui| {
        keyboard(ui, entry, &labels);
        ui.add_space(24.0);
        ui.vertical(|ui| {
            ui.label(RichText::new(Field::Sex.label(lang)).size(22.0));
            ui.horizontal(|ui| {
                for sex in ["Nam", "Nữ"] {
                    let b = Button::new(RichText::new(sex).size(26.0))
                        .min_size(Vec2::new(120.0, TOUCH + 4.0))
                        .selected(entry.draft.form.sex == sex);
                    if ui.add(b).clicked() {
                        entry.draft.form.sex = sex.into();
                    }
                }
            });
            ui.add_space(12.0);
            // An old or expired card: its chip fills the form (the citizen checks it).
            if choice(ui, read_old, false, true) {
                ev = Some(Event::ApplyReadOldCard);
            }
            ui.add_space(12.0);
            if let Some(e) = nav_with(ui, back, next, Event::ApplyNext, true) {
                ev = Some(e);
            }
        });
    });
    ev
}
