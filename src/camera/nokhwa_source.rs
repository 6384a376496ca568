//! Real webcams through `nokhwa` 0.10 (V4L2 on Linux), behind the cargo feature
//! `camera` (off by default: building it needs libclang for the V4L2 bindings, which
//! `make deps` installs; `make test` checks that it compiles).
//!
//! Which camera: [`Webcam::Index`] (`/dev/videoN`) or [`Webcam::Name`], a part of the
//! name the driver reports (`v4l2-ctl --list-devices`, e.g. "C920"). A name is looked
//! up again through `nokhwa::query` at every open, so a camera plugged back into
//! another USB port (a new `/dev/videoN`) is found again; an index is not.
//!
//! Unplug and replug: a failed frame drops the stream ([`FrameSource::reset`], called
//! by the camera thread), and the next frame opens the camera again.

use super::{CameraError, FrameSource, Webcam};
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{ApiBackend, CameraIndex, RequestedFormat, RequestedFormatType};
use nokhwa::Camera;

/// A webcam, opened on the first frame and again after every failure.
pub struct NokhwaSource {
    which: Webcam,
    camera: Option<Camera>,
}

impl NokhwaSource {
    /// The camera with this index (`/dev/videoN`); opened on the first frame.
    pub fn new(index: u32) -> Self {
        Self::select(Webcam::Index(index))
    }

    /// The camera `which` names; opened on the first frame.
    pub fn select(which: Webcam) -> Self {
        Self {
            which,
            camera: None,
        }
    }

    /// Indices to try, best first: the configured one, or every device whose name
    /// matches (a UVC webcam shows up twice — capture and metadata nodes — under one
    /// name; only the capture node opens).
    fn candidates(&self) -> Result<Vec<u32>, CameraError> {
        match &self.which {
            Webcam::Index(i) => Ok(vec![*i]),
            Webcam::Name(name) => {
                let devices: Vec<(u32, String)> = nokhwa::query(ApiBackend::Auto)
                    .map_err(|e| CameraError::Unavailable(format!("listing cameras: {e}")))?
                    .into_iter()
                    .filter_map(|info| match info.index() {
                        CameraIndex::Index(i) => Some((*i, info.human_name())),
                        CameraIndex::String(_) => None,
                    })
                    .collect();
                let found = super::match_webcam(&devices, name);
                if found.is_empty() {
                    let seen: Vec<&str> = devices.iter().map(|(_, n)| n.as_str()).collect();
                    return Err(CameraError::Unavailable(format!(
                        "no camera named like \"{name}\" (connected: {})",
                        if seen.is_empty() {
                            "none".to_string()
                        } else {
                            seen.join(", ")
                        }
                    )));
                }
                Ok(found)
            }
        }
    }

    fn open(&mut self) -> Result<&mut Camera, CameraError> {
        if self.camera.is_none() {
            let mut last = CameraError::Unavailable("no camera".into());
            for index in self.candidates()? {
                let fmt = RequestedFormat::new::<RgbFormat>(
                    RequestedFormatType::AbsoluteHighestFrameRate,
                );
                let opened = Camera::new(CameraIndex::Index(index), fmt).and_then(|mut c| {
                    c.open_stream()?;
                    Ok(c)
                });
                match opened {
                    Ok(c) => {
                        tracing::info!("camera /dev/video{index} ({}) open", c.info().human_name());
                        self.camera = Some(c);
                        break;
                    }
                    Err(e) => last = CameraError::Unavailable(format!("/dev/video{index}: {e}")),
                }
            }
            if self.camera.is_none() {
                return Err(last);
            }
        }
        self.camera
            .as_mut()
            .ok_or_else(|| CameraError::Unavailable("camera not open".into()))
    }
}

impl FrameSource for NokhwaSource {
    fn next_frame(&mut self) -> Result<image::RgbImage, CameraError> {
        let cam = self.open()?;
        cam.frame()
            .and_then(|b| b.decode_image::<RgbFormat>())
            .map_err(|e| CameraError::Unavailable(e.to_string()))
    }

    fn reset(&mut self) {
        // Dropping the camera stops its stream and closes the device node, so a
        // replugged camera can take it (or a new one) again.
        self.camera = None;
    }
}
