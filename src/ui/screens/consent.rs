//! Consent (Decree 13/2023/NĐ-CP): what is collected, why, for how long, and the
//! citizen's rights — accepted before the chip is read or a photo is taken.

use super::{heading, widgets, ScreenCtx};
use crate::ui::flow::{Event, APPLY_CONSENT_VERSION, CONSENT_VERSION};
use crate::ui::sink::Service;
use egui::{RichText, Ui};

/// Draw the consent screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("consent.title"));
    let h = (ui.available_height() - 110.0).max(200.0);
    // A card application collects other data for another purpose (issue 9).
    let apply = sc.flow.session.service == Some(Service::CardApplication);
    let (keys, version) = if apply {
        (
            [
                "apply.consent_what",
                "apply.consent_why",
                "apply.consent_how_long",
                "consent.rights",
            ],
            APPLY_CONSENT_VERSION,
        )
    } else {
        (
            [
                "consent.what",
                "consent.why",
                "consent.how_long",
                "consent.rights",
            ],
            CONSENT_VERSION,
        )
    };
    egui::ScrollArea::vertical().max_height(h).show(ui, |ui| {
        for k in keys {
            ui.label(sc.t(k));
        }
        ui.label(RichText::new(format!("{} {version}", sc.t("consent.version"))).small());
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
