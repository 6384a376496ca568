//! PACE, chip authentication, active authentication and clone detection through the
//! real binary, a private pcscd and vpcd, with the emulated CCCD (issue 8): what the
//! officer sees — exit status, `access`, `verification`.

mod common;
use cccd_kiosk::card::emulator::profile::{CaCurve, CitizenProfile};
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

// ---- gaps of issue 8: every key path, RSA AA, not_supported, BAC fallback ----

use cccd_kiosk::card::access_key::KeyPlan;
use cccd_kiosk::card::emulator::personalise;
use cccd_kiosk::card::emulator::profile::AaKeyType;

fn pace_chip() -> CitizenProfile {
    let mut p = CitizenProfile::demo();
    p.chip.pace = true;
    p
}

fn out(r: &Run) -> String {
    format!("stdout {}\nstderr {}", r.stdout, r.stderr)
}

/// Exit 3, active authentication failed, verdict clone.
fn assert_active_auth_caught_a_clone(r: &Run) {
    assert_eq!(r.code, 3, "{}", out(r));
    let v = &r.json["verification"];
    assert_eq!(
        (&v["active_auth"], &v["verdict"]),
        (&"failed".into(), &"clone".into()),
        "{v}"
    );
}

#[test]
fn the_right_can_opens_with_pace_in_one_attempt_and_the_summary_names_every_check() {
    let mut p = pace_chip();
    p.chip.chip_auth = true;
    let card = VirtualCard::insert(&p);
    let can = &p.id_number[6..];
    let r = read(&card, &["--can", can]);
    assert_eq!(r.code, 0, "{}", out(&r));
    let a = &r.json["access"];
    assert_eq!(
        (&a["protocol"], &a["key_source"], &a["attempts"]),
        (&"PACE".into(), &"can".into(), &1.into()),
        "{a}"
    );
    assert_eq!(r.json["verification"]["chip_auth"], "passed");
    assert_eq!(r.json["verification"]["active_auth"], "not_supported");

    // Without --json: the officer's summary says how the chip proved itself.
    let trust = card.trust_dir.to_str().unwrap().to_string();
    let r = run(&["read", "--reader", READER, "--can", can, "--trust", &trust]);
    assert_eq!(r.code, 0, "{}", out(&r));
    for line in [
        "Mở chip / Access:     PACE (can)",
        "Xác thực chip / Chip auth:    đạt / passed",
        "Xác thực chủ động / Active auth: chip không hỗ trợ / not_supported",
        "Kết luận / Verdict:   thẻ thật / genuine",
    ] {
        assert!(r.stdout.contains(line), "{line:?} in {}", r.stdout);
    }
}

#[test]
fn the_mrz_and_typed_fields_open_a_pace_chip() {
    let p = pace_chip();
    let td1 = personalise::mrz_of(&p).unwrap();
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--mrz", &td1.lines.join("\n")]);
    assert_eq!(r.code, 0, "{}", out(&r));
    assert_eq!(r.json["access"]["protocol"], "PACE");
    assert_eq!(r.json["access"]["key_source"], "mrz");
    assert_eq!(r.json["access"]["attempts"], 1);
    // A 9-digit document number carries no ID, so no CAN: only PACE with the MRZ key
    // (key reference 01) can have opened it in one attempt.
    let r = read(
        &card,
        &[
            "--doc",
            &td1.document_number_printed(),
            "--dob",
            td1.date_of_birth(),
            "--expiry",
            td1.date_of_expiry(),
        ],
    );
    assert_eq!(r.code, 0, "{}", out(&r));
    assert_eq!(r.json["access"]["protocol"], "PACE");
    assert_eq!(r.json["access"]["key_source"], "fields");
    assert_eq!(r.json["access"]["attempts"], 1);
}

#[test]
fn a_chip_without_pace_can_alone_is_exit_4_and_the_qr_opens_it_with_bac() {
    let p = CitizenProfile::demo();
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--can", &p.id_number[6..]]);
    assert_eq!(r.code, 4, "{}", out(&r));
    assert_eq!(r.json["error"]["kind"], "access_denied");
    let msg = r.json["error"]["message"].as_str().unwrap();
    assert!(msg.contains("the chip does not offer PACE"), "{msg}");

    // The QR: no EF.CardAccess, so straight to BAC; one attempt per expiry candidate
    // up to the card's.
    let plan = KeyPlan::from_qr(&p.qr_text(), chrono::Utc::now().date_naive()).unwrap();
    let td1 = personalise::mrz_of(&p).unwrap();
    let at = plan
        .bac
        .iter()
        .position(|k| k.date_of_expiry == td1.date_of_expiry())
        .expect("the card's expiry is a candidate");
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 0, "{}", out(&r));
    assert_eq!(r.json["access"]["protocol"], "BAC");
    assert_eq!(r.json["access"]["attempts"], at + 1);
    let errors = r.json["verification"]["errors"].to_string();
    assert!(
        errors.contains("opened with BAC: the chip does not offer PACE"),
        "{errors}"
    );
}

