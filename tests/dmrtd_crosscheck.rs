//! Cross-check against an independent implementation: the `dmrtd` crate reads
//! the same emulated card through the same pcscd and must get the same bytes
//! as cccd-kiosk, file by file.

mod common;
use cccd_kiosk::card::access_key::KeyPlan;
use cccd_kiosk::card::emulator::profile::CitizenProfile;
use cccd_kiosk::card::passive_auth::TrustStore;
use cccd_kiosk::card::pcsc::PcscTransport;
use cccd_kiosk::card::read::read_card;
use cccd_kiosk::card::reader::ReadCaps;
use cccd_kiosk::card::transport::CardTransport;
use common::*;
use dmrtd::com::{TransceiveError, Transceiver};

struct Pcsc(PcscTransport);

impl Transceiver for Pcsc {
    fn transceive(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransceiveError> {
        self.0
            .transmit(apdu)
            .map_err(|e| TransceiveError::new(e.to_string()))
    }
}

#[test]
fn dmrtd_reads_the_same_bytes() {
    let p = CitizenProfile::demo();
    let _card = VirtualCard::insert(&p);

    let ours = {
        let t = PcscTransport::connect_to(READER).unwrap();
        let plan = KeyPlan::from_document("195000123", "950314", "350314").unwrap();
        read_card(
            t,
            &plan,
            ReadCaps::default(),
            &TrustStore::empty(),
            chrono::Utc::now(),
            &mut |_| {},
        )
        .unwrap()
    };

    let t = PcscTransport::connect_to(READER).unwrap();
    let mut passport = dmrtd::passport::Passport::new(Pcsc(t));
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let key = dmrtd::proto::dba_key::DBAKey::new(
        "195000123",
        date(1995, 3, 14),
        date(2035, 3, 14),
        false,
    )
    .unwrap();
    passport.start_session(key).unwrap();
    for (sfi, fid) in [
        (0x1E, 0x011E),
        (0x01, 0x0101),
        (0x0D, 0x010D),
        (0x02, 0x0102),
        (0x1D, 0x011D),
    ] {
        let theirs = passport.api_mut().read_file_by_sfi(sfi).unwrap();
        assert_eq!(
            &theirs,
            ours.files.get(&fid).unwrap(),
            "EF {fid:04X} differs"
        );
    }
}
