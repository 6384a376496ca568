//! Card applications at the kiosk (issue 9), driven like the officer and the
//! citizen would: egui_kittest taps the on-screen keyboard's keys by label, the
//! desk stores into a real queue database in a temporary directory, and each test
//! reads back what was (or was not) stored with `application::record::get`.

mod kiosk_ui;
use cccd_kiosk::application::calendar::Slot;
use cccd_kiosk::application::desk::Desk;
use cccd_kiosk::application::draft::Draft;
use cccd_kiosk::application::fields::{self, Procedure, Reason};
use cccd_kiosk::application::record::{self, ApplicantForm, Prefill, DECLARATION_VI};
use cccd_kiosk::camera::synthetic::SyntheticSource;
use cccd_kiosk::card::emulator::profile::CitizenProfile;
use cccd_kiosk::config::Language;
use cccd_kiosk::queue::record::{Consent, Mode};
use cccd_kiosk::queue::store::Store;
use cccd_kiosk::ui::cards::EmulatedCards;
use cccd_kiosk::ui::flow::Screen;
use cccd_kiosk::ui::screens::apply_slot::day_label;
use cccd_kiosk::ui::sink::MemorySink;
use cccd_kiosk::ui::KioskApp;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use kiosk_ui::{harness, screen, tap, wait_for};
use std::path::Path;
use std::time::Duration;

const OFFICE: &str = "Công an xã Ka Lăng";

fn config(capacity: u32) -> cccd_kiosk::config::Config {
    let text = format!(
        "kiosk_id = \"KIOSK-MT-01\"\nunit = \"03679\"\n[appointments]\noffices = [\"{OFFICE}\", \"Công an huyện Mường Tè\"]\ncapacity = {capacity}\n"
    );
    cccd_kiosk::config::Config::parse(&text, "kiosk.toml").unwrap()
}

fn kiosk(
    dir: &Path,
    capacity: u32,
    profile: CitizenProfile,
    qr: Option<String>,
) -> Harness<'static, KioskApp> {
    let mut camera = SyntheticSource::new(qr);
    camera.frame_interval = Duration::from_millis(15);
    let desk = Desk::open(dir, &config(capacity)).unwrap().unwrap();
    let app = KioskApp::for_test(
        Box::new(EmulatedCards::new(profile)),
        Box::new(camera),
        Box::new(MemorySink::default()),
    )
    .with_desk(desk);
    harness(app)
}

/// Type `keys` on the on-screen keyboard, one key at a time (space is its own key).
fn type_keys(h: &mut Harness<'static, KioskApp>, keys: &str) {
    for c in keys.chars() {
        let label = if c == ' ' {
            "Dấu cách".to_string()
        } else {
            c.to_string()
        };
        tap(h, &label);
    }
}

/// The widget is inside the 1280×800 window (not pushed off the bottom).
fn assert_on_screen(h: &Harness<'static, KioskApp>, label: &str) {
    let r = h.get_by_label(label).rect();
    assert!(
        r.max.y <= 800.0 && r.max.x <= 1280.0,
        "{label} is cut off at {r:?}"
    );
}

fn stored(dir: &Path) -> Vec<record::StoredApplication> {
    let store = Store::open(dir).unwrap();
    store
        .list(&Default::default())
        .unwrap()
        .into_iter()
        .filter(|s| s.service.as_str() == "card_application")
        .map(|s| record::get(&store, s.id).unwrap())
        .collect()
}

fn tomorrow() -> chrono::NaiveDate {
    chrono::Local::now().date_naive().succ_opt().unwrap()
}

