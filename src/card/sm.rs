//! Secure messaging (ICAO 9303-11 §9.8), both ends of it.
//!
//! **A transport, not a flag** (after JMRTD's `SecureMessagingWrapper` and dmrtd):
//! [`SecureMessaging`] wraps any [`CardTransport`] and is one itself. Callers hand it
//! plain command APDUs and get plain responses back, so the file reader, the LDS
//! parsers and passive authentication never know whether BAC or PACE opened the chip.
//! [`SmChip`] is the chip's half, used by the project's software chip emulator.
//!
//! **Cipher suites.** Everything that differs between 3DES (BAC: two-key 3DES-CBC
//! with IV zero, retail MAC, 8-byte SSC) and AES (PACE: AES-CBC with
//! IV = E(K_enc, SSC), AES-CMAC truncated to 8 bytes, 16-byte SSC) sits behind
//! [`SmCipher`]: block size (= SSC length = padding unit), encryption with the
//! suite's IV rule, and the MAC. The APDU layout below is the same for both, so an
//! AES suite is one more `impl SmCipher` and [`SecureMessaging::with_cipher`];
//! no caller changes. [`Tdes`] serves BAC; [`Aes`] (AES-128/192/256 with CMAC,
//! 9303-11 §9.8.6.2 / §9.8.7) serves PACE and chip authentication.
//!
//! **Command protection** (9303-11 §9.8, App. D.4): CLA gets bits `0x0C`; command data is
//! padded (ISO/IEC 9797-1 method 2), encrypted and carried in DO'87' (padding-content
//! indicator `01`, even INS) or DO'85' (no indicator, odd INS such as READ BINARY
//! `B1`); Le goes into DO'97' (one byte, or two when Le > 256); the MAC over
//! `SSC || padded header || DO'87'/'85' || DO'97'` (padded) goes into DO'8E'. The
//! protected APDU asks for Le = `00` (short) or `0000` (extended). The SSC is
//! incremented before each command and before each reply MAC.
//!
//! **Reply verification** (§9.8, App. D.4): the MAC over `SSC || DO'87'/'85' || DO'99'`
//! (padded) must match DO'8E'; DO'87' is decrypted and unpadded; DO'99' carries the
//! real status word. A reply of a bare *error* status word (6A82, 6982, 6D00 …) has
//! no MAC: chips answer plainly when they refuse a command before applying SM, so it
//! is handed up as that status, unauthenticated, and the SSC does not advance for it
//! (dmrtd does the same; our chip emulator follows the same rule). A bare 9000 is
//! refused: anyone on the channel could strip the SM wrapper off a SELECT's reply and
//! have it counted as a success. A wrong MAC or malformed reply ends the session:
//! every later command fails with [`TransportError::SecureMessaging`] until BAC/PACE
//! is run again.
//!
//! **Reply sizes** ([`SecureMessaging::max_plain_le`], [`max_plain_len`]): the
//! protected reply to a READ BINARY of `p` plaintext bytes is
//! `DO'87' (1 tag + 1–3 length + 1 indicator + c) + DO'99' (4) + DO'8E' (10)`
//! where `c` is `p` padded up to the next whole block (method-2 padding adds at least
//! one byte). That must fit in Ne = 256 (short) or 65536 (extended):
//!
//! | suite | short (Ne 256) | extended (Ne 65536) |
//! |-------|----------------|---------------------|
//! | 3DES (block 8)  | 231: c = 232, 1+2+233+14 = 250; p = 232 → c = 240 → 258 | 65511: c = 65512, 1+3+65513+14 = 65531 |
//! | AES (block 16)  | 223: c = 224, 1+2+225+14 = 242; p = 224 → c = 240 → 258 | 65503 |
//!
//! JMRTD's `DEFAULT_MAX_BLOCKSIZE` of 223 is the AES figure, which is also safe
//! (8 bytes short of the maximum) for 3DES; IAS-ECC's SM READ BINARY limit of
//! `E7` = 231 is the 3DES one.
//!
//! **Keys** live only inside the cipher suite (key schedules of `des` are zeroized on
//! drop via its `zeroize` feature); [`SessionKeys`] handed in are dropped (and wiped)
//! at construction. No key, SSC or plaintext is ever logged.

use super::apdu::{ApduError, Command, Response, StatusWord, EXTENDED_MAX_LE, SHORT_MAX_LE};
use super::bac::SessionKeys;
use super::tlv::{self, TlvError};
use super::transport::{exchange_once, CardTransport, TransportError};
use cipher::block_padding::{Iso7816, NoPadding};
use cipher::generic_array::GenericArray;
use cipher::{BlockDecrypt, BlockDecryptMut, BlockEncrypt, BlockEncryptMut, InnerIvInit, KeyInit};
use cmac::{Cmac, Mac};
use des::{Des, TdesEde2};
use thiserror::Error;
use zeroize::Zeroizing;

/// SM data object tags (ISO/IEC 7816-4 §10, 9303-11 §9.8).
const DO_CRYPTOGRAM_ODD: u32 = 0x85; // cryptogram, no padding-content indicator (odd INS)
const DO_CRYPTOGRAM: u32 = 0x87; // padding-content indicator || cryptogram
const DO_LE: u32 = 0x97;
const DO_STATUS: u32 = 0x99;
const DO_MAC: u32 = 0x8E;
/// Padding-content indicator: ISO/IEC 9797-1 method 2 (`80 00 …`).
const PADDING_INDICATOR: u8 = 0x01;
/// CLA bits announcing SM with a protected header (ISO/IEC 7816-4 §5.4.1).
const CLA_SM: u8 = 0x0C;
/// DO'99' (4) + DO'8E' with an 8-byte MAC (10): the fixed part of every protected reply.
const REPLY_FIXED_OVERHEAD: usize = 4 + 10;

