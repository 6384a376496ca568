//! DG2: the encoded face (ICAO 9303-10 §4.7.2) holding an ISO/IEC 19794-5:2005
//! facial record.
//!
//! ```text
//! 75 L                                   EF.DG2
//!   7F61 L                               Biometric Information Group Template
//!     02 01 01                           number of instances
//!     7F60 L                             Biometric Information Template
//!       A1 L                             Biometric Header Template (80 version, 81 type 02 =
//!                                        face, 82 subtype, 87 format owner 0101, 88 format type 0008)
//!       5F2E L (or 7F2E)                 biometric data block = facial record:
//!         "FAC\0" "010\0" u32 record length, u16 number of faces          (14 bytes)
//!         facial information: u32 block length, u16 feature points, gender, eye and
//!           hair colour, 3 feature mask, 2 expression, 3 pose, 3 uncertainty     (20)
//!         feature points, 8 bytes each
//!         image information: face image type, image data type (0 JPEG,
//!           1 JPEG 2000), u16 width, u16 height, colour space, source type,
//!           u16 device type, u16 quality                                  (12)
//!         image data
//! ```
//!
//! Decisions: the first face of the first biometric template is the portrait
//! (the CCCD has one). The image length comes from the facial information block
//! length and must fit in the data present. When the stored image data type
//! disagrees with the image's own signature (JFIF `FF D8 FF`, JP2 box
//! `0000000C 6A502020`, raw codestream `FF4F FF51`), the signature wins: the
//! `photo.format` the kiosk reports is what the bytes are. Decoding uses `image`
//! for JPEG and `hayro-jpeg2000` for JPEG 2000, refuses images larger than
//! [`MAX_SIDE`] on a side before allocating pixels, and turns a decoder panic on
//! hostile data into an error.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::DynamicImage;
use serde::Serialize;

use super::error::{Ef, LdsError};
use crate::card::tlv;

/// Tag of EF.DG2 (9303-10 Table 34).
pub const TAG: u32 = 0x75;
const EF: Ef = Ef::Dg(2);
/// Largest image side decoded; a portrait needs far less, and a lying header
/// must not make the kiosk allocate gigabytes.
pub const MAX_SIDE: u32 = 4096;
const MAX_ALLOC: u64 = (MAX_SIDE as u64) * (MAX_SIDE as u64) * 4;

const GENERAL_HEADER_LEN: usize = 14;
const FACIAL_INFO_LEN: usize = 20;
const FEATURE_POINT_LEN: usize = 8;
const IMAGE_INFO_LEN: usize = 12;

const JPEG_MAGIC: [u8; 3] = [0xFF, 0xD8, 0xFF];
const JP2_MAGIC: [u8; 8] = [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20];
const J2K_MAGIC: [u8; 4] = [0xFF, 0x4F, 0xFF, 0x51];

/// How the face image is compressed (19794-5 image data type), reported in
/// `photo.format` as "jpeg" or "jpeg2000".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// JPEG (ISO/IEC 10918), image data type 0; what CCCDs carry.
    Jpeg,
    /// JPEG 2000 (ISO/IEC 15444), image data type 1, JP2 file or raw codestream.
    Jpeg2000,
}

impl ImageFormat {
    /// The format an image's signature bytes announce, if any.
    pub fn sniff(image: &[u8]) -> Option<Self> {
        if image.starts_with(&JPEG_MAGIC) {
            Some(ImageFormat::Jpeg)
        } else if image.starts_with(&JP2_MAGIC) || image.starts_with(&J2K_MAGIC) {
            Some(ImageFormat::Jpeg2000)
        } else {
            None
        }
    }

    fn data_type(self) -> u8 {
        match self {
            ImageFormat::Jpeg => 0,
            ImageFormat::Jpeg2000 => 1,
        }
    }
}

/// The portrait from DG2: the stored image bytes (hashed and shown as they
/// are) and what the facial record header says about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dg2 {
    /// Compression of `image`, by its signature when that disagrees with the header.
    pub format: ImageFormat,
    /// The image data exactly as stored (JPEG or JP2/J2K stream).
    pub image: Vec<u8>,
    /// Width in pixels according to the facial record header.
    pub width: u16,
    /// Height in pixels according to the facial record header.
    pub height: u16,
}

