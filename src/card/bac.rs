//! Basic Access Control (ICAO 9303-11 §4.3), terminal and chip side.
//!
//! The MRZ key seed (`K_seed`, 9303-11 §9.7, document basic access keys) yields K_enc and K_mac by the
//! key derivation function of §9.7.1 (SHA-1 of `seed || counter`, first 16 bytes,
//! DES parity adjusted). The terminal then runs the challenge–response of §4.3:
//!
//! 1. GET CHALLENGE (`00 84 00 00 08`) → RND.ICC;
//! 2. MUTUAL AUTHENTICATE (`00 82 00 00 28 <E_IFD || M_IFD> 28`) with
//!    `E_IFD = 3DES-CBC(K_enc, RND.IFD || RND.ICC || K.IFD)` and
//!    `M_IFD = retail MAC(K_mac, E_IFD)`;
//! 3. the chip answers `E_ICC || M_ICC` over `RND.ICC || RND.IFD || K.ICC`; the
//!    terminal checks M_ICC and that the chip echoed both nonces.
//!
//! Session keys come from `K.IFD xor K.ICC` by the same derivation, and the send
//! sequence counter is `RND.ICC[4..8] || RND.IFD[4..8]` (§9.8). Secure messaging
//! itself is [`super::sm`]; the cipher work reuses its 3DES suite [`Tdes`].
//!
//! The terminal's randomness comes from an injected `CryptoRng` (RND.IFD first,
//! then K.IFD) so the 9303-11 Appendix D exchange can be replayed byte for byte.
//! A wrong key is reported as [`BacError::AccessDenied`] (6300 or 6982, the two
//! answers ICAO chips give; what CCCD chips answer is unconfirmed), distinct from a
//! chip whose reply fails verification ([`BacError::ChipNotAuthenticated`]).
//! Keys and nonces are wiped on drop and never logged.

use super::apdu::{Command, StatusWord};
use super::sm::{ct_eq, SmCipher, SmError, Tdes};
use super::transport::{exchange, CardTransport, TransportError};
use sha1::{Digest, Sha1};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of RND.IFD / RND.ICC.
const NONCE_LEN: usize = 8;
/// Length of K.IFD / K.ICC.
const KEY_MATERIAL_LEN: usize = 16;
/// E_IFD / E_ICC: two nonces and a key half, 32 bytes of 3DES-CBC.
const CRYPTOGRAM_LEN: usize = 2 * NONCE_LEN + KEY_MATERIAL_LEN;
/// MUTUAL AUTHENTICATE data and reply: cryptogram and an 8-byte MAC.
const AUTH_DATA_LEN: usize = CRYPTOGRAM_LEN + 8;

/// Session keys and starting SSC from BAC (9303-11 §9.7.1, §9.8).
///
/// Wiped on drop; `Debug` prints no key material.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SessionKeys {
    /// KS_enc: two-key 3DES for SM encryption.
    pub k_enc: [u8; 16],
    /// KS_mac: the retail-MAC key.
    pub k_mac: [u8; 16],
    /// Send sequence counter before the first protected command.
    pub ssc: [u8; 8],
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys { .. }")
    }
}

