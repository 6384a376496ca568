//! Clone detection: chip authentication (DG14, ICAO 9303-11 §6.2) and active
//! authentication (DG15, §6.1), terminal side, plus the chip's half of chip
//! authentication for the emulator.
//!
//! Passive authentication proves the data were signed; it cannot tell the chip from
//! a copy of its files. Both protocols here make the chip use a private key that
//! never leaves it, whose public half the signed DG14/DG15 carry.
//!
//! **Chip authentication v1, ECDH** (§6.2, TR-03110-1 §3.3): the terminal sends an
//! ephemeral public key on the curve of the chip's static key (DG14
//! ChipAuthenticationPublicKeyInfo, named or explicit parameters, matched by
//! `passive_auth::curve_of`): for AES (`id-CA-ECDH-AES-CBC-CMAC-*`) with `MSE:Set AT`
//! (`00 22 41 A4`, DO'80' OID, DO'84' key id) then `GENERAL AUTHENTICATE 7C{80 PK}`;
//! for 3DES (`id-CA-ECDH-3DES-CBC-CBC`, or a DG14 with a key and no
//! ChipAuthenticationInfo, as early chips have) with `MSE:Set KAT` (`00 22 41 A6`, DO'91'
//! PK). Both sides derive new K_enc/K_mac from `x(SK · PK)` by the §9.7.1 KDF, SSC
//! zero, and secure messaging restarts with them, replacing PACE's or BAC's. Only the
//! real chip can compute them: the next protected reply proves it, so the terminal
//! selects EF.COM and reads 4 bytes under the new keys. A chip that refuses CA,
//! answers with an error or sends a reply whose MAC fails has **failed** (a clone);
//! a DG14 we cannot use (DH keys, an unknown curve) is **not supported**.
//!
//! **Active authentication** (§6.1): `INTERNAL AUTHENTICATE` with an 8-byte random
//! challenge; the chip signs it with the DG15 key. ECDSA signatures are plain `r||s`
//! (TR-03111) over the hash DG14's ActiveAuthenticationInfo names (SHA-256 when DG14
//! says nothing), verified by `passive_auth::verify_signature` (every curve of
//! [`EcCurve`]; named or explicit parameters). RSA uses ISO/IEC 9796-2 digital signature scheme 1 (message
//! recovery, §6.1.2): `m = s^e mod n` (the `rsa` crate's raw public operation) must be
//! `6A || M1 || H(M1 || challenge) || BC` (SHA-1) or `… || hh CC` (ISO/IEC 10118-3 hash
//! id 34 SHA-256, 36 SHA-384, 35 SHA-512, 38 SHA-224).
//!
//! **A signature too large for the link.** Le is the signature's size. Under short
//! APDUs a protected reply carries at most 223 (AES) or 231 (3DES) plaintext bytes, so
//! an RSA-2048 signature (256 bytes) does not fit (DG13.md); only extended length
//! carries it. When the reader or chip has no extended length (`ReadCaps::extended`,
//! probed before authentication), INTERNAL AUTHENTICATE is not sent
//! ([`AaOutcome::TooLarge`]). The probe is answered by the chip, so a copy of such a card
//! could refuse extended length on purpose to dodge AA: what the reader makes of it
//! depends on chip authentication (`read.rs`). If chip authentication passed, the chip
//! has already proved it holds a signed key: AA is `not_supported`, the reason in
//! `verification.errors`, and the card stays genuine. If not, nothing shows the chip is
//! not a copy: AA is `failed` (a possible clone, as the issue asks of a chip that fails
//! either check) with the reason — a genuine RSA-2048 card without chip authentication
//! needs a reader with extended length. With extended length, AA runs and any failure is
//! a failure.

use super::apdu::{Command, StatusWord};
use super::bac::{self, SessionKeys};
use super::lds::dg14::{Dg14, SecurityInfoKind, ID_CA, ID_PK_ECDH};
use super::lds::dg15::Dg15;
use super::lds::sod::HashAlg;
use super::pace::{kdf, PaceError};
use super::passive_auth::{curve_of, verify_signature, EcCurve};
use super::sm::{Aes, SecureMessaging, SmChip};
use super::tlv;
use super::transport::{exchange, CardTransport, TransportError};
use const_oid::ObjectIdentifier;
use der::Decode;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use thiserror::Error;

