//! The activation record (DESIGN.md "Activation record (queue)"): what the kiosk
//! hands the queue for one citizen served, and what the queue gives back.
//!
//! Decisions:
//! - The card data is the `read --json` object's `citizen`, `mrz`, `verification`
//!   and `access`, as the card pipeline prints them, plus the raw EF.SOD, DG1 and
//!   DG13 bytes and the DG2 hash, so the back office can re-run passive
//!   authentication (DESIGN "Trust store") without trusting this kiosk's verdict.
//! - Data minimisation (Decree 13/2023, DESIGN "Flow and consent"): `religion` and
//!   `ethnicity` are dropped unless the service's form asks for them (a card
//!   application or an update of card data does; e-ID activation does not).
//! - Consent: ages under 16 at the time of service need a guardian recorded (the
//!   design names 14–15, the youngest card holders an enrollment point sees; a
//!   younger citizen is represented by a guardian all the more).
//! - Records are append-only: a correction is a new record whose `corrects` names
//!   the old one; the tracker counts the newest.

use super::phone::{Phone, PhoneError};
use crate::card::read::CardRead;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// What is wrong with a record handed to the queue; `field` names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// A field is missing, empty or malformed.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The phone number is not a Vietnamese mobile number.
    #[error(transparent)]
    Phone(#[from] PhoneError),
}

fn invalid(field: &str, message: impl Into<String>) -> RecordError {
    RecordError::Invalid {
        field: field.to_string(),
        message: message.into(),
    }
}

/// A record's identity: a UUID v7, so ids sort by creation time and can be made
/// on a kiosk with no network without colliding with other kiosks'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub Uuid);

impl RecordId {
    /// A fresh time-ordered id.
    pub fn new_v7() -> RecordId {
        RecordId(Uuid::now_v7())
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for RecordId {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim())
            .map(RecordId)
            .map_err(|e| invalid("record_id", format!("{s:?} is not a UUID: {e}")))
    }
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            /// The stored and printed name.
            pub fn as_str(self) -> &'static str { match self { $(Self::$v => $s),+ } }
            /// Every value, for help texts and CHECK constraints.
            pub const ALL: &'static [$name] = &[$(Self::$v),+];
        }
        impl FromStr for $name {
            type Err = RecordError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($s => Ok(Self::$v),)+ other => Err(invalid($field, format!(
                    "{other:?} is not one of {}", [$($s),+].join(", ")))) }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

text_enum!(
    /// Where the citizen was served (counted separately by the campaign).
    Mode, "mode" {
        /// At the enrollment point's kiosk.
        Kiosk = "kiosk",
        /// A team's outreach visit (market, factory, school).
        Outreach = "outreach",
        /// At the citizen's home (elderly, disabled).
        HomeVisit = "home_visit",
    }
);

text_enum!(
    /// The service the citizen asked for.
    Service, "service" {
        /// VNeID level 1 activation.
        EidLevel1 = "eid_level1",
        /// VNeID level 2 activation (verified chip + face).
        EidLevel2 = "eid_level2",
        /// Application for a (new or replacement) card.
        CardApplication = "card_application",
        /// Update of the data on record.
        Update = "update",
    }
);

impl Service {
    /// Whether the service's form needs religion and ethnicity (the card application
    /// and data update forms have those boxes; e-ID activation does not).
    pub fn needs_religion_and_ethnicity(self) -> bool {
        matches!(self, Service::CardApplication | Service::Update)
    }
}

text_enum!(
    /// Where a record is in its life: queued on the kiosk, exported in a bundle,
    /// then accepted or rejected by the back office.
    Status, "status" {
        /// On the kiosk, not yet in a bundle.
        Queued = "queued",
        /// In an export bundle, result not back yet.
        Exported = "exported",
        /// The back office accepted it.
        Accepted = "accepted",
        /// The back office rejected it (with a reason).
        Rejected = "rejected",
    }
);

/// The verified card data a record keeps (see the module doc for why each part).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardData {
    /// `read --json`'s `citizen` (from DG13), minus religion/ethnicity unless needed.
    pub citizen: Value,
    /// `read --json`'s `mrz` (from DG1).
    pub mrz: Value,
    /// `read --json`'s `verification` (passive authentication result, verdict).
    pub verification: Value,
    /// `read --json`'s `access` (PACE or BAC, key source).
    pub access: Value,
    /// Raw EF.SOD as read, hex.
    #[serde(with = "hex::serde")]
    pub ef_sod: Vec<u8>,
    /// Raw DG1 as read, hex.
    #[serde(with = "hex::serde")]
    pub dg1: Vec<u8>,
    /// Raw DG13 as read, hex.
    #[serde(with = "hex::serde")]
    pub dg13: Vec<u8>,
    /// SHA-256 of the whole DG2 file (the face is kept only as this hash).
    #[serde(with = "hex::serde")]
    pub dg2_sha256: [u8; 32],
    /// SHA-256 of the face image inside DG2 (`read --json`'s `photo.sha256`).
    #[serde(with = "hex::serde")]
    pub chip_photo_sha256: [u8; 32],
}

