//! Photo quality: brightness and sharpness, cheap enough for every preview frame.
//!
//! Sharpness is the variance of the 3×3 Laplacian of the luma (Pech-Pacheco et
//! al., "Diatom autofocusing in brightfield microscopy", ICPR 2000): a blurred or
//! shaken photo has few edges and a low variance. Thresholds are for a 640×480
//! webcam frame and live in [`Thresholds`] so a site can tune them in config.

use image::{GrayImage, RgbImage};

/// Measured quality of one frame.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Quality {
    /// Mean luma, 0–255.
    pub brightness: f32,
    /// Variance of the Laplacian of the luma.
    pub sharpness: f32,
}

/// Acceptable ranges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub min_brightness: f32,
    pub max_brightness: f32,
    pub min_sharpness: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_brightness: 60.0,
            max_brightness: 210.0,
            min_sharpness: 40.0,
        }
    }
}

impl Thresholds {
    /// True when the brightness is in range.
    pub fn bright_ok(&self, q: &Quality) -> bool {
        q.brightness >= self.min_brightness && q.brightness <= self.max_brightness
    }
    /// True when the frame is sharp enough.
    pub fn sharp_ok(&self, q: &Quality) -> bool {
        q.sharpness >= self.min_sharpness
    }
}

/// Luma (ITU-R BT.601) of a frame, as the detector and the checks use it.
pub fn luma(img: &RgbImage) -> GrayImage {
    image::imageops::grayscale(img)
}

/// Brightness and sharpness of a grey frame.
pub fn measure(gray: &GrayImage) -> Quality {
    let (w, h) = gray.dimensions();
    let n = (w as f64) * (h as f64);
    if n == 0.0 {
        return Quality {
            brightness: 0.0,
            sharpness: 0.0,
        };
    }
    let sum: f64 = gray.pixels().map(|p| p.0[0] as f64).sum();
    let brightness = (sum / n) as f32;
    let px = |x: u32, y: u32| gray.get_pixel(x, y).0[0] as f64;
    let (mut s, mut s2, mut m) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let l = px(x - 1, y) + px(x + 1, y) + px(x, y - 1) + px(x, y + 1) - 4.0 * px(x, y);
            s += l;
            s2 += l * l;
            m += 1.0;
        }
    }
    let sharpness = if m > 0.0 {
        let mean = s / m;
        (s2 / m - mean * mean) as f32
    } else {
        0.0
    };
    Quality {
        brightness,
        sharpness,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face() -> RgbImage {
        image::load_from_memory(include_bytes!("../card/emulator/faces/astronaut.jpg"))
            .unwrap()
            .to_rgb8()
    }

    #[test]
    fn a_real_portrait_passes_and_its_blurred_copy_fails_sharpness() {
        let t = Thresholds::default();
        let img = face();
        let q = measure(&luma(&img));
        assert!(t.bright_ok(&q) && t.sharp_ok(&q), "{q:?}");
        let blurred = image::imageops::blur(&img, 4.0);
        let qb = measure(&luma(&blurred));
        assert!(!t.sharp_ok(&qb), "blurred {qb:?}");
        assert!(qb.sharpness < q.sharpness / 4.0);
    }

    #[test]
    fn a_dark_frame_fails_brightness() {
        let t = Thresholds::default();
        let mut img = face();
        for p in img.pixels_mut() {
            p.0 = p.0.map(|c| c / 6);
        }
        let q = measure(&luma(&img));
        assert!(!t.bright_ok(&q), "{q:?}");
    }

    #[test]
    fn empty_image_measures_zero_without_panicking() {
        let q = measure(&GrayImage::new(0, 0));
        assert_eq!(q.brightness, 0.0);
    }
}
