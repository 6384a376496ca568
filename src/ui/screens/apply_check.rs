//! Card application, step 3 (the portal's step 7): the citizen checks the data.
//! Every field is shown with its problem under it, in the kiosk's language
//! (Vietnamese first), from [`crate::ui::flow::field_problems`]; Continue stays
//! here until none is left, and nothing is stored on this screen.

use super::apply_keyboard::FIELDS;
use super::apply_procedure::{language, nav};
use super::{heading, notice, ScreenCtx};
use crate::application::fields::Field;
use crate::ui::flow::{field_problems, Event};
use crate::ui::theme;
use egui::{RichText, Ui};

/// Draw the check step.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let lang = language(sc.flow.lang);
    heading(ui, sc.t("apply.check_title"));
    let guardian_label = sc.t("apply.add_guardian");
    let mut ev = None;
    let today = chrono::Local::now().date_naive();
    let Some(entry) = sc.flow.session.apply.as_ref() else {
        return Some(Event::Home);
    };
    if let Some(offer) = &entry.renewal {
        let sentence = match lang {
            crate::config::Language::Vi => &offer.sentence_vi,
            crate::config::Language::En => &offer.sentence_en,
        };
        ui.label(RichText::new(sentence).color(theme::PRIMARY));
    }
    let problems = field_problems(&entry.draft, today);
    let form = &entry.draft.form;
    let mut rows: Vec<(Field, String)> = FIELDS
        .iter()
        .map(|(f, field)| {
            let v = match f {
                crate::ui::flow::ApplyField::FullName => &form.full_name,
                crate::ui::flow::ApplyField::DateOfBirth => &form.date_of_birth,
                crate::ui::flow::ApplyField::IdNumber => &form.id_number,
                crate::ui::flow::ApplyField::OldIdNumber => &form.old_id_number,
                crate::ui::flow::ApplyField::PlaceOfResidence => &form.place_of_residence,
            };
            (*field, v.clone())
        })
        .collect();
    rows.insert(2, (Field::Sex, form.sex.clone()));
    let shown: Vec<Field> = rows.iter().map(|(f, _)| *f).collect();
    let procedure = entry
        .draft
        .procedure
        .map(|p| p.label(lang))
        .unwrap_or_default();
    let reason = entry
        .draft
        .reason
        .map(|r| r.label(lang))
        .unwrap_or_default();
    ui.label(RichText::new(format!("{procedure} · {reason}")).strong());
    let h = (ui.available_height() - 90.0).max(200.0);
    egui::ScrollArea::vertical().max_height(h).show(ui, |ui| {
        egui::Grid::new("apply-check")
            .num_columns(2)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                for (field, value) in rows {
                    ui.label(RichText::new(field.label(lang)).size(22.0));
                    ui.vertical(|ui| {
                        let shown = if value.is_empty() {
                            "—"
                        } else {
                            value.as_str()
                        };
                        ui.label(RichText::new(shown).size(26.0).strong());
                        for p in problems.iter().filter(|p| p.field == field) {
                            ui.label(RichText::new(p.message(lang)).color(theme::WARN).size(22.0));
                        }
                    });
                    ui.end_row();
                }
            });
        // Problems of no form field (a guardian for an applicant under 16).
        for p in problems.iter().filter(|p| !shown.contains(&p.field)) {
            ui.label(RichText::new(p.message(lang)).color(theme::WARN).size(22.0));
            if p.field == Field::Guardian
                && super::apply_procedure::choice(ui, guardian_label, false, true)
            {
                ev = Some(Event::ApplyGuardian);
            }
        }
        notice(ui, sc);
    });
    nav(ui, sc, Event::ApplyNext, true).or(ev)
}