/// Why BAC did not open the chip.
#[derive(Debug, Error)]
pub enum BacError {
    /// The chip rejected MUTUAL AUTHENTICATE (6300 / 6982): the MRZ key is wrong.
    /// On the chip side: the terminal's MAC or RND.ICC was wrong.
    #[error("access denied: the chip rejected the BAC key")]
    AccessDenied,
    /// A BAC command was refused with a status that does not mean "wrong key"
    /// (e.g. 6D00 to GET CHALLENGE: no BAC on this chip).
    #[error("{command} refused with status {sw}")]
    Refused {
        command: &'static str,
        sw: StatusWord,
    },
    /// The chip's reply has the wrong shape.
    #[error("malformed BAC reply: {0}")]
    BadResponse(String),
    /// The chip's reply does not prove it knows the key (wrong MAC, or it did not
    /// echo our nonces): not this card's chip, or a broken one.
    #[error("the chip failed to authenticate itself: {0}")]
    ChipNotAuthenticated(&'static str),
    /// Chip side: MUTUAL AUTHENTICATE without a fresh GET CHALLENGE.
    #[error("MUTUAL AUTHENTICATE without a prior GET CHALLENGE")]
    NoChallenge,
    /// Chip side: MUTUAL AUTHENTICATE data of the wrong length.
    #[error("MUTUAL AUTHENTICATE data of {0} bytes, expected 40")]
    WrongLength(usize),
    /// A cipher operation failed (a bug: BAC's lengths are fixed).
    #[error(transparent)]
    Crypto(#[from] SmError),
    /// The APDUs did not get through.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl BacError {
    /// The status word a chip answers with for a chip-side error (ISO/IEC 7816-4
    /// §5.1.3): 6300 wrong key, 6985 no challenge, 6700 wrong length.
    pub fn chip_status(&self) -> StatusWord {
        match self {
            Self::AccessDenied => StatusWord::AuthenticationFailed,
            Self::NoChallenge => StatusWord::ConditionsNotSatisfied,
            Self::WrongLength(_) => StatusWord::WrongLength,
            _ => StatusWord::Other(0x6F00),
        }
    }
}

/// The key seed from the MRZ information (document number, date of birth and
/// expiry, each with its check digit; 9303-11 §9.7): SHA-1, first 16 bytes.
pub fn key_seed(mrz_information: &[u8]) -> [u8; 16] {
    let mut digest = Sha1::digest(mrz_information);
    let mut seed = [0u8; 16];
    seed.copy_from_slice(&digest[..16]);
    digest.as_mut_slice().zeroize();
    seed
}

/// The 9303-11 §9.7.1 key derivation for 3DES: `SHA-1(seed || counter)`, first 16
/// bytes, each byte's low bit set for odd DES parity. Counter 1 → K_enc, 2 → K_mac.
pub fn derive_key(seed: &[u8], counter: u32) -> [u8; 16] {
    let mut digest = Sha1::new()
        .chain_update(seed)
        .chain_update(counter.to_be_bytes())
        .finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    digest.as_mut_slice().zeroize();
    for b in &mut key {
        let high = *b & 0xFE;
        *b = if high.count_ones() % 2 == 0 {
            high | 1
        } else {
            high
        };
    }
    key
}

/// K_enc and K_mac from the MRZ key seed (9303-11 §9.7.1, App. D).
pub fn keys_from_seed(seed: &[u8; 16]) -> ([u8; 16], [u8; 16]) {
    (derive_key(seed, 1), derive_key(seed, 2))
}

/// The 3DES suite keyed from the seed; the derived keys are wiped right after.
fn bac_cipher(seed: &[u8; 16]) -> Tdes {
    let k_enc = Zeroizing::new(derive_key(seed, 1));
    let k_mac = Zeroizing::new(derive_key(seed, 2));
    Tdes::new(&k_enc, &k_mac)
}

/// Session keys from both sides' key material and nonces (9303-11 §4.3, §9.8).
fn session_keys(k_ifd: &[u8], k_icc: &[u8], rnd_icc: &[u8], rnd_ifd: &[u8]) -> SessionKeys {
    let mut seed = Zeroizing::new([0u8; 16]);
    for (s, (a, b)) in seed.iter_mut().zip(k_ifd.iter().zip(k_icc)) {
        *s = a ^ b;
    }
    let mut ssc = [0u8; 8];
    for (s, b) in ssc.iter_mut().zip(
        rnd_icc
            .iter()
            .skip(4)
            .take(4)
            .chain(rnd_ifd.iter().skip(4).take(4)),
    ) {
        *s = *b;
    }
    let (k_enc, k_mac) = keys_from_seed(&seed);
    SessionKeys { k_enc, k_mac, ssc }
}

/// `a || b || c` in a buffer that is wiped on drop.
fn concat(parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let mut v = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for p in parts {
        v.extend_from_slice(p);
    }
    v
}

/// Run BAC on `card` with the MRZ key seed; returns the session keys for
/// [`super::sm::SecureMessaging::new`].
///
/// `rng` supplies RND.IFD (8 bytes) and then K.IFD (16 bytes).
pub fn authenticate<T, R>(
    card: &mut T,
    seed: &[u8; 16],
    rng: &mut R,
) -> Result<SessionKeys, BacError>
where
    T: CardTransport + ?Sized,
    R: rand::RngCore + rand::CryptoRng,
{
    let cipher = bac_cipher(seed);

    // 9303-11 §4.3, App. D.3: GET CHALLENGE
    let challenge = Command::new(0x00, /* GET CHALLENGE */ 0x84, 0x00, 0x00).with_le(NONCE_LEN);
    let resp = exchange(card, &challenge)?;
    if resp.sw != StatusWord::Success {
        return Err(BacError::Refused {
            command: "GET CHALLENGE",
            sw: resp.sw,
        });
    }
    let rnd_icc: [u8; NONCE_LEN] = resp.data.as_slice().try_into().map_err(|_| {
        BacError::BadResponse(format!(
            "GET CHALLENGE returned {} bytes, expected 8",
            resp.data.len()
        ))
    })?;

    let mut rnd_ifd = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut rnd_ifd);
    let mut k_ifd = Zeroizing::new([0u8; KEY_MATERIAL_LEN]);
    rng.fill_bytes(k_ifd.as_mut_slice());

    // 9303-11 §4.3, App. D.3: MUTUAL AUTHENTICATE with E_IFD || M_IFD
    let s = concat(&[&rnd_ifd, &rnd_icc, k_ifd.as_slice()]);
    let e_ifd = cipher.encrypt_blocks(&s)?;
    let m_ifd = cipher.mac(&e_ifd);
    let mut data = e_ifd;
    data.extend_from_slice(&m_ifd);
    let mutual = Command::new(
        0x00, /* EXTERNAL/MUTUAL AUTHENTICATE */ 0x82, 0x00, 0x00,
    )
    .with_data(data)
    .with_le(AUTH_DATA_LEN);
    let resp = exchange(card, &mutual)?;
    match resp.sw {
        StatusWord::Success => {}
        StatusWord::AuthenticationFailed
        | StatusWord::RetriesLeft(_)
        | StatusWord::SecurityStatusNotSatisfied => return Err(BacError::AccessDenied),
        sw => {
            return Err(BacError::Refused {
                command: "MUTUAL AUTHENTICATE",
                sw,
            })
        }
    }
    let (e_icc, m_icc) = resp
        .data
        .split_at_checked(CRYPTOGRAM_LEN)
        .filter(|(_, m)| m.len() == AUTH_DATA_LEN - CRYPTOGRAM_LEN)
        .ok_or_else(|| {
            BacError::BadResponse(format!(
                "MUTUAL AUTHENTICATE returned {} bytes, expected 40",
                resp.data.len()
            ))
        })?;

    // 9303-11 §4.3, App. D.3: verify the chip's MAC, then its echo of both nonces.
    if !ct_eq(&cipher.mac(e_icc), m_icc) {
        return Err(BacError::ChipNotAuthenticated("M_ICC does not verify"));
    }
    let r = Zeroizing::new(cipher.decrypt_blocks(e_icc)?);
    if r.get(..NONCE_LEN) != Some(&rnd_icc[..]) {
        return Err(BacError::ChipNotAuthenticated("RND.ICC not echoed"));
    }
    if r.get(NONCE_LEN..2 * NONCE_LEN) != Some(&rnd_ifd[..]) {
        return Err(BacError::ChipNotAuthenticated("RND.IFD not echoed"));
    }
    let k_icc = r.get(2 * NONCE_LEN..).unwrap_or_default();
    tracing::debug!("BAC: mutual authentication succeeded");
    Ok(session_keys(k_ifd.as_slice(), k_icc, &rnd_icc, &rnd_ifd))
}

/// The chip's side of BAC, for the software chip emulator: holds K_enc/K_mac from
/// the emulated card's MRZ seed and the outstanding challenge.
pub struct BacChip {
    cipher: Tdes,
    rnd_icc: Option<[u8; NONCE_LEN]>,
}

impl BacChip {
    /// A chip whose MRZ key seed is `seed`.
    pub fn new(seed: &[u8; 16]) -> Self {
        Self {
            cipher: bac_cipher(seed),
            rnd_icc: None,
        }
    }