/// id-CA-ECDH-3DES-CBC-CBC (9303-11 §9.2.5).
pub const ID_CA_ECDH_3DES: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.1");
/// id-CA-ECDH-AES-CBC-CMAC-128.
pub const ID_CA_ECDH_AES_128: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.2");
/// id-CA-ECDH-AES-CBC-CMAC-192.
pub const ID_CA_ECDH_AES_192: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.3");
/// id-CA-ECDH-AES-CBC-CMAC-256.
pub const ID_CA_ECDH_AES_256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("0.4.0.127.0.7.2.2.3.2.4");
/// Le of chip authentication's GENERAL AUTHENTICATE: its reply is an empty `7C`,
/// and under secure messaging an Le above 223 (AES) would force extended length.
const CA_REPLY_LE: usize = 128;
/// id-ecPublicKey (RFC 5480).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// Why chip or active authentication could not be run (chip side: why a CA command is refused).
#[derive(Debug, Error)]
pub enum ChipAuthError {
    /// DG14/DG15 names a protocol or key we do not implement.
    #[error("{0}")]
    Unsupported(String),
    /// Chip side: malformed command data.
    #[error("malformed {0}")]
    BadData(&'static str),
    /// Point or scalar arithmetic refused the input.
    #[error(transparent)]
    Ec(#[from] PaceError),
}

/// Cipher of the session chip authentication starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaCipher {
    /// Two-key 3DES, retail MAC, 8-byte SSC (MSE:Set KAT).
    Tdes,
    /// AES with this key length (16, 24, 32), CMAC, 16-byte SSC (MSE:Set AT + GA).
    Aes(usize),
}

/// What chip authentication runs with, taken from DG14.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaParams {
    /// The id-CA-ECDH-* protocol OID.
    pub oid: ObjectIdentifier,
    /// The session cipher it starts.
    pub cipher: CaCipher,
    /// The chip's static key's curve.
    pub curve: EcCurve,
    /// The chip's static public key, uncompressed.
    pub chip_key: Vec<u8>,
    /// Key identifier, sent as DO'84' when DG14 gives one.
    pub key_id: Option<u64>,
}

impl CaParams {
    /// Chip authentication as DG14 describes it. `Ok(None)`: DG14 offers no chip
    /// authentication; `Err`: it offers one we cannot run.
    pub fn from_dg14(dg14: &Dg14) -> Result<Option<Self>, ChipAuthError> {
        let keys: Vec<(&[u8], Option<u64>)> = dg14.chip_authentication_keys().collect();
        if keys.is_empty() {
            return Ok(None);
        }
        let infos: Vec<(ObjectIdentifier, Option<u64>)> = dg14
            .security_infos
            .iter()
            .filter_map(|i| match i.kind {
                SecurityInfoKind::ChipAuthenticationInfo { key_id, .. } => {
                    ObjectIdentifier::new(&i.oid).ok().map(|o| (o, key_id))
                }
                _ => None,
            })
            .filter(|(o, _)| o.parent().and_then(|p| p.parent()) == Some(ID_CA))
            .collect();
        // Early chips have only the key: that means ECDH with 3DES (9303-11 §9.2.5).
        let (oid, info_key_id) = infos.first().copied().unwrap_or((ID_CA_ECDH_3DES, None));
        let cipher = match oid {
            o if o == ID_CA_ECDH_3DES => CaCipher::Tdes,
            o if o == ID_CA_ECDH_AES_128 => CaCipher::Aes(16),
            o if o == ID_CA_ECDH_AES_192 => CaCipher::Aes(24),
            o if o == ID_CA_ECDH_AES_256 => CaCipher::Aes(32),
            o => {
                return Err(ChipAuthError::Unsupported(format!(
                    "DG14: chip authentication {o} is not implemented (ECDH only)"
                )))
            }
        };
        let (spki_der, key_id) = keys
            .iter()
            .find(|(_, id)| info_key_id.is_none() || *id == info_key_id)
            .copied()
            .ok_or_else(|| {
                ChipAuthError::Unsupported("DG14: no chip authentication key with the key id of its ChipAuthenticationInfo".into())
            })?;
        let (curve, chip_key) = ec_key(spki_der, "DG14 chip authentication key")?;
        Ok(Some(CaParams {
            oid,
            cipher,
            curve,
            chip_key,
            key_id,
        }))
    }
}

/// Curve and point of an EC SubjectPublicKeyInfo (named or explicit parameters).
pub fn ec_key(spki_der: &[u8], what: &str) -> Result<(EcCurve, Vec<u8>), ChipAuthError> {
    let unsupported = |m: String| ChipAuthError::Unsupported(format!("{what}: {m}"));
    let spki =
        SubjectPublicKeyInfoOwned::from_der(spki_der).map_err(|e| unsupported(e.to_string()))?;
    if spki.algorithm.oid != EC_PUBLIC_KEY {
        return Err(unsupported(format!(
            "key algorithm {} is not EC",
            spki.algorithm.oid
        )));
    }
    let curve =
        curve_of(spki.algorithm.parameters.as_ref()).map_err(|e| unsupported(e.to_string()))?;
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| unsupported("public key bit string has unused bits".into()))?
        .to_vec();
    curve
        .check_point(&point)
        .map_err(|e| unsupported(e.to_string()))?;
    Ok((curve, point))
}

