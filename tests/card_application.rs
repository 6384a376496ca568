//! Card applications through the real binary (issue 9): the `[appointments]`
//! section of the config file drives the calendar, a full slot refuses the next
//! citizen, the officers' day list and attendance marks, and the application
//! travels in the end-of-day bundle that `queue verify --identity` checks.

use cccd_kiosk::application::calendar::{Calendar, Slot};
use cccd_kiosk::application::fields::{Procedure, Reason};
use cccd_kiosk::application::record::{
    submit, ApplicantForm, ApplicationError, Declaration, NewApplication, Prefill,
};
use cccd_kiosk::config::Config;
use cccd_kiosk::queue::record::{Consent, Mode};
use cccd_kiosk::queue::store::Store;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use std::path::Path;
use std::process::Command;

fn kiosk(cfg: &Path, data: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cccd-kiosk"))
        .arg("--config")
        .arg(cfg)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("CCCD_SUPERVISOR_PASSPHRASE")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn application(
    name: &str,
    id: &str,
    created_at: DateTime<FixedOffset>,
    slot: Slot,
) -> NewApplication {
    let form = ApplicantForm {
        full_name: name.into(),
        date_of_birth: "02/09/1988".into(),
        sex: "Nam".into(),
        id_number: id.into(),
        ..ApplicantForm::default()
    };
    NewApplication {
        created_at,
        kiosk_id: "KIOSK-MT-01".into(),
        officer_id: "CB02".into(),
        unit_code: "03679".into(),
        mode: Mode::Outreach,
        procedure: Procedure::Renewal,
        reason: Reason::Damaged,
        applicant: form
            .validate(created_at.date_naive(), Prefill::Typed)
            .unwrap(),
        contact: None,
        slot,
        declaration: Declaration::accepted(created_at.with_timezone(&Utc)),
        consent: Consent {
            text_version: "2025-01-vi".into(),
            accepted_at: created_at.with_timezone(&Utc) - chrono::Duration::minutes(4),
            guardian: None,
        },
        old_card: None,
        corrects: None,
    }
}

#[test]
fn an_application_from_the_configured_calendar_to_the_verified_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p);
    let data = d("data");
    std::fs::write(
        d("kiosk.toml"),
        "kiosk_id = \"KIOSK-MT-01\"\n[appointments]\noffices = [\"Công an xã Ka Lăng\"]\nslot_minutes = 60\ncapacity = 1\n",
    )
    .unwrap();
    let cfg = Config::load(Some(&d("kiosk.toml"))).unwrap().config;
    let calendar = Calendar::new(cfg.appointments.unwrap());
    let created_at = DateTime::parse_from_rfc3339("2025-06-09T16:00:00+07:00").unwrap();
    let slot = Slot {
        office: "Công an xã Ka Lăng".into(),
        day: NaiveDate::from_ymd_opt(2025, 6, 10).unwrap(),
        start: NaiveTime::from_hms_opt(8, 30, 0).unwrap(),
    };
    let mut store = Store::open(&data).unwrap();
    let done = submit(
        &mut store,
        &calendar,
        &application("Giàng A Sình", "012088001234", created_at, slot.clone()),
    )
    .unwrap();
    // Capacity 1 from the config: the next citizen is refused and nothing is kept.
    let refused = submit(
        &mut store,
        &calendar,
        &application("Lò Văn Pấu", "012088005678", created_at, slot),
    );
    assert!(matches!(refused, Err(ApplicationError::Calendar(_))));
    store
        .set_supervisor_passphrase(None, "tổ công tác số 3")
        .unwrap();
    drop(store);

    let cfg_path = d("kiosk.toml");
    let (code, out, err) = kiosk(
        &cfg_path,
        &data,
        &["appointments", "mark", &done.receipt, "attended"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"status\":\"attended\""), "{out}");
    let (code, out, err) = kiosk(
        &cfg_path,
        &data,
        &[
            "appointments",
            "list",
            "--day",
            "2025-06-10",
            "--format",
            "csv",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    // The slot ends at 9:30: the config's 60 minutes reached the list.
    assert!(
        out.contains(&format!(
            "08:30,09:30,Công an xã Ka Lăng,1,{},Giàng A Sình,Cấp đổi,attended,",
            done.receipt
        )),
        "{out}"
    );
    assert!(!out.contains("Lò Văn Pấu"));
    assert!(!err.contains("Giàng"), "names stay off stderr: {err}");

    let identity = age::x25519::Identity::generate();
    std::fs::write(
        d("province.key"),
        format!(
            "{}\n",
            age::secrecy::ExposeSecret::expose_secret(&identity.to_string())
        ),
    )
    .unwrap();
    let usb = d("usb");
    let (code, out, err) = kiosk(
        &cfg_path,
        &data,
        &[
            "queue",
            "export",
            "--out",
            usb.to_str().unwrap(),
            "--recipient",
            &identity.to_public().to_string(),
        ],
        &[("CCCD_SUPERVISOR_PASSPHRASE", "tổ công tác số 3")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"count\":1"), "{out}");
    let (code, out, err) = kiosk(
        &cfg_path,
        &data,
        &[
            "queue",
            "verify",
            usb.to_str().unwrap(),
            "--identity",
            d("province.key").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 records checked, chain verified"), "{out}");
}

/// `records.jsonl` of an export bundle, decrypted with the province identity.
fn bundle_records(dir: &Path, identity: &age::x25519::Identity) -> Vec<serde_json::Value> {
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
            return text
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["record"].clone())
                .collect();
        }
    }
    panic!("no records.jsonl in the bundle")
}