const FID_DG1: u16 = 0x0101;
const FID_DG2: u16 = 0x0102;
const FID_DG13: u16 = 0x010D;
const FID_SOD: u16 = 0x011D;

impl CardData {
    /// Take what the record needs from a verified read, for `service`.
    pub fn from_read(
        read: &CardRead,
        service: Service,
        today: NaiveDate,
    ) -> Result<CardData, RecordError> {
        let json = read.to_json("", &[], today);
        let file = |fid: u16, name: &str| {
            read.files
                .get(&fid)
                .cloned()
                .ok_or_else(|| invalid(name, "not read from the chip"))
        };
        let dg2 = file(FID_DG2, "dg2")?;
        let photo = read
            .dg2
            .as_ref()
            .ok_or_else(|| invalid("dg2", "no face image"))?;
        CardData::from_parts(
            json.get("citizen").cloned().unwrap_or(Value::Null),
            json.get("mrz").cloned().unwrap_or(Value::Null),
            json.get("verification").cloned().unwrap_or(Value::Null),
            json.get("access").cloned().unwrap_or(Value::Null),
            [
                file(FID_SOD, "ef_sod")?,
                file(FID_DG1, "dg1")?,
                file(FID_DG13, "dg13")?,
            ],
            Sha256::digest(&dg2).into(),
            Sha256::digest(&photo.image).into(),
            service,
        )
    }

    /// Build from `read --json` parts and raw files `[EF.SOD, DG1, DG13]`; drops
    /// religion and ethnicity unless `service` needs them.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        mut citizen: Value,
        mrz: Value,
        verification: Value,
        access: Value,
        [ef_sod, dg1, dg13]: [Vec<u8>; 3],
        dg2_sha256: [u8; 32],
        chip_photo_sha256: [u8; 32],
        service: Service,
    ) -> Result<CardData, RecordError> {
        let obj = citizen
            .as_object_mut()
            .ok_or_else(|| invalid("citizen", "missing (the chip had no DG13)"))?;
        if !service.needs_religion_and_ethnicity() {
            obj.remove("religion");
            obj.remove("ethnicity");
        }
        let data = CardData {
            citizen,
            mrz,
            verification,
            access,
            ef_sod,
            dg1,
            dg13,
            dg2_sha256,
            chip_photo_sha256,
        };
        data.id_number()?;
        Ok(data)
    }

    /// The 12-digit personal ID number (`citizen.id_number`).
    pub fn id_number(&self) -> Result<&str, RecordError> {
        let id = self
            .citizen
            .get("id_number")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("citizen.id_number", "not 12 digits"));
        }
        Ok(id)
    }

    /// The date of birth, when the chip has a full one.
    pub fn date_of_birth(&self) -> Option<NaiveDate> {
        self.citizen
            .get("date_of_birth")
            .and_then(Value::as_str)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    }

    /// `verification.verdict` (`genuine`, `untrusted`, `failed`, `clone`).
    pub fn verdict(&self) -> &str {
        self.verification
            .get("verdict")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
    }
}

/// The live photo taken at the kiosk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivePhoto {
    /// The JPEG bytes as the camera module encoded them.
    #[serde(skip)]
    pub jpeg: Vec<u8>,
    /// The camera module's quality scores by name (face, sharpness, exposure…).
    pub quality: BTreeMap<String, f64>,
}

/// How the citizen gets the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Contact {
    /// The citizen's own mobile number.
    Phone { number: Phone },
    /// A relative's number (the citizen has none), with the relation ("con trai").
    RelativePhone { number: Phone, relation: String },
    /// An e-mail address.
    Email { address: String },
}

