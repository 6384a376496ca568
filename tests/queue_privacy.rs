//! No citizen's personal data in the clear anywhere a lost laptop or USB stick, or
//! the journal, would show it (issue 5; Decree 13/2023): a `simulate --citizens
//! 20 --faults` day with `RUST_LOG=debug`, then one more run SIGKILLed after its
//! first record (so the WAL is left holding it), then an export. The test greps the
//! database, the WAL, every other file in the data directory, the bundle, and
//! stdout and stderr of every command for each citizen's name (as on the card,
//! without diacritics, and as the MRZ spells it), ID number, old ID number and
//! phone (national and +84 forms).

use cccd_kiosk::queue::simulate;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cccd-kiosk"))
}

/// Vietnamese letters without their diacritics (`Nguyễn Thị Hương` → `Nguyen Thi Huong`).
fn fold(s: &str) -> String {
    const FROM: [(&str, char); 14] = [
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ÈÉẺẼẸÊỀẾỂỄỆ", 'E'),
        ("ìíỉĩị", 'i'),
        ("ÌÍỈĨỊ", 'I'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'),
        ("ùúủũụưừứửữự", 'u'),
        ("ÙÚỦŨỤƯỪỨỬỮỰ", 'U'),
        ("ỳýỷỹỵ", 'y'),
        ("ỲÝỶỸỴ", 'Y'),
        ("đ", 'd'),
        ("Đ", 'D'),
    ];
    s.chars()
        .map(|c| {
            FROM.iter()
                .find(|(set, _)| set.contains(c))
                .map_or(c, |&(_, to)| to)
        })
        .collect()
}

struct Needle {
    what: String,
    text: String,
}

fn needles(seed: u64, citizens: u32) -> Vec<Needle> {
    let mut out = Vec::new();
    for n in 0..citizens {
        let p = simulate::citizen(seed, n);
        let phone = simulate::phone(seed, n);
        let mut add = |what: &str, text: String| {
            out.push(Needle {
                what: format!("citizen {n} {what}"),
                text,
            })
        };
        add("name", p.full_name.clone());
        add("name without diacritics", fold(&p.full_name));
        add("name as in the MRZ", fold(&p.full_name).to_uppercase());
        add("ID number", p.id_number.clone());
        add("document number", p.id_number[3..].to_string());
        if let Some(old) = &p.old_id_number {
            add("old ID number", old.clone());
        }
        add("phone", phone.clone());
        add("phone +84", format!("+84{}", &phone[1..]));
        add("phone 84", format!("84{}", &phone[1..]));
    }
    out
}

fn assert_clean(label: &str, bytes: &[u8], needles: &[Needle]) {
    for n in needles {
        let t = n.text.as_bytes();
        assert!(
            !bytes.windows(t.len()).any(|w| w == t),
            "{} ({:?}) found in {label}",
            n.what,
            n.text
        );
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn no_name_id_number_or_phone_in_the_database_wal_export_or_debug_logs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seed = 20_251_123u64;
    let seed_killed = seed + 1;

    // A day of 20 citizens, some with faults, debug logs on.
    let day = Command::new(exe())
        .arg("--data-dir")
        .arg(&data)
        .args([
            "simulate",
            "--citizens",
            "20",
            "--officers",
            "2",
            "--faults",
        ])
        .arg("--seed")
        .arg(seed.to_string())
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    let day_out = String::from_utf8_lossy(&day.stdout).into_owned();
    assert!(day.status.success(), "{day_out}");
    let queued = day_out
        .lines()
        .filter(|l| l.starts_with("committed "))
        .count();
    assert!(queued >= 5, "{day_out}");
    assert!(
        day.stderr.len() > 1000 && String::from_utf8_lossy(&day.stderr).contains("DEBUG"),
        "the debug logs were not on"
    );

    // One more run killed right after its first record: the WAL keeps it.
    let mut child = Command::new(exe())
        .arg("--data-dir")
        .arg(&data)
        .args(["simulate", "--citizens", "3"])
        .arg("--seed")
        .arg(seed_killed.to_string())
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut BufReader::new(stderr), &mut v).unwrap();
        v
    });
    let mut first = String::new();
    let mut r = BufReader::new(child.stdout.take().unwrap());
    while !first.starts_with("committed ") {
        first.clear();
        assert!(r.read_line(&mut first).unwrap() > 0, "no record committed");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_logs = logs.join().unwrap();

    let mut all = needles(seed, 20);
    all.extend(needles(seed_killed, 3));
    let wal = data.join(format!("{}-wal", cccd_kiosk::queue::store::DB_FILE));
    assert!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0,
        "the killed run left no WAL to check"
    );
    let data_files = files_under(&data);
    assert!(data_files.len() >= 3, "{data_files:?}");
    for f in &data_files {
        assert_clean(&f.display().to_string(), &std::fs::read(f).unwrap(), &all);
    }
    assert_clean("simulate's stdout", &day.stdout, &all);
    assert_clean("simulate's debug log", &day.stderr, &all);
    assert_clean("the killed run's debug log", &killed_logs, &all);

    // The end-of-day export: manifest and payload, and what the commands print.
    let identity = age::x25519::Identity::generate();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "trưởng ca\n").unwrap();
    let usb = dir.path().join("usb");
    let run = |args: &[&str]| {
        let out = Command::new(exe())
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env("RUST_LOG", "debug")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        [out.stdout, out.stderr].concat()
    };
    let p = |p: &Path| p.to_string_lossy().into_owned();
    let mut printed = run(&["queue", "set-passphrase", "--new-file", &p(&pass)]);
    printed.extend(run(&[
        "queue",
        "export",
        "--out",
        &p(&usb),
        "--recipient",
        &identity.to_public().to_string(),
        "--passphrase-file",
        &p(&pass),
    ]));
    printed.extend(run(&["queue", "list"]));
    printed.extend(run(&["queue", "stats"]));
    assert_clean("the queue commands' output", &printed, &all);
    let bundle = files_under(&usb);
    assert_eq!(bundle.len(), 2, "{bundle:?}");
    for f in &bundle {
        assert_clean(&f.display().to_string(), &std::fs::read(f).unwrap(), &all);
    }
    // The needles are real: decrypted, the bundle holds the queued citizens' names.
    let m = cccd_kiosk::queue::export::verify(&usb, Some(&identity)).unwrap();
    assert_eq!(m.records_checked as usize, queued + 1);
    let payload = std::fs::File::open(usb.join("payload.age")).unwrap();
    let plain = age::Decryptor::new(BufReader::new(payload))
        .unwrap()
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap();
    let mut plain_bytes = Vec::new();
    std::io::Read::read_to_end(&mut BufReader::new(plain), &mut plain_bytes).unwrap();
    let found = all
        .iter()
        .filter(|n| n.what.ends_with(" name"))
        .filter(|n| {
            let t = n.text.as_bytes();
            plain_bytes.windows(t.len()).any(|w| w == t)
        })
        .count();
    assert!(
        found > queued / 2,
        "only {found} names in the decrypted bundle"
    );
}
