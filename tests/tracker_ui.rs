//! The tracker's screens driven like an officer would, by touch: egui_kittest taps
//! the on-screen keyboard and toggle buttons by their labels; the roster is
//! imported with `import_roster` into a temporary store, citizens are marked served
//! by real activation records, and each test asserts what the officer sees (and,
//! for tasks, what is stored).

use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
use cccd_kiosk::queue::store::Store;
use cccd_kiosk::queue::Service;
use cccd_kiosk::tracker::dashboard::{self, DashboardData};
use cccd_kiosk::tracker::roster::{import_roster, RosterIndex};
use cccd_kiosk::tracker::roster_view::{RosterMode, RosterView};
use cccd_kiosk::tracker::tasks::{self, NewTask};
use cccd_kiosk::tracker::tasks_view::TasksView;
use cccd_kiosk::tracker::units::import_units;
use cccd_kiosk::ui::i18n::Lang;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::cell::RefCell;

const UNITS: &str = "code,name,level,parent_code
H01,Huyện Mường Tè,district,
X01,Xã Mường Tè,commune,H01
T011,Bản Nậm Củm,village,X01
T012,Bản Pa Ủ,village,X01
";

// NewActivation::synthetic(n) carries ID number 0011990000nn: 3 and 5 get records.
const ROSTER: &str =
    "id_number,full_name,date_of_birth,sex,unit_code,address,classification,officer_id
001199000003,Nguyễn Văn A,1990-05-17,Nam,T011,Bản Nậm Củm,present,CB01
001199099003,Nguyễn Văn Anh,2001-09-09,Nam,T011,Bản Nậm Củm,present,CB01
001199099001,Đặng Thị Đào,1948,Nữ,T012,Nhà số 12 ngõ Hoa Ban,home_visit,CB02
001199099002,Lò Thị Mai,1940,Nữ,T012,Nhà số 3,home_visit,CB01
001199000005,Vàng Văn Páo,1939,Nam,T011,Nhà số 7,home_visit,CB01
001199099007,Lò Văn Sơn,1985-01-02,Nam,T012,Tổ 1,working_away,CB02
";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("data")).unwrap();
    let r = import_units(&mut store, UNITS.as_bytes(), "units.csv").unwrap();
    assert!(r.rejected.is_empty(), "{r:?}");
    let r = import_roster(&mut store, ROSTER.as_bytes(), "roster.csv").unwrap();
    assert_eq!((r.inserted, r.rejected.len()), (6, 0), "{r:?}");
    let batch: Vec<NewActivation> = [3u32, 5]
        .into_iter()
        .map(|n| {
            let mut a = NewActivation::synthetic(n, synthetic_jpeg(u64::from(n), 16));
            a.created_at = DateTime::parse_from_rfc3339("2025-06-04T09:00:00+07:00").unwrap();
            a.consent.accepted_at = a.created_at.with_timezone(&Utc) - Duration::seconds(60);
            a.unit_code = "T011".into();
            a
        })
        .collect();
    store.append_batch(&batch).unwrap();
    (dir, store)
}

fn tap(h: &mut Harness<'_>, label: &str) {
    h.get_by_label(label).click();
    h.run();
}

fn type_on_keyboard(h: &mut Harness<'_>, text: &str) {
    for c in text.chars() {
        let key = if c == ' ' {
            "␣".to_string()
        } else {
            c.to_uppercase().to_string()
        };
        tap(h, &key);
    }
}

#[test]
fn typing_nguyen_van_a_on_the_touch_keyboard_finds_nguyen_van_a_with_badges() {
    let (_dir, store) = store();
    let index = RosterIndex::load(&store).unwrap();
    let view = RefCell::new(RosterView::new(Lang::Vi));
    let mut h = Harness::builder()
        .with_size([1280.0, 1600.0])
        .build_ui(|ui| {
            view.borrow_mut().show(ui, &index, d("2025-06-05"));
        });
    h.run();
    h.get_by_label("6 người");
    type_on_keyboard(&mut h, "nguyen van a");
    assert_eq!(view.borrow().text, "NGUYEN VAN A");
    h.get_by_label("NGUYEN VAN A"); // the display box shows what was typed
    h.get_by_label("2 người");
    h.get_by_label("Nguyễn Văn A");
    h.get_by_label("Nguyễn Văn Anh");
    assert!(h.query_by_label("Đặng Thị Đào").is_none());
    // Nguyễn Văn A has a record: served; Nguyễn Văn Anh not yet.
    h.get_by_label("Đã thu nhận");
    h.get_by_label("Chưa thu nhận");
}

