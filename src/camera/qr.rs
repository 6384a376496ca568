//! QR decoding of the card's front (2021 cards) or back (2024 cards) with `rqrr`.
//! The text goes to [`crate::card::access_key::KeyPlan::from_qr`], which judges it.

use image::GrayImage;

/// The text of the first QR code in the frame that decodes, if any.
pub fn decode(gray: &GrayImage) -> Option<String> {
    let mut prepared = rqrr::PreparedImage::prepare(gray.clone());
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|g| g.decode().ok().map(|(_, text)| text))
}

/// Draw `text` as a QR code (black modules on white, quiet zone included), as the
/// synthetic camera shows a card. Errors when the text does not fit a QR code.
pub fn render(text: &str, module_px: u32) -> Result<GrayImage, qrcode::types::QrError> {
    let code = qrcode::QrCode::new(text.as_bytes())?;
    Ok(code
        .render::<image::Luma<u8>>()
        .module_dimensions(module_px, module_px)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cccd_qr_text_with_vietnamese_round_trips() {
        let text = "001195000123|012345678|Nguyễn Thị Thu Hương|14031995|Nữ|Số 12 Ngõ 34 Phố Hàng Bạc, Hà Nội|10072021";
        let img = render(text, 4).unwrap();
        assert_eq!(decode(&img).as_deref(), Some(text));
    }

    #[test]
    fn a_face_photo_has_no_qr() {
        let img = image::load_from_memory(include_bytes!("../card/emulator/faces/astronaut.jpg"))
            .unwrap()
            .to_luma8();
        assert_eq!(decode(&img), None);
    }
}