impl Dg2 {
    /// Parse DG2 down to the first face image.
    pub fn parse(bytes: &[u8]) -> Result<Self, LdsError> {
        let outer = tlv::expect(bytes, TAG).map_err(|e| LdsError::tlv(EF, "tag 75", e))?;
        let group = tlv::find(outer.value, 0x7F61)
            .map_err(|e| LdsError::tlv(EF, "tag 7F61 (biometric information group)", e))?;
        let template = tlv::find(group.value, 0x7F60)
            .map_err(|e| LdsError::tlv(EF, "tag 7F60 (biometric information template)", e))?;
        let mut block = None;
        for t in template.children() {
            let t =
                t.map_err(|e| LdsError::tlv(EF, "tag 7F60 (biometric information template)", e))?;
            if t.tag == 0x5F2E || t.tag == 0x7F2E {
                block = Some(t.value);
                break;
            }
        }
        let record = block.ok_or_else(|| {
            LdsError::invalid(EF, "tag 7F60", "no biometric data block (5F2E or 7F2E)")
        })?;
        parse_facial_record(record)
    }

    /// DG2 holding one face in a 19794-5:2005 record, for the emulator:
    /// full-frontal image, 24-bit RGB, from a digital still camera, no feature points.
    pub fn encode(format: ImageFormat, image: &[u8], width: u16, height: u16) -> Vec<u8> {
        let block_len = FACIAL_INFO_LEN + IMAGE_INFO_LEN + image.len();
        let record_len = GENERAL_HEADER_LEN + block_len;
        let mut rec = Vec::with_capacity(record_len);
        rec.extend_from_slice(b"FAC\0");
        rec.extend_from_slice(b"010\0");
        rec.extend_from_slice(&u32::try_from(record_len).unwrap_or(u32::MAX).to_be_bytes());
        rec.extend_from_slice(&1u16.to_be_bytes()); // number of faces
                                                    // Facial information.
        rec.extend_from_slice(&u32::try_from(block_len).unwrap_or(u32::MAX).to_be_bytes());
        rec.extend_from_slice(&0u16.to_be_bytes()); // feature points
        rec.extend_from_slice(&[0, 0, 0]); // gender, eye colour, hair colour: unspecified
        rec.extend_from_slice(&[0, 0, 0]); // feature mask
        rec.extend_from_slice(&[0, 0]); // expression unspecified
        rec.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // pose angle and uncertainty
                                                    // Image information.
        rec.push(1); // face image type: full frontal
        rec.push(format.data_type());
        rec.extend_from_slice(&width.to_be_bytes());
        rec.extend_from_slice(&height.to_be_bytes());
        rec.push(1); // colour space: 24-bit RGB
        rec.push(3); // source type: static photo from a digital still camera
        rec.extend_from_slice(&[0, 0]); // device type
        rec.extend_from_slice(&[0, 0]); // quality
        rec.extend_from_slice(image);

        let mut bht = tlv::encode(0x80, &[0x01, 0x01]); // ICAO header version 1.1
        bht.extend(tlv::encode(0x81, &[0x02])); // biometric type: facial features
        bht.extend(tlv::encode(0x82, &[0x00])); // subtype: none
        bht.extend(tlv::encode(0x87, &[0x01, 0x01])); // format owner: ISO/IEC JTC1/SC37
        bht.extend(tlv::encode(0x88, &[0x00, 0x08])); // format type: face image
        let mut bit = tlv::encode(0xA1, &bht);
        bit.extend(tlv::encode(0x5F2E, &rec));
        let mut big = tlv::encode(0x02, &[1]);
        big.extend(tlv::encode(0x7F60, &bit));
        tlv::encode(TAG, &tlv::encode(0x7F61, &big))
    }

    /// Decode the portrait to pixels (for display and the `photo.width/height`
    /// of the read output), choosing the decoder by the image's own signature.
    pub fn decode_image(&self) -> Result<DynamicImage, LdsError> {
        match ImageFormat::sniff(&self.image).unwrap_or(self.format) {
            ImageFormat::Jpeg => decode_jpeg(&self.image),
            ImageFormat::Jpeg2000 => decode_jpeg2000(&self.image),
        }
    }
}

fn decode_jpeg(bytes: &[u8]) -> Result<DynamicImage, LdsError> {
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::Jpeg);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    catch_unwind(AssertUnwindSafe(|| reader.decode()))
        .map_err(|_| LdsError::DecoderPanicked("JPEG"))?
        .map_err(|source| LdsError::Image {
            format: "JPEG",
            source,
        })
}

