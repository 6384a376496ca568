//! Officer mode, behind a PIN: officer ID, unit code, and mode (kiosk, outreach,
//! home visit — the assisted flow for the elderly and disabled). Settings stay
//! until changed; citizens' sessions never see the PIN.

use super::{heading, widgets, ScreenCtx};
use crate::ui::flow::{Event, Officer};
use crate::ui::sink::Mode;
use crate::ui::theme;
use egui::{RichText, Ui};

/// Draw the officer screen: PIN pad, then settings.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx, unlocked: bool) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("officer.title"));
    let erase = sc.t("common.erase");
    if !unlocked {
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.label(sc.t("officer.pin"));
                let dots: String = "●".repeat(sc.ui_state.pin.chars().count());
                widgets::display_box(ui, "PIN", &dots, true);
                if sc.ui_state.pin_error {
                    ui.label(RichText::new(sc.t("officer.pin_wrong")).color(theme::WARN));
                }
                if widgets::big_button(ui, sc.t("officer.unlock"), true).clicked() {
                    if !sc.config.officer_pin.is_empty() && sc.ui_state.pin == sc.config.officer_pin
                    {
                        ev = Some(Event::OfficerUnlocked);
                    } else {
                        sc.ui_state.pin_error = true;
                    }
                    zeroize::Zeroize::zeroize(&mut sc.ui_state.pin);
                }
                if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
                    ev = Some(Event::Back);
                }
            });
            widgets::keypad(ui, &mut sc.ui_state.pin, 8, None, erase);
        });
        return ev;
    }
    let draft = sc
        .ui_state
        .officer_draft
        .get_or_insert_with(|| sc.flow.officer.clone());
    let mut draft_v: Officer = draft.clone();
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            let f = sc.ui_state.officer_field;
            for (i, key, val) in [
                (0u8, "officer.id", &draft_v.officer_id),
                (1, "officer.unit", &draft_v.unit),
            ] {
                let label = format!("{}: {}", sc.t(key), if val.is_empty() { "—" } else { val });
                let mut b = egui::Button::new(RichText::new(label).size(28.0))
                    .min_size(egui::vec2(480.0, 68.0));
                if f == i {
                    b = b.stroke(egui::Stroke::new(4.0, theme::PRIMARY));
                }
                if ui.add(b).clicked() {
                    sc.ui_state.officer_field = i;
                }
            }
            ui.label(sc.t("officer.mode"));
            ui.horizontal(|ui| {
                for (m, key) in [
                    (Mode::Kiosk, "mode.kiosk"),
                    (Mode::Outreach, "mode.outreach"),
                    (Mode::HomeVisit, "mode.home_visit"),
                ] {
                    if widgets::big_button(ui, sc.t(key), draft_v.mode == m).clicked() {
                        draft_v.mode = m;
                    }
                }
            });
            ui.horizontal(|ui| {
                if widgets::big_button(ui, sc.t("officer.save"), true).clicked() {
                    ev = Some(Event::OfficerSaved(draft_v.clone()));
                }
                if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
                    ev = Some(Event::Back);
                }
            });
            if widgets::big_button(ui, sc.t("supervisor.open"), false).clicked() {
                ev = Some(Event::SupervisorOpen);
            }
        });
        let buf = if sc.ui_state.officer_field == 0 {
            &mut draft_v.officer_id
        } else {
            &mut draft_v.unit
        };
        widgets::keypad(ui, buf, 12, None, erase);
    });
    sc.ui_state.officer_draft = Some(draft_v);
    ev
}
