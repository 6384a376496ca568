//! Offer a renewal when a chip read at the kiosk shows a card about to expire
//! (issue 9, "Renewal from the chip"): the citizen came for something else, so
//! the kiosk offers the renewal appointment in the same visit.
//!
//! Decisions:
//! - The card's expiry is the chip's (`citizen.date_of_expiry` from DG13, else
//!   the MRZ's). A card without expiry (MRZ `991231`, issued at 58 or older) is
//!   never offered a renewal. When the chip's date is not a full date (`_raw`),
//!   the expiry is the one the card-validity rules of `card::access_key` give
//!   ([`candidate_expiries`], most likely first) — not a second copy of the rules.
//! - Offered when the card has expired, or expires within the window
//!   (`renewal_window_months` in `[appointments]`, default 6). A milestone age
//!   (14, 25, 40, 60) is "near" exactly when the card expires at that birthday
//!   within the window: that is what the milestone rule means for the holder.
//!   A milestone near while the card stays valid past it (issued within two
//!   years before it) needs no renewal, and none is offered.
//! - The new card's validity (the same rules, as if issued today) is told too:
//!   renewing a few months before 25 gives a card valid to 40.
//! - The explanation is one short Vietnamese sentence for the citizen (and an
//!   English one for a technician); the application's reason is
//!   [`Reason::AgeMilestone`] (cấp đổi).

use super::fields::{age_on, Procedure, Reason};
use crate::card::access_key::candidate_expiries;
use chrono::{Datelike, Months, NaiveDate};
use serde_json::Value;

/// The default window before expiry in which a renewal is offered.
pub const DEFAULT_WINDOW_MONTHS: u32 = 6;
/// The ages at which a card expires (Law on Identification 2023, Art. 21).
pub const MILESTONES: [i32; 4] = [14, 25, 40, 60];

/// The card's expiry as the chip gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// A full date.
    On(NaiveDate),
    /// Valid for life (MRZ `991231`).
    Never,
    /// Not a full date on the chip: the validity rules decide.
    Unknown,
}

/// Why a renewal is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The card has expired.
    Expired,
    /// The card expires at the holder's milestone birthday, within the window.
    Milestone {
        /// The age reached (14, 25, 40 or 60).
        age: i32,
    },
    /// The card expires within the window (not at a milestone: an unusual date).
    ExpiresSoon,
}

/// A renewal to offer, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalOffer {
    /// Why.
    pub trigger: Trigger,
    /// When the card expires (or expired).
    pub expires: NaiveDate,
    /// Until when a card issued today would be valid (`None`: for life).
    pub new_card_until: Option<NaiveDate>,
    /// Always [`Procedure::Renewal`].
    pub procedure: Procedure,
    /// Always [`Reason::AgeMilestone`].
    pub reason: Reason,
    /// One sentence for the citizen, in Vietnamese.
    pub sentence_vi: String,
    /// The same in English.
    pub sentence_en: String,
}

/// The expiry the validity rules give (the `access_key` candidates' first);
/// `None` for a card valid for life.
fn rule_expiry(dob: NaiveDate, issue: Option<NaiveDate>, today: NaiveDate) -> Option<NaiveDate> {
    let first = candidate_expiries(dob, issue, today).into_iter().next()?;
    if first == "991231" {
        return None;
    }
    NaiveDate::parse_from_str(&format!("20{first}"), "%Y%m%d").ok()
}

fn milestone_at(dob: NaiveDate, expiry: NaiveDate) -> Option<i32> {
    MILESTONES.iter().copied().find(|&m| {
        let birthday = NaiveDate::from_ymd_opt(dob.year() + m, dob.month(), dob.day())
            .or_else(|| NaiveDate::from_ymd_opt(dob.year() + m, 2, 28));
        birthday.is_some_and(|b| (expiry - b).num_days().abs() <= 1)
    })
}

fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Whether to offer a renewal to the holder born `dob` whose card has `expiry`
/// (issued `issue`, when known), on `today`, with a window of `window_months`.
pub fn offer(
    dob: NaiveDate,
    expiry: Expiry,
    issue: Option<NaiveDate>,
    today: NaiveDate,
    window_months: u32,
) -> Option<RenewalOffer> {
    let expires = match expiry {
        Expiry::On(d) => d,
        Expiry::Never => return None,
        Expiry::Unknown => rule_expiry(dob, issue, today)?,
    };
    let horizon = today.checked_add_months(Months::new(window_months))?;
    if expires > horizon {
        return None;
    }
    let new_card_until = rule_expiry(dob, Some(today), today);
    let trigger = if expires <= today {
        Trigger::Expired
    } else {
        match milestone_at(dob, expires) {
            Some(age) => Trigger::Milestone { age },
            None => Trigger::ExpiresSoon,
        }
    };
    let (mut vi, mut en) = match trigger {
        Trigger::Expired => (
            format!(
                "Thẻ đã hết hạn từ ngày {}: cần làm thủ tục cấp đổi.",
                dmy(expires)
            ),
            format!("The card expired on {}: it must be renewed.", dmy(expires)),
        ),
        Trigger::Milestone { age } => (
            format!(
                "Thẻ hết hạn ngày {} khi đủ {age} tuổi: có thể đăng ký cấp đổi ngay hôm nay.",
                dmy(expires)
            ),
            format!(
                "The card expires on {}, at age {age}: the renewal can be booked today.",
                dmy(expires)
            ),
        ),
        Trigger::ExpiresSoon => (
            format!(
                "Thẻ hết hạn ngày {}: có thể đăng ký cấp đổi ngay hôm nay.",
                dmy(expires)
            ),
            format!(
                "The card expires on {}: the renewal can be booked today.",
                dmy(expires)
            ),
        ),
    };
    match new_card_until {
        Some(d) => {
            vi.push_str(&format!(" Thẻ mới có giá trị đến ngày {}.", dmy(d)));
            en.push_str(&format!(" A new card would be valid until {}.", dmy(d)));
        }
        None => {
            vi.push_str(" Thẻ mới có giá trị không thời hạn.");
            en.push_str(" A new card would be valid for life.");
        }
    }
    Some(RenewalOffer {
        trigger,
        expires,
        new_card_until,
        procedure: Procedure::Renewal,
        reason: Reason::AgeMilestone,
        sentence_vi: vi,
        sentence_en: en,
    })
}

