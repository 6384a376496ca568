//! Done: the receipt code (and its QR), "take your card back", how the result
//! comes; back to Welcome on its own after `Config::done_timeout`.

use super::{heading, image, widgets, ScreenCtx};
use crate::ui::flow::Event;
use crate::ui::theme;
use egui::{RichText, Ui};

/// Draw the done screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx, receipt: &str) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("done.title"));
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            // leave room for the receipt's QR code on the right
            ui.set_max_width((ui.available_width() - 300.0).max(400.0));
            ui.label(sc.t("done.receipt"));
            ui.label(
                RichText::new(receipt)
                    .size(64.0)
                    .strong()
                    .color(theme::PRIMARY),
            );
            ui.label(
                RichText::new(sc.t("done.take_card"))
                    .size(34.0)
                    .strong()
                    .color(theme::WARN),
            );
            ui.label(sc.t("done.result"));
            let left = sc
                .config
                .done_timeout
                .saturating_sub(sc.now.duration_since(sc.screen_since));
            ui.label(
                RichText::new(
                    sc.t("done.back_in")
                        .replace("{s}", &left.as_secs().to_string()),
                )
                .small(),
            );
            if widgets::big_button(ui, sc.t("done.finish"), true).clicked() {
                ev = Some(Event::Home);
            }
        });
        if sc.ui_state.receipt_tex.as_ref().map(|(r, _)| r.as_str()) != Some(receipt) {
            sc.ui_state.receipt_tex = crate::camera::qr::render(receipt, 8).ok().map(|g| {
                let rgb = image::DynamicImage::ImageLuma8(g).to_rgb8();
                let img = egui::ColorImage::from_rgb(
                    [rgb.width() as usize, rgb.height() as usize],
                    rgb.as_raw(),
                );
                (
                    receipt.to_string(),
                    ui.ctx()
                        .load_texture("receipt", img, egui::TextureOptions::NEAREST),
                )
            });
        }
        ui.vertical(|ui| {
            if let Some((_, t)) = &sc.ui_state.receipt_tex {
                image(ui, t, egui::vec2(260.0, 260.0));
            }
            // A renewal the chip offered (issue 9): book it now, in the same visit.
            ui.set_max_width(ui.available_width().min(340.0));
            if let Some(e) = super::renewal_offer::show(ui, sc, true) {
                ev = Some(e);
            }
        });
    });
    ev
}