#[test]
fn chip_and_active_authentication_are_not_supported_without_dg14_or_dg15() {
    // Neither DG14 nor DG15.
    let p = pace_chip();
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 0, "{}", out(&r));
    let v = &r.json["verification"];
    assert_eq!(v["chip_auth"], "not_supported", "{v}");
    assert_eq!(v["active_auth"], "not_supported", "{v}");
    assert_eq!(v["verdict"], "genuine");
    assert!(v["data_groups"].get("14").is_none() && v["data_groups"].get("15").is_none());
    drop(card);

    // DG14 (chip authentication) and no DG15.
    let mut p = pace_chip();
    p.chip.chip_auth = true;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 0, "{}", out(&r));
    let v = &r.json["verification"];
    assert_eq!(
        (&v["chip_auth"], &v["active_auth"]),
        (&"passed".into(), &"not_supported".into()),
        "{v}"
    );
    drop(card);

    // DG15 with an RSA-1024 key and no DG14.
    let mut p = pace_chip();
    p.chip.active_auth = true;
    p.chip.active_auth_key = AaKeyType::Rsa1024;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 0, "{}", out(&r));
    let v = &r.json["verification"];
    assert_eq!(
        (&v["chip_auth"], &v["active_auth"]),
        (&"not_supported".into(), &"passed".into()),
        "{v}"
    );
    assert!(v["data_groups"].get("14").is_none(), "{v}");
}

#[test]
fn rsa_2048_active_authentication_needs_extended_length_or_chip_authentication() {
    let mut p = pace_chip();
    p.chip.active_auth = true;
    p.chip.active_auth_key = AaKeyType::Rsa2048;
    p.chip.chip_auth = true;
    // Short APDUs only (a real CCCD): AA cannot run; chip authentication has proved
    // the chip, so the card is genuine.
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 0, "{}", out(&r));
    let v = &r.json["verification"];
    assert_eq!(v["chip_auth"], "passed", "{v}");
    assert_eq!(v["active_auth"], "not_supported", "{v}");
    assert_eq!(v["verdict"], "genuine", "{v}");
    assert!(
        v["errors"].to_string().contains("no extended length"),
        "{v}"
    );
    drop(card);

    // Without chip authentication, a chip that cannot (or will not) carry the
    // signature proves nothing: a possible clone, exit 3.
    p.chip.chip_auth = false;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_active_auth_caught_a_clone(&r);
    drop(card);

    // With extended length, through pcscd and vpcd: the 256-byte signature verifies.
    p.chip.extended_length = true;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 0, "{}", out(&r));
    assert_eq!(r.json["verification"]["active_auth"], "passed");
    drop(card);

    // A clone with that key: caught.
    p.chip.clone = true;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_active_auth_caught_a_clone(&r);
}

#[test]
fn a_clone_read_with_bac_is_still_a_clone() {
    let mut p = CitizenProfile::demo();
    p.chip.chip_auth = true;
    p.chip.active_auth = true;
    p.chip.clone = true;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 3, "{}", out(&r));
    assert_eq!(r.json["access"]["protocol"], "BAC");
    let v = &r.json["verification"];
    assert_eq!(v["verdict"], "clone", "{v}");
    assert_eq!(v["chip_auth"], "failed");
    assert_eq!(r.json["citizen"]["id_number"], "001195000123");
}

#[test]
fn a_wrong_can_says_how_many_tries_are_left() {
    let mut p = pace_chip();
    p.chip.pace_retries = Some(5);
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--can", "999999"]);
    assert_eq!(r.code, 4, "{}", out(&r));
    let msg = r.json["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("(63C4: 4 tries left before the chip blocks it)"),
        "{msg}"
    );
}

