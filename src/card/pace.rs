//! PACE v2 with Generic Mapping over ECDH (ICAO 9303-11 §4.4, §9.5.4), terminal and
//! chip side, and the elliptic-curve arithmetic it shares with chip authentication.
//!
//! **Why PACE.** CCCD chips accept PACE with the CAN = the last 6 digits of the
//! 12-digit ID (DG13.md, cccd-chip.md §1): the QR or a typed ID is a whole key, no
//! expiry to guess. PACE with the MRZ key works too (key reference 01).
//!
//! **Protocol** (9303-11 §4.4.3, the four GENERAL AUTHENTICATE steps, all but the last
//! command-chained with CLA `10`):
//! 1. `MSE:Set AT` (`00 22 C1 A4`, DO'80' protocol OID, DO'83' password reference
//!    01 = MRZ / 02 = CAN, DO'84' standardized parameter id only when EF.CardAccess
//!    offers more than one, §4.4.4.1);
//! 2. encrypted nonce: `7C{}` → `7C{80 z}`, `s = D(K_π, z)` (AES-CBC, IV zero);
//!    `K_π = KDF(π, 3)` with π = the CAN's ASCII digits or `SHA-1(MRZ information)`
//!    (§9.7.3);
//! 3. mapping: `7C{81 PK_map,PCD}` → `7C{82 PK_map,PICC}`; `H = SK_map,PCD · PK_map,PICC`,
//!    `G~ = s·G + H` (§4.4.3.3.1);
//! 4. key agreement on `G~`: `7C{83 PK_PCD}` → `7C{84 PK_PICC}`, `K = x(SK_PCD · PK_PICC)`,
//!    `K_enc = KDF(K, 1)`, `K_mac = KDF(K, 2)` (§9.7.1: SHA-1 for 128-bit keys,
//!    SHA-256 for 192/256);
//! 5. mutual authentication: `7C{85 T_PCD}` → `7C{86 T_PICC}` with
//!    `T = CMAC(K_mac, 7F49{06 OID, 86 other side's point})` truncated to 8 bytes
//!    (§4.4.3.4, §9.7.4 / TR-03110-3 D.3.4). A wrong password shows here: the chip
//!    answers 63Cx / 6300 / 6982 → [`PaceError::AccessDenied`].
//!
//! Secure messaging then runs with the AES suite ([`Aes`]) and a zero 16-byte SSC
//! (§9.8). Each side checks that the other's ephemeral points differ from its own
//! (§4.4.3.3 / TR-03110 "PK_PICC ≠ PK_PCD"), and every received point is decoded by
//! the curve crate, which refuses points off the curve and the identity.
//!
//! **Curves** (9303-11 §9.5.1, standardized domain parameters), each from a
//! RustCrypto crate: id 8 NIST P-192 (`p192`), 10 NIST P-224 (`p224`), 12 NIST P-256
//! (`p256`), 13 brainpoolP256r1 (`bp256`, the CCCD's), 15 NIST P-384 (`p384`), 16
//! brainpoolP384r1 (`bp384`), 18 NIST P-521 (`p521`, 66-byte coordinates). Ids 0–2
//! (1024/2048-bit DH) and 9, 11, 14, 17 (brainpoolP192r1/P224r1/P320r1/P512r1: no
//! RustCrypto crate) are reported as unsupported by name. The curve changes neither
//! the KDF nor the AES key: both follow the OID's key length (§9.7.1), and the
//! shared secret is the x coordinate at the curve's full field length. Integrated
//! mapping, chip authentication mapping and 3DES PACE are not implemented (no CCCD
//! uses them; 9303-11 ranks them optional).
//!
//! The arithmetic lives in the curve crates; this file only moves SEC 1 uncompressed
//! points (`04 || x || y`) and big-endian scalars between them. Scalars from the RNG
//! are drawn by rejection (0 < k < n, no modular bias; the first byte is masked to
//! n's bit length, which matters for P-521's 521-bit n in 66 bytes). The nonce `s`
//! and any other scalar of up to `field_len` bytes may exceed n and are reduced
//! modulo n exactly, by the crate's scalar arithmetic (one subtraction of n would
//! not do on P-521: 2^528 is far above 2n).
//!
//! Keys, nonces and passwords are wiped on drop and never logged.

use super::apdu::{Command, StatusWord};
use super::lds::dg14::{SecurityInfo, SecurityInfoKind};
use super::passive_auth::EcCurve;
use super::sm::{ct_eq, Aes, SecureMessaging, SmError};
use super::tlv::{self, TlvError};
use super::transport::{exchange, CardTransport, TransportError};
use const_oid::ObjectIdentifier;
use der::Encode;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::Zeroizing;

/// id-PACE-ECDH-GM-AES-CBC-CMAC-128 (9303-11 §9.2.1).
pub const ID_PACE_ECDH_GM_AES_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.2");
/// id-PACE-ECDH-GM-AES-CBC-CMAC-192.
pub const ID_PACE_ECDH_GM_AES_192: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.3");
/// id-PACE-ECDH-GM-AES-CBC-CMAC-256.
pub const ID_PACE_ECDH_GM_AES_256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.4.2.4");
/// The parameter id CCCD chips name (brainpoolP256r1).
pub const CCCD_PARAMETER_ID: u64 = 13;

/// Tag of the dynamic authentication data object (ISO 7816-4 §7.5.2).
const DYNAMIC_AUTH: u32 = 0x7C;
/// Tag of a public-key data object (TR-03110-3 D.3).
const PUBLIC_KEY_DO: u32 = 0x7F49;

