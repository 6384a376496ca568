//! Passive authentication (ICAO 9303-11 §5.1): are the data groups the ones the issuer
//! signed, and is the signer one we trust?
//!
//! Three checks, each reported on its own so the officer and the back office can tell a
//! forged card from a card of an issuer the kiosk does not know yet:
//! 1. every data group read hashes (with the SOD's algorithm) to the value in the
//!    `LDSSecurityObject` (9303-10 §4.6.2.2);
//! 2. the SignerInfo: `contentType` = eContentType, `messageDigest` = hash of the
//!    eContent, and the signature over the DER of the signed attributes (re-tagged as
//!    `SET OF`, RFC 5652 §5.4) verifies with the document-signer (DS) certificate
//!    embedded in EF.SOD;
//! 3. the DS certificate is issued by a CSCA in the [`TrustStore`]: issuer = CSCA
//!    subject, authorityKeyIdentifier = CSCA subjectKeyIdentifier when both are present,
//!    and the certificate signature verifies with the CSCA key (9303-12 §7).
//!
//! Decisions (DESIGN.md "Verdict", "Trust store"):
//! - A data group the SOD hashes but the chip refuses (DG3 answers 6982, it needs
//!   terminal authentication) or that was not attempted is `not_read` and does not fail
//!   passive authentication. A hashed data group the chip says does not exist (6A82) is
//!   `missing` and DOES fail: removing DG14/DG15 is how a clone would hide chip or active
//!   authentication (9303-11 §6.1, the SOD protects which DGs exist).
//! - A data group read but not hashed by the SOD is unauthenticated data: failure.
//! - An expired DS or CSCA certificate is a warning (cards outlive their signers,
//!   9303-12 §5.2: DS keys sign for months, documents live for years); a DS not yet
//!   valid is a warning that the kiosk clock may be wrong.
//! - Algorithms: RSA PKCS#1 v1.5 (SHA-1/224/256/384/512, and bare `rsaEncryption` with
//!   the SignerInfo digest), RSASSA-PSS with parameters from the AlgorithmIdentifier
//!   (MGF1 must use the message hash: that is all the `rsa` crate offers), ECDSA (X9.62
//!   DER and BSI TR-03111 "plain" r‖s) on NIST P-192, P-224, P-256, P-384, P-521 and
//!   brainpoolP256r1, brainpoolP384r1 (brainpoolP256r1 is the curve of the CCCD's
//!   PACE; a signer on it is likely, the Vietnamese CSCA being unpublished). A digest
//!   shorter than the field (SHA-256 on P-521) is used whole, as FIPS 186-5 says.
//!   EC keys may name their curve or spell it out as explicit `ECParameters`
//!   (9303-11 §9.2 / BSI TR-03110 ask cards to do so); explicit parameters are matched
//!   against the SEC 2 constants of the NIST curves and the RFC 5639 constants of the
//!   brainpool curves ([`EcCurve`] is shared with PACE and chip authentication, which
//!   compute on every one of them). Signatures on curves without a RustCrypto crate
//!   (brainpoolP192r1, P224r1, P320r1, P512r1) are reported as "unsupported curve"
//!   by name, never a panic.
//! - Verdict: `failed` if a hash, signature or chain check failed, else `clone` if chip
//!   or active authentication failed, else `untrusted` if the signer is not chained to
//!   the trust store, else `genuine` (see [`Verification::finish`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::asn1::{BitString, OctetString, Uint};
use der::{Any, AnyRef, Decode, Encode, Reader, Sequence, SliceReader, Tag, Tagged};
use serde::{Deserialize, Serialize};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use thiserror::Error;
use x509_cert::ext::pkix::AuthorityKeyIdentifier;
use x509_cert::Certificate;

use crate::card::lds::sod::{HashAlg, ParsedCertificate, SignedObject, Sod, ID_CSCA_MASTER_LIST};

// ---------------------------------------------------------------------------------------
// The result, as `cccd-kiosk read` prints it (DESIGN.md, `verification`).

/// Overall passive-authentication result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaStatus {
    /// Hashes, signature and chain to a trusted CSCA all verified.
    Valid,
    /// A hash, the signature or the chain check failed, or EF.SOD is unreadable.
    Failed,
    /// Hashes and signature verified, but the signer chains to no trusted CSCA.
    Untrusted,
}

/// One data group's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DgStatus {
    /// Read, and its hash matches the SOD.
    Ok,
    /// Read, and its hash differs from the SOD: the data were altered.
    Mismatch,
    /// Hashed in the SOD, but the chip says the file does not exist.
    Missing,
    /// Hashed in the SOD, refused by the chip (6982) or not attempted.
    NotRead,
}

/// Whether the DS certificate chains to the trust store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainStatus {
    Trusted,
    Untrusted,
}

/// Result of chip authentication or active authentication, set by the reader after
/// [`verify`] (clone detection is another module's job).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthResult {
    Passed,
    Failed,
    #[default]
    NotSupported,
}

/// The one word a kiosk acts on (exit 0 only for `genuine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Genuine,
    Untrusted,
    Failed,
    Clone,
}

/// `verification` in the `read` JSON, field for field (DESIGN.md "Fixed contracts").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub passive_auth: PaStatus,
    /// DG number → status, one entry per DG the SOD hashes (keys serialise as strings).
    pub data_groups: BTreeMap<u8, DgStatus>,
    /// The SignerInfo's attributes and signature verified with the embedded DS key.
    pub signature: bool,
    pub chain: ChainStatus,
    pub chip_auth: AuthResult,
    pub active_auth: AuthResult,
    pub verdict: Verdict,
    /// Failures and warnings, each naming what it is about.
    pub errors: Vec<String>,
}

impl Verification {
    /// Recompute `verdict` from the parts. Call again after setting `chip_auth` or
    /// `active_auth`, so the verdict can never disagree with what it summarises.
    ///
    /// Precedence: `clone` (chip or active authentication failed) wins over everything,
    /// passive authentication's result included — issue 8: a chip failing CA or AA "is
    /// shown as a possible clone, whatever its passive authentication says"; a PA failure
    /// still lists its reasons in `errors`. Then `failed`, `untrusted`, `genuine`.
    pub fn finish(&mut self) {
        self.verdict =
            if self.chip_auth == AuthResult::Failed || self.active_auth == AuthResult::Failed {
                Verdict::Clone
            } else if self.passive_auth == PaStatus::Failed {
                Verdict::Failed
            } else if self.passive_auth == PaStatus::Untrusted {
                Verdict::Untrusted
            } else {
                Verdict::Genuine
            };
    }

    /// Set the chip-authentication and active-authentication results and recompute the
    /// verdict.
    pub fn set_chip_results(&mut self, chip_auth: AuthResult, active_auth: AuthResult) {
        self.chip_auth = chip_auth;
        self.active_auth = active_auth;
        self.finish();
    }
}

/// What the reader got when it asked for a data group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DgState {
    /// The whole EF, tag and length included (that is what the SOD hashes).
    Read(Vec<u8>),
    /// The chip answered 6982 (security status not satisfied), e.g. DG3 without EAC.
    Refused,
    /// The chip answered 6A82 (file not found).
    NotFound,
    /// The reader did not ask. Same as the DG being absent from the map.
    NotRead,
}

// ---------------------------------------------------------------------------------------
// Verification.

/// Verify EF.SOD against the data groups read and the trust store, at time `now`.
///
/// Never fails: whatever is wrong ends up in `errors` with `passive_auth: failed`, because
/// the kiosk must still print (and the back office keep) the record. `chip_auth` and
/// `active_auth` start as `not_supported`; see [`Verification::set_chip_results`].
pub fn verify(
    sod: &[u8],
    data_groups: &BTreeMap<u8, DgState>,
    trust: &TrustStore,
    now: DateTime<Utc>,
) -> Verification {
    let mut v = Verification {
        passive_auth: PaStatus::Failed,
        data_groups: BTreeMap::new(),
        signature: false,
        chain: ChainStatus::Untrusted,
        chip_auth: AuthResult::NotSupported,
        active_auth: AuthResult::NotSupported,
        verdict: Verdict::Failed,
        errors: Vec::new(),
    };
    let sod = match Sod::parse(sod) {
        Ok(sod) => sod,
        Err(e) => {
            v.errors.push(e.to_string());
            v.finish();
            return v;
        }
    };

    let hashes_ok = check_hashes(&sod, data_groups, &mut v);

    let chain = match sod.document_signer() {
        None => {
            v.errors.push(
                "EF.SOD embeds no document-signer certificate matching its SignerInfo".into(),
            );
            ChainOutcome::NoIssuer
        }
        Some(ds) => {
            let problems = check_signer(&sod.signed, ds);
            v.signature = problems.is_empty();
            v.errors.extend(problems);
            validity_warnings("document-signer", ds, now, &mut v.errors);
            check_chain(ds, trust, now, &mut v.errors)
        }
    };
    v.chain = if chain == ChainOutcome::Trusted {
        ChainStatus::Trusted
    } else {
        ChainStatus::Untrusted
    };
    v.passive_auth = if !hashes_ok || !v.signature || chain == ChainOutcome::Failed {
        PaStatus::Failed
    } else if chain == ChainOutcome::NoIssuer {
        PaStatus::Untrusted
    } else {
        PaStatus::Valid
    };
    v.finish();
    v
}

/// Step 1: data-group hashes. Returns false when one fails.
fn check_hashes(sod: &Sod, data_groups: &BTreeMap<u8, DgState>, v: &mut Verification) -> bool {
    let mut ok = true;
    let alg = sod.lds.hash_alg();
    if alg.is_none() {
        v.errors.push(format!(
            "EF.SOD: data-group hash algorithm {} is not supported",
            sod.lds.hash_algorithm.oid
        ));
        ok = false;
    }
    for (&dg, expected) in sod.dg_hashes() {
        let status = match data_groups.get(&dg) {
            Some(DgState::Read(bytes)) => match alg {
                Some(alg) if alg.digest(bytes) == *expected => DgStatus::Ok,
                Some(_) => {
                    v.errors.push(format!(
                        "DG{dg} hash mismatch: the data group differs from what the document signer signed"
                    ));
                    ok = false;
                    DgStatus::Mismatch
                }
                None => DgStatus::Mismatch,
            },
            Some(DgState::NotFound) => {
                v.errors.push(format!(
                    "DG{dg} is missing: EF.SOD hashes it but the chip reports no such file"
                ));
                ok = false;
                DgStatus::Missing
            }
            Some(DgState::Refused) | Some(DgState::NotRead) | None => DgStatus::NotRead,
        };
        v.data_groups.insert(dg, status);
    }
    for (&dg, state) in data_groups {
        if matches!(state, DgState::Read(_)) && !sod.dg_hashes().contains_key(&dg) {
            v.errors.push(format!(
                "DG{dg} was read but EF.SOD has no hash for it: its data are not authenticated"
            ));
            ok = false;
        }
    }
    ok
}

