//! `cccd-kiosk read` end to end, as an officer would run it: the real binary,
//! a private pcscd, vsmartcard's vpcd, and the project's emulated CCCD.
//! Each test checks what the officer would see: the exit status, the JSON, the photo.

mod common;
use cccd_kiosk::card::emulator::{
    personalise,
    pki::SignerKind,
    profile::{CitizenProfile, FaceImage},
};
use common::*;

fn read_qr(card: &VirtualCard, p: &CitizenProfile, extra: &[&str]) -> Run {
    let qr = p.qr_text();
    let trust = card.trust_dir.to_str().unwrap().to_string();
    let mut args = vec![
        "read", "--reader", READER, "--qr", &qr, "--trust", &trust, "--json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn demo_card_reads_genuine_with_diacritics_intact() {
    let p = CitizenProfile::demo();
    let card = VirtualCard::insert(&p);
    let photo = card.trust_dir.join("face.jpg");
    let r = read_qr(&card, &p, &["--photo-out", photo.to_str().unwrap()]);
    assert_eq!(r.code, 0, "stdout {}\nstderr {}", r.stdout, r.stderr);
    let j = &r.json;
    assert_eq!(j["reader"], READER);
    assert_eq!(j["access"]["protocol"], "BAC");
    assert_eq!(j["access"]["key_source"], "qr");
    assert_eq!(j["citizen"]["full_name"], "Nguyễn Thị Thu Hương");
    assert_eq!(j["citizen"]["sex"], "Nữ");
    assert_eq!(j["citizen"]["id_number"], "001195000123");
    assert_eq!(j["citizen"]["date_of_birth"], "1995-03-14");
    assert_eq!(
        j["citizen"]["place_of_residence"],
        p.place_of_residence.as_str()
    );
    assert_eq!(j["citizen"]["father_name"], "Nguyễn Văn Đức");
    assert_eq!(j["citizen"]["spouse_name"], serde_json::Value::Null);
    assert_eq!(j["mrz"]["name"], "NGUYEN THI THU HUONG");
    assert_eq!(j["mrz"]["document_number"], "195000123");
    assert_eq!(j["mrz"]["date_of_expiry"], "2035-03-14");
    assert_eq!(j["mrz"]["sex"], "F");
    assert_eq!(j["photo"]["format"], "jpeg");
    assert!(j["photo"]["width"].as_u64().unwrap() > 100);
    let v = &j["verification"];
    assert_eq!(v["verdict"], "genuine", "{v}");
    assert_eq!(v["chain"], "trusted");
    assert_eq!(v["data_groups"]["1"], "ok");
    assert_eq!(v["data_groups"]["2"], "ok");
    assert_eq!(v["data_groups"]["13"], "ok");
    assert_eq!(v["data_groups"]["3"], "not_read");
    assert_eq!(v["chip_auth"], "not_supported");
    // --photo-out writes the image exactly as stored, and its hash is the one reported.
    let bytes = std::fs::read(&photo).unwrap();
    use sha2::Digest;
    assert_eq!(
        j["photo"]["sha256"],
        hex::encode(sha2::Sha256::digest(&bytes))
    );
    assert_eq!(j["photo"]["bytes"], bytes.len());
    assert!(j["stats"]["apdus"].as_u64().unwrap() > 5);
}

#[test]
fn jpeg2000_face_and_ecdsa_explicit_signer() {
    let mut p = CitizenProfile::demo();
    p.chip.face = FaceImage::Jpeg2000;
    p.chip.signer = SignerKind::EcdsaP256ExplicitSha256;
    let card = VirtualCard::insert(&p);
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["photo"]["format"], "jpeg2000");
    assert!(r.json["photo"]["height"].as_u64().unwrap() > 100);
}