/// Lò Thị Mai (a roster citizen) re-applies for a lost card: booked tomorrow at
/// `hour`:00 at a kiosk whose slots hold `capacity` citizens.
fn book_lo_thi_mai(dir: &Path, capacity: u32, hour: u32) {
    let mut desk = Desk::open(dir, &config(capacity)).unwrap().unwrap();
    let now = chrono::Local::now().fixed_offset();
    let mut d = Draft::new(Consent {
        text_version: "vi-2026-11-app-v1".into(),
        accepted_at: now.to_utc(),
        guardian: None,
    });
    d.choose_procedure(Procedure::Reissue);
    d.reason = Some(Reason::Lost);
    d.prefill_roster(ApplicantForm::from_roster(
        "012305000042",
        "Lò Thị Mai",
        "2005-03-12",
        "Nữ",
        "",
    ));
    d.slot = Some(Slot {
        office: OFFICE.into(),
        day: tomorrow(),
        start: chrono::NaiveTime::from_hms_opt(hour, 0, 0).unwrap(),
    });
    d.accept_declaration(now.to_utc());
    desk.submit(&d, now, "CB02", None, Mode::Kiosk).unwrap();
}

/// Welcome → consent → procedure and reason (first issue, never issued) → data.
fn to_data(h: &mut Harness<'static, KioskApp>) {
    tap(h, "Đăng ký cấp thẻ Căn cước");
    assert_eq!(screen(h), "consent");
    h.get_by_label_contains("họ tên, ngày sinh, giới tính");
    tap(h, "Tôi đồng ý, tiếp tục");
    assert_eq!(screen(h), "apply_procedure");
    tap(h, "Cấp mới");
    tap(h, "Chưa được cấp thẻ");
    tap(h, "Tiếp tục");
    assert_eq!(screen(h), "apply_data");
}

#[test]
fn a_name_typed_in_telex_on_the_keyboard_is_stored_with_its_diacritics() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = kiosk(dir.path(), 4, CitizenProfile::demo(), None);
    to_data(&mut h);
    // The keyboard starts on the full name; the first letter of each word is upper case.
    type_keys(&mut h, "giaangf a sinhr");
    h.get_by_label("Giầng A Sỉnh|");
    tap(&mut h, "Ngày, tháng, năm sinh");
    type_keys(&mut h, "02/09/2008");
    tap(&mut h, "Nơi cư trú");
    type_keys(&mut h, "banr ka lawng");
    tap(&mut h, "Nam");
    assert_on_screen(&h, "Tiếp tục");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_check");
    h.get_by_label("Giầng A Sỉnh");
    h.get_by_label("Bản Ka Lăng");
    assert!(
        stored(dir.path()).is_empty(),
        "nothing stored before the declaration"
    );
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_slot");
    tap(&mut h, &day_label(tomorrow()));
    tap(&mut h, "09:00 · 0/4");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_declare");
    // Sending without the declaration is refused with a message.
    tap(&mut h, "Gửi hồ sơ");
    h.get_by_label("Xin chạm vào lời cam đoan để xác nhận trước khi gửi.");
    tap(&mut h, DECLARATION_VI);
    tap(&mut h, "Gửi hồ sơ");
    wait_for(&mut h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::ApplyDone(_))
    });
    let Screen::ApplyDone(receipt) = h.state().flow().screen.clone() else {
        unreachable!()
    };
    h.get_by_label(&receipt.receipt);
    h.get_by_label(OFFICE);
    h.get_by_label_contains("09:00–09:30");
    h.get_by_label_contains("đọc mã phiếu cho cán bộ");
    assert!(
        !h.state().flow().session.holds_personal_data(),
        "the kiosk forgets the applicant"
    );

    let apps = stored(dir.path());
    assert_eq!(apps.len(), 1);
    let a = &apps[0];
    assert_eq!(a.summary.receipt, receipt.receipt);
    assert_eq!(a.summary.service.as_str(), "card_application");
    assert_eq!(a.application.applicant.full_name, "Giầng A Sỉnh");
    assert_eq!(
        a.application.applicant.place_of_residence.as_deref(),
        Some("Bản Ka Lăng")
    );
    assert_eq!(a.application.applicant.source, Prefill::Typed);
    assert_eq!(a.application.procedure, Procedure::FirstIssue);
    assert_eq!(a.application.reason, Reason::NeverIssued);
    assert_eq!(a.application.slot.office, OFFICE);
    assert_eq!(a.application.slot.day, tomorrow());
    assert_eq!(a.application.declaration.text, DECLARATION_VI);
    assert_eq!(
        a.application.consent.text_version,
        cccd_kiosk::ui::flow::APPLY_CONSENT_VERSION
    );
}

