//! Encryption at rest: the kiosk's data key, the AEAD that seals personal fields
//! and photos, the keyed index of ID numbers and phones, and the supervisor
//! passphrase hash. Threat model: `src/queue/README.md`.
//!
//! - One random 256-bit data key per kiosk in `DATA_DIR/kiosk.key`, mode 0600 and
//!   owned by the kiosk's user (root on the device): a kiosk restarts after a power
//!   cut with no person present (DESIGN "Storage"). It is written to a temporary
//!   file, fsynced and renamed, so a power cut never leaves half a key.
//! - Sub-keys come from the data key by HKDF-SHA256 (RFC 5869) with distinct
//!   labels, so the sealing key and the index key are independent.
//! - Sealing is XChaCha20-Poly1305 (RustCrypto `chacha20poly1305`): a random
//!   192-bit nonce per blob is safe without a counter (no state to lose in a
//!   crash), and the associated data binds each blob to its record id and role,
//!   so a sealed photo cannot be swapped onto another record unnoticed.
//! - Indexes are HMAC-SHA256 under the index key: the tracker can match a roster's
//!   ID numbers against records without decrypting every record, while the file
//!   alone does not reveal which IDs it holds (an unkeyed hash of a 12-digit
//!   number is brute-forced in minutes).
//! - The supervisor passphrase is stored as an Argon2id PHC string (RustCrypto
//!   `argon2`, default parameters); it gates exports and the supervisor screen.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The key file's name inside the data directory.
pub const KEY_FILE: &str = "kiosk.key";
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// Problems with the key file or a sealed blob.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The key file is readable by other users.
    #[error("key file {path}: mode {mode:o} lets other users read the data key; it must be 0600 (chmod 600)")]
    Permissions { path: PathBuf, mode: u32 },
    /// The key file does not hold a key.
    #[error("key file {path}: not a cccd-kiosk data key (64 hex digits expected)")]
    Malformed { path: PathBuf },
    /// A sealed blob failed authentication: wrong key, or the data were altered.
    #[error("sealed {what}: authentication failed (altered data or another kiosk's key)")]
    Open { what: String },
    /// The passphrase is too short to resist guessing.
    #[error("passphrase: at least 8 characters")]
    WeakPassphrase,
    /// Hashing or checking the passphrase failed.
    #[error("passphrase: {0}")]
    Passphrase(String),
}

/// The keys derived from a kiosk's data key.
pub struct Keys {
    aead: XChaCha20Poly1305,
    index: Zeroizing<[u8; 64]>,
}

