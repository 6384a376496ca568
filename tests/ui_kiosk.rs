//! The kiosk flow driven like a citizen would: egui_kittest taps buttons by their
//! label; the card is the project's emulator in-process (read on the worker thread),
//! the camera the synthetic one (a real portrait photo; the card's QR when asked),
//! the queue the in-memory sink. Each test asserts what the citizen sees and what
//! is (or is not) in the queue.

mod kiosk_ui;
use cccd_kiosk::camera::synthetic::SyntheticSource;
use cccd_kiosk::card::emulator::profile::CitizenProfile;
use cccd_kiosk::card::passive_auth::TrustStore;
use cccd_kiosk::queue::receipt::Receipt;
use cccd_kiosk::ui::cards::EmulatedCards;
use cccd_kiosk::ui::flow::Screen;
use cccd_kiosk::ui::sink::{Contact, MemorySink};
use cccd_kiosk::ui::{Config, KioskApp};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use kiosk_ui::{harness, save_screen, screen, tap, wait_for};
use std::time::{Duration, Instant};

const DEMO_QR: &str = "001195000123|012345678|Nguyễn Thị Thu Hương|14031995|Nữ|Số 12 Ngõ 34 Phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội|10072021";

fn camera(qr: bool) -> Box<SyntheticSource> {
    let mut c = SyntheticSource::new(qr.then(|| DEMO_QR.to_string()));
    c.frame_interval = Duration::from_millis(15);
    Box::new(c)
}

/// A citizen born on 1 January, `age` years ago (so `age` all year), female, with the
/// QR text of her card's front.
fn minor(age: i32) -> (CitizenProfile, String) {
    use chrono::Datelike;
    let year = chrono::Local::now().year() - age;
    let id = format!("0013{:02}000456", year % 100);
    let p = CitizenProfile {
        id_number: id.clone(),
        full_name: "Phạm Ngọc Ánh".into(),
        date_of_birth: format!("01/01/{year}"),
        date_of_issue: "10/07/2025".into(),
        date_of_expiry: format!("01/01/{}", year + 25),
        spouse_name: None,
        old_id_number: None,
        ..CitizenProfile::demo()
    };
    let qr = format!(
        "{id}||Phạm Ngọc Ánh|0101{year}|Nữ|Số 12 Ngõ 34 Phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội|10072025"
    );
    (p, qr)
}

fn kiosk(profile: CitizenProfile, qr: bool, sink: &MemorySink) -> Harness<'static, KioskApp> {
    let app = KioskApp::for_test(
        Box::new(EmulatedCards::new(profile)),
        camera(qr),
        Box::new(sink.clone()),
    );
    harness(app)
}

fn type_digits(h: &mut Harness<'static, KioskApp>, digits: &str) {
    for d in digits.chars() {
        tap(h, &d.to_string());
    }
}

/// Welcome → consent → (QR through the camera) → reading → review.
fn to_review(h: &mut Harness<'static, KioskApp>) {
    h.get_by_label("Đã có thẻ trên đầu đọc.");
    tap(h, "Kích hoạt định danh điện tử mức 2");
    assert_eq!(screen(h), "consent");
    tap(h, "Tôi đồng ý, tiếp tục");
    wait_for(h, "the chip read", |a| a.flow().screen == Screen::Review);
}

#[test]
fn happy_path_queues_one_record_with_normalised_phone_consent_and_chip_data() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), true, &sink);
    to_review(&mut h);
    h.get_by_label("Nguyễn Thị Thu Hương");
    h.get_by_label("001195000123");
    h.get_by_label("✔ Chip thật: chữ ký số hợp lệ, của cơ quan cấp thẻ.");
    assert!(
        sink.records.lock().unwrap().is_empty(),
        "nothing queued before the phone step"
    );

    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "photo");
    wait_for(&mut h, "the countdown capture", |a| {
        a.flow().session.photo.is_some()
    });
    h.get_by_label("Ảnh trên chip");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "phone");

    type_digits(&mut h, "0912345678");
    tap(&mut h, "Tiếp tục");
    h.get_by_label("Nhập lại số điện thoại một lần nữa");
    tap(&mut h, "+84");
    type_digits(&mut h, "912345678");
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::Done { .. })
    });

    let Screen::Done { receipt } = h.state().flow().screen.clone() else {
        panic!("not done: {}", screen(&h));
    };
    assert_eq!(
        Receipt::parse(&receipt).map(|r| r.to_string()).as_deref(),
        Ok(receipt.as_str()),
        "an 8-character code with a valid check character"
    );
    h.get_by_label(&receipt);
    h.get_by_label("Xin nhớ lấy lại thẻ căn cước!");
    assert!(
        !h.state().flow().session.holds_personal_data(),
        "the kiosk forgets the citizen once queued"
    );

    let records = sink.records.lock().unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.contact, Contact::Phone("+84912345678".into()));
    assert_eq!(r.service.as_str(), "eid_level2");
    assert_eq!(r.consent_version, cccd_kiosk::ui::flow::CONSENT_VERSION);
    assert!(r.consent_at <= r.created_at);
    let card: serde_json::Value = serde_json::from_str(&r.card_json).unwrap();
    assert_eq!(card["citizen"]["full_name"], "Nguyễn Thị Thu Hương");
    assert_eq!(card["citizen"]["id_number"], "001195000123");
    assert_eq!(card["verification"]["verdict"], "genuine");
    assert!(
        card["citizen"].get("religion").is_none() && card["citizen"].get("ethnicity").is_none()
    );
    assert_eq!(card["photo"]["sha256"], r.chip_photo_sha256.as_str());
    assert!(!r.sod.is_empty() && !r.dg1.is_empty() && !r.dg13.is_empty());
    assert_eq!(&r.live_jpeg[..2], &[0xFF, 0xD8], "live photo is a JPEG");
    assert_eq!(r.quality.faces, Some(1));
    assert!(!r.quality.officer_confirmed);
}

