//! The reader monitor sees what pcscd sees: the kiosk's "place your card" screen
//! lives on these events.

mod common;
use cccd_kiosk::card::emulator::profile::CitizenProfile;
use cccd_kiosk::card::monitor::{CardEvent, Monitor};
use cccd_kiosk::card::pcsc::ReaderFilter;
use common::*;
use std::sync::mpsc::Receiver;
use std::time::Duration;

fn next_for_reader(rx: &Receiver<CardEvent>, want: impl Fn(&CardEvent) -> bool) -> CardEvent {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(ev) if want(&ev) => return ev,
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    panic!("expected event did not come within 10 s");
}

#[test]
fn insert_and_remove_are_reported_with_the_atr() {
    let empty = empty_reader();
    let filter = ReaderFilter {
        name_contains: Some(READER.into()),
        allow_virtual: true,
    };
    let (monitor, rx) = Monitor::start(filter);
    next_for_reader(
        &rx,
        |e| matches!(e, CardEvent::ReaderAdded(n) if n == READER),
    );
    drop(empty);

    let card = VirtualCard::insert(&CitizenProfile::demo());
    match next_for_reader(&rx, |e| matches!(e, CardEvent::CardInserted { .. })) {
        CardEvent::CardInserted { reader, atr } => {
            assert_eq!(reader, READER);
            assert_eq!(hex::encode_upper(atr), "3B88800100000000778181007E");
        }
        _ => unreachable!(),
    }
    drop(card);
    next_for_reader(
        &rx,
        |e| matches!(e, CardEvent::CardRemoved(n) if n == READER),
    );
    // Dropping the monitor cancels its blocking wait and joins the thread promptly.
    let started = std::time::Instant::now();
    drop(monitor);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn virtual_readers_are_not_watched_unless_allowed() {
    let _empty = empty_reader();
    let (_monitor, rx) = Monitor::start(ReaderFilter::default());
    let events: Vec<CardEvent> = rx
        .recv_timeout(Duration::from_millis(1500))
        .into_iter()
        .collect();
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, CardEvent::ReaderAdded(n) if n.starts_with("Virtual PCD"))),
        "{events:?}"
    );
}

/// A pcscd the test itself runs (in its own mount namespace, see below).
struct Daemon(std::process::Child);

impl Daemon {
    /// Start `pcscd -f -c CONF` and wait for its socket.
    fn start(conf: &std::path::Path) -> Daemon {
        let child = std::process::Command::new("pcscd")
            .args(["-f", "-c"])
            .arg(conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        wait_for_socket(true);
        Daemon(child)
    }

    /// SIGTERM, so pcscd removes its socket as a service stop would.
    fn stop(mut self) {
        terminate(self.0.id());
        let _ = self.0.wait();
        wait_for_socket(false);
    }
}

fn terminate(pid: u32) {
    let status = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill {pid}");
}

fn wait_for_socket(up: bool) {
    let sock = std::path::Path::new("/run/pcscd/pcscd.comm");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while sock.exists() != up {
        assert!(
            std::time::Instant::now() < deadline,
            "pcscd did not {} within 10 s",
            if up { "start" } else { "stop" }
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// pcscd stopping, coming back without the reader, and coming back with it: what
/// a kiosk sees when pcscd is restarted (an upgrade) or a reader's driver goes.
///
/// Stopping the private pcscd that `make test` shares between all tests would
/// break the ones after this, so this test runs itself again under a pcscd of its
/// own: `scripts/with-pcscd` in a fresh mount namespace (its own /run/pcscd and
/// vpcd port), `CCCD_MONITOR_OWN_PCSCD=1` marking the inner run. The outer run
/// passes only when the inner one did.
#[test]
fn service_loss_and_reader_removal_are_reported_and_the_monitor_recovers() {
    const NAME: &str = "service_loss_and_reader_removal_are_reported_and_the_monitor_recovers";
    if std::env::var("CCCD_MONITOR_OWN_PCSCD").is_err() {
        let out =
            std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/with-pcscd"))
                .env_remove("CCCD_IN_NAMESPACE")
                .env("CCCD_MONITOR_OWN_PCSCD", "1")
                .arg(std::env::current_exe().unwrap())
                .args(["--exact", NAME, "--nocapture", "--test-threads", "1"])
                .output()
                .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        print!("{stdout}");
        eprint!("{stderr}");
        assert!(out.status.success(), "the inner run failed");
        assert!(
            stdout.contains("1 passed"),
            "the inner run did not run the test"
        );
        return;
    }

    // Inner run: this namespace's pcscd is ours to stop.
    let conf = std::path::Path::new(&std::env::var("CCCD_PCSCD_LOG").unwrap())
        .parent()
        .unwrap()
        .join("reader.conf.d");
    // pcscd writes its pid as text padded with NUL bytes.
    let pid: String = std::fs::read_to_string("/run/pcscd/pcscd.pid")
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let filter = ReaderFilter {
        name_contains: Some("Virtual PCD".into()),
        allow_virtual: true,
    };
    let (monitor, rx) = Monitor::start(filter);
    next_for_reader(
        &rx,
        |e| matches!(e, CardEvent::ReaderAdded(n) if n == READER),
    );

    // pcscd stops: the monitor says the service is gone.
    terminate(pid.parse().unwrap());
    wait_for_socket(false);
    match next_for_reader(&rx, |e| matches!(e, CardEvent::ServiceUnavailable(_))) {
        CardEvent::ServiceUnavailable(why) => println!("service unavailable: {why}"),
        _ => unreachable!(),
    }

    // pcscd comes back without the vpcd driver: the reader is gone.
    let empty = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(empty.path());
    next_for_reader(
        &rx,
        |e| matches!(e, CardEvent::ReaderRemoved(n) if n == READER),
    );
    daemon.stop();
    next_for_reader(&rx, |e| matches!(e, CardEvent::ServiceUnavailable(_)));

    // And with it again: the reader is back, and so is a card on it.
    let daemon = Daemon::start(&conf);
    next_for_reader(
        &rx,
        |e| matches!(e, CardEvent::ReaderAdded(n) if n == READER),
    );
    let card = VirtualCard::insert(&CitizenProfile::demo());
    next_for_reader(
        &rx,
        |e| matches!(e, CardEvent::CardInserted { reader, .. } if reader == READER),
    );
    drop(card);
    drop(monitor);
    daemon.stop();
}