/// What is wrong with a secure-messaging exchange, on either side.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SmError {
    /// The command itself does not parse as an APDU.
    #[error(transparent)]
    Apdu(#[from] ApduError),
    /// The SM data objects are not well-formed BER-TLV.
    #[error("secure-messaging data objects: {0}")]
    Tlv(#[from] TlvError),
    /// The chip side received a command whose CLA lacks the SM bits.
    #[error("command not protected (CLA {0:#04x}) during a secure-messaging session")]
    NotProtected(u8),
    /// The terminal side was handed a command that is already protected.
    #[error("command already carries secure-messaging CLA bits (CLA {0:#04x})")]
    AlreadyProtected(u8),
    /// No DO'8E' in a message that must be authenticated.
    #[error("DO'8E' (MAC) missing")]
    MissingMac,
    /// The MAC in DO'8E' does not verify.
    #[error("DO'8E' MAC does not verify")]
    BadMac,
    /// A data object that has no place in this message.
    #[error("unexpected data object {tag:#x} in a protected {message}")]
    UnexpectedObject { tag: u32, message: &'static str },
    /// The same data object twice.
    #[error("data object {0:#x} appears twice")]
    DuplicateObject(u32),
    /// DO'8E' must be last.
    #[error("data after DO'8E'")]
    DataAfterMac,
    /// DO'87' must start with padding-content indicator 01.
    #[error("DO'87' padding-content indicator {0:#04x}, expected 01")]
    PaddingIndicator(u8),
    /// DO'87' without any content.
    #[error("DO'87' is empty")]
    EmptyCryptogram,
    /// Ciphertext that is not a whole number of cipher blocks.
    #[error("cryptogram of {len} bytes is not a whole number of {block}-byte blocks")]
    NotBlockAligned { len: usize, block: usize },
    /// Decrypted data without valid ISO/IEC 9797-1 method-2 padding.
    #[error("decrypted data has no valid 80 00… padding")]
    BadPadding,
    /// DO'97' of a length other than 0, 1 or 2.
    #[error("DO'97' (Le) of {0} bytes")]
    BadLe(usize),
    /// DO'99' of a length other than 2.
    #[error("DO'99' (status) of {0} bytes")]
    BadStatusObject(usize),
    /// An AES key of a length other than 16, 24 or 32 bytes (or K_enc and K_mac differ).
    #[error("AES key of {0} bytes")]
    KeyLength(usize),
    /// A 9000 with no DO'8E': nobody authenticated it.
    #[error("unprotected 9000 during a secure-messaging session")]
    UnprotectedSuccess,
}

impl SmError {
    /// The status word a chip answers with when it cannot unwrap a command
    /// (ISO/IEC 7816-4 §5.1.3): 6987 for missing SM objects, 6988 for wrong ones.
    pub fn chip_status(&self) -> StatusWord {
        match self {
            Self::NotProtected(_) | Self::MissingMac => StatusWord::SmObjectsMissing,
            _ => StatusWord::SmObjectsIncorrect,
        }
    }
}

/// One secure-messaging cipher suite: what differs between 3DES (BAC) and AES (PACE).
///
/// Padding is the suite's business: `encrypt` and `mac` pad their input with
/// ISO/IEC 9797-1 method 2 to the block size, `decrypt` removes it. `Send` so a
/// session can live on the card worker thread.
pub trait SmCipher: Send {
    /// Short name for logs and diagnostics (`"3DES"`, `"AES-128"`).
    fn name(&self) -> &'static str;
    /// Cipher block size in bytes: 8 (3DES) or 16 (AES). Also the SSC length and the
    /// unit headers and data are padded to.
    fn block_size(&self) -> usize;
    /// Pad and encrypt `data` for the message numbered `ssc` (3DES: IV zero;
    /// AES: IV = E(K_enc, SSC)).
    fn encrypt(&self, ssc: &[u8], data: &[u8]) -> Vec<u8>;
    /// Decrypt `data` for the message numbered `ssc` and strip the padding.
    fn decrypt(&self, ssc: &[u8], data: &[u8]) -> Result<Vec<u8>, SmError>;
    /// Pad `data` and compute the 8-byte MAC (3DES: retail MAC; AES: CMAC truncated).
    fn mac(&self, data: &[u8]) -> [u8; 8];
}

/// The 3DES suite of BAC (9303-11 §9.8 with two-key 3DES-CBC, IV zero, and the
/// ISO/IEC 9797-1 MAC algorithm 3 "retail MAC" with DES).
///
/// Holds key schedules only; the `des` crate wipes them on drop.
#[derive(Clone)]
pub struct Tdes {
    enc: TdesEde2,
    mac_a: Des,
    mac_b: Des,
}

/// 3DES IV for BAC secure messaging and for BAC's own cryptograms: all zero.
const TDES_ZERO_IV: [u8; 8] = [0; 8];

impl Tdes {
    /// Build the suite from K_enc and K_mac (16 bytes each: two-key 3DES).
    pub fn new(k_enc: &[u8; 16], k_mac: &[u8; 16]) -> Self {
        Self {
            enc: TdesEde2::new(GenericArray::from_slice(k_enc)),
            mac_a: Des::new(GenericArray::from_slice(&k_mac[..8])),
            mac_b: Des::new(GenericArray::from_slice(&k_mac[8..])),
        }
    }

    /// 3DES-CBC with IV zero and no padding, as BAC's E_IFD / E_ICC need (9303-11 §4.3).
    pub(crate) fn encrypt_blocks(&self, data: &[u8]) -> Result<Vec<u8>, SmError> {
        check_aligned(data.len(), 8)?;
        Ok(
            cbc::Encryptor::<TdesEde2>::inner_iv_init(self.enc.clone(), &TDES_ZERO_IV.into())
                .encrypt_padded_vec_mut::<NoPadding>(data),
        )
    }

    /// Inverse of [`Tdes::encrypt_blocks`].
    pub(crate) fn decrypt_blocks(&self, data: &[u8]) -> Result<Vec<u8>, SmError> {
        check_aligned(data.len(), 8)?;
        cbc::Decryptor::<TdesEde2>::inner_iv_init(self.enc.clone(), &TDES_ZERO_IV.into())
            .decrypt_padded_vec_mut::<NoPadding>(data)
            .map_err(|_| SmError::NotBlockAligned {
                len: data.len(),
                block: 8,
            })
    }
}

impl SmCipher for Tdes {
    fn name(&self) -> &'static str {
        "3DES"
    }

    fn block_size(&self) -> usize {
        8
    }

    fn encrypt(&self, _ssc: &[u8], data: &[u8]) -> Vec<u8> {
        cbc::Encryptor::<TdesEde2>::inner_iv_init(self.enc.clone(), &TDES_ZERO_IV.into())
            .encrypt_padded_vec_mut::<Iso7816>(data)
    }

    fn decrypt(&self, _ssc: &[u8], data: &[u8]) -> Result<Vec<u8>, SmError> {
        check_aligned(data.len(), 8)?;
        cbc::Decryptor::<TdesEde2>::inner_iv_init(self.enc.clone(), &TDES_ZERO_IV.into())
            .decrypt_padded_vec_mut::<Iso7816>(data)
            .map_err(|_| SmError::BadPadding)
    }

    /// ISO/IEC 9797-1 MAC algorithm 3, padding method 2: DES-CBC with K_a over all
    /// blocks (its last output block is H_q), then the output transformation
    /// E_Ka(D_Kb(H_q)).
    fn mac(&self, data: &[u8]) -> [u8; 8] {
        let chain = cbc::Encryptor::<Des>::inner_iv_init(self.mac_a.clone(), &TDES_ZERO_IV.into())
            .encrypt_padded_vec_mut::<Iso7816>(data);
        let mut block = GenericArray::from(TDES_ZERO_IV);
        // Method-2 padding adds at least one byte, so the chain is never empty.
        if let Some(last) = chain.rchunks_exact(8).next() {
            block.copy_from_slice(last);
        }
        self.mac_b.decrypt_block(&mut block);
        self.mac_a.encrypt_block(&mut block);
        let mut out = [0u8; 8];
        out.copy_from_slice(&block);
        out
    }
}

/// The AES suite of PACE and chip authentication (9303-11 §9.8): AES-CBC whose IV is
/// `E(K_enc, SSC)` with a 16-byte SSC, and AES-CMAC (NIST SP 800-38B) over the
/// method-2-padded input, truncated to 8 bytes.
///
/// Holds key schedules only (the `aes` crate wipes them on drop with its `zeroize`
/// feature); the key length picks AES-128, -192 or -256.
#[derive(Clone)]
pub struct Aes {
    key: AesKey,
}

// One suite per session, itself boxed as `Box<dyn SmCipher>`: the size spread of
// the key schedules costs nothing worth an extra indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum AesKey {
    A128(aes::Aes128, Cmac<aes::Aes128>),
    A192(aes::Aes192, Cmac<aes::Aes192>),
    A256(aes::Aes256, Cmac<aes::Aes256>),
}