#[test]
fn declining_consent_reads_nothing_and_queues_nothing() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), true, &sink);
    tap(&mut h, "Kích hoạt định danh điện tử mức 2");
    tap(&mut h, "Không đồng ý");
    assert_eq!(screen(&h), "welcome");
    h.run_steps(20);
    assert_eq!(
        screen(&h),
        "welcome",
        "a card on the reader does not start a read without consent"
    );
    assert!(!h.state().flow().session.holds_personal_data());
    assert!(h.state().flow().session.service.is_none());
    assert!(sink.records.lock().unwrap().is_empty());
}

#[test]
fn idle_timeout_wipes_typed_data_and_returns_to_welcome() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), false, &sink);
    tap(&mut h, "Kích hoạt định danh điện tử mức 2");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    tap(&mut h, "Nhập số định danh");
    type_digits(&mut h, "0011950");
    assert!(h.state().flow().session.holds_personal_data());
    h.state_mut().pretend_idle(Duration::from_secs(61));
    h.run_ok();
    assert_eq!(screen(&h), "welcome");
    assert!(!h.state().flow().session.holds_personal_data());
    h.get_by_label("Xin chào! Bạn cần làm gì hôm nay?");
    assert!(sink.records.lock().unwrap().is_empty());
}

#[test]
fn typed_key_errors_name_the_field_in_vietnamese() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), false, &sink);
    tap(&mut h, "Kích hoạt định danh điện tử mức 2");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    tap(&mut h, "Nhập số định danh");
    type_digits(&mut h, "00119500012");
    tap(&mut h, "Tiếp tục");
    h.get_by_label("Số định danh phải có đủ 12 chữ số.");
    type_digits(&mut h, "3"); // 12 digits: the keypad moves on to the date of birth
    type_digits(&mut h, "31021995");
    tap(&mut h, "Tiếp tục");
    h.get_by_label("Ngày sinh không phải một ngày có thật. Nhập ngày, tháng, năm (8 chữ số).");
    for _ in 0..8 {
        tap(&mut h, "Xoá");
    }
    type_digits(&mut h, "14031996");
    tap(&mut h, "Tiếp tục");
    h.get_by_label("Ngày sinh không khớp với số định danh (năm sinh khác). Xin kiểm tra lại.");
    assert_eq!(screen(&h), "card_key");
}

#[test]
fn a_key_the_chip_refuses_sends_the_citizen_back_to_check_the_fields() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), false, &sink);
    tap(&mut h, "Kích hoạt định danh điện tử mức 2");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    tap(&mut h, "Nhập số định danh");
    type_digits(&mut h, "001195000123");
    type_digits(&mut h, "15031995"); // a real date, the right year, the wrong day
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the refusal", |a| {
        a.flow().screen == Screen::CardKey
    });
    h.get_by_label(
        "Chip không mở được với thông tin đã nhập: xin kiểm tra lại Số định danh hoặc ngày sinh.",
    );
    assert!(sink.records.lock().unwrap().is_empty());
}

#[test]
fn card_pulled_mid_read_is_explained_and_the_citizen_asked_to_put_it_back() {
    let sink = MemorySink::default();
    let mut p = CitizenProfile::demo();
    p.chip.remove_after_apdus = Some(12);
    let mut h = kiosk(p, true, &sink);
    tap(&mut h, "Kích hoạt định danh điện tử mức 2");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    wait_for(&mut h, "the failed read", |a| {
        a.flow().screen == Screen::PlaceCard
    });
    h.get_by_label(
        "Thẻ đã bị nhấc ra khi đang đọc. Xin đặt lại thẻ và giữ yên cho đến khi đọc xong.",
    );
    assert!(h.state().flow().session.card.is_none());
    assert!(sink.records.lock().unwrap().is_empty());
}

#[test]
fn a_tampered_chip_shows_a_warning_and_the_officer_decides() {
    let sink = MemorySink::default();
    let mut p = CitizenProfile::demo();
    p.chip.tamper_dg = Some(13);
    let mut h = kiosk(p, true, &sink);
    to_review(&mut h);
    h.get_by_label("⚠ Dữ liệu trên chip không khớp chữ ký số. Cán bộ cần kiểm tra thẻ.");
    tap(&mut h, "Cán bộ đã kiểm tra, tiếp tục");
    assert_eq!(screen(&h), "photo");
}

#[test]
fn an_unprovisioned_trust_store_is_a_neutral_note_not_an_alarm() {
    let sink = MemorySink::default();
    let app = KioskApp::new(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        camera(true),
        Box::new(sink.clone()),
        TrustStore::empty(),
        Config::for_test(),
    );
    let mut h = harness(app);
    to_review(&mut h);
    h.get_by_label("Chữ ký số đúng nhưng chưa đối chiếu được với cơ quan cấp (máy chưa có chứng thư gốc). Cán bộ lưu ý.");
    h.get_by_label("Tiếp tục");
}

#[test]
fn invalid_and_mismatched_phone_numbers_are_refused_in_vietnamese() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), true, &sink);
    to_review(&mut h);
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the capture", |a| a.flow().session.photo.is_some());
    tap(&mut h, "Tiếp tục");
    type_digits(&mut h, "0243826888"); // a Hà Nội landline
    tap(&mut h, "Tiếp tục");
    h.get_by_label("Số điện thoại di động phải bắt đầu bằng 03, 05, 07, 08 hoặc 09.");
    for _ in 0..10 {
        tap(&mut h, "Xoá");
    }
    type_digits(&mut h, "0987654321");
    tap(&mut h, "Tiếp tục");
    type_digits(&mut h, "0987654322");
    tap(&mut h, "Tiếp tục");
    h.get_by_label("Hai lần nhập Số điện thoại không giống nhau. Xin nhập lại lần hai.");
    assert_eq!(screen(&h), "phone");
    assert!(sink.records.lock().unwrap().is_empty());
}

#[test]
fn retake_discards_the_photo_and_captures_a_new_one() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), true, &sink);
    to_review(&mut h);
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the capture", |a| a.flow().session.photo.is_some());
    let first = h
        .state()
        .flow()
        .session
        .photo
        .as_ref()
        .unwrap()
        .sha256
        .clone();
    tap(&mut h, "Chụp lại");
    assert!(h.state().flow().session.photo.is_none());
    wait_for(&mut h, "the second capture", |a| {
        a.flow().session.photo.is_some()
    });
    // the synthetic face drifts, so a new capture is a new picture
    assert_ne!(
        h.state().flow().session.photo.as_ref().unwrap().sha256,
        first
    );
}

