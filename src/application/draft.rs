//! The application as the kiosk screens collect it, step by step (the portal's
//! 9 steps, offline): procedure, reason, the applicant's data (typed or
//! prefilled), contact, receiving office and slot, the declaration. A
//! [`Draft`] lives only in memory: an abandoned flow (the citizen walks away, the
//! idle timeout wipes the screen) drops it and nothing is stored; its typed
//! personal data is zeroized on drop (Decree 13/2023: keep no more than needed).
//! Only [`Draft::finish`] + [`super::record::submit`] write anything.

use super::calendar::Slot;
use super::fields::{Field, FieldError, Problem, Procedure, Reason};
use super::record::{ApplicantForm, ApplicationError, Declaration, NewApplication, Prefill};
use super::renewal::RenewalOffer;
use crate::queue::record::{CardData, Consent, Contact, Mode, RecordError};
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;
use zeroize::Zeroize;

/// An application being filled in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    /// Step 4: cấp mới, cấp đổi, cấp lại.
    pub procedure: Option<Procedure>,
    /// Step 6: why.
    pub reason: Option<Reason>,
    /// Step 7: the data, as typed or prefilled, checked by the citizen.
    pub form: ApplicantForm,
    /// Where the form's data came from.
    pub source: Option<Prefill>,
    /// How the office reaches the citizen (optional).
    pub contact: Option<Contact>,
    /// Step 7–8: receiving office, day and time.
    pub slot: Option<Slot>,
    /// Step 8: when the declaration was ticked.
    pub declaration_at: Option<DateTime<Utc>>,
    /// The consent given before anything was collected.
    pub consent: Option<Consent>,
    /// The old card's chip data, when one was read.
    pub old_card: Option<CardData>,
}

impl Draft {
    /// A draft after the citizen accepted the data-protection notice.
    pub fn new(consent: Consent) -> Draft {
        let mut d = Draft::default();
        d.consent = Some(consent);
        d
    }

    /// Prefill from the roster entry the officer picked (the citizen checks it).
    pub fn prefill_roster(&mut self, form: ApplicantForm) {
        self.form = form;
        self.source = Some(Prefill::Roster);
    }

    /// Prefill from an old card's chip (`read --json`'s `citizen`) and keep its data.
    pub fn prefill_chip(&mut self, citizen: &Value, card: Option<CardData>) {
        self.form = ApplicantForm::from_chip(citizen);
        self.source = Some(Prefill::Chip);
        self.old_card = card;
    }

    /// Start the renewal a chip read offered ([`super::renewal::offer_from_read`]).
    pub fn renewal(
        consent: Consent,
        offer: &RenewalOffer,
        citizen: &Value,
        card: Option<CardData>,
    ) -> Draft {
        let mut d = Draft::new(consent);
        d.procedure = Some(offer.procedure);
        d.reason = Some(offer.reason);
        d.prefill_chip(citizen, card);
        d
    }

    /// Choose the procedure; a reason of another procedure is dropped.
    pub fn choose_procedure(&mut self, p: Procedure) {
        self.procedure = Some(p);
        if self.reason.is_some_and(|r| r.procedure() != p) {
            self.reason = None;
        }
    }

    /// The citizen ticks "Tôi xin chịu trách nhiệm về lời khai trên".
    pub fn accept_declaration(&mut self, at: DateTime<Utc>) {
        self.declaration_at = Some(at);
    }

    /// Everything for the queue, checked; the error names the first missing or
    /// wrong field (the screen goes back to its step).
    pub fn finish(
        &self,
        created_at: DateTime<FixedOffset>,
        kiosk_id: &str,
        officer_id: &str,
        unit_code: &str,
        mode: Mode,
    ) -> Result<NewApplication, ApplicationError> {
        let chosen = |field| FieldError::new(field, Problem::NotChosen);
        let procedure = self.procedure.ok_or_else(|| chosen(Field::Procedure))?;
        let reason = self.reason.ok_or_else(|| chosen(Field::Reason))?;
        let applicant = self.form.validate(
            created_at.date_naive(),
            self.source.unwrap_or(Prefill::Typed),
        )?;
        let slot = self
            .slot
            .clone()
            .ok_or_else(|| chosen(Field::Appointment))?;
        let at = self
            .declaration_at
            .ok_or_else(|| FieldError::new(Field::Declaration, Problem::NotAccepted))?;
        let consent = self.consent.clone().ok_or_else(|| RecordError::Invalid {
            field: "consent".into(),
            message: "the citizen has not accepted the data-protection notice".into(),
        })?;
        Ok(NewApplication {
            created_at,
            kiosk_id: kiosk_id.into(),
            officer_id: officer_id.into(),
            unit_code: unit_code.into(),
            mode,
            procedure,
            reason,
            applicant,
            contact: self.contact.clone(),
            slot,
            declaration: Declaration::accepted(at),
            consent,
            old_card: self.old_card.clone(),
            corrects: None,
        })
    }
}

