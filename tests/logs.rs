//! No personal data in the logs (DESIGN.md; Decree 13/2023/NĐ-CP): a day's worth of
//! `cccd-kiosk` runs against emulated cards through the private pcscd, with every log
//! level on (`RUST_LOG=trace`), and stderr searched for the citizens' names, ID numbers,
//! MRZ fields, birth dates and addresses. Personal data may appear only under the
//! `sensitive` target, which stays off unless a directive names it.

mod common;
use cccd_kiosk::card::emulator::profile::CitizenProfile;
use common::*;
use std::process::Command;

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Run {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Everything about `p` that identifies the citizen, in the forms it takes on the card.
fn personal(p: &CitizenProfile) -> Vec<String> {
    let mut v = vec![
        p.full_name.clone(),
        p.id_number.clone(),
        p.id_number[3..].to_string(), // MRZ document number
        p.place_of_residence.clone(),
        p.date_of_birth.clone(),
    ];
    // The MRZ name (ASCII, upper case) and each part of it.
    let ascii = cccd_kiosk::card::emulator::personalise::mrz_of(p)
        .unwrap()
        .lines
        .concat();
    if let Some(name) = ascii
        .get(60..)
        .map(|n| n.trim_end_matches('<').replace("<<", " ").replace('<', " "))
    {
        v.extend(name.split(' ').filter(|w| w.len() > 2).map(str::to_string));
        v.push(name);
    }
    // Birth date as YYMMDD / YYYY-MM-DD.
    let d: Vec<&str> = p.date_of_birth.split('/').collect();
    if let [dd, mm, yyyy] = d.as_slice() {
        v.push(format!("{yyyy}-{mm}-{dd}"));
        v.push(format!("{}{mm}{dd}", &yyyy[2..]));
    }
    v.extend(p.father_name.clone());
    v.extend(p.mother_name.clone());
    v.retain(|s| !s.trim().is_empty());
    v
}

#[test]
fn a_day_of_reads_at_trace_level_logs_no_personal_data() {
    let citizens = [CitizenProfile::demo(), CitizenProfile::elderly()];
    let mut logs = String::new();
    for p in &citizens {
        let card = VirtualCard::insert(p);
        let qr = p.qr_text();
        let trust = card.trust_dir.to_str().unwrap().to_string();
        // A good read (JSON and human forms), a wrong key, a read with no trust store.
        for args in [
            vec![
                "read", "--reader", READER, "--qr", &qr, "--trust", &trust, "--json",
            ],
            vec!["read", "--reader", READER, "--qr", &qr],
            vec![
                "read",
                "--reader",
                READER,
                "--id",
                "001090000999",
                "--dob",
                "900101",
                "--json",
            ],
        ] {
            let r = run_env(&args, &[("RUST_LOG", "trace")]);
            assert_ne!(r.code, 5, "{}\n{}", r.stdout, r.stderr);
            logs.push_str(&r.stderr);
        }
        // The output itself does carry the data (the search below can find it).
        let r = run_env(
            &[
                "read", "--reader", READER, "--qr", &qr, "--trust", &trust, "--json",
            ],
            &[("RUST_LOG", "trace")],
        );
        assert_eq!(r.json["citizen"]["full_name"], p.full_name.as_str());
        logs.push_str(&r.stderr);
    }
    logs.push_str(&run_env(&["doctor", "--with-emulator"], &[("RUST_LOG", "trace")]).stderr);
    // Logging was really on at trace level …
    assert!(
        logs.contains("BAC: mutual authentication succeeded"),
        "{logs}"
    );
    assert!(logs.contains("card read"), "{logs}");
    // … and nothing identifies a citizen.
    let demo = personal(&citizens[0]);
    for s in [
        "NGUYEN THI THU HUONG",
        "HUONG",
        "1995-03-14",
        "950314",
        "195000123",
        "Nguyễn Văn Đức",
    ] {
        assert!(demo.iter().any(|d| d == s), "{s} missing from {demo:?}");
    }
    for p in &citizens {
        for s in personal(p) {
            assert!(!logs.contains(&s), "the logs contain {s:?}:\n{logs}");
        }
    }
}

#[test]
fn sensitive_target_only_when_named() {
    let p = CitizenProfile::demo();
    let _card = VirtualCard::insert(&p);
    let qr = p.qr_text();
    let args = ["read", "--reader", READER, "--qr", &qr, "--json"];
    let plain = run_env(&args, &[("RUST_LOG", "trace")]);
    assert!(!plain.stderr.contains("sensitive"), "{}", plain.stderr);
    // The APDU trace appears once the target is named (SELECT of the eMRTD applet).
    let named = run_env(&args, &[("RUST_LOG", "info,sensitive=trace")]);
    assert!(
        named
            .stderr
            .contains("sensitive: > 00a4040c07a0000002471001"),
        "{}",
        named.stderr
    );
}
