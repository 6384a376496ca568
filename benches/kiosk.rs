//! Kiosk benchmarks (issue 4 "Performance"; DESIGN.md "Measuring the UI"): the egui CPU
//! time per frame is measured apart from the GPU (software) rendering.
//!
//! (a) cold start to first frame: `KioskApp::new` (camera thread, sink thread, trust
//!     store) plus the first frame's layout and tessellation (fonts loaded then);
//! (b) egui CPU time per frame at 1920×1080, per screen: layout (our `show`, egui's
//!     passes) and tessellation measured separately, mean and p99, with the emulated
//!     card read on its worker thread and the synthetic camera feeding the preview;
//! (c) software rendering under Xvfb (Mesa llvmpipe, what a kiosk without a GPU
//!     does): the demo tour of the built binary at 1920×1080 writes eframe's frame
//!     times per screen (layout + tessellation + painting); run when `Xvfb` exists;
//! (d) memory: RSS after 10 warm-up citizens and after N more through the whole flow
//!     (emulated card, synthetic camera, a temporary durable `Store` with fsync).
//!
//! `cargo bench --bench kiosk` (release, the figures for the README);
//! `CCCD_BENCH_CITIZENS=N` changes N (default 200); `CCCD_BENCH_XVFB=0` skips (c).
//! Targets (issue 4): start ≤ 1 s, p99 ≤ 16 ms, memory flat (≤ 10 MB growth).

use cccd_kiosk::camera::synthetic::SyntheticSource;
use cccd_kiosk::card::access_key::KeyPlan;
use cccd_kiosk::card::emulator::profile::CitizenProfile;
use cccd_kiosk::ui::cards::EmulatedCards;
use cccd_kiosk::ui::flow::{Event, KeyTab, Screen};
use cccd_kiosk::ui::sink::{MemorySink, RecordSink, Service};
use cccd_kiosk::ui::{Config, KioskApp};
use std::hint::black_box;
use std::time::{Duration, Instant};

const SIZE: egui::Vec2 = egui::vec2(1920.0, 1080.0);

/// An egui context driving the app frame by frame, like eframe does, minus the GPU.
struct Driver {
    ctx: egui::Context,
    app: KioskApp,
    started: Instant,
}

impl Driver {
    fn new(app: KioskApp) -> Self {
        Self {
            ctx: egui::Context::default(),
            app,
            started: Instant::now(),
        }
    }