impl Drop for Draft {
    fn drop(&mut self) {
        let f = &mut self.form;
        for s in [
            &mut f.full_name,
            &mut f.date_of_birth,
            &mut f.sex,
            &mut f.id_number,
            &mut f.old_id_number,
            &mut f.place_of_residence,
        ] {
            s.zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::calendar::CalendarError;
    use crate::application::record::submit;
    use crate::application::record::tests::{at, calendar, slot};
    use crate::application::renewal;
    use crate::queue::store::Store;

    fn consent() -> Consent {
        Consent {
            text_version: "2025-01-vi".into(),
            accepted_at: at().with_timezone(&Utc) - chrono::Duration::minutes(5),
            guardian: None,
        }
    }

    fn finish(d: &Draft) -> Result<NewApplication, ApplicationError> {
        d.finish(at(), "KIOSK-MT-01", "CB02", "03679", Mode::Kiosk)
    }

    fn missing(d: &Draft) -> Field {
        match finish(d) {
            Err(ApplicationError::Field(e)) => e.field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_step_is_asked_for_in_order_and_the_finished_draft_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut d = Draft::new(consent());
        assert_eq!(missing(&d), Field::Procedure);
        d.choose_procedure(Procedure::FirstIssue);
        assert_eq!(missing(&d), Field::Reason);
        d.reason = Some(Reason::NeverIssued);
        assert_eq!(missing(&d), Field::FullName);
        // Typed through the on-screen keyboard in Telex.
        d.form.full_name = crate::application::vietnamese_input::compose(
            Default::default(),
            Default::default(),
            "Giaangf A Sinhr",
        );
        assert_eq!(d.form.full_name, "Giầng A Sỉnh");
        d.form.date_of_birth = "02/09/2008".into();
        d.form.sex = "Nam".into();
        assert_eq!(missing(&d), Field::Appointment);
        d.slot = Some(slot((8, 0)));
        assert_eq!(missing(&d), Field::Declaration);
        d.accept_declaration(at().with_timezone(&Utc));
        let new = finish(&d).unwrap();
        assert_eq!(new.applicant.source, Prefill::Typed);
        assert_eq!(new.applicant.id_number, None);
        let done = submit(&mut store, &calendar(), &new).unwrap();
        // Without an ID number the citizen still holds one open appointment (name + birth date).
        let err = submit(&mut store, &calendar(), &new).unwrap_err();
        assert!(
            matches!(
                err,
                ApplicationError::Calendar(CalendarError::AlreadyBooked { .. })
            ),
            "{err}"
        );
        assert_eq!(store.list(&Default::default()).unwrap().len(), 1);
        assert_eq!(done.appointment.slot.start, slot((8, 0)).start);
        // Changing the procedure drops a reason that is not its own.
        d.choose_procedure(Procedure::Reissue);
        assert_eq!(d.reason, None);
    }

    #[test]
    fn a_renewal_offered_from_the_chip_arrives_prefilled() {
        // Born 20/06/2000 (ID century digit 3: a woman born 2000–2099); the card ends at 25.
        let read = serde_json::json!({"citizen": {"id_number": "001300012345", "full_name": "Nguyễn Thị Thu Hương",
            "date_of_birth": "2000-06-20", "sex": "Nữ", "date_of_issue": "2021-04-10", "date_of_expiry": "2025-06-20"}});
        let offer = renewal::offer_from_read(&read, at().date_naive(), 6).unwrap();
        let mut d = Draft::renewal(consent(), &offer, &read["citizen"], None);
        assert_eq!(d.procedure, Some(Procedure::Renewal));
        assert_eq!(d.form.date_of_birth, "20/06/2000");
        d.slot = Some(slot((8, 0)));
        d.accept_declaration(at().with_timezone(&Utc));
        let new = finish(&d).unwrap();
        assert_eq!(new.applicant.source, Prefill::Chip);
        assert_eq!(new.applicant.full_name, "Nguyễn Thị Thu Hương");
        assert_eq!(new.reason, Reason::AgeMilestone);
    }
}
