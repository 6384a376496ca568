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