/// Result of chip authentication. The session is handed back in every case but a
/// failure after the keys changed, when only the plain transport is left (the reader
/// opens the chip again to read on).
pub enum CaOutcome<T: CardTransport> {
    /// The chip proved it holds the DG14 key; the session now runs on CA's keys.
    Passed(SecureMessaging<T>),
    /// We cannot run the chip authentication DG14 names; the old session goes on.
    NotSupported(SecureMessaging<T>, String),
    /// The chip did not prove it holds the DG14 key: a clone, or a broken chip.
    Failed(T, String),
}

/// The new session's keys from the shared x coordinate (9303-11 §9.7.1).
fn ca_session<T: CardTransport>(
    inner: T,
    cipher: CaCipher,
    shared_x: &[u8],
) -> Result<SecureMessaging<T>, PaceError> {
    match cipher {
        CaCipher::Tdes => Ok(SecureMessaging::new(
            inner,
            SessionKeys {
                k_enc: bac::derive_key(shared_x, 1),
                k_mac: bac::derive_key(shared_x, 2),
                ssc: [0; 8],
            },
        )),
        CaCipher::Aes(len) => {
            let aes = Aes::new(&kdf(shared_x, 1, len), &kdf(shared_x, 2, len))?;
            Ok(SecureMessaging::with_cipher(
                inner,
                Box::new(aes),
                vec![0; 16],
            ))
        }
    }
}

/// Run chip authentication over the open session `sm` (9303-11 §6.2).
/// Transport failures other than secure-messaging ones (card removed) are errors.
pub fn chip_authenticate<T, R>(
    mut sm: SecureMessaging<T>,
    params: &CaParams,
    rng: &mut R,
) -> Result<CaOutcome<T>, TransportError>
where
    T: CardTransport,
    R: rand::RngCore + rand::CryptoRng,
{
    let curve = params.curve;
    let sk = curve.random_scalar(rng);
    let pk = match curve.mul_base(&sk) {
        Ok(pk) => pk,
        Err(e) => return Ok(CaOutcome::NotSupported(sm, e.to_string())),
    };
    let shared = match curve.mul(&params.chip_key, &sk) {
        Ok(p) => curve.x_coordinate(&p),
        Err(e) => {
            return Ok(CaOutcome::NotSupported(
                sm,
                format!("DG14 chip authentication key: {e}"),
            ))
        }
    };
    let key_id = params.key_id.map(|id| {
        let b = id.to_be_bytes();
        let skip = b.iter().take_while(|&&x| x == 0).count().min(7);
        tlv::encode(0x84, &b[skip..])
    });
    let steps: Vec<(&'static str, Command)> = match params.cipher {
        CaCipher::Tdes => {
            let mut data = tlv::encode(0x91, &pk);
            data.extend(key_id.unwrap_or_default());
            vec![(
                "MSE:Set KAT",
                Command::new(0x00, /* MSE */ 0x22, /* Set KAT */ 0x41, 0xA6).with_data(data),
            )]
        }
        CaCipher::Aes(_) => {
            let mut data = tlv::encode(0x80, params.oid.as_bytes());
            data.extend(key_id.unwrap_or_default());
            vec![
                (
                    "MSE:Set AT",
                    Command::new(
                        0x00, /* MSE */ 0x22, /* Set AT for internal auth */ 0x41, 0xA4,
                    )
                    .with_data(data),
                ),
                (
                    "GENERAL AUTHENTICATE",
                    Command::new(0x00, /* GENERAL AUTHENTICATE */ 0x86, 0x00, 0x00)
                        .with_data(tlv::encode(0x7C, &tlv::encode(0x80, &pk)))
                        // The reply is `7C 00`; an Le that fits a short protected reply.
                        .with_le(CA_REPLY_LE),
                ),
            ]
        }
    };
    for (name, cmd) in steps {
        match exchange(&mut sm, &cmd) {
            Ok(r) if r.sw == StatusWord::Success => {}
            Ok(r) => {
                return Ok(CaOutcome::Failed(
                    sm.into_inner(),
                    format!("chip authentication: {name} refused with {}", r.sw),
                ))
            }
            Err(TransportError::SecureMessaging(m)) => {
                return Ok(CaOutcome::Failed(
                    sm.into_inner(),
                    format!("chip authentication: {name}: {m}"),
                ))
            }
            Err(e) => return Err(e),
        }
    }
    let mut sm = match ca_session(sm.into_inner(), params.cipher, &shared) {
        Ok(s) => s,
        Err(e) => return Err(TransportError::SecureMessaging(e.to_string())),
    };
    // Proof: a protected SELECT and READ BINARY under the new keys.
    for cmd in [Command::select_ef(0x011E), Command::read_binary(0, 4)] {
        match exchange(&mut sm, &cmd) {
            Ok(r) if r.sw.is_success() => {}
            Ok(r) => {
                return Ok(CaOutcome::Failed(
                    sm.into_inner(),
                    format!("chip authentication: the chip does not hold the DG14 key (answered {} under the new keys)", r.sw),
                ))
            }
            Err(TransportError::SecureMessaging(m)) => {
                return Ok(CaOutcome::Failed(
                    sm.into_inner(),
                    format!("chip authentication: the chip does not hold the DG14 key ({m})"),
                ))
            }
            Err(e) => return Err(e),
        }
    }
    tracing::debug!("chip authentication passed ({})", curve.name());
    Ok(CaOutcome::Passed(sm))
}