#[test]
fn chip_authentication_passing_does_not_hide_a_wrong_active_authentication_key() {
    let mut p = full_chip();
    p.chip.clone = true;
    p.chip.clone_keys = cccd_kiosk::card::emulator::profile::CloneKeys::ActiveAuth;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 3, "{}", out(&r));
    let v = &r.json["verification"];
    assert_eq!(v["chip_auth"], "passed", "{v}");
    assert_eq!(v["active_auth"], "failed", "{v}");
    assert_eq!(v["passive_auth"], "valid", "{v}");
    assert_eq!(v["verdict"], "clone", "{v}");
}

#[test]
fn chip_authentication_over_3des_after_bac() {
    let mut p = CitizenProfile::demo();
    p.chip.chip_auth = true;
    p.chip.chip_auth_cipher = cccd_kiosk::card::emulator::profile::CaCipherKind::Tdes;
    let card = VirtualCard::insert(&p);
    let r = read(&card, &["--qr", &p.qr_text()]);
    assert_eq!(r.code, 0, "{}", out(&r));
    assert_eq!(r.json["access"]["protocol"], "BAC");
    let v = &r.json["verification"];
    assert_eq!(v["chip_auth"], "passed", "{v}");
    assert_eq!(v["verdict"], "genuine", "{v}");
    // Everything after chip authentication was read under its 3DES keys.
    assert_eq!(r.json["citizen"]["full_name"], "Nguyễn Thị Thu Hương");
    assert!(r.json["photo"]["bytes"].as_u64().unwrap() > 0);
}

#[test]
fn can_opens_pace_on_p521_and_brainpool_p384r1_and_the_chip_proves_itself() {
    // EF.CardAccess names only this curve (9303-11 §9.5.1 id 18 / 16): the chip
    // runs PACE on nothing else, so "PACE" in `access` means PACE on it. Chip and
    // active authentication keys on the other new curve, named and explicit.
    for (parameter_id, ca, aa, explicit) in [
        (18, CaCurve::P521, CaCurve::BrainpoolP384r1, false),
        (16, CaCurve::BrainpoolP384r1, CaCurve::P521, true),
    ] {
        let mut p = full_chip();
        p.chip.pace_parameter_id = parameter_id;
        p.chip.chip_auth_curve = ca;
        p.chip.active_auth_curve = aa;
        p.chip.explicit_key_params = explicit;
        let card = VirtualCard::insert(&p);
        let r = read(&card, &["--can", &p.id_number[6..]]);
        let what = format!("id {parameter_id}, CA {ca:?}, AA {aa:?}");
        assert_eq!(
            r.code, 0,
            "{what}\nstdout {}\nstderr {}",
            r.stdout, r.stderr
        );
        let j = &r.json;
        assert_eq!(j["access"]["protocol"], "PACE", "{what}");
        assert_eq!(j["access"]["key_source"], "can", "{what}");
        assert_eq!(j["access"]["attempts"], 1, "{what}");
        let v = &j["verification"];
        assert_eq!(v["chip_auth"], "passed", "{what}: {v}");
        assert_eq!(v["active_auth"], "passed", "{what}: {v}");
        assert_eq!(v["verdict"], "genuine", "{what}: {v}");
        assert_eq!(j["citizen"]["full_name"], "Nguyễn Thị Thu Hương");
        drop(card);
    }
}

#[test]
fn aes_192_and_256_secure_messaging_carry_the_whole_read() {
    for bits in [192u16, 256] {
        // No chip authentication: every file is read under PACE's own AES keys.
        let mut p = full_chip();
        p.chip.chip_auth = false;
        p.chip.pace_aes_bits = bits;
        let card = VirtualCard::insert(&p);
        let r = read(&card, &["--can", &p.id_number[6..]]);
        assert_eq!(r.code, 0, "AES-{bits}: {}", out(&r));
        assert_eq!(r.json["access"]["protocol"], "PACE", "AES-{bits}");
        let v = &r.json["verification"];
        assert_eq!(v["active_auth"], "passed", "AES-{bits}: {v}");
        assert_eq!(v["verdict"], "genuine", "AES-{bits}: {v}");
        assert_eq!(r.json["citizen"]["full_name"], "Nguyễn Thị Thu Hương");
        drop(card);
    }
    // A key length PACE does not have is refused naming the profile field.
    let mut p = full_chip();
    p.chip.pace_aes_bits = 100;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    std::fs::write(&path, serde_json::to_string(&p).unwrap()).unwrap();
    let r = run(&[
        "virtual-card",
        "--profile",
        path.to_str().unwrap(),
        "--port",
        "1",
    ]);
    assert_eq!(r.code, 2, "{}", out(&r));
    assert!(r.stderr.contains("chip.pace_aes_bits"), "{}", r.stderr);
}
