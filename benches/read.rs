//! Full card reads through a real pcscd + vpcd (run by `make bench`, which starts
//! the private pcscd): cccd-kiosk against the `dmrtd` crate on the same emulated
//! card (40 KB JPEG face, extended length offered), in the same run.
//!
//! Two insertions of the same citizen's card:
//! 1. as dmrtd can read it — BAC only — so the comparison is like for like: APDUs,
//!    bytes and wall time for both readers and the APDU minimum the file sizes allow;
//! 2. as a real CCCD is — PACE offered — read the way the kiosk reads it (PACE-CAN
//!    from the ID), and the time to open the chip with PACE-CAN and with BAC
//!    (PACE's host CPU alone: `benches/pace_ecdh.rs`).
//!
//! Criterion then times each full read and each opening.

use cccd_kiosk::card::access_key::{BacKey, KeyPlan};
use cccd_kiosk::card::apdu::Command;
use cccd_kiosk::card::bac;
use cccd_kiosk::card::emulator::{
    personalise,
    profile::{CitizenProfile, FaceImage},
    vpcd,
};
use cccd_kiosk::card::pace::{self, PaceProtocol, Password};
use cccd_kiosk::card::passive_auth::TrustStore;
use cccd_kiosk::card::pcsc::{list_readers, PcscTransport};
use cccd_kiosk::card::read::MRTD_AID;
use cccd_kiosk::card::read::{read_card, CardRead};
use cccd_kiosk::card::reader::ReadCaps;
use cccd_kiosk::card::transport::exchange;
use cccd_kiosk::card::transport::CardTransport;
use criterion::{criterion_group, criterion_main, Criterion};
use dmrtd::com::{TransceiveError, Transceiver};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

const READER: &str = "Virtual PCD 00 00";

fn profile(pace: bool) -> CitizenProfile {
    let mut p = CitizenProfile::demo();
    p.chip.face = FaceImage::JpegLarge;
    p.chip.extended_length = true;
    // dmrtd asks B1 (offsets past 32 KB) for Le data bytes, not counting DO'53'.
    p.chip.odd_le_counts_data = true;
    p.chip.pace = pace;
    p
}

