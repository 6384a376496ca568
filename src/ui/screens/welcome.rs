//! Welcome: what the kiosk does, the service choice, language, reader status.

use super::{heading, notice, widgets, ScreenCtx};
use crate::ui::flow::{Event, ReaderStatus};
use crate::ui::sink::Service;
use crate::ui::theme;
use egui::{RichText, Ui};

/// Draw the welcome screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("welcome.title"));
    ui.label(sc.t("welcome.intro"));
    ui.add_space(12.0);
    for (service, key) in [
        (Service::EidLevel2, "service.eid2"),
        (Service::EidLevel1, "service.eid1"),
        (Service::CardApplication, "service.card_app"),
    ] {
        let b = egui::Button::new(RichText::new(sc.t(key)).size(30.0))
            .min_size(egui::vec2(ui.available_width().min(900.0), 84.0));
        if ui.add(b).clicked() {
            ev = Some(Event::Start(service));
        }
    }
    // Card applications need the unit's calendar ([appointments]); the flow
    // answers the button with apply.not_set_up when there is none.
    notice(ui, sc);
    ui.add_space(12.0);
    let (text, color) = match &sc.flow.reader {
        ReaderStatus::NoReader => (sc.t("reader.none"), theme::WARN),
        ReaderStatus::ServiceDown => (sc.t("reader.service_down"), theme::WARN),
        ReaderStatus::Ready(_) => (sc.t("reader.ready"), theme::GOOD),
        ReaderStatus::CardPresent(_) => (sc.t("reader.card"), theme::GOOD),
    };
    ui.horizontal(|ui| {
        ui.label(RichText::new(text).color(color));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let officer = &sc.flow.officer;
            if widgets::big_button(ui, sc.t("officer.open"), false).clicked() {
                ev = Some(Event::OfficerOpen);
            }
            if !officer.officer_id.is_empty() {
                ui.label(
                    RichText::new(format!(
                        "{} {} · {}",
                        sc.t("officer.short"),
                        officer.officer_id,
                        officer.unit
                    ))
                    .small(),
                );
            }
        });
    });
    ev
}
