//! EF.SOD, the Document Security Object (ICAO 9303-10 §4.6.2).
//!
//! EF.SOD is the BER-TLV object `0x77` whose value is a CMS `ContentInfo` (RFC 5652 §3)
//! holding a `SignedData` (RFC 5652 §5.1). Its encapsulated content, of type
//! `id-icao-mrtd-security-ldsSecurityObject` (2.23.136.1.1.1), is the
//! `LDSSecurityObject` (9303-10 §4.6.2.2): one hash per data group on the chip, all
//! with one algorithm. The document signer signs it (through the signed attributes
//! `contentType` and `messageDigest`, RFC 5652 §5.4), and its certificate is embedded
//! in `certificates` (9303-10 §4.6.2.3 requires it).
//!
//! Decisions:
//! - The outer `0x77` is our BER-TLV ([`crate::card::tlv`]); everything inside is DER
//!   parsed by the RustCrypto `cms` / `x509-cert` / `der` crates, never by hand.
//!   A SOD in BER that is not DER (indefinite lengths) is refused with a named error.
//! - `der` sorts a decoded `SET OF`; re-encoding what it decoded may therefore differ
//!   from what the signer signed. So the bytes that signatures cover — the signed
//!   attributes and each certificate's `tbsCertificate` — are taken as they stand in the
//!   file ([`AnyRef`] walks), and only then decoded into types.
//! - Verification (hashes, signature, chain) lives in [`crate::card::passive_auth`];
//!   this module only says what the file contains. [`SignedObject`] is shared with the
//!   trust store, which reads ICAO master lists (also CMS `SignedData`).

use std::collections::BTreeMap;

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, PrintableString};
use der::{AnyRef, Decode, Encode, Reader, Sequence, SliceReader, Tag, TagNumber, Tagged};
use digest::Digest;
use spki::AlgorithmIdentifierOwned;
use thiserror::Error;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::Certificate;

use crate::card::tlv::{self, TlvError};

/// Tag of EF.SOD's outer object (9303-10 §4.6.2).
pub const EF_SOD_TAG: u32 = 0x77;
/// `id-icao-mrtd-security-ldsSecurityObject`, the eContentType of EF.SOD (9303-10 §4.6.2.2).
pub const ID_LDS_SECURITY_OBJECT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.1");
/// `id-icao-cscaMasterList`, the eContentType of an ICAO master list (9303-12 §9).
pub const ID_CSCA_MASTER_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.2");
/// `id-signedData` (RFC 5652 §5.1).
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-contentType` signed attribute (RFC 5652 §11.1).
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest` signed attribute (RFC 5652 §11.2).
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// The hash functions ICAO 9303-11 §5.1 / 9303-12 allow for data-group hashes and CMS.
///
/// A closed enum because every place that hashes must know how; an unknown OID stays an
/// OID (see [`LdsSecurityObject::hash_alg`]) so the file still parses and the verifier can
/// say which algorithm it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// The algorithm's OID as it appears in an `AlgorithmIdentifier`.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            HashAlg::Sha1 => OID_SHA1,
            HashAlg::Sha224 => OID_SHA224,
            HashAlg::Sha256 => OID_SHA256,
            HashAlg::Sha384 => OID_SHA384,
            HashAlg::Sha512 => OID_SHA512,
        }
    }

    /// The algorithm an OID names, if it is one we can compute.
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<HashAlg> {
        [
            HashAlg::Sha1,
            HashAlg::Sha224,
            HashAlg::Sha256,
            HashAlg::Sha384,
            HashAlg::Sha512,
        ]
        .into_iter()
        .find(|h| h.oid() == *oid)
    }

    /// Hash `data` (RustCrypto `sha1` / `sha2`).
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlg::Sha224 => sha2::Sha224::digest(data).to_vec(),
            HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha224 => 28,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// The name used in messages (`SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha224 => "SHA-224",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }

    /// The `AlgorithmIdentifier` for this hash, parameters absent (RFC 5754 §2).
    pub fn algorithm_identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }
}

