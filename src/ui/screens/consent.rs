//! Consent (Decree 13/2023/NĐ-CP): what is collected, why, for how long, and the
//! citizen's rights — accepted before the chip is read or a photo is taken.

use super::{heading, widgets, ScreenCtx};
use crate::ui::flow::{Event, CONSENT_VERSION};
use egui::{RichText, Ui};

/// Draw the consent screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("consent.title"));
    let h = (ui.available_height() - 110.0).max(200.0);
    egui::ScrollArea::vertical().max_height(h).show(ui, |ui| {
        for k in [
            "consent.what",
            "consent.why",
            "consent.how_long",
            "consent.rights",
        ] {
            ui.label(sc.t(k));
        }
        ui.label(RichText::new(format!("{} {CONSENT_VERSION}", sc.t("consent.version"))).small());
    });
    ui.horizontal(|ui| {
        if widgets::big_button(ui, sc.t("consent.accept"), true).clicked() {
            ev = Some(Event::ConsentAccepted);
        }
        if widgets::big_button(ui, sc.t("consent.decline"), false).clicked() {
            ev = Some(Event::ConsentDeclined);
        }
    });
    ev
}
