//! Review: the chip's photo and data, and the verification badge. Untrusted (no
//! CSCA provisioned, DESIGN.md "Trust store") is a neutral note for the officer,
//! not an alarm; failed or clone is a warning with the reasons, and the officer decides.

use super::{heading, image, notice, widgets, ScreenCtx};
use crate::card::passive_auth::Verdict;
use crate::ui::flow::Event;
use crate::ui::theme;
use egui::{Color32, RichText, Ui};

/// Draw the review screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("review.title"));
    let Some(card) = sc.flow.session.card.as_ref() else {
        return Some(Event::Back);
    };
    let verdict = card.verdict;
    let too_young = sc
        .flow
        .session
        .age
        .is_some_and(|a| a < crate::ui::flow::MIN_AGE);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_max_width(240.0);
            match sc.chip_photo {
                Some(t) => {
                    image(ui, t, egui::vec2(240.0, 320.0));
                }
                None => {
                    ui.label(sc.t("review.no_photo"));
                }
            }
            // A renewal the chip offers (issue 9), booked after the activation.
            super::renewal_offer::show(ui, sc, false);
        });
        ui.vertical(|ui| {
            egui::Grid::new("review-fields")
                .spacing([24.0, 10.0])
                .show(ui, |ui| {
                    for (k, v) in [
                        ("field.name", &card.full_name),
                        ("field.id", &card.id_number),
                        ("field.dob", &card.date_of_birth),
                        ("field.sex", &card.sex),
                    ] {
                        ui.label(RichText::new(sc.t(k)).color(theme::NEUTRAL));
                        ui.label(RichText::new(v.as_str()).size(30.0).strong());
                        ui.end_row();
                    }
                    ui.label(RichText::new(sc.t("field.address")).color(theme::NEUTRAL));
                    ui.add(
                        egui::Label::new(RichText::new(card.address.as_str()).size(26.0)).wrap(),
                    );
                    ui.end_row();
                });
            if too_young {
                // Refused: the reason in place of the verification badge.
                notice(ui, sc);
            } else {
                badge(ui, sc, verdict, &card.reasons);
            }
        });
    });
    ui.horizontal(|ui| {
        let label = match verdict {
            Some(Verdict::Failed | Verdict::Clone) => sc.t("review.officer_continue"),
            _ => sc.t("common.continue"),
        };
        // Under 14: refused (the notice says why); only the way out remains.
        if !too_young && widgets::big_button(ui, label, true).clicked() {
            ev = Some(Event::ReviewAccepted);
        }
        if widgets::big_button(ui, sc.t("common.cancel"), false).clicked() {
            ev = Some(Event::Back);
        }
    });
    ev
}

fn badge(ui: &mut Ui, sc: &ScreenCtx, verdict: Option<Verdict>, reasons: &[String]) {
    let (key, fg, bg) = match verdict {
        Some(Verdict::Genuine) => (
            "review.genuine",
            theme::GOOD,
            Color32::from_rgb(0xE6, 0xF4, 0xEA),
        ),
        Some(Verdict::Untrusted) => (
            "review.untrusted",
            theme::NEUTRAL,
            Color32::from_rgb(0xEE, 0xF0, 0xF3),
        ),
        Some(Verdict::Clone) => (
            "review.clone",
            theme::WARN,
            Color32::from_rgb(0xFD, 0xEC, 0xEA),
        ),
        Some(Verdict::Failed) | None => (
            "review.failed",
            theme::WARN,
            Color32::from_rgb(0xFD, 0xEC, 0xEA),
        ),
    };
    egui::Frame::new()
        .fill(bg)
        .stroke(egui::Stroke::new(2.0, fg))
        .inner_margin(12.0)
        .corner_radius(8.0)
        .show(ui, |ui| {
            ui.label(RichText::new(sc.t(key)).color(fg).size(26.0).strong());
            if matches!(verdict, Some(Verdict::Failed | Verdict::Clone)) {
                for r in reasons.iter().take(4) {
                    ui.label(RichText::new(format!("• {r}")).small());
                }
            }
        });
}
