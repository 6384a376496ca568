//! PACE, chip authentication, active authentication and clone detection through the
//! real binary, a private pcscd and vpcd, with the emulated CCCD (issue 8): what the
//! officer sees — exit status, `access`, `verification`.

mod common;
use cccd_kiosk::card::emulator::profile::CitizenProfile;
use common::*;

/// A CCCD that offers PACE, chip authentication and active authentication.
fn full_chip() -> CitizenProfile {
    let mut p = CitizenProfile::demo();
    p.chip.pace = true;
    p.chip.chip_auth = true;
    p.chip.active_auth = true;
    p
}

fn read(card: &VirtualCard, key: &[&str]) -> Run {
    let trust = card.trust_dir.to_str().unwrap().to_string();
    let mut args = vec!["read", "--reader", READER];
    args.extend_from_slice(key);
    args.extend_from_slice(&["--trust", &trust, "--json"]);
    run(&args)
}

#[test]
fn qr_opens_with_pace_and_the_chip_proves_itself() {
    let p = full_chip();
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 0, "stdout {}\nstderr {}", r.stdout, r.stderr);
    let j = &r.json;
    assert_eq!(j["access"]["protocol"], "PACE");
    assert_eq!(j["access"]["key_source"], "qr");
    assert_eq!(j["access"]["attempts"], 1);
    let v = &j["verification"];
    assert_eq!(v["chip_auth"], "passed", "{v}");
    assert_eq!(v["active_auth"], "passed", "{v}");
    assert_eq!(v["verdict"], "genuine", "{v}");
    assert_eq!(v["data_groups"]["14"], "ok");
    assert_eq!(v["data_groups"]["15"], "ok");
    assert_eq!(j["citizen"]["full_name"], "Nguyễn Thị Thu Hương");
}

#[test]
fn the_id_alone_is_a_key_and_a_wrong_can_is_exit_4() {
    let mut p = CitizenProfile::demo();
    p.chip.pace = true;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--id", &p.id_number]);
    assert_eq!(r.code, 0, "stdout {}\nstderr {}", r.stdout, r.stderr);
    assert_eq!(r.json["access"]["protocol"], "PACE");
    assert_eq!(r.json["access"]["key_source"], "fields");

    let r = read(&card, &["--can", "999999"]);
    assert_eq!(r.code, 4, "stdout {}\nstderr {}", r.stdout, r.stderr);
    assert_eq!(r.json["error"]["kind"], "access_denied");
    let msg = r.json["error"]["message"].as_str().unwrap();
    assert!(msg.contains("PACE with the CAN was refused"), "{msg}");
}

#[test]
fn clone_is_exit_3_with_verdict_clone() {
    let mut p = full_chip();
    p.chip.clone = true;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 3, "stdout {}\nstderr {}", r.stdout, r.stderr);
    let v = &r.json["verification"];
    assert_eq!(v["verdict"], "clone", "{v}");
    assert_eq!(v["passive_auth"], "valid", "signed data intact: {v}");
    assert_eq!(v["chip_auth"], "failed");
    assert_eq!(v["active_auth"], "failed");
    // The data are still shown to the officer.
    assert_eq!(r.json["citizen"]["id_number"], "001195000123");
}