/// What is wrong with a CMS `SignedData` (EF.SOD or a master list).
#[derive(Debug, Error)]
pub enum CmsError {
    #[error("ContentInfo is not valid DER: {0}")]
    ContentInfo(der::Error),
    #[error("content type is {0}, expected id-signedData (1.2.840.113549.1.7.2)")]
    NotSignedData(ObjectIdentifier),
    #[error("SignedData is not valid DER: {0}")]
    SignedData(der::Error),
    #[error("encapsulated content (eContent) is absent")]
    NoContent,
    #[error("eContent is not an OCTET STRING: {0}")]
    Content(der::Error),
    #[error("SignedData has no SignerInfo")]
    NoSigner,
    #[error("SignerInfo is not valid DER: {0}")]
    SignerInfo(der::Error),
    #[error("signed attribute {name}: {problem}")]
    Attribute {
        name: &'static str,
        problem: &'static str,
    },
    #[error("embedded certificate #{index} is not a valid X.509 certificate: {source}")]
    Certificate { index: usize, source: der::Error },
}

/// What is wrong with EF.SOD. Every message starts with `EF.SOD` so a user knows which
/// file of the chip is at fault.
#[derive(Debug, Error)]
pub enum SodError {
    #[error("EF.SOD: outer object 0x77: {0}")]
    Outer(#[from] TlvError),
    #[error("EF.SOD: {0}")]
    Cms(#[from] CmsError),
    #[error(
        "EF.SOD: content type is {0}, expected id-icao-mrtd-security-ldsSecurityObject (2.23.136.1.1.1)"
    )]
    WrongContentType(ObjectIdentifier),
    #[error("EF.SOD: LDSSecurityObject is not valid DER: {0}")]
    SecurityObject(der::Error),
    #[error("EF.SOD: LDSSecurityObject version {0} is unknown (0 or 1 expected)")]
    Version(u8),
    #[error("EF.SOD: LDSSecurityObject hashes data group {0}, outside DG1..DG16")]
    DgNumber(u8),
    #[error("EF.SOD: LDSSecurityObject hashes data group {0} twice")]
    DuplicateDg(u8),
    #[error("EF.SOD: LDSSecurityObject hashes no data group")]
    NoDataGroups,
}

/// `DataGroupHash ::= SEQUENCE { dataGroupNumber, dataGroupHashValue }` (9303-10 §4.6.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
struct DataGroupHashAsn {
    number: u8,
    value: OctetString,
}

/// `LDSVersionInfo ::= SEQUENCE { ldsVersion, unicodeVersion }` (9303-10 §4.6.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
struct LdsVersionInfoAsn {
    lds_version: PrintableString,
    unicode_version: PrintableString,
}

/// `LDSSecurityObject` (9303-10 §4.6.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
struct LdsSecurityObjectAsn {
    version: u8,
    hash_algorithm: AlgorithmIdentifierOwned,
    data_group_hash_values: Vec<DataGroupHashAsn>,
    #[asn1(optional = "true")]
    lds_version_info: Option<LdsVersionInfoAsn>,
}

/// The `LDSSecurityObject`: which data groups the chip has, and the hash of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdsSecurityObject {
    /// 0 (LDS 1.7) or 1 (LDS 1.8, with `lds_version`).
    pub version: u8,
    /// The hash algorithm of every entry of `dg_hashes`.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// Data-group number → hash of the whole EF (tag, length and value).
    pub dg_hashes: BTreeMap<u8, Vec<u8>>,
    /// `(ldsVersion, unicodeVersion)`, e.g. `("0108", "040000")`, when version is 1.
    pub lds_version: Option<(String, String)>,
}