#[test]
fn bad_fields_show_their_messages_under_them_and_nothing_is_stored_then_idle_wipes() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = kiosk(dir.path(), 4, CitizenProfile::demo(), None);
    to_data(&mut h);
    type_keys(&mut h, "nguyeenx vawn 3");
    tap(&mut h, "Ngày, tháng, năm sinh");
    type_keys(&mut h, "31/02/2000");
    tap(&mut h, "Nam");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_check");
    let today = chrono::Local::now().date_naive();
    let name_msg = fields::full_name("Nguyễn Văn 3")
        .unwrap_err()
        .message(Language::Vi);
    let dob_msg = fields::date_of_birth("31/02/2000", today)
        .unwrap_err()
        .message(Language::Vi);
    assert!(name_msg.starts_with("Họ, chữ đệm và tên"), "{name_msg}");
    h.get_by_label(&name_msg);
    h.get_by_label(&dob_msg);
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_check", "a wrong field does not go on");
    h.get_by_label("Có thông tin chưa đúng: xin sửa các ô được ghi chú màu đỏ.");
    assert!(stored(dir.path()).is_empty());

    // The citizen walks away: the idle timer wipes everything, nothing is stored.
    h.state_mut().pretend_idle(Duration::from_secs(61));
    h.run();
    assert_eq!(screen(&h), "welcome");
    assert!(!h.state().flow().session.holds_personal_data());
    assert!(stored(dir.path()).is_empty());
}

#[test]
fn a_full_slot_is_disabled_and_cannot_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    // Another citizen already holds the only seat of 09:00 tomorrow.
    book_lo_thi_mai(dir.path(), 1, 9);
    let mut h = kiosk(dir.path(), 1, CitizenProfile::demo(), None);
    to_data(&mut h);
    type_keys(&mut h, "ddinh");
    tap(&mut h, "Ngày, tháng, năm sinh");
    type_keys(&mut h, "01/01/1990");
    tap(&mut h, "Nam");
    tap(&mut h, "Tiếp tục");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_slot");
    tap(&mut h, &day_label(tomorrow()));
    let full = h.get_by_label("09:00 · 1/1 (đã đủ)");
    assert!(
        full.accesskit_node().is_disabled(),
        "a full slot is drawn disabled"
    );
    full.click();
    h.run();
    let chosen = |h: &Harness<'static, KioskApp>| {
        h.state()
            .flow()
            .session
            .apply
            .as_ref()
            .and_then(|a| a.draft.slot.clone())
    };
    assert_eq!(chosen(&h), None, "tapping a full slot chooses nothing");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_slot");
    h.get_by_label("Xin chọn một giờ hẹn còn chỗ.");
    assert_on_screen(&h, "Tiếp tục");
    // The next slot is free and can be chosen.
    tap(&mut h, "09:30 · 0/1");
    assert_eq!(
        chosen(&h)
            .map(|s| s.start.format("%H:%M").to_string())
            .as_deref(),
        Some("09:30")
    );
    assert_eq!(
        stored(dir.path()).len(),
        1,
        "only the other citizen's application"
    );
}

#[test]
fn card_application_without_a_calendar_explains_it_is_not_set_up() {
    let app = KioskApp::for_test(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        Box::new(SyntheticSource::new(None)),
        Box::new(MemorySink::default()),
    );
    let mut h = harness(app);
    tap(&mut h, "Đăng ký cấp thẻ Căn cước");
    assert_eq!(screen(&h), "welcome");
    h.get_by_label("Điểm này chưa được thiết lập lịch hẹn nhận hồ sơ cấp thẻ. Xin hỏi cán bộ.");
}