/// Step 2 for any CMS SignedData (EF.SOD or a master list): signed attributes and
/// signature against `signer`. Returns the problems found (empty = verified).
fn check_signer(signed: &SignedObject, signer: &ParsedCertificate) -> Vec<String> {
    let mut problems = Vec::new();
    let info = &signed.signer;
    let digest = HashAlg::from_oid(&info.digest_alg.oid);
    let message: &[u8] = match &info.signed_attrs_der {
        Some(attrs) => {
            match info.content_type {
                Some(ct) if ct == signed.econtent_type => {}
                Some(ct) => problems.push(format!(
                    "signed attribute contentType ({ct}) differs from the eContentType ({})",
                    signed.econtent_type
                )),
                None => problems.push("signed attribute contentType is missing".into()),
            }
            match (digest, &info.message_digest) {
                (None, _) => problems.push(format!(
                    "SignerInfo digest algorithm {} is not supported",
                    info.digest_alg.oid
                )),
                (Some(_), None) => {
                    problems.push("signed attribute messageDigest is missing".into())
                }
                (Some(h), Some(md)) if h.digest(&signed.econtent) == *md => {}
                (Some(_), Some(_)) => problems.push(
                    "signed attribute messageDigest does not match the hash of the signed content"
                        .into(),
                ),
            }
            attrs
        }
        None => &signed.econtent,
    };
    match verify_signature(
        &signer.cert.tbs_certificate.subject_public_key_info,
        &info.signature_alg,
        message,
        &info.signature,
        digest,
    ) {
        Ok(()) => {}
        Err(SigError::Invalid) => {
            let what = if info.signed_attrs_der.is_some() {
                "signed attributes"
            } else {
                "eContent"
            };
            problems.push(format!("signature over {what} does not verify"));
        }
        Err(e) => problems.push(format!(
            "document signer's signature cannot be checked: {e}"
        )),
    }
    problems
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChainOutcome {
    Trusted,
    /// No CSCA in the store has the DS's issuer name (and key identifier).
    NoIssuer,
    /// A CSCA that should have issued the DS does not verify its signature.
    Failed,
}

/// Step 3: DS certificate → CSCA in the trust store.
fn check_chain(
    ds: &ParsedCertificate,
    trust: &TrustStore,
    now: DateTime<Utc>,
    errors: &mut Vec<String>,
) -> ChainOutcome {
    let issuer = &ds.cert.tbs_certificate.issuer;
    if trust.is_empty() {
        errors.push(format!(
            "trust store is empty: document signer (issuer {issuer}) not issued by any trusted CSCA"
        ));
        return ChainOutcome::NoIssuer;
    }
    let aki = authority_key_id(&ds.cert);
    let mut candidates = trust.certs.iter().filter(|csca| {
        csca.cert.tbs_certificate.subject == *issuer
            && match (&aki, csca.subject_key_identifier()) {
                (Some(aki), Some(ski)) => *aki == ski,
                _ => true,
            }
    });
    let Some(first) = candidates.next() else {
        errors.push(format!(
            "document signer not issued by any trusted CSCA (issuer {issuer})"
        ));
        return ChainOutcome::NoIssuer;
    };
    let mut last_error = None;
    for csca in std::iter::once(first).chain(candidates) {
        match verify_certificate_signature(ds, csca) {
            Ok(()) => {
                validity_warnings("CSCA", csca, now, errors);
                return ChainOutcome::Trusted;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let reason = match last_error {
        Some(SigError::Invalid) | None => "signature does not verify".to_string(),
        Some(e) => e.to_string(),
    };
    errors.push(format!(
        "document-signer certificate not verified by CSCA {issuer}: {reason}"
    ));
    ChainOutcome::Failed
}

fn authority_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    match cert.tbs_certificate.get::<AuthorityKeyIdentifier>() {
        Ok(Some((_, aki))) => aki.key_identifier.map(|k| k.as_bytes().to_vec()),
        _ => None,
    }
}

/// `subject`'s certificate signature, verified with `issuer`'s key.
fn verify_certificate_signature(
    subject: &ParsedCertificate,
    issuer: &ParsedCertificate,
) -> Result<(), SigError> {
    let signature = subject
        .cert
        .signature
        .as_bytes()
        .ok_or(SigError::BadSignature)?;
    verify_signature(
        &issuer.cert.tbs_certificate.subject_public_key_info,
        &subject.cert.signature_algorithm,
        &subject.tbs_der,
        signature,
        None,
    )
}

fn validity_warnings(
    role: &str,
    cert: &ParsedCertificate,
    now: DateTime<Utc>,
    errors: &mut Vec<String>,
) {
    let validity = &cert.cert.tbs_certificate.validity;
    let to_chrono = |t: x509_cert::time::Time| {
        let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
        DateTime::<Utc>::from_timestamp(secs, 0)
    };
    let subject = &cert.cert.tbs_certificate.subject;
    if let Some(not_after) = to_chrono(validity.not_after) {
        if now > not_after {
            errors.push(format!(
                "warning: {role} certificate ({subject}) expired on {}; not a failure, cards outlive their signers",
                not_after.format("%Y-%m-%d")
            ));
        }
    }
    if let Some(not_before) = to_chrono(validity.not_before) {
        if now < not_before {
            errors.push(format!(
                "warning: {role} certificate ({subject}) is not valid before {}; is the kiosk clock wrong?",
                not_before.format("%Y-%m-%d")
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Signatures.

/// Why a signature could not be verified.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SigError {
    #[error("signature algorithm {0} is not supported")]
    UnsupportedAlgorithm(ObjectIdentifier),
    #[error("signature algorithm {0} needs a digest algorithm and none is known")]
    NoDigest(ObjectIdentifier),
    #[error("public key algorithm {0} is not supported")]
    UnsupportedKey(ObjectIdentifier),
    #[error("unsupported curve: {0}")]
    UnsupportedCurve(String),
    #[error("malformed public key: {0}")]
    BadKey(String),
    #[error("RSASSA-PSS parameters: {0}")]
    BadPssParams(String),
    #[error("{scheme} signature algorithm with a {key} key")]
    KeyMismatch {
        scheme: &'static str,
        key: &'static str,
    },
    #[error("malformed signature value")]
    BadSignature,
    #[error("signature does not verify")]
    Invalid,
}

const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const OID_RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_PRIME_FIELD: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.1.1");
const OID_SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_BRAINPOOLP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.7");
const OID_SECP192R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.1");
const OID_SECP224R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.33");
const OID_SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_BRAINPOOLP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.11");

/// RSA PKCS#1 v1.5 signature OIDs (RFC 8017 App. C, RFC 4055 §5).
const RSA_PKCS1: [(&str, HashAlg); 5] = [
    ("1.2.840.113549.1.1.5", HashAlg::Sha1),
    ("1.2.840.113549.1.1.14", HashAlg::Sha224),
    ("1.2.840.113549.1.1.11", HashAlg::Sha256),
    ("1.2.840.113549.1.1.12", HashAlg::Sha384),
    ("1.2.840.113549.1.1.13", HashAlg::Sha512),
];
/// ECDSA signature OIDs, X9.62 DER signatures (RFC 5758 §3.2).
const ECDSA_X962: [(&str, HashAlg); 5] = [
    ("1.2.840.10045.4.1", HashAlg::Sha1),
    ("1.2.840.10045.4.3.1", HashAlg::Sha224),
    ("1.2.840.10045.4.3.2", HashAlg::Sha256),
    ("1.2.840.10045.4.3.3", HashAlg::Sha384),
    ("1.2.840.10045.4.3.4", HashAlg::Sha512),
];
/// ECDSA "plain" signature OIDs, r‖s (BSI TR-03111 §5.2.1), used by some eMRTD signers.
const ECDSA_PLAIN: [(&str, HashAlg); 5] = [
    ("0.4.0.127.0.7.1.1.4.1.1", HashAlg::Sha1),
    ("0.4.0.127.0.7.1.1.4.1.2", HashAlg::Sha224),
    ("0.4.0.127.0.7.1.1.4.1.3", HashAlg::Sha256),
    ("0.4.0.127.0.7.1.1.4.1.4", HashAlg::Sha384),
    ("0.4.0.127.0.7.1.1.4.1.5", HashAlg::Sha512),
];
/// Curves we can name but not compute on (no RustCrypto crate; RFC 5639 §4.1 OIDs).
const UNSUPPORTED_CURVES: [(&str, &str); 4] = [
    ("1.3.36.3.3.2.8.1.1.3", "brainpoolP192r1"),
    ("1.3.36.3.3.2.8.1.1.5", "brainpoolP224r1"),
    ("1.3.36.3.3.2.8.1.1.9", "brainpoolP320r1"),
    ("1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1"),
];

fn lookup<T: Copy>(table: &[(&str, T)], oid: &ObjectIdentifier) -> Option<T> {
    table
        .iter()
        .find(|(s, _)| ObjectIdentifier::new(s).map(|o| o == *oid).unwrap_or(false))
        .map(|(_, t)| *t)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    RsaPkcs1(HashAlg),
    RsaPss { hash: HashAlg, salt_len: usize },
    Ecdsa { hash: HashAlg, plain: bool },
}

impl Scheme {
    fn from_algorithm(
        alg: &AlgorithmIdentifierOwned,
        digest_hint: Option<HashAlg>,
    ) -> Result<Scheme, SigError> {
        let oid = alg.oid;
        if let Some(h) = lookup(&RSA_PKCS1, &oid) {
            return Ok(Scheme::RsaPkcs1(h));
        }
        if let Some(h) = lookup(&ECDSA_X962, &oid) {
            return Ok(Scheme::Ecdsa {
                hash: h,
                plain: false,
            });
        }
        if let Some(h) = lookup(&ECDSA_PLAIN, &oid) {
            return Ok(Scheme::Ecdsa {
                hash: h,
                plain: true,
            });
        }
        if oid == OID_RSASSA_PSS {
            return pss_scheme(alg.parameters.as_ref());
        }
        // Some signers put the key algorithm where the signature algorithm belongs;
        // the hash is then the SignerInfo's digestAlgorithm.
        if oid == OID_RSA_ENCRYPTION {
            return digest_hint
                .map(Scheme::RsaPkcs1)
                .ok_or(SigError::NoDigest(oid));
        }
        if oid == OID_EC_PUBLIC_KEY {
            return digest_hint
                .map(|hash| Scheme::Ecdsa { hash, plain: false })
                .ok_or(SigError::NoDigest(oid));
        }
        Err(SigError::UnsupportedAlgorithm(oid))
    }
}

/// RSASSA-PSS-params (RFC 4055 §3.1); absent fields take their defaults
/// (SHA-1, MGF1 with SHA-1, salt 20, trailer 1), which `pkcs1::RsaPssParams` applies.
fn pss_scheme(params: Option<&Any>) -> Result<Scheme, SigError> {
    let (hash_oid, mgf_oid, mgf_hash_oid, salt_len) = match params {
        None => {
            let sha1 = HashAlg::Sha1.oid();
            (sha1, OID_MGF1, Some(sha1), 20usize)
        }
        Some(any) => {
            let p: rsa::pkcs1::RsaPssParams<'_> = any
                .decode_as()
                .map_err(|e| SigError::BadPssParams(e.to_string()))?;
            if p.trailer_field != rsa::pkcs1::TrailerField::BC {
                return Err(SigError::BadPssParams(
                    "trailer field is not 1 (0xBC)".into(),
                ));
            }
            (
                p.hash.oid,
                p.mask_gen.oid,
                p.mask_gen.parameters.map(|h| h.oid),
                usize::from(p.salt_len),
            )
        }
    };
    let hash = HashAlg::from_oid(&hash_oid)
        .ok_or_else(|| SigError::BadPssParams(format!("hash {hash_oid} is not supported")))?;
    if mgf_oid != OID_MGF1 {
        return Err(SigError::BadPssParams(format!(
            "mask generation {mgf_oid} is not MGF1"
        )));
    }
    if mgf_hash_oid != Some(hash_oid) {
        return Err(SigError::BadPssParams(
            "MGF1 hash differs from the message hash (not supported)".into(),
        ));
    }
    Ok(Scheme::RsaPss { hash, salt_len })
}

/// Curves we recognise in keys: signatures verify on all of them; ECDH
/// (PACE, chip authentication) computes on all of them (`card::pace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EcCurve {
    /// NIST P-192 (secp192r1), PACE standardized parameters id 8.
    P192,
    /// NIST P-224 (secp224r1), id 10.
    P224,
    /// NIST P-256 (secp256r1), id 12.
    P256,
    /// NIST P-384 (secp384r1), id 15.
    P384,
    /// NIST P-521 (secp521r1), id 18; 66-byte field elements and scalars.
    P521,
    /// brainpoolP256r1 (RFC 5639 §3.4), PACE standardized parameters id 13.
    BrainpoolP256r1,
    /// brainpoolP384r1 (RFC 5639 §3.6), id 16.
    BrainpoolP384r1,
}

enum PublicKey {
    Rsa(rsa::RsaPublicKey),
    P192(p192::ecdsa::VerifyingKey),
    P224(p224::ecdsa::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    /// ecdsa 0.17 (the family bp256 belongs to), not 0.16 like p256/p384.
    BrainpoolP256r1(ecdsa17::VerifyingKey<bp256::BrainpoolP256r1>),
    BrainpoolP384r1(ecdsa17::VerifyingKey<bp384::BrainpoolP384r1>),
}

impl PublicKey {
    fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<PublicKey, SigError> {
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| SigError::BadKey("subjectPublicKey has unused bits".into()))?;
        let oid = spki.algorithm.oid;
        if oid == OID_RSA_ENCRYPTION || oid == OID_RSASSA_PSS {
            use rsa::pkcs1::DecodeRsaPublicKey;
            return rsa::RsaPublicKey::from_pkcs1_der(bits)
                .map(PublicKey::Rsa)
                .map_err(|e| SigError::BadKey(format!("RSA: {e}")));
        }
        if oid == OID_EC_PUBLIC_KEY {
            let curve = curve_of(spki.algorithm.parameters.as_ref())?;
            let not_on = || SigError::BadKey(format!("not a point on {}", curve.name()));
            return match curve {
                EcCurve::P192 => p192::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                    .map(PublicKey::P192)
                    .map_err(|_| not_on()),
                EcCurve::P224 => p224::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                    .map(PublicKey::P224)
                    .map_err(|_| not_on()),
                EcCurve::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                    .map(PublicKey::P256)
                    .map_err(|_| not_on()),
                EcCurve::P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                    .map(PublicKey::P384)
                    .map_err(|_| not_on()),
                EcCurve::P521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                    .map(PublicKey::P521)
                    .map_err(|_| not_on()),
                EcCurve::BrainpoolP256r1 => ecdsa17::VerifyingKey::from_sec1_bytes(bits)
                    .map(PublicKey::BrainpoolP256r1)
                    .map_err(|_| not_on()),
                EcCurve::BrainpoolP384r1 => ecdsa17::VerifyingKey::from_sec1_bytes(bits)
                    .map(PublicKey::BrainpoolP384r1)
                    .map_err(|_| not_on()),
            };
        }
        Err(SigError::UnsupportedKey(oid))
    }

    /// Bytes of the key's field (EC keys; 0 for RSA).
    fn field_len(&self) -> usize {
        match self {
            PublicKey::Rsa(_) => 0,
            PublicKey::P192(_) => EcCurve::P192.field_len(),
            PublicKey::P224(_) => EcCurve::P224.field_len(),
            PublicKey::P256(_) => EcCurve::P256.field_len(),
            PublicKey::P384(_) => EcCurve::P384.field_len(),
            PublicKey::P521(_) => EcCurve::P521.field_len(),
            PublicKey::BrainpoolP256r1(_) => EcCurve::BrainpoolP256r1.field_len(),
            PublicKey::BrainpoolP384r1(_) => EcCurve::BrainpoolP384r1.field_len(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            PublicKey::Rsa(_) => "RSA",
            _ => "EC",
        }
    }
}

/// The curve of an `id-ecPublicKey` AlgorithmIdentifier's parameters: a named-curve
/// OID or explicit `ECParameters` matched against the known curves.
pub fn curve_of(params: Option<&Any>) -> Result<EcCurve, SigError> {
    let params =
        params.ok_or_else(|| SigError::BadKey("EC key without curve parameters".into()))?;
    if params.tag() == Tag::ObjectIdentifier {
        let oid: ObjectIdentifier = params
            .decode_as()
            .map_err(|e| SigError::BadKey(e.to_string()))?;
        if let Some(curve) = EcCurve::ALL.into_iter().find(|c| c.oid() == oid) {
            return Ok(curve);
        }
        let name = lookup(&UNSUPPORTED_CURVES, &oid).map(str::to_string);
        return Err(SigError::UnsupportedCurve(
            name.unwrap_or_else(|| oid.to_string()),
        ));
    }
    if params.tag() == Tag::Sequence {
        let explicit: EcParameters = params.decode_as().map_err(|_| {
            SigError::UnsupportedCurve(
                "explicit parameters not over a prime field or malformed".into(),
            )
        })?;
        return explicit.named_curve();
    }
    Err(SigError::BadKey(format!(
        "EC parameters of tag {}",
        params.tag()
    )))
}

/// Verify `signature` over `message` with the key in `spki`, by the algorithm `alg`.
/// `digest_hint` is the SignerInfo's digest algorithm, for signers that write a bare key
/// algorithm (`rsaEncryption`, `id-ecPublicKey`) as signature algorithm.
pub fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
    digest_hint: Option<HashAlg>,
) -> Result<(), SigError> {
    let scheme = Scheme::from_algorithm(alg, digest_hint)?;
    let key = PublicKey::from_spki(spki)?;
    match (scheme, &key) {
        (Scheme::RsaPkcs1(hash), PublicKey::Rsa(k)) => k
            .verify(pkcs1v15(hash), &hash.digest(message), signature)
            .map_err(|_| SigError::Invalid),
        (Scheme::RsaPss { hash, salt_len }, PublicKey::Rsa(k)) => k
            .verify(pss(hash, salt_len), &hash.digest(message), signature)
            .map_err(|_| SigError::Invalid),
        (Scheme::Ecdsa { hash, plain }, _) => {
            verify_ecdsa(&key, &hash.digest(message), signature, plain)
        }
        (_, _) => Err(SigError::KeyMismatch {
            scheme: "RSA",
            key: key.kind(),
        }),
    }
}

/// Verify an ECDSA signature (X9.62 DER, or `plain` r‖s) over a message digest.
fn verify_ecdsa(
    key: &PublicKey,
    digest: &[u8],
    signature: &[u8],
    plain: bool,
) -> Result<(), SigError> {
    let digest = ecdsa_prehash(digest, key.field_len());
    // One arm per curve crate: the 0.13 family (ecdsa 0.16) and the 0.14
    // family (bp256, bp384: ecdsa 0.17) have the same calls.
    macro_rules! verify {
        ($k:expr, $sig:ty) => {{
            let sig = if plain {
                <$sig>::from_slice(signature)
            } else {
                <$sig>::from_der(signature)
            }
            .map_err(|_| SigError::BadSignature)?;
            $k.verify_prehash(&digest, &sig)
                .map_err(|_| SigError::Invalid)
        }};
    }
    use ecdsa17::signature::hazmat::PrehashVerifier as _;
    use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
    match key {
        PublicKey::P192(k) => verify!(k, p192::ecdsa::Signature),
        PublicKey::P224(k) => verify!(k, p224::ecdsa::Signature),
        PublicKey::P256(k) => verify!(k, p256::ecdsa::Signature),
        PublicKey::P384(k) => verify!(k, p384::ecdsa::Signature),
        PublicKey::P521(k) => verify!(k, p521::ecdsa::Signature),
        PublicKey::BrainpoolP256r1(k) => {
            verify!(k, ecdsa17::Signature<bp256::BrainpoolP256r1>)
        }
        PublicKey::BrainpoolP384r1(k) => {
            verify!(k, ecdsa17::Signature<bp384::BrainpoolP384r1>)
        }
        PublicKey::Rsa(_) => Err(SigError::KeyMismatch {
            scheme: "ECDSA",
            key: key.kind(),
        }),
    }
}

/// The ECDSA message representative as the curve crates take it: a digest shorter
/// than the field is left-padded with zeros to `field_len` bytes. That is the same
/// integer (FIPS 186-5 §6.4.1: the whole hash when it is shorter than n), but the
/// `ecdsa` crates refuse prehashes under half the field size (SHA-256 on P-521,
/// SHA-1 on brainpoolP384r1).
pub fn ecdsa_prehash(digest: &[u8], field_len: usize) -> Vec<u8> {
    let mut out = vec![0u8; field_len.saturating_sub(digest.len())];
    out.extend_from_slice(digest);
    out
}

fn pkcs1v15(hash: HashAlg) -> rsa::Pkcs1v15Sign {
    match hash {
        HashAlg::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
        HashAlg::Sha224 => rsa::Pkcs1v15Sign::new::<sha2::Sha224>(),
        HashAlg::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
        HashAlg::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
        HashAlg::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
    }
}

fn pss(hash: HashAlg, salt_len: usize) -> rsa::Pss {
    match hash {
        HashAlg::Sha1 => rsa::Pss::new_with_salt::<sha1::Sha1>(salt_len),
        HashAlg::Sha224 => rsa::Pss::new_with_salt::<sha2::Sha224>(salt_len),
        HashAlg::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(salt_len),
        HashAlg::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(salt_len),
        HashAlg::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(salt_len),
    }
}

// ---------------------------------------------------------------------------------------
// Explicit EC domain parameters.

/// `FieldID` for a prime field: `SEQUENCE { prime-field OID, p INTEGER }` (SEC 1 §C.1).
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct PrimeFieldId {
    pub field_type: ObjectIdentifier,
    pub prime: Uint,
}

/// `Curve ::= SEQUENCE { a, b, seed BIT STRING OPTIONAL }` (SEC 1 §C.2).
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct CurveCoefficients {
    pub a: OctetString,
    pub b: OctetString,
    #[asn1(optional = "true")]
    pub seed: Option<BitString>,
}

/// `SpecifiedECDomain` (SEC 1 §C.2), the explicit form of EC parameters that
/// 9303-11 §9.2 and BSI TR-03110 ask eMRTD keys to carry.
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct EcParameters {
    pub version: u8,
    pub field_id: PrimeFieldId,
    pub curve: CurveCoefficients,
    /// The base point G, SEC 1 encoded.
    pub base: OctetString,
    pub order: Uint,
    #[asn1(optional = "true")]
    pub cofactor: Option<Uint>,
}

/// Domain parameters, big-endian hex: SEC 2 v2 (secp192r1 §2.2.2, secp224r1 §2.3.2,
/// secp256r1 §2.4.2, secp384r1 §2.5.1, secp521r1 §2.6.1) and RFC 5639 (brainpoolP256r1
/// §3.4, brainpoolP384r1 §3.6). The unit test `every_curves_constants_are_the_crates`
/// checks each against its curve crate.
struct CurveConstants {
    p: &'static str,
    a: &'static str,
    b: &'static str,
    gx: &'static str,
    gy: &'static str,
    n: &'static str,
}

const P192_CONSTANTS: CurveConstants = CurveConstants {
    p: "fffffffffffffffffffffffffffffffeffffffffffffffff",
    a: "fffffffffffffffffffffffffffffffefffffffffffffffc",
    b: "64210519e59c80e70fa7e9ab72243049feb8deecc146b9b1",
    gx: "188da80eb03090f67cbf20eb43a18800f4ff0afd82ff1012",
    gy: "07192b95ffc8da78631011ed6b24cdd573f977a11e794811",
    n: "ffffffffffffffffffffffff99def836146bc9b1b4d22831",
};

const P224_CONSTANTS: CurveConstants = CurveConstants {
    p: "ffffffffffffffffffffffffffffffff000000000000000000000001",
    a: "fffffffffffffffffffffffffffffffefffffffffffffffffffffffe",
    b: "b4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4",
    gx: "b70e0cbd6bb4bf7f321390b94a03c1d356c21122343280d6115c1d21",
    gy: "bd376388b5f723fb4c22dfe6cd4375a05a07476444d5819985007e34",
    n: "ffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3d",
};

const P256_CONSTANTS: CurveConstants = CurveConstants {
    p: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
    a: "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
    b: "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
    gx: "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
    gy: "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
    n: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
};

const P384_CONSTANTS: CurveConstants = CurveConstants {
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
    a: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffc",
    b: "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
    gx: "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7",
    gy: "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
    n: "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
};

const P521_CONSTANTS: CurveConstants = CurveConstants {
    p: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    a: "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc",
    b: "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
    gx: "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66",
    gy: "011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
    n: "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
};

/// RFC 5639 §3.4 brainpoolP256r1 domain parameters, big-endian hex.
const BRAINPOOLP256R1_CONSTANTS: CurveConstants = CurveConstants {
    p: "a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377",
    a: "7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9",
    b: "26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6",
    gx: "8bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262",
    gy: "547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997",
    n: "a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7",
};

/// RFC 5639 §3.6 brainpoolP384r1 domain parameters, big-endian hex.
const BRAINPOOLP384R1_CONSTANTS: CurveConstants = CurveConstants {
    p: "8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53",
    a: "7bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826",
    b: "04a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c11",
    gx: "1d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e",
    gy: "8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c5315",
    n: "8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565",
};

impl EcCurve {
    /// Every curve we recognise, in the order of their PACE parameter ids (also the
    /// order explicit parameters are matched in).
    pub const ALL: [EcCurve; 7] = [
        EcCurve::P192,
        EcCurve::P224,
        EcCurve::P256,
        EcCurve::BrainpoolP256r1,
        EcCurve::P384,
        EcCurve::BrainpoolP384r1,
        EcCurve::P521,
    ];

    fn constants(self) -> &'static CurveConstants {
        match self {
            EcCurve::P192 => &P192_CONSTANTS,
            EcCurve::P224 => &P224_CONSTANTS,
            EcCurve::P256 => &P256_CONSTANTS,
            EcCurve::P384 => &P384_CONSTANTS,
            EcCurve::P521 => &P521_CONSTANTS,
            EcCurve::BrainpoolP256r1 => &BRAINPOOLP256R1_CONSTANTS,
            EcCurve::BrainpoolP384r1 => &BRAINPOOLP384R1_CONSTANTS,
        }
    }

    /// The curve's named-curve OID (RFC 5480 §2.1.1.1, RFC 5639 §4.1).
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            EcCurve::P192 => OID_SECP192R1,
            EcCurve::P224 => OID_SECP224R1,
            EcCurve::P256 => OID_SECP256R1,
            EcCurve::P384 => OID_SECP384R1,
            EcCurve::P521 => OID_SECP521R1,
            EcCurve::BrainpoolP256r1 => OID_BRAINPOOLP256R1,
            EcCurve::BrainpoolP384r1 => OID_BRAINPOOLP384R1,
        }
    }

    /// Human name for messages.
    pub fn name(self) -> &'static str {
        match self {
            EcCurve::P192 => "P-192",
            EcCurve::P224 => "P-224",
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
            EcCurve::P521 => "P-521",
            EcCurve::BrainpoolP256r1 => "brainpoolP256r1",
            EcCurve::BrainpoolP384r1 => "brainpoolP384r1",
        }
    }

    /// Bytes of a field element (and of a scalar): 24, 28, 32, 48 or 66 (P-521).
    pub fn field_len(self) -> usize {
        match self {
            EcCurve::P192 => 24,
            EcCurve::P224 => 28,
            EcCurve::P256 | EcCurve::BrainpoolP256r1 => 32,
            EcCurve::P384 | EcCurve::BrainpoolP384r1 => 48,
            EcCurve::P521 => 66,
        }
    }

    /// The group order n, big-endian, `field_len` bytes.
    pub fn order(self) -> Vec<u8> {
        hex::decode(self.constants().n).unwrap_or_default()
    }

    /// The curve's explicit `ECParameters` (uncompressed base point, cofactor 1), as a
    /// personaliser following 9303-11 §9.2 writes them.
    pub fn explicit_parameters(self) -> Result<EcParameters, der::Error> {
        let c = self.constants();
        let hex = |s: &str| hex::decode(s).map_err(|_| der::Error::from(der::ErrorKind::Failed));
        let mut base = vec![0x04];
        base.extend(hex(c.gx)?);
        base.extend(hex(c.gy)?);
        Ok(EcParameters {
            version: 1,
            field_id: PrimeFieldId {
                field_type: OID_PRIME_FIELD,
                prime: Uint::new(&hex(c.p)?)?,
            },
            curve: CurveCoefficients {
                a: OctetString::new(hex(c.a)?)?,
                b: OctetString::new(hex(c.b)?)?,
                seed: None,
            },
            base: OctetString::new(base)?,
            order: Uint::new(&hex(c.n)?)?,
            cofactor: Some(Uint::new(&[1])?),
        })
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or(&[])
}

impl EcParameters {
    /// The named curve these explicit parameters spell out, if it is one we support.
    pub fn named_curve(&self) -> Result<EcCurve, SigError> {
        if self.field_id.field_type != OID_PRIME_FIELD {
            return Err(SigError::UnsupportedCurve(format!(
                "explicit parameters over field type {}",
                self.field_id.field_type
            )));
        }
        for curve in EcCurve::ALL {
            if self.matches(curve.constants()) {
                return Ok(curve);
            }
        }
        let bits = strip_zeros(self.field_id.prime.as_bytes()).len() * 8;
        let known: Vec<&str> = EcCurve::ALL.iter().map(|c| c.name()).collect();
        Err(SigError::UnsupportedCurve(format!(
            "explicit parameters ({bits}-bit prime) match none of {}",
            known.join(", ")
        )))
    }

    fn matches(&self, c: &CurveConstants) -> bool {
        let eq = |value: &[u8], hex_str: &str| {
            hex::decode(hex_str)
                .map(|v| strip_zeros(value) == strip_zeros(&v))
                .unwrap_or(false)
        };
        let cofactor_ok = self
            .cofactor
            .as_ref()
            .is_none_or(|h| strip_zeros(h.as_bytes()) == [1]);
        let base = self.base.as_bytes();
        let base_ok = match base.split_first() {
            Some((0x04, xy)) => {
                let half = xy.len() / 2;
                xy.len() % 2 == 0
                    && xy.get(..half).is_some_and(|x| eq(x, c.gx))
                    && xy.get(half..).is_some_and(|y| eq(y, c.gy))
            }
            // Compressed: x, and the parity of y in the prefix (SEC 1 §2.3.3).
            Some((&prefix @ (0x02 | 0x03), x)) => {
                let y_odd = hex::decode(c.gy)
                    .ok()
                    .and_then(|y| y.last().map(|b| b & 1 == 1));
                eq(x, c.gx) && y_odd == Some(prefix == 0x03)
            }
            _ => false,
        };
        eq(self.field_id.prime.as_bytes(), c.p)
            && eq(self.curve.a.as_bytes(), c.a)
            && eq(self.curve.b.as_bytes(), c.b)
            && eq(self.order.as_bytes(), c.n)
            && base_ok
            && cofactor_ok
    }
}

// ---------------------------------------------------------------------------------------
// Trust store.

/// Why a trust directory could not be loaded. Each names the file.
#[derive(Debug, Error)]
pub enum TrustError {
    #[error("trust store {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("trust store {path}: not a certificate: {source}")]
    Certificate { path: PathBuf, source: der::Error },
    #[error("trust store {path}: PEM: {problem}")]
    Pem { path: PathBuf, problem: String },
    #[error("trust store {path}: self-signed CSCA certificate whose signature does not verify")]
    SelfSignature { path: PathBuf },
    #[error("trust store {path}: master list: {problem}")]
    MasterList { path: PathBuf, problem: String },
    #[error("trust store: certificate cannot be encoded: {0}")]
    Encode(der::Error),
}

/// The CSCA certificates the kiosk trusts (DESIGN.md "Trust store": provisioned by the
/// operator as certificate files and ICAO master lists; empty until then).
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    certs: Vec<ParsedCertificate>,
    warnings: Vec<String>,
}

impl TrustStore {
    /// No CSCA: every read is `untrusted` (the kiosk's state until one is provisioned).
    pub fn empty() -> TrustStore {
        TrustStore::default()
    }

    /// Trust these certificates (tests, and callers that load certificates themselves).
    pub fn from_certs(certs: Vec<Certificate>) -> Result<TrustStore, TrustError> {
        let mut store = TrustStore::empty();
        for cert in certs {
            let der_bytes = cert.to_der().map_err(TrustError::Encode)?;
            let parsed = ParsedCertificate::from_der(&der_bytes).map_err(TrustError::Encode)?;
            store.add(parsed, Path::new("(in memory)"))?;
        }
        Ok(store)
    }

    /// Load every `.cer .crt .der .pem` (DER or PEM) and `.ml` (ICAO master list) file of
    /// `dir`, in name order; other files and subdirectories are ignored. A file that does
    /// not parse is an error naming it: an operator must learn that a provisioned CSCA
    /// was not loaded. A master list entry that does not parse is skipped with a warning.
    pub fn load_dir(dir: &Path) -> Result<TrustStore, TrustError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TrustError::Io { path, source }
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            if path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        let mut store = TrustStore::empty();
        for path in paths {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            match ext.as_str() {
                "cer" | "crt" | "der" | "pem" => {
                    let bytes = std::fs::read(&path).map_err(io(&path))?;
                    for der_bytes in certificate_ders(&bytes, &path)? {
                        let parsed = ParsedCertificate::from_der(&der_bytes).map_err(|source| {
                            TrustError::Certificate {
                                path: path.clone(),
                                source,
                            }
                        })?;
                        store.add(parsed, &path)?;
                    }
                }
                "ml" => {
                    let bytes = std::fs::read(&path).map_err(io(&path))?;
                    store.add_master_list(&bytes, &path)?;
                }
                _ => {}
            }
        }
        Ok(store)
    }

    /// Number of CSCA certificates trusted.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// True when no CSCA is trusted.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// The trusted certificates.
    pub fn certificates(&self) -> impl Iterator<Item = &Certificate> {
        self.certs.iter().map(|c| &c.cert)
    }

    /// Things the operator should know about the store (skipped master-list entries, an
    /// unverifiable master-list signer).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn add(&mut self, cert: ParsedCertificate, path: &Path) -> Result<(), TrustError> {
        if self_signature_fails(&cert) {
            return Err(TrustError::SelfSignature {
                path: path.to_path_buf(),
            });
        }
        self.push(cert);
        Ok(())
    }

    fn push(&mut self, cert: ParsedCertificate) {
        if !self.certs.iter().any(|c| c.der == cert.der) {
            self.certs.push(cert);
        }
    }

    /// `CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }` in a
    /// CMS SignedData of type id-icao-cscaMasterList (9303-12 §9).
    fn add_master_list(&mut self, bytes: &[u8], path: &Path) -> Result<(), TrustError> {
        let problem = |p: String| TrustError::MasterList {
            path: path.to_path_buf(),
            problem: p,
        };
        let signed = SignedObject::parse(bytes).map_err(|e| problem(e.to_string()))?;
        if signed.econtent_type != ID_CSCA_MASTER_LIST {
            return Err(problem(format!(
                "content type {} is not id-icao-cscaMasterList (2.23.136.1.1.2)",
                signed.econtent_type
            )));
        }
        let ders = master_list_certificates(&signed.econtent)
            .map_err(|e| problem(format!("CscaMasterList is not valid DER: {e}")))?;
        let name = path.display();
        let mut listed = Vec::new();
        for (index, der_bytes) in ders.iter().enumerate() {
            match ParsedCertificate::from_der(der_bytes) {
                Ok(cert) if self_signature_fails(&cert) => self.warnings.push(format!(
                    "{name}: entry #{index} ({}) skipped: self-signature does not verify",
                    cert.cert.tbs_certificate.subject
                )),
                Ok(cert) => listed.push(cert),
                Err(e) => self
                    .warnings
                    .push(format!("{name}: entry #{index} skipped: {e}")),
            }
        }
        // The signer (a master-list signer certificate, issued by a CSCA of the list's
        // issuer) must have signed the content; a tampered list is refused.
        match signed.signer_certificate() {
            None => self.warnings.push(format!(
                "{name}: master-list signer certificate not embedded; the list is trusted as provisioned"
            )),
            Some(signer) => {
                let problems = check_signer(&signed, signer);
                if !problems.is_empty() {
                    return Err(problem(problems.join("; ")));
                }
                let issued = listed.iter().any(|csca| {
                    csca.cert.tbs_certificate.subject == signer.cert.tbs_certificate.issuer
                        && verify_certificate_signature(signer, csca).is_ok()
                });
                if !issued {
                    self.warnings.push(format!(
                        "{name}: master-list signer ({}) is not issued by a CSCA in the list",
                        signer.cert.tbs_certificate.subject
                    ));
                }
            }
        }
        for cert in listed {
            self.push(cert);
        }
        Ok(())
    }
}