#[test]
fn officer_mode_needs_the_pin_and_keeps_its_settings() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), true, &sink);
    tap(&mut h, "Cán bộ");
    type_digits(&mut h, "1111");
    tap(&mut h, "Mở khoá");
    wait_for(&mut h, "the PIN check", |a| a.flow().pin_failures == 1);
    h.get_by_label("Mã PIN không đúng. Còn 4 lần thử.");
    type_digits(&mut h, "2468");
    tap(&mut h, "Mở khoá");
    wait_for(&mut h, "the unlock", |a| {
        a.flow().screen == Screen::Officer { unlocked: true }
    });
    tap(&mut h, "Mã cán bộ: —");
    type_digits(&mut h, "4521");
    tap(&mut h, "Mã đơn vị (xã/phường): —");
    type_digits(&mut h, "00031");
    tap(&mut h, "Lưu động");
    tap(&mut h, "Lưu");
    assert_eq!(screen(&h), "welcome");
    let o = &h.state().flow().officer;
    assert_eq!(
        (o.officer_id.as_str(), o.unit.as_str(), o.mode.as_str()),
        ("4521", "00031", "outreach")
    );
}

#[test]
fn the_kiosk_writes_one_durable_encrypted_record_whose_receipt_the_citizen_sees() {
    use cccd_kiosk::queue::store::{ListFilter, Store};
    let dir = tempfile::tempdir().unwrap();
    let sink = cccd_kiosk::queue::sink::StoreSink::open(dir.path(), "HN-TEST-01", "00001").unwrap();
    let app = KioskApp::for_test(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        camera(true),
        Box::new(sink),
    );
    let mut h = harness(app);
    to_review(&mut h);
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the countdown capture", |a| {
        a.flow().session.photo.is_some()
    });
    tap(&mut h, "Tiếp tục");
    type_digits(&mut h, "0912345678");
    tap(&mut h, "Tiếp tục");
    type_digits(&mut h, "0912345678");
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::Done { .. })
    });
    let Screen::Done { receipt } = h.state().flow().screen.clone() else {
        panic!("not done: {}", screen(&h));
    };
    drop(h);

    // After a restart (a new Store on the same directory) the record is there, complete.
    let store = Store::open(dir.path()).unwrap();
    let list = store.list(&ListFilter::default()).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].receipt, receipt,
        "the receipt shown is the one kept"
    );
    assert_eq!(list[0].kiosk_id, "HN-TEST-01");
    let rec = store.get(list[0].id).unwrap();
    assert_eq!(
        rec.personal.card.citizen["full_name"],
        "Nguyễn Thị Thu Hương"
    );
    assert!(rec.personal.card.citizen.get("religion").is_none());
    assert_eq!(&rec.personal.live_photo.jpeg[..2], &[0xFF, 0xD8]);
    assert!(format!("{:?}", rec.personal.contact).contains("+84912345678"));
    // and nothing of the citizen is readable in the database file
    let db = std::fs::read(dir.path().join(cccd_kiosk::queue::store::DB_FILE)).unwrap();
    assert!(!db.windows(12).any(|w| w == b"001195000123"));
}

/// Walk one citizen from Welcome to Done (QR camera, countdown photo, phone typed twice).
fn serve_citizen(h: &mut Harness<'static, KioskApp>) {
    to_review(h);
    tap(h, "Tiếp tục");
    wait_for(h, "the countdown capture", |a| {
        a.flow().session.photo.is_some()
    });
    tap(h, "Tiếp tục");
    type_digits(h, "0912345678");
    tap(h, "Tiếp tục");
    type_digits(h, "0912345678");
    tap(h, "Tiếp tục");
    wait_for(h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::Done { .. })
    });
}

#[test]
fn configured_officers_unlock_with_their_own_pin_and_lock_out_after_repeated_failures() {
    let sink = MemorySink::default();
    let mut config = Config::for_test();
    config.officer_pin = "2468".into(); // ignored: the config names officers
    config.officers = vec![
        cccd_kiosk::config::Officer {
            id: "can-bo-01".into(),
            name: "Lê Thị Hoa".into(),
            pin_hash: cccd_kiosk::config::hash_pin("112233").unwrap(),
        },
        cccd_kiosk::config::Officer {
            id: "can-bo-07".into(),
            name: "Trần Văn Bình".into(),
            pin_hash: cccd_kiosk::config::hash_pin("135790").unwrap(),
        },
    ];
    config.pin_attempts = 3;
    config.pin_lockout = Duration::from_secs(2);
    let app = KioskApp::for_test_with(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        camera(true),
        Box::new(sink.clone()),
        config,
    );
    let mut h = harness(app);
    tap(&mut h, "Cán bộ");
    for (n, pin) in ["2468", "111111", "135791"].into_iter().enumerate() {
        type_digits(&mut h, pin);
        tap(&mut h, "Mở khoá");
        if n < 2 {
            wait_for(&mut h, "the PIN check", |a| {
                a.flow().pin_failures == n as u32 + 1
            });
            h.get_by_label(&format!("Mã PIN không đúng. Còn {} lần thử.", 2 - n));
        }
    }
    wait_for(&mut h, "the lock-out", |a| {
        a.flow().pin_locked_until.is_some()
    });
    h.get_by_label_contains("Đã nhập sai mã PIN 3 lần: chế độ cán bộ bị khoá đến");
    // While locked, even the right PIN is not taken: the keypad is gone.
    assert!(h.query_by_label("5").is_none());
    tap(&mut h, "Mở khoá");
    assert_eq!(h.state().flow().screen, Screen::Officer { unlocked: false });
    std::thread::sleep(Duration::from_millis(2100));
    h.run_ok();
    type_digits(&mut h, "135790");
    tap(&mut h, "Mở khoá");
    wait_for(&mut h, "the unlock", |a| {
        a.flow().screen == Screen::Officer { unlocked: true }
    });
    // The officer is the one whose PIN matched; only the unit is typed.
    h.get_by_label("Mã cán bộ: can-bo-07 Trần Văn Bình");
    assert!(h.query_by_label("Mã cán bộ: —").is_none());
    tap(&mut h, "Mã đơn vị (xã/phường): —");
    type_digits(&mut h, "00031");
    tap(&mut h, "Lưu");
    assert_eq!(screen(&h), "welcome");

    serve_citizen(&mut h);
    let records = sink.records.lock().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].officer_id.as_deref(), Some("can-bo-07"));
    assert_eq!(records[0].unit.as_deref(), Some("00031"));
}