/// Run `$body` with `$enc` bound to the block cipher and `$mac` to the CMAC state,
/// whatever the key length.
macro_rules! with_aes {
    ($key:expr, $enc:ident, $mac:ident => $body:expr) => {
        match $key {
            AesKey::A128($enc, $mac) => $body,
            AesKey::A192($enc, $mac) => $body,
            AesKey::A256($enc, $mac) => $body,
        }
    };
}

/// AES block size, which is also the SSC length under AES secure messaging.
const AES_BLOCK: usize = 16;

impl Aes {
    /// Build the suite from K_enc and K_mac of 16, 24 or 32 bytes each (both the same
    /// length, as the 9303-11 §9.7.1 KDF makes them).
    pub fn new(k_enc: &[u8], k_mac: &[u8]) -> Result<Self, SmError> {
        let bad = || SmError::KeyLength(k_enc.len());
        if k_enc.len() != k_mac.len() {
            return Err(bad());
        }
        let key = match k_enc.len() {
            16 => AesKey::A128(
                aes::Aes128::new_from_slice(k_enc).map_err(|_| bad())?,
                <Cmac<aes::Aes128> as Mac>::new_from_slice(k_mac).map_err(|_| bad())?,
            ),
            24 => AesKey::A192(
                aes::Aes192::new_from_slice(k_enc).map_err(|_| bad())?,
                <Cmac<aes::Aes192> as Mac>::new_from_slice(k_mac).map_err(|_| bad())?,
            ),
            32 => AesKey::A256(
                aes::Aes256::new_from_slice(k_enc).map_err(|_| bad())?,
                <Cmac<aes::Aes256> as Mac>::new_from_slice(k_mac).map_err(|_| bad())?,
            ),
            _ => return Err(bad()),
        };
        Ok(Self { key })
    }

    /// `E(K_enc, SSC)`: the IV of one message (9303-11 §9.8.6.2).
    fn iv(&self, ssc: &[u8]) -> GenericArray<u8, cipher::consts::U16> {
        let mut block = GenericArray::<u8, cipher::consts::U16>::default();
        for (b, s) in block.iter_mut().rev().zip(ssc.iter().rev()) {
            *b = *s;
        }
        with_aes!(&self.key, enc, _m => enc.encrypt_block(&mut block));
        block
    }

    /// CMAC over `data` exactly as given, truncated to 8 bytes: the PACE
    /// authentication token and chip authentication use it over unpadded data
    /// (9303-11 §4.4.3.4, §9.7.4).
    pub fn cmac8(&self, data: &[u8]) -> [u8; 8] {
        let full = with_aes!(&self.key, _e, mac => {
            let mut m = mac.clone();
            m.update(data);
            m.finalize().into_bytes()
        });
        let mut out = [0u8; 8];
        out.copy_from_slice(&full[..8]);
        out
    }

    /// AES-CBC with IV zero and no padding: PACE's encrypted nonce
    /// (9303-11 §4.4.3.3, `z = E(K_π, s)`).
    pub(crate) fn encrypt_blocks(&self, data: &[u8]) -> Result<Vec<u8>, SmError> {
        check_aligned(data.len(), AES_BLOCK)?;
        let iv = GenericArray::from([0u8; AES_BLOCK]);
        Ok(
            with_aes!(&self.key, enc, _m => cbc::Encryptor::inner_iv_init(enc.clone(), &iv)
            .encrypt_padded_vec_mut::<NoPadding>(data)),
        )
    }

    /// Inverse of [`Aes::encrypt_blocks`].
    pub(crate) fn decrypt_blocks(&self, data: &[u8]) -> Result<Vec<u8>, SmError> {
        check_aligned(data.len(), AES_BLOCK)?;
        let iv = GenericArray::from([0u8; AES_BLOCK]);
        with_aes!(&self.key, enc, _m => cbc::Decryptor::inner_iv_init(enc.clone(), &iv)
            .decrypt_padded_vec_mut::<NoPadding>(data))
        .map_err(|_| SmError::NotBlockAligned {
            len: data.len(),
            block: AES_BLOCK,
        })
    }
}

impl SmCipher for Aes {
    fn name(&self) -> &'static str {
        match self.key {
            AesKey::A128(..) => "AES-128",
            AesKey::A192(..) => "AES-192",
            AesKey::A256(..) => "AES-256",
        }
    }

    fn block_size(&self) -> usize {
        AES_BLOCK
    }

    fn encrypt(&self, ssc: &[u8], data: &[u8]) -> Vec<u8> {
        let iv = self.iv(ssc);
        with_aes!(&self.key, enc, _m => cbc::Encryptor::inner_iv_init(enc.clone(), &iv)
            .encrypt_padded_vec_mut::<Iso7816>(data))
    }

    fn decrypt(&self, ssc: &[u8], data: &[u8]) -> Result<Vec<u8>, SmError> {
        check_aligned(data.len(), AES_BLOCK)?;
        let iv = self.iv(ssc);
        with_aes!(&self.key, enc, _m => cbc::Decryptor::inner_iv_init(enc.clone(), &iv)
            .decrypt_padded_vec_mut::<Iso7816>(data))
        .map_err(|_| SmError::BadPadding)
    }

    /// Method-2 padding to 16 bytes, then CMAC truncated to 8 bytes (9303-11 §9.8.6.2).
    fn mac(&self, data: &[u8]) -> [u8; 8] {
        let mut padded = Zeroizing::new(Vec::with_capacity(data.len() + AES_BLOCK));
        padded.extend_from_slice(data);
        padded.push(0x80);
        while padded.len() % AES_BLOCK != 0 {
            padded.push(0);
        }
        self.cmac8(&padded)
    }
}