/// True when `cert` is self-issued and its signature does not verify with its own key.
/// Link certificates (issued by the previous CSCA key) and algorithms we cannot compute
/// are accepted as provisioned.
fn self_signature_fails(cert: &ParsedCertificate) -> bool {
    let tbs = &cert.cert.tbs_certificate;
    tbs.issuer == tbs.subject && verify_certificate_signature(cert, cert) == Err(SigError::Invalid)
}

/// The DER certificates in a `.cer/.crt/.der/.pem` file: one DER certificate, or any
/// number of PEM `CERTIFICATE` blocks.
fn certificate_ders(bytes: &[u8], path: &Path) -> Result<Vec<Vec<u8>>, TrustError> {
    const BEGIN: &str = "-----BEGIN ";
    const END: &str = "-----END ";
    let text = match std::str::from_utf8(bytes) {
        Ok(text) if text.contains(BEGIN) => text,
        _ => return Ok(vec![bytes.to_vec()]),
    };
    let pem_error = |problem: String| TrustError::Pem {
        path: path.to_path_buf(),
        problem,
    };
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let block = rest.get(start..).unwrap_or_default();
        let unterminated = || pem_error("unterminated PEM block".into());
        let after_end = block.find(END).ok_or_else(unterminated)? + END.len();
        let end = block
            .get(after_end..)
            .and_then(|t| t.find("-----"))
            .ok_or_else(unterminated)?
            + after_end
            + "-----".len();
        let pem = block.get(..end).unwrap_or_default();
        let (label, der_bytes) =
            der::pem::decode_vec(pem.as_bytes()).map_err(|e| pem_error(e.to_string()))?;
        if label == "CERTIFICATE" || label == "X509 CERTIFICATE" {
            out.push(der_bytes);
        }
        rest = block.get(end..).unwrap_or_default();
    }
    if out.is_empty() {
        return Err(pem_error("no CERTIFICATE block".into()));
    }
    Ok(out)
}