fn json_date(v: Option<&Value>) -> Option<NaiveDate> {
    v.and_then(Value::as_str)
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// [`offer`] from the `read --json` object (its `citizen` and `mrz`): what the
/// kiosk calls after every chip read.
pub fn offer_from_read(read: &Value, today: NaiveDate, window_months: u32) -> Option<RenewalOffer> {
    let citizen = read.get("citizen").filter(|c| c.is_object());
    let mrz = read.get("mrz").filter(|m| m.is_object());
    let dob = json_date(citizen.and_then(|c| c.get("date_of_birth")))
        .or_else(|| json_date(mrz.and_then(|m| m.get("date_of_birth"))))?;
    let issue = json_date(citizen.and_then(|c| c.get("date_of_issue")));
    let expiry = if let Some(d) = json_date(citizen.and_then(|c| c.get("date_of_expiry"))) {
        Expiry::On(d)
    } else if citizen.is_some_and(|c| c.get("date_of_expiry_raw").is_some()) {
        Expiry::Unknown
    } else if let Some(m) = mrz {
        match json_date(m.get("date_of_expiry")) {
            Some(d) => Expiry::On(d),
            // `991231` is printed as null; a missing key is not known.
            None if m.get("date_of_expiry").is_some_and(Value::is_null) => Expiry::Never,
            None => Expiry::Unknown,
        }
    } else {
        Expiry::Unknown
    };
    offer(dob, expiry, issue, today, window_months)
}

/// Whether a birthday at a milestone age lies within `months` of `today` (the
/// kiosk may mention it even when the card stays valid).
pub fn milestone_within(dob: NaiveDate, today: NaiveDate, months: u32) -> Option<i32> {
    let horizon = today.checked_add_months(Months::new(months))?;
    let age_now = age_on(dob, today);
    let age_then = age_on(dob, horizon);
    MILESTONES
        .iter()
        .copied()
        .find(|&m| m > age_now && m <= age_then)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_card_expiring_at_25_within_six_months_is_offered_with_the_reason() {
        // Public sample: born 05/01/1993, card to 05/01/2018 (25); today 10/09/2017.
        let o = offer(
            d(1993, 1, 5),
            Expiry::On(d(2018, 1, 5)),
            None,
            d(2017, 9, 10),
            6,
        )
        .unwrap();
        assert_eq!(o.trigger, Trigger::Milestone { age: 25 });
        assert_eq!(o.reason, Reason::AgeMilestone);
        assert_eq!(o.procedure, Procedure::Renewal);
        assert_eq!(
            o.sentence_vi,
            "Thẻ hết hạn ngày 05/01/2018 khi đủ 25 tuổi: có thể đăng ký cấp đổi ngay hôm nay. Thẻ mới có giá trị đến ngày 05/01/2033."
        );
        // Renewed at 24 (within 2 years of 25): the new card runs to 40.
        assert_eq!(o.new_card_until, Some(d(2033, 1, 5)));
    }

    #[test]
    fn outside_the_window_nothing_is_offered_and_the_window_is_configurable() {
        let dob = d(1985, 8, 20);
        let card = Expiry::On(d(2025, 8, 20)); // 40th birthday
        assert!(offer(dob, card, None, d(2024, 12, 1), 6).is_none());
        let o = offer(dob, card, None, d(2024, 12, 1), 9).unwrap();
        assert_eq!(o.trigger, Trigger::Milestone { age: 40 });
        assert!(offer(dob, card, None, d(2025, 2, 20), 6).is_some());
        assert!(offer(dob, card, None, d(2025, 2, 19), 6).is_none());
    }

    #[test]
    fn expired_cards_and_for_life_cards() {
        let o = offer(
            d(1964, 3, 2),
            Expiry::On(d(2024, 3, 2)),
            None,
            d(2025, 6, 9),
            6,
        )
        .unwrap();
        assert_eq!(o.trigger, Trigger::Expired);
        assert!(o
            .sentence_vi
            .starts_with("Thẻ đã hết hạn từ ngày 02/03/2024"));
        // At 61, a new card is valid for life.
        assert_eq!(o.new_card_until, None);
        assert!(o
            .sentence_vi
            .ends_with("Thẻ mới có giá trị không thời hạn."));
        assert!(offer(d(1950, 1, 1), Expiry::Never, None, d(2025, 6, 9), 6).is_none());
    }

    #[test]
    fn a_milestone_near_but_a_card_valid_past_it_is_not_offered() {
        // Issued at 23 (within 2 years of 25): valid to 40; turning 25 soon changes nothing.
        let dob = d(2000, 9, 1);
        assert_eq!(milestone_within(dob, d(2025, 6, 9), 6), Some(25));
        assert!(offer(dob, Expiry::On(d(2040, 9, 1)), None, d(2025, 6, 9), 6).is_none());
        // Expiry unknown on the chip: the validity rules give 25 for a card issued at 20.
        let o = offer(dob, Expiry::Unknown, Some(d(2021, 1, 1)), d(2025, 6, 9), 6).unwrap();
        assert_eq!(o.expires, d(2025, 9, 1));
        // … and 40 for one issued at 23.
        assert!(offer(dob, Expiry::Unknown, Some(d(2023, 10, 1)), d(2025, 6, 9), 6).is_none());
    }

    #[test]
    fn from_the_read_json() {
        let read = serde_json::json!({
            "citizen": {"date_of_birth": "2011-07-01", "date_of_issue": "2024-08-01", "date_of_expiry": "2025-07-01"},
            "mrz": {"date_of_birth": "2011-07-01", "date_of_expiry": "2025-07-01"}});
        let o = offer_from_read(&read, d(2025, 6, 9), DEFAULT_WINDOW_MONTHS).unwrap();
        assert_eq!(o.trigger, Trigger::Milestone { age: 14 });
        assert!(
            o.sentence_vi.contains("khi đủ 14 tuổi"),
            "{}",
            o.sentence_vi
        );
        let life = serde_json::json!({"citizen": null, "mrz": {"date_of_birth": "1950-01-01", "date_of_expiry": null}});
        assert!(offer_from_read(&life, d(2025, 6, 9), 6).is_none());
        let raw = serde_json::json!({"citizen": {"date_of_birth": "2000-09-01", "date_of_issue": "2021-01-01",
            "date_of_expiry": null, "date_of_expiry_raw": "01/09/20??"}});
        assert_eq!(
            offer_from_read(&raw, d(2025, 6, 9), 6).unwrap().expires,
            d(2025, 9, 1)
        );
        assert!(offer_from_read(&serde_json::json!({}), d(2025, 6, 9), 6).is_none());
    }
}