/// A woman whose card ends at her 25th birthday, two months from now.
fn expiring() -> (CitizenProfile, String) {
    use chrono::{Datelike, Months};
    let expiry = chrono::Local::now().date_naive() + Months::new(2);
    let born = expiry - Months::new(25 * 12);
    let id = format!("0013{:02}000789", born.year() % 100);
    let dob = born.format("%d/%m/%Y").to_string();
    let p = CitizenProfile {
        id_number: id.clone(),
        full_name: "Hoàng Thị Lụa".into(),
        date_of_birth: dob,
        date_of_issue: "10/07/2021".into(),
        date_of_expiry: expiry.format("%d/%m/%Y").to_string(),
        spouse_name: None,
        old_id_number: None,
        ..CitizenProfile::demo()
    };
    let qr = format!(
        "{id}||Hoàng Thị Lụa|{}|Nữ|Số 12 Ngõ 34 Phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội|10072021",
        born.format("%d%m%Y")
    );
    (p, qr)
}

#[test]
fn an_expiring_card_read_for_activation_offers_the_renewal_and_books_it() {
    let dir = tempfile::tempdir().unwrap();
    let (profile, qr) = expiring();
    let mut h = kiosk(dir.path(), 4, profile, Some(qr));
    tap(&mut h, "Kích hoạt định danh điện tử mức 2");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    wait_for(&mut h, "the chip read", |a| {
        a.flow().screen == Screen::Review
    });
    h.get_by_label("Thẻ của bạn sắp đến hạn đổi");
    let sentence = h
        .state()
        .flow()
        .session
        .renewal
        .clone()
        .expect("an offer")
        .sentence_vi;
    h.get_by_label(&sentence);
    assert_on_screen(&h, "Tiếp tục");
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the countdown capture", |a| {
        a.flow().session.photo.is_some()
    });
    tap(&mut h, "Tiếp tục");
    for d in "0912345678".chars() {
        tap(&mut h, &d.to_string());
    }
    tap(&mut h, "Tiếp tục");
    for d in "0912345678".chars() {
        tap(&mut h, &d.to_string());
    }
    tap(&mut h, "Tiếp tục");
    wait_for(&mut h, "the activation's receipt", |a| {
        matches!(a.flow().screen, Screen::Done { .. })
    });
    assert!(
        stored(dir.path()).is_empty(),
        "the activation went to its own sink"
    );
    assert_on_screen(&h, "Hoàn tất");
    assert_on_screen(&h, "Đặt lịch cấp đổi thẻ");
    tap(&mut h, "Đặt lịch cấp đổi thẻ");
    assert_eq!(screen(&h), "apply_check");
    h.get_by_label("Hoàng Thị Lụa");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_slot");
    tap(&mut h, &day_label(tomorrow()));
    tap(&mut h, "10:00 · 0/4");
    tap(&mut h, "Tiếp tục");
    tap(&mut h, DECLARATION_VI);
    tap(&mut h, "Gửi hồ sơ");
    wait_for(&mut h, "the renewal's receipt", |a| {
        matches!(a.flow().screen, Screen::ApplyDone(_))
    });
    h.get_by_label_contains("Mang theo thẻ đang dùng");

    let apps = stored(dir.path());
    assert_eq!(apps.len(), 1);
    let a = &apps[0].application;
    assert_eq!(a.procedure, Procedure::Renewal);
    assert_eq!(a.reason, Reason::AgeMilestone);
    assert_eq!(a.applicant.full_name, "Hoàng Thị Lụa");
    assert_eq!(a.applicant.source, Prefill::Chip);
    assert_eq!(
        a.consent.text_version,
        cccd_kiosk::ui::flow::CONSENT_VERSION
    );
}

const DEMO_QR: &str = "001195000123|012345678|Nguyễn Thị Thu Hương|14031995|Nữ|Số 12 Ngõ 34 Phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội|10072021";

