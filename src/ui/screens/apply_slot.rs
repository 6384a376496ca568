//! Card application, step 4 (the portal's steps 7–8): receiving office, day and
//! slot from the unit's calendar. Each slot shows its seats taken out of its
//! capacity; a full slot (or one already over) is drawn disabled and cannot be
//! chosen. The availability is read once per (office, day) choice; the booking
//! itself counts the slot again inside the submit transaction, so a slot that
//! fills meanwhile sends the citizen back here with a message.

use super::apply_procedure::{choice, hint_or_notice, nav};
use super::{heading, ScreenCtx};
use crate::application::calendar::{Slot, SlotAvailability};
use crate::ui::flow::Event;
use chrono::{Datelike, NaiveDate};
use egui::{RichText, Ui};

/// The availability last read for an office and a day.
#[derive(Debug, Clone)]
pub struct SlotCache {
    /// The office and day it was read for.
    pub office: String,
    pub day: NaiveDate,
    /// The slots, or why they could not be read (shown instead of the grid).
    pub slots: Result<Vec<SlotAvailability>, String>,
}

/// How a day is shown on its button: `T3 25/11` (CN for Sunday).
pub fn day_label(d: NaiveDate) -> String {
    let wd = match d.weekday().number_from_monday() {
        7 => "CN".to_string(),
        n => format!("T{}", n + 1),
    };
    format!("{wd} {}", d.format("%d/%m"))
}

/// How a slot is shown on its button: `08:00 · 1/4`.
pub fn slot_label(s: &SlotAvailability) -> String {
    format!("{} · {}/{}", s.start.format("%H:%M"), s.booked, s.capacity)
}

/// Draw the slot step.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    heading(ui, sc.t("apply.slot_title"));
    let Some(desk) = sc.desk else {
        return Some(Event::Home);
    };
    let now = chrono::Local::now().fixed_offset();
    let today = now.date_naive();
    let (offices, days) = match desk.lock() {
        Ok(d) => (
            d.calendar().offices().to_vec(),
            d.calendar().bookable_days(today),
        ),
        Err(_) => (Vec::new(), Vec::new()),
    };
    let (full_text, office_label, day_label_t, capacity_hint) = (
        sc.t("apply.slot_full"),
        sc.t("apply.office"),
        sc.t("apply.day"),
        sc.t("apply.capacity_hint"),
    );
    let hint = hint_or_notice(sc, capacity_hint);
    let Some(entry) = sc.flow.session.apply.as_mut() else {
        return Some(Event::Home);
    };
    if entry.office.is_none() {
        entry.office = offices.first().cloned();
    }
    if entry.day.is_none() {
        // Today's slots are often over: the first day with a slot still open is
        // found below; start on the first bookable day.
        entry.day = days.first().copied();
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(office_label).strong());
        for o in &offices {
            if choice(ui, o, entry.office.as_ref() == Some(o), true) {
                entry.office = Some(o.clone());
                entry.draft.slot = None;
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(day_label_t).strong());
        for d in days.iter().take(7) {
            let b = egui::Button::new(RichText::new(day_label(*d)).size(22.0))
                .min_size(egui::vec2(120.0, 56.0))
                .selected(entry.day == Some(*d));
            if ui.add(b).clicked() {
                entry.day = Some(*d);
                entry.draft.slot = None;
            }
        }
    });
    let (Some(office), Some(day)) = (entry.office.clone(), entry.day) else {
        return nav(ui, sc, Event::ApplyNext, true);
    };
    let stale = sc
        .ui_state
        .slots
        .as_ref()
        .is_none_or(|c| c.office != office || c.day != day);
    if stale {
        let slots = match desk.lock() {
            Ok(d) => d.slots(&office, day, now).map_err(|e| e.to_string()),
            Err(_) => Err("the desk is unavailable".into()),
        };
        sc.ui_state.slots = Some(SlotCache {
            office: office.clone(),
            day,
            slots,
        });
    }
    ui.label(hint);
    match sc.ui_state.slots.as_ref().map(|c| &c.slots) {
        Some(Ok(slots)) => {
            egui::Grid::new("apply-slots")
                .spacing([8.0, 8.0])
                .show(ui, |ui| {
                    for (i, s) in slots.iter().enumerate() {
                        let chosen = entry
                            .draft
                            .slot
                            .as_ref()
                            .is_some_and(|x| x.start == s.start && x.day == day);
                        let text = if s.is_full() {
                            format!("{} ({full_text})", slot_label(s))
                        } else {
                            slot_label(s)
                        };
                        let rt = RichText::new(text).size(22.0);
                        let rt = if chosen {
                            rt.color(egui::Color32::WHITE)
                        } else {
                            rt
                        };
                        let mut b = egui::Button::new(rt)
                            .min_size(egui::vec2(185.0, 56.0))
                            .selected(chosen);
                        if chosen {
                            b = b.fill(crate::ui::theme::PRIMARY);
                        }
                        if ui.add_enabled(s.bookable, b).clicked() && s.bookable {
                            entry.draft.slot = Some(Slot {
                                office: office.clone(),
                                day,
                                start: s.start,
                            });
                        }
                        if i % 6 == 5 {
                            ui.end_row();
                        }
                    }
                });
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).color(crate::ui::theme::WARN));
        }
        None => {}
    }
    nav(ui, sc, Event::ApplyNext, true)
}
