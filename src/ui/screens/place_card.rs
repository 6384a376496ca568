//! Place card: live reader status from the monitor, with a picture of where the card goes.

use super::{heading, notice, widgets, ScreenCtx};
use crate::ui::flow::{Event, ReaderStatus};
use crate::ui::theme;
use egui::{Color32, RichText, Stroke, Ui};

/// Draw the place-card screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("place.title"));
    notice(ui, sc);
    ui.horizontal(|ui| {
        picture(ui);
        ui.vertical(|ui| {
            let (text, color) = match &sc.flow.reader {
                ReaderStatus::NoReader => (sc.t("place.no_reader"), theme::WARN),
                ReaderStatus::ServiceDown => (sc.t("reader.service_down"), theme::WARN),
                ReaderStatus::Ready(_) => (sc.t("place.ready"), theme::TEXT),
                ReaderStatus::CardPresent(_) => (sc.t("place.found"), theme::GOOD),
            };
            ui.label(RichText::new(text).size(30.0).color(color));
            ui.label(sc.t("place.hint"));
            if matches!(sc.flow.reader, ReaderStatus::CardPresent(_))
                && widgets::big_button(ui, sc.t("common.continue"), true).clicked()
            {
                ev = Some(Event::CardReady);
            }
            if widgets::big_button(ui, sc.t("common.cancel"), false).clicked() {
                ev = Some(Event::Back);
            }
        });
    });
    ev
}

/// A reader with a card laid on it, chip up.
fn picture(ui: &mut Ui) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(360.0, 300.0), egui::Sense::hover());
    let p = ui.painter();
    let reader =
        egui::Rect::from_min_size(rect.min + egui::vec2(30.0, 150.0), egui::vec2(300.0, 110.0));
    p.rect_filled(reader, 14.0, Color32::from_rgb(0x2B, 0x2F, 0x36));
    p.circle_filled(
        reader.right_top() + egui::vec2(-30.0, 25.0),
        8.0,
        Color32::from_rgb(0x2E, 0xCC, 0x71),
    );
    let card =
        egui::Rect::from_min_size(rect.min + egui::vec2(60.0, 60.0), egui::vec2(240.0, 150.0));
    p.rect_filled(card, 10.0, Color32::from_rgb(0xDD, 0xE8, 0xF5));
    p.rect_stroke(
        card,
        10.0,
        Stroke::new(3.0, theme::PRIMARY),
        egui::StrokeKind::Inside,
    );
    let chip = egui::Rect::from_min_size(card.min + egui::vec2(24.0, 45.0), egui::vec2(44.0, 34.0));
    p.rect_filled(chip, 4.0, Color32::from_rgb(0xD4, 0xA0, 0x17));
    p.arrow(
        rect.min + egui::vec2(180.0, 0.0),
        egui::vec2(0.0, 50.0),
        Stroke::new(5.0, theme::PRIMARY),
    );
}
