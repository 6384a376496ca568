//! Guardian: for a citizen aged 14–15 (age from the chip's date of birth on the day of
//! the read), the officer records the guardian who consents with them (Decree
//! 13/2023/NĐ-CP Art. 20; DESIGN.md "Flow and consent"): full name on a Vietnamese
//! name keyboard, relation, and the guardian's 12-digit ID number. The transition
//! validates it (an adult's valid ID, not the citizen's own) before the photo step,
//! and the record carries it (`queue::record::Guardian`).

use super::{heading, widgets, ScreenCtx};
use crate::ui::flow::{Event, GuardianField};
use crate::ui::theme;
use egui::{RichText, Ui};

/// Relations offered (i18n keys); the record keeps the Vietnamese text.
pub const RELATIONS: [&str; 3] = ["relation.mother", "relation.father", "relation.guardian"];

/// Draw the guardian screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("guardian.title"));
    let age = sc.flow.session.age.unwrap_or_default();
    ui.label(RichText::new(sc.t("guardian.intro").replace("{age}", &age.to_string())).size(22.0));
    let erase = sc.t("common.erase");
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_max_width(460.0);
            // Beside the keyboard, not above it, and compact: the screen must fit 1280×800.
            if let Some(n) = &sc.flow.session.notice {
                let text = sc.notice_text(n);
                egui::Frame::new()
                    .fill(egui::Color32::from_rgb(0xFD, 0xEC, 0xEA))
                    .stroke(egui::Stroke::new(2.0, theme::WARN))
                    .inner_margin(8.0)
                    .corner_radius(6.0)
                    .show(ui, |ui| {
                        ui.add(
                            egui::Label::new(
                                RichText::new(text).color(theme::WARN).size(20.0).strong(),
                            )
                            .wrap(),
                        );
                    });
            }
            let g = &sc.flow.session.guardian;
            let field = g.field;
            for (f, key, val) in [
                (
                    GuardianField::Name,
                    "field.guardian_name",
                    g.full_name.clone(),
                ),
                (GuardianField::Id, "field.guardian_id", g.id_number.clone()),
            ] {
                let label = format!(
                    "{}: {}",
                    sc.t(key),
                    if val.is_empty() { "—" } else { val.as_str() }
                );
                let mut b = egui::Button::new(RichText::new(label).size(28.0))
                    .min_size(egui::vec2(440.0, 58.0));
                if field == f {
                    b = b.stroke(egui::Stroke::new(4.0, theme::PRIMARY));
                }
                if ui.add(b).clicked() {
                    sc.flow.session.guardian.field = f;
                }
            }
            ui.label(sc.t("field.guardian_relation"));
            // One narrow row, so the name keyboard fits beside it at 1280×800.
            ui.horizontal(|ui| {
                for key in RELATIONS {
                    let on = sc.flow.session.guardian.relation == Some(key);
                    let text = RichText::new(sc.t(key)).size(26.0);
                    let mut b = egui::Button::new(if on {
                        text.color(egui::Color32::WHITE)
                    } else {
                        text
                    })
                    .min_size(egui::vec2(110.0, 60.0));
                    if on {
                        b = b.fill(theme::PRIMARY);
                    }
                    if ui.add(b).clicked() {
                        sc.flow.session.guardian.relation = Some(key);
                    }
                }
            });
        });
        let g = &mut sc.flow.session.guardian;
        match g.field {
            GuardianField::Name => {
                widgets::name_keypad(ui, &mut g.full_name, 60, erase);
            }
            GuardianField::Id => {
                widgets::keypad(ui, &mut g.id_number, 12, None, erase);
            }
        }
    });
    ui.horizontal(|ui| {
        if widgets::big_button(ui, sc.t("guardian.confirm"), true).clicked() {
            ev = Some(Event::GuardianConfirmed);
        }
        if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
            ev = Some(Event::Back);
        }
        ui.add(egui::Label::new(RichText::new(sc.t("guardian.consent")).small()).wrap());
    });
    ev
}
