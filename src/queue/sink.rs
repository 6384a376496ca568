//! The kiosk's records go here: [`StoreSink`] turns what the touch screen collected
//! ([`crate::ui::sink::Enrollment`]) into an activation record and appends it to the
//! durable, encrypted [`Store`] in one transaction, before the Done screen shows the
//! receipt. The receipt the citizen sees is the one the store keeps.

use super::phone::Phone;
use super::record::{CardData, Consent, Contact, LivePhoto, Mode, NewActivation, Service};
use super::store::Store;
use crate::ui::sink::{Enrollment, RecordSink};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Appends the kiosk's enrollments to the queue.
pub struct StoreSink {
    store: Store,
    kiosk_id: String,
    /// The unit a record counts for when officer mode set none (from the config).
    default_unit: String,
}

impl StoreSink {
    /// Open (or create) the queue in `data_dir`.
    pub fn open(
        data_dir: &Path,
        kiosk_id: &str,
        default_unit: &str,
    ) -> Result<Self, super::store::StoreError> {
        Ok(Self {
            store: Store::open(data_dir)?,
            kiosk_id: kiosk_id.into(),
            default_unit: default_unit.into(),
        })
    }

    fn record(&self, e: &Enrollment) -> Result<NewActivation, String> {
        let card: Value =
            serde_json::from_str(&e.card_json).map_err(|err| format!("card: {err}"))?;
        let service: Service = e
            .service
            .as_str()
            .parse()
            .map_err(|_| format!("service: {}", e.service.as_str()))?;
        let mode: Mode = e
            .mode
            .as_str()
            .parse()
            .map_err(|_| format!("mode: {}", e.mode.as_str()))?;
        let hash = |field: &str, h: &str| -> Result<[u8; 32], String> {
            hex::decode(h)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| format!("{field}: not a SHA-256"))
        };
        let part = |k: &str| card.get(k).cloned().unwrap_or(Value::Null);
        let card = CardData::from_parts(
            part("citizen"),
            part("mrz"),
            part("verification"),
            part("access"),
            [e.sod.clone(), e.dg1.clone(), e.dg13.clone()],
            hash("dg2_sha256", &e.dg2_sha256)?,
            hash("chip_photo_sha256", &e.chip_photo_sha256)?,
            service,
        )
        .map_err(|err| err.to_string())?;
        let mut quality = BTreeMap::from([
            ("brightness".to_string(), f64::from(e.quality.brightness)),
            ("sharpness".to_string(), f64::from(e.quality.sharpness)),
            (
                "officer_confirmed".to_string(),
                if e.quality.officer_confirmed {
                    1.0
                } else {
                    0.0
                },
            ),
        ]);
        if let Some(n) = e.quality.faces {
            quality.insert("faces".into(), n as f64);
        }
        Ok(NewActivation {
            created_at: e.created_at.with_timezone(&chrono::Local).fixed_offset(),
            kiosk_id: self.kiosk_id.clone(),
            officer_id: e.officer_id.clone().unwrap_or_else(|| "kiosk".into()),
            unit_code: e.unit.clone().unwrap_or_else(|| self.default_unit.clone()),
            mode,
            service,
            card,
            live_photo: LivePhoto {
                jpeg: e.live_jpeg.clone(),
                quality,
            },
            contact: match &e.contact {
                crate::ui::sink::Contact::Phone(p) => Contact::Phone {
                    number: Phone::parse(p, "phone").map_err(|err| err.to_string())?,
                },
                crate::ui::sink::Contact::RelativePhone { phone, relation } => {
                    Contact::RelativePhone {
                        number: Phone::parse(phone, "phone").map_err(|err| err.to_string())?,
                        relation: relation.clone(),
                    }
                }
                crate::ui::sink::Contact::Email(a) => Contact::Email { address: a.clone() },
            },
            consent: Consent {
                text_version: e.consent_version.clone(),
                accepted_at: e.consent_at,
                guardian: e.guardian.clone(),
            },
            corrects: None,
        })
    }
}

impl RecordSink for StoreSink {
    fn enqueue(&mut self, e: &Enrollment) -> Result<String, String> {
        let record = self.record(e)?;
        let id = self.store.append(&record).map_err(|err| err.to_string())?;
        let stored = self.store.get(id).map_err(|err| err.to_string())?;
        Ok(stored.summary.receipt)
    }

    fn records_with_phone_today(&mut self, phone: &str) -> Result<u64, String> {
        let phone = Phone::parse(phone, "phone").map_err(|err| err.to_string())?;
        self.store
            .records_with_phone_on(&phone, chrono::Local::now().date_naive())
            .map_err(|err| err.to_string())
    }
}