#[test]
fn language_and_idle_timeout_come_from_the_config() {
    let sink = MemorySink::default();
    let mut config = Config::for_test();
    config.language = cccd_kiosk::ui::i18n::Lang::En;
    config.idle_timeout = Duration::from_secs(20);
    let app = KioskApp::for_test_with(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        camera(false),
        Box::new(sink.clone()),
        config,
    );
    let mut h = harness(app);
    h.get_by_label("Hello! What would you like to do today?");
    tap(&mut h, "Tiếng Việt");
    tap(&mut h, "Kích hoạt định danh điện tử mức 2");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    tap(&mut h, "Nhập số định danh");
    type_digits(&mut h, "0011");
    h.state_mut().pretend_idle(Duration::from_secs(15));
    h.run_ok();
    assert_eq!(screen(&h), "card_key", "15 s is under the configured 20 s");
    h.state_mut().pretend_idle(Duration::from_secs(21));
    h.run_ok();
    assert_eq!(screen(&h), "welcome");
    assert!(!h.state().flow().session.holds_personal_data());
    // Back in the configured language for the next citizen.
    h.get_by_label("Hello! What would you like to do today?");
    assert!(sink.records.lock().unwrap().is_empty());
}

fn camera_showing(qr: &str) -> Box<SyntheticSource> {
    let mut c = SyntheticSource::new(Some(qr.to_string()));
    c.frame_interval = Duration::from_millis(15);
    Box::new(c)
}

#[test]
fn a_citizen_aged_15_needs_the_guardian_recorded_before_the_record_is_queued() {
    use cccd_kiosk::queue::store::{ListFilter, Store};
    let dir = tempfile::tempdir().unwrap();
    let sink = cccd_kiosk::queue::sink::StoreSink::open(dir.path(), "HN-TEST-01", "00001").unwrap();
    let (profile, qr) = minor(15);
    let app = KioskApp::for_test(
        Box::new(EmulatedCards::new(profile)),
        camera_showing(&qr),
        Box::new(sink),
    );
    let mut h = harness(app);
    to_review(&mut h);
    h.get_by_label("Phạm Ngọc Ánh");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "guardian");
    h.get_by_label_contains("Công dân 15 tuổi: cần người giám hộ");
    // Every button is on the 1280×800 screen (a button below the edge cannot be touched).
    assert!(
        h.get_by_label("Người giám hộ đồng ý, tiếp tục")
            .rect()
            .max
            .y
            <= 800.0
    );
    assert!(h.get_by_label("O").rect().max.x <= 1280.0);
    tap(&mut h, "Người giám hộ đồng ý, tiếp tục");
    h.get_by_label("Xin nhập Họ tên người giám hộ đầy đủ (họ và tên).");
    // TRẦN THỊ MAI on the name keyboard: tones go on the vowel just typed.
    for k in ["T", "R", "Â", "N"] {
        tap(&mut h, k);
    }
    tap(&mut h, "◌̀ huyền");
    tap(&mut h, "␣");
    for k in ["T", "H", "I"] {
        tap(&mut h, k);
    }
    tap(&mut h, "◌̣ nặng");
    tap(&mut h, "␣");
    for k in ["M", "A", "I"] {
        tap(&mut h, k);
    }
    assert_eq!(h.state().flow().session.guardian.full_name, "TRẦN THỊ MAI");
    h.get_by_label("Họ tên người giám hộ: TRẦN THỊ MAI");
    tap(&mut h, "Người giám hộ đồng ý, tiếp tục");
    h.get_by_label("Xin chọn Quan hệ với công dân.");
    assert!(
        h.get_by_label("Người giám hộ đồng ý, tiếp tục")
            .rect()
            .max
            .y
            <= 800.0
    );
    tap(&mut h, "Mẹ");
    tap(&mut h, "Số định danh người giám hộ: —");
    let own_id = h
        .state()
        .flow()
        .session
        .card
        .as_ref()
        .unwrap()
        .id_number
        .clone();
    type_digits(&mut h, &own_id);
    tap(&mut h, "Người giám hộ đồng ý, tiếp tục");
    h.get_by_label("Số định danh người giám hộ không được trùng với số của công dân.");
    for _ in 0..12 {
        tap(&mut h, "Xoá");
    }
    type_digits(&mut h, "001310000999"); // born 2010: a minor
    tap(&mut h, "Người giám hộ đồng ý, tiếp tục");
    h.get_by_label(
        "Số định danh người giám hộ cho thấy người này chưa đủ 18 tuổi: người giám hộ phải là người thành niên.",
    );
    for _ in 0..12 {
        tap(&mut h, "Xoá");
    }
    type_digits(&mut h, "001180000789"); // a woman born 1980
    tap(&mut h, "Người giám hộ đồng ý, tiếp tục");
    assert_eq!(screen(&h), "photo");
    wait_for(&mut h, "the countdown capture", |a| {
        a.flow().session.photo.is_some()
    });
    tap(&mut h, "Tiếp tục");
    type_digits(&mut h, "0912345678");
    tap(&mut h, "Tiếp tục");
    type_digits(&mut h, "0912345678");
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::Done { .. })
    });
    drop(h);

    let store = Store::open(dir.path()).unwrap();
    let list = store.list(&ListFilter::default()).unwrap();
    assert_eq!(list.len(), 1);
    let g = store
        .get(list[0].id)
        .unwrap()
        .personal
        .consent
        .guardian
        .unwrap();
    assert_eq!(g.full_name, "TRẦN THỊ MAI");
    assert_eq!(g.relation, "Mẹ");
    assert_eq!(g.id_number.as_deref(), Some("001180000789"));
}

