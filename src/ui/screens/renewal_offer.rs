//! The renewal a chip read offers (issue 9 "Renewal from the chip"): on Review,
//! a compact note with its one-sentence reason under the chip photo; on the
//! activation's Done screen, the same with a button that opens the application,
//! prefilled from the chip, at its check step.

use super::apply_procedure::language;
use super::{widgets, ScreenCtx};
use crate::config::Language;
use crate::ui::flow::Event;
use crate::ui::theme;
use egui::{RichText, Ui};

/// Draw the offer, if the session holds one; `book` adds the booking button
/// (Done screen, once the activation is queued).
pub fn show(ui: &mut Ui, sc: &ScreenCtx, book: bool) -> Option<Event> {
    let offer = sc.flow.session.renewal.as_ref()?;
    if book && sc.flow.session.apply.is_none() {
        return None;
    }
    let sentence = match language(sc.flow.lang) {
        Language::Vi => &offer.sentence_vi,
        Language::En => &offer.sentence_en,
    };
    let mut ev = None;
    if !book {
        // Review: a compact note under the chip photo.
        ui.add_space(8.0);
        ui.label(
            RichText::new(sc.t("apply.renewal_title"))
                .color(theme::PRIMARY)
                .strong()
                .size(20.0),
        );
        ui.label(RichText::new(sentence.as_str()).size(17.0));
        return None;
    }
    egui::Frame::new()
        .fill(egui::Color32::from_rgb(0xE8, 0xEF, 0xFA))
        .stroke(egui::Stroke::new(2.0, theme::PRIMARY))
        .inner_margin(12.0)
        .corner_radius(8.0)
        .show(ui, |ui| {
            ui.label(
                RichText::new(sc.t("apply.renewal_title"))
                    .color(theme::PRIMARY)
                    .strong(),
            );
            ui.label(RichText::new(sentence.as_str()).size(22.0));
            if widgets::big_button(ui, sc.t("apply.renewal_book"), true).clicked() {
                ev = Some(Event::ApplyRenewal);
            }
        });
    ev
}