fn check_aligned(len: usize, block: usize) -> Result<(), SmError> {
    if block == 0 || !len.is_multiple_of(block) {
        return Err(SmError::NotBlockAligned { len, block });
    }
    Ok(())
}

/// Compare two MACs in constant time (`subtle`, as RustCrypto's `Mac::verify` does).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

/// Largest plaintext a protected reply can carry in `ne` bytes of response data
/// with a `block_size`-byte cipher (see the table in the module doc).
pub fn max_plain_len(block_size: usize, ne: usize) -> usize {
    if block_size == 0 {
        return 0;
    }
    let mut c = ne / block_size * block_size;
    while c >= block_size {
        let value = 1 + c; // padding-content indicator + cryptogram
        let total = 1 + length_octets(value) + value + REPLY_FIXED_OVERHEAD;
        if total <= ne {
            return c - 1; // method-2 padding needs at least one byte
        }
        c -= block_size;
    }
    0
}

/// Bytes a BER definite length of `n` takes (7816-4 §5.2.2).
fn length_octets(n: usize) -> usize {
    match n {
        0..=0x7F => 1,
        0x80..=0xFF => 2,
        0x100..=0xFFFF => 3,
        _ => 4,
    }
}

/// Encode Le for DO'97': one byte up to 256 (256 → `00`), else two (65536 → `0000`).
fn encode_le(le: usize) -> Vec<u8> {
    if le <= SHORT_MAX_LE {
        vec![(le % SHORT_MAX_LE) as u8]
    } else {
        ((le % EXTENDED_MAX_LE) as u16).to_be_bytes().to_vec()
    }
}

/// Decode DO'97'; empty means no Le.
fn decode_le(v: &[u8]) -> Result<Option<usize>, SmError> {
    match *v {
        [] => Ok(None),
        [0] => Ok(Some(SHORT_MAX_LE)),
        [b] => Ok(Some(b as usize)),
        [0, 0] => Ok(Some(EXTENDED_MAX_LE)),
        [h, l] => Ok(Some(u16::from_be_bytes([h, l]) as usize)),
        _ => Err(SmError::BadLe(v.len())),
    }
}

/// The SM data objects of one message, as found.
struct Objects<'a> {
    /// DO'85' or DO'87' (tag, value).
    cryptogram: Option<(u32, &'a [u8])>,
    /// DO'97' (command) or DO'99' (reply).
    le_or_status: Option<&'a [u8]>,
    mac: Option<&'a [u8]>,
    /// Encoded objects before DO'8E': what the MAC covers.
    authenticated: &'a [u8],
}

/// Split the SM data objects of a command (`second` = DO'97') or reply (DO'99').
fn parse_objects<'a>(
    body: &'a [u8],
    second: u32,
    message: &'static str,
) -> Result<Objects<'a>, SmError> {
    let mut objs = Objects {
        cryptogram: None,
        le_or_status: None,
        mac: None,
        authenticated: body,
    };
    let mut rest = body;
    while !rest.is_empty() {
        if objs.mac.is_some() {
            return Err(SmError::DataAfterMac);
        }
        let offset = body.len() - rest.len();
        let (t, after) = tlv::parse_one(rest)?;
        match t.tag {
            DO_CRYPTOGRAM | DO_CRYPTOGRAM_ODD => {
                if objs.cryptogram.replace((t.tag, t.value)).is_some() {
                    return Err(SmError::DuplicateObject(t.tag));
                }
            }
            tag if tag == second => {
                if objs.le_or_status.replace(t.value).is_some() {
                    return Err(SmError::DuplicateObject(tag));
                }
            }
            DO_MAC => {
                objs.mac = Some(t.value);
                objs.authenticated = body.get(..offset).unwrap_or_default();
            }
            tag => return Err(SmError::UnexpectedObject { tag, message }),
        }
        rest = after;
    }
    Ok(objs)
}

/// What both ends share: the suite and the send sequence counter.
struct Session {
    cipher: Box<dyn SmCipher>,
    ssc: Zeroizing<Vec<u8>>,
}

impl Session {
    fn new(cipher: Box<dyn SmCipher>, ssc: Vec<u8>) -> Self {
        Self {
            cipher,
            ssc: Zeroizing::new(ssc),
        }
    }

    fn tdes(keys: SessionKeys) -> Self {
        Self::new(
            Box::new(Tdes::new(&keys.k_enc, &keys.k_mac)),
            keys.ssc.to_vec(),
        )
    }

    /// SSC + 1, big-endian, wrapping (9303-11 §9.8).
    fn step(&mut self) {
        for b in self.ssc.iter_mut().rev() {
            *b = b.wrapping_add(1);
            if *b != 0 {
                break;
            }
        }
    }

    /// `SSC || padded header` — the start of a command's MAC input (App. D.4).
    fn command_mac_input(&self, header: [u8; 4]) -> Zeroizing<Vec<u8>> {
        let bs = self.cipher.block_size().max(header.len() + 1);
        let mut n = Zeroizing::new(Vec::with_capacity(self.ssc.len() + bs + 64));
        n.extend_from_slice(&self.ssc);
        n.extend_from_slice(&header);
        n.push(0x80);
        n.resize(self.ssc.len() + bs, 0);
        n
    }

    fn mac_of(&self, prefix: &[u8], objects: &[u8]) -> [u8; 8] {
        let mut n = Zeroizing::new(Vec::with_capacity(prefix.len() + objects.len()));
        n.extend_from_slice(prefix);
        n.extend_from_slice(objects);
        self.cipher.mac(&n)
    }

    /// DO'87' (even INS) or DO'85' (odd INS) holding `plain` encrypted.
    fn cryptogram(&self, ins: u8, plain: &[u8]) -> Vec<u8> {
        let ct = self.cipher.encrypt(&self.ssc, plain);
        if ins & 1 == 1 {
            tlv::encode(DO_CRYPTOGRAM_ODD, &ct)
        } else {
            let mut v = Vec::with_capacity(ct.len() + 1);
            v.push(PADDING_INDICATOR);
            v.extend_from_slice(&ct);
            tlv::encode(DO_CRYPTOGRAM, &v)
        }
    }

