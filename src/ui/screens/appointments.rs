//! The officers' appointment list (issue 9, "Appointments list"), from officer
//! mode: yesterday's, today's or tomorrow's card-application appointments per
//! slot, with the applicant's name, receipt code and procedure, and two big
//! buttons to record who came and who did not. The printable list is the
//! operator's `cccd-kiosk appointments list --format html` (same data).
//!
//! The list is read from the desk once per day chosen (names are decrypted from
//! the sealed records: a day holds at most offices × slots × capacity entries,
//! a few hundred) and again after each mark, never per frame; it is dropped when
//! the screen is left.

use super::apply_procedure::language;
use super::{heading, widgets, ScreenCtx};
use crate::application::calendar::AppointmentStatus;
use crate::application::desk::DayEntry;
use crate::ui::flow::Event;
use crate::ui::i18n::{tr, trf};
use crate::ui::theme;
use chrono::{Duration, NaiveDate};
use egui::{RichText, Ui};

/// The screen's state, kept in [`super::UiState`] while it is open.
#[derive(Default)]
pub struct Panel {
    /// Days from today: -1, 0 or 1.
    offset: i64,
    /// The list of the day loaded (None: load it).
    list: Option<(NaiveDate, Result<Vec<DayEntry>, String>)>,
    /// The last mark's failure, shown under the list.
    error: Option<String>,
}

impl Panel {
    /// Leaving the screen forgets the list (names are personal data).
    pub fn on_screen_change(&mut self) {
        *self = Panel::default();
    }

    /// Show the day `offset` days from today (-1, 0, 1), as its button does.
    pub fn choose_day(&mut self, offset: i64) {
        self.offset = offset.clamp(-1, 1);
        self.list = None;
    }
}

fn status_key(s: AppointmentStatus) -> &'static str {
    match s {
        AppointmentStatus::Booked => "appointments.status_booked",
        AppointmentStatus::Attended => "appointments.status_attended",
        AppointmentStatus::NoShow => "appointments.status_no_show",
        AppointmentStatus::Cancelled => "appointments.status_cancelled",
    }
}

fn status_colour(s: AppointmentStatus) -> egui::Color32 {
    match s {
        AppointmentStatus::Attended => theme::PRIMARY,
        AppointmentStatus::NoShow => theme::WARN,
        _ => egui::Color32::DARK_GRAY,
    }
}

/// Draw the list; `Back` returns to officer mode.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    let lang = sc.flow.lang;
    heading(ui, sc.t("appointments.title"));
    let Some(desk) = sc.desk else {
        ui.label(sc.t("apply.not_set_up"));
        if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
            ev = Some(Event::Back);
        }
        return ev;
    };
    let today = chrono::Local::now().date_naive();
    let p = &mut sc.ui_state.appointments;
    ui.horizontal(|ui| {
        for (offset, key) in [
            (-1, "appointments.yesterday"),
            (0, "appointments.today"),
            (1, "appointments.tomorrow"),
        ] {
            if widgets::big_button(ui, tr(lang, key), p.offset == offset).clicked()
                && p.offset != offset
            {
                p.choose_day(offset);
            }
        }
        if widgets::big_button(ui, tr(lang, "common.back"), false).clicked() {
            ev = Some(Event::Back);
        }
    });
    let day = today + Duration::days(p.offset);
    if p.list.as_ref().is_none_or(|(d, _)| *d != day) {
        let loaded = match desk.lock() {
            Ok(d) => d.day_list(day).map_err(|e| e.to_string()),
            Err(_) => Err("the desk is unavailable".into()),
        };
        p.list = Some((day, loaded));
    }
    let mut mark: Option<(String, AppointmentStatus)> = None;
    match p.list.as_ref().map(|(_, l)| l) {
        Some(Ok(entries)) => {
            let count = |s: AppointmentStatus| {
                entries
                    .iter()
                    .filter(|e| e.appointment.status == s)
                    .count()
                    .to_string()
            };
            ui.label(
                RichText::new(trf(
                    lang,
                    "appointments.summary",
                    &[
                        ("day", &day.format("%d/%m/%Y").to_string()),
                        ("came", &count(AppointmentStatus::Attended)),
                        ("missed", &count(AppointmentStatus::NoShow)),
                        ("waiting", &count(AppointmentStatus::Booked)),
                    ],
                ))
                .size(24.0),
            );
            if entries.is_empty() {
                ui.label(tr(lang, "appointments.none"));
            }
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    for e in entries {
                        if let Some(m) = entry_row(ui, lang, e) {
                            mark = Some(m);
                        }
                        ui.separator();
                    }
                });
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e.as_str()).color(theme::WARN));
        }
        None => {}
    }
    if let Some(e) = &p.error {
        ui.label(RichText::new(e.as_str()).color(theme::WARN));
    }
    if let Some((key, status)) = mark {
        let now = chrono::Local::now().fixed_offset();
        let done = match desk.lock() {
            Ok(mut d) => d
                .mark(&key, status, now)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(_) => Err("the desk is unavailable".into()),
        };
        p.error = done.err();
        p.list = None; // read again: the row shows what is stored
    }
    ev
}

/// One appointment: slot, seat, name, receipt, procedure, status, and the two
/// marks (not for a cancelled one). Returns the mark tapped.
fn entry_row(
    ui: &mut Ui,
    lang: crate::ui::i18n::Lang,
    e: &DayEntry,
) -> Option<(String, AppointmentStatus)> {
    let a = &e.appointment;
    let mut tapped = None;
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            ui.set_width(540.0);
            ui.label(
                RichText::new(format!(
                    "{}–{} · {} · {}",
                    a.slot.start.format("%H:%M"),
                    a.end.format("%H:%M"),
                    a.slot.office,
                    trf(lang, "appointments.seat", &[("n", &a.seat.to_string())]),
                ))
                .size(20.0),
            );
            ui.label(RichText::new(&e.name).size(26.0).strong());
            ui.label(
                RichText::new(format!(
                    "{} · {}",
                    a.receipt,
                    e.procedure.label(language(lang))
                ))
                .size(20.0),
            );
        });
        ui.label(
            RichText::new(tr(lang, status_key(a.status)))
                .size(24.0)
                .strong()
                .color(status_colour(a.status)),
        );
        if a.status != AppointmentStatus::Cancelled {
            for (s, key) in [
                (AppointmentStatus::Attended, "appointments.came"),
                (AppointmentStatus::NoShow, "appointments.missed"),
            ] {
                let label = tr(lang, key);
                if widgets::big_button_enabled(ui, label, false, a.status != s).clicked() {
                    tapped = Some((a.id.clone(), s));
                }
            }
        }
    });
    tapped
}