/// The chip's half of chip authentication, for the emulator: its static private key.
pub struct CaChip {
    curve: EcCurve,
    secret: zeroize::Zeroizing<Vec<u8>>,
    cipher: CaCipher,
}

impl CaChip {
    /// A chip whose CA private scalar is `secret` on `curve`, running `cipher`.
    pub fn new(curve: EcCurve, secret: &[u8], cipher: CaCipher) -> Self {
        Self {
            curve,
            secret: zeroize::Zeroizing::new(secret.to_vec()),
            cipher,
        }
    }

    /// The terminal's ephemeral key from `MSE:Set KAT` data (DO'91') or GENERAL
    /// AUTHENTICATE data (`7C{80}`).
    pub fn terminal_key(data: &[u8]) -> Result<Vec<u8>, ChipAuthError> {
        if let Ok(t) = tlv::expect(data, 0x7C) {
            return tlv::find(t.value, 0x80)
                .map(|k| k.value.to_vec())
                .map_err(|_| ChipAuthError::BadData("GENERAL AUTHENTICATE data"));
        }
        tlv::find(data, 0x91)
            .map(|k| k.value.to_vec())
            .map_err(|_| ChipAuthError::BadData("MSE:Set KAT data"))
    }

    /// The session the chip switches to after answering: keys from `x(SK · PK_PCD)`.
    pub fn agree(&self, terminal_key: &[u8]) -> Result<SmChip, ChipAuthError> {
        let shared = self.curve.mul(terminal_key, &self.secret)?;
        let x = self.curve.x_coordinate(&shared);
        Ok(match self.cipher {
            CaCipher::Tdes => SmChip::new(SessionKeys {
                k_enc: bac::derive_key(&x, 1),
                k_mac: bac::derive_key(&x, 2),
                ssc: [0; 8],
            }),
            CaCipher::Aes(len) => SmChip::with_cipher(
                Box::new(Aes::new(&kdf(&x, 1, len), &kdf(&x, 2, len)).map_err(PaceError::from)?),
                vec![0; 16],
            ),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Active authentication.

/// Result of active authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AaOutcome {
    /// The chip signed our challenge with the DG15 key.
    Passed,
    /// It did not (refused, or the signature does not verify): a clone.
    Failed(String),
    /// We cannot verify this key type.
    NotSupported(String),
    /// The signature is larger than one reply on this link carries (no extended length):
    /// not asked. Whether that is acceptable depends on chip authentication.
    TooLarge(String),
}

/// The hash of an ECDSA active authentication from DG14's ActiveAuthenticationInfo
/// (its signatureAlgorithm, X9.62 `ecdsa-with-*` or TR-03111 `ecdsa-plain-*`).
fn aa_hash(dg14: Option<&Dg14>) -> Result<HashAlg, String> {
    let Some(alg) = dg14.and_then(|d| {
        d.security_infos.iter().find_map(|i| match &i.kind {
            SecurityInfoKind::ActiveAuthenticationInfo {
                signature_algorithm,
                ..
            } => Some(signature_algorithm.clone()),
            _ => None,
        })
    }) else {
        return Ok(HashAlg::Sha256);
    };
    match alg.as_str() {
        "1.2.840.10045.4.1" | "0.4.0.127.0.7.1.1.4.1.1" => Ok(HashAlg::Sha1),
        "1.2.840.10045.4.3.1" | "0.4.0.127.0.7.1.1.4.1.2" => Ok(HashAlg::Sha224),
        "1.2.840.10045.4.3.2" | "0.4.0.127.0.7.1.1.4.1.3" => Ok(HashAlg::Sha256),
        "1.2.840.10045.4.3.3" | "0.4.0.127.0.7.1.1.4.1.4" => Ok(HashAlg::Sha384),
        "1.2.840.10045.4.3.4" | "0.4.0.127.0.7.1.1.4.1.5" => Ok(HashAlg::Sha512),
        other => Err(format!(
            "DG14: active authentication signature algorithm {other} is not ECDSA"
        )),
    }
}

/// TR-03111 `ecdsa-plain-*` OID for a hash: how `verify_signature` is told "r||s".
fn plain_ecdsa_oid(hash: HashAlg) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(match hash {
        HashAlg::Sha1 => "0.4.0.127.0.7.1.1.4.1.1",
        HashAlg::Sha224 => "0.4.0.127.0.7.1.1.4.1.2",
        HashAlg::Sha256 => "0.4.0.127.0.7.1.1.4.1.3",
        HashAlg::Sha384 => "0.4.0.127.0.7.1.1.4.1.4",
        HashAlg::Sha512 => "0.4.0.127.0.7.1.1.4.1.5",
    })
}

/// Run active authentication (9303-11 §6.1) with an 8-byte challenge from `rng`.
/// `max_reply`: the largest signature a reply can carry on this link (under secure
/// messaging, `SecureMessaging::max_plain_le` for the link's APDU length); a key
/// whose signature is larger is `NotSupported`, never a failure (module doc).
pub fn active_authenticate<T, R>(
    card: &mut T,
    dg15: &Dg15,
    dg14: Option<&Dg14>,
    max_reply: usize,
    rng: &mut R,
) -> Result<AaOutcome, TransportError>
where
    T: CardTransport + ?Sized,
    R: rand::RngCore + rand::CryptoRng,
{
    let spki = match SubjectPublicKeyInfoOwned::from_der(&dg15.spki) {
        Ok(s) => s,
        Err(e) => return Ok(AaOutcome::NotSupported(format!("DG15: {e}"))),
    };
    // Le: the size of the signature (plain ECDSA 2·field, RSA the modulus).
    let (le, hash) = if dg15.algorithm == "ec" {
        let curve = match curve_of(spki.algorithm.parameters.as_ref()) {
            Ok(c) => c,
            Err(e) => return Ok(AaOutcome::NotSupported(format!("DG15: {e}"))),
        };
        match aa_hash(dg14) {
            Ok(h) => (2 * curve.field_len(), Some(h)),
            Err(e) => return Ok(AaOutcome::NotSupported(e)),
        }
    } else {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::traits::PublicKeyParts;
        match spki
            .subject_public_key
            .as_bytes()
            .and_then(|b| rsa::RsaPublicKey::from_pkcs1_der(b).ok())
        {
            Some(k) => (k.size(), None),
            None => return Ok(AaOutcome::NotSupported("DG15: malformed RSA key".into())),
        }
    };
    if le > max_reply {
        let key = if hash.is_some() {
            "ECDSA key".to_string()
        } else {
            format!("RSA-{} key", le * 8)
        };
        return Ok(AaOutcome::TooLarge(format!(
            "DG15's {key} signs with {le} bytes, more than a short APDU reply under \
             secure messaging carries ({max_reply}), and this reader or chip has no \
             extended length"
        )));
    }
    let mut challenge = [0u8; 8];
    rng.fill_bytes(&mut challenge);
    let cmd = Command::new(0x00, /* INTERNAL AUTHENTICATE */ 0x88, 0x00, 0x00)
        .with_data(challenge.to_vec())
        .with_le(le.min(65536));
    let resp = match exchange(card, &cmd) {
        Ok(r) => r,
        Err(TransportError::SecureMessaging(m)) => {
            return Ok(AaOutcome::Failed(format!("active authentication: {m}")))
        }
        Err(e) => return Err(e),
    };
    if !resp.sw.is_success() {
        return Ok(AaOutcome::Failed(format!(
            "active authentication: INTERNAL AUTHENTICATE refused with {}",
            resp.sw
        )));
    }
    let verdict = match hash {
        Some(hash) => {
            let alg = AlgorithmIdentifierOwned {
                oid: plain_ecdsa_oid(hash),
                parameters: None,
            };
            verify_signature(&spki, &alg, &challenge, &resp.data, None).map_err(|e| e.to_string())
        }
        None => verify_iso9796_2(&spki, &challenge, &resp.data),
    };
    Ok(match verdict {
        Ok(()) => AaOutcome::Passed,
        Err(e) => AaOutcome::Failed(format!("active authentication: the chip's signature over our challenge does not verify with DG15's key ({e})")),
    })
}

/// ISO/IEC 9796-2 scheme 1 verification with partial message recovery (9303-11 §6.1.2).
pub fn verify_iso9796_2(
    spki: &SubjectPublicKeyInfoOwned,
    m2: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::traits::PublicKeyParts;
    let key = spki
        .subject_public_key
        .as_bytes()
        .and_then(|b| rsa::RsaPublicKey::from_pkcs1_der(b).ok())
        .ok_or("malformed RSA key")?;
    let s = rsa::BigUint::from_bytes_be(sig);
    if &s >= key.n() {
        return Err("signature is not below the modulus".into());
    }
    let m = rsa::hazmat::rsa_encrypt(&key, &s).map_err(|e| e.to_string())?;
    let mut f = m.to_bytes_be();
    // Left-pad to the modulus size: the recovered block starts with the 6A header.
    let k = key.size();
    if f.len() < k {
        let mut p = vec![0u8; k - f.len()];
        p.extend(f);
        f = p;
    }
    let f = f
        .iter()
        .skip_while(|&&b| b == 0)
        .copied()
        .collect::<Vec<u8>>();
    let (&header, rest) = f.split_first().ok_or("empty recovered message")?;
    if header & 0xC0 != 0x40 || header & 0x0F != 0x0A {
        return Err(format!(
            "recovered message header {header:#04x}, expected 6A (partial recovery)"
        ));
    }
    let (hash, body) = match rest.last() {
        Some(0xBC) => (HashAlg::Sha1, rest.get(..rest.len() - 1)),
        Some(0xCC) => {
            let id = rest.get(rest.len().wrapping_sub(2)).copied();
            let h = match id {
                Some(0x33) => HashAlg::Sha1,
                Some(0x34) => HashAlg::Sha256,
                Some(0x35) => HashAlg::Sha512,
                Some(0x36) => HashAlg::Sha384,
                Some(0x38) => HashAlg::Sha224,
                other => return Err(format!("trailer hash id {other:?} unknown")),
            };
            (h, rest.get(..rest.len().saturating_sub(2)))
        }
        other => return Err(format!("trailer {other:?}, expected BC or CC")),
    };
    let body = body.ok_or("recovered message too short")?;
    let d_len = hash.output_len();
    if body.len() < d_len {
        return Err("recovered message too short".into());
    }
    let (m1, digest) = body.split_at(body.len() - d_len);
    let mut msg = m1.to_vec();
    msg.extend_from_slice(m2);
    if super::sm::ct_eq(&hash.digest(&msg), digest) {
        Ok(())
    } else {
        Err("hash of M1 || challenge does not match".into())
    }
}

/// The DG14 SecurityInfo of an EC chip authentication key, for the emulator.
pub fn ca_key_info(spki: Vec<u8>) -> super::lds::dg14::SecurityInfo {
    super::lds::dg14::SecurityInfo {
        oid: ID_PK_ECDH.to_string(),
        kind: SecurityInfoKind::ChipAuthenticationPublicKeyInfo { spki, key_id: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn iso9796_2_scheme1_sha1_and_sha256_round_trip() {
        // Build an ISO/IEC 9796-2 scheme 1 signature with a test RSA key (raw private
        // operation) and check the verifier accepts it and refuses changed challenges.
        use rsa::traits::PublicKeyParts;
        let mut rng = StdRng::seed_from_u64(4);
        let key = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let pubkey = rsa::RsaPublicKey::from(&key);
        use rsa::pkcs8::EncodePublicKey;
        let spki =
            SubjectPublicKeyInfoOwned::from_der(pubkey.to_public_key_der().unwrap().as_bytes())
                .unwrap();
        let k = pubkey.size();
        let challenge = hex!("0011223344556677");
        for (hash, trailer) in [
            (HashAlg::Sha1, vec![0xBC]),
            (HashAlg::Sha256, vec![0x34, 0xCC]),
        ] {
            let m1_len = k - 1 - hash.output_len() - trailer.len();
            let m1: Vec<u8> = (0..m1_len).map(|i| i as u8 | 0x01).collect();
            let mut msg = m1.clone();
            msg.extend_from_slice(&challenge);
            let mut f = vec![0x6A];
            f.extend(&m1);
            f.extend(hash.digest(&msg));
            f.extend(&trailer);
            let s = rsa::hazmat::rsa_decrypt_and_check(
                &key,
                Some(&mut rng),
                &rsa::BigUint::from_bytes_be(&f),
            )
            .unwrap();
            let sig = s.to_bytes_be();
            assert_eq!(
                verify_iso9796_2(&spki, &challenge, &sig),
                Ok(()),
                "{hash:?}"
            );
            let err = verify_iso9796_2(&spki, &hex!("0011223344556678"), &sig).unwrap_err();
            assert!(err.contains("does not match"), "{err}");
        }
    }

    #[test]
    fn dg14_without_chip_authentication_info_means_3des() {
        let sk = [7u8; 32];
        let pk = EcCurve::P256.mul_base(&sk).unwrap();
        let spki = crate::card::emulator::personalise::ec_spki(EcCurve::P256, &pk, true).unwrap();
        let dg14 = Dg14 {
            security_infos: vec![ca_key_info(spki)],
        };
        let p = CaParams::from_dg14(&dg14).unwrap().unwrap();
        assert_eq!((p.cipher, p.curve), (CaCipher::Tdes, EcCurve::P256));
        assert_eq!(p.chip_key, pk);
        assert!(CaParams::from_dg14(&Dg14 {
            security_infos: vec![]
        })
        .unwrap()
        .is_none());
    }

    /// A chip on a loop transport: secure messaging with the session's keys, chip
    /// authentication with `ca` (the new keys start after the reply), and 9000 for
    /// the proof's SELECT and READ BINARY.
    struct CaLoop {
        sm: SmChip,
        ca: CaChip,
    }

    impl CardTransport for CaLoop {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            use crate::card::apdu::Response;
            let Ok(cmd) = self.sm.unwrap_command(apdu) else {
                return Ok(hex!("6988").to_vec());
            };
            let mut next = None;
            let resp = match (cmd.ins, cmd.p1, cmd.p2) {
                (0x22, 0x41, 0xA4) => Response::status(StatusWord::Success),
                (0x86, _, _) | (0x22, 0x41, 0xA6) => {
                    match CaChip::terminal_key(&cmd.data).and_then(|k| self.ca.agree(&k)) {
                        Ok(s) => {
                            next = Some(s);
                            let data = if cmd.ins == 0x86 {
                                vec![0x7C, 0]
                            } else {
                                vec![]
                            };
                            Response::new(data, StatusWord::Success)
                        }
                        Err(_) => Response::status(StatusWord::Other(0x6A80)),
                    }
                }
                (0xB0, _, _) => Response::new(vec![0x60, 0x14, 0x5F, 0x01], StatusWord::Success),
                _ => Response::status(StatusWord::Success),
            };
            let out = self.sm.wrap_response(&resp);
            if let Some(s) = next {
                self.sm = s;
            }
            Ok(out)
        }
    }

    #[test]
    fn chip_authentication_round_trip_on_every_curve() {
        // For each curve, DG14 key named and explicit, 3DES and AES: the terminal reads
        // the curve from DG14, agrees keys with the chip and reads under them; a chip
        // holding another key (a clone) fails.
        let mut rng = StdRng::seed_from_u64(21);
        for curve in EcCurve::ALL {
            for (explicit, cipher, oid) in [
                (false, CaCipher::Aes(16), Some(ID_CA_ECDH_AES_128)),
                (true, CaCipher::Aes(32), Some(ID_CA_ECDH_AES_256)),
                (true, CaCipher::Tdes, None),
            ] {
                let sk = curve.random_scalar(&mut rng);
                let pk = curve.mul_base(&sk).unwrap();
                let spki =
                    crate::card::emulator::personalise::ec_spki(curve, &pk, explicit).unwrap();
                let mut infos = vec![ca_key_info(spki)];
                if let Some(oid) = oid {
                    infos.push(crate::card::lds::dg14::SecurityInfo {
                        oid: oid.to_string(),
                        kind: SecurityInfoKind::ChipAuthenticationInfo {
                            version: 1,
                            key_id: None,
                        },
                    });
                }
                let params = CaParams::from_dg14(&Dg14 {
                    security_infos: infos,
                })
                .unwrap()
                .unwrap();
                let what = format!("{} explicit={explicit} {cipher:?}", curve.name());
                assert_eq!((params.curve, params.cipher), (curve, cipher), "{what}");
                assert_eq!(params.chip_key, pk, "{what}");
                for (chip_sk, genuine) in [
                    (sk.to_vec(), true),
                    (curve.random_scalar(&mut rng).to_vec(), false),
                ] {
                    let keys = || Box::new(Aes::new(&[1; 16], &[2; 16]).unwrap());
                    let chip = CaLoop {
                        sm: SmChip::with_cipher(keys(), vec![0; 16]),
                        ca: CaChip::new(curve, &chip_sk, cipher),
                    };
                    let sm = SecureMessaging::with_cipher(chip, keys(), vec![0; 16]);
                    match (chip_authenticate(sm, &params, &mut rng).unwrap(), genuine) {
                        (CaOutcome::Passed(_), true) => {}
                        (CaOutcome::Failed(_, why), false) => {
                            assert!(why.contains("does not hold the DG14 key"), "{what}: {why}")
                        }
                        (CaOutcome::Passed(_), false) => panic!("{what}: a clone passed"),
                        (CaOutcome::Failed(_, why), true) => panic!("{what}: {why}"),
                        (CaOutcome::NotSupported(_, why), _) => panic!("{what}: {why}"),
                    }
                }
            }
        }
    }

    #[test]
    fn active_authentication_round_trip_on_every_curve_the_emulator_signs_on() {
        // The emulated chip opened with PACE on each curve, its AA key on the same
        // curve (named and explicit in DG15): the signature over our challenge
        // verifies; a clone's does not. P-192 cannot sign (the p192 crate verifies
        // only): personalising such a chip is an error naming the field.
        use crate::card::emulator::profile::{CaCurve, CitizenProfile};
        use crate::card::emulator::{personalise, InProcessCard};
        use crate::card::pace::{self, PaceProtocol, Password};
        let mut rng = StdRng::seed_from_u64(8);
        for (curve, explicit) in [
            (CaCurve::P224, false),
            (CaCurve::P256, true),
            (CaCurve::P384, false),
            (CaCurve::P521, true),
            (CaCurve::BrainpoolP256r1, false),
            (CaCurve::BrainpoolP384r1, true),
        ] {
            for clone in [false, true] {
                let ec = curve.ec_curve();
                let mut p = CitizenProfile::demo();
                p.chip.pace = true;
                p.chip.pace_parameter_id = ec.parameter_id();
                p.chip.active_auth = true;
                p.chip.active_auth_curve = curve;
                p.chip.explicit_key_params = explicit;
                p.chip.clone = clone;
                let files = personalise::personalise(&p).unwrap().files;
                let dg15 = Dg15::parse(&files[&0x010F]).unwrap();
                let dg14 = Dg14::parse(&files[&0x010E]).unwrap();
                let mut card = InProcessCard {
                    chip: personalise::chip(&p, Some(3)).unwrap(),
                };
                let protocol = PaceProtocol {
                    curve: ec,
                    ..PaceProtocol::cccd_default()
                };
                let session = pace::authenticate(
                    &mut card,
                    &protocol,
                    &Password::can(&p.id_number[6..]),
                    &mut rng,
                )
                .unwrap();
                let mut sm = session.into_sm(card);
                let sel = exchange(&mut sm, &Command::select_aid(&crate::card::read::MRTD_AID));
                assert!(sel.unwrap().sw.is_success());
                let what = format!("{curve:?} explicit={explicit} clone={clone}");
                // Short APDUs, as on a CCCD: P-521's 132-byte r‖s still fits.
                let max_reply = sm.max_plain_le(false);
                match active_authenticate(&mut sm, &dg15, Some(&dg14), max_reply, &mut rng).unwrap()
                {
                    AaOutcome::Passed => assert!(!clone, "{what}: a clone passed"),
                    AaOutcome::Failed(why) => {
                        assert!(clone, "{what}: {why}");
                        assert!(why.contains("does not verify"), "{what}: {why}");
                    }
                    AaOutcome::NotSupported(why) | AaOutcome::TooLarge(why) => {
                        panic!("{what}: {why}")
                    }
                }
            }
        }
        let mut p = CitizenProfile::demo();
        p.chip.active_auth = true;
        p.chip.active_auth_curve = CaCurve::P192;
        let err = personalise::personalise(&p)
            .err()
            .expect("P-192 AA")
            .to_string();
        assert!(
            err.contains("chip.active_auth") && err.contains("P-192"),
            "{err}"
        );
    }

    #[test]
    fn refused_chip_authentication_is_a_failure_with_the_status() {
        let sk = [7u8; 32];
        let pk = EcCurve::BrainpoolP256r1.mul_base(&sk).unwrap();
        let params = CaParams {
            oid: ID_CA_ECDH_AES_128,
            cipher: CaCipher::Aes(16),
            curve: EcCurve::BrainpoolP256r1,
            chip_key: pk,
            key_id: None,
        };
        // A session whose chip answers MSE:Set AT with a plain 6A80.
        struct Refuse;
        impl CardTransport for Refuse {
            fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
                Ok(hex!("6A80").to_vec())
            }
        }
        let sm = SecureMessaging::with_cipher(
            Refuse,
            Box::new(Aes::new(&[1; 16], &[2; 16]).unwrap()),
            vec![0; 16],
        );
        match chip_authenticate(sm, &params, &mut StdRng::seed_from_u64(1)).unwrap() {
            CaOutcome::Failed(_, why) => assert!(why.contains("MSE:Set AT refused"), "{why}"),
            _ => panic!("expected failure"),
        }
    }
}