#[test]
fn filters_narrow_the_list_by_village_classification_and_officer() {
    let (_dir, store) = store();
    let index = RosterIndex::load(&store).unwrap();
    let view = RefCell::new(RosterView::new(Lang::Vi));
    let mut h = Harness::builder()
        .with_size([1280.0, 1600.0])
        .build_ui(|ui| {
            view.borrow_mut().show(ui, &index, d("2025-06-05"));
        });
    h.run();
    // Closed, the filters are one line (the list keeps the screen); open them.
    h.get_by_label("Không lọc: cả danh sách");
    assert!(h.query_by_label("Bản Pa Ủ").is_none());
    tap(&mut h, "Bộ lọc");
    tap(&mut h, "Bản Pa Ủ");
    h.get_by_label("3 người");
    assert!(h.query_by_label("Nguyễn Văn A").is_none());
    h.get_by_label("Lò Văn Sơn");
    tap(&mut h, "Trường hợp đặc biệt, thu nhận tại nhà");
    h.get_by_label("2 người");
    assert!(h.query_by_label("Lò Văn Sơn").is_none());
    tap(&mut h, "CB02");
    h.get_by_label("1 người");
    h.get_by_label("Đặng Thị Đào");
    assert!(h.query_by_label("Lò Thị Mai").is_none());
    // "Tất cả" of the village row (the first one) widens again.
    let all: Vec<_> = h.query_all_by_label("Tất cả").collect();
    assert_eq!(all.len(), 3, "one 'all' per filter row");
    all[0].click();
    h.run();
    h.get_by_label("1 người");
    // Closed again, the line says which filters still hold.
    tap(&mut h, "Bộ lọc");
    h.get_by_label("Đang lọc: Trường hợp đặc biệt, thu nhận tại nhà · CB02");
    h.get_by_label("1 người");
}

#[test]
fn the_home_visit_list_shows_only_the_officers_unserved_home_visits() {
    let (_dir, store) = store();
    let index = RosterIndex::load(&store).unwrap();
    let view = RefCell::new(RosterView::new(Lang::Vi));
    let mut h = Harness::builder()
        .with_size([1280.0, 1200.0])
        .build_ui(|ui| {
            view.borrow_mut().show(ui, &index, d("2025-06-05"));
        });
    h.run();
    tap(&mut h, "Thu nhận tại nhà");
    assert_eq!(view.borrow().mode, RosterMode::HomeVisits);
    tap(&mut h, "CB01");
    h.get_by_label("Danh sách thu nhận tại nhà ngày 05/06/2025 — cán bộ CB01");
    // Lò Thị Mai: CB01, home visit, not served. Vàng Văn Páo is served (a record);
    // Đặng Thị Đào belongs to CB02; the others are not home visits.
    h.get_by_label("1 người");
    h.get_by_label("Lò Thị Mai");
    h.get_by_label("Chưa thu nhận");
    for other in [
        "Vàng Văn Páo",
        "Đặng Thị Đào",
        "Nguyễn Văn Anh",
        "Lò Văn Sơn",
    ] {
        assert!(h.query_by_label(other).is_none(), "{other} listed");
    }
}

#[test]
fn a_task_result_recorded_through_the_view_is_stored_and_overdue_tasks_are_marked() {
    let (_dir, store) = store();
    let today = d("2025-06-10");
    let first = tasks::add(
        &store,
        &NewTask {
            unit_code: "T011".into(),
            content: "Rà soát danh sách bản Nậm Củm".into(),
            owner: "Lò Văn Thành".into(),
            responsible: "Trưởng công an xã".into(),
            deadline: d("2025-06-12"),
        },
    )
    .unwrap();
    tasks::add(
        &store,
        &NewTask {
            unit_code: "T012".into(),
            content: "Thu nhận tại nhà 2 cụ cao tuổi".into(),
            owner: "Đặng Văn Hùng".into(),
            responsible: "Phó trưởng công an xã".into(),
            deadline: d("2025-06-08"),
        },
    )
    .unwrap();
    let view = RefCell::new(TasksView::new(Lang::Vi));
    let mut h = Harness::builder()
        .with_size([1280.0, 1400.0])
        .build_ui(|ui| {
            view.borrow_mut().show(ui, &store, today);
        });
    h.run();
    // Who, what, by when, who answers for it; the overdue one is marked.
    h.get_by_label("Lò Văn Thành");
    h.get_by_label("Trưởng công an xã");
    h.get_by_label("08/06/2025");
    assert_eq!(h.query_all_by_label("Quá hạn").count(), 1);
    tap(&mut h, &format!("Ghi kết quả #{first}"));
    type_on_keyboard(&mut h, "xong 12/12 ho");
    tap(&mut h, "Lưu");
    h.get_by_label("Đã lưu kết quả.");
    let stored = tasks::list(&store).unwrap();
    let t = stored.iter().find(|t| t.id == first).unwrap();
    assert_eq!(t.result.as_deref(), Some("XONG 12/12 HO"));
    assert_eq!(t.done_on, Some(today));
    h.get_by_label("XONG 12/12 HO (10/06)");
    h.get_by_label("Đã xong");
    // The overdue task is still open and still marked.
    assert_eq!(h.query_all_by_label("Quá hạn").count(), 1);
}

