//! The camera thread: grabs frames, measures them, looks for faces or a QR code
//! as the flow asks, and reports on a channel. The UI thread never waits on it.
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
    channel, sync_channel, Receiver, Sender, SyncSender, TryRecvError, TrySendError,
};
use std::sync::Arc;
use std::thread::JoinHandle;

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
    Error(CameraError),
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
    let mut window = (std::time::Instant::now(), 0u32);
    let mut det = if detector {
        face::build()
    } else {
        Box::new(face::Unavailable("disabled by configuration".into()))
    };
    let mut mode = Mode::Off;
    let mut generation = 0;
    loop {
        // take the newest mode; block while off
        loop {
            let next = if mode == Mode::Off {
                mode_rx.recv().map_err(|_| TryRecvError::Disconnected)
            } else {
                mode_rx.try_recv()
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
                    window = (std::time::Instant::now(), 0);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let grabbed = source.next_frame();
        if grabbed.is_ok() {
            window.1 += 1;
            let dt = window.0.elapsed();
            if dt >= std::time::Duration::from_secs(1) {
                let rate = f64::from(window.1) / dt.as_secs_f64();
                fps.store(rate.to_bits(), Ordering::Relaxed);
                window = (std::time::Instant::now(), 0);
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
                std::thread::sleep(std::time::Duration::from_millis(500));
                CameraMsg::Error(e)
            }
        };
        match tx.try_send(msg) {
            Ok(()) => wake(),
            Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
}
