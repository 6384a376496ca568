//! EF.COM (ICAO 9303-10 §4.6.1): the LDS and Unicode versions and the list of
//! data groups present, as the tags of Table 34.
//!
//! ```text
//! 60 L
//!   5F01 04 "0107"        LDS version 1.7
//!   5F36 06 "040000"      Unicode version 4.0.0
//!   5C   n  61 75 63 …    one tag per data group present
//! ```
//!
//! A CCCD lists DG1, DG2, DG3, DG13, DG15, DG14 (context/cccd-chip.md §3). A tag in
//! the list that Table 34 does not define is skipped rather than failing the file:
//! EF.COM is only a hint (the SOD is authoritative), and a reader that refused the
//! card over it would help nobody.

use super::error::{Ef, LdsError};
use crate::card::tlv;

/// Tag of EF.COM (9303-10 Table 34).
pub const TAG: u32 = 0x60;
const TAG_LDS_VERSION: u32 = 0x5F01;
const TAG_UNICODE_VERSION: u32 = 0x5F36;
const TAG_LIST: u32 = 0x5C;

/// Data group tags by number, DG1..DG16 (9303-10 Table 34, LDS1).
const DG_TAGS: [u8; 16] = [
    0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
];

/// The parsed EF.COM: which data groups the chip says it holds, so the reader
/// knows what to ask for before the SOD is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Com {
    /// LDS version as stored, four digits "aabb" (CCCD: "0107").
    pub lds_version: String,
    /// Unicode version as stored, six digits "aabbcc" (CCCD: "040000").
    pub unicode_version: String,
    /// Data group numbers in the order the chip lists them (1..=16).
    pub data_groups: Vec<u8>,
}

/// The tag (first byte of the file) of data group `n`, or `None` outside 1..=16;
/// the reader checks every EF it reads starts with the tag it expects.
pub fn dg_tag(n: u8) -> Option<u8> {
    DG_TAGS.get(usize::from(n).checked_sub(1)?).copied()
}

/// The data group number a Table 34 tag stands for (0x75 → 2), `None` for others.
pub fn dg_number(tag: u8) -> Option<u8> {
    let i = DG_TAGS.iter().position(|&t| t == tag)?;
    u8::try_from(i + 1).ok()
}

/// The file identifier of EF.DGn (9303-10 Table 35: 0x0101..0x0110), used to SELECT it.
pub fn dg_fid(n: u8) -> u16 {
    0x0100 + u16::from(n)
}

impl Com {
    /// Parse EF.COM. Unknown tags in the list are skipped (see the module doc).
    pub fn parse(bytes: &[u8]) -> Result<Self, LdsError> {
        let outer = tlv::expect(bytes, TAG).map_err(|e| LdsError::tlv(Ef::Com, "tag 60", e))?;
        let lds_version = text(outer.value, TAG_LDS_VERSION, "tag 5F01 (LDS version)", 4)?;
        let unicode_version = text(
            outer.value,
            TAG_UNICODE_VERSION,
            "tag 5F36 (Unicode version)",
            6,
        )?;
        let list = tlv::find(outer.value, TAG_LIST)
            .map_err(|e| LdsError::tlv(Ef::Com, "tag 5C (data group list)", e))?;
        let data_groups = list.value.iter().filter_map(|&t| dg_number(t)).collect();
        Ok(Com {
            lds_version,
            unicode_version,
            data_groups,
        })
    }

    /// EF.COM for a chip holding `data_groups` (numbers; any outside 1..=16 are
    /// left out), LDS 1.7 and Unicode 4.0.0 as on a CCCD. Used by the emulator.
    pub fn encode(data_groups: &[u8]) -> Vec<u8> {
        let tags: Vec<u8> = data_groups.iter().filter_map(|&n| dg_tag(n)).collect();
        let mut value = tlv::encode(TAG_LDS_VERSION, b"0107");
        value.extend(tlv::encode(TAG_UNICODE_VERSION, b"040000"));
        value.extend(tlv::encode(TAG_LIST, &tags));
        tlv::encode(TAG, &value)
    }
}