impl Contact {
    /// The phone number, when the contact is one.
    pub fn phone(&self) -> Option<&Phone> {
        match self {
            Contact::Phone { number } | Contact::RelativePhone { number, .. } => Some(number),
            Contact::Email { .. } => None,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), RecordError> {
        match self {
            Contact::Phone { .. } => Ok(()),
            Contact::RelativePhone { relation, .. } if relation.trim().is_empty() => Err(invalid(
                "contact.relation",
                "say whose number it is (the relative's relation)",
            )),
            Contact::RelativePhone { .. } => Ok(()),
            Contact::Email { address } => {
                let (local, domain) = address.split_once('@').unwrap_or_default();
                if local.is_empty()
                    || !domain.contains('.')
                    || domain.starts_with('.')
                    || domain.ends_with('.')
                    || address.chars().any(char::is_whitespace)
                {
                    Err(invalid(
                        "contact.email",
                        format!("{address:?} is not an e-mail address"),
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// The guardian who consented for a minor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guardian {
    /// Full name as on the guardian's card.
    pub full_name: String,
    /// Relation to the citizen ("mẹ", "bố", "người giám hộ").
    pub relation: String,
    /// The guardian's ID number, when shown.
    pub id_number: Option<String>,
}

/// The citizen's consent (Decree 13/2023): which text they saw and when they accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Version of the consent text shown (e.g. "2025-01-vi").
    pub text_version: String,
    /// When the citizen accepted, before the chip was read.
    pub accepted_at: DateTime<Utc>,
    /// The guardian, for citizens under 16.
    pub guardian: Option<Guardian>,
}

/// What the kiosk hands the queue for one citizen served.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivation {
    /// Local time of service, with the kiosk's UTC offset.
    pub created_at: DateTime<FixedOffset>,
    /// The kiosk (device) id.
    pub kiosk_id: String,
    /// The officer who served the citizen.
    pub officer_id: String,
    /// The territorial (or organisation) unit code the record counts for.
    pub unit_code: String,
    /// Where the citizen was served.
    pub mode: Mode,
    /// The service asked for.
    pub service: Service,
    /// Verified card data.
    pub card: CardData,
    /// The live photo.
    pub live_photo: LivePhoto,
    /// How the result reaches the citizen.
    pub contact: Contact,
    /// The consent given.
    pub consent: Consent,
    /// The record this one corrects.
    pub corrects: Option<RecordId>,
    /// The organisation (school, department, union) the citizen was served for, when
    /// the campaign counts it there too (tracker: it never rolls into territorial totals).
    pub org_code: Option<String>,
}

/// Age in full years on `day` for someone born on `born`: the one age rule of
/// the crate (records' guardian rule, the kiosk's age checks, card
/// applications; a birth year alone counts from 1 January, see
/// `application::fields::BirthDate`).
pub fn age_on(born: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - born.year();
    if (day.month(), day.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

impl NewActivation {
    /// Check everything the queue can check; the error names the field.
    pub fn validate(&self) -> Result<(), RecordError> {
        for (field, v) in [
            ("kiosk_id", &self.kiosk_id),
            ("officer_id", &self.officer_id),
            ("unit_code", &self.unit_code),
        ] {
            if v.trim().is_empty() {
                return Err(invalid(field, "empty"));
            }
        }
        self.card.id_number()?;
        if self.live_photo.jpeg.len() < 4 || !self.live_photo.jpeg.starts_with(&[0xFF, 0xD8, 0xFF])
        {
            return Err(invalid("live_photo", "not a JPEG image"));
        }
        self.contact.validate()?;
        if self.org_code.as_deref().is_some_and(|o| o.trim().is_empty()) {
            return Err(invalid("org_code", "empty (leave it out when there is none)"));
        }
        if self.consent.text_version.trim().is_empty() {
            return Err(invalid("consent.text_version", "empty"));
        }
        if self.consent.accepted_at
            > self.created_at.with_timezone(&Utc) + chrono::Duration::minutes(5)
        {
            return Err(invalid(
                "consent.accepted_at",
                "after the record was made: consent comes first",
            ));
        }
        if let Some(born) = self.card.date_of_birth() {
            if age_on(born, self.created_at.date_naive()) < 16 {
                match &self.consent.guardian {
                    Some(g) if !g.full_name.trim().is_empty() && !g.relation.trim().is_empty() => {}
                    _ => {
                        return Err(invalid(
                            "consent.guardian",
                            "the citizen is under 16: record the guardian who consents (name and relation)",
                        ))
                    }
                }
            }
        }
        Ok(())
    }
}

/// A stored record without personal data: what `queue list` and the tracker see.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordSummary {
    /// The record id.
    pub id: RecordId,
    /// The receipt code the citizen was given.
    pub receipt: String,
    /// Local time of service.
    pub created_at: DateTime<FixedOffset>,
    /// Kiosk, officer and unit.
    pub kiosk_id: String,
    /// The officer who served the citizen.
    pub officer_id: String,
    /// The unit the record counts for.
    pub unit_code: String,
    /// Where the citizen was served.
    pub mode: Mode,
    /// The service asked for.
    pub service: Service,
    /// The card's verdict at the kiosk.
    pub verdict: String,
    /// The record this one corrects.
    pub corrects: Option<RecordId>,
    /// Where the record is in its life.
    pub status: Status,
    /// The back office's reason, for rejected records.
    pub status_reason: Option<String>,
    /// The export batch the record went out in.
    pub batch_id: Option<String>,
}

/// The personal part of a record, stored sealed (encrypted) as one JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Personal {
    /// Verified card data.
    pub card: CardData,
    /// Live photo quality scores (the JPEG is stored separately).
    pub live_photo: LivePhoto,
    /// SHA-256 of the live photo JPEG.
    #[serde(with = "hex::serde")]
    pub live_photo_sha256: [u8; 32],
    /// How the result reaches the citizen.
    pub contact: Contact,
    /// The consent given.
    pub consent: Consent,
}

/// A whole record as stored: the summary, the personal part, and the photo.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivationRecord {
    /// The non-personal columns.
    pub summary: RecordSummary,
    /// The decrypted personal part; `live_photo.jpeg` holds the photo.
    pub personal: Personal,
}

/// A small real JPEG (noise, `side`×`side`, seeded): the live photo for tests,
/// the simulator and the benchmark (a 128-pixel noise square is about 20 KB).
pub fn synthetic_jpeg(seed: u64, side: u32) -> Vec<u8> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        image::Rgb([rng.gen(), rng.gen(), rng.gen()])
    });
    let mut out = Vec::new();
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img);
    out
}