impl Keys {
    /// Load `DATA_DIR/kiosk.key`, creating it (0600) on the first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Keys, SealError> {
        let path = data_dir.join(KEY_FILE);
        let io = |source| SealError::Io {
            path: path.clone(),
            source,
        };
        if !path.exists() {
            let mut key = Zeroizing::new([0u8; 32]);
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, key.as_mut());
            let tmp = data_dir.join(format!("{KEY_FILE}.tmp"));
            let _ = fs::remove_file(&tmp);
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(io)?;
            f.write_all(Zeroizing::new(hex::encode(key.as_ref()) + "\n").as_bytes())
                .map_err(io)?;
            f.sync_all().map_err(io)?;
            fs::rename(&tmp, &path).map_err(io)?;
            fs::File::open(data_dir)
                .and_then(|d| d.sync_all())
                .map_err(io)?;
        }
        let meta = fs::metadata(&path).map_err(io)?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SealError::Permissions { path, mode });
        }
        let text = Zeroizing::new(fs::read_to_string(&path).map_err(io)?);
        let mut key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), key.as_mut())
            .map_err(|_| SealError::Malformed { path: path.clone() })?;
        Ok(Keys::from_data_key(&key))
    }

    /// Derive the sealing and index keys from a data key.
    pub fn from_data_key(data_key: &[u8; 32]) -> Keys {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"cccd-kiosk queue"), data_key);
        let mut seal = Zeroizing::new([0u8; 32]);
        // HMAC-SHA256's block size: a key of exactly 64 bytes is used as it is.
        let mut index = Zeroizing::new([0u8; 64]);
        // 32 bytes are far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
        let _ = hk.expand(b"seal v1", seal.as_mut());
        let _ = hk.expand(b"index v1", index.as_mut());
        Keys {
            aead: XChaCha20Poly1305::new(seal.as_ref().into()),
            index,
        }
    }

    /// Seal `plain`, bound to `aad` (record id and role): version, nonce, ciphertext.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, SealError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut rand::rngs::OsRng);
        let ct = self
            .aead
            .encrypt(&nonce, Payload { msg: plain, aad })
            .map_err(|_| SealError::Open {
                what: String::from_utf8_lossy(aad).into_owned(),
            })?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Open a blob made by [`Keys::seal`] with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let what = || SealError::Open {
            what: String::from_utf8_lossy(aad).into_owned(),
        };
        let (head, rest) = sealed.split_at_checked(1 + NONCE_LEN).ok_or_else(what)?;
        if head.first() != Some(&VERSION) {
            return Err(what());
        }
        let nonce = XNonce::from_slice(head.get(1..).ok_or_else(what)?);
        self.aead
            .decrypt(nonce, Payload { msg: rest, aad })
            .map(Zeroizing::new)
            .map_err(|_| what())
    }

    /// HMAC-SHA256 of `value` under the index key, separated by `domain`
    /// (`"id_number"`, `"phone"`): the tracker's roster match and the same-phone warning.
    pub fn index(&self, domain: &str, value: &str) -> [u8; 32] {
        let key: &[u8; 64] = &self.index;
        let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(key.into());
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Hash a new supervisor passphrase (Argon2id, random salt) as a PHC string.
pub fn hash_passphrase(passphrase: &str) -> Result<String, SealError> {
    if passphrase.chars().count() < 8 {
        return Err(SealError::WeakPassphrase);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(passphrase.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SealError::Passphrase(e.to_string()))
}

/// Whether `passphrase` matches the stored PHC string.
pub fn passphrase_matches(passphrase: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(passphrase.as_bytes(), &h)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_blobs_open_only_with_the_same_key_and_record() {
        let k = Keys::from_data_key(&[7; 32]);
        let s = k.seal(b"record:1", "Nguyễn Văn An".as_bytes()).unwrap();
        assert!(!s.windows(5).any(|w| w == b"Nguy\xe1"));
        assert_eq!(
            k.open(b"record:1", &s).unwrap().as_slice(),
            "Nguyễn Văn An".as_bytes()
        );
        assert!(matches!(
            k.open(b"record:2", &s),
            Err(SealError::Open { .. })
        ));
        assert!(Keys::from_data_key(&[8; 32]).open(b"record:1", &s).is_err());
        let mut t = s.clone();
        *t.last_mut().unwrap() ^= 1;
        assert!(k.open(b"record:1", &t).is_err());
        assert!(k.open(b"record:1", &s[..10]).is_err());
        // Fresh nonce each time: the same plaintext never seals the same way twice.
        assert_ne!(s, k.seal(b"record:1", "Nguyễn Văn An".as_bytes()).unwrap());
    }

    #[test]
    fn index_is_keyed_and_domain_separated() {
        let k = Keys::from_data_key(&[7; 32]);
        let a = k.index("id_number", "001203012345");
        assert_eq!(a, k.index("id_number", "001203012345"));
        assert_ne!(a, k.index("phone", "001203012345"));
        assert_ne!(
            a,
            Keys::from_data_key(&[9; 32]).index("id_number", "001203012345")
        );
    }

    #[test]
    fn key_file_is_created_private_reused_and_refused_when_readable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let k1 = Keys::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let k2 = Keys::load_or_create(dir.path()).unwrap();
        assert_eq!(k1.index("id_number", "x"), k2.index("id_number", "x"));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            Keys::load_or_create(dir.path()),
            Err(SealError::Permissions { mode: 0o644, .. })
        ));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            Keys::load_or_create(dir.path()),
            Err(SealError::Malformed { .. })
        ));
    }

    #[test]
    fn passphrase_hash_checks_the_right_one_only() {
        let phc = hash_passphrase("tổ trưởng 2025").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(passphrase_matches("tổ trưởng 2025", &phc));
        assert!(!passphrase_matches("to truong 2025", &phc));
        assert!(matches!(
            hash_passphrase("short"),
            Err(SealError::WeakPassphrase)
        ));
    }
}