#[test]
fn every_signer_algorithm_verifies() {
    for kind in [
        SignerKind::RsaPssSha256,
        SignerKind::EcdsaP384Sha384,
        SignerKind::EcdsaP256Sha256,
        SignerKind::EcdsaBrainpoolP256Sha256,
        SignerKind::EcdsaP224Sha224,
        SignerKind::EcdsaP521Sha512,
        SignerKind::EcdsaBrainpoolP384ExplicitSha384,
    ] {
        let mut p = CitizenProfile::demo();
        p.chip.signer = kind;
        let card = VirtualCard::insert(&p);
        let r = read_qr(&card, &p, &[]);
        assert_eq!(
            r.json["verification"]["verdict"], "genuine",
            "{kind:?}: {}",
            r.stdout
        );
        assert_eq!(r.code, 0);
        drop(card);
    }
}

#[test]
fn elderly_card_without_expiry_reads_through_its_mrz() {
    let p = CitizenProfile::elderly();
    let mrz: String = personalise::mrz_of(&p).unwrap().lines.join("\n");
    let card = VirtualCard::insert(&p);
    let trust = card.trust_dir.to_str().unwrap().to_string();
    let r = run(&[
        "read", "--reader", READER, "--mrz", &mrz, "--trust", &trust, "--json",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let j = &r.json;
    assert_eq!(j["access"]["key_source"], "mrz");
    assert_eq!(j["mrz"]["date_of_expiry"], serde_json::Value::Null);
    assert_eq!(j["citizen"]["date_of_expiry"], serde_json::Value::Null);
    assert_eq!(j["citizen"]["date_of_expiry_raw"], "Không thời hạn");
    assert_eq!(j["citizen"]["date_of_birth"], serde_json::Value::Null);
    assert_eq!(j["citizen"]["date_of_birth_raw"], "00/00/1948");
    assert_eq!(j["citizen"]["full_name"], "Lê Văn Ất");
    assert!(
        j["citizen"].get("date_of_issue_raw").is_none(),
        "_raw only when not a full date"
    );
}

#[test]
fn elderly_card_without_expiry_reads_through_its_qr() {
    // Officers scan the QR: born "00/00/1948" (year only), card for life. The QR
    // gives no expiry and no full birth date; the card-for-life rule (issued at 58
    // or older) gives the one BAC candidate, 991231, with the MRZ's birth field.
    let p = CitizenProfile::elderly();
    let card = VirtualCard::insert(&p);
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let j = &r.json;
    assert_eq!(j["access"]["key_source"], "qr");
    assert_eq!(j["access"]["protocol"], "BAC");
    assert_eq!(
        j["access"]["attempts"], 1,
        "the for-life candidate comes first"
    );
    assert_eq!(j["mrz"]["date_of_expiry"], serde_json::Value::Null);
    assert_eq!(j["citizen"]["date_of_expiry"], serde_json::Value::Null);
    assert_eq!(j["citizen"]["date_of_expiry_raw"], "Không thời hạn");
    assert_eq!(j["citizen"]["date_of_birth"], serde_json::Value::Null);
    assert_eq!(j["citizen"]["date_of_birth_raw"], "00/00/1948");
    assert_eq!(j["citizen"]["full_name"], "Lê Văn Ất");
    assert_eq!(j["citizen"]["id_number"], "038048000456");
    assert_eq!(j["verification"]["verdict"], "genuine");
}

#[test]
fn tampered_data_group_fails_with_exit_3() {
    let mut p = CitizenProfile::demo();
    p.chip.tamper_dg = Some(13);
    let card = VirtualCard::insert(&p);
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(r.json["verification"]["verdict"], "failed");
    assert_eq!(r.json["verification"]["data_groups"]["13"], "mismatch");
    assert_eq!(r.json["verification"]["data_groups"]["1"], "ok");
    assert!(r.json["verification"]["errors"]
        .to_string()
        .contains("DG13"));
}

#[test]
fn lying_length_in_the_face_is_named_and_fails_with_exit_3() {
    // DG2's outer length claims ~8 MB; the file holds ~15 KB.
    let mut p = CitizenProfile::demo();
    p.chip.lying_length_ef = Some(0x0102);
    let real = personalise::personalise(&p).unwrap().files[&0x0102].len();
    let card = VirtualCard::insert(&p);
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let v = &r.json["verification"];
    assert_eq!(v["verdict"], "failed");
    assert_eq!(v["data_groups"]["2"], "missing");
    assert_eq!(
        v["data_groups"]["13"], "ok",
        "the rest of the card is intact"
    );
    let errors = v["errors"].to_string();
    assert!(
        errors.contains(&format!(
            "DG2: header says {} bytes but the file ends after {real}",
            5 + 0x7FFF00
        )),
        "{errors}"
    );
    assert_eq!(r.json["photo"], serde_json::Value::Null);
    assert_eq!(r.json["citizen"]["full_name"], "Nguyễn Thị Thu Hương");
}

#[test]
fn unknown_csca_is_untrusted_with_exit_3() {
    let mut p = CitizenProfile::demo();
    p.chip.untrusted_csca = true;
    let card = VirtualCard::insert(&p);
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(r.json["verification"]["verdict"], "untrusted");
    assert_eq!(r.json["verification"]["signature"], true);
    assert_eq!(r.json["verification"]["chain"], "untrusted");
}

#[test]
fn no_trust_store_means_untrusted_not_failed() {
    let p = CitizenProfile::demo();
    let _card = VirtualCard::insert(&p);
    let qr = p.qr_text();
    let r = run(&["read", "--reader", READER, "--qr", &qr, "--json"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.json["verification"]["verdict"], "untrusted");
    assert_eq!(r.json["verification"]["passive_auth"], "untrusted");
}

#[test]
fn wrong_key_is_access_denied_exit_4() {
    let p = CitizenProfile::demo();
    let _card = VirtualCard::insert(&p);
    let started = std::time::Instant::now();
    let r = run(&[
        "read",
        "--reader",
        READER,
        "--id",
        "001195000123",
        "--dob",
        "950314",
        "--expiry",
        "350315",
        "--json",
    ]);
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["error"]["kind"], "access_denied");
    assert!(r.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("typed fields"));
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

#[test]
fn qr_whose_expiry_candidates_are_all_wrong_is_exit_4_naming_the_qr_and_the_count() {
    // Born 29 Feb 2000, issued Jan 2023 (age 22, weeks from the 23 boundary): the QR
    // gives the 25 and 40 milestones and the leap-day forms of the 25th birthday.
    // The card's own expiry is none of them (a re-issued card, say).
    let p = CitizenProfile {
        id_number: "001200000777".into(),
        full_name: "Trần Văn Bình".into(),
        date_of_birth: "29/02/2000".into(),
        sex: "Nam".into(),
        date_of_issue: "15/01/2023".into(),
        date_of_expiry: "28/02/2030".into(),
        old_id_number: None,
        ..CitizenProfile::demo()
    };
    let today = chrono::Local::now().date_naive();
    let plan = cccd_kiosk::card::access_key::KeyPlan::from_qr(&p.qr_text(), today).unwrap();
    let candidates: Vec<&str> = plan.bac.iter().map(|k| k.date_of_expiry.as_str()).collect();
    assert!(candidates.len() >= 3, "{candidates:?}");
    assert!(!candidates.contains(&"300228"), "{candidates:?}");

    let card = VirtualCard::insert(&p);
    let started = std::time::Instant::now();
    let r = read_qr(&card, &p, &[]);
    let took = started.elapsed();
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    let e = &r.json["error"];
    assert_eq!(e["kind"], "access_denied");
    assert_eq!(e["field"], "qr");
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("QR code"), "{message}");
    assert!(
        message.contains(&format!("{} candidate keys tried", candidates.len())),
        "{message}"
    );
    assert!(r.stderr.contains(message), "the message on stderr too");
    let per = took / candidates.len() as u32;
    println!(
        "wrong key: {} candidates in {took:?} ({per:?} per candidate, process start included)",
        candidates.len()
    );
    assert!(
        took < std::time::Duration::from_secs(candidates.len() as u64 + 3),
        "{took:?} for {} candidates",
        candidates.len()
    );
}

#[test]
fn card_pulled_mid_read_is_exit_5_without_hanging() {
    let mut p = CitizenProfile::demo();
    p.chip.remove_after_apdus = Some(30);
    let card = VirtualCard::insert(&p);
    let photo = card.trust_dir.join("face.jpg");
    let started = std::time::Instant::now();
    let r = read_qr(&card, &p, &["--photo-out", photo.to_str().unwrap()]);
    assert_eq!(r.code, 5, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["error"]["kind"], "card_removed", "{}", r.stdout);
    assert!(
        r.json.get("citizen").is_none(),
        "nothing of the card is printed"
    );
    assert!(!photo.exists(), "no photo is written from a broken read");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn extended_length_reads_the_face_in_a_few_apdus() {
    let mut p = CitizenProfile::demo();
    p.chip.extended_length = true;
    p.chip.face = FaceImage::JpegLarge;
    let card = VirtualCard::insert(&p);
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.json["photo"]["bytes"].as_u64().unwrap() > 30_000);
    // select applet, probe, 3 BAC, then per file a SELECT and one READ BINARY (COM, DG1, DG13, DG2, SOD)
    let apdus = r.json["stats"]["apdus"].as_u64().unwrap();
    assert!(apdus <= 16, "{apdus} APDUs");
}

#[test]
fn short_apdus_read_a_face_past_32k_with_odd_read_binary() {
    let mut p = CitizenProfile::demo();
    p.chip.face = FaceImage::JpegLarge;
    p.chip.strict_le = true;
    let card = VirtualCard::insert(&p);
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["verification"]["data_groups"]["2"], "ok");
}

/// `FILE: done/total bytes` lines of a read's stderr.
fn progress_lines(stderr: &str) -> Vec<(String, u64, u64)> {
    stderr
        .lines()
        .filter_map(|l| {
            let (file, rest) = l.split_once(": ")?;
            let (done, total) = rest.strip_suffix(" bytes")?.split_once('/')?;
            Some((file.to_string(), done.parse().ok()?, total.parse().ok()?))
        })
        .collect()
}

#[test]
fn json_stays_alone_on_stdout_and_progress_goes_to_stderr() {
    let p = CitizenProfile::demo();
    let card = VirtualCard::insert(&p);
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.json.is_object(), "stdout parses as one JSON object");
    let lines = progress_lines(&r.stderr);
    for file in ["EF.COM", "DG1", "DG13", "DG2", "EF.SOD"] {
        let of_file: Vec<_> = lines.iter().filter(|(f, ..)| f == file).collect();
        let last = of_file
            .last()
            .unwrap_or_else(|| panic!("no progress for {file}: {}", r.stderr));
        assert_eq!(last.1, last.2, "{file} reaches its total");
    }
    // The face comes in many chunks: the bar moves.
    let dg2 = lines.iter().filter(|(f, ..)| f == "DG2").count();
    assert!(dg2 > 10, "{dg2} progress lines for DG2");
}

