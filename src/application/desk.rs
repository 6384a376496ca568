//! The one object the kiosk screens hold for card applications: the queue
//! database, the unit's calendar and the kiosk's identity, with the calls the
//! screens make (slot picker, renewal offer after a chip read, submit, roster
//! note). Like the activation [`crate::queue::sink::StoreSink`], it owns its own
//! connection, so a worker thread can hold it while the UI thread draws.

use super::calendar::{self, Calendar, CalendarError, SlotAvailability};
use super::draft::Draft;
use super::record::{self, ApplicationError, Submitted};
use super::renewal::{self, RenewalOffer};
use crate::config::{Config, Language};
use crate::queue::record::Mode;
use crate::queue::store::{Store, StoreError};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;
use std::path::Path;

/// One line of the officers' appointment list.
#[derive(Debug, Clone)]
pub struct DayEntry {
    /// The appointment (slot, seat, receipt, status).
    pub appointment: calendar::Appointment,
    /// The applicant's full name.
    pub name: String,
    /// First issue, renewal, re-issue or change.
    pub procedure: super::fields::Procedure,
}

/// Card applications at this kiosk.
pub struct Desk {
    store: Store,
    calendar: Calendar,
    kiosk_id: String,
    default_unit: String,
}

impl Desk {
    /// Open the queue in `data_dir` with the config's `[appointments]`; `None`
    /// when the config has no calendar (the kiosk then offers no applications).
    pub fn open(data_dir: &Path, config: &Config) -> Result<Option<Desk>, StoreError> {
        let Some(appointments) = &config.appointments else {
            return Ok(None);
        };
        Desk::open_with(
            data_dir,
            appointments.clone(),
            config.kiosk_id.as_deref().unwrap_or("kiosk"),
            config.unit.as_deref().unwrap_or_default(),
        )
        .map(Some)
    }

    /// Open with a calendar, kiosk id and default unit given directly (`simulate`).
    pub fn open_with(
        data_dir: &Path,
        appointments: crate::config::Appointments,
        kiosk_id: &str,
        default_unit: &str,
    ) -> Result<Desk, StoreError> {
        Ok(Desk {
            store: Store::open(data_dir)?,
            calendar: Calendar::new(appointments),
            kiosk_id: kiosk_id.into(),
            default_unit: default_unit.into(),
        })
    }

    /// The calendar (offices, bookable days).
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The slots of `office` on `day`, which can be chosen at `now`.
    pub fn slots(
        &self,
        office: &str,
        day: NaiveDate,
        now: DateTime<FixedOffset>,
    ) -> Result<Vec<SlotAvailability>, CalendarError> {
        self.calendar.availability(&self.store, office, day, now)
    }

    /// After a chip read (`read --json`), the renewal to offer, if any.
    pub fn renewal_offer(&self, read: &Value, today: NaiveDate) -> Option<RenewalOffer> {
        renewal::offer_from_read(read, today, self.calendar.config().renewal_window_months)
    }

    /// Store the finished draft and book its slot (one transaction). `unit` is
    /// the unit officer mode chose, else the config's.
    pub fn submit(
        &mut self,
        draft: &Draft,
        now: DateTime<FixedOffset>,
        officer_id: &str,
        unit: Option<&str>,
        mode: Mode,
    ) -> Result<Submitted, ApplicationError> {
        let new = draft.finish(
            now,
            &self.kiosk_id,
            officer_id,
            unit.unwrap_or(&self.default_unit),
            mode,
        )?;
        record::submit(&mut self.store, &self.calendar, &new)
    }

    /// The appointments of `day` with each applicant's name and procedure (the
    /// officers' list; names come from the sealed records, so this stays on the
    /// kiosk's screen and the operator's `appointments list`).
    pub fn day_list(&self, day: NaiveDate) -> Result<Vec<DayEntry>, ApplicationError> {
        calendar::list_day(&self.store, day)?
            .into_iter()
            .map(|a| {
                let app = record::get(&self.store, a.record_id)?;
                Ok(DayEntry {
                    name: app.application.applicant.full_name.clone(),
                    procedure: app.application.procedure,
                    appointment: a,
                })
            })
            .collect()
    }

    /// Record that the citizen came (or did not), by receipt code or appointment id.
    pub fn mark(
        &mut self,
        key: &str,
        status: calendar::AppointmentStatus,
        now: DateTime<FixedOffset>,
    ) -> Result<calendar::Appointment, CalendarError> {
        calendar::set_status(&mut self.store, key, status, now)
    }

    /// "Applied, appointment on …" for a roster entry's ID number, when it has an open one.
    pub fn roster_note(
        &self,
        id_number: &str,
        lang: Language,
    ) -> Result<Option<String>, CalendarError> {
        Ok(calendar::open_for_id_number(&self.store, id_number)?.map(|a| a.note(lang)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::fields::{Procedure, Reason};
    use crate::application::record::tests::{at, slot};
    use crate::queue::record::Consent;
    use chrono::Utc;

    #[test]
    fn the_screens_walk_from_config_to_receipt_and_roster_note() {
        let dir = tempfile::tempdir().unwrap();
        let none = Config::parse("", "k").unwrap();
        assert!(Desk::open(dir.path(), &none).unwrap().is_none());
        let cfg = Config::parse(
            "kiosk_id = \"KIOSK-MT-01\"\nunit = \"03679\"\n[appointments]\noffices = [\"Công an xã Ka Lăng\"]\ncapacity = 1\nrenewal_window_months = 12\n",
            "k",
        )
        .unwrap();
        let mut desk = Desk::open(dir.path(), &cfg).unwrap().unwrap();
        let day = slot((8, 0)).day;
        assert!(desk
            .slots("Công an xã Ka Lăng", day, at())
            .unwrap()
            .iter()
            .all(|s| s.bookable));
        let mut d = Draft::new(Consent {
            text_version: "2025-01-vi".into(),
            accepted_at: at().with_timezone(&Utc),
            guardian: None,
        });
        d.choose_procedure(Procedure::Reissue);
        d.reason = Some(Reason::Lost);
        d.prefill_roster(record::ApplicantForm::from_roster(
            "012305000042",
            "Lò Thị Mai",
            "2005-03-12",
            "Nữ",
            "",
        ));
        d.slot = Some(slot((8, 0)));
        d.accept_declaration(at().with_timezone(&Utc));
        let done = desk.submit(&d, at(), "CB02", None, Mode::Kiosk).unwrap();
        let stored = record::get(&desk.store, done.record_id).unwrap();
        assert_eq!(stored.summary.unit_code, "03679");
        assert_eq!(stored.summary.kiosk_id, "KIOSK-MT-01");
        let eight = desk.slots("Công an xã Ka Lăng", day, at()).unwrap();
        assert!(
            !eight
                .iter()
                .find(|s| s.start == slot((8, 0)).start)
                .unwrap()
                .bookable
        );
        assert_eq!(
            desk.roster_note("012305000042", Language::En)
                .unwrap()
                .as_deref(),
            Some("Applied, appointment on 10/06/2025 at 08:00, Công an xã Ka Lăng")
        );
        assert_eq!(
            desk.roster_note("012305000043", Language::Vi).unwrap(),
            None
        );
        // The configured 12-month window reaches a card expiring in 11 months.
        let read = serde_json::json!({"citizen": {"date_of_birth": "2001-05-01", "date_of_expiry": "2026-05-01"}});
        assert!(desk.renewal_offer(&read, at().date_naive()).is_some());
    }
}
