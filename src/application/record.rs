//! The card-application record (issue 9): what the kiosk keeps when a citizen
//! applies for a card, stored in the queue's `records` table beside the
//! activation records, so that the tracker counts it and the end-of-day bundle
//! carries it.
//!
//! Decisions:
//! - **Same table, own kind.** A row with `service = 'card_application'` whose
//!   sealed personal JSON carries `"kind": "card_application"` and the
//!   application ([`ApplicationPersonal`]): procedure, reason, the applicant's
//!   data (typed, or prefilled from the roster or an old chip — `applicant.source`
//!   says which), contact, receiving office and slot, the declaration accepted
//!   with its time, the Decree 13 consent, and the old card's verified chip data
//!   when one was read (optional: a lost card has none). No photo: biometrics are
//!   taken at the office at the appointment (step 9). The plaintext columns are
//!   the activation record's (ids, times, officer, unit, mode, service; `verdict`
//!   is the old chip's, or `not_read`).
//! - **Counted once per citizen and service**: `id_index` is the keyed hash of the
//!   12-digit ID number (the tracker's match). A first-time applicant who does not
//!   know their number gets a keyed hash of name and date of birth in another
//!   domain (`applicant`), so repeated applications still count once; the roster
//!   cannot match such a record by number.
//! - **One transaction** ([`submit`]): the record row (through the queue's own
//!   `Store::insert_record`, as activation records: corrects check, receipt) and
//!   the appointment are written together inside `BEGIN IMMEDIATE`; a full
//!   slot, a double booking or a bad field leaves nothing behind, and nothing is
//!   written before the citizen confirms (an abandoned flow leaves nothing).
//! - **Export**: [`export_value`] gives the record's line for `records.jsonl`
//!   (`kind` and `application` instead of `card`/`live_photo`); the chain covers
//!   it like any record. The appointment's later status (attended, no-show) is
//!   not in the exported record, so re-exporting a batch rebuilds it unchanged.

use super::calendar::{self, Appointment, Calendar, CalendarError, Slot};
use super::fields::{
    self, check_procedure, BirthDate, Field, FieldError, Problem, Procedure, ProcedureFacts,
    Reason, Sex,
};
use crate::queue::record::{
    CardData, Consent, Contact, Mode, RecordError, RecordId, RecordSummary, Service,
};
use crate::queue::store::{aad, summary_from_row, NewRow, Store, StoreError};
use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The declaration of step 8, word for word from the online portal.
pub const DECLARATION_VI: &str = "Tôi xin chịu trách nhiệm về lời khai trên";
/// The `kind` of an application's sealed JSON and exported record.
pub const KIND: &str = "card_application";
/// `verdict` column of an application without a chip read.
pub const NO_CHIP_VERDICT: &str = "not_read";

/// Why an application could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    /// A typed field is wrong (names the field, in Vietnamese and English).
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A record field (kiosk, officer, unit, contact, consent) is wrong.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The slot cannot be booked (full, closed, already booked…).
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The queue database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ApplicationError {
    fn from(e: rusqlite::Error) -> Self {
        ApplicationError::Store(StoreError::Sqlite(e))
    }
}

/// Where the applicant's data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    /// Typed on the on-screen keyboard.
    Typed,
    /// From the unit's roster entry, checked by the citizen.
    Roster,
    /// From the old card's chip (DG13), checked by the citizen.
    Chip,
}

/// The form as the screen holds it: text per field, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicantForm {
    /// Họ, chữ đệm và tên.
    pub full_name: String,
    /// `DD/MM/YYYY`, `YYYY-MM-DD`, or `YYYY` when only the year is known.
    pub date_of_birth: String,
    /// `Nam` or `Nữ`.
    pub sex: String,
    /// 12 digits, or empty when not known (first issue only).
    pub id_number: String,
    /// 9 digits, or empty.
    pub old_id_number: String,
    /// Nơi cư trú, free text.
    pub place_of_residence: String,
}