    /// Plaintext of a DO'85' / DO'87'.
    fn open(&self, cryptogram: Option<(u32, &[u8])>) -> Result<Vec<u8>, SmError> {
        match cryptogram {
            None => Ok(Vec::new()),
            Some((DO_CRYPTOGRAM, v)) => match v.split_first() {
                None => Err(SmError::EmptyCryptogram),
                Some((&PADDING_INDICATOR, ct)) => self.cipher.decrypt(&self.ssc, ct),
                Some((&other, _)) => Err(SmError::PaddingIndicator(other)),
            },
            Some((_, ct)) => self.cipher.decrypt(&self.ssc, ct),
        }
    }
}

/// The terminal side of secure messaging: wraps a transport and is one.
///
/// Give it plain APDUs; it protects them, sends them through `inner`, verifies and
/// decrypts the reply and returns plain `data || SW`.
pub struct SecureMessaging<T: CardTransport> {
    inner: T,
    session: Session,
    /// Why the session ended (a reply failed verification or the link broke
    /// mid-exchange); every later command fails with it.
    ended: Option<String>,
}

impl<T: CardTransport> SecureMessaging<T> {
    /// Start a 3DES session with the keys and SSC BAC produced (the keys are wiped
    /// when `keys` drops here).
    pub fn new(inner: T, keys: SessionKeys) -> Self {
        Self {
            inner,
            session: Session::tdes(keys),
            ended: None,
        }
    }

    /// Start a session with any cipher suite (AES after PACE); `ssc` must be
    /// `cipher.block_size()` bytes (zero after PACE, 9303-11 §9.8).
    pub fn with_cipher(inner: T, cipher: Box<dyn SmCipher>, ssc: Vec<u8>) -> Self {
        Self {
            inner,
            session: Session::new(cipher, ssc),
            ended: None,
        }
    }

    /// Hand back the plain transport, e.g. to run BAC again after the session ended.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// The plain transport underneath (for counters or a reset; commands sent through
    /// it bypass SM and will desynchronise the chip's session).
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Largest plaintext Le a READ BINARY may ask for so the protected reply fits a
    /// short (Ne 256) or extended (Ne 65536) response: 231 / 65511 for 3DES. The reader
    /// sizes its chunks with this; a larger Le makes the command extended.
    pub fn max_plain_le(&self, extended: bool) -> usize {
        let ne = if extended {
            EXTENDED_MAX_LE
        } else {
            SHORT_MAX_LE
        };
        max_plain_len(self.session.cipher.block_size(), ne)
    }

    /// Protect a plain command (9303-11 §9.8, App. D.4). Advances the SSC.
    fn protect(&mut self, cmd: &Command) -> Result<Command, SmError> {
        if cmd.cla & CLA_SM != 0 {
            return Err(SmError::AlreadyProtected(cmd.cla));
        }
        self.session.step();
        let cla = cmd.cla | CLA_SM;
        let mut objects = Vec::with_capacity(cmd.data.len() + 32);
        if !cmd.data.is_empty() {
            objects.extend_from_slice(&self.session.cryptogram(cmd.ins, &cmd.data));
        }
        if let Some(le) = cmd.le {
            objects.extend_from_slice(&tlv::encode(DO_LE, &encode_le(le)));
        }
        let prefix = self
            .session
            .command_mac_input([cla, cmd.ins, cmd.p1, cmd.p2]);
        let mac = self.session.mac_of(&prefix, &objects);
        objects.extend_from_slice(&tlv::encode(DO_MAC, &mac));
        let extended = cmd.is_extended()
            || objects.len() > 255
            || cmd.le.is_some_and(|le| le > self.max_plain_le(false));
        Ok(Command {
            cla,
            ins: cmd.ins,
            p1: cmd.p1,
            p2: cmd.p2,
            data: objects,
            le: Some(if extended {
                EXTENDED_MAX_LE
            } else {
                SHORT_MAX_LE
            }),
        })
    }

    /// Verify and decrypt a reply (9303-11 §9.8, App. D.4); returns plain `data || SW`.
    fn unprotect(&mut self, resp: &Response) -> Result<Vec<u8>, SmError> {
        if resp.data.is_empty() {
            if resp.sw == StatusWord::Success {
                return Err(SmError::UnprotectedSuccess);
            }
            // The chip refused before SM; the SSC does not advance (module doc).
            return Ok(resp.sw.to_bytes().to_vec());
        }
        self.session.step();
        let objs = parse_objects(&resp.data, DO_STATUS, "reply")?;
        let got = objs.mac.ok_or(SmError::MissingMac)?;
        let want = self.session.mac_of(&self.session.ssc, objs.authenticated);
        if !ct_eq(&want, got) {
            return Err(SmError::BadMac);
        }
        let mut plain = self.session.open(objs.cryptogram)?;
        let sw = match objs.le_or_status {
            None => resp.sw.to_bytes(),
            Some(&[a, b]) => [a, b],
            Some(v) => return Err(SmError::BadStatusObject(v.len())),
        };
        plain.extend_from_slice(&sw);
        Ok(plain)
    }

    fn end(&mut self, why: String) -> TransportError {
        tracing::warn!("secure messaging session ended: {why}");
        self.ended = Some(why.clone());
        TransportError::SecureMessaging(why)
    }
}

impl<T: CardTransport> CardTransport for SecureMessaging<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if let Some(why) = &self.ended {
            return Err(TransportError::SecureMessaging(format!(
                "session already ended: {why}"
            )));
        }
        let cmd = Command::parse(apdu)?;
        let protected = self
            .protect(&cmd)
            .map_err(|e| TransportError::SecureMessaging(e.to_string()))?;
        // `exchange_once` follows a bare 61xx with a plain GET RESPONSE, as T=0 needs,
        // and never resends this protected command (its SSC is spent).
        let resp = match exchange_once(&mut self.inner, &protected) {
            Ok(r) => r,
            Err(e) => {
                // The chip counted this command; we cannot know whether it answered.
                self.ended = Some(format!("link failed mid-exchange: {e}"));
                return Err(e);
            }
        };
        let plain = self.unprotect(&resp).map_err(|e| self.end(e.to_string()))?;
        if resp.data.is_empty()
            && matches!(
                resp.sw,
                StatusWord::SmObjectsMissing | StatusWord::SmObjectsIncorrect
            )
        {
            // The chip says our SM failed: it has dropped the session on its side.
            self.ended = Some(format!(
                "the chip reported a secure-messaging error ({})",
                resp.sw
            ));
        }
        Ok(plain)
    }
}

