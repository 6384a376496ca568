//! Face presence for the photo step (DESIGN.md "Faces").
//!
//! The detector is SeetaFace's frontal face detector (funnel-structured cascade,
//! Wu et al. 2016) through the `rustface` crate, with the model file that the
//! `rustface` crate itself ships (`model/seeta_fd_frontal_v1.0.bin`, BSD-2-Clause,
//! copied into `assets/models/` with its licence and compiled into the binary).
//!
//! If the detector cannot be built (model unreadable), [`build`] returns
//! [`Unavailable`], whose answer is always [`FaceError::NoDetector`]: the photo
//! step then FAILS CLOSED — it never passes the face check by itself and the
//! officer must confirm the photo by hand. There is no fallback heuristic.

use image::GrayImage;
use thiserror::Error;

/// The SeetaFace frontal model, as shipped by the `rustface` crate (1.2 MB).
const SEETA_MODEL: &[u8] = include_bytes!("../../assets/models/seeta_fd_frontal_v1.0.bin");

/// A face found in a frame, in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub score: f64,
}

impl FaceBox {
    /// Centre of the box, as a fraction of the frame (0–1 each way).
    pub fn centre_in(&self, frame_w: u32, frame_h: u32) -> (f32, f32) {
        (
            (self.x as f32 + self.width as f32 / 2.0) / frame_w.max(1) as f32,
            (self.y as f32 + self.height as f32 / 2.0) / frame_h.max(1) as f32,
        )
    }
}

/// Why faces could not be looked for.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FaceError {
    /// No detector: the officer must confirm the photo by hand.
    #[error("no face detector available: {0}")]
    NoDetector(String),
}

/// Finds faces in a grey frame. Not `Send`: built on the camera thread.
pub trait FaceDetector {
    /// Every face in the frame.
    fn detect(&mut self, gray: &GrayImage) -> Result<Vec<FaceBox>, FaceError>;
}

/// SeetaFace frontal detector.
pub struct Seeta {
    inner: Box<dyn rustface::Detector>,
}

/// The detector that is always unavailable: the fail-closed answer.
pub struct Unavailable(pub String);

impl FaceDetector for Unavailable {
    fn detect(&mut self, _gray: &GrayImage) -> Result<Vec<FaceBox>, FaceError> {
        Err(FaceError::NoDetector(self.0.clone()))
    }
}

/// The shipped detector, or [`Unavailable`] when its model cannot be read.
pub fn build() -> Box<dyn FaceDetector> {
    match rustface::read_model(std::io::Cursor::new(SEETA_MODEL)) {
        Ok(model) => {
            let mut d = rustface::create_detector_with_model(model);
            // Values of rustface's own example; faces at a kiosk fill a good part of the frame.
            d.set_min_face_size(40);
            d.set_score_thresh(2.0);
            d.set_pyramid_scale_factor(0.8);
            d.set_slide_window_step(4, 4);
            Box::new(Seeta { inner: d })
        }
        Err(e) => Box::new(Unavailable(format!("SeetaFace model: {e}"))),
    }
}

impl FaceDetector for Seeta {
    fn detect(&mut self, gray: &GrayImage) -> Result<Vec<FaceBox>, FaceError> {
        let (w, h) = gray.dimensions();
        // rustface panics on images smaller than its 20 px window.
        if w < 40 || h < 40 {
            return Ok(Vec::new());
        }
        let data = rustface::ImageData::new(gray.as_raw(), w, h);
        Ok(self
            .inner
            .detect(&data)
            .into_iter()
            .map(|f| {
                let b = f.bbox();
                FaceBox {
                    x: b.x(),
                    y: b.y(),
                    width: b.width(),
                    height: b.height(),
                    score: f.score(),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    //! The astronaut portrait (Eileen Collins, NASA, public domain; scikit-image's
    //! sample `astronaut`) is a real photograph; negatives are a QR code, flat grey
    //! and noise.
    use super::*;

    fn gray(bytes: &[u8]) -> GrayImage {
        image::load_from_memory(bytes).unwrap().to_luma8()
    }

    #[test]
    fn finds_exactly_one_face_in_a_real_portrait() {
        let mut d = build();
        let img = gray(include_bytes!("../card/emulator/faces/astronaut-large.jpg"));
        let faces = d.detect(&img).unwrap();
        assert_eq!(faces.len(), 1, "{faces:?}");
        let (cx, cy) = faces[0].centre_in(img.width(), img.height());
        assert!(
            (0.2..0.8).contains(&cx) && (0.1..0.8).contains(&cy),
            "{cx},{cy}"
        );
    }

    #[test]
    fn finds_no_face_in_a_qr_code_flat_grey_or_noise() {
        let mut d = build();
        let qr = crate::camera::qr::render("001195000123|012345678|Nguyen|14031995", 6).unwrap();
        assert!(d.detect(&qr).unwrap().is_empty());
        let flat = GrayImage::from_pixel(320, 240, image::Luma([128]));
        assert!(d.detect(&flat).unwrap().is_empty());
        let mut x: u32 = 12345;
        let noise = GrayImage::from_fn(320, 240, |_, _| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            image::Luma([(x >> 16) as u8])
        });
        assert!(d.detect(&noise).unwrap().is_empty());
    }

    #[test]
    fn without_a_model_the_check_fails_closed() {
        let mut d = Unavailable("test".into());
        assert!(matches!(
            d.detect(&GrayImage::new(100, 100)),
            Err(FaceError::NoDetector(_))
        ));
    }
}