#[test]
fn a_citizen_under_14_is_refused_with_a_clear_message_and_nothing_is_queued() {
    let sink = MemorySink::default();
    let (profile, qr) = minor(13);
    let app = KioskApp::for_test(
        Box::new(EmulatedCards::new(profile)),
        camera_showing(&qr),
        Box::new(sink.clone()),
    );
    let mut h = harness(app);
    to_review(&mut h);
    h.get_by_label(
        "Công dân dưới 14 tuổi chưa thể tự làm thủ tục này tại máy. Cha, mẹ hoặc người giám hộ làm thủ tục thay tại quầy cán bộ.",
    );
    assert!(h.query_by_label("Tiếp tục").is_none(), "no way forward");
    tap(&mut h, "Huỷ");
    assert_eq!(screen(&h), "welcome");
    assert!(!h.state().flow().session.holds_personal_data());
    assert!(sink.records.lock().unwrap().is_empty());
}

/// From Review to the contact step (photo captured, accepted).
fn to_contact(h: &mut Harness<'static, KioskApp>) {
    to_review(h);
    tap(h, "Tiếp tục");
    wait_for(h, "the countdown capture", |a| {
        a.flow().session.photo.is_some()
    });
    tap(h, "Tiếp tục");
    assert_eq!(screen(h), "phone");
}

#[test]
fn a_relatives_number_or_an_email_and_a_warning_for_a_number_already_used_today() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), true, &sink);
    serve_citizen(&mut h); // own number 0912 345 678
    tap(&mut h, "Hoàn tất");

    // The next citizen gives a relative's number, the same one.
    to_contact(&mut h);
    tap(&mut h, "Số người thân");
    type_digits(&mut h, "0912345678");
    tap(&mut h, "Tiếp tục");
    h.get_by_label("Xin chọn quan hệ với người thân.");
    tap(&mut h, "Con");
    tap(&mut h, "Tiếp tục");
    type_digits(&mut h, "0912345678");
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the duplicate check", |a| {
        a.flow().session.phone.duplicate.is_some()
    });
    h.get_by_label("Số 0912 345 678 đã được dùng cho 1 hồ sơ khác hôm nay. Nếu đúng là số của bạn hoặc gia đình bạn, vẫn có thể dùng.");
    assert_eq!(
        sink.records.lock().unwrap().len(),
        1,
        "a warning, not yet saved"
    );
    tap(&mut h, "Vẫn dùng số này");
    wait_for(&mut h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::Done { .. })
    });
    tap(&mut h, "Hoàn tất");

    // A third citizen gives an e-mail address.
    to_contact(&mut h);
    tap(&mut h, "E-mail");
    for k in ["h", "u", "o", "n", "g"] {
        tap(&mut h, k);
    }
    tap(&mut h, "Tiếp tục");
    h.get_by_label("Địa chỉ e-mail chưa đúng (ví dụ: ten@gmail.com).");
    tap(&mut h, "@gmail.com");
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::Done { .. })
    });

    let r = sink.records.lock().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].contact, Contact::Phone("+84912345678".into()));
    assert_eq!(
        r[1].contact,
        Contact::RelativePhone {
            phone: "+84912345678".into(),
            relation: "Con".into()
        }
    );
    assert_eq!(r[2].contact, Contact::Email("huong@gmail.com".into()));
}

#[test]
fn the_record_is_written_off_the_ui_thread_and_a_failed_save_keeps_the_data_for_a_retry() {
    let sink = MemorySink {
        delay: Duration::from_millis(400),
        ..MemorySink::default()
    };
    *sink.fail_with.lock().unwrap() = Some("disk full (ENOSPC)".into());
    let mut h = kiosk(CitizenProfile::demo(), true, &sink);
    to_contact(&mut h);
    type_digits(&mut h, "0987654321");
    tap(&mut h, "Tiếp tục");
    type_digits(&mut h, "0987654321");
    let t = std::time::Instant::now();
    tap(&mut h, "Tiếp tục");
    // The frame came back before the slow sink finished: the UI did not wait.
    wait_for(&mut h, "the saving screen", |a| {
        a.flow().session.phone.saving
    });
    h.get_by_label("Đang lưu hồ sơ…");
    assert!(
        t.elapsed() < Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    wait_for(&mut h, "the failure", |a| !a.flow().session.phone.saving);
    h.get_by_label("Chưa lưu được hồ sơ. Xin báo cán bộ.");
    h.get_by_label("Chi tiết cho cán bộ: disk full (ENOSPC)");
    assert_eq!(screen(&h), "phone");
    assert!(
        sink.records.lock().unwrap().is_empty(),
        "nothing half-written"
    );
    let s = &h.state().flow().session;
    assert!(
        s.card.is_some() && s.photo.is_some(),
        "the citizen's data are kept"
    );

    *sink.fail_with.lock().unwrap() = None;
    tap(&mut h, "Thử lưu lại");
    wait_for(&mut h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::Done { .. })
    });
    let r = sink.records.lock().unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].contact, Contact::Phone("+84987654321".into()));
}

