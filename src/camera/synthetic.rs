//! A synthetic camera: a real portrait photograph (the emulator's DG2 fixture,
//! public domain) drifting slowly on a grey background, or — when the flow asks
//! for the card key — a card-sized white area with the card's QR code.
//!
//! The face is a photograph, not a drawing, so the real detector judges it the
//! way it judges a person; nothing in the detector knows this source exists.

use super::{CameraError, FrameSource, Scene};
use image::{imageops, Rgb, RgbImage};

/// Frame size of the synthetic camera (a common webcam mode).
pub const WIDTH: u32 = 640;
/// Frame height.
pub const HEIGHT: u32 = 480;

/// The synthetic camera.
pub struct SyntheticSource {
    face: Option<RgbImage>,
    qr_text: Option<String>,
    scene: Scene,
    tick: u32,
    /// Sleep between frames, like a 30 fps camera (0 in tests).
    pub frame_interval: std::time::Duration,
}

impl SyntheticSource {
    /// A camera that shows `qr_text` as the card's QR code when the flow wants it.
    pub fn new(qr_text: Option<String>) -> Self {
        let face =
            image::load_from_memory(include_bytes!("../card/emulator/faces/astronaut-large.jpg"))
                .ok()
                .map(|i| i.to_rgb8())
                .map(|i| {
                    imageops::resize(
                        &i,
                        300,
                        300 * i.height() / i.width().max(1),
                        imageops::FilterType::Triangle,
                    )
                });
        Self {
            face,
            qr_text,
            scene: Scene::Face,
            tick: 0,
            frame_interval: std::time::Duration::from_millis(33),
        }
    }
}

impl SyntheticSource {
    /// Show another card's QR code (`simulate` serves many citizens with one camera).
    pub fn set_qr_text(&mut self, qr_text: Option<String>) {
        self.qr_text = qr_text;
    }
}

impl FrameSource for SyntheticSource {
    fn next_frame(&mut self) -> Result<RgbImage, CameraError> {
        if !self.frame_interval.is_zero() {
            std::thread::sleep(self.frame_interval);
        }
        self.tick = self.tick.wrapping_add(1);
        let mut frame = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([96, 104, 112]));
        match (self.scene, &self.qr_text) {
            (Scene::CardQr, Some(text)) => {
                let card = RgbImage::from_pixel(360, 240, Rgb([236, 240, 236]));
                imageops::overlay(&mut frame, &card, 140, 120);
                if let Ok(code) = super::qr::render(text, 3) {
                    let code = image::DynamicImage::ImageLuma8(code).to_rgb8();
                    let x = (WIDTH as i64 - code.width() as i64) / 2;
                    let y = (HEIGHT as i64 - code.height() as i64) / 2;
                    imageops::overlay(&mut frame, &code, x, y);
                }
            }
            _ => {
                if let Some(face) = &self.face {
                    // drift a few pixels, as a person does
                    let dx = (self.tick % 9) as i64 - 4;
                    let x = (WIDTH as i64 - face.width() as i64) / 2 + dx;
                    let y = (HEIGHT as i64 - face.height() as i64) / 2;
                    imageops::overlay(&mut frame, face, x, y);
                }
            }
        }
        Ok(frame)
    }

    fn set_scene(&mut self, scene: Scene) {
        self.scene = scene;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::{face, qr, quality};

    #[test]
    fn shows_the_cards_qr_when_asked_and_a_detectable_face_otherwise() {
        let mut s = SyntheticSource::new(Some(
            "001195000123|012345678|Nguyễn Thị Thu Hương|14031995|Nữ|Hà Nội|10072021".into(),
        ));
        s.frame_interval = std::time::Duration::ZERO;
        let f = s.next_frame().unwrap();
        assert_eq!(qr::decode(&quality::luma(&f)), None);
        assert_eq!(face::build().detect(&quality::luma(&f)).unwrap().len(), 1);
        s.set_scene(Scene::CardQr);
        let f = s.next_frame().unwrap();
        assert!(qr::decode(&quality::luma(&f))
            .unwrap()
            .starts_with("001195000123|"));
    }
}