/// The chip side of secure messaging, for the software chip emulator.
///
/// The emulator calls [`SmChip::unwrap_command`] on every APDU after BAC; on error it
/// answers [`SmError::chip_status`] plainly and ends the session. It answers
/// through [`SmChip::wrap_response`], or plainly with a bare error status (then the
/// SSC does not advance for the reply, matching [`SecureMessaging`]).
pub struct SmChip {
    session: Session,
    /// INS of the last command was odd: its reply data go into DO'85'.
    odd_ins: bool,
}

impl SmChip {
    /// A 3DES session from the keys the chip's BAC produced.
    pub fn new(keys: SessionKeys) -> Self {
        Self {
            session: Session::tdes(keys),
            odd_ins: false,
        }
    }

    /// A session with any suite (AES after PACE); `ssc` of `cipher.block_size()` bytes.
    pub fn with_cipher(cipher: Box<dyn SmCipher>, ssc: Vec<u8>) -> Self {
        Self {
            session: Session::new(cipher, ssc),
            odd_ins: false,
        }
    }

    /// Verify a protected command's MAC and decrypt it into the plain command
    /// (CLA without the SM bits, data decrypted, Le from DO'97'). Advances the SSC.
    pub fn unwrap_command(&mut self, apdu: &[u8]) -> Result<Command, SmError> {
        let cmd = Command::parse(apdu)?;
        if cmd.cla & CLA_SM != CLA_SM {
            return Err(SmError::NotProtected(cmd.cla));
        }
        self.session.step();
        let objs = parse_objects(&cmd.data, DO_LE, "command")?;
        let got = objs.mac.ok_or(SmError::MissingMac)?;
        let prefix = self
            .session
            .command_mac_input([cmd.cla, cmd.ins, cmd.p1, cmd.p2]);
        if !ct_eq(&self.session.mac_of(&prefix, objs.authenticated), got) {
            return Err(SmError::BadMac);
        }
        let data = self.session.open(objs.cryptogram)?;
        let le = objs.le_or_status.map(decode_le).transpose()?.flatten();
        self.odd_ins = cmd.ins & 1 == 1;
        Ok(Command {
            cla: cmd.cla & !CLA_SM,
            ins: cmd.ins,
            p1: cmd.p1,
            p2: cmd.p2,
            data,
            le,
        })
    }

    /// Protect a reply: data encrypted into DO'87' (DO'85' after an odd INS), the
    /// status in DO'99', the MAC in DO'8E', then the status word. Advances the SSC.
    pub fn wrap_response(&mut self, resp: &Response) -> Vec<u8> {
        self.session.step();
        let sw = resp.sw.to_bytes();
        let mut out = Vec::with_capacity(resp.data.len() + 40);
        if !resp.data.is_empty() {
            let ins = if self.odd_ins { 1 } else { 0 };
            out.extend_from_slice(&self.session.cryptogram(ins, &resp.data));
        }
        out.extend_from_slice(&tlv::encode(DO_STATUS, &sw));
        let mac = self.session.mac_of(&self.session.ssc, &out);
        out.extend_from_slice(&tlv::encode(DO_MAC, &mac));
        out.extend_from_slice(&sw);
        out
    }
}