#[test]
fn simulate_with_applications_fills_a_slot_and_the_bundle_and_tracker_count_them() {
    use cccd_kiosk::queue::Service;
    use std::collections::HashSet;
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p);
    let data = d("data");
    std::fs::write(
        d("kiosk.toml"),
        "kiosk_id = \"KIOSK-SIM\"\nunit = \"03679\"\n[appointments]\noffices = [\"Công an xã Ka Lăng\"]\ncapacity = 3\n",
    )
    .unwrap();
    let cfg = d("kiosk.toml");
    let (code, out, err) = kiosk(
        &cfg,
        &data,
        &[
            "simulate",
            "--citizens",
            "2",
            "--applications",
            "7",
            "--seed",
            "5",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let summary: serde_json::Value = serde_json::from_str(
        out.lines()
            .find_map(|l| l.strip_prefix("summary "))
            .expect("a summary line"),
    )
    .unwrap();
    // 2 activations + 6 applications; the 7th is the first applicant again: refused.
    assert_eq!(summary["queued"], 8, "{out}");
    assert_eq!(summary["applications"], 6, "{out}");
    assert_eq!(summary["rejected"]["already_booked"], 1, "{out}");
    // Capacity 3: the first slot fills, the next 3 choose another.
    assert_eq!(summary["rebooked"], 3, "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("committed ")).count(),
        8
    );

    // The day's queue and the tracker: card applications counted once per citizen,
    // apart from activations (the first activated citizen also applied).
    let mut store = Store::open(&data).unwrap();
    let done = cccd_kiosk::tracker::done::load(&store).unwrap();
    let of = |s: Service| -> HashSet<[u8; 32]> {
        done.iter()
            .filter(|d| d.service == s)
            .map(|d| d.id_index)
            .collect()
    };
    let (apps, eids) = (of(Service::CardApplication), of(Service::EidLevel2));
    assert_eq!(apps.len(), 6);
    assert_eq!(eids.len(), 2);
    assert_eq!(
        apps.intersection(&eids).count(),
        1,
        "one citizen, both services"
    );
    let counts = cccd_kiosk::tracker::done::DoneCounts::new(&done, Service::CardApplication);
    let in_unit: u64 = counts.by_unit["03679"].values().sum();
    assert_eq!(in_unit, 6);

    // The export bundle carries them beside the activations.
    store
        .set_supervisor_passphrase(None, "tổ công tác số 3")
        .unwrap();
    drop(store);
    let identity = age::x25519::Identity::generate();
    let usb = d("usb");
    let (code, out, err) = kiosk(
        &cfg,
        &data,
        &[
            "queue",
            "export",
            "--out",
            usb.to_str().unwrap(),
            "--recipient",
            &identity.to_public().to_string(),
        ],
        &[("CCCD_SUPERVISOR_PASSPHRASE", "tổ công tác số 3")],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"count\":8"), "{out}");
    let records = bundle_records(&usb, &identity);
    let apps: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["service"] == "card_application")
        .collect();
    assert_eq!(apps.len(), 6);
    let procedures: HashSet<&str> = apps
        .iter()
        .filter_map(|r| r["application"]["procedure"].as_str())
        .collect();
    assert_eq!(
        procedures,
        HashSet::from(["first_issue", "renewal", "reissue"]),
        "every procedure"
    );
    assert!(
        apps.iter()
            .any(|r| r["application"]["applicant"]["date_of_birth"]
                .as_str()
                .is_some_and(|d| d.len() == 4)),
        "an elder known only by the birth year"
    );
    assert!(apps
        .iter()
        .all(|r| r["mode"] == "outreach" || r["mode"] == "home_visit"));
}
