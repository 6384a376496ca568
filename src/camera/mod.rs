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

/// Which webcam to open (config `camera = 0`, `"/dev/video2"` or a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Webcam {
    /// `/dev/videoN`.
    Index(u32),
    /// A part of the name the driver reports (case and spacing ignored), e.g.
    /// "C920" for "HD Pro Webcam C920": survives the camera moving to another USB
    /// port, where its `/dev/videoN` may change.
    Name(String),
}

/// The indices of the `(index, name)` devices whose name contains `wanted`, ignoring
/// case and runs of spaces, lowest index first (a UVC camera's capture node comes
/// before its metadata node).
pub fn match_webcam(devices: &[(u32, String)], wanted: &str) -> Vec<u32> {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let wanted = norm(wanted);
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<u32> = devices
        .iter()
        .filter(|(_, name)| norm(name).contains(&wanted))
        .map(|(i, _)| *i)
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// The V4L2 devices the kernel lists under `sys_dir` (normally
/// `/sys/class/video4linux`) as `(N of /dev/videoN, name)`: what `doctor` matches a
/// configured camera name against without opening any device.
pub fn v4l2_devices(sys_dir: &std::path::Path) -> Vec<(u32, String)> {
    let Ok(rd) = std::fs::read_dir(sys_dir) else {
        return Vec::new();
    };
    let mut v: Vec<(u32, String)> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            let n = e
                .file_name()
                .to_str()?
                .strip_prefix("video")?
                .parse()
                .ok()?;
            let name = std::fs::read_to_string(e.path().join("name")).ok()?;
            Some((n, name.trim().to_string()))
        })
        .collect();
    v.sort();
    v
}

/// A source of RGB frames.
pub trait FrameSource: Send {
    /// The next frame; may block for up to one frame interval.
    fn next_frame(&mut self) -> Result<image::RgbImage, CameraError>;
    /// Tell the source what the flow is looking for (only synthetic sources care).
    fn set_scene(&mut self, _scene: Scene) {}
    /// Forget the device after a failed frame, so the next [`Self::next_frame`] opens
    /// it afresh: a webcam unplugged and plugged back comes back as a new device, a
    /// folder of frames may have been replaced. The camera thread calls this before
    /// each retry (at most once a second).
    fn reset(&mut self) {}
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
    fn a_webcam_is_found_by_part_of_its_name_capture_node_first() {
        // What V4L2 lists on a kiosk with a Logitech C920 and a laptop's own camera.
        let devices = vec![
            (3, "HD Pro Webcam C920".to_string()),
            (0, "Integrated Camera: Integrated C".to_string()),
            (2, "HD Pro Webcam C920".to_string()),
            (1, "Integrated Camera: Integrated C".to_string()),
        ];
        assert_eq!(match_webcam(&devices, "c920"), vec![2, 3]);
        assert_eq!(match_webcam(&devices, "  hd  pro "), vec![2, 3]);
        assert_eq!(match_webcam(&devices, "Integrated"), vec![0, 1]);
        assert!(match_webcam(&devices, "Brio").is_empty());
        assert!(
            match_webcam(&devices, " ").is_empty(),
            "a blank name matches nothing"
        );
    }

    #[test]
    fn v4l2_devices_are_read_from_sysfs_names() {
        let sys = tempfile::tempdir().unwrap();
        for (node, name) in [
            ("video1", "HD Pro Webcam C920\n"),
            ("video0", "HD Pro Webcam C920\n"),
        ] {
            std::fs::create_dir(sys.path().join(node)).unwrap();
            std::fs::write(sys.path().join(node).join("name"), name).unwrap();
        }
        std::fs::create_dir(sys.path().join("v4l-subdev0")).unwrap();
        let found = v4l2_devices(sys.path());
        assert_eq!(
            found,
            vec![
                (0, "HD Pro Webcam C920".into()),
                (1, "HD Pro Webcam C920".into())
            ]
        );
        assert_eq!(match_webcam(&found, "c920"), vec![0, 1]);
        assert!(v4l2_devices(&sys.path().join("gone")).is_empty());
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
