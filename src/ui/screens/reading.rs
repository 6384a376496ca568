//! Reading: real progress (bytes of each file, from the read worker; the bar as
//! `flow::read_fraction` estimates the whole card), cancel.

use super::{heading, widgets, ScreenCtx};
use crate::ui::flow::Event;
use egui::{RichText, Ui};

/// Draw the reading screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("reading.title"));
    ui.label(RichText::new(sc.t("reading.keep")).size(30.0));
    let p = &sc.flow.session.progress;
    let frac = sc.flow.session.progress_shown;
    ui.add(
        egui::ProgressBar::new(frac)
            .desired_width(ui.available_width().min(900.0))
            .desired_height(40.0)
            .show_percentage(),
    );
    for (fid, (d, t)) in p {
        let key = match fid {
            0x011E => "file.com",
            0x0101 => "file.dg1",
            0x010D => "file.dg13",
            0x0102 => "file.dg2",
            0x011D => "file.sod",
            _ => "file.other",
        };
        let mark = if d >= t { "✔" } else { "…" };
        ui.label(format!("{mark} {}: {d} / {t} B", sc.t(key)));
    }
    if widgets::big_button(ui, sc.t("common.cancel"), false).clicked() {
        ev = Some(Event::Back);
    }
    ev
}