impl NewActivation {
    /// A complete, valid synthetic record for citizen number `n` (unique name, ID
    /// number and phone with Vietnamese diacritics): used by tests, the simulator
    /// and benchmarks, never by the kiosk's own flow.
    pub fn synthetic(n: u32, photo: Vec<u8>) -> NewActivation {
        const FAMILY: [&str; 5] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng"];
        const GIVEN: [&str; 5] = [
            "Thị Thu Hương",
            "Văn Đức",
            "Minh Khôi",
            "Ngọc Ánh",
            "Quốc Bảo",
        ];
        let family = FAMILY.get(n as usize % 5).copied().unwrap_or("Nguyễn");
        let given = GIVEN.get(n as usize / 5 % 5).copied().unwrap_or("Văn An");
        let id_number = format!("0011990{:05}", n % 100_000);
        let created_at = DateTime::parse_from_rfc3339("2025-03-01T08:30:00+07:00")
            .unwrap_or_default()
            + chrono::Duration::seconds(i64::from(n) * 90);
        let citizen = serde_json::json!({
            "id_number": id_number,
            "full_name": format!("{family} {given} {}", crate::queue::receipt::ALPHABET.get(n as usize % 29).map(|&b| b as char).unwrap_or('A')),
            "date_of_birth": "1990-05-17", "sex": "Nữ", "nationality": "Việt Nam",
            "ethnicity": "Kinh", "religion": "Không",
            "place_of_origin": "Xã Tân Phú, Huyện Đức Hòa, Tỉnh Long An",
            "place_of_residence": format!("Số {n} Đường Lê Lợi, Phường Bến Thành, Quận 1, TP Hồ Chí Minh"),
            "date_of_issue": "2021-04-10", "date_of_expiry": "2030-05-17",
        });
        let mrz = serde_json::json!({"document_code": "ID", "issuing_state": "VNM", "document_number": id_number.get(3..).unwrap_or_default(),
            "date_of_birth": "1990-05-17", "sex": "F", "date_of_expiry": "2030-05-17", "nationality": "VNM", "name": "NGUYEN THI THU HUONG", "optional_data": id_number});
        let verification = serde_json::json!({"passive_auth": "untrusted", "data_groups": {"1": "ok", "2": "ok", "13": "ok"},
            "signature": true, "chain": "untrusted", "chip_auth": "not_supported", "active_auth": "not_supported", "verdict": "untrusted", "errors": []});
        let card = CardData {
            citizen,
            mrz,
            verification,
            access: serde_json::json!({"protocol": "BAC", "key_source": "qr", "attempts": 1}),
            ef_sod: vec![0x77, 0x82, 0x01, 0x00],
            dg1: vec![0x61, 0x5B, 0x5F, 0x1F],
            dg13: vec![0x6D, 0x82, 0x01, 0x00],
            dg2_sha256: Sha256::digest(n.to_be_bytes()).into(),
            chip_photo_sha256: Sha256::digest((n + 1).to_be_bytes()).into(),
        };
        let number = Phone::parse(&format!("09{:08}", n % 100_000_000), "phone")
            .unwrap_or_else(|_| Phone(String::from("+84900000000")));
        NewActivation {
            created_at,
            kiosk_id: "KIOSK-LA-01".into(),
            officer_id: format!("CB{:02}", n % 3 + 1),
            unit_code: if n.is_multiple_of(2) {
                "27681".into()
            } else {
                "27682".into()
            },
            mode: Mode::Kiosk,
            service: Service::EidLevel2,
            card: CardData::from_parts(
                card.citizen,
                card.mrz,
                card.verification,
                card.access,
                [card.ef_sod, card.dg1, card.dg13],
                card.dg2_sha256,
                card.chip_photo_sha256,
                Service::EidLevel2,
            )
            .unwrap_or_else(|_| unreachable_card()),
            live_photo: LivePhoto {
                jpeg: photo,
                quality: BTreeMap::from([
                    ("face".to_string(), 0.93),
                    ("sharpness".to_string(), 0.81),
                ]),
            },
            contact: Contact::Phone { number },
            consent: Consent {
                text_version: "2025-01-vi".into(),
                accepted_at: created_at.with_timezone(&Utc) - chrono::Duration::seconds(60),
                guardian: None,
            },
            corrects: None,
            org_code: None,
        }
    }
}