#[test]
fn an_old_card_read_from_the_data_step_prefills_the_form_and_its_chip_data_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = kiosk(dir.path(), 4, CitizenProfile::demo(), Some(DEMO_QR.into()));
    tap(&mut h, "Đăng ký cấp thẻ Căn cước");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    tap(&mut h, "Cấp đổi");
    tap(&mut h, "Thẻ bị hư hỏng");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_data");
    tap(&mut h, "Đọc thẻ cũ (nếu có)");
    // The card is on the reader: its QR through the camera, then the chip.
    wait_for(&mut h, "the old card's chip", |a| {
        a.flow().screen == Screen::ApplyCheck
    });
    h.get_by_label("Nguyễn Thị Thu Hương");
    h.get_by_label("001195000123");
    assert!(stored(dir.path()).is_empty());
    tap(&mut h, "Tiếp tục");
    tap(&mut h, &day_label(tomorrow()));
    tap(&mut h, "11:00 · 0/4");
    tap(&mut h, "Tiếp tục");
    tap(&mut h, DECLARATION_VI);
    tap(&mut h, "Gửi hồ sơ");
    wait_for(&mut h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::ApplyDone(_))
    });
    let apps = stored(dir.path());
    assert_eq!(apps.len(), 1);
    let a = &apps[0].application;
    assert_eq!(
        (a.procedure, a.reason),
        (Procedure::Renewal, Reason::Damaged)
    );
    assert_eq!(a.applicant.source, Prefill::Chip);
    assert_eq!(a.applicant.id_number.as_deref(), Some("001195000123"));
    let old = a.old_card.as_ref().expect("the old card's chip data");
    assert_eq!(old.citizen["full_name"], "Nguyễn Thị Thu Hương");
    assert!(
        old.citizen.get("religion").is_none(),
        "religion is not stored"
    );
    assert!(!old.ef_sod.is_empty() && !old.dg13.is_empty());
}

#[test]
fn an_applicant_aged_15_is_asked_for_a_guardian_before_the_slot() {
    use chrono::Months;
    let dir = tempfile::tempdir().unwrap();
    let mut h = kiosk(dir.path(), 4, CitizenProfile::demo(), None);
    to_data(&mut h);
    type_keys(&mut h, "lof vawn pao");
    tap(&mut h, "Ngày, tháng, năm sinh");
    let born = chrono::Local::now().date_naive() - Months::new(15 * 12);
    type_keys(&mut h, &born.format("%d/%m/%Y").to_string());
    tap(&mut h, "Nam");
    tap(&mut h, "Tiếp tục");
    h.get_by_label_contains("Người giám hộ");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_check", "no slot without a guardian");
    tap(&mut h, "Ghi người giám hộ");
    assert_eq!(screen(&h), "guardian");
    h.get_by_label_contains("15 tuổi");
    tap(&mut h, "Quay lại");
    assert_eq!(
        screen(&h),
        "apply_check",
        "back to the application, not to Welcome"
    );
    h.get_by_label("Lò Văn Pao");
    assert!(stored(dir.path()).is_empty());
}

const UNITS: &str = "code,name,level,parent_code
X01,Xã Ka Lăng,commune,
T011,Bản Nậm Củm,village,X01
";

// Giàng Thị Dua knows only her birth year; Lò Văn Páo is eligible too; Lò Thị Mai
// has an open appointment; NewActivation::synthetic(3) serves 001199000003.
const ROSTER: &str =
    "id_number,full_name,date_of_birth,sex,unit_code,address,classification,officer_id
011148000021,Giàng Thị Dua,1948,Nữ,T011,Bản Nậm Củm,home_visit,CB02
011090000022,Lò Văn Páo,1990-05-17,Nam,T011,Bản Nậm Củm,present,CB01
012305000042,Lò Thị Mai,2005-03-12,Nữ,T011,Bản Nậm Củm,present,CB01
001199000003,Nguyễn Văn A,1999-01-01,Nam,T011,Bản Nậm Củm,present,CB01
";