/// Why PACE did not open the chip, or (chip side) why a PACE command is refused.
#[derive(Debug, Error)]
pub enum PaceError {
    /// The chip refused the mutual authentication (63Cx / 6300 / 6982): wrong CAN or
    /// MRZ key. On the chip side: the terminal's token did not verify.
    #[error("access denied: the chip rejected the PACE password ({0})")]
    AccessDenied(StatusWord),
    /// MSE:Set AT was refused: the chip has no PACE, or not with these parameters.
    #[error("the chip refused PACE (MSE:Set AT answered {0})")]
    NotOffered(StatusWord),
    /// A GENERAL AUTHENTICATE step was refused with a status that is not "wrong password".
    #[error("PACE {step} refused with status {sw}")]
    Refused { step: &'static str, sw: StatusWord },
    /// EF.CardAccess names PACE we do not implement.
    #[error("unsupported PACE: {0}")]
    Unsupported(String),
    /// A reply (or, chip side, a command) has the wrong shape.
    #[error("malformed PACE {step} data: {message}")]
    BadData { step: &'static str, message: String },
    /// The chip's token does not verify, or it echoed our own point: not a chip
    /// that knows the password, or an attack.
    #[error("the chip failed to authenticate itself in PACE: {0}")]
    ChipNotAuthenticated(&'static str),
    /// A point that is not on the curve, the identity, or a scalar out of range.
    #[error("{0}")]
    Point(String),
    /// Chip side: a command out of the protocol's order.
    #[error("PACE command out of order: {0}")]
    OutOfOrder(&'static str),
    /// A cipher operation failed (wrong lengths).
    #[error(transparent)]
    Crypto(#[from] SmError),
    /// The APDUs did not get through.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl PaceError {
    /// The status word a chip answers with for a chip-side error (ISO/IEC 7816-4
    /// §5.1.3): 6300 wrong token, 6985 out of order, 6A80 bad data.
    pub fn chip_status(&self) -> StatusWord {
        match self {
            Self::AccessDenied(_) => StatusWord::AuthenticationFailed,
            Self::OutOfOrder(_) => StatusWord::ConditionsNotSatisfied,
            Self::Unsupported(_) | Self::NotOffered(_) => StatusWord::Other(0x6A80),
            _ => StatusWord::Other(0x6A80),
        }
    }
}

fn bad(step: &'static str, message: impl Into<String>) -> PaceError {
    PaceError::BadData {
        step,
        message: message.into(),
    }
}

fn tlv_err(step: &'static str) -> impl Fn(TlvError) -> PaceError {
    move |e| bad(step, e.to_string())
}

// ---------------------------------------------------------------------------------------
// Elliptic-curve arithmetic on SEC 1 bytes.

/// Curve operations generated for one RustCrypto curve crate. The 0.13 family (p192,
/// p224, p256, p384, p521) and the 0.14 family (bp256, bp384) name their SEC 1 traits
/// differently; everything else is the same.
macro_rules! curve_ops {
    ($m:ident, $krate:ident, $aff:ty, $proj:ty, $scalar:ty, $fb:ty, $decode:expr, $encode:expr) => {
        mod $m {
            use super::PaceError;
            #[allow(unused_imports)]
            use $krate::elliptic_curve::{
                ff::Field, ff::PrimeField, group::Curve as _, group::Group,
            };

            /// A scalar from exactly `field_len` big-endian bytes, if 0 < k < n.
            pub fn scalar(bytes: &[u8]) -> Option<$scalar> {
                let mut fb = <$fb>::default();
                if fb.len() != bytes.len() {
                    return None;
                }
                fb.copy_from_slice(bytes);
                Option::<$scalar>::from(<$scalar>::from_repr(fb))
                    .filter(|k| !bool::from(k.is_zero()))
            }

            /// `bytes` (big-endian, any length) modulo n, by Horner's rule in the crate's
            /// scalar field: exact for every curve, P-521's 66-byte strings included.
            /// `None` if the result is zero.
            pub fn reduce(bytes: &[u8]) -> Option<Vec<u8>> {
                let radix = <$scalar>::from(256u64);
                let mut k = <$scalar>::ZERO;
                for &b in bytes {
                    k = k * radix + <$scalar>::from(u64::from(b));
                }
                if bool::from(k.is_zero()) {
                    return None;
                }
                Some(k.to_repr().to_vec())
            }

            /// A point from SEC 1 uncompressed bytes; off-curve or identity → error.
            pub fn point(bytes: &[u8]) -> Result<$proj, PaceError> {
                let decode: fn(&[u8]) -> Option<$aff> = $decode;
                decode(bytes)
                    .map(<$proj>::from)
                    .filter(|p| !bool::from(p.is_identity()))
                    .ok_or_else(|| PaceError::Point("point not on the curve".into()))
            }

            /// SEC 1 uncompressed bytes; the identity (no encoding) → error.
            pub fn encode(p: $proj) -> Result<Vec<u8>, PaceError> {
                if bool::from(p.is_identity()) {
                    return Err(PaceError::Point(
                        "the result is the point at infinity".into(),
                    ));
                }
                let encode: fn(&$aff) -> Vec<u8> = $encode;
                Ok(encode(&p.to_affine()))
            }

            pub fn generator() -> $proj {
                <$proj>::generator()
            }
        }
    };
}

curve_ops!(
    ops_p192,
    p192,
    p192::AffinePoint,
    p192::ProjectivePoint,
    p192::Scalar,
    p192::FieldBytes,
    |b| {
        use p192::elliptic_curve::sec1::FromEncodedPoint;
        let ep = p192::EncodedPoint::from_bytes(b).ok()?;
        Option::from(p192::AffinePoint::from_encoded_point(&ep))
    },
    |p| {
        use p192::elliptic_curve::sec1::ToEncodedPoint;
        p.to_encoded_point(false).as_bytes().to_vec()
    }
);
curve_ops!(
    ops_p224,
    p224,
    p224::AffinePoint,
    p224::ProjectivePoint,
    p224::Scalar,
    p224::FieldBytes,
    |b| {
        use p224::elliptic_curve::sec1::FromEncodedPoint;
        let ep = p224::EncodedPoint::from_bytes(b).ok()?;
        Option::from(p224::AffinePoint::from_encoded_point(&ep))
    },
    |p| {
        use p224::elliptic_curve::sec1::ToEncodedPoint;
        p.to_encoded_point(false).as_bytes().to_vec()
    }
);
curve_ops!(
    ops_p256,
    p256,
    p256::AffinePoint,
    p256::ProjectivePoint,
    p256::Scalar,
    p256::FieldBytes,
    |b| {
        use p256::elliptic_curve::sec1::FromEncodedPoint;
        let ep = p256::EncodedPoint::from_bytes(b).ok()?;
        Option::from(p256::AffinePoint::from_encoded_point(&ep))
    },
    |p| {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        p.to_encoded_point(false).as_bytes().to_vec()
    }
);
curve_ops!(
    ops_p384,
    p384,
    p384::AffinePoint,
    p384::ProjectivePoint,
    p384::Scalar,
    p384::FieldBytes,
    |b| {
        use p384::elliptic_curve::sec1::FromEncodedPoint;
        let ep = p384::EncodedPoint::from_bytes(b).ok()?;
        Option::from(p384::AffinePoint::from_encoded_point(&ep))
    },
    |p| {
        use p384::elliptic_curve::sec1::ToEncodedPoint;
        p.to_encoded_point(false).as_bytes().to_vec()
    }
);
curve_ops!(
    ops_p521,
    p521,
    p521::AffinePoint,
    p521::ProjectivePoint,
    p521::Scalar,
    p521::FieldBytes,
    |b| {
        use p521::elliptic_curve::sec1::FromEncodedPoint;
        let ep = p521::EncodedPoint::from_bytes(b).ok()?;
        Option::from(p521::AffinePoint::from_encoded_point(&ep))
    },
    |p| {
        use p521::elliptic_curve::sec1::ToEncodedPoint;
        p.to_encoded_point(false).as_bytes().to_vec()
    }
);
curve_ops!(
    ops_bp256,
    bp256,
    bp256::r1::AffinePoint,
    bp256::r1::ProjectivePoint,
    bp256::Scalar,
    bp256::FieldBytes,
    |b| {
        use bp256::elliptic_curve::sec1::FromSec1Point;
        let ep = bp256::r1::Sec1Point::from_bytes(b).ok()?;
        Option::from(bp256::r1::AffinePoint::from_sec1_point(&ep))
    },
    |p| {
        use bp256::elliptic_curve::sec1::ToSec1Point;
        p.to_sec1_point(false).as_bytes().to_vec()
    }
);
curve_ops!(
    ops_bp384,
    bp384,
    bp384::r1::AffinePoint,
    bp384::r1::ProjectivePoint,
    bp384::Scalar,
    bp384::FieldBytes,
    |b| {
        use bp384::elliptic_curve::sec1::FromSec1Point;
        let ep = bp384::r1::Sec1Point::from_bytes(b).ok()?;
        Option::from(bp384::r1::AffinePoint::from_sec1_point(&ep))
    },
    |p| {
        use bp384::elliptic_curve::sec1::ToSec1Point;
        p.to_sec1_point(false).as_bytes().to_vec()
    }
);

/// Dispatch one expression over the curves' generated operations.
macro_rules! on_curve {
    ($curve:expr, $ops:ident => $body:expr) => {
        match $curve {
            EcCurve::P192 => {
                use ops_p192 as $ops;
                $body
            }
            EcCurve::P224 => {
                use ops_p224 as $ops;
                $body
            }
            EcCurve::P256 => {
                use ops_p256 as $ops;
                $body
            }
            EcCurve::P384 => {
                use ops_p384 as $ops;
                $body
            }
            EcCurve::P521 => {
                use ops_p521 as $ops;
                $body
            }
            EcCurve::BrainpoolP256r1 => {
                use ops_bp256 as $ops;
                $body
            }
            EcCurve::BrainpoolP384r1 => {
                use ops_bp384 as $ops;
                $body
            }
        }
    };
}

/// ECDH group operations on SEC 1 uncompressed points and big-endian scalars, for
/// PACE and chip authentication.
impl EcCurve {
    /// The standardized domain parameters of 9303-11 §9.5.1 (Table 9) we compute on.
    pub fn from_parameter_id(id: u64) -> Option<EcCurve> {
        EcCurve::ALL.into_iter().find(|c| c.parameter_id() == id)
    }

    /// The standardized parameter id of this curve (9303-11 §9.5.1).
    pub fn parameter_id(self) -> u64 {
        match self {
            EcCurve::P192 => 8,
            EcCurve::P224 => 10,
            EcCurve::P256 => 12,
            EcCurve::BrainpoolP256r1 => 13,
            EcCurve::P384 => 15,
            EcCurve::BrainpoolP384r1 => 16,
            EcCurve::P521 => 18,
        }
    }

    /// The supported standardized parameters, for messages: "8 P-192, 10 P-224, …".
    pub fn supported_parameter_ids() -> String {
        EcCurve::ALL
            .iter()
            .map(|c| format!("{} {}", c.parameter_id(), c.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The base point G, uncompressed.
    pub fn generator(self) -> Vec<u8> {
        on_curve!(self, o => o::encode(o::generator()).unwrap_or_default())
    }

    /// A scalar reduced into 1..n from up to `field_len` big-endian bytes, as
    /// `field_len` bytes (exact reduction modulo n: see the module doc). Zero, a
    /// multiple of n or too long → error.
    pub fn reduce_scalar(self, bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, PaceError> {
        let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        let digits = bytes.get(first..).unwrap_or(&[]);
        if digits.is_empty() || digits.len() > self.field_len() {
            return Err(PaceError::Point(format!(
                "scalar of {} bytes for {}",
                bytes.len(),
                self.name()
            )));
        }
        on_curve!(self, o => o::reduce(digits))
            .map(Zeroizing::new)
            .ok_or_else(|| PaceError::Point("scalar is a multiple of the group order".into()))
    }

    /// A uniformly random scalar in 1..n: `field_len` random bytes, the first masked
    /// to n's bit length (P-521: 1 bit of 8), drawn again while ≥ n or zero.
    pub fn random_scalar<R: rand::RngCore + rand::CryptoRng>(
        self,
        rng: &mut R,
    ) -> Zeroizing<Vec<u8>> {
        let top = self.order().first().copied().unwrap_or(0xFF);
        let mask = 0xFFu8.checked_shr(top.leading_zeros()).unwrap_or(0xFF);
        let mut k = Zeroizing::new(vec![0u8; self.field_len()]);
        loop {
            rng.fill_bytes(&mut k);
            if let Some(b) = k.first_mut() {
                *b &= mask;
            }
            if on_curve!(self, o => o::scalar(&k).is_some()) {
                return k;
            }
        }
    }

    /// `k · P` for a point received or computed (validated on decoding).
    pub fn mul(self, point: &[u8], k: &[u8]) -> Result<Vec<u8>, PaceError> {
        let k = self.reduce_scalar(k)?;
        on_curve!(self, o => {
            let p = o::point(point)?;
            let s = o::scalar(&k).ok_or_else(|| PaceError::Point("bad scalar".into()))?;
            o::encode(p * s)
        })
    }

    /// `k · G`: a public key from a private scalar.
    pub fn mul_base(self, k: &[u8]) -> Result<Vec<u8>, PaceError> {
        let k = self.reduce_scalar(k)?;
        on_curve!(self, o => {
            let s = o::scalar(&k).ok_or_else(|| PaceError::Point("bad scalar".into()))?;
            o::encode(o::generator() * s)
        })
    }

    /// `P + Q`.
    pub fn add(self, p: &[u8], q: &[u8]) -> Result<Vec<u8>, PaceError> {
        on_curve!(self, o => o::encode(o::point(p)? + o::point(q)?))
    }

    /// Check that `point` is a valid, non-identity point of this curve.
    pub fn check_point(self, point: &[u8]) -> Result<(), PaceError> {
        on_curve!(self, o => o::point(point).map(|_| ()))
    }

    /// The x coordinate of an uncompressed point: the ECDH shared secret (9303-11 §4.4.3.3).
    pub fn x_coordinate(self, point: &[u8]) -> Zeroizing<Vec<u8>> {
        let len = self.field_len();
        Zeroizing::new(point.get(1..1 + len).unwrap_or_default().to_vec())
    }
}

// ---------------------------------------------------------------------------------------
// Key derivation and passwords.

/// The 9303-11 §9.7.1 key derivation for AES: `H(secret || counter)` truncated to
/// `key_len`, H = SHA-1 for 16-byte keys and SHA-256 for 24/32 (counter 1 = K_enc,
/// 2 = K_mac, 3 = K_π).
pub fn kdf(secret: &[u8], counter: u32, key_len: usize) -> Zeroizing<Vec<u8>> {
    let mut digest = Zeroizing::new(if key_len <= 16 {
        Sha1::new()
            .chain_update(secret)
            .chain_update(counter.to_be_bytes())
            .finalize()
            .to_vec()
    } else {
        Sha256::new()
            .chain_update(secret)
            .chain_update(counter.to_be_bytes())
            .finalize()
            .to_vec()
    });
    digest.truncate(key_len);
    digest
}

/// A PACE password (9303-11 §9.7.3).
#[derive(Clone)]
pub enum Password {
    /// The Card Access Number: on a CCCD the last 6 digits of the ID.
    Can(Zeroizing<String>),
    /// The MRZ information (document number, birth, expiry with check digits), as BAC uses it.
    Mrz(Zeroizing<String>),
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Password::Can(_) => "Password::Can(..)",
            Password::Mrz(_) => "Password::Mrz(..)",
        })
    }
}

impl Password {
    /// A CAN password.
    pub fn can(can: &str) -> Self {
        Password::Can(Zeroizing::new(can.to_string()))
    }

    /// An MRZ password from `MRZ_information` (see `access_key::BacKey::mrz_information`).
    pub fn mrz(mrz_information: &str) -> Self {
        Password::Mrz(Zeroizing::new(mrz_information.to_string()))
    }

    /// DO'83' password reference (9303-11 §4.4.4.1): 01 MRZ, 02 CAN.
    pub fn reference(&self) -> u8 {
        match self {
            Password::Mrz(_) => 0x01,
            Password::Can(_) => 0x02,
        }
    }

    /// π as the KDF takes it: the CAN's characters, or SHA-1 of the MRZ information.
    fn secret(&self) -> Zeroizing<Vec<u8>> {
        match self {
            Password::Can(c) => Zeroizing::new(c.as_bytes().to_vec()),
            Password::Mrz(m) => Zeroizing::new(Sha1::digest(m.as_bytes()).to_vec()),
        }
    }

    /// `K_π = KDF(π, 3)`.
    pub fn k_pi(&self, key_len: usize) -> Zeroizing<Vec<u8>> {
        kdf(&self.secret(), 3, key_len)
    }
}

// ---------------------------------------------------------------------------------------
// Which PACE.

/// One PACE the chip offers and we implement: ECDH generic mapping with AES.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaceProtocol {
    /// The id-PACE-ECDH-GM-AES-* OID.
    pub oid: ObjectIdentifier,
    /// AES key length: 16, 24 or 32.
    pub key_len: usize,
    /// The standardized domain parameters.
    pub curve: EcCurve,
    /// Send DO'84' with the parameter id in MSE:Set AT (the chip offers several).
    pub send_parameter_id: bool,
}

impl PaceProtocol {
    /// What CCCD chips are known to use (cccd-chip.md §1), for a chip whose
    /// EF.CardAccess cannot be read: ECDH-GM, AES-128, brainpoolP256r1.
    pub fn cccd_default() -> Self {
        PaceProtocol {
            oid: ID_PACE_ECDH_GM_AES_128,
            key_len: 16,
            curve: EcCurve::BrainpoolP256r1,
            send_parameter_id: false,
        }
    }

    /// The protocol of one PACEInfo, if we implement it.
    pub fn from_info(
        oid: &str,
        version: u64,
        parameter_id: Option<u64>,
    ) -> Result<Self, PaceError> {
        let unsupported = |why: String| PaceError::Unsupported(format!("{oid}: {why}"));
        let oid_v = ObjectIdentifier::new(oid).map_err(|e| unsupported(e.to_string()))?;
        let key_len = match oid_v {
            o if o == ID_PACE_ECDH_GM_AES_128 => 16,
            o if o == ID_PACE_ECDH_GM_AES_192 => 24,
            o if o == ID_PACE_ECDH_GM_AES_256 => 32,
            _ => {
                return Err(unsupported(
                    "only ECDH generic mapping with AES is implemented".into(),
                ))
            }
        };
        if version != 2 {
            return Err(unsupported(format!("PACE version {version}, expected 2")));
        }
        let id = parameter_id.ok_or_else(|| unsupported("no standardized parameter id".into()))?;
        let curve = EcCurve::from_parameter_id(id).ok_or_else(|| {
            let name = standard_parameters_name(id)
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            unsupported(format!(
                "standardized domain parameters {id}{name} (supported: {})",
                EcCurve::supported_parameter_ids()
            ))
        })?;
        Ok(PaceProtocol {
            oid: oid_v,
            key_len,
            curve,
            send_parameter_id: false,
        })
    }

    /// The PACE to run from EF.CardAccess's SecurityInfos: the first PACEInfo we
    /// implement. `Ok(None)`: the chip names no PACE at all; `Err`: it names only
    /// PACE we do not implement.
    pub fn choose(infos: &[SecurityInfo]) -> Result<Option<Self>, PaceError> {
        let offered: Vec<(&str, u64, Option<u64>)> = infos
            .iter()
            .filter_map(|i| match i.kind {
                SecurityInfoKind::PaceInfo {
                    version,
                    parameter_id,
                } => Some((i.oid.as_str(), version, parameter_id)),
                _ => None,
            })
            .collect();
        let mut last_err = None;
        for &(oid, version, param) in &offered {
            match Self::from_info(oid, version, param) {
                Ok(mut p) => {
                    p.send_parameter_id = offered.len() > 1;
                    return Ok(Some(p));
                }
                Err(e) => last_err = Some(e),
            }
        }
        last_err.map_or(Ok(None), Err)
    }

    /// The MSE:Set AT data: DO'80' OID, DO'83' password reference, DO'84' parameter id
    /// when needed (9303-11 §4.4.4.1).
    fn set_at_data(&self, password: &Password) -> Vec<u8> {
        let mut data = tlv::encode(0x80, self.oid.as_bytes());
        data.extend(tlv::encode(0x83, &[password.reference()]));
        if self.send_parameter_id {
            data.extend(tlv::encode(0x84, &[self.curve.parameter_id() as u8]));
        }
        data
    }
}

/// The name of a standardized domain parameter id of 9303-11 §9.5.1 (Table 9), for
/// messages about the ones we do not implement (DH groups, brainpool curves without
/// a RustCrypto crate).
pub fn standard_parameters_name(id: u64) -> Option<&'static str> {
    Some(match id {
        0 => "1024-bit MODP group with 160-bit prime order subgroup",
        1 => "2048-bit MODP group with 224-bit prime order subgroup",
        2 => "2048-bit MODP group with 256-bit prime order subgroup",
        9 => "brainpoolP192r1",
        11 => "brainpoolP224r1",
        14 => "brainpoolP320r1",
        17 => "brainpoolP512r1",
        // The others are `EcCurve`s, named by `EcCurve::name`.
        _ => return None,
    })
}

/// The public-key data object authentication tokens are computed over
/// (9303-11 §4.4.3.4, TR-03110-3 D.3.4): `7F49 { 06 OID, 86 point }`.
pub fn public_key_object(oid: &ObjectIdentifier, point: &[u8]) -> Vec<u8> {
    let mut inner = oid.to_der().unwrap_or_default();
    inner.extend(tlv::encode(0x86, point));
    tlv::encode(PUBLIC_KEY_DO, &inner)
}

/// `G~ = s·G + H` (9303-11 §4.4.3.3.1, generic mapping).
pub fn map_generator(curve: EcCurve, s: &[u8], h: &[u8]) -> Result<Vec<u8>, PaceError> {
    let sg = curve.mul_base(s)?;
    curve.add(&sg, h)
}

/// The SM suite and session keys from the key-agreement secret (9303-11 §9.7.1).
fn session_cipher(shared_x: &[u8], key_len: usize) -> Result<Aes, PaceError> {
    let k_enc = kdf(shared_x, 1, key_len);
    let k_mac = kdf(shared_x, 2, key_len);
    Ok(Aes::new(&k_enc, &k_mac)?)
}

// ---------------------------------------------------------------------------------------
// Terminal side.

/// PACE's result: the AES suite for [`SecureMessaging::with_cipher`] and what chip
/// authentication or logs may want.
pub struct PaceSession {
    /// The AES secure-messaging suite keyed with K_enc and K_mac.
    pub cipher: Aes,
    /// The protocol that ran.
    pub protocol: PaceProtocol,
}

impl std::fmt::Debug for PaceSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PaceSession {{ {:?}, .. }}", self.protocol)
    }
}

impl PaceSession {
    /// Start secure messaging over `card` (SSC zero, 9303-11 §9.8).
    pub fn into_sm<T: CardTransport>(self, card: T) -> SecureMessaging<T> {
        SecureMessaging::with_cipher(card, Box::new(self.cipher), vec![0u8; 16])
    }
}

/// One GENERAL AUTHENTICATE step: send `7C{tag value}`, return the reply's
/// `7C{reply_tag …}` value.
fn general_authenticate<T: CardTransport + ?Sized>(
    card: &mut T,
    step: &'static str,
    last: bool,
    data: Option<(u32, &[u8])>,
    reply_tag: u32,
) -> Result<Vec<u8>, PaceError> {
    let inner = data.map(|(t, v)| tlv::encode(t, v)).unwrap_or_default();
    let cla = if last { 0x00 } else { 0x10 }; // command chaining (7816-4 §5.1.1)
    let cmd = Command::new(cla, /* GENERAL AUTHENTICATE */ 0x86, 0x00, 0x00)
        .with_data(tlv::encode(DYNAMIC_AUTH, &inner))
        .with_le(256);
    let resp = exchange(card, &cmd)?;
    match resp.sw {
        StatusWord::Success => {}
        sw @ (StatusWord::AuthenticationFailed
        | StatusWord::RetriesLeft(_)
        | StatusWord::SecurityStatusNotSatisfied)
            if last =>
        {
            return Err(PaceError::AccessDenied(sw))
        }
        sw => return Err(PaceError::Refused { step, sw }),
    }
    let outer = tlv::expect(&resp.data, DYNAMIC_AUTH).map_err(tlv_err(step))?;
    let value = tlv::find(outer.value, reply_tag).map_err(tlv_err(step))?;
    Ok(value.value.to_vec())
}

/// Run PACE on `card` (in MF context: before the applet is selected); returns the
/// session for secure messaging. `rng` supplies SK_map,PCD and then SK_PCD.
pub fn authenticate<T, R>(
    card: &mut T,
    protocol: &PaceProtocol,
    password: &Password,
    rng: &mut R,
) -> Result<PaceSession, PaceError>
where
    T: CardTransport + ?Sized,
    R: rand::RngCore + rand::CryptoRng,
{
    let curve = protocol.curve;
    // 9303-11 §4.4.4.1: MSE:Set AT
    let mse = Command::new(
        0x00, /* MSE */ 0x22, /* Set AT for mutual auth */ 0xC1, 0xA4,
    )
    .with_data(protocol.set_at_data(password));
    let resp = exchange(card, &mse)?;
    if resp.sw != StatusWord::Success {
        return Err(PaceError::NotOffered(resp.sw));
    }

    // Step 1: encrypted nonce, s = D(K_π, z)
    let z = general_authenticate(card, "encrypted nonce", false, None, 0x80)?;
    let k_pi = password.k_pi(protocol.key_len);
    let s = Zeroizing::new(
        Aes::new(&k_pi, &k_pi)?
            .decrypt_blocks(&z)
            .map_err(|e| bad("encrypted nonce", e.to_string()))?,
    );

    // Step 2: mapping
    let sk_map = curve.random_scalar(rng);
    let pk_map = curve.mul_base(&sk_map)?;
    let pk_map_chip = general_authenticate(card, "mapping", false, Some((0x81, &pk_map)), 0x82)?;
    if pk_map_chip == pk_map {
        return Err(PaceError::ChipNotAuthenticated("mapping key echoed"));
    }
    let h = curve
        .mul(&pk_map_chip, &sk_map)
        .map_err(|e| bad("mapping", e.to_string()))?;
    let g_tilde = map_generator(curve, &s, &h)?;

    // Step 3: key agreement on G~
    let sk = curve.random_scalar(rng);
    let pk = curve.mul(&g_tilde, &sk)?;
    let pk_chip = general_authenticate(card, "key agreement", false, Some((0x83, &pk)), 0x84)?;
    if pk_chip == pk {
        return Err(PaceError::ChipNotAuthenticated("ephemeral key echoed"));
    }
    let shared = curve
        .mul(&pk_chip, &sk)
        .map_err(|e| bad("key agreement", e.to_string()))?;
    let cipher = session_cipher(&curve.x_coordinate(&shared), protocol.key_len)?;

    // Step 4: mutual authentication
    let t_pcd = cipher.cmac8(&public_key_object(&protocol.oid, &pk_chip));
    let t_chip = general_authenticate(
        card,
        "mutual authentication",
        true,
        Some((0x85, &t_pcd)),
        0x86,
    )?;
    let want = cipher.cmac8(&public_key_object(&protocol.oid, &pk));
    if !ct_eq(&want, &t_chip) {
        return Err(PaceError::ChipNotAuthenticated("T_PICC does not verify"));
    }
    tracing::debug!("PACE: mutual authentication succeeded ({})", curve.name());
    Ok(PaceSession {
        cipher,
        protocol: *protocol,
    })
}

// ---------------------------------------------------------------------------------------
// Chip side.

// One per emulated chip; the AES key schedule in `Agreed` is the large variant.
#[allow(clippy::large_enum_variant)]
enum ChipState {
    Idle,
    /// MSE:Set AT done.
    Set {
        protocol: PaceProtocol,
        password: Password,
    },
    /// Nonce sent.
    Nonce {
        protocol: PaceProtocol,
        s: Zeroizing<Vec<u8>>,
    },
    /// Mapping done.
    Mapped {
        protocol: PaceProtocol,
        g_tilde: Vec<u8>,
    },
    /// Keys agreed, waiting for the terminal's token.
    Agreed {
        protocol: PaceProtocol,
        cipher: Aes,
        pk_chip: Vec<u8>,
        pk_terminal: Vec<u8>,
    },
}

/// The chip's side of PACE, for the software chip emulator (as `bac::BacChip`):
/// knows the card's CAN and MRZ information and the PACE it offers.
pub struct PaceChip {
    can: Password,
    mrz: Password,
    offered: Vec<PaceProtocol>,
    state: ChipState,
}

/// What the chip answers to one GENERAL AUTHENTICATE.
pub struct ChipReply {
    /// `7C{…}` response data.
    pub data: Vec<u8>,
    /// After the last step: the secure-messaging suite (SSC zero).
    pub session: Option<Aes>,
}

impl PaceChip {
    /// A chip that offers `offered` with these passwords.
    pub fn new(can: &str, mrz_information: &str, offered: Vec<PaceProtocol>) -> Self {
        Self {
            can: Password::can(can),
            mrz: Password::mrz(mrz_information),
            offered,
            state: ChipState::Idle,
        }
    }

    /// Answer MSE:Set AT: pick the protocol and the password (9303-11 §4.4.4.1).
    pub fn set_at(&mut self, data: &[u8]) -> Result<(), PaceError> {
        const STEP: &str = "MSE:Set AT";
        self.state = ChipState::Idle;
        let oid = tlv::find(data, 0x80).map_err(tlv_err(STEP))?;
        let reference = tlv::find(data, 0x83).map_err(tlv_err(STEP))?;
        let param = match tlv::find(data, 0x84) {
            Ok(t) => Some(t.value.iter().fold(0u64, |a, &b| (a << 8) | b as u64)),
            Err(TlvError::Missing(_)) => None,
            Err(e) => return Err(bad(STEP, e.to_string())),
        };
        let protocol = self
            .offered
            .iter()
            .find(|p| {
                p.oid.as_bytes() == oid.value && param.is_none_or(|id| id == p.curve.parameter_id())
            })
            .copied()
            .ok_or_else(|| PaceError::Unsupported("protocol not offered".into()))?;
        let password = match reference.value {
            [0x01] => self.mrz.clone(),
            [0x02] => self.can.clone(),
            _ => return Err(bad(STEP, "password reference other than MRZ or CAN")),
        };
        self.state = ChipState::Set { protocol, password };
        Ok(())
    }

    /// Answer one GENERAL AUTHENTICATE (its command data `7C{…}`); the chip draws its
    /// nonce and keys from `rng`. Any error resets the protocol.
    pub fn general_authenticate<R: rand::RngCore + rand::CryptoRng>(
        &mut self,
        data: &[u8],
        rng: &mut R,
    ) -> Result<ChipReply, PaceError> {
        let state = std::mem::replace(&mut self.state, ChipState::Idle);
        const STEP: &str = "GENERAL AUTHENTICATE";
        let outer = tlv::expect(data, DYNAMIC_AUTH).map_err(tlv_err(STEP))?;
        let field = |tag: u32| -> Result<Vec<u8>, PaceError> {
            Ok(tlv::find(outer.value, tag)
                .map_err(tlv_err(STEP))?
                .value
                .to_vec())
        };
        let reply = |tag: u32, v: &[u8]| tlv::encode(DYNAMIC_AUTH, &tlv::encode(tag, v));
        match state {
            ChipState::Set { protocol, password } => {
                if !outer.value.is_empty() {
                    return Err(bad(STEP, "step 1 carries data"));
                }
                let mut s = Zeroizing::new(vec![0u8; 16]);
                rng.fill_bytes(&mut s);
                let k_pi = password.k_pi(protocol.key_len);
                let z = Aes::new(&k_pi, &k_pi)?.encrypt_blocks(&s)?;
                self.state = ChipState::Nonce { protocol, s };
                Ok(ChipReply {
                    data: reply(0x80, &z),
                    session: None,
                })
            }
            ChipState::Nonce { protocol, s, .. } => {
                let curve = protocol.curve;
                let pk_map_terminal = field(0x81)?;
                let sk_map = curve.random_scalar(rng);
                let pk_map = curve.mul_base(&sk_map)?;
                if pk_map_terminal == pk_map {
                    return Err(bad(STEP, "mapping key echoed"));
                }
                let h = curve.mul(&pk_map_terminal, &sk_map)?;
                let g_tilde = map_generator(curve, &s, &h)?;
                self.state = ChipState::Mapped { protocol, g_tilde };
                Ok(ChipReply {
                    data: reply(0x82, &pk_map),
                    session: None,
                })
            }
            ChipState::Mapped { protocol, g_tilde } => {
                let curve = protocol.curve;
                let pk_terminal = field(0x83)?;
                let sk = curve.random_scalar(rng);
                let pk_chip = curve.mul(&g_tilde, &sk)?;
                if pk_terminal == pk_chip {
                    return Err(bad(STEP, "ephemeral key echoed"));
                }
                let shared = curve.mul(&pk_terminal, &sk)?;
                let cipher = session_cipher(&curve.x_coordinate(&shared), protocol.key_len)?;
                self.state = ChipState::Agreed {
                    protocol,
                    cipher,
                    pk_chip: pk_chip.clone(),
                    pk_terminal,
                };
                Ok(ChipReply {
                    data: reply(0x84, &pk_chip),
                    session: None,
                })
            }
            ChipState::Agreed {
                protocol,
                cipher,
                pk_chip,
                pk_terminal,
            } => {
                let t_terminal = field(0x85)?;
                let want = cipher.cmac8(&public_key_object(&protocol.oid, &pk_chip));
                if !ct_eq(&want, &t_terminal) {
                    return Err(PaceError::AccessDenied(StatusWord::AuthenticationFailed));
                }
                let t_chip = cipher.cmac8(&public_key_object(&protocol.oid, &pk_terminal));
                Ok(ChipReply {
                    data: reply(0x86, &t_chip),
                    session: Some(cipher),
                })
            }
            ChipState::Idle => Err(PaceError::OutOfOrder(
                "GENERAL AUTHENTICATE without MSE:Set AT",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::lds::dg14::parse_card_access;
    use crate::card::sm::testing::{Replay, ScriptedRng};
    use crate::card::sm::SmCipher;
    use hex_literal::hex;
    use rand::{rngs::StdRng, SeedableRng};

    // ICAO 9303-11 Appendix G (PACE worked example, ECDH generic mapping,
    // brainpoolP256r1, AES-128, password from the MRZ). Values as published there
    // (the same example is in BSI TR-03110 and the test suites of JMRTD and others).
    const MRZ_INFORMATION: &str = "T22000129364081251010318";
    const K_PI: [u8; 16] = hex!("89DED1B26624EC1E634C1989302849DD");
    const Z: [u8; 16] = hex!("95A3A016522EE98D01E76CB6B98B42C3");
    const S: [u8; 16] = hex!("3F00C4D39D153F2B2A214A078D899B22");
    const SK_MAP_PCD: [u8; 32] =
        hex!("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99");
    const PK_MAP_PCD: [u8; 65] = hex!(
        "04 7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
        "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
    );
    const SK_MAP_PICC: [u8; 32] =
        hex!("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560");
    const PK_MAP_PICC: [u8; 65] = hex!(
        "04 824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
        "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
    );
    const H: [u8; 65] = hex!(
        "04 60332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5"
        "0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181"
    );
    const G_TILDE: [u8; 65] = hex!(
        "04 8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
        "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
    );
    const SK_PCD: [u8; 32] =
        hex!("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595");
    const PK_PCD: [u8; 65] = hex!(
        "04 2DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
        "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
    );
    const SK_PICC: [u8; 32] =
        hex!("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A");
    const PK_PICC: [u8; 65] = hex!(
        "04 9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
        "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
    );
    const K: [u8; 32] = hex!("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925");
    const K_ENC: [u8; 16] = hex!("F5F0E35C0D7161EE6724EE513A0D9A7F");
    const K_MAC: [u8; 16] = hex!("FE251C7858B356B24514B3BD5F4297D1");
    const T_PCD: [u8; 8] = hex!("C2B0BD78D94BA866");
    const T_PICC: [u8; 8] = hex!("3ABB9674BCE93C08");

    const BP: EcCurve = EcCurve::BrainpoolP256r1;

    #[test]
    fn appendix_g_password_and_nonce() {
        // 9303-11 App. G.1: K_π from the MRZ, s = D(K_π, z)
        let pw = Password::mrz(MRZ_INFORMATION);
        assert_eq!(pw.reference(), 0x01);
        assert_eq!(pw.k_pi(16).as_slice(), K_PI);
        let aes = Aes::new(&K_PI, &K_PI).unwrap();
        assert_eq!(aes.decrypt_blocks(&Z).unwrap(), S);
        assert_eq!(aes.encrypt_blocks(&S).unwrap(), Z);
    }

    #[test]
    fn appendix_g_mapping_and_key_agreement_points() {
        // 9303-11 App. G.1: both mapping keys, the shared point H, the mapped generator
        assert_eq!(BP.mul_base(&SK_MAP_PCD).unwrap(), PK_MAP_PCD);
        assert_eq!(BP.mul_base(&SK_MAP_PICC).unwrap(), PK_MAP_PICC);
        assert_eq!(BP.mul(&PK_MAP_PICC, &SK_MAP_PCD).unwrap(), H);
        assert_eq!(BP.mul(&PK_MAP_PCD, &SK_MAP_PICC).unwrap(), H);
        assert_eq!(map_generator(BP, &S, &H).unwrap(), G_TILDE);
        // Key agreement on G~ and the session keys
        assert_eq!(BP.mul(&G_TILDE, &SK_PCD).unwrap(), PK_PCD);
        assert_eq!(BP.mul(&G_TILDE, &SK_PICC).unwrap(), PK_PICC);
        let shared = BP.mul(&PK_PICC, &SK_PCD).unwrap();
        assert_eq!(BP.x_coordinate(&shared).as_slice(), K);
        assert_eq!(BP.mul(&PK_PCD, &SK_PICC).unwrap(), shared);
        assert_eq!(kdf(&K, 1, 16).as_slice(), K_ENC);
        assert_eq!(kdf(&K, 2, 16).as_slice(), K_MAC);
    }

    #[test]
    fn appendix_g_authentication_tokens() {
        // 9303-11 App. G.1: T_PCD over the chip's point, T_PICC over the terminal's
        let aes = Aes::new(&K_ENC, &K_MAC).unwrap();
        let oid = ID_PACE_ECDH_GM_AES_128;
        assert_eq!(aes.cmac8(&public_key_object(&oid, &PK_PICC)), T_PCD);
        assert_eq!(aes.cmac8(&public_key_object(&oid, &PK_PCD)), T_PICC);
        assert_eq!(
            &public_key_object(&oid, &PK_PICC)[..17],
            &hex!("7F494F060A04007F00070202040202 8641")
        );
    }

    /// The whole exchange of App. G.1 as APDUs, replayed byte for byte.
    fn appendix_g_apdus() -> Vec<(Vec<u8>, Vec<u8>)> {
        let ga = |cla: u8, tag: u8, v: &[u8]| {
            let mut inner = vec![tag, v.len() as u8];
            inner.extend_from_slice(v);
            let mut c = vec![
                cla,
                0x86,
                0,
                0,
                inner.len() as u8 + 2,
                0x7C,
                inner.len() as u8,
            ];
            c.extend(inner);
            c.push(0);
            c
        };
        let reply = |tag: u8, v: &[u8]| {
            let mut r = vec![0x7C, v.len() as u8 + 2, tag, v.len() as u8];
            r.extend_from_slice(v);
            r.extend_from_slice(&hex!("9000"));
            r
        };
        vec![
            (
                hex!("0022C1A40F800A04007F00070202040202830101").to_vec(),
                hex!("9000").to_vec(),
            ),
            (hex!("10860000027C0000").to_vec(), reply(0x80, &Z)),
            (ga(0x10, 0x81, &PK_MAP_PCD), reply(0x82, &PK_MAP_PICC)),
            (ga(0x10, 0x83, &PK_PCD), reply(0x84, &PK_PICC)),
            (ga(0x00, 0x85, &T_PCD), reply(0x86, &T_PICC)),
        ]
    }

    #[test]
    fn appendix_g_terminal_side_byte_for_byte() {
        // 9303-11 App. G.1, replayed: MSE:Set AT and the four GENERAL AUTHENTICATEs
        let mut card = Replay::new(appendix_g_apdus());
        let mut rng = ScriptedRng::new(&[&SK_MAP_PCD[..], &SK_PCD].concat());
        let session = authenticate(
            &mut card,
            &PaceProtocol::cccd_default(),
            &Password::mrz(MRZ_INFORMATION),
            &mut rng,
        )
        .unwrap();
        card.assert_done();
        assert_eq!(session.cipher.name(), "AES-128");
        assert_eq!(
            session.cipher.cmac8(b""),
            Aes::new(&K_ENC, &K_MAC).unwrap().cmac8(b"")
        );
    }

    #[test]
    fn appendix_g_chip_side_byte_for_byte() {
        // The same exchange from the chip's end: its nonce and keys give the recorded replies.
        let mut chip = PaceChip::new(
            "000000",
            MRZ_INFORMATION,
            vec![PaceProtocol::cccd_default()],
        );
        let mut rng = ScriptedRng::new(&[&S[..], &SK_MAP_PICC, &SK_PICC].concat());
        let apdus = appendix_g_apdus();
        chip.set_at(&apdus[0].0[5..]).unwrap();
        for (cmd, want) in &apdus[1..] {
            let data = &cmd[5..cmd.len() - 1];
            let r = chip.general_authenticate(data, &mut rng).unwrap();
            assert_eq!(
                hex::encode_upper(&r.data),
                hex::encode_upper(&want[..want.len() - 2])
            );
        }
    }

    /// A chip on a loop transport, for the protocol's behaviour (not the bytes).
    struct LoopChip {
        pace: PaceChip,
        rng: StdRng,
        opened: Option<Aes>,
    }

    impl CardTransport for LoopChip {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            let cmd = Command::parse(apdu)?;
            let r = match cmd.ins {
                0x22 => match self.pace.set_at(&cmd.data) {
                    Ok(()) => hex!("9000").to_vec(),
                    Err(e) => e.chip_status().to_bytes().to_vec(),
                },
                0x86 => match self.pace.general_authenticate(&cmd.data, &mut self.rng) {
                    Ok(r) => {
                        self.opened = r.session;
                        [r.data, hex!("9000").to_vec()].concat()
                    }
                    Err(e) => e.chip_status().to_bytes().to_vec(),
                },
                _ => hex!("6D00").to_vec(),
            };
            Ok(r)
        }
    }

    fn loop_chip(can: &str, offered: Vec<PaceProtocol>) -> LoopChip {
        LoopChip {
            pace: PaceChip::new(can, MRZ_INFORMATION, offered),
            rng: StdRng::seed_from_u64(5),
            opened: None,
        }
    }

    #[test]
    fn standardized_parameter_ids_map_to_the_curves() {
        // 9303-11 §9.5.1 Table 9: every id with a RustCrypto curve crate, both ways.
        let ids: Vec<u64> = EcCurve::ALL.iter().map(|c| c.parameter_id()).collect();
        assert_eq!(ids, [8, 10, 12, 13, 15, 16, 18]);
        for curve in EcCurve::ALL {
            assert_eq!(
                EcCurve::from_parameter_id(curve.parameter_id()),
                Some(curve)
            );
            assert_eq!(curve.order().len(), curve.field_len(), "{}", curve.name());
            assert_eq!(curve.generator().len(), 1 + 2 * curve.field_len());
        }
        assert_eq!(EcCurve::P521.field_len(), 66);
        // The brainpool curves without a crate, and the DH groups: named as unsupported.
        for (id, name) in [
            (0u64, "1024-bit MODP"),
            (2, "2048-bit MODP"),
            (9, "brainpoolP192r1"),
            (11, "brainpoolP224r1"),
            (14, "brainpoolP320r1"),
            (17, "brainpoolP512r1"),
        ] {
            assert_eq!(EcCurve::from_parameter_id(id), None);
            let err = PaceProtocol::from_info("0.4.0.127.0.7.2.2.4.2.2", 2, Some(id)).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(name), "{msg}");
            assert!(
                msg.contains("supported: 8 P-192, 10 P-224, 12 P-256, 13 brainpoolP256r1, 15 P-384, 16 brainpoolP384r1, 18 P-521"),
                "{msg}"
            );
        }
    }

    #[test]
    fn scalars_reduce_modulo_n_on_every_curve() {
        // Up to field_len bytes are reduced exactly modulo n, even where one subtraction
        // of n would not do (P-521: 66 bytes reach 2^528, about 128·n).
        for curve in EcCurve::ALL {
            let name = curve.name();
            let g = curve.generator();
            let n = curve.order();
            // n·G is the identity (an error); (n + 1)·G = G; 1·G = G.
            assert!(curve.mul_base(&n).is_err(), "{name}");
            let mut n_plus_1 = n.clone();
            *n_plus_1.last_mut().unwrap() += 1; // no n ends in FF
            assert_eq!(curve.mul_base(&n_plus_1).unwrap(), g, "{name}");
            assert_eq!(curve.mul_base(&[1]).unwrap(), g, "{name}");
            // All-ones (2^8L − 1) = 0x7F… + 0x80 0…: the sum of the two multiples.
            let len = curve.field_len();
            let ones = vec![0xFF; len];
            let mut low = vec![0xFF; len];
            low[0] = 0x7F;
            let mut high = vec![0; len];
            high[0] = 0x80;
            let sum = curve
                .add(
                    &curve.mul_base(&low).unwrap(),
                    &curve.mul_base(&high).unwrap(),
                )
                .unwrap();
            assert_eq!(curve.mul_base(&ones).unwrap(), sum, "{name}");
            let reduced = curve.reduce_scalar(&ones).unwrap();
            assert_eq!(reduced.len(), len);
            assert!(reduced.as_slice() < n.as_slice(), "{name}");
            // A short nonce (PACE's 16 bytes) is a scalar as it is.
            assert_eq!(
                curve.mul_base(&S).unwrap(),
                curve
                    .mul_base(&[vec![0; len - 16], S.to_vec()].concat())
                    .unwrap()
            );
            assert!(
                curve.mul_base(&vec![1; len + 1]).is_err(),
                "{name}: too long"
            );
        }
    }

    #[test]
    fn can_opens_every_supported_curve_and_key_length() {
        for (oid, key_len) in [
            (ID_PACE_ECDH_GM_AES_128, 16),
            (ID_PACE_ECDH_GM_AES_192, 24),
            (ID_PACE_ECDH_GM_AES_256, 32),
        ] {
            // Every curve EcCurve knows, through its standardized parameter id as
            // EF.CardAccess names it.
            let curves = EcCurve::ALL
                .iter()
                .map(|c| EcCurve::from_parameter_id(c.parameter_id()).expect("id"));
            for curve in curves {
                let p = PaceProtocol {
                    oid,
                    key_len,
                    curve,
                    send_parameter_id: true,
                };
                let mut chip = loop_chip("000123", vec![p]);
                let s = authenticate(
                    &mut chip,
                    &p,
                    &Password::can("000123"),
                    &mut StdRng::seed_from_u64(1),
                )
                .unwrap_or_else(|e| panic!("{curve:?} {key_len}: {e}"));
                // Both ends hold the same keys: the chip's MAC equals ours.
                let chip_cipher = chip.opened.expect("chip session");
                assert_eq!(chip_cipher.mac(b"x"), s.cipher.mac(b"x"));
                assert_eq!(s.cipher.name(), chip_cipher.name());
            }
        }
    }

    #[test]
    fn wrong_can_is_access_denied_on_the_last_step() {
        let p = PaceProtocol::cccd_default();
        let mut chip = loop_chip("000123", vec![p]);
        let err = authenticate(
            &mut chip,
            &p,
            &Password::can("000124"),
            &mut StdRng::seed_from_u64(2),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                PaceError::AccessDenied(StatusWord::AuthenticationFailed)
            ),
            "{err}"
        );
        assert!(chip.opened.is_none());
    }

    #[test]
    fn chip_without_pace_is_not_offered() {
        struct NoPace;
        impl CardTransport for NoPace {
            fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
                Ok(hex!("6D00").to_vec())
            }
        }
        let err = authenticate(
            &mut NoPace,
            &PaceProtocol::cccd_default(),
            &Password::can("000123"),
            &mut StdRng::seed_from_u64(3),
        )
        .unwrap_err();
        assert!(
            matches!(err, PaceError::NotOffered(StatusWord::InsNotSupported)),
            "{err}"
        );
    }

    #[test]
    fn card_access_choice() {
        // The CCCD's EF.CardAccess (cccd-chip.md §1): ECDH-GM AES-128 on brainpoolP256r1.
        let cccd = hex!(
            "3134 300d 0608 04007f0007020202 020101"
            "300f 060a 04007f00070202030202 020101"
            "3012 060a 04007f00070202040202 020102 02010d"
        );
        let infos = parse_card_access(&cccd).unwrap();
        assert_eq!(
            PaceProtocol::choose(&infos).unwrap(),
            Some(PaceProtocol::cccd_default())
        );
        // DH generic mapping (id-PACE-DH-GM-AES-128) with 2048-bit MODP: named as unsupported.
        let dh = hex!("3114 3012 060a 04007f00070202040102 020102 020101");
        let err = PaceProtocol::choose(&parse_card_access(&dh).unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("only ECDH generic mapping"),
            "{err}"
        );
        // No PACEInfo at all: no PACE.
        let ta_only = hex!("310f 300d 0608 04007f0007020202 020101");
        assert_eq!(
            PaceProtocol::choose(&parse_card_access(&ta_only).unwrap()).unwrap(),
            None
        );
        // Two offers: the first supported, with DO'84' in MSE:Set AT.
        let two = hex!(
            "3128 3012 060a 04007f00070202040102 020102 020101"
            "3012 060a 04007f00070202040204 020102 02010c"
        );
        let p = PaceProtocol::choose(&parse_card_access(&two).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.curve, p.key_len, p.send_parameter_id),
            (EcCurve::P256, 32, true)
        );
        assert_eq!(
            p.set_at_data(&Password::can("1")),
            hex!("800A04007F00070202040204 830102 84010C")
        );
        // brainpoolP512r1 (17, no crate) then P-521 (18): P-521 is chosen, with DO'84' 12.
        let p521 = hex!(
            "3128 3012 060a 04007f00070202040204 020102 020111"
            "3012 060a 04007f00070202040204 020102 020112"
        );
        let p = PaceProtocol::choose(&parse_card_access(&p521).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!((p.curve, p.send_parameter_id), (EcCurve::P521, true));
        assert_eq!(
            p.set_at_data(&Password::can("1")),
            hex!("800A04007F00070202040204 830102 840112")
        );
        // brainpoolP384r1 alone.
        let bp384 = hex!("3114 3012 060a 04007f00070202040203 020102 020110");
        let p = PaceProtocol::choose(&parse_card_access(&bp384).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!((p.curve, p.key_len), (EcCurve::BrainpoolP384r1, 24));
    }

    #[test]
    fn kdf_uses_sha256_for_longer_keys() {
        // 9303-11 §9.7.1: SHA-256 for AES-192/256; the first bytes are those of SHA-256.
        let full = Sha256::new()
            .chain_update(K)
            .chain_update(1u32.to_be_bytes())
            .finalize();
        assert_eq!(kdf(&K, 1, 32).as_slice(), &full[..]);
        assert_eq!(kdf(&K, 1, 24).as_slice(), &full[..24]);
    }

    #[test]
    fn points_off_the_curve_and_bad_scalars_are_errors() {
        let mut off = PK_PICC;
        off[64] ^= 1;
        assert!(BP.mul(&off, &SK_PCD).is_err());
        assert!(BP.check_point(&off).is_err());
        assert!(BP.check_point(&[0x00]).is_err(), "the identity");
        assert!(BP.check_point(&PK_PICC[..33]).is_err(), "truncated");
        assert!(BP.mul_base(&[0u8; 32]).is_err(), "zero scalar");
        assert!(BP.mul_base(&[1u8; 33]).is_err(), "too long");
        // A scalar above n is reduced: (n + 1)·G = G.
        let mut n_plus_1 = BP.order();
        *n_plus_1.last_mut().unwrap() += 1;
        assert_eq!(BP.mul_base(&n_plus_1).unwrap(), BP.generator());
        // Not a point of P-256 either way round.
        assert!(EcCurve::P256.check_point(&PK_PICC).is_err());
    }

    #[test]
    fn rejection_sampled_scalars_are_in_range() {
        let mut rng = StdRng::seed_from_u64(9);
        for curve in EcCurve::ALL {
            for _ in 0..20 {
                let k = curve.random_scalar(&mut rng);
                assert_eq!(k.len(), curve.field_len());
                assert!(k.as_slice() < curve.order().as_slice());
            }
        }
    }
}