impl LdsSecurityObject {
    /// Decode the DER of an `LDSSecurityObject` (EF.SOD's eContent).
    pub fn parse(der_bytes: &[u8]) -> Result<LdsSecurityObject, SodError> {
        let asn = LdsSecurityObjectAsn::from_der(der_bytes).map_err(SodError::SecurityObject)?;
        if asn.version > 1 {
            return Err(SodError::Version(asn.version));
        }
        if asn.data_group_hash_values.is_empty() {
            return Err(SodError::NoDataGroups);
        }
        let mut dg_hashes = BTreeMap::new();
        for entry in asn.data_group_hash_values {
            if !(1..=16).contains(&entry.number) {
                return Err(SodError::DgNumber(entry.number));
            }
            if dg_hashes
                .insert(entry.number, entry.value.as_bytes().to_vec())
                .is_some()
            {
                return Err(SodError::DuplicateDg(entry.number));
            }
        }
        let lds_version = asn
            .lds_version_info
            .map(|v| (v.lds_version.to_string(), v.unicode_version.to_string()));
        Ok(LdsSecurityObject {
            version: asn.version,
            hash_algorithm: asn.hash_algorithm,
            dg_hashes,
            lds_version,
        })
    }

    /// DER encoding (what a personaliser puts in eContent). Version follows `lds_version`.
    pub fn to_der(&self) -> Result<Vec<u8>, der::Error> {
        let data_group_hash_values = self
            .dg_hashes
            .iter()
            .map(|(&number, hash)| {
                Ok(DataGroupHashAsn {
                    number,
                    value: OctetString::new(hash.clone())?,
                })
            })
            .collect::<Result<Vec<_>, der::Error>>()?;
        let lds_version_info = match &self.lds_version {
            Some((lds, unicode)) => Some(LdsVersionInfoAsn {
                lds_version: PrintableString::new(lds)?,
                unicode_version: PrintableString::new(unicode)?,
            }),
            None => None,
        };
        LdsSecurityObjectAsn {
            version: u8::from(lds_version_info.is_some()),
            hash_algorithm: self.hash_algorithm.clone(),
            data_group_hash_values,
            lds_version_info,
        }
        .to_der()
    }

    /// The hash algorithm, if it is one we can compute.
    pub fn hash_alg(&self) -> Option<HashAlg> {
        HashAlg::from_oid(&self.hash_algorithm.oid)
    }
}

/// A certificate with the exact bytes it came in, so its signature can be checked over
/// the `tbsCertificate` as signed (not as re-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCertificate {
    /// The certificate's DER as found.
    pub der: Vec<u8>,
    /// The `tbsCertificate` bytes as found (what the issuer signed).
    pub tbs_der: Vec<u8>,
    /// The decoded certificate.
    pub cert: Certificate,
}

impl ParsedCertificate {
    /// Decode one DER certificate, keeping its bytes.
    pub fn from_der(der_bytes: &[u8]) -> Result<ParsedCertificate, der::Error> {
        let cert = Certificate::from_der(der_bytes)?;
        let outer = AnyRef::from_der(der_bytes)?;
        let mut reader = SliceReader::new(outer.value())?;
        let tbs: AnyRef<'_> = reader.decode()?;
        Ok(ParsedCertificate {
            der: der_bytes.to_vec(),
            tbs_der: tbs.to_der()?,
            cert,
        })
    }

    /// The value of the certificate's subjectKeyIdentifier extension, if any.
    pub fn subject_key_identifier(&self) -> Option<Vec<u8>> {
        match self.cert.tbs_certificate.get::<SubjectKeyIdentifier>() {
            Ok(Some((_, ski))) => Some(ski.0.as_bytes().to_vec()),
            _ => None,
        }
    }
}

/// The one SignerInfo of a `SignedData`, with its signed attributes as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfoView {
    /// Which certificate signed: issuer + serial number, or subject key identifier.
    pub sid: SignerIdentifier,
    /// The digest algorithm of `messageDigest`.
    pub digest_alg: AlgorithmIdentifierOwned,
    /// The signed attributes as a DER `SET OF` (tag 0x31 instead of the `[0]` IMPLICIT
    /// found in the file) — the exact input of the signature (RFC 5652 §5.4).
    pub signed_attrs_der: Option<Vec<u8>>,
    /// The `contentType` signed attribute.
    pub content_type: Option<ObjectIdentifier>,
    /// The `messageDigest` signed attribute.
    pub message_digest: Option<Vec<u8>>,
    /// The signature algorithm (with its parameters, e.g. RSASSA-PSS-params).
    pub signature_alg: AlgorithmIdentifierOwned,
    /// The signature value.
    pub signature: Vec<u8>,
}