/// A kiosk with a queue in `dir` (tracker, roster) and a calendar; officer PIN 2468.
fn officer_kiosk(dir: &Path) -> Harness<'static, KioskApp> {
    use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
    use cccd_kiosk::tracker::{roster, units};
    {
        let mut store = Store::open(dir).unwrap();
        units::import_units(&mut store, UNITS.as_bytes(), "units.csv").unwrap();
        let r = roster::import_roster(&mut store, ROSTER.as_bytes(), "roster.csv").unwrap();
        assert!(r.rejected.is_empty(), "{r:?}");
        store
            .append(&NewActivation::synthetic(3, synthetic_jpeg(3, 16)))
            .unwrap();
    }
    // Lò Thị Mai applied yesterday: an open appointment tomorrow.
    book_lo_thi_mai(dir, 4, 8);
    let ui_config = cccd_kiosk::ui::Config {
        data_dir: Some(dir.to_path_buf()),
        ..cccd_kiosk::ui::Config::for_test()
    };
    let app = KioskApp::for_test_with(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        Box::new(SyntheticSource::new(None)),
        Box::new(MemorySink::default()),
        ui_config,
    )
    .with_desk(Desk::open(dir, &config(4)).unwrap().unwrap());
    harness(app)
}

/// Welcome → officer mode, unlocked with the PIN on the keypad.
fn unlock(h: &mut Harness<'static, KioskApp>) {
    tap(h, "Cán bộ");
    type_keys(h, "2468");
    tap(h, "Mở khoá");
    wait_for(h, "the unlock", |a| {
        a.flow().screen == Screen::Officer { unlocked: true }
    });
}

/// Type on the roster's search keyboard (upper-case keys, ␣ for space).
fn type_roster(h: &mut Harness<'static, KioskApp>, text: &str) {
    for c in text.chars() {
        let key = if c == ' ' {
            "␣".to_string()
        } else {
            c.to_uppercase().to_string()
        };
        tap(h, &key);
    }
}

/// Slot tomorrow at `time`, the declaration, send: the receipt.
fn book_and_send(h: &mut Harness<'static, KioskApp>, time: &str) {
    assert_eq!(screen(h), "apply_slot");
    tap(h, &day_label(tomorrow()));
    tap(h, &format!("{time} · 0/4"));
    tap(h, "Tiếp tục");
    tap(h, DECLARATION_VI);
    tap(h, "Gửi hồ sơ");
    wait_for(h, "the receipt", |a| {
        matches!(a.flow().screen, Screen::ApplyDone(_))
    });
}

#[test]
fn the_officer_starts_an_application_from_the_roster_prefilled_with_a_birth_year_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = officer_kiosk(dir.path());
    unlock(&mut h);
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
    h.get_by_label("4 người");
    // Lò Thị Mai applied: her row says so and has no button.
    type_roster(&mut h, "lo thi mai");
    tap(&mut h, "Bàn phím"); // the search keyboard folds away: the list shows
    h.get_by_label("1 người");
    h.get_by_label_contains("Đã nộp hồ sơ, hẹn ngày");
    assert!(h.query_by_label("Lập hồ sơ cấp thẻ").is_none());
    // Nguyễn Văn A holds a record (served): no button either.
    tap(&mut h, "Xoá hết");
    tap(&mut h, "Bàn phím");
    type_roster(&mut h, "nguyen");
    tap(&mut h, "Bàn phím");
    h.get_by_label("1 người");
    h.get_by_label("Nguyễn Văn A");
    assert!(h.query_by_label("Lập hồ sơ cấp thẻ").is_none());
    tap(&mut h, "Xoá hết");
    h.get_by_label("4 người");
    tap(&mut h, "Bộ lọc");
    tap(&mut h, "CB02");
    tap(&mut h, "Bộ lọc"); // folded: "Đang lọc: CB02", the list has the screen
    h.get_by_label("Đang lọc: CB02");
    h.get_by_label("1 người");
    h.get_by_label("Giàng Thị Dua");
    let b = h.get_by_label("Lập hồ sơ cấp thẻ");
    assert!(b.rect().height() >= 56.0, "a touch target: {:?}", b.rect());
    assert_on_screen(&h, "Lập hồ sơ cấp thẻ");
    b.click();
    h.run();
    // The citizen accepts the data-protection notice before anything else.
    assert_eq!(screen(&h), "consent");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    assert_eq!(screen(&h), "apply_procedure");
    tap(&mut h, "Cấp mới");
    tap(&mut h, "Chưa được cấp thẻ");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_data");
    h.get_by_label("Giàng Thị Dua|"); // on the keyboard, ready to correct
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_check");
    // The citizen checks what the roster gave: name with diacritics, the year alone.
    h.get_by_label("Giàng Thị Dua");
    h.get_by_label("1948");
    h.get_by_label("011148000021");
    tap(&mut h, "Tiếp tục");
    book_and_send(&mut h, "09:00");

    let apps = stored(dir.path());
    let a = apps
        .iter()
        .find(|a| a.application.applicant.full_name == "Giàng Thị Dua")
        .expect("the roster citizen's application");
    let who = &a.application.applicant;
    assert_eq!(who.id_number.as_deref(), Some("011148000021"));
    assert_eq!(who.date_of_birth, fields::BirthDate::Year(1948));
    assert_eq!(who.source, Prefill::Roster);
    assert_eq!(who.place_of_residence.as_deref(), Some("Bản Nậm Củm"));
    assert_eq!(a.summary.service.as_str(), "card_application");
    // The roster now shows her appointment, and no button.
    let store = Store::open(dir.path()).unwrap();
    let index = cccd_kiosk::tracker::roster::RosterIndex::load(&store).unwrap();
    let dua = index
        .entries()
        .iter()
        .find(|e| e.id_number == "011148000021")
        .unwrap();
    assert!(dua.appointment.is_some());
    assert!(!cccd_kiosk::tracker::roster_view::can_apply(dua));
}