/// Test doubles shared by the BAC and SM tests: a replay transport and a scripted RNG.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use std::collections::VecDeque;

    /// Replays a recorded exchange, asserting each command byte for byte
    /// (after emrtd's `MockCard`).
    pub struct Replay {
        steps: VecDeque<(Vec<u8>, Vec<u8>)>,
    }

    impl Replay {
        pub fn new(steps: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
            Self {
                steps: steps.into(),
            }
        }

        pub fn assert_done(&self) {
            assert!(
                self.steps.is_empty(),
                "{} recorded exchanges not sent",
                self.steps.len()
            );
        }
    }

    impl CardTransport for Replay {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            let (want, reply) = self.steps.pop_front().expect("no more recorded exchanges");
            assert_eq!(
                hex::encode_upper(apdu),
                hex::encode_upper(&want),
                "command differs from the recording"
            );
            Ok(reply)
        }
    }

    /// An RNG that hands out a fixed byte string (the appendix's nonces), then panics.
    pub struct ScriptedRng {
        bytes: VecDeque<u8>,
    }

    impl ScriptedRng {
        pub fn new(bytes: &[u8]) -> Self {
            Self {
                bytes: bytes.iter().copied().collect(),
            }
        }
    }

    impl rand::RngCore for ScriptedRng {
        fn next_u32(&mut self) -> u32 {
            let mut b = [0; 4];
            self.fill_bytes(&mut b);
            u32::from_be_bytes(b)
        }
        fn next_u64(&mut self) -> u64 {
            let mut b = [0; 8];
            self.fill_bytes(&mut b);
            u64::from_be_bytes(b)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for d in dest {
                *d = self.bytes.pop_front().expect("scripted RNG exhausted");
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    impl rand::CryptoRng for ScriptedRng {}
}

#[cfg(test)]
mod tests {
    use super::testing::Replay;
    use super::*;
    use crate::card::bac::{self, BacChip, BacError};
    use crate::card::transport::exchange;
    use hex_literal::hex;
    use rand::{rngs::StdRng, RngCore, SeedableRng};

    /// 9303-11 App. D.3: the session keys BAC established in the worked example.
    fn appendix_keys() -> SessionKeys {
        SessionKeys {
            k_enc: hex!("979EC13B1CBFE9DCD01AB0FED307EAE5"),
            k_mac: hex!("F1CB1F1FB5ADF208806B89DC579DC1F8"),
            ssc: hex!("887022120C06C226"),
        }
    }

    /// One recorded exchange: plain command, protected command, protected reply, plain reply.
    struct Step(&'static [u8], &'static [u8], &'static [u8], &'static [u8]);

    /// 9303-11 App. D.4, the three protected exchanges: SELECT EF.COM, READ BINARY of
    /// the first 4 bytes, READ BINARY of the remaining 18 from offset 4.
    const D4: [Step; 3] = [
        Step(
            &hex!("00A4020C02011E"),
            &hex!("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"),
            &hex!("990290008E08FA855A5D4C50A8ED9000"),
            &hex!("9000"),
        ),
        Step(
            &hex!("00B0000004"),
            &hex!("0CB000000D9701048E08ED6705417E96BA5500"),
            &hex!("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"),
            &hex!("60145F01 9000"),
        ),
        Step(
            &hex!("00B0000412"),
            &hex!("0CB000040D9701128E082EA28A70F3C7B53500"),
            &hex!("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"),
            &hex!("04303130365F36063034303030305C026175 9000"),
        ),
    ];

    #[test]
    fn appendix_d4_terminal_side_byte_for_byte() {
        // 9303-11 App. D.4
        let replay = Replay::new(
            D4.iter()
                .map(|Step(_, p, r, _)| (p.to_vec(), r.to_vec()))
                .collect(),
        );
        let mut sm = SecureMessaging::new(replay, appendix_keys());
        for Step(plain_cmd, _, _, plain_reply) in D4 {
            assert_eq!(sm.transmit(plain_cmd).unwrap(), plain_reply);
        }
        sm.into_inner().assert_done();
    }

    #[test]
    fn appendix_d4_chip_side_byte_for_byte() {
        // 9303-11 App. D.4, from the chip's end: the same APDUs unwrap to the plain
        // commands, and the plain replies wrap to the recorded bytes.
        let mut chip = SmChip::new(appendix_keys());
        for Step(plain_cmd, protected, reply, plain_reply) in D4 {
            let cmd = chip.unwrap_command(protected).unwrap();
            assert_eq!(cmd, Command::parse(plain_cmd).unwrap());
            let resp = Response::parse(plain_reply).unwrap();
            assert_eq!(
                hex::encode_upper(chip.wrap_response(&resp)),
                hex::encode_upper(reply)
            );
        }
    }

    #[test]
    fn retail_mac_of_appendix_d3() {
        // 9303-11 App. D.3: M_IFD = MAC(K_mac, E_IFD)
        let tdes = Tdes::new(
            &hex!("AB94FDECF2674FDFB9B391F85D7F76F2"),
            &hex!("7962D9ECE03D1ACD4C76089DCE131543"),
        );
        let e_ifd = hex!("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2");
        assert_eq!(tdes.mac(&e_ifd), hex!("5F1448EEA8AD90A7"));
    }

    #[test]
    fn max_plain_le_arithmetic() {
        assert_eq!(max_plain_len(8, 256), 231);
        assert_eq!(max_plain_len(16, 256), 223); // JMRTD's DEFAULT_MAX_BLOCKSIZE
        assert_eq!(max_plain_len(8, 65536), 65511);
        assert_eq!(max_plain_len(16, 65536), 65503);
        let sm = SecureMessaging::new(Replay::new(vec![]), appendix_keys());
        assert_eq!(
            (sm.max_plain_le(false), sm.max_plain_le(true)),
            (231, 65511)
        );
    }

    #[test]
    fn max_plain_le_is_the_exact_fit_of_real_replies() {
        // Wrap replies of every size around the short limit: p bytes fit 256 iff p ≤ 231.
        let mut chip = SmChip::new(appendix_keys());
        for p in 200..=260usize {
            let wire = chip.wrap_response(&Response::new(vec![0x5A; p], StatusWord::Success));
            let data_len = wire.len() - 2;
            assert_eq!(
                data_len <= 256,
                p <= 231,
                "p = {p}: protected reply of {data_len} bytes"
            );
        }
        let wire = chip.wrap_response(&Response::new(vec![0; 65511], StatusWord::Success));
        assert!(wire.len() - 2 <= 65536);
        let wire = chip.wrap_response(&Response::new(vec![0; 65512], StatusWord::Success));
        assert!(wire.len() - 2 > 65536);
    }

    /// A software chip behind a transport: BAC, then SM with one transparent EF.
    struct LoopChip {
        bac: BacChip,
        sm: Option<SmChip>,
        ef_com: Vec<u8>,
        rng: StdRng,
        extended_seen: bool,
        /// Flip a bit in the DO'8E' of the next protected reply.
        corrupt_next_reply: bool,
    }

    impl LoopChip {
        fn new(seed: [u8; 16], ef_com: Vec<u8>) -> Self {
            Self {
                bac: BacChip::new(&seed),
                sm: None,
                ef_com,
                rng: StdRng::seed_from_u64(7),
                extended_seen: false,
                corrupt_next_reply: false,
            }
        }

        fn plain(&mut self, cmd: Command) -> Vec<u8> {
            match cmd.ins {
                0x84 => Response::new(
                    self.bac.get_challenge(&mut self.rng).to_vec(),
                    StatusWord::Success,
                )
                .to_bytes(),
                0x82 => match self.bac.mutual_authenticate(&cmd.data, &mut self.rng) {
                    Ok((reply, keys)) => {
                        self.sm = Some(SmChip::new(keys));
                        Response::new(reply, StatusWord::Success).to_bytes()
                    }
                    Err(e) => e.chip_status().to_bytes().to_vec(),
                },
                _ => StatusWord::SecurityStatusNotSatisfied.to_bytes().to_vec(),
            }
        }

        fn protected(&mut self, cmd: &Command) -> Response {
            match (cmd.ins, cmd.p1, cmd.p2) {
                (0xA4, 0x02, 0x0C) if cmd.data == [0x01, 0x1E] => {
                    Response::status(StatusWord::Success)
                }
                (0xB0, p1, p2) => {
                    let off = u16::from_be_bytes([p1, p2]) as usize;
                    let end = (off + cmd.le.unwrap_or(0)).min(self.ef_com.len());
                    Response::new(
                        self.ef_com.get(off..end).unwrap_or_default().to_vec(),
                        StatusWord::Success,
                    )
                }
                _ => Response::status(StatusWord::FileNotFound),
            }
        }
    }

    impl CardTransport for LoopChip {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            let cmd = Command::parse(apdu)?;
            if cmd.cla & 0x0C == 0 {
                return Ok(self.plain(cmd));
            }
            self.extended_seen |= apdu.len() > 5 && apdu[4] == 0;
            let Some(sm) = self.sm.as_mut() else {
                return Ok(StatusWord::SmNotSupported.to_bytes().to_vec());
            };
            let plain = match sm.unwrap_command(apdu) {
                Ok(c) => c,
                Err(e) => {
                    self.sm = None;
                    return Ok(e.chip_status().to_bytes().to_vec());
                }
            };
            let resp = self.protected(&plain);
            if !resp.sw.is_success() {
                return Ok(resp.sw.to_bytes().to_vec()); // plain error, as chips do
            }
            let sm = self.sm.as_mut().expect("session");
            let mut wire = sm.wrap_response(&resp);
            if std::mem::take(&mut self.corrupt_next_reply) {
                let n = wire.len();
                wire[n - 3] ^= 0x01; // last MAC byte
            }
            Ok(wire)
        }
    }

    fn random_card(len: usize) -> ([u8; 16], Vec<u8>) {
        let mut rng = StdRng::seed_from_u64(len as u64);
        let mut seed = [0u8; 16];
        rng.fill_bytes(&mut seed);
        let mut file = vec![0u8; len];
        rng.fill_bytes(&mut file);
        (seed, file)
    }

    fn open(chip: LoopChip, seed: &[u8; 16]) -> SecureMessaging<LoopChip> {
        let mut chip = chip;
        let keys = bac::authenticate(&mut chip, seed, &mut StdRng::seed_from_u64(99)).unwrap();
        SecureMessaging::new(chip, keys)
    }

    #[test]
    fn terminal_and_chip_talk_short_and_extended() {
        let (seed, file) = random_card(5000);
        let mut sm = open(LoopChip::new(seed, file.clone()), &seed);
        let select = Command::select_ef(0x011E);
        assert_eq!(exchange(&mut sm, &select).unwrap().sw, StatusWord::Success);

        // Short APDUs in chunks of max_plain_le(false).
        let chunk = sm.max_plain_le(false);
        let mut read = Vec::new();
        while read.len() < 1000 {
            let r = exchange(&mut sm, &Command::read_binary(read.len() as u16, chunk)).unwrap();
            assert_eq!(r.sw, StatusWord::Success);
            read.extend_from_slice(&r.data);
        }
        assert!(
            !sm.inner_mut().extended_seen,
            "231-byte reads fit short APDUs"
        );
        // Then the rest in one extended read.
        let r = exchange(
            &mut sm,
            &Command::read_binary(read.len() as u16, 5000 - read.len()),
        )
        .unwrap();
        read.extend_from_slice(&r.data);
        assert!(sm.inner_mut().extended_seen);
        assert_eq!(read, file);
    }

    #[test]
    fn command_data_round_trips_even_and_odd_ins_extended_lc() {
        // Data longer than 255 bytes forces extended Lc; odd INS uses DO'85'.
        let mut chip = SmChip::new(appendix_keys());
        let mut term = SecureMessaging::new(Replay::new(vec![]), appendix_keys());
        for ins in [0x2A, 0xB1] {
            let cmd = Command::new(0x00, ins, 0x00, 0x00)
                .with_data(vec![0x33; 300])
                .with_le(1000);
            let protected = term.protect(&cmd).unwrap();
            assert_eq!(
                protected.data.first(),
                Some(if ins & 1 == 1 { &0x85 } else { &0x87 })
            );
            let wire = protected.to_bytes().unwrap();
            assert_eq!(wire[4], 0, "extended length");
            assert_eq!(chip.unwrap_command(&wire).unwrap(), cmd);
            let reply = chip.wrap_response(&Response::new(vec![0x44; 700], StatusWord::EndOfFile));
            let plain = term.unprotect(&Response::parse(&reply).unwrap()).unwrap();
            assert_eq!(
                plain,
                Response::new(vec![0x44; 700], StatusWord::EndOfFile).to_bytes()
            );
        }
    }

    #[test]
    fn wrong_bac_key_is_access_denied() {
        let (seed, file) = random_card(100);
        let mut chip = LoopChip::new(seed, file);
        let mut wrong = seed;
        wrong[0] ^= 0x80;
        let err = bac::authenticate(&mut chip, &wrong, &mut StdRng::seed_from_u64(1)).unwrap_err();
        assert!(matches!(err, BacError::AccessDenied), "{err}");
    }

    #[test]
    fn flipped_mac_byte_ends_the_session() {
        let (seed, file) = random_card(100);
        let mut sm = open(LoopChip::new(seed, file), &seed);
        sm.inner_mut().corrupt_next_reply = true;
        let err = sm.transmit(&hex!("00B0000010")).unwrap_err();
        assert!(
            matches!(err, TransportError::SecureMessaging(ref m) if m.contains("MAC")),
            "{err}"
        );
        // The session is over: nothing more goes out.
        let err = sm.transmit(&hex!("00B0000010")).unwrap_err();
        assert!(
            matches!(err, TransportError::SecureMessaging(ref m) if m.contains("already ended")),
            "{err}"
        );
    }

    #[test]
    fn plain_error_passes_through_and_the_session_continues() {
        let (seed, file) = random_card(100);
        let mut sm = open(LoopChip::new(seed, file.clone()), &seed);
        // DG11 absent on CCCD chips → bare 6A82 (cccd-chip.md)
        let r = exchange(&mut sm, &Command::select_ef(0x010B)).unwrap();
        assert_eq!(r.sw, StatusWord::FileNotFound);
        let r = exchange(&mut sm, &Command::read_binary(0, 16)).unwrap();
        assert_eq!(r.data, file[..16]);
    }

    #[test]
    fn chip_reported_sm_error_is_passed_up_then_ends_the_session() {
        let replay = Replay::new(vec![(D4[0].1.to_vec(), hex!("6988").to_vec())]);
        let mut sm = SecureMessaging::new(replay, appendix_keys());
        assert_eq!(sm.transmit(D4[0].0).unwrap(), hex!("6988"));
        // Nothing more goes out (the replay would panic on an unexpected command).
        let err = sm.transmit(D4[1].0).unwrap_err();
        assert!(
            matches!(err, TransportError::SecureMessaging(ref m) if m.contains("6988")),
            "{err}"
        );
    }

    #[test]
    fn bare_9000_is_refused() {
        let mut sm = SecureMessaging::new(
            Replay::new(vec![(D4[0].1.to_vec(), hex!("9000").to_vec())]),
            appendix_keys(),
        );
        let err = sm.transmit(D4[0].0).unwrap_err();
        assert!(
            matches!(err, TransportError::SecureMessaging(ref m) if m.contains("unprotected 9000")),
            "{err}"
        );
    }

    #[test]
    fn chip_rejects_tampered_and_plain_commands() {
        let mut chip = SmChip::new(appendix_keys());
        let mut cmd = D4[0].1.to_vec();
        cmd[8] ^= 0x01; // inside the cryptogram
        let err = chip.unwrap_command(&cmd).unwrap_err();
        assert_eq!(err, SmError::BadMac);
        assert_eq!(err.chip_status(), StatusWord::SmObjectsIncorrect);
        let err = SmChip::new(appendix_keys())
            .unwrap_command(D4[0].0)
            .unwrap_err();
        assert_eq!(err.chip_status(), StatusWord::SmObjectsMissing);
    }

    #[test]
    fn malformed_reply_objects_are_errors_not_panics() {
        for reply in [
            &hex!("87 FF 01 9000")[..],                     // length past the end
            &hex!("99029000 8E08FA855A5D4C50A8ED 01 9000"), // data after DO'8E'
            &hex!("5301AA 9000"),                           // foreign object
            &hex!("99029000 9000"),                         // no MAC
        ] {
            let mut sm = SecureMessaging::new(
                Replay::new(vec![(D4[0].1.to_vec(), reply.to_vec())]),
                appendix_keys(),
            );
            assert!(
                matches!(
                    sm.transmit(D4[0].0),
                    Err(TransportError::SecureMessaging(_))
                ),
                "{}",
                hex::encode(reply)
            );
        }
    }
}