/// A CMS `SignedData` reduced to what verification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedObject {
    /// eContentType.
    pub econtent_type: ObjectIdentifier,
    /// The eContent octets (the value of the OCTET STRING).
    pub econtent: Vec<u8>,
    /// The `certificates` field, in file order (X.509 certificates only).
    pub certificates: Vec<ParsedCertificate>,
    /// The first SignerInfo (ICAO objects carry exactly one).
    pub signer: SignerInfoView,
}

impl SignedObject {
    /// Decode the DER of a `ContentInfo` holding a `SignedData`.
    pub fn parse(content_info_der: &[u8]) -> Result<SignedObject, CmsError> {
        let info = ContentInfo::from_der(content_info_der).map_err(CmsError::ContentInfo)?;
        if info.content_type != ID_SIGNED_DATA {
            return Err(CmsError::NotSignedData(info.content_type));
        }
        let signed: SignedData = info.content.decode_as().map_err(CmsError::SignedData)?;
        let econtent = signed
            .encap_content_info
            .econtent
            .as_ref()
            .ok_or(CmsError::NoContent)?;
        let econtent = econtent
            .decode_as::<OctetString>()
            .map_err(CmsError::Content)?;

        // The typed decode above validated the structure; now walk the same bytes for the
        // parts whose exact encoding matters.
        let raw = raw_signed_data(content_info_der).map_err(CmsError::SignedData)?;
        let mut certificates = Vec::new();
        if let Some(set) = raw.certificates {
            let mut reader = SliceReader::new(set).map_err(CmsError::SignedData)?;
            let mut index = 0;
            while !reader.is_finished() {
                let item: AnyRef<'_> = reader.decode().map_err(CmsError::SignedData)?;
                if item.tag() == Tag::Sequence {
                    let der_bytes = item.to_der().map_err(CmsError::SignedData)?;
                    let cert = ParsedCertificate::from_der(&der_bytes)
                        .map_err(|source| CmsError::Certificate { index, source })?;
                    certificates.push(cert);
                }
                index += 1;
            }
        }
        let signer_der = raw.first_signer.ok_or(CmsError::NoSigner)?;
        let signer = parse_signer(&signer_der)?;
        Ok(SignedObject {
            econtent_type: signed.encap_content_info.econtent_type,
            econtent: econtent.as_bytes().to_vec(),
            certificates,
            signer,
        })
    }

    /// The embedded certificate that the SignerInfo's `sid` names.
    pub fn signer_certificate(&self) -> Option<&ParsedCertificate> {
        self.certificates.iter().find(|c| match &self.signer.sid {
            SignerIdentifier::IssuerAndSerialNumber(isn) => {
                c.cert.tbs_certificate.issuer == isn.issuer
                    && c.cert.tbs_certificate.serial_number == isn.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                c.subject_key_identifier().as_deref() == Some(ski.0.as_bytes())
            }
        })
    }
}

/// Byte ranges of a SignedData found by walking it as generic TLVs.
struct RawSignedData<'a> {
    certificates: Option<&'a [u8]>,
    first_signer: Option<Vec<u8>>,
}

fn raw_signed_data(content_info_der: &[u8]) -> der::Result<RawSignedData<'_>> {
    let info = AnyRef::from_der(content_info_der)?;
    let mut reader = SliceReader::new(info.value())?;
    let _content_type: ObjectIdentifier = reader.decode()?;
    let explicit: AnyRef<'_> = reader.decode()?;
    let signed = AnyRef::from_der(explicit.value())?;
    let mut reader = SliceReader::new(signed.value())?;
    let _version: AnyRef<'_> = reader.decode()?;
    let _digest_algorithms: AnyRef<'_> = reader.decode()?;
    let _encap: AnyRef<'_> = reader.decode()?;
    let mut raw = RawSignedData {
        certificates: None,
        first_signer: None,
    };
    while !reader.is_finished() {
        let item: AnyRef<'_> = reader.decode()?;
        match item.tag() {
            Tag::ContextSpecific { number, .. } if number == TagNumber::N0 => {
                raw.certificates = Some(item.value());
            }
            Tag::Set => {
                let mut signers = SliceReader::new(item.value())?;
                if !signers.is_finished() {
                    let first: AnyRef<'_> = signers.decode()?;
                    raw.first_signer = Some(first.to_der()?);
                }
            }
            _ => {}
        }
    }
    Ok(raw)
}