#[test]
fn officer_mode_starts_an_assisted_application_recorded_with_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = officer_kiosk(dir.path());
    unlock(&mut h);
    tap(&mut h, "Mã cán bộ: —");
    type_keys(&mut h, "4521");
    tap(&mut h, "Tại nhà");
    // Three big buttons on the row at most: the keypad stays on a 1280 px screen.
    for label in ["Hồ sơ cấp thẻ", "Tiến độ 5 rõ", "0", "9", "Lưu"] {
        assert_on_screen(&h, label);
    }
    tap(&mut h, "Hồ sơ cấp thẻ");
    assert_eq!(screen(&h), "consent");
    tap(&mut h, "Tôi đồng ý, tiếp tục");
    assert_eq!(screen(&h), "apply_procedure");
    tap(&mut h, "Cấp mới");
    tap(&mut h, "Chưa được cấp thẻ");
    tap(&mut h, "Tiếp tục");
    type_keys(&mut h, "vangf thij sayf");
    tap(&mut h, "Ngày, tháng, năm sinh");
    type_keys(&mut h, "1950");
    tap(&mut h, "Nữ");
    tap(&mut h, "Tiếp tục");
    assert_eq!(screen(&h), "apply_check");
    h.get_by_label("Vàng Thị Sày");
    tap(&mut h, "Tiếp tục");
    book_and_send(&mut h, "10:00");
    let apps = stored(dir.path());
    let a = apps
        .iter()
        .find(|a| a.application.applicant.full_name == "Vàng Thị Sày")
        .expect("the application");
    assert_eq!(a.summary.mode.as_str(), "home_visit");
    assert_eq!(a.summary.officer_id, "4521");
    assert_eq!(
        a.application.applicant.date_of_birth,
        fields::BirthDate::Year(1950)
    );
    assert_eq!(h.state().flow().officer.mode.as_str(), "home_visit");
}

