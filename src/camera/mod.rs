//! Camera: where live frames come from, and what the kiosk checks in them.
//!
//! Decisions:
//! - One trait, [`FrameSource`], so the kiosk, the tests and `make demo` run the
//!   same code on a real webcam (`nokhwa`, cargo feature `camera`, off by default:
//!   it needs V4L2 and libclang to build), a file or folder of frames
//!   ([`file::FileSource`]) or a synthetic camera ([`synthetic::SyntheticSource`]).
//! - Quality checks are plain image statistics ([`quality`]): brightness (mean
//!   luma) and sharpness (variance of the Laplacian, Pech-Pacheco et al. 2000).
//! - Face presence is a real detector with a shipped model ([`face`], SeetaFace
//!   frontal via `rustface`); when no detector is available the check FAILS
//!   CLOSED and the officer confirms the photo by hand — never a heuristic.
//! - QR codes on the card front are decoded with `rqrr` ([`qr`]).
//! - Frames are processed on a worker thread ([`worker`]); the UI only receives
//!   reports through a channel.

pub mod face;
pub mod file;
#[cfg(feature = "camera")]
pub mod nokhwa_source;
pub mod qr;
pub mod quality;
pub mod synthetic;
pub mod worker;

use thiserror::Error;

/// Why a frame could not be had.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CameraError {
    /// No camera (unplugged, or none configured); the kiosk keeps retrying.
    #[error("no camera: {0}")]
    Unavailable(String),
    /// A frame file could not be read.
    #[error("frame {path}: {message}")]
    File { path: String, message: String },
    /// A folder source holds no images.
    #[error("no image files in {0}")]
    Empty(String),
}

/// What the flow currently wants the camera to look at. A real camera ignores
/// it; the synthetic one shows a card's QR code or a face so the demo and tests
/// exercise the same decode and detection code as a real camera would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    /// The card-key step: the citizen holds the card's front up.
    CardQr,
    /// The photo step: the citizen faces the camera.
    Face,
}

/// A source of RGB frames.
pub trait FrameSource: Send {
    /// The next frame; may block for up to one frame interval.
    fn next_frame(&mut self) -> Result<image::RgbImage, CameraError>;
    /// Tell the source what the flow is looking for (only synthetic sources care).
    fn set_scene(&mut self, _scene: Scene) {}
}

/// Frames per second `source` delivers: `frames` frames timed after one warm-up frame
/// (a webcam's first frame includes opening it), stopping early after `limit`. Used by
/// `doctor` and the officer's diagnostics screen: a camera that delivers a few frames
/// a second makes the face checks and the countdown feel broken.
pub fn measure_fps(
    source: &mut dyn FrameSource,
    frames: u32,
    limit: std::time::Duration,
) -> Result<f64, CameraError> {
    source.next_frame()?;
    let t = std::time::Instant::now();
    let mut n = 0u32;
    while n < frames.max(1) && t.elapsed() < limit {
        source.next_frame()?;
        n += 1;
    }
    Ok(f64::from(n) / t.elapsed().as_secs_f64().max(1e-9))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A camera that takes `0` per frame, like a webcam at 1/`0` fps.
    struct Paced(std::time::Duration);

    impl FrameSource for Paced {
        fn next_frame(&mut self) -> Result<image::RgbImage, CameraError> {
            std::thread::sleep(self.0);
            Ok(image::RgbImage::new(2, 2))
        }
    }

    #[test]
    fn frames_per_second_follow_the_sources_frame_interval() {
        let limit = std::time::Duration::from_secs(5);
        let fast = measure_fps(&mut Paced(std::time::Duration::from_millis(20)), 10, limit);
        let fast = fast.unwrap();
        assert!((25.0..=50.5).contains(&fast), "{fast}"); // 50 fps at most
        let slow = measure_fps(&mut Paced(std::time::Duration::from_millis(100)), 3, limit);
        let slow = slow.unwrap();
        assert!((5.0..=10.1).contains(&slow), "{slow}");
    }

    #[test]
    fn a_camera_that_fails_reports_the_error_not_a_rate() {
        struct Gone;
        impl FrameSource for Gone {
            fn next_frame(&mut self) -> Result<image::RgbImage, CameraError> {
                Err(CameraError::Unavailable("unplugged".into()))
            }
        }
        let r = measure_fps(&mut Gone, 5, std::time::Duration::from_secs(1));
        assert_eq!(r, Err(CameraError::Unavailable("unplugged".into())));
    }
}
