//! Card application, done: the receipt code and its QR, the appointment, and what
//! to bring ([`crate::application::record::reminders`]). The applicant's data
//! left the kiosk's memory when the record was stored; this screen shows only the
//! code and the booking, and goes back to Welcome on the idle timer or Finish.

use super::apply_procedure::language;
use super::{heading, image, widgets, ScreenCtx};
use crate::application::record::reminders;
use crate::config::Language;
use crate::ui::flow::{ApplyReceipt, Event};
use crate::ui::theme;
use egui::{RichText, Ui};

/// Draw the application's done screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx, r: &ApplyReceipt) -> Option<Event> {
    let mut ev = None;
    let lang = language(sc.flow.lang);
    heading(ui, sc.t("apply.done_title"));
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_max_width((ui.available_width() - 300.0).max(400.0));
            ui.label(sc.t("done.receipt"));
            ui.label(
                RichText::new(&r.receipt)
                    .size(64.0)
                    .strong()
                    .color(theme::PRIMARY),
            );
            ui.label(RichText::new(sc.t("apply.appointment")).strong());
            ui.label(
                RichText::new(format!(
                    "{}/{} {}–{}",
                    super::apply_slot::day_label(r.day),
                    r.day.format("%Y"),
                    r.start.format("%H:%M"),
                    r.end.format("%H:%M"),
                ))
                .size(34.0)
                .strong(),
            );
            ui.label(RichText::new(&r.office).size(28.0));
            ui.add_space(8.0);
            ui.label(RichText::new(sc.t("apply.bring")).strong());
            for (vi, en) in reminders(r.procedure, r.reason) {
                let text = match lang {
                    Language::Vi => vi,
                    Language::En => en,
                };
                ui.label(RichText::new(format!("• {text}")).size(22.0));
            }
            ui.add_space(8.0);
            if widgets::big_button(ui, sc.t("done.finish"), true).clicked() {
                ev = Some(Event::Home);
            }
        });
        if sc.ui_state.receipt_tex.as_ref().map(|(c, _)| c.as_str()) != Some(r.receipt.as_str()) {
            sc.ui_state.receipt_tex = crate::camera::qr::render(&r.receipt, 8).ok().map(|g| {
                let rgb = image::DynamicImage::ImageLuma8(g).to_rgb8();
                let img = egui::ColorImage::from_rgb(
                    [rgb.width() as usize, rgb.height() as usize],
                    rgb.as_raw(),
                );
                (
                    r.receipt.clone(),
                    ui.ctx()
                        .load_texture("apply-receipt", img, egui::TextureOptions::NEAREST),
                )
            });
        }
        if let Some((_, t)) = &sc.ui_state.receipt_tex {
            image(ui, t, egui::vec2(260.0, 260.0));
        }
    });
    ev
}