#[test]
fn the_officers_appointment_list_records_who_came_and_who_did_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = officer_kiosk(dir.path());
    unlock(&mut h);
    tap(&mut h, "Lịch hẹn");
    assert_eq!(screen(&h), "appointments");
    h.get_by_label_contains(": 0 đã đến, 0 không đến, 0 chưa đến");
    h.get_by_label("Không có lịch hẹn nào trong ngày.");
    // Lò Thị Mai booked tomorrow at 08:00.
    tap(&mut h, "Ngày mai");
    h.get_by_label_contains(": 0 đã đến, 0 không đến, 1 chưa đến");
    h.get_by_label("Lò Thị Mai");
    h.get_by_label_contains(&format!("08:00–08:30 · {OFFICE} · chỗ 1"));
    h.get_by_label("Chưa đến");
    assert_on_screen(&h, "Có mặt");
    tap(&mut h, "Có mặt");
    h.get_by_label("Đã đến");
    h.get_by_label_contains(": 1 đã đến, 0 không đến, 0 chưa đến");
    let stored = |dir: &Path| {
        let store = Store::open(dir).unwrap();
        cccd_kiosk::application::calendar::list_day(&store, tomorrow()).unwrap()[0].status
    };
    use cccd_kiosk::application::calendar::AppointmentStatus;
    assert_eq!(stored(dir.path()), AppointmentStatus::Attended);
    // An officer's correction: she did not come after all.
    tap(&mut h, "Vắng mặt");
    h.get_by_label("Không đến");
    assert_eq!(stored(dir.path()), AppointmentStatus::NoShow);
    // Leaving forgets the names; back in officer mode.
    tap(&mut h, "Quay lại");
    assert_eq!(screen(&h), "officer");
    assert!(h.query_by_label("Lò Thị Mai").is_none());
}

/// Every procedure with each of its reasons, by touch from Welcome to the receipt;
/// renewal and re-issue ask for the ID number, "holds the old CMND" for its number.
#[test]
fn every_procedure_and_reason_goes_from_welcome_to_a_stored_application() {
    use cccd_kiosk::config::Language;
    for reason in Reason::ALL {
        let procedure = reason.procedure();
        let dir = tempfile::tempdir().unwrap();
        let mut h = kiosk(dir.path(), 4, CitizenProfile::demo(), None);
        tap(&mut h, "Đăng ký cấp thẻ Căn cước");
        tap(&mut h, "Tôi đồng ý, tiếp tục");
        tap(&mut h, procedure.label(Language::Vi));
        tap(&mut h, reason.label(Language::Vi));
        tap(&mut h, "Tiếp tục");
        assert_eq!(screen(&h), "apply_data", "{reason:?}");
        type_keys(&mut h, "nguyeenx thij lan");
        tap(&mut h, "Ngày, tháng, năm sinh");
        type_keys(&mut h, "12/05/1990");
        tap(&mut h, "Nơi cư trú");
        type_keys(&mut h, "banr pa ur");
        tap(&mut h, "Nữ");
        let needs = match (procedure, reason) {
            (Procedure::Renewal | Procedure::Reissue, _) => {
                Some(("Số định danh cá nhân", "001190012345"))
            }
            (_, Reason::FromOldCmnd) => Some(("Số CMND cũ", "012345678")),
            _ => None,
        };
        tap(&mut h, "Tiếp tục");
        assert_eq!(screen(&h), "apply_check", "{reason:?}");
        if let Some((field, value)) = needs {
            // Without it the check names the field and does not go on.
            h.get_by_label(&format!("{field}: bắt buộc với thủ tục này"));
            tap(&mut h, "Tiếp tục");
            assert_eq!(screen(&h), "apply_check", "{reason:?}");
            tap(&mut h, "Quay lại");
            tap(&mut h, field);
            type_keys(&mut h, value);
            tap(&mut h, "Tiếp tục");
            assert_eq!(screen(&h), "apply_check", "{reason:?}");
        }
        h.get_by_label("Nguyễn Thị Lan");
        tap(&mut h, "Tiếp tục");
        book_and_send(&mut h, "09:00");
        let apps = stored(dir.path());
        assert_eq!(apps.len(), 1, "{reason:?}");
        let a = &apps[0].application;
        assert_eq!((a.procedure, a.reason), (procedure, reason));
        assert_eq!(a.applicant.full_name, "Nguyễn Thị Lan");
        match needs {
            Some((_, id)) if id.len() == 12 => {
                assert_eq!(a.applicant.id_number.as_deref(), Some(id))
            }
            Some((_, cmnd)) => assert_eq!(a.applicant.old_id_number.as_deref(), Some(cmnd)),
            None => {}
        }
    }
}