/// A `cccd-kiosk read --json` running in the background, its stderr lines on a channel.
struct Background {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    stderr: Vec<String>,
}

impl Background {
    fn start(args: &[&str]) -> Background {
        use std::io::BufRead;
        let mut child = std::process::Command::new(BIN)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        Background {
            child,
            lines,
            stderr: Vec::new(),
        }
    }

    /// Wait until a stderr line satisfies `want`.
    fn wait_for(&mut self, want: impl Fn(&str) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = want(&l);
                    self.stderr.push(l);
                    if hit {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("the background read never said it: {:?}", self.stderr);
    }

    fn finish(mut self) -> Run {
        use std::io::Read;
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        self.stderr.extend(self.lines.iter());
        Run {
            code,
            json: serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null),
            stdout,
            stderr: self.stderr.join("\n"),
        }
    }
}

#[test]
fn a_second_read_while_the_first_holds_the_card_gives_up_cleanly() {
    let mut p = CitizenProfile::demo();
    // ~80 APDUs at 60 ms: the first read holds the card for ~5 s, longer than a
    // second read waits for it (pcsc::BUSY_WAIT, 3 s).
    p.chip.reply_delay_ms = 60;
    let card = VirtualCard::insert(&p);
    let qr = p.qr_text();
    let trust = card.trust_dir.to_str().unwrap().to_string();
    let args = [
        "read", "--reader", READER, "--qr", &qr, "--trust", &trust, "--json",
    ];
    let mut first = Background::start(&args);
    // Under way: secure messaging is open and EF.COM is in.
    first.wait_for(|l| l.starts_with("EF.COM: "));
    let started = std::time::Instant::now();
    let second = run(&args);
    let waited = started.elapsed();
    let first = first.finish();

    // The first read is untouched by the second.
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let v = &first.json["verification"];
    assert_eq!(v["verdict"], "genuine", "{v}");
    assert_eq!(first.json["citizen"]["full_name"], "Nguyễn Thị Thu Hương");
    // The chip's replies alone keep the card busy ~4.5 s after EF.COM, past the 3 s a
    // second read waits: it gives up cleanly without touching the chip.
    assert_eq!(second.code, 5, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(second.json["error"]["kind"], "io", "{}", second.stdout);
    let m = second.json["error"]["message"].as_str().unwrap();
    assert!(m.contains("in use by another application"), "{m}");
    assert!(
        progress_lines(&second.stderr).is_empty(),
        "it never reached the chip"
    );
    println!(
        "second read: exit {} after {waited:?} (first read took {} ms)",
        second.code, first.json["stats"]["millis"]
    );
}

#[test]
fn a_card_held_by_another_application_is_exit_5_in_use_then_reads_once_released() {
    let p = CitizenProfile::demo();
    let card = VirtualCard::insert(&p);
    let held = cccd_kiosk::card::pcsc::PcscTransport::connect_to(READER).unwrap();
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 5, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["error"]["kind"], "io");
    let m = r.json["error"]["message"].as_str().unwrap();
    assert!(m.contains("in use by another application"), "{m}");
    drop(held);
    let r = read_qr(&card, &p, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn no_card_is_exit_5() {
    let _empty = empty_reader();
    let r = run(&["read", "--reader", READER, "--can", "000123", "--json"]);
    assert_eq!(r.code, 5, "{}", r.stdout);
    assert_eq!(r.json["error"]["kind"], "no_card");
}

#[test]
fn bad_qr_is_exit_2_naming_the_field() {
    let r = run(&["read", "--qr", "not a card|x", "--json"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.json["error"]["kind"], "bad_input");
    assert!(r.json["error"]["field"].as_str().unwrap().starts_with("qr"));
    let r = run(&[
        "read",
        "--qr",
        "001195000123||Nguyễn Thị Thu Hương|31021995|Nữ|Hà Nội|10072021",
        "--json",
    ]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.json["error"]["field"]
            .as_str()
            .unwrap()
            .contains("date_of_birth"),
        "{}",
        r.stdout
    );
}

#[test]
fn virtual_readers_are_ignored_unless_named() {
    let p = CitizenProfile::demo();
    let _card = VirtualCard::insert(&p);
    let qr = p.qr_text();
    let r = run(&["read", "--qr", &qr, "--json"]);
    assert_eq!(r.code, 5);
    assert_eq!(r.json["error"]["kind"], "no_reader");
    let r = run(&["readers"]);
    assert!(r.stdout.contains("virtual readers are hidden"));
    let r = run(&["readers", "--all"]);
    assert!(
        r.stdout.contains(READER) && r.stdout.contains("ATR 3B88"),
        "{}",
        r.stdout
    );
}