    /// Answer GET CHALLENGE: a fresh RND.ICC, remembered for one MUTUAL AUTHENTICATE.
    pub fn get_challenge<R: rand::RngCore>(&mut self, rng: &mut R) -> [u8; 8] {
        let mut rnd = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut rnd);
        self.rnd_icc = Some(rnd);
        rnd
    }

    /// Answer MUTUAL AUTHENTICATE: check M_IFD and RND.ICC, draw K.ICC from `rng`,
    /// and return the 40-byte reply `E_ICC || M_ICC` with the session keys.
    /// The challenge is spent either way.
    pub fn mutual_authenticate<R: rand::RngCore>(
        &mut self,
        data: &[u8],
        rng: &mut R,
    ) -> Result<(Vec<u8>, SessionKeys), BacError> {
        let rnd_icc = self.rnd_icc.take().ok_or(BacError::NoChallenge)?;
        let (e_ifd, m_ifd) = data
            .split_at_checked(CRYPTOGRAM_LEN)
            .filter(|_| data.len() == AUTH_DATA_LEN)
            .ok_or(BacError::WrongLength(data.len()))?;
        if !ct_eq(&self.cipher.mac(e_ifd), m_ifd) {
            return Err(BacError::AccessDenied);
        }
        let s = Zeroizing::new(self.cipher.decrypt_blocks(e_ifd)?);
        if s.get(NONCE_LEN..2 * NONCE_LEN) != Some(&rnd_icc[..]) {
            return Err(BacError::AccessDenied);
        }
        let rnd_ifd = s.get(..NONCE_LEN).unwrap_or_default();
        let k_ifd = s.get(2 * NONCE_LEN..).unwrap_or_default();
        let mut k_icc = Zeroizing::new([0u8; KEY_MATERIAL_LEN]);
        rng.fill_bytes(k_icc.as_mut_slice());
        let r = concat(&[&rnd_icc, rnd_ifd, k_icc.as_slice()]);
        let mut reply = self.cipher.encrypt_blocks(&r)?;
        let m_icc = self.cipher.mac(&reply);
        reply.extend_from_slice(&m_icc);
        Ok((
            reply,
            session_keys(k_ifd, k_icc.as_slice(), &rnd_icc, rnd_ifd),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::sm::testing::{Replay, ScriptedRng};
    use hex_literal::hex;

    const SEED: [u8; 16] = hex!("239AB9CB282DAF66231DC5A4DF6BFBAE");
    const RND_IFD: [u8; 8] = hex!("781723860C06C226");
    const K_IFD: [u8; 16] = hex!("0B795240CB7049B01C19B33E32804F0B");
    const RND_ICC: [u8; 8] = hex!("4608F91988702212");
    const K_ICC: [u8; 16] = hex!("0B4F80323EB3191CB04970CB4052790B");
    const MUTUAL_AUTH: [u8; 46] = hex!(
        "0082000028"
        "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2" // E_IFD
        "5F1448EEA8AD90A7" // M_IFD
        "28"
    );
    const MUTUAL_AUTH_REPLY: [u8; 42] = hex!(
        "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F" // E_ICC
        "2F2D235D074D7449" // M_ICC
        "9000"
    );

    fn assert_appendix_session(keys: &SessionKeys) {
        // 9303-11 App. D.3: KS_enc, KS_mac, SSC
        assert_eq!(keys.k_enc, hex!("979EC13B1CBFE9DCD01AB0FED307EAE5"));
        assert_eq!(keys.k_mac, hex!("F1CB1F1FB5ADF208806B89DC579DC1F8"));
        assert_eq!(keys.ssc, hex!("887022120C06C226"));
    }

    #[test]
    fn appendix_d_key_seed_and_keys() {
        // 9303-11 App. D.1–D.2: MRZ information → K_seed → K_enc, K_mac
        assert_eq!(key_seed(b"L898902C<369080619406236"), SEED);
        let (k_enc, k_mac) = keys_from_seed(&SEED);
        assert_eq!(k_enc, hex!("AB94FDECF2674FDFB9B391F85D7F76F2"));
        assert_eq!(k_mac, hex!("7962D9ECE03D1ACD4C76089DCE131543"));
    }

    #[test]
    fn appendix_d3_terminal_side_byte_for_byte() {
        // 9303-11 App. D.3, replayed: GET CHALLENGE, MUTUAL AUTHENTICATE
        let mut card = Replay::new(vec![
            (
                hex!("0084000008").to_vec(),
                [&RND_ICC[..], &hex!("9000")].concat(),
            ),
            (MUTUAL_AUTH.to_vec(), MUTUAL_AUTH_REPLY.to_vec()),
        ]);
        let mut rng = ScriptedRng::new(&[&RND_IFD[..], &K_IFD].concat());
        let keys = authenticate(&mut card, &SEED, &mut rng).unwrap();
        card.assert_done();
        assert_appendix_session(&keys);
    }

    #[test]
    fn appendix_d3_chip_side_byte_for_byte() {
        // 9303-11 App. D.3 from the chip's end: same nonces → same reply and keys.
        let mut chip = BacChip::new(&SEED);
        let mut rng = ScriptedRng::new(&[&RND_ICC[..], &K_ICC].concat());
        assert_eq!(chip.get_challenge(&mut rng), RND_ICC);
        let (reply, keys) = chip
            .mutual_authenticate(&MUTUAL_AUTH[5..45], &mut rng)
            .unwrap();
        assert_eq!(
            hex::encode_upper(reply),
            hex::encode_upper(&MUTUAL_AUTH_REPLY[..40])
        );
        assert_appendix_session(&keys);
    }

    #[test]
    fn wrong_key_status_words_mean_access_denied() {
        for sw in [hex!("6300"), hex!("6982")] {
            let mut card = Replay::new(vec![
                (
                    hex!("0084000008").to_vec(),
                    [&RND_ICC[..], &hex!("9000")].concat(),
                ),
                (MUTUAL_AUTH.to_vec(), sw.to_vec()),
            ]);
            let mut rng = ScriptedRng::new(&[&RND_IFD[..], &K_IFD].concat());
            let err = authenticate(&mut card, &SEED, &mut rng).unwrap_err();
            assert!(matches!(err, BacError::AccessDenied), "{sw:02X?}: {err}");
        }
    }

    #[test]
    fn chip_without_bac_is_refused_not_denied() {
        let mut card = Replay::new(vec![(hex!("0084000008").to_vec(), hex!("6D00").to_vec())]);
        let err = authenticate(&mut card, &SEED, &mut ScriptedRng::new(&[])).unwrap_err();
        assert!(matches!(
            err,
            BacError::Refused {
                command: "GET CHALLENGE",
                sw: StatusWord::InsNotSupported
            }
        ));
    }

    #[test]
    fn forged_chip_reply_is_caught() {
        let mut forged = MUTUAL_AUTH_REPLY;
        forged[39] ^= 0x01; // last byte of M_ICC
        let mut card = Replay::new(vec![
            (
                hex!("0084000008").to_vec(),
                [&RND_ICC[..], &hex!("9000")].concat(),
            ),
            (MUTUAL_AUTH.to_vec(), forged.to_vec()),
        ]);
        let mut rng = ScriptedRng::new(&[&RND_IFD[..], &K_IFD].concat());
        let err = authenticate(&mut card, &SEED, &mut rng).unwrap_err();
        assert!(matches!(err, BacError::ChipNotAuthenticated(_)), "{err}");

        let mut short = Replay::new(vec![
            (
                hex!("0084000008").to_vec(),
                [&RND_ICC[..], &hex!("9000")].concat(),
            ),
            (MUTUAL_AUTH.to_vec(), MUTUAL_AUTH_REPLY[10..].to_vec()),
        ]);
        let mut rng = ScriptedRng::new(&[&RND_IFD[..], &K_IFD].concat());
        let err = authenticate(&mut short, &SEED, &mut rng).unwrap_err();
        assert!(matches!(err, BacError::BadResponse(_)), "{err}");
    }

    #[test]
    fn chip_refuses_replayed_or_wrong_authentication() {
        let mut chip = BacChip::new(&SEED);
        let mut rng = ScriptedRng::new(&[&RND_ICC[..], &K_ICC].concat());
        // No challenge yet.
        assert!(matches!(
            chip.mutual_authenticate(&MUTUAL_AUTH[5..45], &mut rng),
            Err(BacError::NoChallenge)
        ));
        chip.get_challenge(&mut rng);
        chip.mutual_authenticate(&MUTUAL_AUTH[5..45], &mut rng)
            .unwrap();
        // The challenge is spent: replaying the same data fails.
        let err = chip
            .mutual_authenticate(&MUTUAL_AUTH[5..45], &mut rng)
            .unwrap_err();
        assert_eq!(err.chip_status(), StatusWord::ConditionsNotSatisfied);
        // Wrong key (MAC fails) → 6300.
        let mut other = BacChip::new(&[0x11; 16]);
        other.get_challenge(&mut ScriptedRng::new(&RND_ICC));
        let err = other
            .mutual_authenticate(&MUTUAL_AUTH[5..45], &mut rng)
            .unwrap_err();
        assert!(matches!(err, BacError::AccessDenied));
        assert_eq!(err.chip_status(), StatusWord::AuthenticationFailed);
        // A different challenge than the one the terminal encrypted → 6300 too.
        let mut chip = BacChip::new(&SEED);
        chip.get_challenge(&mut ScriptedRng::new(&[0u8; 8]));
        assert!(matches!(
            chip.mutual_authenticate(&MUTUAL_AUTH[5..45], &mut rng),
            Err(BacError::AccessDenied)
        ));
        let mut chip = BacChip::new(&SEED);
        chip.get_challenge(&mut ScriptedRng::new(&RND_ICC));
        assert!(matches!(
            chip.mutual_authenticate(&MUTUAL_AUTH[5..40], &mut rng),
            Err(BacError::WrongLength(35))
        ));
    }
}
