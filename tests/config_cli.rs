//! The config file as `read` and `config` use it: the real binary, the private pcscd,
//! an emulated card. Flags win over the file; the file wins over the defaults.

mod common;
use cccd_kiosk::card::emulator::profile::CitizenProfile;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn config(dir: &std::path::Path, text: &str) -> String {
    let path = dir.join("kiosk.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn read_takes_reader_filter_and_trust_dir_from_the_config_and_flags_win() {
    let p = CitizenProfile::demo();
    let card = VirtualCard::insert(&p);
    let dir = tempfile::tempdir().unwrap();
    let qr = p.qr_text();
    let cfg = config(
        dir.path(),
        &format!(
            "reader = \"Virtual PCD\"\ntrust_dir = \"{}\"\n",
            card.trust_dir.display()
        ),
    );
    // No --reader, no --trust: the config's filter picks the virtual reader, its trust
    // directory holds the CSCA: genuine.
    let r = run(&["--config", &cfg, "read", "--qr", &qr, "--json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json["verification"]["chain"], "trusted");
    // --trust wins: an empty directory makes the same card untrusted.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let r = run(&[
        "--config",
        &cfg,
        "read",
        "--qr",
        &qr,
        "--trust",
        empty.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.json["verification"]["verdict"], "untrusted");
    // A filter matching no reader is named; --reader wins over it.
    let cfg = config(dir.path(), "reader = \"ACR1252\"\n");
    let r = run(&["--config", &cfg, "read", "--qr", &qr, "--json"]);
    assert_eq!(r.code, 5);
    assert_eq!(r.json["error"]["kind"], "no_reader");
    assert!(r.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("ACR1252"));
    let r = run(&[
        "--config", &cfg, "read", "--reader", READER, "--qr", &qr, "--json",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    // A named trust directory that does not exist is an error, not "untrusted".
    let cfg = config(
        dir.path(),
        "trust_dir = \"/nonexistent/trust\"\nallow_virtual_readers = true\n",
    );
    let r = run(&["--config", &cfg, "read", "--qr", &qr, "--json"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.json["error"]["field"], "trust");
}

#[test]
fn bad_config_is_bad_input_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "kiosk_id = \"K1\"\nlanguage = \"fr\"\n");
    let r = run(&["--config", &cfg, "read", "--can", "000123", "--json"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.json["error"]["kind"], "bad_input");
    assert_eq!(r.json["error"]["field"], "language");
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("kiosk.toml:2:12: language: expected \"vi\" or \"en\", found \"fr\""),
        "{}",
        r.stdout
    );
}

#[test]
fn config_check_resolves_data_dir_and_hides_pin_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["config", "hash-pin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"482913\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(cccd_kiosk::config::verify_pin("482913", &hash));
    let cfg = config(
        dir.path(),
        &format!("data_dir = \"/srv/kiosk\"\n[[officer]]\nid = \"cb1\"\npin_hash = \"{hash}\"\n"),
    );
    let r = run(&["--config", &cfg, "config", "check"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.json["resolved"]["data_dir"], "/srv/kiosk");
    assert_eq!(r.json["config"]["officer"][0]["id"], "cb1");
    assert!(!r.stdout.contains("argon2"), "{}", r.stdout);
    let r = run(&[
        "--config",
        &cfg,
        "--data-dir",
        "/tmp/elsewhere",
        "config",
        "check",
    ]);
    assert_eq!(r.json["resolved"]["data_dir"], "/tmp/elsewhere");
}
