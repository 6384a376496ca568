//! Card application, step 5 (the portal's step 8): a summary, the declaration
//! "Tôi xin chịu trách nhiệm về lời khai trên" to accept, then submit. The
//! submission runs on a worker thread ([`submit`]): the desk stores the record
//! and books the seat in one SQLite transaction with a full sync, which must not
//! freeze the screen; the buttons are off and the idle timer held meanwhile.

use super::apply_procedure::{language, nav};
use super::{heading, notice, ScreenCtx};
use crate::application::calendar::CalendarError;
use crate::application::desk::Desk;
use crate::application::draft::Draft;
use crate::application::record::{ApplicationError, DECLARATION_VI};
use crate::config::Language;
use crate::ui::flow::{ApplyReceipt, Event, Officer, SubmitFailure};
use crate::ui::theme;
use egui::{RichText, Ui};
use std::sync::Mutex;

/// The officer id on applications made while no officer is signed in (the record
/// requires one; the back office sees the kiosk served the citizen alone).
pub const NO_OFFICER: &str = "kiosk";

/// Store `draft` through `desk` (worker thread): the receipt for the done screen,
/// or why not, sorted for the flow (slot gone → choose again).
pub fn submit(
    desk: &Mutex<Desk>,
    draft: &Draft,
    officer: &Officer,
) -> Result<Box<ApplyReceipt>, SubmitFailure> {
    submit_recorded(desk, draft, officer).map(|(_, receipt)| receipt)
}

/// [`submit`], also giving the stored record's id (`simulate` prints it).
pub fn submit_recorded(
    desk: &Mutex<Desk>,
    draft: &Draft,
    officer: &Officer,
) -> Result<(crate::queue::record::RecordId, Box<ApplyReceipt>), SubmitFailure> {
    let fail = |key, back_to_slot, field, detail: String| SubmitFailure {
        key,
        back_to_slot,
        field,
        detail,
    };
    let mut desk = desk
        .lock()
        .map_err(|_| fail("err.queue_failed", false, None, "desk lock poisoned".into()))?;
    let now = chrono::Local::now().fixed_offset();
    let officer_id = match officer.officer_id.trim() {
        "" => NO_OFFICER,
        id => id,
    };
    let unit = Some(officer.unit.trim()).filter(|u| !u.is_empty());
    let mode = match officer.mode {
        crate::ui::sink::Mode::Kiosk => crate::queue::record::Mode::Kiosk,
        crate::ui::sink::Mode::Outreach => crate::queue::record::Mode::Outreach,
        crate::ui::sink::Mode::HomeVisit => crate::queue::record::Mode::HomeVisit,
    };
    match desk.submit(draft, now, officer_id, unit, mode) {
        Ok(s) => Ok((
            s.record_id,
            Box::new(ApplyReceipt {
                receipt: s.receipt,
                office: s.appointment.slot.office.clone(),
                day: s.appointment.slot.day,
                start: s.appointment.slot.start,
                end: s.appointment.end,
                procedure: draft
                    .procedure
                    .unwrap_or(crate::application::fields::Procedure::FirstIssue),
                reason: draft
                    .reason
                    .unwrap_or(crate::application::fields::Reason::NeverIssued),
            }),
        )),
        Err(e) => {
            let detail = e.to_string();
            Err(match e {
                ApplicationError::Calendar(CalendarError::AlreadyBooked { .. }) => {
                    fail("apply.already_booked", false, None, detail)
                }
                ApplicationError::Calendar(
                    CalendarError::Full { .. }
                    | CalendarError::Past { .. }
                    | CalendarError::NotASlot(_)
                    | CalendarError::ClosedDay(_)
                    | CalendarError::TooFarAhead { .. },
                ) => fail("apply.slot_taken", true, None, detail),
                ApplicationError::Field(f) => fail(
                    "apply.field_wrong",
                    false,
                    Some((f.message(Language::Vi), f.message(Language::En))),
                    detail,
                ),
                _ => fail("err.queue_failed", false, None, detail),
            })
        }
    }
}

/// Draw the declaration step.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let lang = language(sc.flow.lang);
    heading(ui, sc.t("apply.declare_title"));
    let (t_when, t_wait) = (sc.t("apply.appointment"), sc.t("apply.submitting"));
    let Some(entry) = sc.flow.session.apply.as_mut() else {
        return Some(Event::Home);
    };
    let d = &entry.draft;
    let line = |ui: &mut Ui, a: &str, b: &str| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(a).size(22.0));
            ui.label(RichText::new(b).size(26.0).strong());
        });
    };
    if let (Some(p), Some(r)) = (d.procedure, d.reason) {
        line(
            ui,
            crate::application::fields::Field::Procedure.label(lang),
            &format!("{} · {}", p.label(lang), r.label(lang)),
        );
    }
    line(
        ui,
        crate::application::fields::Field::FullName.label(lang),
        &d.form.full_name,
    );
    line(
        ui,
        crate::application::fields::Field::DateOfBirth.label(lang),
        &d.form.date_of_birth,
    );
    if let Some(s) = &d.slot {
        line(
            ui,
            t_when,
            &format!(
                "{} {} · {}",
                super::apply_slot::day_label(s.day),
                s.start.format("%H:%M"),
                s.office
            ),
        );
    }
    ui.add_space(16.0);
    let accepted = d.declaration_at.is_some();
    let rt = RichText::new(DECLARATION_VI).size(30.0).strong();
    let b = egui::Button::new(if accepted {
        rt.color(egui::Color32::WHITE)
    } else {
        rt
    })
    .min_size(egui::vec2(ui.available_width().min(900.0), 84.0))
    .fill(if accepted {
        theme::GOOD
    } else {
        egui::Color32::from_gray(235)
    })
    .selected(accepted);
    if ui.add_enabled(!entry.submitting, b).clicked() {
        entry.draft.declaration_at = if accepted {
            None
        } else {
            Some(chrono::Utc::now())
        };
    }
    if lang == Language::En {
        ui.label(RichText::new("“I take responsibility for the statements above.”").small());
    }
    let submitting = entry.submitting;
    if submitting {
        ui.label(RichText::new(t_wait).color(theme::PRIMARY));
    }
    ui.add_space(12.0);
    notice(ui, sc);
    nav(ui, sc, Event::ApplySubmit, !submitting)
}