/// The raw certificates of a `CscaMasterList` (each kept as found, one bad entry does not
/// hide the others).
fn master_list_certificates(econtent: &[u8]) -> der::Result<Vec<Vec<u8>>> {
    let list = AnyRef::from_der(econtent)?;
    let mut reader = SliceReader::new(list.value())?;
    let _version: u8 = reader.decode()?;
    let set: AnyRef<'_> = reader.decode()?;
    if set.tag() != Tag::Set {
        return Err(der::Error::from(der::ErrorKind::TagUnexpected {
            expected: Some(Tag::Set),
            actual: set.tag(),
        }));
    }
    let mut certs = SliceReader::new(set.value())?;
    let mut out = Vec::new();
    while !certs.is_finished() {
        let cert: AnyRef<'_> = certs.decode()?;
        out.push(cert.to_der()?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::emulator::pki::{
        build_master_list, build_sod, test_pki, untrusted_pki, DocumentSigner, SignerKind, TestPki,
    };
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, 9, 0, 0)
            .single()
            .expect("date")
    }

    fn trusted() -> TrustStore {
        let csca = test_pki().expect("pki").csca_certificate().expect("csca");
        TrustStore::from_certs(vec![csca]).expect("store")
    }

    /// Real-shaped data groups (9303-10 §4.7): DG1 = 0x61 { 5F1F TD1 MRZ }, DG2 = 0x75
    /// { 7F61 biometric group }, DG3 = 0x63 (fingerprints, locked on a CCCD), DG13 =
    /// 0x6D with UTF-8 Vietnamese text.
    fn data_groups() -> BTreeMap<u8, Vec<u8>> {
        use crate::card::tlv::encode;
        let mrz = "IDVNM0901234562079012345678<<<7901011M3901016VNM<<<<<<<<<<<4NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<";
        BTreeMap::from([
            (1, encode(0x61, &encode(0x5F1F, mrz.as_bytes()))),
            (2, encode(0x75, &encode(0x7F61, &encode(0x02, &[0x01])))),
            (3, encode(0x63, &encode(0x7F61, &encode(0x02, &[0x00])))),
            (
                13,
                encode(
                    0x6D,
                    &encode(0x30, &encode(0x0C, "Nguyễn Văn An".as_bytes())),
                ),
            ),
        ])
    }

    fn sod_for(signer: &DocumentSigner, dgs: &BTreeMap<u8, Vec<u8>>, hash: HashAlg) -> Vec<u8> {
        let hashes = dgs.iter().map(|(&n, b)| (n, hash.digest(b))).collect();
        build_sod(&hashes, hash, signer).expect("build sod")
    }

    fn read_all(dgs: &BTreeMap<u8, Vec<u8>>) -> BTreeMap<u8, DgState> {
        dgs.iter()
            .map(|(&n, b)| (n, DgState::Read(b.clone())))
            .collect()
    }

    #[test]
    fn every_signer_kind_verifies_genuine_with_the_test_csca() {
        let trust = trusted();
        let dgs = data_groups();
        for kind in SignerKind::ALL {
            let ds = test_pki().expect("pki").document_signer(kind).expect("ds");
            let v = verify(
                &sod_for(ds, &dgs, kind.hash()),
                &read_all(&dgs),
                &trust,
                now(),
            );
            assert_eq!(v.errors, Vec::<String>::new(), "{kind:?}");
            assert_eq!(v.passive_auth, PaStatus::Valid, "{kind:?}");
            assert!(v.signature, "{kind:?}");
            assert_eq!(v.chain, ChainStatus::Trusted, "{kind:?}");
            assert_eq!(v.verdict, Verdict::Genuine, "{kind:?}");
            assert!(
                v.data_groups.values().all(|s| *s == DgStatus::Ok),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn every_data_group_hash_algorithm_is_checked() {
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let dgs = data_groups();
        for hash in [
            HashAlg::Sha1,
            HashAlg::Sha224,
            HashAlg::Sha256,
            HashAlg::Sha384,
            HashAlg::Sha512,
        ] {
            let sod = sod_for(ds, &dgs, hash);
            assert_eq!(
                verify(&sod, &read_all(&dgs), &trusted(), now()).verdict,
                Verdict::Genuine,
                "{hash:?}"
            );
            let mut tampered = read_all(&dgs);
            tampered.insert(1, DgState::Read(b"a different DG1".to_vec()));
            assert_eq!(
                verify(&sod, &tampered, &trusted(), now()).verdict,
                Verdict::Failed,
                "{hash:?}"
            );
        }
    }

    #[test]
    fn json_is_the_design_contract() {
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let dgs = data_groups();
        let mut states = read_all(&dgs);
        states.insert(3, DgState::Refused);
        let v = verify(
            &sod_for(ds, &dgs, HashAlg::Sha256),
            &states,
            &trusted(),
            now(),
        );
        let json = serde_json::to_value(&v).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "passive_auth": "valid",
                "data_groups": {"1": "ok", "2": "ok", "3": "not_read", "13": "ok"},
                "signature": true, "chain": "trusted",
                "chip_auth": "not_supported", "active_auth": "not_supported",
                "verdict": "genuine", "errors": []
            })
        );
        let back: Verification = serde_json::from_value(json).expect("parse back");
        assert_eq!(back, v);
    }

    #[test]
    fn tampered_data_group_is_a_mismatch_and_fails() {
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::RsaPkcs1Sha256)
            .expect("ds");
        let dgs = data_groups();
        let sod = sod_for(ds, &dgs, HashAlg::Sha256);
        let mut states = read_all(&dgs);
        let mut dg2 = dgs[&2].clone();
        if let Some(last) = dg2.last_mut() {
            *last ^= 0x01;
        }
        states.insert(2, DgState::Read(dg2));
        let v = verify(&sod, &states, &trusted(), now());
        assert_eq!(v.data_groups[&2], DgStatus::Mismatch);
        assert_eq!(v.data_groups[&1], DgStatus::Ok);
        assert_eq!(v.passive_auth, PaStatus::Failed);
        assert!(v.signature, "the SOD itself is intact");
        assert_eq!(v.verdict, Verdict::Failed);
        assert!(
            v.errors.iter().any(|e| e.starts_with("DG2 hash mismatch")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn a_failed_chip_or_active_authentication_is_clone_even_when_passive_auth_failed() {
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::RsaPkcs1Sha256)
            .expect("ds");
        let dgs = data_groups();
        let sod = sod_for(ds, &dgs, HashAlg::Sha256);
        let mut states = read_all(&dgs);
        states.insert(2, DgState::Read(b"a different DG2".to_vec()));
        let pa_failed = verify(&sod, &states, &trusted(), now());
        assert_eq!(pa_failed.passive_auth, PaStatus::Failed);
        let pa_untrusted = verify(&sod, &read_all(&dgs), &TrustStore::empty(), now());
        assert_eq!(pa_untrusted.passive_auth, PaStatus::Untrusted);
        for (base, ca, aa, want) in [
            // PA failed + CA failed: a clone, and the PA failure is still listed.
            (
                &pa_failed,
                AuthResult::Failed,
                AuthResult::NotSupported,
                Verdict::Clone,
            ),
            (
                &pa_failed,
                AuthResult::Passed,
                AuthResult::Failed,
                Verdict::Clone,
            ),
            // PA failed + CA passed: failed.
            (
                &pa_failed,
                AuthResult::Passed,
                AuthResult::Passed,
                Verdict::Failed,
            ),
            (
                &pa_failed,
                AuthResult::Passed,
                AuthResult::NotSupported,
                Verdict::Failed,
            ),
            (
                &pa_untrusted,
                AuthResult::Failed,
                AuthResult::Passed,
                Verdict::Clone,
            ),
            (
                &pa_untrusted,
                AuthResult::Passed,
                AuthResult::Passed,
                Verdict::Untrusted,
            ),
        ] {
            let mut v = base.clone();
            v.set_chip_results(ca, aa);
            assert_eq!(v.verdict, want, "{:?} CA {ca:?} AA {aa:?}", v.passive_auth);
            assert_eq!(v.passive_auth, base.passive_auth, "PA's own result is kept");
            if base.passive_auth == PaStatus::Failed {
                assert!(
                    v.errors.iter().any(|e| e.starts_with("DG2 hash mismatch")),
                    "{:?}",
                    v.errors
                );
            }
        }
    }

    #[test]
    fn flipped_signature_byte_fails() {
        for kind in [SignerKind::RsaPssSha256, SignerKind::EcdsaP384Sha384] {
            let ds = test_pki().expect("pki").document_signer(kind).expect("ds");
            let dgs = data_groups();
            let mut sod = sod_for(ds, &dgs, kind.hash());
            let parsed = Sod::parse(&sod).expect("parse");
            let sig = parsed.signed.signer.signature.clone();
            let at = sod
                .windows(sig.len())
                .position(|w| w == sig.as_slice())
                .expect("signature in file");
            // Flip a byte in the middle of the signature value (inside r for ECDSA DER).
            sod[at + sig.len() / 4] ^= 0x01;
            let v = verify(&sod, &read_all(&dgs), &trusted(), now());
            assert!(!v.signature, "{kind:?}");
            assert_eq!(v.passive_auth, PaStatus::Failed, "{kind:?}");
            assert_eq!(v.verdict, Verdict::Failed, "{kind:?}");
            assert!(
                v.errors.iter().any(|e| e
                    .contains("signature over signed attributes does not verify")
                    || e.contains("malformed signature value")),
                "{kind:?} {:?}",
                v.errors
            );
        }
    }

    #[test]
    fn altered_security_object_breaks_the_message_digest() {
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let dgs = data_groups();
        let mut sod = sod_for(ds, &dgs, HashAlg::Sha256);
        // Replace DG2's hash inside the eContent by the hash of forged data.
        let old = HashAlg::Sha256.digest(&dgs[&2]);
        let forged = HashAlg::Sha256.digest(b"forged face");
        let at = sod
            .windows(32)
            .position(|w| w == old.as_slice())
            .expect("hash in file");
        sod[at..at + 32].copy_from_slice(&forged);
        let mut states = read_all(&dgs);
        states.insert(2, DgState::Read(b"forged face".to_vec()));
        let v = verify(&sod, &states, &trusted(), now());
        assert_eq!(
            v.data_groups[&2],
            DgStatus::Ok,
            "the forger matched the hash..."
        );
        assert!(!v.signature, "...but not the signature");
        assert_eq!(v.verdict, Verdict::Failed);
        assert!(
            v.errors.iter().any(|e| e.contains("messageDigest")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn empty_trust_store_or_foreign_csca_is_untrusted() {
        let dgs = data_groups();
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let v = verify(
            &sod_for(ds, &dgs, HashAlg::Sha256),
            &read_all(&dgs),
            &TrustStore::empty(),
            now(),
        );
        assert_eq!(
            (v.passive_auth, v.chain, v.verdict),
            (
                PaStatus::Untrusted,
                ChainStatus::Untrusted,
                Verdict::Untrusted
            )
        );
        assert!(v.signature);
        assert!(
            v.errors
                .iter()
                .any(|e| e.contains("not issued by any trusted CSCA")),
            "{:?}",
            v.errors
        );

        let foreign = untrusted_pki()
            .expect("pki")
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let v = verify(
            &sod_for(foreign, &dgs, HashAlg::Sha256),
            &read_all(&dgs),
            &trusted(),
            now(),
        );
        assert_eq!(
            (v.passive_auth, v.verdict),
            (PaStatus::Untrusted, Verdict::Untrusted)
        );
        assert!(
            v.errors.iter().any(|e| e.contains("UNTRUSTED TEST CSCA")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn csca_with_the_right_name_but_wrong_key_fails_the_chain() {
        // Same subject as the trusted test CSCA, different key: an impostor issuer.
        let impostor = TestPki::generate(0x0CCC_D000_0000_0001 ^ 0xFF, "TEST").expect("pki");
        let ds = impostor
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let dgs = data_groups();
        let sod = sod_for(ds, &dgs, HashAlg::Sha256);
        // With the AKI present the impostor's DS names another key: not issued by us.
        let v = verify(&sod, &read_all(&dgs), &trusted(), now());
        assert_eq!(v.verdict, Verdict::Untrusted, "{:?}", v.errors);
        // A CSCA store entry without SKI cannot rule it out by key id: the signature must.
        let mut store = trusted();
        for c in &mut store.certs {
            let mut cert = c.cert.clone();
            cert.tbs_certificate.extensions = None;
            c.cert = cert;
        }
        let v = verify(&sod, &read_all(&dgs), &store, now());
        assert_eq!(v.passive_auth, PaStatus::Failed);
        assert_eq!(v.verdict, Verdict::Failed);
        assert!(
            v.errors.iter().any(|e| e.contains("not verified by CSCA")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn refused_dg3_is_not_read_and_still_valid_but_a_missing_dg_fails() {
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::RsaPkcs1Sha256)
            .expect("ds");
        let dgs = data_groups();
        let sod = sod_for(ds, &dgs, HashAlg::Sha256);
        let mut states = read_all(&dgs);
        states.insert(3, DgState::Refused);
        states.remove(&13);
        let v = verify(&sod, &states, &trusted(), now());
        assert_eq!(v.data_groups[&3], DgStatus::NotRead);
        assert_eq!(v.data_groups[&13], DgStatus::NotRead);
        assert_eq!(v.verdict, Verdict::Genuine, "{:?}", v.errors);

        states.insert(13, DgState::NotFound);
        let v = verify(&sod, &states, &trusted(), now());
        assert_eq!(v.data_groups[&13], DgStatus::Missing);
        assert_eq!(v.verdict, Verdict::Failed);
        assert!(
            v.errors.iter().any(|e| e.starts_with("DG13 is missing")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn data_group_not_in_the_sod_is_unauthenticated() {
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let dgs = data_groups();
        let sod = sod_for(ds, &dgs, HashAlg::Sha256);
        let mut states = read_all(&dgs);
        states.insert(11, DgState::Read(vec![0x6B, 0x00]));
        let v = verify(&sod, &states, &trusted(), now());
        assert_eq!(v.verdict, Verdict::Failed);
        assert!(
            !v.data_groups.contains_key(&11),
            "keys are the DGs the SOD hashes"
        );
        assert!(
            v.errors.iter().any(|e| e.starts_with("DG11 was read")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn expired_signer_is_a_warning_not_a_failure() {
        let ds = test_pki()
            .expect("pki")
            .expired_document_signer(SignerKind::RsaPssSha256)
            .expect("ds");
        let dgs = data_groups();
        let v = verify(
            &sod_for(ds, &dgs, HashAlg::Sha256),
            &read_all(&dgs),
            &trusted(),
            now(),
        );
        assert_eq!(v.passive_auth, PaStatus::Valid, "{:?}", v.errors);
        assert_eq!(v.verdict, Verdict::Genuine);
        assert_eq!(v.errors.len(), 1, "{:?}", v.errors);
        assert!(
            v.errors[0].contains("expired on 2020-01-01"),
            "{:?}",
            v.errors
        );

        // A kiosk clock in 2018: the DS (from 2020) is not yet valid; still not a failure.
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let past = Utc
            .with_ymd_and_hms(2018, 1, 1, 0, 0, 0)
            .single()
            .expect("date");
        let v = verify(
            &sod_for(ds, &dgs, HashAlg::Sha256),
            &read_all(&dgs),
            &trusted(),
            past,
        );
        assert_eq!(v.verdict, Verdict::Genuine);
        assert!(
            v.errors.iter().any(|e| e.contains("clock")),
            "{:?}",
            v.errors
        );
    }

    #[test]
    fn verdict_follows_chip_and_active_authentication() {
        let ds = test_pki()
            .expect("pki")
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let dgs = data_groups();
        let sod = sod_for(ds, &dgs, HashAlg::Sha256);
        let mut v = verify(&sod, &read_all(&dgs), &trusted(), now());
        v.set_chip_results(AuthResult::Passed, AuthResult::NotSupported);
        assert_eq!(v.verdict, Verdict::Genuine);
        v.set_chip_results(AuthResult::Failed, AuthResult::NotSupported);
        assert_eq!(v.verdict, Verdict::Clone);
        v.set_chip_results(AuthResult::NotSupported, AuthResult::Failed);
        assert_eq!(v.verdict, Verdict::Clone);
        let mut u = verify(&sod, &read_all(&dgs), &TrustStore::empty(), now());
        u.set_chip_results(AuthResult::Failed, AuthResult::NotSupported);
        assert_eq!(
            u.verdict,
            Verdict::Clone,
            "a failed CA is a clone even when untrusted"
        );
    }

    #[test]
    fn dmrtd_accepts_our_sod() {
        // An independent implementation (the dmrtd crate) must agree with build_sod.
        let pki = test_pki().expect("pki");
        let anchor = dmrtd::auth::passive::TrustAnchor::from_certificate(&pki.csca_cert_der)
            .expect("anchor");
        let dgs = data_groups();
        // dmrtd verifies on P-256/384/521 and brainpoolP256/384/512r1: not P-224
        // (every_signer_kind_verifies_genuine_with_the_test_csca covers that one).
        let dmrtd_curves = SignerKind::ALL
            .into_iter()
            .filter(|&k| k != SignerKind::EcdsaP224Sha224);
        for kind in dmrtd_curves {
            let ds = pki.document_signer(kind).expect("ds");
            let sod = sod_for(ds, &dgs, kind.hash());
            let groups: Vec<_> = dgs
                .iter()
                .map(|(&number, bytes)| dmrtd::auth::passive::DataGroup { number, bytes })
                .collect();
            let pa = dmrtd::auth::passive::verify(&sod, &groups, std::slice::from_ref(&anchor))
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert!(pa.covers_all_groups(), "{kind:?}");
        }
    }

    #[test]
    fn explicit_curve_constants_are_the_crates_curves() {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let g256 = p256::AffinePoint::GENERATOR.to_encoded_point(false);
        let p = EcCurve::P256.explicit_parameters().expect("params");
        assert_eq!(p.base.as_bytes(), g256.as_bytes());
        assert_eq!(p.named_curve(), Ok(EcCurve::P256));
        let g384 = p384::AffinePoint::GENERATOR.to_encoded_point(false);
        let p = EcCurve::P384.explicit_parameters().expect("params");
        assert_eq!(p.base.as_bytes(), g384.as_bytes());
        assert_eq!(p.named_curve(), Ok(EcCurve::P384));
        // The curve equation y² = x³ + ax + b mod p must hold for the crate's generator,
        // and a = p − 3 (SEC 2 §2.4.2, §2.5.1): a typo in p, a or b breaks one of these.
        use p256::elliptic_curve::bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
        use p256::elliptic_curve::bigint::{U256, U384};
        macro_rules! check_curve {
            ($uint:ty, $c:expr) => {{
                let c = $c;
                let p = <$uint>::from_be_hex(c.p);
                let params = DynResidueParams::new(&p);
                let r = |h: &str| DynResidue::new(&<$uint>::from_be_hex(h), params);
                let (x, y, a, b) = (r(c.gx), r(c.gy), r(c.a), r(c.b));
                assert_eq!(
                    y.square().retrieve(),
                    (x.square() * x + a * x + b).retrieve()
                );
                assert_eq!(
                    <$uint>::from_be_hex(c.a),
                    p.wrapping_sub(&<$uint>::from_u8(3))
                );
            }};
        }
        check_curve!(U256, &P256_CONSTANTS);
        check_curve!(U384, &P384_CONSTANTS);
        // n: the order, from the crates.
        use p256::elliptic_curve::bigint::ArrayEncoding;
        use p256::elliptic_curve::Curve;
        assert_eq!(
            hex::decode(P256_CONSTANTS.n).expect("hex"),
            p256::NistP256::ORDER.to_be_byte_array().to_vec()
        );
        assert_eq!(
            hex::decode(P384_CONSTANTS.n).expect("hex"),
            p384::NistP384::ORDER.to_be_byte_array().to_vec()
        );
    }

    /// Hex without `0x`, leading zeros and case: how the crates and SEC 2 / RFC 5639
    /// may differ in writing the same number.
    fn norm(hex_str: &str) -> String {
        hex_str
            .trim_start_matches("0x")
            .trim_start_matches('0')
            .to_ascii_lowercase()
    }

    #[test]
    fn every_curves_constants_are_the_crates() {
        // p, a, b, Gx, Gy, n of every EcCurve as its RustCrypto crate defines the curve:
        // p from the field element type, a/b/G from `PrimeCurveParams`, n from the
        // scalar type (and `Curve::ORDER` where it is a plain integer). A typo in a
        // constant fails here, not on a chip.
        macro_rules! crate_constants {
            ($krate:ident, $po:ident, $c:ty) => {{
                use $krate::elliptic_curve::ff::PrimeField;
                use $po::PrimeCurveParams;
                fn modulus<F: PrimeField>(_: &F) -> &'static str {
                    F::MODULUS
                }
                let (gx, gy) = <$c as PrimeCurveParams>::GENERATOR;
                [
                    norm(modulus(&gx)),
                    norm(&hex::encode(<$c as PrimeCurveParams>::EQUATION_A.to_repr())),
                    norm(&hex::encode(<$c as PrimeCurveParams>::EQUATION_B.to_repr())),
                    norm(&hex::encode(gx.to_repr())),
                    norm(&hex::encode(gy.to_repr())),
                    norm(<$krate::Scalar as PrimeField>::MODULUS),
                ]
            }};
        }
        macro_rules! order_13 {
            ($krate:ident, $c:ty) => {{
                use $krate::elliptic_curve::bigint::ArrayEncoding;
                use $krate::elliptic_curve::Curve;
                norm(&hex::encode(<$c as Curve>::ORDER.to_be_byte_array()))
            }};
        }
        for curve in EcCurve::ALL {
            let (from_crate, order) = match curve {
                EcCurve::P192 => (
                    crate_constants!(p192, primeorder13, p192::NistP192),
                    Some(order_13!(p192, p192::NistP192)),
                ),
                EcCurve::P224 => (
                    crate_constants!(p224, primeorder13, p224::NistP224),
                    Some(order_13!(p224, p224::NistP224)),
                ),
                EcCurve::P256 => (
                    crate_constants!(p256, primeorder13, p256::NistP256),
                    Some(order_13!(p256, p256::NistP256)),
                ),
                EcCurve::P384 => (
                    crate_constants!(p384, primeorder13, p384::NistP384),
                    Some(order_13!(p384, p384::NistP384)),
                ),
                EcCurve::P521 => (
                    crate_constants!(p521, primeorder13, p521::NistP521),
                    Some(order_13!(p521, p521::NistP521)),
                ),
                EcCurve::BrainpoolP256r1 => (
                    crate_constants!(bp256, primeorder, bp256::BrainpoolP256r1),
                    None,
                ),
                EcCurve::BrainpoolP384r1 => (
                    crate_constants!(bp384, primeorder, bp384::BrainpoolP384r1),
                    None,
                ),
            };
            let c = curve.constants();
            let ours = [c.p, c.a, c.b, c.gx, c.gy, c.n].map(norm);
            for (i, what) in ["p", "a", "b", "Gx", "Gy", "n"].iter().enumerate() {
                assert_eq!(ours[i], from_crate[i], "{} {what}", curve.name());
            }
            if let Some(order) = order {
                assert_eq!(ours[5], order, "{} n vs Curve::ORDER", curve.name());
            }
            // Every hex string is field_len bytes (n too: each n has the field's size).
            for (i, h) in [c.p, c.a, c.b, c.gx, c.gy, c.n].iter().enumerate() {
                assert_eq!(h.len(), 2 * curve.field_len(), "{} #{i}", curve.name());
            }
            // The explicit parameters put the crate's generator in, and are recognised.
            let params = curve.explicit_parameters().expect("params");
            assert_eq!(
                params.base.as_bytes(),
                curve.generator(),
                "{}",
                curve.name()
            );
            assert_eq!(params.named_curve(), Ok(curve));
            assert_eq!(curve.order(), hex::decode(c.n).expect("hex"));
        }
    }

    #[test]
    fn every_curve_is_recognised_named_explicit_and_compressed() {
        for curve in EcCurve::ALL {
            let named = Any::from(curve.oid());
            assert_eq!(curve_of(Some(&named)), Ok(curve), "{}", curve.name());
            let mut p = curve.explicit_parameters().expect("params");
            let explicit = Any::encode_from(&p).expect("der");
            assert_eq!(curve_of(Some(&explicit)), Ok(curve), "{}", curve.name());
            // Compressed base point, and no cofactor: still this curve.
            let g = p.base.as_bytes().to_vec();
            let odd = g.last().map(|b| b & 1 == 1).expect("y");
            let mut compressed = vec![if odd { 3 } else { 2 }];
            compressed.extend_from_slice(&g[1..1 + curve.field_len()]);
            p.base = OctetString::new(compressed).expect("base");
            p.cofactor = None;
            assert_eq!(p.named_curve(), Ok(curve), "{}", curve.name());
        }
    }

    #[test]
    fn p192_verifies_the_fips_186_2_vector() {
        // P-192 has no signer here (the p192 crate only verifies): FIPS 186-2 SigGen,
        // P-192 with SHA-1, the first vector (as the p192 crate's own tests carry it).
        let q = [
            &[0x04][..],
            &hex::decode("14f69738599689f5706ab71343becc886ef1569a2d1137fe").expect("hex"),
            &hex::decode("0cf5a433909e33217fb4df6b9593f71d43fb1c2a5653b763").expect("hex"),
        ]
        .concat();
        let sha1 = hex::decode("5c8190e87adb631bb5537f3f5f478888bd002ff5").expect("hex");
        let rs = hex::decode(concat!(
            "af1f749e3df6220ff04efd178618a977e0838b1b9dc126e3",
            "8990a04c6cc0ff26264ecf8f7831381a9dbc6e53cc8cc860"
        ))
        .expect("hex");
        let spki = SubjectPublicKeyInfoOwned::from_der(
            &crate::card::emulator::personalise::ec_spki(EcCurve::P192, &q, true).expect("spki"),
        )
        .expect("spki");
        let key = PublicKey::from_spki(&spki).expect("P-192 key");
        assert_eq!(verify_ecdsa(&key, &sha1, &rs, true), Ok(()));
        let mut bad = rs.clone();
        bad[47] ^= 1;
        assert_eq!(
            verify_ecdsa(&key, &sha1, &bad, true),
            Err(SigError::Invalid)
        );
    }

    #[test]
    fn short_digests_verify_on_long_curves() {
        // SHA-256 on P-521 and SHA-1 on brainpoolP384r1: digests under half the field,
        // which the ecdsa crates refuse bare; used whole (left-padded), they verify.
        use p521::ecdsa::signature::hazmat::PrehashSigner as _;
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let key = p521::ecdsa::SigningKey::random(&mut rng);
        let point = p521::ecdsa::VerifyingKey::from(&key).to_encoded_point(false);
        let msg = b"signed attributes";
        let digest = HashAlg::Sha256.digest(msg);
        let sig: p521::ecdsa::Signature =
            key.sign_prehash(&ecdsa_prehash(&digest, 66)).expect("sign");
        let spki_der =
            crate::card::emulator::personalise::ec_spki(EcCurve::P521, point.as_bytes(), false)
                .expect("spki");
        let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der).expect("spki");
        let alg = |oid: &str| AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap(oid),
            parameters: None,
        };
        let der_sig = sig.to_der();
        assert_eq!(
            verify_signature(
                &spki,
                &alg("1.2.840.10045.4.3.2"),
                msg,
                der_sig.as_bytes(),
                None
            ),
            Ok(())
        );
        assert_eq!(
            verify_signature(
                &spki,
                &alg("1.2.840.10045.4.3.2"),
                b"other",
                der_sig.as_bytes(),
                None
            ),
            Err(SigError::Invalid)
        );

        use ecdsa17::signature::hazmat::PrehashSigner as _;
        let key =
            ecdsa17::SigningKey::<bp384::BrainpoolP384r1>::from_slice(&[7u8; 48]).expect("key");
        let point = key.verifying_key().to_sec1_point(false);
        let digest = HashAlg::Sha1.digest(msg);
        let sig: ecdsa17::Signature<bp384::BrainpoolP384r1> =
            key.sign_prehash(&ecdsa_prehash(&digest, 48)).expect("sign");
        let spki_der = crate::card::emulator::personalise::ec_spki(
            EcCurve::BrainpoolP384r1,
            point.as_bytes(),
            true,
        )
        .expect("spki");
        let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der).expect("spki");
        // ecdsa-plain-SHA1 (TR-03111): r‖s
        assert_eq!(
            verify_signature(
                &spki,
                &alg("0.4.0.127.0.7.1.1.4.1.1"),
                msg,
                &sig.to_bytes(),
                None
            ),
            Ok(())
        );
    }

    #[test]
    fn explicit_parameters_of_another_curve_are_unsupported_not_a_panic() {
        let mut p = EcCurve::P256.explicit_parameters().expect("params");
        p.curve.b = OctetString::new(vec![7; 32]).expect("b");
        let err = p.named_curve().expect_err("not P-256");
        assert!(err.to_string().starts_with("unsupported curve"), "{err}");
        // Compressed base point of P-256 is still P-256.
        let mut p = EcCurve::P256.explicit_parameters().expect("params");
        let g = p.base.as_bytes().to_vec();
        let odd = g.last().map(|b| b & 1 == 1).expect("y");
        let mut compressed = vec![if odd { 3 } else { 2 }];
        compressed.extend_from_slice(&g[1..33]);
        p.base = OctetString::new(compressed).expect("base");
        assert_eq!(p.named_curve(), Ok(EcCurve::P256));
    }

    #[test]
    fn named_curves_without_a_crate_are_reported() {
        // brainpoolP256r1 is recognised (PACE and chip authentication compute on it)…
        let any = Any::from(ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.7"));
        assert_eq!(curve_of(Some(&any)), Ok(EcCurve::BrainpoolP256r1));
        // …and its explicit parameters (as a DG14 key carries them) match it.
        let p = EcCurve::BrainpoolP256r1
            .explicit_parameters()
            .expect("params");
        assert_eq!(p.named_curve(), Ok(EcCurve::BrainpoolP256r1));
        // Curves without a RustCrypto crate are named, not computed on.
        for (oid, name) in [
            ("1.3.36.3.3.2.8.1.1.3", "brainpoolP192r1"),
            ("1.3.36.3.3.2.8.1.1.5", "brainpoolP224r1"),
            ("1.3.36.3.3.2.8.1.1.9", "brainpoolP320r1"),
            ("1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1"),
        ] {
            let any = Any::from(ObjectIdentifier::new_unwrap(oid));
            assert_eq!(
                curve_of(Some(&any)),
                Err(SigError::UnsupportedCurve(name.into()))
            );
        }
    }

    #[test]
    fn trust_dir_loads_pem_der_and_master_list() {
        let dir = tempfile::tempdir().expect("tempdir");
        let trusted_pki = test_pki().expect("pki");
        let foreign = untrusted_pki().expect("pki");
        let listed = TestPki::generate(0x0CCC_D000_0000_0003, "ML TEST").expect("pki");
        let pem = der::pem::encode_string(
            "CERTIFICATE",
            der::pem::LineEnding::LF,
            &trusted_pki.csca_cert_der,
        )
        .expect("pem");
        std::fs::write(
            dir.path().join("vn-csca.pem"),
            format!("issued by the test PKI\n{pem}"),
        )
        .expect("write");
        std::fs::write(dir.path().join("other.DER"), &foreign.csca_cert_der).expect("write");
        let ml_signer = listed
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let ml = build_master_list(
            &[&listed.csca_cert_der, &trusted_pki.csca_cert_der],
            ml_signer,
        )
        .expect("ml");
        std::fs::write(dir.path().join("icao.ml"), &ml).expect("write");
        std::fs::write(dir.path().join("README.txt"), "not a certificate").expect("write");

        let store = TrustStore::load_dir(dir.path()).expect("load");
        assert_eq!(
            store.len(),
            3,
            "PEM + DER + one new CSCA from the list (one duplicate)"
        );
        assert!(store.warnings().is_empty(), "{:?}", store.warnings());
        let dgs = data_groups();
        for pki in [trusted_pki, foreign, &listed] {
            let ds = pki
                .document_signer(SignerKind::EcdsaP384Sha384)
                .expect("ds");
            let v = verify(
                &sod_for(ds, &dgs, HashAlg::Sha384),
                &read_all(&dgs),
                &store,
                now(),
            );
            assert_eq!(v.verdict, Verdict::Genuine, "{:?}", v.errors);
        }
    }

    #[test]
    fn tampered_master_list_and_bad_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let listed = TestPki::generate(0x0CCC_D000_0000_0003, "ML TEST").expect("pki");
        let signer = listed
            .document_signer(SignerKind::EcdsaP256Sha256)
            .expect("ds");
        let mut ml = build_master_list(&[&listed.csca_cert_der], signer).expect("ml");
        // Flip one byte of the listed CSCA's public key inside the eContent.
        let cert = ParsedCertificate::from_der(&listed.csca_cert_der).expect("cert");
        let key = cert
            .cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
            .to_vec();
        let at = ml
            .windows(key.len())
            .position(|w| w == key.as_slice())
            .expect("key in list");
        ml[at + 10] ^= 0x01;
        std::fs::write(dir.path().join("icao.ml"), &ml).expect("write");
        let err = TrustStore::load_dir(dir.path()).expect_err("tampered");
        assert!(
            err.to_string().contains("icao.ml") && err.to_string().contains("messageDigest"),
            "{err}"
        );

        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("broken.cer"), b"\x30\x03\x02\x01").expect("write");
        let err = TrustStore::load_dir(dir.path()).expect_err("broken");
        assert!(err.to_string().contains("broken.cer"), "{err}");
        assert!(TrustStore::load_dir(&dir.path().join("absent")).is_err());
    }

    #[test]
    fn malformed_sod_is_failed_with_a_named_error() {
        let v = verify(
            &[0x77, 0x02, 0x30, 0x00],
            &BTreeMap::new(),
            &trusted(),
            now(),
        );
        assert_eq!(v.verdict, Verdict::Failed);
        assert!(v.errors[0].starts_with("EF.SOD"), "{:?}", v.errors);
    }

    fn a_real_sod() -> &'static Vec<u8> {
        static SOD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        SOD.get_or_init(|| {
            let ds = test_pki()
                .expect("pki")
                .document_signer(SignerKind::EcdsaP256ExplicitSha256)
                .expect("ds");
            sod_for(ds, &data_groups(), HashAlg::Sha256)
        })
    }

    proptest! {
        #[test]
        fn truncated_sod_never_panics_and_never_verifies(cut in 0usize..2000) {
            let sod = a_real_sod();
            let cut = cut % sod.len();
            let v = verify(&sod[..cut], &read_all(&data_groups()), &trusted(), now());
            prop_assert_eq!(v.verdict, Verdict::Failed);
            prop_assert!(!v.errors.is_empty());
            prop_assert!(Sod::parse(&sod[..cut]).is_err());
        }

        #[test]
        fn corrupted_sod_never_panics(at in 0usize..2000, byte in any::<u8>()) {
            let mut sod = a_real_sod().clone();
            let at = at % sod.len();
            prop_assume!(sod[at] != byte);
            sod[at] = byte;
            let v = verify(&sod, &read_all(&data_groups()), &trusted(), now());
            // A few bytes are not covered by any signature (e.g. SignedData's version or
            // digestAlgorithms list); changing them may still verify. But an accepted
            // file must state the same hashes, signed by the same certificate.
            if v.verdict == Verdict::Genuine {
                let original = Sod::parse(a_real_sod()).expect("original");
                let changed = Sod::parse(&sod).expect("a genuine SOD parses");
                prop_assert_eq!(original.dg_hashes(), changed.dg_hashes());
                prop_assert_eq!(
                    original.document_signer().map(|c| &c.tbs_der),
                    changed.document_signer().map(|c| &c.tbs_der)
                );
            } else {
                prop_assert!(!v.errors.is_empty());
            }
        }
    }
}