fn parse_signer(signer_der: &[u8]) -> Result<SignerInfoView, CmsError> {
    let info = SignerInfo::from_der(signer_der).map_err(CmsError::SignerInfo)?;
    let signed_attrs_der = raw_signed_attrs(signer_der).map_err(CmsError::SignerInfo)?;
    let mut content_type = None;
    let mut message_digest = None;
    if let Some(attrs) = &info.signed_attrs {
        for attr in attrs.iter() {
            if attr.oid == ID_CONTENT_TYPE {
                let value = single_value(attr, "contentType")?;
                content_type = Some(value.decode_as::<ObjectIdentifier>().map_err(|_| {
                    CmsError::Attribute {
                        name: "contentType",
                        problem: "not an OBJECT IDENTIFIER",
                    }
                })?);
            } else if attr.oid == ID_MESSAGE_DIGEST {
                let value = single_value(attr, "messageDigest")?;
                let digest = value
                    .decode_as::<OctetString>()
                    .map_err(|_| CmsError::Attribute {
                        name: "messageDigest",
                        problem: "not an OCTET STRING",
                    })?;
                message_digest = Some(digest.as_bytes().to_vec());
            }
        }
    }
    Ok(SignerInfoView {
        sid: info.sid,
        digest_alg: info.digest_alg,
        signed_attrs_der,
        content_type,
        message_digest,
        signature_alg: info.signature_algorithm,
        signature: info.signature.as_bytes().to_vec(),
    })
}

fn single_value<'a>(
    attr: &'a x509_cert::attr::Attribute,
    name: &'static str,
) -> Result<&'a der::Any, CmsError> {
    let mut values = attr.values.iter();
    match (values.next(), values.next()) {
        (Some(value), None) => Ok(value),
        (None, _) => Err(CmsError::Attribute {
            name,
            problem: "has no value",
        }),
        (Some(_), Some(_)) => Err(CmsError::Attribute {
            name,
            problem: "has more than one value",
        }),
    }
}

/// The `[0] IMPLICIT SignedAttributes` of a SignerInfo, re-tagged as `SET OF` (0x31) with
/// the content bytes untouched (RFC 5652 §5.4).
fn raw_signed_attrs(signer_der: &[u8]) -> der::Result<Option<Vec<u8>>> {
    let outer = AnyRef::from_der(signer_der)?;
    let mut reader = SliceReader::new(outer.value())?;
    let _version: AnyRef<'_> = reader.decode()?;
    let _sid: AnyRef<'_> = reader.decode()?;
    let _digest_alg: AnyRef<'_> = reader.decode()?;
    if reader.is_finished() {
        return Ok(None);
    }
    let next: AnyRef<'_> = reader.decode()?;
    match next.tag() {
        Tag::ContextSpecific { number, .. } if number == TagNumber::N0 => {
            Ok(Some(AnyRef::new(Tag::Set, next.value())?.to_der()?))
        }
        _ => Ok(None),
    }
}

/// EF.SOD, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sod {
    /// The `LDSSecurityObject` (the data-group hashes).
    pub lds: LdsSecurityObject,
    /// The SignedData around it: eContent bytes, embedded certificates, signer info.
    pub signed: SignedObject,
}

impl Sod {
    /// Parse the whole EF.SOD file (starting with tag 0x77).
    pub fn parse(bytes: &[u8]) -> Result<Sod, SodError> {
        let outer = tlv::expect(bytes, EF_SOD_TAG)?;
        let signed = SignedObject::parse(outer.value)?;
        if signed.econtent_type != ID_LDS_SECURITY_OBJECT {
            return Err(SodError::WrongContentType(signed.econtent_type));
        }
        let lds = LdsSecurityObject::parse(&signed.econtent)?;
        Ok(Sod { lds, signed })
    }

