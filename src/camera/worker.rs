//! The camera thread: grabs frames, measures them, looks for faces or a QR code
//! as the flow asks, and reports on a channel. The UI thread never waits on it.
//!
//! Unplug and replug: a failed frame is reported ([`CameraMsg::Error`]), the source
//! is reset ([`FrameSource::reset`]) and tried again after [`RETRY`], for as long as a
//! screen wants frames; the first good frame after that is an ordinary
//! [`CameraMsg::Frame`], so the screens go back to the live preview by themselves.
//! The wait is a timed receive on the mode channel: a mode change or shutdown is
//! seen at once, and a missing camera costs one open attempt a second, not a core.
//!
//! The face detector is built on this thread (rustface's detector is not `Send`).
//! Detection runs on a half-size frame: a face at a kiosk is large, and it keeps
//! the camera thread near the camera's own rate on a small CPU.

use super::face::{self, FaceBox, FaceError};
use super::quality::{self, Quality};
use super::{CameraError, FrameSource, Scene};
use image::RgbImage;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{
    channel, sync_channel, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError,
};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the camera thread waits after a failed frame before it reopens the source.
pub const RETRY: Duration = Duration::from_secs(1);

/// What the camera thread should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Stop grabbing (screens without a camera).
    Off,
    /// Look for a QR code.
    Qr,
    /// Look for faces and measure quality.
    Face,
    /// Only grab frames and count them (the diagnostics screen's frame rate).
    Measure,
}

/// One processed frame.
#[derive(Clone)]
pub struct Report {
    /// The frame as grabbed (shared: the UI shows it and may capture it).
    pub frame: Arc<RgbImage>,
    pub quality: Quality,
    /// Faces found (Face mode); `Err` when no detector is available (fail closed).
    pub faces: Result<Vec<FaceBox>, FaceError>,
    /// The text of a QR code (Qr mode).
    pub qr: Option<String>,
    /// Which `set_mode` call this frame answers: frames grabbed before a mode change
    /// (still in the channel) are stale and the UI drops them.
    pub generation: u64,
}

/// Messages from the camera thread.
pub enum CameraMsg {
    Frame(Box<Report>),
    /// The source failed (unplugged, gone); the thread retries every [`RETRY`] while a
    /// screen wants frames. The `u64` is the generation, as in [`Report::generation`].
    Error(CameraError, u64),
}

/// Handle to the camera thread; dropping it stops the thread.
pub struct CameraWorker {
    mode_tx: Option<Sender<(Mode, u64)>>,
    generation: u64,
    thread: Option<JoinHandle<()>>,
    /// Frames per second the source delivered over the last second (f64 bits; 0: none).
    fps: Arc<AtomicU64>,
    /// Reports from the camera thread.
    pub rx: Receiver<CameraMsg>,
}

impl CameraWorker {
    /// Start the thread over `source`; `detector: false` forces the fail-closed path.
    pub fn start(
        source: Box<dyn FrameSource>,
        detector: bool,
        wake: Box<dyn Fn() + Send>,
    ) -> CameraWorker {
        let (mode_tx, mode_rx) = channel();
        // Bounded: a UI that is not drawing drops frames instead of piling them up.
        let (tx, rx) = sync_channel(2);
        let fps = Arc::new(AtomicU64::new(0));
        let fps_w = fps.clone();
        let thread = std::thread::Builder::new()
            .name("camera".into())
            .spawn(move || run(source, detector, mode_rx, tx, wake, fps_w))
            .ok();
        CameraWorker {
            mode_tx: Some(mode_tx),
            generation: 0,
            thread,
            fps,
            rx,
        }
    }

    /// Change what the thread does; frames from before the change are stale.
    pub fn set_mode(&mut self, mode: Mode) {
        self.generation += 1;
        if let Some(tx) = &self.mode_tx {
            let _ = tx.send((mode, self.generation));
        }
    }

    /// Frames per second the camera delivered over the last whole second of grabbing
    /// (None before a second has been measured).
    pub fn fps(&self) -> Option<f64> {
        let v = f64::from_bits(self.fps.load(Ordering::Relaxed));
        (v > 0.0).then_some(v)
    }

