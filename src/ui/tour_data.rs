//! The demo tour's campaign: a commune of two villages with targets ending next
//! week, a roster of 40 citizens, 14 of them served over the last week (activation
//! records in the queue, so the tracker counts them by its own rules), home
//! visits and "5 rõ" tasks. It goes into the tour's scratch directory (removed
//! when the tour ends), so the tracker and supervisor screens show what a
//! commune's officer sees mid-campaign rather than empty tables.
//!
//! Everything goes through the importers and the store the kiosk uses
//! (`import_units`, `import_targets`, `import_roster`, `Store::append`): the
//! screenshots cannot show data the real paths would refuse.

use crate::card::emulator::profile::CitizenProfile;
use crate::queue::record::{synthetic_jpeg, NewActivation};
use crate::queue::store::Store;
use crate::tracker::targets::{import_targets, set_campaign, Campaign};
use crate::tracker::tasks::{self, NewTask};
use crate::tracker::{roster::import_roster, units::import_units, TrackerError};
use chrono::{Datelike, Duration, Local, Months, NaiveDate, TimeZone};

const UNITS: &str = "code,name,level,parent_code
H01,Huyện Mường Tè,district,
03679,Xã Ka Lăng,commune,H01
T01,Bản Ka Lăng,village,03679
T02,Bản Pa Ủ,village,03679
";

/// Citizens on the roster, and how many of them were served today.
const ROSTER: u32 = 40;
const SERVED: u32 = 14;

/// The supervisor's passphrase in the tour (the tour types it as if on the keyboard).
pub const SUPERVISOR_PASS: &str = "tour-giam-sat-2025";

/// Village, classification and officer of roster citizen `n`: every fourth is a
/// home visit (elderly or disabled), one in ten works away.
fn placement(n: u32) -> (&'static str, &'static str, &'static str) {
    let village = if n.is_multiple_of(2) { "T01" } else { "T02" };
    let class = match n % 10 {
        3 | 7 => "home_visit",
        9 => "working_away",
        _ => "present",
    };
    let officer = if n.is_multiple_of(3) { "CB02" } else { "CB01" };
    (village, class, officer)
}