#[test]
fn officer_diagnostics_show_each_check_with_advice_in_vietnamese_and_the_camera_frame_rate() {
    use cccd_kiosk::ui::screens::diagnostics::DiagnosticsSetup;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("not-created");
    let sink = MemorySink::default();
    let mut config = Config::for_test();
    config.diagnostics = Some(DiagnosticsSetup {
        loaded: cccd_kiosk::config::Loaded {
            config: cccd_kiosk::config::Config::default(),
            path: None,
        },
        data_dir: data_dir.clone(),
        allow_virtual: false,
        with_emulator: true,
    });
    /// A webcam at 25 frames per second (a frame every 40 ms), whatever the CPU.
    struct Webcam25;
    impl cccd_kiosk::camera::FrameSource for Webcam25 {
        fn next_frame(&mut self) -> Result<image::RgbImage, cccd_kiosk::camera::CameraError> {
            std::thread::sleep(Duration::from_millis(40));
            Ok(image::RgbImage::new(64, 48))
        }
    }
    let app = KioskApp::for_test_with(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        Box::new(Webcam25),
        Box::new(sink.clone()),
        config,
    );
    let mut h = harness(app);
    tap(&mut h, "Cán bộ");
    type_digits(&mut h, "2468");
    tap(&mut h, "Mở khoá");
    wait_for(&mut h, "the unlock", |a| {
        a.flow().screen == Screen::Officer { unlocked: true }
    });
    tap(&mut h, "Chẩn đoán");
    assert_eq!(screen(&h), "diagnostics");
    wait_for(&mut h, "the checks", |a| a.flow().diagnostics.is_some());
    // The doctor's own checks and advice, in Vietnamese.
    h.get_by_label("⚠ Cần chú ý: Cấu hình máy");
    h.get_by_label_contains("Cách xử lý: Ghi kiosk_id và unit");
    h.get_by_label("✖ Lỗi: Ổ đĩa");
    h.get_by_label_contains("Cách xử lý: Tạo thư mục dữ liệu");
    h.get_by_label("✔ Đạt: Đọc thử thẻ mô phỏng");
    h.get_by_label_contains("lỗi,");
    // The camera's frame rate, measured from the kiosk's own source.
    wait_for(&mut h, "the frame rate", |a| {
        a.flow().diagnostics.is_some() && a.flow().screen == Screen::Diagnostics
    });
    let t = Instant::now();
    while h.query_by_label_contains("khung hình/giây").is_none()
        || h.query_by_label_contains("đang đo").is_some()
    {
        assert!(t.elapsed() < Duration::from_secs(10), "no frame rate shown");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = format!("{:?}", h.get_by_label_contains("khung hình/giây"));
    let fps: f64 = text
        .split("Camera: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        (15.0..=25.5).contains(&fps),
        "{fps} frames/s from a 25 fps camera"
    );
    // Nothing about citizens is touched: no record, no data directory made.
    assert!(sink.records.lock().unwrap().is_empty());
    assert!(!data_dir.exists());
    tap(&mut h, "Quay lại");
    assert_eq!(h.state().flow().screen, Screen::Officer { unlocked: true });
}

#[test]
fn place_card_follows_the_reader_being_unplugged_and_plugged_back() {
    let sink = MemorySink::default();
    let cards = EmulatedCards::empty_reader(CitizenProfile::demo());
    let reader = cards.handle();
    let app = KioskApp::for_test(Box::new(cards), camera(false), Box::new(sink.clone()));
    let mut h = harness(app);
    h.get_by_label("Đầu đọc thẻ sẵn sàng.");
    tap(&mut h, "Kích hoạt định danh điện tử mức 2");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    assert_eq!(screen(&h), "place_card");
    h.get_by_label("Đặt thẻ nằm phẳng trên đầu đọc, mặt có chip hướng lên.");
    reader.unplug_reader();
    h.run_ok();
    h.get_by_label("Chưa thấy đầu đọc thẻ. Xin báo cán bộ.");
    reader.plug_reader();
    h.run_ok();
    h.get_by_label("Đặt thẻ nằm phẳng trên đầu đọc, mặt có chip hướng lên.");
    reader.insert();
    h.run_ok();
    assert_eq!(screen(&h), "card_key");
    // Unplugged while the key is typed: back to Place card, told why.
    reader.unplug_reader();
    h.run_ok();
    assert_eq!(screen(&h), "place_card");
    h.get_by_label("Đầu đọc thẻ vừa bị rút ra. Xin cắm lại đầu đọc hoặc báo cán bộ.");
    h.get_by_label("Chưa thấy đầu đọc thẻ. Xin báo cán bộ.");
    reader.plug_reader();
    h.run_ok();
    assert!(h
        .query_by_label("Đầu đọc thẻ vừa bị rút ra. Xin cắm lại đầu đọc hoặc báo cán bộ.")
        .is_none());
    h.get_by_label("Đặt thẻ nằm phẳng trên đầu đọc, mặt có chip hướng lên.");
    assert!(sink.records.lock().unwrap().is_empty());
}
#[test]
fn the_supervisor_exports_to_a_usb_drive_verifies_and_imports_results_behind_the_passphrase() {
    use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
    use cccd_kiosk::queue::store::Store;
    use cccd_kiosk::queue::Status;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut store = Store::open(&data).unwrap();
    store.set_supervisor_passphrase(None, "13572468").unwrap();
    let ids: Vec<_> = (0..3)
        .map(|n| {
            store
                .append(&NewActivation::synthetic(n, synthetic_jpeg(n.into(), 48)))
                .unwrap()
        })
        .collect();
    drop(store);
    // A USB stick as udisks mounts it: /media/<user>/<label>.
    let media = dir.path().join("media");
    let usb = media.join("canbo").join("USB-TO3");
    std::fs::create_dir_all(&usb).unwrap();
    let province = age::x25519::Identity::generate();
    let config = Config {
        data_dir: Some(data.clone()),
        export_recipient: Some(province.to_public().to_string()),
        removable_roots: vec![media.clone()],
        ..Config::for_test()
    };
    let app = KioskApp::new(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        camera(false),
        Box::new(MemorySink::default()),
        TrustStore::empty(),
        config,
    );
    let mut h = harness(app);
    tap(&mut h, "Cán bộ");
    type_digits(&mut h, "2468");
    tap(&mut h, "Mở khoá");
    wait_for(&mut h, "the unlock", |a| {
        a.flow().screen == Screen::Officer { unlocked: true }
    });
    tap(&mut h, "Giám sát cuối ngày");
    assert_eq!(screen(&h), "supervisor");

    // A wrong passphrase shows nothing of the queue.
    type_digits(&mut h, "1111");
    tap(&mut h, "Mở");
    h.get_by_label("supervisor passphrase: wrong passphrase");
    assert!(h.query_by_label("Chờ xuất: 3 hồ sơ").is_none());
    type_digits(&mut h, "13572468");
    tap(&mut h, "Mở");
    h.get_by_label("Chờ xuất: 3 hồ sơ");
    h.get_by_label(&usb.display().to_string());

    // Export to the stick, with progress, on a worker thread.
    // (The screen repaints while the export runs: step, do not run to rest.)
    h.get_by_label("Xuất ra ổ đã chọn").click();
    let t = Instant::now();
    while h.query_by_label("Chờ xuất: 0 hồ sơ").is_none() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "export did not finish"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_ok();
    let bundle = std::fs::read_dir(&usb)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("manifest.json").is_file())
        .expect("a bundle on the stick");
    let v = cccd_kiosk::queue::export::verify(&bundle, Some(&province)).unwrap();
    assert_eq!(v.records_checked, 3);
    let store = Store::open(&data).unwrap();
    assert!(ids
        .iter()
        .all(|id| store.get(*id).unwrap().summary.status == Status::Exported));
    drop(store);

    // Verify what is on the stick.
    tap(&mut h, "Kiểm tra các lô trên ổ");
    h.get_by_label(&format!(
        "{}: lô {} nguyên vẹn",
        bundle.file_name().unwrap().to_string_lossy(),
        v.batch_id
    ));

    // Results come back on the stick: one accepted, one id the kiosk never made.
    let stranger = cccd_kiosk::queue::RecordId::new_v7();
    std::fs::write(
        usb.join("ketqua.csv"),
        format!(
            "record_id,status,reason\n{},accepted,\n{stranger},accepted,\n",
            ids[0]
        ),
    )
    .unwrap();
    h.run_ok();
    tap(&mut h, "Nhập kết quả: ketqua.csv");
    h.get_by_label("ketqua.csv: cập nhật 1 hồ sơ, 0 không đổi");
    h.get_by_label(
        "ketqua.csv: 1 mã không có ở kiosk này, 0 chưa từng xuất: không thay đổi gì cho các mã đó",
    );
    let store = Store::open(&data).unwrap();
    assert_eq!(store.get(ids[0]).unwrap().summary.status, Status::Accepted);
    assert_eq!(store.get(ids[1]).unwrap().summary.status, Status::Exported);
    drop(store);

    // Leaving locks it again.
    tap(&mut h, "Quay lại");
    assert_eq!(screen(&h), "officer");
    tap(&mut h, "Giám sát cuối ngày");
    assert!(h.query_by_label("Chờ xuất: 0 hồ sơ").is_none());
}

