//! Shared by the kiosk's egui_kittest tests (ui_kiosk, ui_application): a harness at
//! the kiosk's 1280×800, taps by label, and waiting for the worker threads — with what
//! was on screen saved when a wait times out.
#![allow(dead_code)]

use cccd_kiosk::ui::KioskApp;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::time::{Duration, Instant};

/// The kiosk drawn at 1280×800, run until it settles.
pub fn harness(app: KioskApp) -> Harness<'static, KioskApp> {
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut KioskApp| app.show(ui), app);
    h.run();
    h
}

/// Step until `cond` holds (the worker threads report asynchronously).
pub fn wait_for(h: &mut Harness<'static, KioskApp>, what: &str, cond: impl Fn(&KioskApp) -> bool) {
    let t = Instant::now();
    while !cond(h.state()) {
        if t.elapsed() >= Duration::from_secs(30) {
            let shot = save_screen(h, what);
            panic!(
                "timed out waiting for {what}: on screen {}, notice {:?}; what was on screen: {}",
                h.state().flow().screen.name(),
                h.state().flow().session.notice,
                shot.display()
            );
        }
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_ok();
}

/// What the screen shows, saved under `target/tmp/ui-timeouts/` when a test times out:
/// every widget with its role, label and value (the AccessKit tree egui_kittest
/// queries) as text, and the screen as a PNG rendered by egui_kittest's wgpu renderer
/// (headless: Mesa's lavapipe Vulkan on the CPU, `mesa-vulkan-drivers`). Returns the
/// text file; the PNG is beside it when a GPU adapter (or lavapipe) was found.
pub fn save_screen(h: &mut Harness<'static, KioskApp>, what: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-timeouts");
    let name: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = dir.join(format!("{name}.txt"));
    let mut text = format!(
        "screen {}\n{:#?}\n",
        h.state().flow().screen.name(),
        h.root()
    );
    let _ = std::fs::create_dir_all(&dir);
    match h.render() {
        Ok(img) => {
            let png = dir.join(format!("{name}.png"));
            match img.save(&png) {
                Ok(()) => text.push_str(&format!("picture: {}\n", png.display())),
                Err(e) => text.push_str(&format!("no picture: {e}\n")),
            }
        }
        Err(e) => text.push_str(&format!("no picture (no renderer): {e}\n")),
    }
    let _ = std::fs::write(&path, text);
    path
}

/// Tap the widget labelled `label` and let the kiosk settle.
pub fn tap(h: &mut Harness<'static, KioskApp>, label: &str) {
    h.get_by_label(label).click();
    h.run();
}

/// The screen the kiosk is on.
pub fn screen(h: &Harness<'static, KioskApp>) -> &'static str {
    h.state().flow().screen.name()
}