/// Fill `store` with the tour's campaign as of `today`.
pub fn seed(store: &mut Store, today: NaiveDate) -> Result<(), TrackerError> {
    import_units(store, UNITS.as_bytes(), "units.csv")?;
    let deadline = today + Duration::days(7);
    let targets = format!(
        "unit_code,target,deadline,service\nT01,20,{deadline},eid_level2\nT02,20,{deadline},eid_level2\n03679,40,{deadline},eid_level2\n03679,6,{deadline},card_application\n"
    );
    import_targets(store, targets.as_bytes(), "targets.csv")?;
    set_campaign(
        store,
        &Campaign {
            name: "Chiến dịch 22 ngày đêm".into(),
            start: today - Duration::days(14),
            end: deadline,
        },
    )?;
    let mut roster = String::from(
        "id_number,full_name,date_of_birth,sex,unit_code,address,classification,officer_id\n",
    );
    let mut served = Vec::new();
    for n in 1..=ROSTER {
        let mut record = NewActivation::synthetic(n, Vec::new());
        let (village, class, officer) = placement(n);
        let c = &record.card.citizen;
        let text = |k: &str| {
            c.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        roster.push_str(&format!(
            "{},{},{},{},{village},Nhà số {n} {},{class},{officer}\n",
            text("id_number"),
            text("full_name"),
            text("date_of_birth"),
            text("sex"),
            if village == "T01" {
                "Bản Ka Lăng"
            } else {
                "Bản Pa Ủ"
            },
        ));
        if n <= SERVED {
            // Two a day over the last week, so the dashboard's lines climb.
            let day = today - Duration::days(i64::from((SERVED - n) / 2));
            let at = day
                .and_hms_opt(7, 30, 0)
                .and_then(|t| Local.from_local_datetime(&t).single())
                .map(|t| t.fixed_offset() + Duration::minutes(i64::from(n) * 20));
            if let Some(at) = at {
                record.created_at = at;
            }
            record.unit_code = village.into();
            record.officer_id = officer.into();
            record.live_photo.jpeg = synthetic_jpeg(u64::from(n), 96);
            served.push(record);
        }
    }
    import_roster(store, roster.as_bytes(), "roster.csv")?;
    store.append_batch(served.iter())?;
    for (unit, content, owner, days) in [
        ("T01", "Rà soát danh sách bản Ka Lăng", "CB01", 1),
        (
            "T02",
            "Đến nhà cụ Hoàng ở bản Pa Ủ (người cao tuổi)",
            "CB02",
            0,
        ),
        ("03679", "Gửi báo cáo ngày trước 17:00", "CB01", -1),
    ] {
        tasks::add(
            store,
            &NewTask {
                unit_code: unit.into(),
                content: content.into(),
                owner: owner.into(),
                responsible: "Trưởng Công an xã".into(),
                deadline: today + Duration::days(days),
            },
        )?;
    }
    store.set_supervisor_passphrase(None, SUPERVISOR_PASS)?;
    Ok(())
}

/// `day` moved by whole months (chrono's calendar arithmetic; the 31st becomes the
/// month's last day).
fn months_from(day: NaiveDate, months: i32) -> NaiveDate {
    let m = Months::new(months.unsigned_abs());
    if months < 0 {
        day.checked_sub_months(m)
    } else {
        day.checked_add_months(m)
    }
    .unwrap_or(day)
}

fn card_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// The 12-digit ID of a citizen born on `born` in Hà Nội (province 001): the
/// gender-and-century digit and the 2-digit birth year the ID rules check.
fn id_number(born: NaiveDate, female: bool, serial: u32) -> String {
    let century = (born.year() / 100 - 19) * 2 + i32::from(female);
    format!("001{century}{:02}{serial:06}", born.year() % 100)
}

/// The tour's first citizen: she turns 25 in three months, when her card
/// expires, so the kiosk offers the renewal on Review and Done.
pub fn renewing_citizen(today: NaiveDate) -> CitizenProfile {
    let born = months_from(today, 3 - 25 * 12);
    CitizenProfile {
        id_number: id_number(born, true, 123),
        date_of_birth: card_date(born),
        date_of_issue: card_date(months_from(born, 19 * 12)),
        date_of_expiry: card_date(months_from(born, 25 * 12)),
        spouse_name: None,
        ..CitizenProfile::demo()
    }
}

/// The tour's second citizen: 15 years old, so the officer records a guardian.
pub fn minor_citizen(today: NaiveDate) -> CitizenProfile {
    let born = months_from(today, -(15 * 12 + 2));
    CitizenProfile {
        id_number: id_number(born, false, 4567),
        full_name: "Giàng A Sính".into(),
        date_of_birth: card_date(born),
        sex: "Nam".into(),
        ethnicity: "H'Mông".into(),
        place_of_origin: "Xã Ka Lăng, Huyện Mường Tè, Lai Châu".into(),
        place_of_residence: "Bản Ka Lăng, Xã Ka Lăng, Huyện Mường Tè, Lai Châu".into(),
        date_of_issue: card_date(months_from(born, 14 * 12 + 1)),
        date_of_expiry: card_date(months_from(born, 25 * 12)),
        father_name: Some("Giàng A Pháo".into()),
        mother_name: Some("Lò Thị Mai".into()),
        old_id_number: None,
        ..CitizenProfile::demo()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::access_key::IdNumber;

    #[test]
    fn the_tour_citizens_have_ids_the_kiosk_accepts_for_their_birth_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        for p in [renewing_citizen(today), minor_citizen(today)] {
            let id = IdNumber::parse(&p.id_number).unwrap();
            let born = NaiveDate::parse_from_str(&p.date_of_birth, "%d/%m/%Y").unwrap();
            assert_eq!(id.birth_year(), born.year(), "{}", p.id_number);
        }
        assert_eq!(renewing_citizen(today).date_of_expiry, "06/03/2027");
        assert_eq!(minor_citizen(today).date_of_birth, "06/10/2011");
    }

    #[test]
    fn the_seeded_campaign_counts_the_citizens_served_today() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let today = Local::now().date_naive();
        seed(&mut store, today).unwrap();
        let roster = crate::tracker::roster::RosterIndex::load(&store).unwrap();
        assert_eq!(roster.entries().len(), ROSTER as usize);
        let day = crate::tracker::dashboard::DashboardData::load(
            &store,
            today,
            crate::queue::Service::EidLevel2,
        )
        .unwrap();
        let commune = day
            .progress
            .rows
            .iter()
            .find(|r| r.code == "03679")
            .unwrap();
        assert_eq!(
            (commune.done_day, commune.done_total),
            (2, u64::from(SERVED))
        );
        assert_eq!(commune.remaining, Some(u64::from(40 - SERVED)));
    }
}