/// A version field: `digits` ASCII digits.
fn text(value: &[u8], tag: u32, part: &str, digits: usize) -> Result<String, LdsError> {
    let t = tlv::find(value, tag).map_err(|e| LdsError::tlv(Ef::Com, part, e))?;
    if t.value.len() != digits || !t.value.iter().all(u8::is_ascii_digit) {
        return Err(LdsError::invalid(
            Ef::Com,
            part,
            format!(
                "expected {digits} ASCII digits, found {}",
                hex::encode(t.value)
            ),
        ));
    }
    // All ASCII digits, so this cannot fail; map anyway rather than unwrap.
    String::from_utf8(t.value.to_vec()).map_err(|_| LdsError::invalid(Ef::Com, part, "not ASCII"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;
    use proptest::prelude::*;

    /// EF.COM as a CCCD carries it (context/cccd-chip.md §3): LDS 0107, Unicode
    /// 040000, DG1, DG2, DG3, DG13, DG15, DG14 in that order.
    const CCCD_COM: [u8; 26] = hex!(
        "60 18"
        "5F01 04 30313037"
        "5F36 06 303430303030"
        "5C 06 61 75 63 6D 6F 6E"
    );

    #[test]
    fn parses_a_cccd_com() {
        let com = Com::parse(&CCCD_COM).unwrap();
        assert_eq!(com.lds_version, "0107");
        assert_eq!(com.unicode_version, "040000");
        assert_eq!(com.data_groups, vec![1, 2, 3, 13, 15, 14]);
    }

    #[test]
    fn encodes_what_a_cccd_carries() {
        assert_eq!(Com::encode(&[1, 2, 3, 13, 15, 14]), CCCD_COM);
        // Numbers outside 1..=16 have no tag and are left out.
        assert_eq!(
            Com::parse(&Com::encode(&[0, 1, 17, 16]))
                .unwrap()
                .data_groups,
            vec![1, 16]
        );
    }

    #[test]
    fn every_table_34_tag() {
        let all: Vec<u8> = (1..=16).collect();
        assert_eq!(Com::parse(&Com::encode(&all)).unwrap().data_groups, all);
        assert_eq!(dg_tag(2), Some(0x75));
        assert_eq!(dg_tag(13), Some(0x6D));
        assert_eq!(dg_tag(0), None);
        assert_eq!(dg_tag(17), None);
        assert_eq!(dg_number(0x6E), Some(14));
        assert_eq!(dg_number(0x77), None); // EF.SOD's tag is not a data group
        assert_eq!(dg_fid(1), 0x0101);
        assert_eq!(dg_fid(13), 0x010D);
        assert_eq!(dg_fid(15), 0x010F);
    }

    #[test]
    fn unknown_tags_in_the_list_are_skipped() {
        let com = hex!("60 15 5F01 04 30313037 5F36 06 303430303030 5C 03 61 99 6D");
        assert_eq!(Com::parse(&com).unwrap().data_groups, vec![1, 13]);
    }

    #[test]
    fn errors_name_ef_com() {
        let e = Com::parse(&hex!("61 00")).unwrap_err().to_string();
        assert!(e.starts_with("EF.COM: tag 60:"), "{e}");
        // No data group list.
        let e = Com::parse(&hex!("60 10 5F01 04 30313037 5F36 06 303430303030"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("EF.COM: tag 5C"), "{e}");
        // Version that is not four digits.
        let e = Com::parse(&hex!(
            "60 13 5F01 03 303130 5F36 06 303430303030 5C 02 61 75"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("EF.COM: tag 5F01 (LDS version): expected 4 ASCII digits"),
            "{e}"
        );
        for i in 0..CCCD_COM.len() {
            assert!(Com::parse(&CCCD_COM[..i]).is_err(), "truncated at {i}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_random_input(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Com::parse(&bytes);
        }

        #[test]
        fn never_panics_on_corrupted_com(pos in 0usize..26, byte in any::<u8>(), cut in 0usize..=26) {
            let mut b = CCCD_COM.to_vec();
            b[pos] = byte;
            b.truncate(cut);
            let _ = Com::parse(&b);
        }
    }
}