impl ApplicantForm {
    /// Prefill from an old chip's `citizen` object (`read --json`), dates turned
    /// into the `DD/MM/YYYY` the citizen reads on the card.
    pub fn from_chip(citizen: &Value) -> ApplicantForm {
        let text = |k: &str| {
            citizen
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        // A chip with only the birth year has `date_of_birth: null` and the text
        // (`00/00/YYYY`) in `date_of_birth_raw`, which the form takes as a year.
        let dob = match text("date_of_birth") {
            d if d.is_empty() => text("date_of_birth_raw"),
            d => d,
        };
        ApplicantForm {
            full_name: text("full_name"),
            date_of_birth: NaiveDate::parse_from_str(&dob, "%Y-%m-%d")
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or(dob),
            sex: text("sex"),
            id_number: text("id_number"),
            old_id_number: text("old_id_number"),
            place_of_residence: text("place_of_residence"),
        }
    }

    /// Prefill from a roster entry (tracker `roster.csv`: `id_number, full_name,
    /// date_of_birth` as `YYYY-MM-DD` or `YYYY` alone, `sex`, `address`), for the
    /// citizen to check; a year alone stays a year.
    pub fn from_roster(
        id_number: &str,
        full_name: &str,
        date_of_birth: &str,
        sex: &str,
        address: &str,
    ) -> ApplicantForm {
        ApplicantForm {
            full_name: full_name.trim().into(),
            date_of_birth: NaiveDate::parse_from_str(date_of_birth.trim(), "%Y-%m-%d")
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_else(|_| date_of_birth.trim().into()),
            sex: sex.trim().into(),
            id_number: id_number.trim().into(),
            old_id_number: String::new(),
            place_of_residence: address.trim().into(),
        }
    }

    /// Check every field; the first wrong one is named.
    pub fn validate(&self, today: NaiveDate, source: Prefill) -> Result<Applicant, FieldError> {
        let full_name = fields::full_name(&self.full_name)?;
        let date_of_birth = fields::date_of_birth(&self.date_of_birth, today)?;
        let sex: Sex = self.sex.parse()?;
        let id_number = match self.id_number.trim() {
            "" => None,
            s => Some(
                fields::id_number(s, Some(date_of_birth.year()), Some(sex))?
                    .as_str()
                    .to_string(),
            ),
        };
        let old_id_number = match self.old_id_number.trim() {
            "" => None,
            s => Some(fields::old_id_number(s)?),
        };
        let place = self
            .place_of_residence
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if place.chars().count() > 300 {
            return Err(FieldError::new(
                Field::PlaceOfResidence,
                Problem::TooLong {
                    max: 300,
                    found: place.chars().count(),
                },
            ));
        }
        Ok(Applicant {
            full_name,
            date_of_birth,
            sex,
            id_number,
            old_id_number,
            place_of_residence: (!place.is_empty()).then_some(place),
            source,
        })
    }
}

/// The applicant's checked data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// Full name, NFC.
    pub full_name: String,
    /// Date of birth: `YYYY-MM-DD`, or `YYYY` when only the year is known.
    pub date_of_birth: BirthDate,
    /// Sex.
    pub sex: Sex,
    /// The 12-digit personal ID number, when known.
    pub id_number: Option<String>,
    /// The old 9-digit CMND, when there is one.
    pub old_id_number: Option<String>,
    /// Place of residence as typed or prefilled.
    pub place_of_residence: Option<String>,
    /// Where the data came from.
    pub source: Prefill,
}

/// The declaration ticked at step 8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    /// The text shown ([`DECLARATION_VI`]).
    pub text: String,
    /// When the citizen ticked it.
    pub accepted_at: DateTime<Utc>,
}

impl Declaration {
    /// The citizen ticks the declaration now.
    pub fn accepted(at: DateTime<Utc>) -> Declaration {
        Declaration {
            text: DECLARATION_VI.into(),
            accepted_at: at,
        }
    }
}