#[test]
fn the_officer_opens_the_tracker_sees_the_roster_with_served_badges_and_leaving_drops_it() {
    use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
    use cccd_kiosk::queue::store::Store;
    use cccd_kiosk::tracker::{roster::import_roster, units::import_units};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut store = Store::open(&data).unwrap();
    let units = "code,name,level,parent_code\nX01,Xã Ka Lăng,commune,\nT011,Bản Tá Ú,village,X01\n";
    assert!(import_units(&mut store, units.as_bytes(), "units.csv")
        .unwrap()
        .rejected
        .is_empty());
    // NewActivation::synthetic(3) carries ID number 001199000003: served.
    let roster =
        "id_number,full_name,date_of_birth,sex,unit_code,address,classification,officer_id\n\
                  001199000003,Pờ Xuân Hùng,1990-05-17,Nam,T011,Bản Tá Ú,present,CB01\n\
                  001199099004,Lò Thị Mai,1940,Nữ,T011,Nhà số 3,home_visit,CB01\n";
    assert!(import_roster(&mut store, roster.as_bytes(), "roster.csv")
        .unwrap()
        .rejected
        .is_empty());
    let mut served = NewActivation::synthetic(3, synthetic_jpeg(3, 16));
    served.unit_code = "T011".into();
    store.append(&served).unwrap();
    drop(store);
    let config = Config {
        data_dir: Some(data),
        ..Config::for_test()
    };
    let app = KioskApp::new(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        camera(false),
        Box::new(MemorySink::default()),
        TrustStore::empty(),
        config,
    );
    let mut h = harness(app);
    tap(&mut h, "Cán bộ");
    type_digits(&mut h, "2468");
    tap(&mut h, "Mở khoá");
    wait_for(&mut h, "the unlock", |a| {
        a.flow().screen == Screen::Officer { unlocked: true }
    });
    // The roster loads on a worker while the screen keeps drawing (a spinner):
    // tap, then step until it is in.
    h.get_by_label("Tiến độ 5 rõ").click();
    wait_for(
        &mut h,
        "the roster, loaded on a worker",
        KioskApp::tracker_loaded,
    );
    assert_eq!(screen(&h), "tracker");
    tap(&mut h, "Dân cư");
    h.get_by_label("Pờ Xuân Hùng");
    h.get_by_label("Lò Thị Mai");
    h.get_by_label("Đã thu nhận");
    h.get_by_label("Chưa thu nhận");
    tap(&mut h, "Tại nhà hôm nay");
    assert!(h.query_by_label("Pờ Xuân Hùng").is_none());
    // Back to officer mode: the decrypted roster is gone with the screen.
    h.get_all_by_label("Quay lại").next().unwrap().click();
    h.run();
    assert_eq!(screen(&h), "officer");
    assert!(h.query_by_label("Lò Thị Mai").is_none());
}

/// Step until a label containing `text` is on screen (`present`) or gone (`!present`).
fn wait_for_text(h: &mut Harness<'static, KioskApp>, what: &str, text: &str, present: bool) {
    let t = Instant::now();
    while h.query_by_label_contains(text).is_some() != present {
        if t.elapsed() >= Duration::from_secs(30) {
            let shot = save_screen(h, what);
            panic!(
                "timed out waiting for {what}: on screen {}; what was on screen: {}",
                h.state().flow().screen.name(),
                shot.display()
            );
        }
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_ok();
}

/// The synthetic camera's portrait saved as frame files in `dir`: a folder source is
/// a camera that can really go away (remove the folder) and come back (recreate it).
fn face_frames(dir: &std::path::Path, names: &[&str]) {
    use cccd_kiosk::camera::FrameSource;
    std::fs::create_dir_all(dir).unwrap();
    let mut c = SyntheticSource::new(None);
    c.frame_interval = Duration::ZERO;
    for n in names {
        c.next_frame().unwrap().save(dir.join(n)).unwrap();
    }
}

const NO_CAMERA: &str = "Không thấy camera — kiểm tra dây cắm.";

/// Unplug the folder camera, see the message and no stale picture, plug it back (new
/// file names), see the preview again: all on the current screen, no restart.
fn unplug_and_replug(h: &mut Harness<'static, KioskApp>, dir: &std::path::Path, on: &str) {
    std::fs::remove_dir_all(dir).unwrap();
    wait_for_text(h, "the no-camera message", NO_CAMERA, true);
    assert_eq!(screen(h), on);
    assert!(
        !h.state().has_camera_frame(),
        "no stale picture of a camera that is gone"
    );
    // The system's detail, small, for the officer: which device is missing.
    h.get_by_label_contains("webcam");
    let t = Instant::now();
    face_frames(dir, &["replugged-1.png", "replugged-2.png"]);
    wait_for(h, "the preview after the replug", |a| a.has_camera_frame());
    wait_for_text(h, "the no-camera message to go", NO_CAMERA, false);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "the camera thread retries every second: back in {:?}",
        t.elapsed()
    );
    assert_eq!(screen(h), on);
}