fn unreachable_card() -> CardData {
    CardData {
        citizen: serde_json::json!({"id_number": "001199000000"}),
        mrz: Value::Null,
        verification: Value::Null,
        access: Value::Null,
        ef_sod: vec![],
        dg1: vec![],
        dg13: vec![],
        dg2_sha256: [0; 32],
        chip_photo_sha256: [0; 32],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NewActivation {
        NewActivation::synthetic(3, synthetic_jpeg(3, 32))
    }

    #[test]
    fn synthetic_record_is_valid_and_drops_religion_and_ethnicity_for_eid() {
        let a = sample();
        a.validate().unwrap();
        assert!(
            a.card.citizen.get("religion").is_none() && a.card.citizen.get("ethnicity").is_none()
        );
        assert_eq!(a.card.id_number().unwrap(), "001199000003");
        let c = a.card;
        let kept = CardData::from_parts(
            serde_json::json!({"id_number": "001199000003", "religion": "Phật giáo", "ethnicity": "Tày"}),
            c.mrz,
            c.verification,
            c.access,
            [c.ef_sod, c.dg1, c.dg13],
            c.dg2_sha256,
            c.chip_photo_sha256,
            Service::CardApplication,
        )
        .unwrap();
        assert_eq!(kept.citizen["religion"], "Phật giáo");
    }

    #[test]
    fn invalid_records_name_the_field() {
        let field = |a: NewActivation| match a.validate() {
            Err(RecordError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut a = sample();
        a.officer_id = " ".into();
        assert_eq!(field(a), "officer_id");
        let mut a = sample();
        a.live_photo.jpeg = b"PNG".to_vec();
        assert_eq!(field(a), "live_photo");
        let mut a = sample();
        a.contact = Contact::Email {
            address: "an.nguyen@gmail".into(),
        };
        assert_eq!(field(a), "contact.email");
        let mut a = sample();
        a.contact = Contact::RelativePhone {
            number: Phone::parse("0912345678", "phone").unwrap(),
            relation: "".into(),
        };
        assert_eq!(field(a), "contact.relation");
        let mut a = sample();
        a.consent.accepted_at = a.created_at.with_timezone(&Utc) + chrono::Duration::hours(1);
        assert_eq!(field(a), "consent.accepted_at");
        let mut a = sample();
        a.card.citizen["id_number"] = "12345".into();
        assert_eq!(field(a), "citizen.id_number");
        assert!("eid_level3"
            .parse::<Service>()
            .unwrap_err()
            .to_string()
            .starts_with("service: "));
    }

    #[test]
    fn a_fifteen_year_old_needs_a_guardian_a_sixteen_year_old_does_not() {
        let mut a = sample(); // served 2025-03-01
        a.card.citizen["date_of_birth"] = "2009-03-02".into(); // 15 the day before the 16th birthday
        assert!(
            matches!(a.validate(), Err(RecordError::Invalid { ref field, .. }) if field == "consent.guardian")
        );
        a.consent.guardian = Some(Guardian {
            full_name: "Trần Thị Mai".into(),
            relation: "mẹ".into(),
            id_number: None,
        });
        a.validate().unwrap();
        a.consent.guardian = None;
        a.card.citizen["date_of_birth"] = "2009-03-01".into(); // 16 today
        a.validate().unwrap();
    }
}
