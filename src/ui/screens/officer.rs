//! Officer mode, behind a PIN: officer ID, unit code, and mode (kiosk, outreach,
//! home visit — the assisted flow for the elderly and disabled). Settings stay
//! until changed; citizens' sessions never see the PIN. From here the officer
//! also starts a card application for the citizen beside them ("Hồ sơ cấp
//! thẻ"): the settings drafted on the screen are kept and the record carries
//! the mode.

use super::{heading, widgets, ScreenCtx};
use crate::ui::flow::{Event, Officer, Pin};
use crate::ui::sink::Mode;
use crate::ui::theme;
use egui::{RichText, Ui};

/// Draw the officer screen: PIN pad, then settings.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx, unlocked: bool) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("officer.title"));
    let erase = sc.t("common.erase");
    if !unlocked {
        let locked_until = sc.flow.pin_locked_until.filter(|t| sc.wall < *t);
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.label(sc.t("officer.pin"));
                let dots: String = "●".repeat(sc.ui_state.pin.chars().count());
                widgets::display_box(ui, "PIN", &dots, true);
                if let Some(t) = locked_until {
                    let until = t.with_timezone(&chrono::Local).format("%H:%M").to_string();
                    // Whole minutes left, rounded up: "1 minute" until the very end.
                    let minutes = u64::try_from((t - sc.wall).num_seconds())
                        .unwrap_or(0)
                        .div_ceil(60);
                    let text = sc
                        .t("officer.pin_locked")
                        .replace("{n}", &sc.flow.pin_policy.attempts.to_string())
                        .replace("{time}", &until)
                        .replace("{minutes}", &minutes.to_string());
                    ui.label(RichText::new(text).color(theme::WARN).strong());
                } else if sc.flow.pin_failures > 0 {
                    let left = sc
                        .flow
                        .pin_policy
                        .attempts
                        .saturating_sub(sc.flow.pin_failures);
                    let text = sc.t("officer.pin_wrong").replace("{n}", &left.to_string());
                    ui.label(RichText::new(text).color(theme::WARN).strong());
                }
                let can_try = locked_until.is_none() && !sc.ui_state.pin.is_empty();
                if widgets::big_button_enabled(ui, sc.t("officer.unlock"), true, can_try).clicked()
                {
                    let pin = std::mem::take(&mut sc.ui_state.pin);
                    ev = Some(Event::OfficerPin(Pin(zeroize::Zeroizing::new(pin))));
                }
                if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
                    ev = Some(Event::Back);
                }
            });
            if locked_until.is_none() {
                widgets::keypad(ui, &mut sc.ui_state.pin, 12, None, erase);
            }
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
            if sc.flow.officer_verified {
                // The id is the one whose PIN matched: shown, not editable.
                sc.ui_state.officer_field = 1;
                let name = sc
                    .config
                    .officers
                    .iter()
                    .find(|o| o.id == draft_v.officer_id)
                    .map(|o| o.name.as_str())
                    .unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "{}: {} {name}",
                        sc.t("officer.id"),
                        draft_v.officer_id
                    ))
                    .size(28.0)
                    .strong(),
                );
            }
            let f = sc.ui_state.officer_field;
            let fields: &[(u8, &str, &String)] = if sc.flow.officer_verified {
                &[(1, "officer.unit", &draft_v.unit)]
            } else {
                &[
                    (0u8, "officer.id", &draft_v.officer_id),
                    (1, "officer.unit", &draft_v.unit),
                ]
            };
            for &(i, key, val) in fields {
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
                if widgets::big_button(ui, sc.t("diag.open"), false).clicked() {
                    ev = Some(Event::DiagnosticsOpen);
                }
                if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
                    ev = Some(Event::Back);
                }
            });
            ui.horizontal(|ui| {
                if widgets::big_button(ui, sc.t("supervisor.open"), false).clicked() {
                    ev = Some(Event::SupervisorOpen);
                }
                if widgets::big_button(ui, sc.t("tracker.open"), false).clicked() {
                    ev = Some(Event::TrackerOpen);
                }
                // Third (and last: a fourth pushes the keypad off a 1280 px screen)
                // button of the row: a card application for the citizen beside the
                // officer, recorded with the mode chosen above.
                if sc.flow.applications
                    && widgets::big_button(ui, sc.t("officer.apply"), false).clicked()
                {
                    ev = Some(Event::ApplyAssisted(draft_v.clone()));
                }
            });
            if sc.flow.applications
                && widgets::big_button(ui, sc.t("appointments.open"), false).clicked()
            {
                ev = Some(Event::AppointmentsOpen);
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