#[test]
fn a_task_added_through_the_view_has_every_clear() {
    let (_dir, store) = store();
    let today = d("2025-06-10");
    let view = RefCell::new(TasksView::new(Lang::Vi));
    let mut h = Harness::builder()
        .with_size([1280.0, 1600.0])
        .build_ui(|ui| {
            view.borrow_mut().show(ui, &store, today);
        });
    h.run();
    h.get_by_label("Chưa có nhiệm vụ nào.");
    tap(&mut h, "Thêm nhiệm vụ");
    tap(&mut h, "Bản Pa Ủ");
    type_on_keyboard(&mut h, "ra soat");
    // The form's box comes first (the list's header has the same word).
    h.query_all_by_label("Rõ người").next().unwrap().click();
    h.run();
    type_on_keyboard(&mut h, "lo van a");
    h.query_all_by_label("Rõ trách nhiệm")
        .next()
        .unwrap()
        .click();
    h.run();
    type_on_keyboard(&mut h, "truong ca");
    tap(&mut h, "+1");
    tap(&mut h, "Lưu");
    h.get_by_label("Đã thêm nhiệm vụ.");
    let stored = tasks::list(&store).unwrap();
    assert_eq!(stored.len(), 1);
    let t = &stored[0];
    assert_eq!(
        (
            t.unit_code.as_str(),
            t.content.as_str(),
            t.owner.as_str(),
            t.responsible.as_str()
        ),
        ("T012", "RA SOAT", "LO VAN A", "TRUONG CA")
    );
    assert_eq!(t.deadline, today + Duration::days(8));
    h.get_by_label("18/06/2025");
}

#[test]
fn the_dashboard_shows_the_countdown_to_the_five_pm_reports() {
    let (_dir, store) = store();
    let data = DashboardData::load(&store, d("2025-06-06"), Service::EidLevel2).unwrap();
    // Friday 6 June 2025, 16:20: both reports are due at 17:00 today.
    let now = NaiveDateTime::parse_from_str("2025-06-06 16:20", "%Y-%m-%d %H:%M").unwrap();
    let mut h = Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_ui(move |ui| dashboard::show(ui, &data, now));
    h.run();
    h.get_by_label("Báo cáo ngày (trước 17:00): còn 0 giờ 40 phút");
    h.get_by_label("Báo cáo tuần (trước 17:00 thứ Sáu): còn 0 giờ 40 phút");
}

#[test]
fn the_bundled_screens_draw_each_view_and_back_leaves() {
    use cccd_kiosk::tracker::screens::{TrackerScreen, TrackerScreens};
    let (_dir, store) = store();
    let now = NaiveDateTime::parse_from_str("2025-06-05 10:00", "%Y-%m-%d %H:%M").unwrap();
    let screens =
        RefCell::new(TrackerScreens::open(&store, now, Service::EidLevel2, Lang::Vi).unwrap());
    let current = RefCell::new(TrackerScreen::Dashboard);
    let back = RefCell::new(false);
    let mut h = Harness::builder()
        .with_size([1280.0, 1400.0])
        .build_ui(|ui| {
            let s = *current.borrow();
            if screens.borrow_mut().show(ui, s, &store, now) {
                *back.borrow_mut() = true;
            }
        });
    h.run();
    h.get_by_label("Báo cáo ngày (trước 17:00): còn 7 giờ 00 phút");
    *current.borrow_mut() = TrackerScreen::HomeVisits;
    h.run();
    h.get_by_label("Danh sách thu nhận tại nhà ngày 05/06/2025 — cán bộ tất cả");
    h.get_by_label("Lò Thị Mai");
    h.get_by_label("Đặng Thị Đào");
    *current.borrow_mut() = TrackerScreen::Tasks;
    h.run();
    h.get_by_label("Chưa có nhiệm vụ nào.");
    assert!(!*back.borrow());
    tap(&mut h, "Quay lại");
    assert!(*back.borrow());
}