    /// Data-group number → hash, as the SOD states them.
    pub fn dg_hashes(&self) -> &BTreeMap<u8, Vec<u8>> {
        &self.lds.dg_hashes
    }

    /// The document-signer certificate the SignerInfo names, if it is embedded.
    pub fn document_signer(&self) -> Option<&ParsedCertificate> {
        self.signed.signer_certificate()
    }
}

/// Wrap the DER of a `ContentInfo` in EF.SOD's tag 0x77.
pub fn wrap_ef_sod(content_info_der: &[u8]) -> Vec<u8> {
    tlv::encode(EF_SOD_TAG, content_info_der)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn hash_alg_round_trips_oids_and_lengths() {
        for h in [
            HashAlg::Sha1,
            HashAlg::Sha224,
            HashAlg::Sha256,
            HashAlg::Sha384,
            HashAlg::Sha512,
        ] {
            assert_eq!(HashAlg::from_oid(&h.oid()), Some(h));
            assert_eq!(h.digest(b"abc").len(), h.output_len());
        }
        // FIPS 180-4 example "abc".
        assert_eq!(
            HashAlg::Sha256.digest(b"abc"),
            hex!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }

    #[test]
    fn lds_security_object_round_trips() {
        let lds = LdsSecurityObject {
            version: 0,
            hash_algorithm: HashAlg::Sha256.algorithm_identifier(),
            dg_hashes: BTreeMap::from([
                (1, vec![0x11; 32]),
                (2, vec![0x22; 32]),
                (13, vec![0xDD; 32]),
            ]),
            lds_version: None,
        };
        let der_bytes = lds.to_der().expect("encode");
        // SEQUENCE { INTEGER 0, SEQUENCE { OID sha256 } ... } (9303-10 §4.6.2.2)
        assert_eq!(
            &der_bytes[..19],
            &hex!("308187 020100 300b 0609608648016503040201")[..]
        );
        assert_eq!(LdsSecurityObject::parse(&der_bytes).expect("parse"), lds);

        let v1 = LdsSecurityObject {
            version: 1,
            lds_version: Some(("0108".into(), "040000".into())),
            ..lds
        };
        assert_eq!(
            LdsSecurityObject::parse(&v1.to_der().expect("encode")).expect("parse"),
            v1
        );
    }

    #[test]
    fn duplicate_and_out_of_range_data_groups_are_named() {
        let mut lds = LdsSecurityObjectAsn {
            version: 0,
            hash_algorithm: HashAlg::Sha1.algorithm_identifier(),
            data_group_hash_values: vec![
                DataGroupHashAsn {
                    number: 2,
                    value: OctetString::new(vec![1; 20]).expect("os"),
                },
                DataGroupHashAsn {
                    number: 2,
                    value: OctetString::new(vec![2; 20]).expect("os"),
                },
            ],
            lds_version_info: None,
        };
        let err = LdsSecurityObject::parse(&lds.to_der().expect("der")).expect_err("dup");
        assert_eq!(
            err.to_string(),
            "EF.SOD: LDSSecurityObject hashes data group 2 twice"
        );
        lds.data_group_hash_values[1].number = 17;
        let err = LdsSecurityObject::parse(&lds.to_der().expect("der")).expect_err("range");
        assert!(err.to_string().contains("data group 17"), "{err}");
    }

    #[test]
    fn wrong_outer_tag_and_garbage_are_errors_naming_ef_sod() {
        let err = Sod::parse(&hex!("7603010203")).expect_err("tag 0x76");
        assert!(err.to_string().starts_with("EF.SOD"), "{err}");
        let err = Sod::parse(&hex!("7703300100")).expect_err("not CMS");
        assert!(err.to_string().starts_with("EF.SOD: ContentInfo"), "{err}");
        assert!(Sod::parse(&[]).is_err());
    }
}