    /// One frame: (layout, tessellation) CPU time.
    fn frame(&mut self) -> (Duration, Duration) {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, SIZE)),
            time: Some(self.started.elapsed().as_secs_f64()),
            ..Default::default()
        };
        let t = Instant::now();
        let app = &mut self.app;
        let out = self.ctx.run_ui(input, |ui| app.show(ui));
        let layout = t.elapsed();
        let t = Instant::now();
        let prims = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        let tess = t.elapsed();
        black_box(prims);
        (layout, tess)
    }

    /// Run frames (as a 60 Hz display would ask for them) until `cond`.
    fn until(&mut self, what: &str, cond: impl Fn(&KioskApp) -> bool) {
        let t = Instant::now();
        while !cond(&self.app) {
            if t.elapsed() > Duration::from_secs(60) {
                panic!(
                    "timed out waiting for {what} on screen {}",
                    self.app.flow().screen.name()
                );
            }
            self.frame();
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn camera() -> Box<SyntheticSource> {
    let mut c = SyntheticSource::new(None);
    c.frame_interval = Duration::from_millis(33);
    Box::new(c)
}

fn plan() -> KeyPlan {
    KeyPlan::from_id(
        "001195000123",
        Some("950314"),
        None,
        chrono::Local::now().date_naive(),
    )
    .unwrap_or_else(|e| panic!("demo key: {e}"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Mean and p99 in ms.
fn stats(v: &mut [Duration]) -> (f64, f64) {
    v.sort();
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len().max(1) as f64;
    let i = ((v.len() as f64 * 0.99).ceil() as usize).clamp(1, v.len().max(1)) - 1;
    (mean, v.get(i).map(|d| ms(*d)).unwrap_or(0.0))
}

fn cold_start() {
    // As `cccd-kiosk kiosk` starts: open the durable queue (key file, migrations),
    // start the camera and sink threads, an unprovisioned trust store.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let t = Instant::now();
    let sink = cccd_kiosk::queue::sink::StoreSink::open(dir.path(), "BENCH-01", "00001")
        .unwrap_or_else(|e| panic!("store: {e}"));
    let app = KioskApp::new(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        camera(),
        Box::new(sink),
        cccd_kiosk::card::passive_auth::TrustStore::empty(),
        Config::default(),
    );
    let built = t.elapsed();
    let mut d = Driver::new(app);
    let (layout, tess) = d.frame();
    println!(
        "(a) cold start to first frame: {:.1} ms (app {:.1} ms, first layout {:.1} ms incl. fonts, tessellation {:.1} ms)",
        ms(t.elapsed()),
        ms(built),
        ms(layout),
        ms(tess)
    );
}

fn measure(d: &mut Driver, name: &str, frames: usize) {
    let (mut lay, mut tes, mut both) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..frames {
        let (l, t) = d.frame();
        lay.push(l);
        tes.push(t);
        both.push(l + t);
    }
    let (lm, lp) = stats(&mut lay);
    let (tm, tp) = stats(&mut tes);
    let (bm, bp) = stats(&mut both);
    println!(
        "    {name:12} layout mean {lm:6.2} p99 {lp:6.2} | tessellation mean {tm:6.2} p99 {tp:6.2} | egui CPU mean {bm:6.2} p99 {bp:6.2} ms  ({frames} frames, screen {})",
        d.app.flow().screen.name()
    );
}

fn frame_times() {
    println!("(b) egui CPU time per frame at 1920x1080 (no rendering):");
    let mut cards = EmulatedCards::new(CitizenProfile::demo());
    cards.apdu_delay = Duration::from_millis(25); // a real card's pace: Reading is seen
    let mut config = Config::for_test();
    config.countdown = Duration::from_secs(3600); // keep the live preview for measuring
    config.idle_timeout = Duration::from_secs(3600);
    let app = KioskApp::for_test_with(
        Box::new(cards),
        camera(),
        Box::new(MemorySink::default()),
        config,
    );
    let mut d = Driver::new(app);
    d.frame();
    measure(&mut d, "welcome", 300);
    d.app.dispatch(Event::Start(Service::EidLevel2));
    measure(&mut d, "consent", 300);
    d.app.dispatch(Event::ConsentAccepted);
    d.until("the card key step", |a| a.flow().screen == Screen::CardKey);
    d.app.dispatch(Event::KeyTab(KeyTab::Typed));
    measure(&mut d, "card_key", 300);
    d.app.dispatch(Event::KeyReady(plan()));
    let mut reading = 0;
    let (mut lay, mut tes) = (Vec::new(), Vec::new());
    while d.app.flow().screen == Screen::Reading {
        let (l, t) = d.frame();
        lay.push(l);
        tes.push(t);
        reading += 1;
        std::thread::sleep(Duration::from_millis(16));
    }
    let (lm, lp) = stats(&mut lay);
    let (tm, tp) = stats(&mut tes);
    println!(
        "    {:12} layout mean {lm:6.2} p99 {lp:6.2} | tessellation mean {tm:6.2} p99 {tp:6.2} ms  ({reading} frames during the read)",
        "reading"
    );
    d.until("the review", |a| a.flow().screen == Screen::Review);
    measure(&mut d, "review", 300);
    d.app.dispatch(Event::ReviewAccepted);
    d.until("a camera frame", |a| a.has_camera_frame());
    // The preview texture is re-uploaded for each camera frame: frames here include it.
    let mut with_preview = 0;
    let t = Instant::now();
    let (mut lay, mut tes) = (Vec::new(), Vec::new());
    while with_preview < 300 && t.elapsed() < Duration::from_secs(20) {
        let (l, tt) = d.frame();
        lay.push(l);
        tes.push(tt);
        with_preview += 1;
        std::thread::sleep(Duration::from_millis(8));
    }
    let (lm, lp) = stats(&mut lay);
    let (tm, tp) = stats(&mut tes);
    println!(
        "    {:12} layout mean {lm:6.2} p99 {lp:6.2} | tessellation mean {tm:6.2} p99 {tp:6.2} ms  ({with_preview} frames, live preview)",
        "photo"
    );
    d.app.dispatch(Event::Home);
    d.app.dispatch(Event::OfficerOpen);
    measure(&mut d, "officer_pin", 300);
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn serve(d: &mut Driver, i: usize) {
    d.app.dispatch(Event::Start(Service::EidLevel2));
    d.app.dispatch(Event::ConsentAccepted);
    d.until("the card key step", |a| a.flow().screen == Screen::CardKey);
    d.app.dispatch(Event::KeyReady(plan()));
    d.until("the review", |a| a.flow().screen == Screen::Review);
    d.app.dispatch(Event::ReviewAccepted);
    d.until("the capture", |a| a.flow().session.photo.is_some());
    d.app.dispatch(Event::PhotoAccepted);
    // A different number each time: the same one would (rightly) stop at the warning.
    d.app
        .dispatch(Event::PhoneConfirmed(format!("+8491{:07}", 1_000_000 + i)));
    d.until("the receipt", |a| {
        matches!(a.flow().screen, Screen::Done { .. })
    });
    d.app.dispatch(Event::Home);
    d.frame();
}

fn rss_growth(n: usize) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let sink = cccd_kiosk::queue::sink::StoreSink::open(dir.path(), "BENCH-01", "00001")
        .unwrap_or_else(|e| panic!("store: {e}"));
    let sink: Box<dyn RecordSink> = Box::new(sink);
    let mut config = Config::for_test();
    config.idle_timeout = Duration::from_secs(3600);
    let app = KioskApp::for_test_with(
        Box::new(EmulatedCards::new(CitizenProfile::demo())),
        camera(),
        sink,
        config,
    );
    let mut d = Driver::new(app);
    d.frame();
    let warm = 10;
    for i in 0..warm {
        serve(&mut d, i);
    }
    let before = rss_kib();
    let t = Instant::now();
    for i in warm..warm + n {
        serve(&mut d, i);
    }
    let after = rss_kib();
    let records = cccd_kiosk::queue::store::Store::open(dir.path())
        .and_then(|s| s.stats())
        .map(|s| format!("{s:?}"))
        .unwrap_or_default();
    println!(
        "(d) RSS after {warm} warm-up citizens {:.1} MiB, after {n} more {:.1} MiB: growth {:+.1} MiB ({:.2} s per citizen); queue {records}",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after as f64 - before as f64) / 1024.0,
        t.elapsed().as_secs_f64() / n.max(1) as f64
    );
}

fn xvfb() {
    let bin = env!("CARGO_BIN_EXE_cccd-kiosk");
    let have_xvfb = std::process::Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_xvfb {
        println!("(c) software rendering under Xvfb: skipped (no xvfb-run)");
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let t = Instant::now();
    let out = std::process::Command::new("xvfb-run")
        .args([
            "-a",
            "-s",
            "-screen 0 1920x1080x24",
            bin,
            "kiosk",
            "--demo-tour",
        ])
        .arg(dir.path())
        .args(["--size", "1920x1080"])
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let text =
                std::fs::read_to_string(dir.path().join("frame-times.txt")).unwrap_or_default();
            println!(
                "(c) software rendering under Xvfb (llvmpipe), demo tour in {:.1} s; per screen, our show() and eframe's whole frame:\n{text}",
                t.elapsed().as_secs_f64()
            );
        }
        Ok(o) => println!(
            "(c) demo tour under Xvfb failed: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        ),
        Err(e) => println!("(c) could not run xvfb-run: {e}"),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke test.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let n = std::env::var("CCCD_BENCH_CITIZENS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke { 2 } else { 200 });
    cold_start();
    frame_times();
    if std::env::var("CCCD_BENCH_XVFB").as_deref() != Ok("0") && !smoke {
        xvfb();
    }
    rss_growth(n);
}