#[test]
fn a_camera_unplugged_on_the_card_key_and_photo_screens_is_explained_and_the_preview_comes_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("webcam");
    face_frames(&dir, &["f1.png", "f2.png"]);
    let mut camera = cccd_kiosk::camera::file::FileSource::open(&dir).unwrap();
    camera.frame_interval = Duration::from_millis(15);
    let mut config = Config::for_test();
    // No detector: the photo is never taken by itself, so the live preview stays up.
    config.face_detector = false;
    let sink = MemorySink::default();
    let app = KioskApp::for_test_with(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        Box::new(camera),
        Box::new(sink.clone()),
        config,
    );
    let mut h = harness(app);
    tap(&mut h, "Kích hoạt định danh điện tử mức 2");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    assert_eq!(screen(&h), "card_key");
    wait_for(&mut h, "the QR preview", |a| a.has_camera_frame());
    assert!(h.query_by_label_contains(NO_CAMERA).is_none());
    unplug_and_replug(&mut h, &dir, "card_key");

    tap(&mut h, "Nhập số định danh");
    type_digits(&mut h, "001195000123");
    type_digits(&mut h, "14031995");
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the chip read", |a| {
        a.flow().screen == Screen::Review
    });
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "photo");
    wait_for(&mut h, "the live preview", |a| a.has_camera_frame());
    h.get_by_label_contains("sáng"); // the light check runs on live frames only
    unplug_and_replug(&mut h, &dir, "photo");
    h.get_by_label_contains("sáng");
    // And the officer can take the photo from the replugged camera.
    tap(&mut h, "Cán bộ xác nhận, chụp ảnh");
    assert!(h.state().flow().session.photo.is_some());
}

#[test]
fn the_officer_pin_lock_out_survives_a_restart_and_shows_the_minutes_left() {
    use cccd_kiosk::ui::lockout::Clock;
    use std::sync::{Arc, Mutex};
    let data = tempfile::tempdir().unwrap();
    let t0 = chrono::Utc::now();
    let clock = Arc::new(Mutex::new(t0));
    // The kiosk as started by systemd: the same data dir each time, a fresh process.
    let start = || {
        let mut config = Config::for_test(); // fallback PIN 2468; 5 tries, 5 minutes
        config.data_dir = Some(data.path().to_path_buf());
        let c = clock.clone();
        config.clock = Clock::new(move || *c.lock().unwrap());
        let mut h = harness(KioskApp::for_test_with(
            Box::new(EmulatedCards::new(CitizenProfile::demo())),
            camera(false),
            Box::new(MemorySink::default()),
            config,
        ));
        tap(&mut h, "Cán bộ");
        h
    };
    let wrong = |h: &mut Harness<'static, KioskApp>, failures: u32| {
        type_digits(h, "1111");
        tap(h, "Mở khoá");
        wait_for(h, "the PIN check", |a| {
            a.flow().pin_failures == failures || a.flow().pin_locked_until.is_some()
        });
    };
    let mut h = start();
    for n in 1..=3 {
        wrong(&mut h, n);
    }
    drop(h);
    // Restarting does not give a guesser fresh tries.
    let mut h = start();
    h.get_by_label("Mã PIN không đúng. Còn 2 lần thử.");
    wrong(&mut h, 4);
    wrong(&mut h, 5);
    h.get_by_label_contains("Đã nhập sai mã PIN 5 lần: chế độ cán bộ bị khoá đến");
    h.get_by_label_contains("(còn 5 phút)");
    drop(h);

    // A minute later, after a power cut: still locked, four minutes to go, no keypad.
    *clock.lock().unwrap() = t0 + chrono::Duration::minutes(1);
    let mut h = start();
    h.get_by_label_contains("chế độ cán bộ bị khoá đến");
    h.get_by_label_contains("(còn 4 phút)");
    assert!(h.query_by_label("5").is_none(), "no keypad while locked");
    tap(&mut h, "Mở khoá");
    assert_eq!(h.state().flow().screen, Screen::Officer { unlocked: false });

    // Once the five minutes are over the keypad is back and the right PIN opens.
    *clock.lock().unwrap() = t0 + chrono::Duration::minutes(5) + chrono::Duration::seconds(1);
    h.run_ok();
    assert!(h.query_by_label_contains("bị khoá đến").is_none());
    type_digits(&mut h, "2468");
    tap(&mut h, "Mở khoá");
    wait_for(&mut h, "the unlock", |a| {
        a.flow().screen == Screen::Officer { unlocked: true }
    });
    drop(h);
    // The good PIN cleared the count: a restart starts with every try.
    let h = start();
    assert!(h.query_by_label_contains("Mã PIN không đúng").is_none());
    assert!(h.query_by_label_contains("bị khoá").is_none());
    assert_eq!(h.state().flow().pin_failures, 0);
}

#[test]
fn a_timeout_dump_holds_the_widgets_as_text_and_the_screen_as_a_png() {
    let sink = MemorySink::default();
    let mut h = kiosk(CitizenProfile::demo(), true, &sink);
    let txt = save_screen(&mut h, "dump self-test");
    let text = std::fs::read_to_string(&txt).unwrap();
    assert!(text.contains("Kích hoạt định danh điện tử mức 2"), "{text}");
    assert!(text.contains("picture: "), "{text}");
    let img = image::open(txt.with_extension("png")).unwrap().to_rgb8();
    assert!(
        img.width() >= 1280 && img.height() >= 800,
        "{:?}",
        img.dimensions()
    );
    // A drawn screen, not a blank one: the theme's colours and anti-aliased text.
    let colours: std::collections::HashSet<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    assert!(colours.len() > 50, "{} colours", colours.len());
}