/// What the kiosk hands the queue when the citizen confirms an application.
#[derive(Debug, Clone, PartialEq)]
pub struct NewApplication {
    /// Local time of the application, with the kiosk's UTC offset.
    pub created_at: DateTime<FixedOffset>,
    /// The kiosk (device) id.
    pub kiosk_id: String,
    /// The officer beside the citizen.
    pub officer_id: String,
    /// The unit the record counts for.
    pub unit_code: String,
    /// Kiosk, outreach or home visit.
    pub mode: Mode,
    /// Cấp mới, cấp đổi or cấp lại.
    pub procedure: Procedure,
    /// Why.
    pub reason: Reason,
    /// The applicant's data.
    pub applicant: Applicant,
    /// How the office reaches the citizen (optional: many have no phone).
    pub contact: Option<Contact>,
    /// The receiving office and slot chosen.
    pub slot: Slot,
    /// The declaration.
    pub declaration: Declaration,
    /// The consent to the processing of personal data (Decree 13/2023).
    pub consent: Consent,
    /// The old card's chip data, when one was read (renewal from the chip).
    pub old_card: Option<CardData>,
    /// The record this one corrects.
    pub corrects: Option<RecordId>,
}

/// The sealed personal part of an application record (and its exported `application`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationPersonal {
    /// Always [`KIND`].
    pub kind: String,
    /// Cấp mới, cấp đổi or cấp lại.
    pub procedure: Procedure,
    /// Why.
    pub reason: Reason,
    /// The applicant's data.
    pub applicant: Applicant,
    /// Contact, if any.
    pub contact: Option<Contact>,
    /// Office and slot as booked.
    pub slot: Slot,
    /// The declaration.
    pub declaration: Declaration,
    /// The consent.
    pub consent: Consent,
    /// The old card's chip data.
    pub old_card: Option<CardData>,
}

fn invalid(field: &str, message: &str) -> ApplicationError {
    RecordError::Invalid {
        field: field.into(),
        message: message.into(),
    }
    .into()
}

impl NewApplication {
    /// Check everything that can be checked before booking; names the field.
    pub fn validate(&self) -> Result<(), ApplicationError> {
        for (field, v) in [
            ("kiosk_id", &self.kiosk_id),
            ("officer_id", &self.officer_id),
            ("unit_code", &self.unit_code),
        ] {
            if v.trim().is_empty() {
                return Err(invalid(field, "empty"));
            }
        }
        let today = self.created_at.date_naive();
        let a = &self.applicant;
        if a.date_of_birth.reckoned() > today {
            return Err(FieldError::new(Field::DateOfBirth, Problem::InFuture).into());
        }
        let age = a.date_of_birth.age_on(today);
        check_procedure(
            self.procedure,
            self.reason,
            ProcedureFacts {
                age,
                has_id_number: a.id_number.is_some(),
                has_old_id_number: a.old_id_number.is_some(),
            },
        )?;
        if let Some(id) = &a.id_number {
            fields::id_number(id, Some(a.date_of_birth.year()), Some(a.sex))?;
        }
        if let Some(c) = &self.contact {
            c.validate()?;
        }
        let created_utc = self.created_at.with_timezone(&Utc);
        if self.declaration.text != DECLARATION_VI
            || self.declaration.accepted_at > created_utc + chrono::Duration::minutes(5)
        {
            return Err(FieldError::new(Field::Declaration, Problem::NotAccepted).into());
        }
        if self.consent.text_version.trim().is_empty() {
            return Err(invalid("consent.text_version", "empty"));
        }
        if self.consent.accepted_at > created_utc + chrono::Duration::minutes(5) {
            return Err(invalid(
                "consent.accepted_at",
                "after the application was made: consent comes first",
            ));
        }
        if age < 16 {
            match &self.consent.guardian {
                Some(g) if !g.full_name.trim().is_empty() && !g.relation.trim().is_empty() => {
                    fields::name(Field::Guardian, &g.full_name)?;
                }
                _ => return Err(FieldError::new(Field::Guardian, Problem::Required).into()),
            }
        }
        if let Some(card) = &self.old_card {
            card.id_number()?;
        }
        Ok(())
    }
}