fn decode_jpeg2000(bytes: &[u8]) -> Result<DynamicImage, LdsError> {
    catch_unwind(AssertUnwindSafe(|| {
        let settings = hayro_jpeg2000::DecodeSettings::default();
        let img = hayro_jpeg2000::Image::new(bytes, &settings).map_err(LdsError::Jpeg2000)?;
        let (width, height) = (img.width(), img.height());
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(LdsError::ImageTooLarge {
                width,
                height,
                max: MAX_SIDE,
            });
        }
        DynamicImage::from_decoder(img).map_err(|source| LdsError::Image {
            format: "JPEG 2000",
            source,
        })
    }))
    .map_err(|_| LdsError::DecoderPanicked("JPEG 2000"))?
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// The first face of an ISO/IEC 19794-5:2005 facial record.
fn parse_facial_record(rec: &[u8]) -> Result<Dg2, LdsError> {
    let header = "facial record header";
    let short = |part: &str, need: usize| {
        LdsError::invalid(
            EF,
            part,
            format!("needs {need} bytes, the record has {}", rec.len()),
        )
    };
    if rec.len() < GENERAL_HEADER_LEN + FACIAL_INFO_LEN {
        return Err(short(header, GENERAL_HEADER_LEN + FACIAL_INFO_LEN));
    }
    if rec.get(..4) != Some(b"FAC\0".as_slice()) {
        return Err(LdsError::invalid(
            EF,
            header,
            "format identifier is not \"FAC\\0\"",
        ));
    }
    if rec.get(4..8) != Some(b"010\0".as_slice()) {
        return Err(LdsError::invalid(
            EF,
            header,
            format!(
                "version {} is not ISO/IEC 19794-5:2005 (\"010\\0\")",
                hex::encode(rec.get(4..8).unwrap_or(&[]))
            ),
        ));
    }
    if be16(rec, 12) == Some(0) {
        return Err(LdsError::invalid(EF, header, "number of faces is 0"));
    }
    let info = "facial information block";
    let at = GENERAL_HEADER_LEN;
    let block_len = be32(rec, at).ok_or_else(|| short(info, at + 4))? as usize;
    let points = usize::from(be16(rec, at + 4).ok_or_else(|| short(info, at + 6))?);
    let image_info = at + FACIAL_INFO_LEN + points * FEATURE_POINT_LEN;
    let image_start = image_info + IMAGE_INFO_LEN;
    if rec.len() < image_start {
        return Err(short("image information", image_start));
    }
    let image_len = block_len
        .checked_sub(FACIAL_INFO_LEN + points * FEATURE_POINT_LEN + IMAGE_INFO_LEN)
        .ok_or_else(|| {
            LdsError::invalid(
                EF,
                info,
                format!("block length {block_len} is shorter than its headers"),
            )
        })?;
    let image = rec
        .get(image_start..image_start + image_len)
        .ok_or_else(|| {
            LdsError::invalid(
                EF,
                info,
                format!(
                    "block length {block_len} runs past the {} bytes of the record",
                    rec.len() - at
                ),
            )
        })?;
    if image.is_empty() {
        return Err(LdsError::invalid(EF, "image data", "empty"));
    }
    let data_type = *rec
        .get(image_info + 1)
        .ok_or_else(|| short("image information", image_start))?;
    let width = be16(rec, image_info + 2).ok_or_else(|| short("image information", image_start))?;
    let height =
        be16(rec, image_info + 4).ok_or_else(|| short("image information", image_start))?;
    let format = match (ImageFormat::sniff(image), data_type) {
        (Some(f), _) => f,
        (None, 0) => ImageFormat::Jpeg,
        (None, 1) => ImageFormat::Jpeg2000,
        (None, t) => {
            return Err(LdsError::invalid(
                EF,
                "image information",
                format!(
                    "image data type {t} unknown and the image has no JPEG or JPEG 2000 signature"
                ),
            ))
        }
    };
    Ok(Dg2 {
        format,
        image: image.to_vec(),
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;
    use proptest::prelude::*;

    const FACE_JPG: &[u8] = include_bytes!("../emulator/faces/astronaut.jpg");
    const FACE_LARGE_JPG: &[u8] = include_bytes!("../emulator/faces/astronaut-large.jpg");
    const FACE_JP2: &[u8] = include_bytes!("../emulator/faces/astronaut.jp2");

    #[test]
    fn jpeg_round_trip_and_decode() {
        let dg2 = Dg2::encode(ImageFormat::Jpeg, FACE_JPG, 240, 320);
        let parsed = Dg2::parse(&dg2).unwrap();
        assert_eq!(
            parsed,
            Dg2 {
                format: ImageFormat::Jpeg,
                image: FACE_JPG.to_vec(),
                width: 240,
                height: 320
            }
        );
        let img = parsed.decode_image().unwrap();
        assert_eq!((img.width(), img.height()), (240, 320));
        let large = Dg2::parse(&Dg2::encode(ImageFormat::Jpeg, FACE_LARGE_JPG, 360, 480)).unwrap();
        assert!(
            large.image.len() > 35_000,
            "the benchmark's face is about 40 KB"
        );
        let img = large.decode_image().unwrap();
        assert_eq!((img.width(), img.height()), (360, 480));
    }

    #[test]
    fn jpeg2000_round_trip_and_decode() {
        let parsed = Dg2::parse(&Dg2::encode(ImageFormat::Jpeg2000, FACE_JP2, 240, 320)).unwrap();
        assert_eq!(parsed.format, ImageFormat::Jpeg2000);
        assert_eq!(parsed.image, FACE_JP2);
        let img = parsed.decode_image().unwrap();
        assert_eq!((img.width(), img.height()), (240, 320));
        // Still a face, not noise: the JPEG and JPEG 2000 renderings agree closely.
        let jpeg = Dg2::parse(&Dg2::encode(ImageFormat::Jpeg, FACE_JPG, 240, 320))
            .unwrap()
            .decode_image()
            .unwrap()
            .to_rgb8();
        let jp2 = img.to_rgb8();
        let diff: u64 = jpeg
            .as_raw()
            .iter()
            .zip(jp2.as_raw())
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum();
        let mean = diff as f64 / jpeg.as_raw().len() as f64;
        assert!(mean < 8.0, "mean absolute difference {mean}");
    }

    #[test]
    fn encoder_writes_the_9303_layout() {
        let dg2 = Dg2::encode(ImageFormat::Jpeg, &hex!("FFD8FFE0 0000"), 240, 320);
        let expected = hex!(
            "75 54 7F61 51 020101 7F60 4B"
            "A1 12 80020101 810102 820100 87020101 88020008"
            "5F2E 34"
            "46414300 30313000 00000034 0001"               // FAC\0 010\0 length 52, 1 face
            "00000026 0000 000000 000000 0000 000000000000" // block length 38, no feature points
            "01 00 00F0 0140 01 03 0000 0000"                // full frontal, JPEG, 240x320
            "FFD8FFE0 0000"
        );
        assert_eq!(dg2, expected);
    }

    #[test]
    fn signature_wins_over_a_wrong_header_type() {
        // Header says JPEG 2000 but the bytes are JFIF: reported and decoded as JPEG.
        let parsed = Dg2::parse(&Dg2::encode(ImageFormat::Jpeg2000, FACE_JPG, 240, 320)).unwrap();
        assert_eq!(parsed.format, ImageFormat::Jpeg);
        assert_eq!(parsed.decode_image().unwrap().width(), 240);
        let parsed = Dg2::parse(&Dg2::encode(ImageFormat::Jpeg, FACE_JP2, 240, 320)).unwrap();
        assert_eq!(parsed.format, ImageFormat::Jpeg2000);
        assert_eq!(parsed.decode_image().unwrap().height(), 320);
        // Raw codestream (no JP2 box).
        assert_eq!(
            ImageFormat::sniff(&hex!("FF4FFF51 0029")),
            Some(ImageFormat::Jpeg2000)
        );
        assert_eq!(
            ImageFormat::sniff(&hex!("0000000C 6A502020 0D0A870A")),
            Some(ImageFormat::Jpeg2000)
        );
        assert_eq!(ImageFormat::sniff(b"GIF89a"), None);
        assert_eq!(
            serde_json::to_value(ImageFormat::Jpeg2000).unwrap(),
            "jpeg2000"
        );
        assert_eq!(serde_json::to_value(ImageFormat::Jpeg).unwrap(), "jpeg");
    }

    #[test]
    fn truncated_and_broken_dg2_name_dg2() {
        let full = Dg2::encode(ImageFormat::Jpeg, FACE_JPG, 240, 320);
        for cut in [0, 1, 3, 10, 30, 60, 100, full.len() / 2, full.len() - 1] {
            let e = Dg2::parse(&full[..cut]).unwrap_err().to_string();
            assert!(e.starts_with("DG2: "), "{e}");
        }
        // Unknown data type and no signature.
        let e = Dg2::parse(&Dg2::encode(ImageFormat::Jpeg, b"not an image", 1, 1)).unwrap();
        assert_eq!(e.format, ImageFormat::Jpeg); // type 0 is trusted when nothing contradicts it
        let mut bad = Dg2::encode(ImageFormat::Jpeg, b"not an image", 1, 1);
        let type_at = bad.len() - 12 - 11;
        bad[type_at] = 7;
        let e = Dg2::parse(&bad).unwrap_err().to_string();
        assert!(
            e.starts_with("DG2: image information: image data type 7 unknown"),
            "{e}"
        );
        // A garbage image decodes to an error, not a panic.
        let e = Dg2::parse(&Dg2::encode(ImageFormat::Jpeg, b"not an image", 1, 1))
            .unwrap()
            .decode_image()
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("DG2: JPEG image:"), "{e}");
        // A truncated JPEG 2000 stream is an error too.
        let cut = Dg2 {
            format: ImageFormat::Jpeg2000,
            image: FACE_JP2[..60].to_vec(),
            width: 240,
            height: 320,
        };
        assert!(cut
            .decode_image()
            .unwrap_err()
            .to_string()
            .starts_with("DG2: "));
        // Block length lying past the end of the record.
        let mut lying = Dg2::encode(ImageFormat::Jpeg, &hex!("FFD8FFE0 0000"), 240, 320);
        let block_at = lying.len() - 6 - 12 - 20;
        lying[block_at..block_at + 4].copy_from_slice(&hex!("00010000"));
        let e = Dg2::parse(&lying).unwrap_err().to_string();
        assert!(
            e.starts_with("DG2: facial information block: block length 65536 runs past"),
            "{e}"
        );
        // Not a 19794-5 record.
        let mut wrong = Dg2::encode(ImageFormat::Jpeg, &hex!("FFD8FFE0 0000"), 240, 320);
        let fac = wrong.windows(4).position(|w| w == b"FAC\0").unwrap();
        wrong[fac] = b'X';
        let e = Dg2::parse(&wrong).unwrap_err().to_string();
        assert!(
            e.starts_with("DG2: facial record header: format identifier"),
            "{e}"
        );
    }

    #[test]
    fn lying_jpeg2000_size_is_refused_before_decoding() {
        // A 100-byte raw codestream (ISO/IEC 15444-1 A.5, A.6) whose SIZ marker
        // claims 60000 x 60000 pixels, one component: 3.6 GB if decoded.
        let mut j2k = hex!(
            "FF4F"                                          // SOC
            "FF51 0029 0000 0000EA60 0000EA60 00000000 00000000" // SIZ: Xsiz, Ysiz, offsets
            "0000EA60 0000EA60 00000000 00000000 0001 07 01 01" // tile size, 1 component, 8 bit
        )
        .to_vec();
        j2k.extend_from_slice(&hex!(
            "FF52 000C 00 00 0001 00 00 04 04 00 00" // COD: 0 decomposition levels
            "FF5C 0004 40 00"                        // QCD: no quantization
            "FF90 000A 0000 00000000 0001 FF93 FFD9" // SOT, SOD, EOC
        ));
        let d = Dg2 {
            format: ImageFormat::Jpeg2000,
            image: j2k,
            width: 1,
            height: 1,
        };
        let e = d.decode_image().unwrap_err();
        assert!(
            matches!(
                e,
                LdsError::ImageTooLarge {
                    width: 60000,
                    height: 60000,
                    ..
                }
            ),
            "{e}"
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_random_input(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Dg2::parse(&bytes);
        }

        #[test]
        fn never_panics_on_corrupted_dg2(pos in 0usize..120, byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
            let mut b = Dg2::encode(ImageFormat::Jpeg, &FACE_JPG[..64], 240, 320);
            b[pos] = byte;
            b.truncate(cut.index(b.len() + 1));
            if let Ok(d) = Dg2::parse(&b) {
                prop_assert!(d.image.len() <= b.len());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn corrupted_images_never_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>(), jp2 in any::<bool>()) {
            let src = if jp2 { FACE_JP2 } else { FACE_JPG };
            let mut image = src.to_vec();
            let p = pos.index(image.len());
            image[p] = byte;
            let d = Dg2 { format: ImageFormat::Jpeg, image, width: 240, height: 320 };
            if let Ok(img) = d.decode_image() {
                prop_assert!(img.width() <= MAX_SIDE && img.height() <= MAX_SIDE);
            }
        }
    }
}
