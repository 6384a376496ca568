//! Real webcams through `nokhwa` (V4L2 on Linux), behind the cargo feature
//! `camera` (off by default: it needs V4L2 headers and libclang to build, and
//! the build machines have no camera).
//!
//! Unplug and replug: a failed frame drops the stream; the next call reopens
//! the camera by its index, so the kiosk recovers without a restart.

use super::{CameraError, FrameSource};
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType};
use nokhwa::Camera;

/// A webcam by index.
pub struct NokhwaSource {
    index: u32,
    camera: Option<Camera>,
}

impl NokhwaSource {
    /// The camera with this index; opened on the first frame.
    pub fn new(index: u32) -> Self {
        Self {
            index,
            camera: None,
        }
    }

    fn open(&mut self) -> Result<&mut Camera, CameraError> {
        if self.camera.is_none() {
            let fmt =
                RequestedFormat::new::<RgbFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
            let mut c = Camera::new(CameraIndex::Index(self.index), fmt)
                .map_err(|e| CameraError::Unavailable(e.to_string()))?;
            c.open_stream()
                .map_err(|e| CameraError::Unavailable(e.to_string()))?;
            self.camera = Some(c);
        }
        self.camera
            .as_mut()
            .ok_or_else(|| CameraError::Unavailable("camera not open".into()))
    }
}

impl FrameSource for NokhwaSource {
    fn next_frame(&mut self) -> Result<image::RgbImage, CameraError> {
        let cam = self.open()?;
        let frame = cam
            .frame()
            .and_then(|b| b.decode_image::<RgbFormat>())
            .map_err(|e| CameraError::Unavailable(e.to_string()));
        if frame.is_err() {
            self.camera = None; // reopen on the next call (unplugged?)
        }
        frame
    }
}