/// What the citizen brings to the appointment, for the done screen and the
/// printed receipt: `(Vietnamese, English)` lines, the appointment itself first.
pub fn reminders(procedure: Procedure, reason: Reason) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![(
        "Đến đúng giờ hẹn, đọc mã phiếu cho cán bộ: cán bộ chụp ảnh, thu vân tay và mống mắt.",
        "Come at the booked time and give the receipt code: photo, fingerprints and iris are taken there.",
    )];
    match (procedure, reason) {
        (_, Reason::FromOldCmnd) => out.push((
            "Mang theo Chứng minh nhân dân cũ.",
            "Bring the old ID card (CMND).",
        )),
        (Procedure::Renewal, _) => out.push((
            "Mang theo thẻ đang dùng: nộp lại khi nhận thẻ mới.",
            "Bring the card you hold: it is handed in for the new one.",
        )),
        _ => {}
    }
    if reason == Reason::InformationChange {
        out.push((
            "Mang theo giấy tờ chứng minh thông tin thay đổi (quyết định cải chính, trích lục hộ tịch…).",
            "Bring the documents that prove the change (correction decision, civil status extract…).",
        ));
    }
    if reason == Reason::Lost {
        out.push((
            "Không cần mang thẻ cũ; nếu tìm lại được, mang theo để nộp lại.",
            "No old card is needed; if it turns up, bring it to hand in.",
        ));
    }
    out
}

/// What the done screen shows after [`submit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The record's id.
    pub record_id: RecordId,
    /// The receipt code (8 characters with its check character).
    pub receipt: String,
    /// The appointment booked.
    pub appointment: Appointment,
}

/// The keyed hash the record is counted by (module doc).
fn citizen_index(store: &Store, a: &Applicant) -> [u8; 32] {
    match &a.id_number {
        Some(id) => store.id_number_index(id),
        None => store.keys().index(
            "applicant",
            &format!(
                "{}|{}",
                a.full_name.to_lowercase(),
                a.date_of_birth.canonical()
            ),
        ),
    }
}

/// Store the application and book its slot in one transaction; nothing is
/// written when anything fails.
pub fn submit(
    store: &mut Store,
    calendar: &Calendar,
    new: &NewApplication,
) -> Result<Submitted, ApplicationError> {
    new.validate()?;
    calendar.check(&new.slot, new.created_at)?;
    let id = RecordId::new_v7();
    let personal = ApplicationPersonal {
        kind: KIND.into(),
        procedure: new.procedure,
        reason: new.reason,
        applicant: new.applicant.clone(),
        contact: new.contact.clone(),
        slot: new.slot.clone(),
        declaration: new.declaration.clone(),
        consent: new.consent.clone(),
        old_card: new.old_card.clone(),
    };
    let json = zeroize::Zeroizing::new(serde_json::to_vec(&personal).map_err(|e| {
        StoreError::Damaged {
            id: id.to_string(),
            what: e.to_string(),
        }
    })?);
    let sealed = store
        .keys()
        .seal(&aad("record", &id), &json)
        .map_err(StoreError::from)?;
    let id_index = citizen_index(store, &new.applicant);
    let phone_index = new
        .contact
        .as_ref()
        .and_then(Contact::phone)
        .map(|p| store.keys().index("phone", p.as_str()));
    let verdict = new
        .old_card
        .as_ref()
        .map_or(NO_CHIP_VERDICT.to_string(), |c| c.verdict().to_string());
    let tx = store
        .conn_mut()
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let receipt = Store::insert_record(
        &tx,
        &NewRow {
            id,
            created_at: new.created_at,
            kiosk_id: &new.kiosk_id,
            officer_id: &new.officer_id,
            unit_code: &new.unit_code,
            mode: new.mode,
            service: Service::CardApplication,
            verdict: &verdict,
            id_index,
            phone_index,
            corrects: new.corrects,
            sealed: &sealed,
            org_code: None,
        },
    )
    .map_err(|e| match e {
        StoreError::Invalid(r) => ApplicationError::Record(r),
        e => ApplicationError::Store(e),
    })?;
    let appointment = calendar::book_in(&tx, calendar, &new.slot, &id, &id_index, new.created_at)?;
    tx.commit()?;
    Ok(Submitted {
        record_id: id,
        receipt: receipt.as_str().to_string(),
        appointment,
    })
}

/// A stored application: its plaintext summary and its decrypted personal part.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredApplication {
    /// The plaintext columns.
    pub summary: RecordSummary,
    /// The application.
    pub application: ApplicationPersonal,
}

