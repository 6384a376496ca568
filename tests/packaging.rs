//! What a technician installs: the Debian package's metadata (Cargo.toml
//! `[package.metadata.deb]`), its maintainer scripts run against a scratch root, the
//! udev and polkit rules, the systemd unit, and the default config. `make deb` builds
//! the package (a release build: minutes, so not part of `make test`) and then runs
//! this file again with CCCD_DEB set, which lists the .deb and checks its contents.
//! `make deb-test` then installs it on a clean Debian in a chroot
//! (scripts/deb-clean-install): too slow for `make test`, so only its syntax and
//! shellcheck are checked here.

use cccd_kiosk::config::{hash_pin, Config};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn deb_meta() -> toml::Table {
    let cargo: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    cargo["package"]["metadata"]["deb"]
        .as_table()
        .unwrap()
        .clone()
}

/// (source, destination) of each asset.
fn assets() -> Vec<(String, String)> {
    deb_meta()["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let a = a.as_array().unwrap();
            (
                a[0].as_str().unwrap().to_string(),
                a[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn package_metadata_ships_what_a_kiosk_needs() {
    let meta = deb_meta();
    for (src, _) in assets() {
        if !src.starts_with("target/") {
            assert!(root().join(&src).is_file(), "asset {src} is missing");
        }
    }
    let dests: BTreeSet<String> = assets().into_iter().map(|(_, d)| d).collect();
    for want in [
        "usr/bin/",
        "etc/cccd-kiosk/kiosk.toml",
        "usr/lib/udev/rules.d/",
        "usr/share/polkit-1/rules.d/",
        "etc/modprobe.d/cccd-kiosk-nfc.conf",
    ] {
        assert!(
            dests.contains(want),
            "no asset installed to {want}: {dests:?}"
        );
    }
    let conf: Vec<&str> = meta["conf-files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        conf.contains(&"/etc/cccd-kiosk/kiosk.toml"),
        "the config must be a conffile"
    );
    // Built with the webcam backend: without it the kiosk shows "no webcam support".
    let features: Vec<&str> = meta["features"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    assert!(
        features.contains(&"camera"),
        "the package must be built with --features camera: {features:?}"
    );
    let depends = meta["depends"].as_str().unwrap();
    for d in ["pcscd", "libccid", "cage", "adduser"] {
        assert!(depends.contains(d), "depends lacks {d}: {depends}");
    }
    let units = &meta["systemd-units"];
    let dir = units["unit-scripts"].as_str().unwrap();
    assert!(root().join(dir).join("cccd-kiosk.service").is_file());
    // The test CSCA never ships (DESIGN.md "Trust store").
    assert!(!assets()
        .iter()
        .any(|(s, _)| s.contains("csca") || s.ends_with(".cer")));
    for script in ["postinst", "postrm"] {
        let text = read(&format!("debian/{script}"));
        assert!(
            text.contains("#DEBHELPER#"),
            "{script}: cargo-deb inserts the systemd snippets there"
        );
        let st = Command::new("sh")
            .arg("-n")
            .arg(root().join("debian").join(script))
            .status()
            .unwrap();
        assert!(st.success(), "{script}: sh -n");
    }
}

/// Fake system tools for the maintainer scripts: each logs its arguments.
struct Stubs {
    dir: tempfile::TempDir,
}

impl Stubs {
    fn new(existing_groups: &[&str], user_exists: bool) -> Stubs {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let groups = existing_groups.join(" ");
        let user = if user_exists { "cccd-kiosk" } else { "" };
        let getent = format!(
            "#!/bin/sh\necho \"getent $*\" >> {log}\ncase \"$1\" in\n group) for g in {groups} {user}; do [ \"$g\" = \"$2\" ] && exit 0; done; exit 2;;\n passwd) [ \"$2\" = \"{user}\" ] && [ -n \"{user}\" ] && exit 0; exit 2;;\nesac\nexit 2\n",
            log = log.display()
        );
        Self::tool(dir.path(), "getent", &getent);
        for t in ["adduser", "addgroup", "chown", "udevadm"] {
            Self::tool(
                dir.path(),
                t,
                &format!("#!/bin/sh\necho \"{t} $*\" >> {}\n", log.display()),
            );
        }
        Stubs { dir }
    }

    fn tool(dir: &Path, name: &str, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn postinst(&self, dpkg_root: &Path, args: &[&str]) -> (bool, String) {
        let (ok, log, _) = self.run("postinst", dpkg_root, args);
        (ok, log)
    }

    /// Run a maintainer script: (succeeded, the tools' log, what it printed).
    fn run(&self, script: &str, dpkg_root: &Path, args: &[&str]) -> (bool, String, String) {
        let path = format!(
            "{}:/usr/bin:/bin:/usr/sbin:/sbin",
            self.dir.path().display()
        );
        let out = Command::new("sh")
            .arg(root().join("debian").join(script))
            .args(args)
            .env("PATH", path)
            .env("DPKG_ROOT", dpkg_root)
            .output()
            .unwrap();
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        let _ = std::fs::remove_file(self.dir.path().join("log"));
        (
            out.status.success(),
            log,
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn postinst_creates_the_kiosk_user_groups_and_private_data_dir() {
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("var/lib/cccd-kiosk");
    // Fresh install on a system with video and input groups but no render group, udevd
    // running (/run/udev).
    std::fs::create_dir_all(scratch.path().join("run/udev")).unwrap();
    let stubs = Stubs::new(&["video", "input"], false);
    let (ok, log) = stubs.postinst(scratch.path(), &["configure", ""]);
    assert!(ok, "{log}");
    assert!(log.contains("addgroup --system cccd-kiosk"), "{log}");
    assert!(
        log.contains("adduser --system --ingroup cccd-kiosk --home /var/lib/cccd-kiosk --no-create-home --shell /usr/sbin/nologin"),
        "{log}"
    );
    assert!(
        log.contains("adduser cccd-kiosk video") && log.contains("adduser cccd-kiosk input"),
        "{log}"
    );
    assert!(
        !log.contains("adduser cccd-kiosk render"),
        "no render group here: {log}"
    );
    assert!(
        log.contains(&format!("chown cccd-kiosk:cccd-kiosk {}", data.display())),
        "{log}"
    );
    assert!(log.contains("udevadm control --reload"), "{log}");
    assert_eq!(mode(&data), 0o700);
    assert!(scratch.path().join("etc/cccd-kiosk/trust").is_dir());

    // Upgrade in a chroot (no udevd: udevadm would reach the host's devices): the user
    // exists (not created again); a loosened data dir is tightened.
    std::fs::remove_dir(scratch.path().join("run/udev")).unwrap();
    std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(data.join("queue.sqlite"), b"records").unwrap();
    let stubs = Stubs::new(&["video", "input", "render"], true);
    let (ok, log) = stubs.postinst(scratch.path(), &["configure", "0.1.0"]);
    assert!(ok, "{log}");
    assert!(!log.contains("--system"), "{log}");
    assert!(log.contains("adduser cccd-kiosk render"), "{log}");
    assert!(!log.contains("udevadm"), "no udevd, no udevadm: {log}");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(
        std::fs::read(data.join("queue.sqlite")).unwrap(),
        b"records",
        "data kept"
    );
    // Other actions do nothing.
    let (ok, log) = stubs.postinst(scratch.path(), &["abort-upgrade", "0.1.0"]);
    assert!(ok && !log.contains("adduser"), "{log}");
}

#[test]
fn postrm_purge_removes_config_but_keeps_records_user_and_operator_files() {
    let scratch = tempfile::tempdir().unwrap();
    let etc = scratch.path().join("etc/cccd-kiosk");
    let data = scratch.path().join("var/lib/cccd-kiosk");
    std::fs::create_dir_all(etc.join("trust")).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("queue.sqlite"), b"records").unwrap();
    let stubs = Stubs::new(&[], true);

    // remove: nothing of the operator's goes (dpkg keeps the conffiles).
    let (ok, log, _) = stubs.run("postrm", scratch.path(), &["remove"]);
    assert!(ok, "{log}");
    assert!(etc.join("trust").is_dir());

    // purge with a provisioned certificate: kept, and said so.
    std::fs::write(etc.join("trust/csca-vn.cer"), b"cert").unwrap();
    let (ok, log, said) = stubs.run("postrm", scratch.path(), &["purge"]);
    assert!(ok, "{log}");
    assert!(etc.join("trust/csca-vn.cer").is_file());
    assert!(said.contains("/etc/cccd-kiosk kept"), "{said}");

    // purge after dpkg removed the conffiles, trust dir empty: /etc/cccd-kiosk goes;
    // the records and the user who owns them stay.
    std::fs::remove_file(etc.join("trust/csca-vn.cer")).unwrap();
    let (ok, log, said) = stubs.run("postrm", scratch.path(), &["purge"]);
    assert!(ok, "{log}");
    assert!(!etc.exists(), "{said}");
    assert_eq!(
        std::fs::read(data.join("queue.sqlite")).unwrap(),
        b"records"
    );
    assert!(
        said.contains("/var/lib/cccd-kiosk and the user cccd-kiosk kept"),
        "{said}"
    );
    assert!(
        !log.contains("deluser") && !log.contains("udevadm"),
        "{log}"
    );
}

/// The maintainer scripts and the shell scripts around the package (`make deb-test`'s
/// clean install among them) pass `sh -n`/`bash -n` and, where installed, shellcheck.
#[test]
fn scripts_pass_syntax_check_and_shellcheck() {
    let scripts = [
        ("debian/postinst", "sh"),
        ("debian/postrm", "sh"),
        ("scripts/deb-clean-install", "bash"),
        ("scripts/with-pcscd", "bash"),
    ];
    for (script, shell) in scripts {
        let st = Command::new(shell)
            .arg("-n")
            .arg(root().join(script))
            .status()
            .unwrap();
        assert!(st.success(), "{shell} -n {script}");
    }
    if Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("shellcheck not installed (make deps installs it): syntax checked only");
        return;
    }
    for (script, shell) in scripts {
        let out = Command::new("shellcheck")
            .args(["-S", "warning", "-s", shell])
            .arg(root().join(script))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "shellcheck {script}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn shipped_config_parses_and_so_does_every_commented_example() {
    let text = read("debian/kiosk.toml");
    assert_eq!(
        Config::parse(&text, "kiosk.toml").unwrap(),
        Config::default()
    );
    let hash = hash_pin("123456").unwrap();
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.contains(" = ") || rest.starts_with('[') => rest.to_string(),
            _ => l.to_string(),
        })
        .map(|l| {
            if l.starts_with("pin_hash") {
                format!("pin_hash = \"{hash}\"")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c =
        Config::parse(&uncommented, "kiosk.toml").unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    assert_eq!(c.kiosk_id.as_deref(), Some("HN-BADINH-03"));
    assert_eq!(c.officers.len(), 1);
    assert!(c.check_officer_pin("can-bo-01", "123456").is_some());
    assert_eq!(c.appointments.map(|a| a.offices.len()), Some(2));
}

// ---------------------------------------------------------------------------------------
// udev rules

const UDEV_KEYS: &[&str] = &[
    "ACTION",
    "SUBSYSTEM",
    "SUBSYSTEMS",
    "KERNEL",
    "KERNELS",
    "DEVPATH",
    "DRIVER",
    "DRIVERS",
    "ATTR",
    "ATTRS",
    "ENV",
    "TAG",
    "TAGS",
    "TEST",
    "GROUP",
    "OWNER",
    "MODE",
    "RUN",
    "GOTO",
    "LABEL",
    "NAME",
    "SYMLINK",
    "PROGRAM",
    "RESULT",
    "IMPORT",
    "OPTIONS",
];

/// One `KEY{attr}OP"value"` of a rule line.
#[derive(Debug)]
struct Token {
    key: String,
    attr: Option<String>,
    op: String,
    value: String,
}

fn parse_token(t: &str) -> Result<Token, String> {
    let key_end = t
        .find(|c: char| !c.is_ascii_uppercase() && c != '_')
        .ok_or("no operator")?;
    let key = &t[..key_end];
    if !UDEV_KEYS.contains(&key) {
        return Err(format!("unknown key {key}"));
    }
    let mut rest = &t[key_end..];
    let mut attr = None;
    if let Some(r) = rest.strip_prefix('{') {
        let close = r.find('}').ok_or("unclosed {")?;
        attr = Some(r[..close].to_string());
        rest = &r[close + 1..];
    }
    let op = ["==", "!=", "+=", "-=", ":=", "="]
        .into_iter()
        .find(|op| rest.starts_with(op))
        .ok_or_else(|| format!("bad operator in {t}"))?;
    let value = rest[op.len()..]
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or("value not quoted")?;
    if value.contains('"') {
        return Err("stray quote".into());
    }
    Ok(Token {
        key: key.into(),
        attr,
        op: op.into(),
        value: value.into(),
    })
}

fn rule_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("udev"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "rules") && !p.to_string_lossy().contains("pcscd")
        })
        .collect();
    v.sort();
    v
}

/// The (vendor, product) pairs libccid supports, from its Info.plist.
fn libccid_ids() -> BTreeSet<(String, String)> {
    let plist = "/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Info.plist";
    let text = std::fs::read_to_string(plist)
        .unwrap_or_else(|e| panic!("{plist}: {e} (make deps installs libccid)"));
    let array = |key: &str| -> Vec<String> {
        let start = text.find(&format!("<key>{key}</key>")).unwrap();
        let body = &text[start..];
        let body = &body[..body.find("</array>").unwrap()];
        body.split("<string>")
            .skip(1)
            .map(|s| s[..s.find('<').unwrap()].trim().to_lowercase())
            .collect()
    };
    let v = array("ifdVendorID");
    let p = array("ifdProductID");
    assert_eq!(v.len(), p.len());
    v.into_iter()
        .zip(p)
        .map(|(v, p)| {
            (
                v.trim_start_matches("0x").into(),
                p.trim_start_matches("0x").into(),
            )
        })
        .collect()
}

#[test]
fn udev_rules_parse_and_reader_ids_are_in_libccid() {
    let supported = libccid_ids();
    let mut readers = 0;
    for path in rule_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut gotos = BTreeSet::new();
        let mut labels = BTreeSet::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let where_ = format!("{}:{}", path.display(), n + 1);
            let tokens: Vec<Token> = line
                .split(", ")
                .map(|t| parse_token(t.trim()).unwrap_or_else(|e| panic!("{where_}: {e}: {line}")))
                .collect();
            assert!(
                tokens.iter().any(|t| t.op != "==" && t.op != "!="),
                "{where_}: a rule with only matches does nothing"
            );
            for t in &tokens {
                match t.key.as_str() {
                    "GOTO" => drop(gotos.insert(t.value.clone())),
                    "LABEL" => drop(labels.insert(t.value.clone())),
                    "MODE" => assert!(
                        t.value.len() == 4 && t.value.chars().all(|c| c.is_digit(8)),
                        "{where_}"
                    ),
                    "ATTR" | "ATTRS" | "ENV" => {
                        assert!(t.attr.is_some(), "{where_}: {} needs {{…}}", t.key)
                    }
                    _ => {}
                }
            }
            let get = |a: &str| {
                tokens
                    .iter()
                    .find(|t| t.attr.as_deref() == Some(a) && t.op == "==")
                    .map(|t| t.value.clone())
            };
            if let (Some(v), Some(p)) = (get("idVendor"), get("idProduct")) {
                assert!(
                    supported.contains(&(v.clone(), p.clone())),
                    "{where_}: {v}:{p} is not in libccid's supported list"
                );
                readers += 1;
            }
        }
        assert_eq!(
            gotos,
            labels,
            "{}: every GOTO needs its LABEL",
            path.display()
        );
    }
    assert!(readers >= 15, "reader rules: {readers}");
    // Newer udev checks the files itself (bookworm's 252 has no `verify`).
    let has_verify = Command::new("udevadm")
        .args(["verify", "--help"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_verify {
        let out = Command::new("udevadm")
            .arg("verify")
            .args(rule_files())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn rule_parser_rejects_broken_lines() {
    assert!(parse_token("ATTR{idVendor}==\"072f\"").is_ok());
    assert!(parse_token("ATTR{idVendor}==072f").is_err());
    assert!(parse_token("ATRS{idVendor}==\"072f\"").is_err());
    assert!(parse_token("MODE:\"0660\"").is_err());
}

#[test]
fn polkit_rule_grants_pcscd_to_the_kiosk_user() {
    let js = read("udev/60-cccd-kiosk-pcscd.rules");
    assert!(js.contains("org.debian.pcsc-lite.access_pcsc"));
    assert!(js.contains("org.debian.pcsc-lite.access_card"));
    assert!(js.contains("subject.user == \"cccd-kiosk\""));
    assert!(js.contains("polkit.Result.YES"));
    let code: String = js
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    for (open, close) in [('(', ')'), ('{', '}')] {
        assert_eq!(
            code.matches(open).count(),
            code.matches(close).count(),
            "unbalanced {open}{close}"
        );
    }
}

#[test]
fn systemd_unit_runs_cage_as_the_kiosk_user_after_pcscd() {
    let unit = read("udev/cccd-kiosk.service");
    for line in [
        "User=cccd-kiosk",
        "Restart=on-failure",
        "Wants=pcscd.socket dbus.socket systemd-logind.service",
        "After=pcscd.socket pcscd.service dbus.socket systemd-logind.service",
        "ExecStart=/usr/bin/cage -d -- /usr/bin/cccd-kiosk --config /etc/cccd-kiosk/kiosk.toml",
        "StateDirectoryMode=0700",
        "WantedBy=graphical.target",
    ] {
        assert!(unit.lines().any(|l| l == line), "unit lacks {line}");
    }
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze not installed: unit checked by text only");
        return;
    }
    // cage is not installed on a build machine: verify with a stand-in executable.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("cccd-kiosk.service");
    std::fs::write(&copy, unit.replace("/usr/bin/cage", "/usr/bin/env")).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );
    // The check notices a broken line.
    std::fs::write(
        &copy,
        unit.replace("/usr/bin/cage", "/usr/bin/env")
            .replace("Restart=on-failure", "Restart=sometimes"),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("restart"),
        "a bad Restart= must be reported"
    );
}

#[test]
fn built_deb_contents() {
    let Ok(deb) = std::env::var("CCCD_DEB") else {
        eprintln!("CCCD_DEB not set: the .deb is checked by `make deb`");
        return;
    };
    let out = Command::new("dpkg-deb")
        .arg("-c")
        .arg(&deb)
        .output()
        .unwrap();
    assert!(out.status.success(), "dpkg-deb -c {deb}");
    let listing = String::from_utf8_lossy(&out.stdout);
    let paths: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .collect();
    for want in [
        "./usr/bin/cccd-kiosk",
        "./etc/cccd-kiosk/kiosk.toml",
        "./usr/lib/udev/rules.d/93-cccd-kiosk-readers.rules",
        "./usr/lib/udev/rules.d/70-cccd-kiosk-camera.rules",
        "./usr/share/polkit-1/rules.d/60-cccd-kiosk-pcscd.rules",
        "./etc/modprobe.d/cccd-kiosk-nfc.conf",
    ] {
        assert!(paths.contains(&want), "{want} not in the .deb:\n{listing}");
    }
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("systemd/system/cccd-kiosk.service")),
        "{listing}"
    );
    let bin = listing
        .lines()
        .find(|l| l.ends_with("./usr/bin/cccd-kiosk"))
        .unwrap();
    assert!(
        bin.starts_with("-rwxr-xr-x") && (bin.contains(" 0/0 ") || bin.contains("root/root")),
        "{bin}"
    );
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("csca") || p.ends_with(".cer")),
        "test CSCA shipped:\n{listing}"
    );
    let ctl = dir_of_control(&deb);
    let conffiles = std::fs::read_to_string(ctl.path().join("conffiles")).unwrap();
    assert!(
        conffiles.lines().any(|l| l == "/etc/cccd-kiosk/kiosk.toml"),
        "{conffiles}"
    );
    let postinst = std::fs::read_to_string(ctl.path().join("postinst")).unwrap();
    assert!(postinst.contains("adduser --system") && !postinst.contains("#DEBHELPER#"));
    assert!(
        postinst.contains("deb-systemd-helper"),
        "cargo-deb's systemd snippet is in"
    );
    for script in ["postinst", "postrm", "prerm"] {
        let st = Command::new("sh")
            .arg("-n")
            .arg(ctl.path().join(script))
            .status()
            .unwrap();
        assert!(st.success(), "{script} of the .deb: sh -n");
    }
    let control = std::fs::read_to_string(ctl.path().join("control")).unwrap();
    assert!(
        control.contains("pcscd") && control.contains("cage"),
        "{control}"
    );
}

fn dir_of_control(deb: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new("dpkg-deb")
        .arg("-e")
        .arg(deb)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    dir
}