/// Put the card on the vpcd reader; the returned stream pulls it out when shut down.
fn insert_card(pace: bool) -> TcpStream {
    let port: u16 = std::env::var("CCCD_VPCD_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .expect("CCCD_VPCD_PORT: run with `make bench`");
    let mut chip = personalise::chip(&profile(pace), None).expect("profile");
    let mut s = vpcd::connect("127.0.0.1", port, Duration::from_secs(10)).expect("vpcd");
    let handle = s.try_clone().expect("socket");
    std::thread::spawn(move || {
        let _ = vpcd::serve(&mut chip, &mut s);
    });
    wait_for_card(true);
    handle
}

/// Poll pcscd until the reader shows (or stops showing) a card.
fn wait_for_card(present: bool) {
    let start = Instant::now();
    loop {
        let shown = list_readers()
            .map(|rs| rs.iter().any(|r| r.name == READER && r.card_present))
            .unwrap_or(false);
        if shown == present {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "pcscd does not see the card {}",
            if present { "inserted" } else { "removed" }
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Pull the card out and wait until pcscd has seen it go.
fn remove_card(card: TcpStream) {
    let _ = card.shutdown(Shutdown::Both);
    wait_for_card(false);
}

/// Open the chip with PACE (CAN = last 6 ID digits) and select the applet under SM.
fn open_pace() {
    let mut t = PcscTransport::connect_to(READER).expect("connect");
    let s = pace::authenticate(
        &mut t,
        &PaceProtocol::cccd_default(),
        &Password::can("000123"),
        &mut rand::rngs::OsRng,
    )
    .expect("PACE");
    let mut sm = s.into_sm(t);
    let r = exchange(&mut sm, &Command::select_aid(&MRTD_AID)).expect("select");
    assert!(r.sw.is_success());
}

/// Select the applet and open the chip with BAC (the right expiry, one attempt).
fn open_bac() {
    let mut t = PcscTransport::connect_to(READER).expect("connect");
    let r = exchange(&mut t, &Command::select_aid(&MRTD_AID)).expect("select");
    assert!(r.sw.is_success());
    let key = BacKey {
        document_number: "195000123".into(),
        date_of_birth: "950314".into(),
        date_of_expiry: "350314".into(),
    };
    bac::authenticate(&mut t, &key.seed(), &mut rand::rngs::OsRng).expect("BAC");
}

/// The BAC card read from the MRZ fields, as dmrtd reads it.
fn ours_bac() -> CardRead {
    ours(KeyPlan::from_document("195000123", "950314", "350314").expect("key"))
}

/// The PACE card read from the CAN (last 6 digits of the ID), as the kiosk reads a CCCD.
fn ours_pace() -> CardRead {
    ours(KeyPlan::from_can("000123").expect("key"))
}

fn ours(plan: KeyPlan) -> CardRead {
    let t = PcscTransport::connect_to(READER).expect("connect");
    let atr = t.atr().to_vec();
    let caps = ReadCaps::remembered(READER, &atr);
    let r = read_card(
        t,
        &plan,
        caps,
        &TrustStore::empty(),
        chrono::Utc::now(),
        &mut |_| {},
    )
    .expect("read");
    r.caps.remember(READER, &atr);
    r
}

/// Per file one SELECT and ceil(size / largest SM reply), plus the opening:
/// PACE: SELECT + READ EF.CardAccess, MSE:Set AT, 4 GENERAL AUTHENTICATE, SELECT
/// applet; BAC: SELECT EF.CardAccess (refused), SELECT applet, GET CHALLENGE,
/// MUTUAL AUTHENTICATE.
fn minimum_apdus(r: &CardRead) -> usize {
    let chunk = 65536 - 32;
    let opening = if r.access.protocol == "PACE" { 8 } else { 4 };
    opening
        + r.files
            .values()
            .map(|f| 1 + f.len().div_ceil(chunk))
            .sum::<usize>()
}

/// The last result of `f` and its mean wall time over 10 runs, in ms.
fn timed<T>(f: impl Fn() -> T) -> (T, f64) {
    const RUNS: u32 = 10;
    let t = Instant::now();
    let mut out = f();
    for _ in 1..RUNS {
        out = f();
    }
    (out, t.elapsed().as_secs_f64() * 1000.0 / f64::from(RUNS))
}

fn bench(c: &mut Criterion) {
    // 1. BAC only, like for like with dmrtd.
    let card = insert_card(false);
    let first = ours_bac();
    let (r, our_ms) = timed(ours_bac);
    let ((their_apdus, their_bytes), their_ms) = timed(theirs_counted);
    let min = minimum_apdus(&r);
    let mut g = c.benchmark_group("full read, 40 KB face, pcscd+vpcd");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("cccd-kiosk (BAC)", |b| b.iter(ours_bac));
    g.bench_function("dmrtd (BAC)", |b| b.iter(theirs_counted));
    remove_card(card);

    // 2. The card as a CCCD is: PACE offered, opened with the CAN.
    let card = insert_card(true);
    let (p, pace_read_ms) = timed(ours_pace);
    let pace_min = minimum_apdus(&p);
    g.bench_function("cccd-kiosk (PACE-CAN)", |b| b.iter(ours_pace));
    g.finish();
    let (_, pace_ms) = timed(open_pace);
    let (_, bac_ms) = timed(open_bac);
    let mut g = c.benchmark_group("opening the chip, pcscd+vpcd");
    g.sample_size(20);
    g.bench_function("PACE-CAN", |b| b.iter(open_pace));
    g.bench_function("BAC", |b| b.iter(open_bac));
    g.finish();
    remove_card(card);

    println!();
    println!("| reader (same card, same run) | APDUs | file bytes | wall time (mean of 10) |");
    println!("|---|---|---|---|");
    println!(
        "| cccd-kiosk, BAC, first read (probes extended length) | {} | {} | {} ms |",
        first.apdus, first.bytes_read, first.millis
    );
    println!(
        "| cccd-kiosk, BAC | {} | {} | {our_ms:.1} ms |",
        r.apdus, r.bytes_read
    );
    println!("| dmrtd 0.3.5, BAC | {their_apdus} | {their_bytes} | {their_ms:.1} ms |");
    println!("| minimum the file sizes allow, BAC | {min} | | |");
    println!(
        "| cccd-kiosk, PACE-CAN ({} attempt) | {} | {} | {pace_read_ms:.1} ms |",
        p.access.attempts, p.apdus, p.bytes_read
    );
    println!("| minimum the file sizes allow, PACE | {pace_min} | | |");
    println!(
        "BAC: APDUs {:.2}x the minimum; dmrtd needs {:.1}x more APDUs; wall time {:.2}x dmrtd's",
        r.apdus as f64 / min as f64,
        their_apdus as f64 / r.apdus as f64,
        our_ms / their_ms
    );
    println!(
        "PACE: APDUs {:.2}x the minimum; wall time {:.2}x dmrtd's BAC read",
        p.apdus as f64 / pace_min as f64,
        pace_read_ms / their_ms
    );
    println!();
    println!("| opening the chip (pcscd+vpcd, mean of 10) | wall time |");
    println!("|---|---|");
    println!("| PACE-CAN (brainpoolP256r1, AES-128) + SELECT applet | {pace_ms:.1} ms |");
    println!("| SELECT applet + BAC (3DES) | {bac_ms:.1} ms |");
}

/// dmrtd with its APDUs counted through a shared counter.
fn theirs_counted() -> (usize, usize) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    struct Shared(PcscTransport, Arc<AtomicUsize>);
    impl Transceiver for Shared {
        fn transceive(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransceiveError> {
            self.1.fetch_add(1, Ordering::Relaxed);
            self.0
                .transmit(apdu)
                .map_err(|e| TransceiveError::new(e.to_string()))
        }
    }
    let n = Arc::new(AtomicUsize::new(0));
    let t = Shared(
        PcscTransport::connect_to(READER).expect("connect"),
        n.clone(),
    );
    let mut passport = dmrtd::passport::Passport::new(t);
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let key = dmrtd::proto::dba_key::DBAKey::new(
        "195000123",
        date(1995, 3, 14),
        date(2035, 3, 14),
        false,
    )
    .expect("key");
    passport.start_session(key).expect("BAC");
    let mut bytes = 0;
    for sfi in [0x1E, 0x01, 0x0D, 0x02, 0x1D] {
        bytes += passport
            .api_mut()
            .read_file_by_sfi(sfi)
            .expect("read")
            .len();
    }
    (n.load(Ordering::Relaxed), bytes)
}

criterion_group!(benches, bench);
criterion_main!(benches);