fn open_application(
    store: &Store,
    id: &RecordId,
    sealed: &[u8],
) -> Result<Option<ApplicationPersonal>, StoreError> {
    let json = store.keys().open(&aad("record", id), sealed)?;
    let v: Value = serde_json::from_slice(&json).map_err(|e| StoreError::Damaged {
        id: id.to_string(),
        what: format!("personal data: {e}"),
    })?;
    if v.get("kind").and_then(Value::as_str) != Some(KIND) {
        return Ok(None);
    }
    serde_json::from_value(v)
        .map(Some)
        .map_err(|e| StoreError::Damaged {
            id: id.to_string(),
            what: format!("card application: {e}"),
        })
}

/// One application record, decrypted; `NotFound` when the id is not an application.
pub fn get(store: &Store, id: RecordId) -> Result<StoredApplication, StoreError> {
    let row = store
        .conn()
        .query_row(
            "SELECT id, receipt, created_at, kiosk_id, officer_id, unit_code, mode, service, verdict, corrects, status, status_reason, batch_id, personal
             FROM records WHERE id = ?1",
            [id.to_string()],
            |r| Ok((summary_from_row(r)?, r.get::<_, Vec<u8>>(13)?)),
        )
        .optional()?;
    let (summary, sealed) = row.ok_or(StoreError::NotFound(id))?;
    match open_application(store, &id, &sealed)? {
        Some(application) => Ok(StoredApplication {
            summary,
            application,
        }),
        None => Err(StoreError::NotFound(id)),
    }
}