    /// The generation of the last `set_mode`; reports with another are stale.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl Drop for CameraWorker {
    fn drop(&mut self) {
        self.mode_tx = None; // the thread sees the channel closed and ends
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    mut source: Box<dyn FrameSource>,
    detector: bool,
    mode_rx: Receiver<(Mode, u64)>,
    tx: SyncSender<CameraMsg>,
    wake: Box<dyn Fn() + Send>,
    fps: Arc<AtomicU64>,
) {
    let mut window = (Instant::now(), 0u32);
    let mut det = if detector {
        face::build()
    } else {
        Box::new(face::Unavailable("disabled by configuration".into()))
    };
    let mut mode = Mode::Off;
    let mut generation = 0;
    // After a failure: no new attempt before this instant.
    let mut retry_at: Option<Instant> = None;
    loop {
        // Take the newest mode; block while off, and wait out a retry delay.
        loop {
            let wait = retry_at.map(|t| t.saturating_duration_since(Instant::now()));
            let next = match (mode, wait) {
                (Mode::Off, _) => mode_rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                (_, Some(w)) if !w.is_zero() => mode_rx.recv_timeout(w),
                _ => mode_rx.try_recv().map_err(|e| match e {
                    std::sync::mpsc::TryRecvError::Empty => RecvTimeoutError::Timeout,
                    std::sync::mpsc::TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
                }),
            };
            match next {
                Ok((m, g)) => {
                    mode = m;
                    generation = g;
                    match m {
                        Mode::Qr => source.set_scene(Scene::CardQr),
                        Mode::Face => source.set_scene(Scene::Face),
                        Mode::Off | Mode::Measure => {}
                    }
                    window = (Instant::now(), 0);
                }
                Err(RecvTimeoutError::Timeout) => {
                    if retry_at.is_none_or(|t| Instant::now() >= t) {
                        break;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        retry_at = None;
        let grabbed = source.next_frame();
        if grabbed.is_ok() {
            window.1 += 1;
            let dt = window.0.elapsed();
            if dt >= Duration::from_secs(1) {
                let rate = f64::from(window.1) / dt.as_secs_f64();
                fps.store(rate.to_bits(), Ordering::Relaxed);
                window = (Instant::now(), 0);
            }
        }
        if mode == Mode::Measure && grabbed.is_ok() {
            continue;
        }
        let msg = match grabbed {
            Ok(frame) => {
                let gray = quality::luma(&frame);
                let q = quality::measure(&gray);
                let (faces, qr) = match mode {
                    Mode::Face => {
                        let half = image::imageops::resize(
                            &gray,
                            gray.width() / 2,
                            gray.height() / 2,
                            image::imageops::FilterType::Triangle,
                        );
                        let faces = det.detect(&half).map(|v| {
                            v.into_iter()
                                .map(|f| FaceBox {
                                    x: f.x * 2,
                                    y: f.y * 2,
                                    width: f.width * 2,
                                    height: f.height * 2,
                                    score: f.score,
                                })
                                .collect()
                        });
                        (faces, None)
                    }
                    _ => (Ok(Vec::new()), super::qr::decode(&gray)),
                };
                CameraMsg::Frame(Box::new(Report {
                    frame: Arc::new(frame),
                    quality: q,
                    faces,
                    qr,
                    generation,
                }))
            }
            Err(e) => {
                tracing::debug!("camera: {e}; reopening in {} ms", RETRY.as_millis());
                fps.store(0f64.to_bits(), Ordering::Relaxed);
                source.reset();
                retry_at = Some(Instant::now() + RETRY);
                CameraMsg::Error(e, generation)
            }
        };
        match tx.try_send(msg) {
            Ok(()) => wake(),
            Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::file::FileSource;
    use std::sync::atomic::AtomicU32;

    /// A real folder source, counting how often the camera thread asks it for a frame.
    struct Counted(FileSource, Arc<AtomicU32>);

    impl FrameSource for Counted {
        fn next_frame(&mut self) -> Result<RgbImage, CameraError> {
            self.1.fetch_add(1, Ordering::Relaxed);
            self.0.next_frame()
        }
        fn reset(&mut self) {
            self.0.reset()
        }
    }

    fn frames(dir: &std::path::Path, names: &[&str]) {
        std::fs::create_dir_all(dir).unwrap();
        for n in names {
            RgbImage::from_pixel(32, 24, image::Rgb([120, 120, 120]))
                .save(dir.join(n))
                .unwrap();
        }
    }

    /// The next message, skipping nothing; panics after `limit`.
    fn next(w: &CameraWorker, limit: Duration) -> CameraMsg {
        w.rx.recv_timeout(limit)
            .expect("the camera thread went quiet")
    }

    #[test]
    fn a_folder_removed_and_put_back_stops_frames_then_resumes_them_retrying_once_a_second() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("usb-camera");
        frames(&dir, &["a.png", "b.png"]);
        let calls = Arc::new(AtomicU32::new(0));
        let source = Counted(FileSource::open(&dir).unwrap(), calls.clone());
        let mut w = CameraWorker::start(Box::new(source), false, Box::new(|| {}));
        w.set_mode(Mode::Face);
        assert!(matches!(
            next(&w, Duration::from_secs(5)),
            CameraMsg::Frame(_)
        ));

        // Unplugged: an error naming what is gone, then quiet retries.
        std::fs::remove_dir_all(&dir).unwrap();
        let t = Instant::now();
        let err = loop {
            match next(&w, Duration::from_secs(5)) {
                CameraMsg::Frame(_) => assert!(t.elapsed() < Duration::from_secs(2)),
                CameraMsg::Error(e, g) => {
                    assert_eq!(g, w.generation());
                    break e;
                }
            }
        };
        assert!(err.to_string().contains("usb-camera"), "{err}");
        let before = calls.load(Ordering::Relaxed);
        let outage = Instant::now();
        let mut errors = 0;
        while outage.elapsed() < Duration::from_millis(3500) {
            if let Ok(CameraMsg::Error(..)) = w.rx.recv_timeout(Duration::from_millis(100)) {
                errors += 1;
            }
        }
        let tries = calls.load(Ordering::Relaxed) - before;
        assert!(
            (2..=4).contains(&tries),
            "{tries} open attempts in 3.5 s: one a second, no busy loop"
        );
        assert!((2..=4).contains(&errors), "{errors} error reports in 3.5 s");
        assert_eq!(w.fps(), None, "no frame rate while the camera is gone");

        // Plugged back, with other file names: frames again, no restart.
        frames(&dir, &["c.png"]);
        let back = Instant::now();
        loop {
            match next(&w, Duration::from_secs(5)) {
                CameraMsg::Frame(r) => {
                    assert_eq!(r.generation, w.generation());
                    break;
                }
                CameraMsg::Error(..) => {}
            }
        }
        assert!(
            back.elapsed() < Duration::from_secs(3),
            "{:?}",
            back.elapsed()
        );
        // Shutting down during an outage does not wait out the retry delay.
        std::fs::remove_dir_all(&dir).unwrap();
        while !matches!(next(&w, Duration::from_secs(5)), CameraMsg::Error(..)) {}
        let t = Instant::now();
        drop(w);
        assert!(
            t.elapsed() < Duration::from_millis(300),
            "{:?}",
            t.elapsed()
        );
    }
}
