//! Full card reads through a real pcscd + vpcd (run by `make bench`, which starts
//! the private pcscd): cccd-kiosk against the `dmrtd` crate on the same emulated
//! card (40 KB JPEG face, extended length offered), in the same run.
//! Prints APDUs, bytes and wall time for both, and the APDU minimum the file
//! sizes allow; criterion then times each full read. The card offers PACE too (as a
//! real CCCD): the time to open the chip with PACE-CAN and with BAC is printed and
//! timed as well (PACE's host CPU alone: `benches/pace_ecdh.rs`).

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
use cccd_kiosk::card::pcsc::PcscTransport;
use cccd_kiosk::card::read::MRTD_AID;
use cccd_kiosk::card::read::{read_card, CardRead};
use cccd_kiosk::card::reader::ReadCaps;
use cccd_kiosk::card::transport::exchange;
use cccd_kiosk::card::transport::CardTransport;
use criterion::{criterion_group, criterion_main, Criterion};
use dmrtd::com::{TransceiveError, Transceiver};
use std::time::{Duration, Instant};

const READER: &str = "Virtual PCD 00 00";

fn profile() -> CitizenProfile {
    let mut p = CitizenProfile::demo();
    p.chip.face = FaceImage::JpegLarge;
    p.chip.extended_length = true;
    // dmrtd asks B1 (offsets past 32 KB) for Le data bytes, not counting DO'53'.
    p.chip.odd_le_counts_data = true;
    p.chip.pace = true;
    p
}

fn insert_card() {
    let port: u16 = std::env::var("CCCD_VPCD_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .expect("CCCD_VPCD_PORT: run with `make bench`");
    let mut chip = personalise::chip(&profile(), None).expect("profile");
    std::thread::spawn(move || {
        let mut s = vpcd::connect("127.0.0.1", port, Duration::from_secs(10)).expect("vpcd");
        let _ = vpcd::serve(&mut chip, &mut s);
    });
    let start = Instant::now();
    while PcscTransport::connect_to(READER).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "virtual card not seen by pcscd"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
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

fn mean_ms(f: fn(), n: u32) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_secs_f64() * 1000.0 / n as f64
}

fn ours() -> CardRead {
    let t = PcscTransport::connect_to(READER).expect("connect");
    let atr = t.atr().to_vec();
    let plan = KeyPlan::from_document("195000123", "950314", "350314").expect("key");
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

fn bench(c: &mut Criterion) {
    insert_card();
    let first = ours();
    let t0 = Instant::now();
    let r = ours();
    let our_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let t1 = Instant::now();
    let (their_apdus, their_bytes) = theirs_counted();
    let their_ms = t1.elapsed().as_secs_f64() * 1000.0;
    // Minimum: per file one SELECT and ceil(size / largest SM reply), plus opening:
    // PACE (the MRZ key goes through PACE on a PACE chip): SELECT + READ EF.CardAccess,
    // MSE:Set AT, 4 GENERAL AUTHENTICATE, SELECT applet; BAC: SELECT EF.CardAccess,
    // SELECT applet, GET CHALLENGE, MUTUAL AUTHENTICATE.
    let chunk = 65536 - 32;
    let opening = if r.access.protocol == "PACE" { 8 } else { 4 };
    let min: usize = opening
        + r.files
            .values()
            .map(|f| 1 + f.len().div_ceil(chunk))
            .sum::<usize>();
    println!();
    println!("| reader (same card, same run) | APDUs | file bytes | wall time |");
    println!("|---|---|---|---|");
    println!(
        "| cccd-kiosk, first read (probes extended length) | {} | {} | {} ms |",
        first.apdus, first.bytes_read, first.millis
    );
    println!(
        "| cccd-kiosk | {} | {} | {:.0} ms |",
        r.apdus, r.bytes_read, our_ms
    );
    println!(
        "| dmrtd 0.3.5 | {} | {} | {:.0} ms |",
        their_apdus, their_bytes, their_ms
    );
    println!("| minimum the file sizes allow | {} | | |", min);
    println!(
        "ratios: APDUs {:.2}x the minimum; dmrtd needs {:.1}x more APDUs; wall time {:.2}x dmrtd's",
        r.apdus as f64 / min as f64,
        their_apdus as f64 / r.apdus as f64,
        our_ms / their_ms
    );
    let pace_ms = mean_ms(open_pace, 20);
    let bac_ms = mean_ms(open_bac, 20);
    println!();
    println!("| opening the chip (pcscd+vpcd, mean of 20) | wall time |");
    println!("|---|---|");
    println!("| PACE-CAN (brainpoolP256r1, AES-128) + SELECT applet | {pace_ms:.1} ms |");
    println!("| SELECT applet + BAC (3DES) | {bac_ms:.1} ms |");
    println!(
        "full read opened with {} in {} attempt(s)",
        r.access.protocol, r.access.attempts
    );
    let mut g = c.benchmark_group("opening the chip, pcscd+vpcd");
    g.sample_size(20);
    g.bench_function("PACE-CAN", |b| b.iter(open_pace));
    g.bench_function("BAC", |b| b.iter(open_bac));
    g.finish();
    let mut g = c.benchmark_group("full read, 40 KB face, pcscd+vpcd");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("cccd-kiosk", |b| b.iter(ours));
    g.bench_function("dmrtd", |b| b.iter(theirs_counted));
    g.finish();
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