/// The record's line in `records.jsonl` when it is a card application (`None`
/// for any other record: the export handles those as activation records).
pub(crate) fn export_value(
    store: &Store,
    summary: &RecordSummary,
    sealed: &[u8],
) -> Result<Option<Value>, StoreError> {
    if summary.service != Service::CardApplication {
        return Ok(None);
    }
    let Some(p) = open_application(store, &summary.id, sealed)? else {
        return Ok(None);
    };
    let s = summary;
    Ok(Some(json!({
        "id": s.id, "receipt": s.receipt,
        "created_at": s.created_at.to_rfc3339_opts(SecondsFormat::Millis, false),
        "kiosk_id": s.kiosk_id, "officer_id": s.officer_id, "unit_code": s.unit_code,
        "mode": s.mode, "service": s.service, "corrects": s.corrects,
        "kind": KIND, "application": p,
    })))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::Appointments;
    use crate::queue::record::Guardian;
    use chrono::NaiveTime;

    pub(crate) fn calendar() -> Calendar {
        let mut c = Appointments::with_offices(&["Công an xã Ka Lăng", "Công an huyện Mường Tè"]);
        c.capacity = 2;
        Calendar::new(c)
    }

    pub(crate) fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2025-06-09T10:00:00+07:00").unwrap()
    }

    pub(crate) fn slot(start: (u32, u32)) -> Slot {
        Slot {
            office: "Công an xã Ka Lăng".into(),
            day: NaiveDate::from_ymd_opt(2025, 6, 10).unwrap(),
            start: NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap(),
        }
    }

    /// A valid first-issue application for citizen `n` (born 2005, female).
    pub(crate) fn application(n: u32) -> NewApplication {
        let form = ApplicantForm {
            full_name: format!(
                "Lò Thị Mai {}",
                ["An", "Bình", "Chi", "Dung", "Hà"][n as usize % 5]
            ),
            date_of_birth: "12/03/2005".into(),
            sex: "Nữ".into(),
            id_number: format!("012305{:06}", n),
            old_id_number: String::new(),
            place_of_residence: "Bản Nậm Củm, xã Ka Lăng, huyện Mường Tè, tỉnh Lai Châu".into(),
        };
        let created_at = at();
        NewApplication {
            created_at,
            kiosk_id: "KIOSK-MT-01".into(),
            officer_id: "CB02".into(),
            unit_code: "03679".into(),
            mode: Mode::Outreach,
            procedure: Procedure::FirstIssue,
            reason: Reason::NeverIssued,
            applicant: form
                .validate(created_at.date_naive(), Prefill::Typed)
                .unwrap(),
            contact: None,
            slot: slot((9, 0)),
            declaration: Declaration::accepted(created_at.with_timezone(&Utc)),
            consent: Consent {
                text_version: "2025-01-vi".into(),
                accepted_at: created_at.with_timezone(&Utc) - chrono::Duration::minutes(3),
                guardian: None,
            },
            old_card: None,
            corrects: None,
        }
    }

    fn field_of(e: ApplicationError) -> Field {
        match e {
            ApplicationError::Field(f) => f.field,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn an_application_is_stored_sealed_with_its_appointment() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let a = application(1);
        let done = submit(&mut store, &calendar(), &a).unwrap();
        crate::queue::receipt::Receipt::parse(&done.receipt).unwrap();
        assert_eq!(done.appointment.slot, a.slot);
        assert_eq!(done.appointment.seat, 1);
        let got = get(&store, done.record_id).unwrap();
        assert_eq!(got.summary.service, Service::CardApplication);
        assert_eq!(got.summary.verdict, NO_CHIP_VERDICT);
        assert_eq!(got.summary.receipt, done.receipt);
        assert_eq!(got.application.applicant, a.applicant);
        assert_eq!(got.application.declaration.text, DECLARATION_VI);
        // Found by the citizen's number (the tracker's and roster's match), once.
        let id = a.applicant.id_number.as_deref().unwrap();
        assert_eq!(store.find_by_id_number(id).unwrap().len(), 1);
        let open = calendar::open_for_id_number(&store, id).unwrap().unwrap();
        assert_eq!(open.receipt, done.receipt);
        // No name or number in the clear on disk.
        drop(store);
        for f in ["queue.sqlite3", "queue.sqlite3-wal"] {
            let bytes = std::fs::read(dir.path().join(f)).unwrap_or_default();
            for needle in ["Lò Thị Mai", id, "Nậm Củm"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{needle} in {f}"
                );
            }
        }
    }

    #[test]
    fn the_roster_shows_applied_with_the_appointment() {
        use crate::tracker::{roster, units};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        units::import_units(
            &mut store,
            "code,name,level,parent_code\n03679,Xã Ka Lăng,commune,\n".as_bytes(),
            "units.csv",
        )
        .unwrap();
        let a = application(4);
        let id = a.applicant.id_number.clone().unwrap();
        let csv = format!(
            "id_number,full_name,date_of_birth,sex,unit_code,address,classification,officer_id\n\
             {id},Lò Thị Mai Hà,2005-03-12,Nữ,03679,Bản Nậm Củm,present,CB02\n\
             012305000009,Lò Văn Páo,2005-01-01,Nam,03679,Bản Nậm Củm,present,CB02\n"
        );
        let r = roster::import_roster(&mut store, csv.as_bytes(), "roster.csv").unwrap();
        assert!(r.rejected.is_empty(), "{r:?}");
        submit(&mut store, &calendar(), &a).unwrap();
        let index = roster::RosterIndex::load(&store).unwrap();
        let note = |n: &str| {
            index
                .entries()
                .iter()
                .find(|e| e.id_number == n)
                .unwrap()
                .appointment
                .as_ref()
                .map(|a| a.note(crate::config::Language::Vi))
        };
        assert_eq!(
            note(&id).as_deref(),
            Some("Đã nộp hồ sơ, hẹn ngày 10/06/2025 lúc 09:00 tại Công an xã Ka Lăng")
        );
        assert_eq!(note("012305000009"), None, "no application, no note");
    }

    #[test]
    fn bad_applications_name_the_field_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let cal = calendar();
        let mut a = application(2);
        a.reason = Reason::Lost;
        assert_eq!(
            field_of(submit(&mut store, &cal, &a).unwrap_err()),
            Field::Reason
        );
        let mut a = application(2);
        a.procedure = Procedure::Reissue;
        a.reason = Reason::Lost;
        a.applicant.id_number = None;
        assert_eq!(
            field_of(submit(&mut store, &cal, &a).unwrap_err()),
            Field::IdNumber
        );
        let mut a = application(2);
        a.declaration.text = "Tôi đồng ý".into();
        assert_eq!(
            field_of(submit(&mut store, &cal, &a).unwrap_err()),
            Field::Declaration
        );
        // A 15-year-old needs a guardian (Decree 13).
        let mut a = application(2);
        a.applicant.date_of_birth = BirthDate::Day(NaiveDate::from_ymd_opt(2010, 1, 1).unwrap());
        a.applicant.id_number = Some("012310000002".into());
        assert_eq!(
            field_of(submit(&mut store, &cal, &a).unwrap_err()),
            Field::Guardian
        );
        a.consent.guardian = Some(Guardian {
            full_name: "Lò Văn Pấu".into(),
            relation: "bố".into(),
            id_number: None,
        });
        let mut closed = a.clone();
        closed.slot.day = NaiveDate::from_ymd_opt(2025, 6, 8).unwrap();
        assert!(matches!(
            submit(&mut store, &cal, &closed),
            Err(ApplicationError::Calendar(CalendarError::Past { .. }))
        ));
        assert!(
            store.list(&Default::default()).unwrap().is_empty(),
            "nothing stored"
        );
        submit(&mut store, &cal, &a).unwrap();
        assert_eq!(store.list(&Default::default()).unwrap().len(), 1);
    }

    #[test]
    fn prefill_from_a_roster_row() {
        let form = ApplicantForm::from_roster(
            "012305000042",
            "Lò Thị Mai",
            "2005-03-12",
            "Nữ",
            "Bản Nậm Củm, xã Ka Lăng",
        );
        assert_eq!(form.date_of_birth, "12/03/2005");
        let a = form.validate(at().date_naive(), Prefill::Roster).unwrap();
        assert_eq!(a.id_number.as_deref(), Some("012305000042"));
        assert_eq!(
            a.place_of_residence.as_deref(),
            Some("Bản Nậm Củm, xã Ka Lăng")
        );
        // An elder known only by the birth year: the year goes through as a year.
        let elder = ApplicantForm::from_roster("012148000042", "Giàng Thị Dua", "1948", "Nữ", "");
        assert_eq!(elder.date_of_birth, "1948");
        let a = elder.validate(at().date_naive(), Prefill::Roster).unwrap();
        assert_eq!(a.date_of_birth, BirthDate::Year(1948));
        assert_eq!(
            serde_json::to_value(&a).unwrap()["date_of_birth"],
            "1948",
            "stored as just the year"
        );
        let unknown = ApplicantForm::from_roster("", "Lò Thị Mai", "", "Nữ", "");
        assert_eq!(
            unknown
                .validate(at().date_naive(), Prefill::Roster)
                .unwrap_err()
                .field,
            Field::DateOfBirth
        );
    }

    #[test]
    fn prefill_from_an_old_chip_comes_back_as_the_card_reads() {
        let citizen = serde_json::json!({"id_number": "001190012345", "full_name": "Nguyễn Thị Thu Hương",
            "date_of_birth": "1990-05-17", "sex": "Nữ", "place_of_residence": "Số 5 Lê Lợi, Hà Nội", "old_id_number": "012345678"});
        let form = ApplicantForm::from_chip(&citizen);
        assert_eq!(form.date_of_birth, "17/05/1990");
        let a = form
            .validate(NaiveDate::from_ymd_opt(2025, 6, 9).unwrap(), Prefill::Chip)
            .unwrap();
        assert_eq!(a.id_number.as_deref(), Some("001190012345"));
        assert_eq!(a.old_id_number.as_deref(), Some("012345678"));
        assert_eq!(a.source, Prefill::Chip);
        // An elder's chip: only the year, kept as a year.
        let elder = serde_json::json!({"id_number": "001048012345", "full_name": "Vàng A Chu",
            "date_of_birth": null, "date_of_birth_raw": "00/00/1948", "sex": "Nam"});
        let e = ApplicantForm::from_chip(&elder)
            .validate(NaiveDate::from_ymd_opt(2025, 6, 9).unwrap(), Prefill::Chip)
            .unwrap();
        assert_eq!(e.date_of_birth, BirthDate::Year(1948));
        let mut bad = form.clone();
        bad.sex = "Nam".into();
        assert_eq!(
            bad.validate(NaiveDate::from_ymd_opt(2025, 6, 9).unwrap(), Prefill::Chip)
                .unwrap_err()
                .problem,
            Problem::IdSex
        );
    }

    fn records_jsonl(dir: &std::path::Path, identity: &age::x25519::Identity) -> String {
        use std::io::Read;
        let file = std::fs::File::open(dir.join("payload.age")).unwrap();
        let dec = age::Decryptor::new(std::io::BufReader::new(file)).unwrap();
        let reader = dec
            .decrypt(std::iter::once(identity as &dyn age::Identity))
            .unwrap();
        let mut tar = tar::Archive::new(reader);
        for e in tar.entries().unwrap() {
            let mut e = e.unwrap();
            if e.path().unwrap().to_string_lossy() == "records.jsonl" {
                let mut text = String::new();
                e.read_to_string(&mut text).unwrap();
                return text;
            }
        }
        panic!("no records.jsonl")
    }

    #[test]
    fn an_application_travels_in_the_same_bundle_and_verifies_with_the_identity() {
        use crate::queue::export;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("data")).unwrap();
        let activation =
            crate::queue::NewActivation::synthetic(1, crate::queue::record::synthetic_jpeg(1, 32));
        store.append(&activation).unwrap();
        let app = submit(&mut store, &calendar(), &application(3)).unwrap();
        let identity = age::x25519::Identity::generate();
        let out = dir.path().join("usb");
        let m = export::export(
            &mut store,
            &out,
            None,
            &identity.to_public(),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(m.count, 2);
        assert_eq!(
            m.files.len(),
            2,
            "records.jsonl and the one activation photo"
        );
        let v = export::verify(&out, Some(&identity)).unwrap();
        assert_eq!((v.records_checked, v.decrypted), (2, true));
        let text = records_jsonl(&out, &identity);
        let line: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        let rec = &line["record"];
        assert_eq!(rec["id"], app.record_id.to_string());
        assert_eq!(rec["service"], "card_application");
        assert_eq!(rec["kind"], KIND);
        assert_eq!(
            rec["application"]["applicant"]["full_name"],
            "Lò Thị Mai Dung"
        );
        assert_eq!(rec["application"]["procedure"], "first_issue");
        assert_eq!(rec["application"]["slot"]["office"], "Công an xã Ka Lăng");
        assert_eq!(rec["application"]["declaration"]["text"], DECLARATION_VI);
        assert!(rec.get("live_photo").is_none());
        assert_eq!(
            store.list(&Default::default()).unwrap()[1].status,
            crate::queue::Status::Exported
        );
        // Marking attendance later does not change the exported record: the batch rebuilds.
        calendar::set_status(
            &mut store,
            &app.receipt,
            calendar::AppointmentStatus::Attended,
            at(),
        )
        .unwrap();
        let again = dir.path().join("usb2");
        let m2 = export::export(
            &mut store,
            &again,
            Some(&m.batch_id),
            &identity.to_public(),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(m2.chain_head, m.chain_head);
        assert_eq!(records_jsonl(&again, &identity), text);
        // An altered application is caught by the chain.
        let tampered = text.replace("Lò Thị Mai Dung", "Lò Thị Mai Hoa");
        assert_ne!(tampered, text);
        let mut head = [0u8; 32];
        let mut broke = false;
        for l in tampered.lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            head = export::chain_step(&head, &v["record"]);
            broke |= v["chain"].as_str() != Some(hex::encode(head).as_str());
        }
        assert!(broke);
    }

    #[test]
    fn reminders_say_what_to_bring_for_each_procedure() {
        let vi = |p, r| {
            reminders(p, r)
                .into_iter()
                .map(|(v, _)| v)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(vi(Procedure::Renewal, Reason::Damaged).contains("Mang theo thẻ đang dùng"));
        assert!(vi(Procedure::FirstIssue, Reason::FromOldCmnd).contains("Chứng minh nhân dân cũ"));
        assert!(vi(Procedure::Renewal, Reason::InformationChange).contains("giấy tờ chứng minh"));
        assert!(!vi(Procedure::Reissue, Reason::Lost).contains("thẻ đang dùng"));
        assert_eq!(
            reminders(Procedure::FirstIssue, Reason::NeverIssued).len(),
            1
        );
    }
}
