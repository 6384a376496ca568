//! The end-of-day export bundle, its verification, and the import of results
//! (DESIGN "End-of-day export bundle" and decision "Export bundle").
//!
//! `DIR/manifest.json` is plaintext with no personal data: kiosk, batch id and
//! sequence, time range, count, the SHA-256 of `payload.age` and of each file
//! inside it, the chain head, and the previous batch's chain head.
//! `DIR/payload.age` is a tar archive (`records.jsonl`, then `photos/<uuid>.jpg`,
//! named by record UUID, never by ID number) encrypted with `age` to the
//! province's X25519 recipient, so a lost USB stick leaks nothing.
//!
//! Hash chain: `H₀` = the previous batch's head (32 zero bytes before the first
//! batch); for each record in queue order `Hᵢ = SHA-256(Hᵢ₋₁ ‖ canonical JSON of
//! record i)`, where canonical JSON is compact with object keys sorted. Each line
//! of `records.jsonl` is `{"chain": hex(Hᵢ), "record": {…}}`, so a verifier names
//! the first record whose content, position or predecessor is wrong; the
//! manifests' `prev_chain_head` → `chain_head` links show a missing batch.
//!
//! Order of the export: build the payload in `payload.age.tmp`, fsync, rename;
//! the same for the manifest; fsync the directory; only then mark the records
//! exported, in one transaction. A failure anywhere before leaves every record
//! queued and the error names the path. Re-exporting a batch (`--batch ID`)
//! rebuilds the same records and manifest from the same rows, the stored export
//! time and the stored previous head; only the age ciphertext (random file key)
//! and so the payload's hash differ.
//!
//! Limits: `records.jsonl` is built in memory (about 8 KB per record: a day's
//! queue of a few hundred records is a few MB); photos are streamed one by one.
//! The manifest is not signed: the chain detects accidents and a missing batch,
//! but anyone with the province's public key could forge a whole new bundle.

use super::record::{RecordId, Status};
use super::store::{Store, StoreError};
use chrono::{DateTime, Local, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// The manifest's format tag.
pub const FORMAT: &str = "cccd-kiosk-export/1";
const MANIFEST: &str = "manifest.json";
const PAYLOAD: &str = "payload.age";
const RECORDS: &str = "records.jsonl";

/// Export failures; nothing is marked exported when one occurs.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The output directory or a file in it could not be written (unplugged, read-only, full).
    #[error("out: {path}: {source} — nothing was marked exported, every record is still queued")]
    Io { path: PathBuf, source: io::Error },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No queued record to export.
    #[error("nothing to export: no queued records")]
    Nothing,
    /// `--batch` names no batch.
    #[error("batch: {0:?} was never exported from this kiosk")]
    UnknownBatch(String),
    /// The output directory already holds another batch.
    #[error("out: {path} already holds batch {batch}; use an empty directory")]
    Occupied { path: PathBuf, batch: String },
    /// A re-export did not rebuild the stored manifest.
    #[error("batch {0}: the rebuilt manifest differs from the one exported; the queue changed")]
    Diverged(String),
    /// age refused the recipient.
    #[error("recipient: {0}")]
    Recipient(String),
}

/// A file's name, size and SHA-256 in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path inside the bundle or payload.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Hex SHA-256.
    pub sha256: String,
}

/// `manifest.json`: everything a verifier needs, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The kiosk that made the records.
    pub kiosk: String,
    /// The batch id.
    pub batch_id: String,
    /// 1 for the kiosk's first batch, then +1: a gap is a missing batch.
    pub batch_seq: u64,
    /// When the batch was first exported (UTC).
    pub exported_at: String,
    /// Earliest and latest record time (UTC).
    pub first_record_at: String,
    /// Latest record time (UTC).
    pub last_record_at: String,
    /// Number of records.
    pub count: u64,
    /// The encrypted payload.
    pub payload: FileEntry,
    /// Each file inside the payload.
    pub files: Vec<FileEntry>,
    /// The previous batch's `chain_head` (zeros before the first batch).
    pub prev_chain_head: String,
    /// The chain value after this batch's last record.
    pub chain_head: String,
}

impl Manifest {
    fn without_payload(&self) -> Manifest {
        Manifest {
            payload: FileEntry {
                name: PAYLOAD.into(),
                bytes: 0,
                sha256: String::new(),
            },
            ..self.clone()
        }
    }
}

/// JSON with object keys sorted recursively, compact: the bytes the chain hashes.
pub fn canonical_json(v: &Value) -> Vec<u8> {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: std::collections::BTreeMap<&String, Value> =
                    m.iter().map(|(k, v)| (k, sort(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sort(v)).unwrap_or_default()
}

/// One chain step: `SHA-256(prev ‖ canonical record)`.
pub fn chain_step(prev: &[u8; 32], record: &Value) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical_json(record));
    h.finalize().into()
}

struct HashWriter<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(buf.get(..n).unwrap_or_default());
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn entry(name: &str, data: &[u8]) -> FileEntry {
    FileEntry {
        name: name.into(),
        bytes: data.len() as u64,
        sha256: hex::encode(Sha256::digest(data)),
    }
}

fn photo_name(id: &RecordId) -> String {
    format!("photos/{id}.jpg")
}

struct Row {
    id: RecordId,
    summary: super::record::RecordSummary,
    created_utc: String,
    sealed: Vec<u8>,
}

fn batch_rows(store: &Store, batch: Option<&str>) -> Result<Vec<Row>, StoreError> {
    let sql = "SELECT id, receipt, created_at, kiosk_id, officer_id, unit_code, mode, service, verdict, corrects, status, status_reason, batch_id, created_at_utc, personal
               FROM records WHERE (?1 IS NULL AND status = 'queued' AND batch_id IS NULL) OR batch_id = ?1 ORDER BY seq";
    let mut st = store.conn().prepare(sql)?;
    let rows = st.query_map([batch], |r| {
        let summary = super::store::summary_from_row(r)?;
        Ok(Row {
            id: summary.id,
            summary,
            created_utc: r.get(13)?,
            sealed: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn photo_of(store: &Store, id: &RecordId) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT jpeg FROM photos WHERE record_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?)
}

/// The record as it appears in `records.jsonl` (what the chain hashes).
fn export_record(row: &Row, p: &super::record::Personal) -> Value {
    let s = &row.summary;
    json!({
        "id": s.id, "receipt": s.receipt,
        "created_at": s.created_at.to_rfc3339_opts(SecondsFormat::Millis, false),
        "kiosk_id": s.kiosk_id, "officer_id": s.officer_id, "unit_code": s.unit_code,
        "mode": s.mode, "service": s.service, "corrects": s.corrects,
        "card": p.card, "contact": p.contact, "consent": p.consent,
        "live_photo": {"file": photo_name(&s.id), "sha256": hex::encode(p.live_photo_sha256), "quality": p.live_photo.quality},
    })
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

fn write_synced(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> Result<(), ExportError> {
    let tmp = dir.join(format!("{name}.tmp"));
    let dest = dir.join(name);
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { path, source }
    };
    let mut f = fs::File::create(&tmp).map_err(io_err(&tmp))?;
    write(&mut f)
        .and_then(|_| f.sync_all())
        .map_err(io_err(&tmp))?;
    fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
    Ok(())
}

/// Export the queued records (or rebuild batch `batch`) into `out`, encrypted to
/// `recipient`; `progress(done, total)` is called per record.
pub fn export(
    store: &mut Store,
    out: &Path,
    batch: Option<&str>,
    recipient: &age::x25519::Recipient,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Manifest, ExportError> {
    // Which batch, and where its chain starts.
    type Stored = (i64, String, Vec<u8>, String);
    let (seq, exported_at, prev, stored): (i64, DateTime<Utc>, [u8; 32], Option<Manifest>) =
        match batch {
            Some(b) => {
                let row: Option<Stored> = store
                    .conn()
                    .query_row(
                        "SELECT seq, exported_at, prev_head, manifest FROM batches WHERE id = ?1",
                        [b],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()
                    .map_err(StoreError::from)?;
                let (seq, at, prev, manifest) =
                    row.ok_or_else(|| ExportError::UnknownBatch(b.to_string()))?;
                let at = DateTime::parse_from_rfc3339(&at)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| StoreError::Damaged {
                        id: b.into(),
                        what: e.to_string(),
                    })?;
                let prev =
                    <[u8; 32]>::try_from(prev.as_slice()).map_err(|_| StoreError::Damaged {
                        id: b.into(),
                        what: "previous head".into(),
                    })?;
                (seq, at, prev, serde_json::from_str(&manifest).ok())
            }
            None => {
                let last: Option<(i64, Vec<u8>)> = store
                    .conn()
                    .query_row(
                        "SELECT seq, head FROM batches ORDER BY seq DESC LIMIT 1",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(StoreError::from)?;
                let (seq, prev) = last
                    .map(|(s, h)| (s + 1, <[u8; 32]>::try_from(h.as_slice()).unwrap_or([0; 32])))
                    .unwrap_or((1, [0; 32]));
                let now = Utc::now();
                (
                    seq,
                    DateTime::parse_from_rfc3339(&now.to_rfc3339_opts(SecondsFormat::Secs, true))
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or(now),
                    prev,
                    None,
                )
            }
        };
    let batch_id = match batch {
        Some(b) => b.to_string(),
        None => format!(
            "{}-{seq:04}",
            exported_at.with_timezone(&Local).format("%Y%m%d")
        ),
    };
    let rows = batch_rows(store, batch)?;
    if rows.is_empty() {
        return Err(ExportError::Nothing);
    }
    fs::create_dir_all(out).map_err(|source| ExportError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    if let Ok(text) = fs::read_to_string(out.join(MANIFEST)) {
        if let Ok(m) = serde_json::from_str::<Manifest>(&text) {
            if m.batch_id != batch_id {
                return Err(ExportError::Occupied {
                    path: out.to_path_buf(),
                    batch: m.batch_id,
                });
            }
        }
    }

    // records.jsonl and the chain.
    let total = rows.len();
    let mut jsonl = zeroize::Zeroizing::new(Vec::new());
    let mut head = prev;
    let mut photo_hashes = Vec::with_capacity(total);
    for row in &rows {
        // Card applications (issue 9) have their own sealed JSON and no photo.
        let (rec, photo_sha) =
            match crate::application::record::export_value(store, &row.summary, &row.sealed)? {
                Some(rec) => (rec, None),
                None => {
                    let p = store.open_personal(
                        &row.id,
                        &row.sealed,
                        photo_of(store, &row.id)?.as_deref(),
                    )?;
                    (export_record(row, &p), Some(p.live_photo_sha256))
                }
            };
        head = chain_step(&head, &rec);
        jsonl.extend_from_slice(&canonical_json(
            &json!({"chain": hex::encode(head), "record": rec}),
        ));
        jsonl.push(b'\n');
        photo_hashes.push(photo_sha);
    }
    let kiosk = rows
        .first()
        .map(|r| r.summary.kiosk_id.clone())
        .unwrap_or_default();
    let first = rows
        .iter()
        .map(|r| r.created_utc.clone())
        .min()
        .unwrap_or_default();
    let last = rows
        .iter()
        .map(|r| r.created_utc.clone())
        .max()
        .unwrap_or_default();

    // payload.age: tar of records.jsonl and the photos, encrypted, hashed as written.
    let mut files = vec![entry(RECORDS, &jsonl)];
    let mut payload = FileEntry {
        name: PAYLOAD.into(),
        bytes: 0,
        sha256: String::new(),
    };
    write_synced(out, PAYLOAD, |f| {
        let enc =
            age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
                .map_err(|e| io::Error::other(e.to_string()))?;
        let hw = HashWriter {
            inner: io::BufWriter::new(&mut *f),
            hash: Sha256::new(),
            bytes: 0,
        };
        let stream = enc.wrap_output(hw)?;
        let mut tar = tar::Builder::new(stream);
        let add = |tar: &mut tar::Builder<_>, name: &str, data: &[u8]| {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o600);
            h.set_mtime(exported_at.timestamp().max(0) as u64);
            h.set_cksum();
            tar.append_data(&mut h, name, data)
        };
        add(&mut tar, RECORDS, &jsonl)?;
        for (i, row) in rows.iter().enumerate() {
            let Some(Some(hash)) = photo_hashes.get(i) else {
                progress(i + 1, total);
                continue;
            };
            let sealed = photo_of(store, &row.id)
                .map_err(|e| io::Error::other(e.to_string()))?
                .unwrap_or_default();
            let jpeg = store
                .open_photo(&row.id, &sealed)
                .map_err(|e| io::Error::other(e.to_string()))?;
            if <[u8; 32]>::from(Sha256::digest(jpeg.as_slice())) != *hash {
                return Err(io::Error::other(format!(
                    "record {}: photo does not match its hash",
                    row.id
                )));
            }
            let name = photo_name(&row.id);
            files.push(entry(&name, &jpeg));
            add(&mut tar, &name, &jpeg)?;
            progress(i + 1, total);
        }
        let stream = tar.into_inner()?;
        let mut hw = stream.finish()?;
        hw.flush()?;
        payload.bytes = hw.bytes;
        payload.sha256 = hex::encode(hw.hash.finalize_reset());
        Ok(())
    })?;

    let manifest = Manifest {
        format: FORMAT.into(),
        kiosk,
        batch_id: batch_id.clone(),
        batch_seq: u64::try_from(seq).unwrap_or(0),
        exported_at: exported_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        first_record_at: first,
        last_record_at: last,
        count: total as u64,
        payload,
        files,
        prev_chain_head: hex::encode(prev),
        chain_head: hex::encode(head),
    };
    if let Some(old) = &stored {
        if old.without_payload() != manifest.without_payload() {
            return Err(ExportError::Diverged(batch_id));
        }
    }
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    write_synced(out, MANIFEST, |f| {
        f.write_all(text.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
    })?;
    sync_dir(out).map_err(|source| ExportError::Io {
        path: out.to_path_buf(),
        source,
    })?;

    if batch.is_none() {
        let tx = store.conn_mut().transaction().map_err(StoreError::from)?;
        tx.execute(
            "INSERT INTO batches (id, seq, exported_at, prev_head, head, count, manifest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![batch_id, seq, manifest.exported_at, prev.to_vec(), head.to_vec(), total as i64, text],
        )
        .map_err(StoreError::from)?;
        for row in &rows {
            let n = tx
                .execute(
                    "UPDATE records SET status = 'exported', batch_id = ?1, status_at = ?2 WHERE id = ?3 AND status = 'queued' AND batch_id IS NULL",
                    params![batch_id, manifest.exported_at, row.id.to_string()],
                )
                .map_err(StoreError::from)?;
            if n != 1 {
                return Err(StoreError::Damaged {
                    id: row.id.to_string(),
                    what: "changed during the export".into(),
                }
                .into());
            }
        }
        tx.commit().map_err(StoreError::from)?;
    }
    Ok(manifest)
}

/// Why a bundle failed verification; record problems name the record.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The bundle's files could not be read.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// The manifest is missing or not ours.
    #[error("manifest.json: {0}")]
    Manifest(String),
    /// `payload.age` is not the file the manifest describes.
    #[error("payload.age: SHA-256 {found} does not match the manifest's {expected} (altered or truncated)")]
    Payload { expected: String, found: String },
    /// The payload could not be decrypted.
    #[error("payload.age: cannot decrypt: {0}")]
    Decrypt(String),
    /// A file inside the payload is missing, extra or altered.
    #[error("{name}: {problem}")]
    File { name: String, problem: String },
    /// A record is wrong: altered, reordered, or a record before it is missing.
    #[error("record {index} ({id}): {problem}")]
    Record {
        index: usize,
        id: String,
        problem: String,
    },
    /// The batch as a whole does not match the manifest.
    #[error("batch {batch}: {problem}")]
    Batch { batch: String, problem: String },
    /// Consecutive bundles do not link: a batch is missing between them.
    #[error("batch {before} does not follow batch {after}: {problem}")]
    MissingBatch {
        after: String,
        before: String,
        problem: String,
    },
}

/// What a successful verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// The batch.
    pub batch_id: String,
    /// Records checked one by one (0 without an identity).
    pub records_checked: u64,
    /// Whether the payload was decrypted and the chain checked.
    pub decrypted: bool,
}

/// Read `DIR/manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, VerifyError> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|source| VerifyError::Io { path, source })?;
    let m: Manifest =
        serde_json::from_str(&text).map_err(|e| VerifyError::Manifest(e.to_string()))?;
    if m.format != FORMAT {
        return Err(VerifyError::Manifest(format!(
            "format {:?}, expected {FORMAT:?}",
            m.format
        )));
    }
    Ok(m)
}

fn hex32(s: &str, what: &str) -> Result<[u8; 32], VerifyError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out)
        .map_err(|_| VerifyError::Manifest(format!("{what}: not 64 hex digits")))?;
    Ok(out)
}

/// Check a bundle: the payload against the manifest and, with the province's
/// `identity`, every file, every record, every photo and the chain.
pub fn verify(
    dir: &Path,
    identity: Option<&age::x25519::Identity>,
) -> Result<Verified, VerifyError> {
    let m = read_manifest(dir)?;
    let path = dir.join(PAYLOAD);
    let file = fs::File::open(&path).map_err(|source| VerifyError::Io {
        path: path.clone(),
        source,
    })?;
    let mut hasher = Sha256::new();
    io::copy(&mut BufReader::new(file), &mut hasher).map_err(|source| VerifyError::Io {
        path: path.clone(),
        source,
    })?;
    let found = hex::encode(hasher.finalize());
    let payload_ok = found == m.payload.sha256;
    let Some(identity) = identity else {
        return if payload_ok {
            Ok(Verified {
                batch_id: m.batch_id,
                records_checked: 0,
                decrypted: false,
            })
        } else {
            Err(VerifyError::Payload {
                expected: m.payload.sha256,
                found,
            })
        };
    };
    let checked = verify_contents(&m, &path, identity)?;
    if !payload_ok {
        return Err(VerifyError::Payload {
            expected: m.payload.sha256,
            found,
        });
    }
    Ok(Verified {
        batch_id: m.batch_id,
        records_checked: checked,
        decrypted: true,
    })
}

fn verify_contents(
    m: &Manifest,
    path: &Path,
    identity: &age::x25519::Identity,
) -> Result<u64, VerifyError> {
    let file = fs::File::open(path).map_err(|source| VerifyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let dec = age::Decryptor::new(BufReader::new(file))
        .map_err(|e| VerifyError::Decrypt(e.to_string()))?;
    let reader = dec
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| VerifyError::Decrypt(e.to_string()))?;
    let mut tar = tar::Archive::new(reader);
    let entries = tar
        .entries()
        .map_err(|e| VerifyError::Decrypt(e.to_string()))?;
    let mut expected_photos: Vec<(usize, String, String)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut file_problem: Option<VerifyError> = None;
    let mut count = 0u64;
    let mut head = hex32(&m.prev_chain_head, "prev_chain_head")?;
    for e in entries {
        let mut e = e.map_err(|e| VerifyError::Decrypt(e.to_string()))?;
        let name = e
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(|e| VerifyError::Decrypt(e.to_string()))?;
        let mut data = Vec::new();
        e.read_to_end(&mut data)
            .map_err(|e| VerifyError::Decrypt(e.to_string()))?;
        let got = entry(&name, &data);
        match m.files.iter().find(|f| f.name == name) {
            None => {
                file_problem.get_or_insert(VerifyError::File {
                    name: name.clone(),
                    problem: "in the payload but not in the manifest".into(),
                });
            }
            Some(f) if *f != got => {
                file_problem.get_or_insert(VerifyError::File {
                    name: name.clone(),
                    problem: "SHA-256 or size differs from the manifest (altered)".into(),
                });
            }
            Some(_) => {}
        }
        seen.push(name.clone());
        if name == RECORDS {
            for (index, line) in data
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .enumerate()
            {
                let index = index + 1;
                let v: Value = serde_json::from_slice(line).map_err(|e| VerifyError::Record {
                    index,
                    id: "?".into(),
                    problem: format!("not JSON: {e}"),
                })?;
                let rec = v.get("record").cloned().unwrap_or(Value::Null);
                let id = rec
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                let bad = |problem: &str| VerifyError::Record {
                    index,
                    id: id.clone(),
                    problem: problem.into(),
                };
                head = chain_step(&head, &rec);
                if v.get("chain").and_then(Value::as_str) != Some(hex::encode(head).as_str()) {
                    return Err(bad(
                        "hash chain broken: this record was altered or moved, or a record before it is missing",
                    ));
                }
                let photo = rec
                    .pointer("/live_photo/file")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let sha = rec
                    .pointer("/live_photo/sha256")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if rec.get("live_photo").is_some() {
                    expected_photos.push((index, photo, sha));
                }
                count += 1;
            }
        } else if let Some((index, _, sha)) = expected_photos.iter().find(|(_, p, _)| *p == name) {
            if got.sha256 != *sha {
                let id = name
                    .trim_start_matches("photos/")
                    .trim_end_matches(".jpg")
                    .to_string();
                return Err(VerifyError::Record {
                    index: *index,
                    id,
                    problem: "photo does not match the record's SHA-256 (altered)".into(),
                });
            }
        }
    }
    for (index, photo, _) in &expected_photos {
        if !seen.contains(photo) {
            let id = photo
                .trim_start_matches("photos/")
                .trim_end_matches(".jpg")
                .to_string();
            return Err(VerifyError::Record {
                index: *index,
                id,
                problem: "photo missing from the payload".into(),
            });
        }
    }
    if count != m.count {
        return Err(VerifyError::Batch {
            batch: m.batch_id.clone(),
            problem: format!("{count} records, the manifest says {}", m.count),
        });
    }
    if hex::encode(head) != m.chain_head {
        return Err(VerifyError::Batch {
            batch: m.batch_id.clone(),
            problem: "chain head differs from the manifest: records missing at the end".into(),
        });
    }
    if let Some(p) = file_problem {
        return Err(p);
    }
    if let Some(f) = m.files.iter().find(|f| !seen.contains(&f.name)) {
        return Err(VerifyError::File {
            name: f.name.clone(),
            problem: "listed in the manifest but not in the payload".into(),
        });
    }
    Ok(count)
}

/// Check that consecutive bundles link (sorted by batch sequence): no gap in the
/// sequence and each `prev_chain_head` equals the previous batch's `chain_head`.
pub fn verify_sequence(manifests: &[Manifest]) -> Result<(), VerifyError> {
    let mut sorted: Vec<&Manifest> = manifests.iter().collect();
    sorted.sort_by_key(|m| m.batch_seq);
    if let Some(first) = sorted.first() {
        if first.batch_seq == 1 && first.prev_chain_head != hex::encode([0u8; 32]) {
            return Err(VerifyError::Batch {
                batch: first.batch_id.clone(),
                problem: "first batch does not start the chain".into(),
            });
        }
    }
    for w in sorted.windows(2) {
        if let [a, b] = w {
            if b.batch_seq != a.batch_seq + 1 || b.prev_chain_head != a.chain_head {
                return Err(VerifyError::MissingBatch {
                    after: a.batch_id.clone(),
                    before: b.batch_id.clone(),
                    problem: format!(
                        "sequence {} then {}; a batch between them is missing or was altered",
                        a.batch_seq, b.batch_seq
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A results file that cannot be read; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A line is malformed.
    #[error("line {line}: {field}: {message} — nothing was changed")]
    Line {
        line: usize,
        field: &'static str,
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import changed and what it left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Records whose status changed.
    pub updated: Vec<String>,
    /// Records that already had this result.
    pub unchanged: Vec<String>,
    /// Ids not in this queue: nothing done for them.
    pub unknown: Vec<String>,
    /// Records still queued (never exported): nothing done for them.
    pub not_exported: Vec<String>,
}

struct ResultLine {
    id: RecordId,
    status: Status,
    reason: Option<String>,
}

fn csv_fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(f) = out.last_mut() {
                    f.push('"')
                }
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => {
                if let Some(f) = out.last_mut() {
                    f.push(c)
                }
            }
        }
    }
    out
}

fn parse_results(text: &str) -> Result<Vec<ResultLine>, ImportError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let (id, status, reason) = if raw.trim_start().starts_with('{') {
            let v: Value = serde_json::from_str(raw).map_err(|e| ImportError::Line {
                line,
                field: "json",
                message: e.to_string(),
            })?;
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            (
                s("record_id").unwrap_or_default(),
                s("status").unwrap_or_default(),
                s("reason"),
            )
        } else {
            let f = csv_fields(raw);
            let get = |i: usize| f.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
            if line == 1 && get(0) == "record_id" {
                continue;
            }
            (get(0), get(1), Some(get(2)))
        };
        let id = id.parse::<RecordId>().map_err(|e| ImportError::Line {
            line,
            field: "record_id",
            message: e.to_string(),
        })?;
        let status = match status.as_str() {
            "accepted" => Status::Accepted,
            "rejected" => Status::Rejected,
            other => {
                return Err(ImportError::Line {
                    line,
                    field: "status",
                    message: format!("{other:?}: expected accepted or rejected"),
                })
            }
        };
        out.push(ResultLine {
            id,
            status,
            reason: reason.filter(|r| !r.is_empty()),
        });
    }
    Ok(out)
}

/// Apply a results file (CSV `record_id,status,reason` or JSON lines) in one
/// transaction. Unknown and never-exported ids are reported and left alone.
pub fn import_results(store: &mut Store, text: &str) -> Result<ImportReport, ImportError> {
    let lines = parse_results(text)?;
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let tx = store.conn_mut().transaction().map_err(StoreError::from)?;
    let mut report = ImportReport::default();
    for l in lines {
        let id = l.id.to_string();
        let current: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT status, status_reason FROM records WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::from)?;
        match current {
            None => report.unknown.push(id),
            Some((s, _)) if s == "queued" => report.not_exported.push(id),
            Some((s, r)) if s == l.status.as_str() && r == l.reason => report.unchanged.push(id),
            Some(_) => {
                tx.execute(
                    "UPDATE records SET status = ?1, status_reason = ?2, status_at = ?3 WHERE id = ?4",
                    params![l.status.as_str(), l.reason, now, id],
                )
                .map_err(StoreError::from)?;
                report.updated.push(id);
            }
        }
    }
    tx.commit().map_err(StoreError::from)?;
    Ok(report)
}

/// Read an age recipient: `age1…` itself, or a file holding one (comments allowed).
pub fn parse_recipient(arg: &str) -> Result<age::x25519::Recipient, String> {
    let text = if arg.starts_with("age1") {
        arg.to_string()
    } else {
        fs::read_to_string(arg).map_err(|e| format!("{arg}: {e}"))?
    };
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    line.parse()
        .map_err(|e: &str| format!("{arg}: not an age X25519 recipient ({e})"))
}

/// Read an age identity file (`AGE-SECRET-KEY-1…`, comments allowed).
pub fn read_identity(path: &Path) -> Result<age::x25519::Identity, String> {
    let f = fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for line in BufReader::new(f).lines() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        let line = line.trim();
        if line.starts_with("AGE-SECRET-KEY-") {
            return line
                .parse()
                .map_err(|e: &str| format!("{}: {e}", path.display()));
        }
    }
    Err(format!("{}: no AGE-SECRET-KEY line", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::record::{synthetic_jpeg, NewActivation};
    use crate::queue::store::ListFilter;

    struct Fixture {
        _dir: tempfile::TempDir,
        data: PathBuf,
        out: PathBuf,
        store: Store,
        identity: age::x25519::Identity,
    }

    fn fixture(n: u32) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut store = Store::open(&data).unwrap();
        for i in 0..n {
            store
                .append(&NewActivation::synthetic(
                    i,
                    synthetic_jpeg(u64::from(i), 48),
                ))
                .unwrap();
        }
        let out = dir.path().join("usb");
        Fixture {
            _dir: dir,
            data,
            out,
            store,
            identity: age::x25519::Identity::generate(),
        }
    }

    fn export_to(
        f: &mut Fixture,
        out: &Path,
        batch: Option<&str>,
    ) -> Result<Manifest, ExportError> {
        let r = f.identity.to_public();
        export(&mut f.store, out, batch, &r, &mut |_, _| {})
    }

    /// Decrypt a bundle's payload into (name, bytes) entries.
    fn unpack(dir: &Path, id: &age::x25519::Identity) -> Vec<(String, Vec<u8>)> {
        let f = fs::File::open(dir.join(PAYLOAD)).unwrap();
        let r = age::Decryptor::new(BufReader::new(f))
            .unwrap()
            .decrypt(std::iter::once(id as &dyn age::Identity))
            .unwrap();
        let mut t = tar::Archive::new(r);
        t.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let mut d = Vec::new();
                e.read_to_end(&mut d).unwrap();
                (name, d)
            })
            .collect()
    }

    /// Re-encrypt changed entries to the same recipient and fix the payload hash in
    /// the manifest: what someone holding the province's public key could do.
    fn repack(dir: &Path, id: &age::x25519::Identity, entries: &[(String, Vec<u8>)]) {
        let r = id.to_public();
        let f = fs::File::create(dir.join(PAYLOAD)).unwrap();
        let w = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
            .unwrap()
            .wrap_output(f)
            .unwrap();
        let mut t = tar::Builder::new(w);
        for (name, d) in entries {
            let mut h = tar::Header::new_ustar();
            h.set_size(d.len() as u64);
            h.set_cksum();
            t.append_data(&mut h, name, d.as_slice()).unwrap();
        }
        t.into_inner().unwrap().finish().unwrap();
        let mut m = read_manifest(dir).unwrap();
        m.payload.sha256 = hex::encode(Sha256::digest(fs::read(dir.join(PAYLOAD)).unwrap()));
        fs::write(dir.join(MANIFEST), serde_json::to_string(&m).unwrap()).unwrap();
    }

    fn records_lines(entries: &[(String, Vec<u8>)]) -> Vec<Vec<u8>> {
        entries[0]
            .1
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    }

    fn with_lines(entries: &mut [(String, Vec<u8>)], lines: &[Vec<u8>]) {
        entries[0].1 = lines
            .iter()
            .flat_map(|l| l.iter().copied().chain([b'\n']))
            .collect();
    }

    #[test]
    fn export_writes_a_bundle_that_verifies_and_marks_records_exported() {
        let mut f = fixture(5);
        let out = f.out.clone();
        let mut calls = 0;
        let r = f.identity.to_public();
        let m = export(&mut f.store, &out, None, &r, &mut |d, t| {
            calls += 1;
            assert!(d <= t && t == 5)
        })
        .unwrap();
        assert_eq!(calls, 5);
        assert_eq!((m.count, m.batch_seq, m.files.len()), (5, 1, 6));
        assert_eq!(m.prev_chain_head, hex::encode([0u8; 32]));
        assert_eq!(m.first_record_at, "2025-03-01T01:30:00.000Z");
        let v = verify(&out, Some(&f.identity)).unwrap();
        assert_eq!((v.records_checked, v.decrypted), (5, true));
        assert_eq!(verify(&out, None).unwrap().records_checked, 0);
        assert!(f
            .store
            .list(&ListFilter::default())
            .unwrap()
            .iter()
            .all(|r| r.status == Status::Exported
                && r.batch_id.as_deref() == Some(m.batch_id.as_str())));
        // No personal data in the manifest or the encrypted payload.
        let a = NewActivation::synthetic(2, vec![]);
        let id = a.card.id_number().unwrap().to_string();
        for file in [MANIFEST, PAYLOAD] {
            let bytes = fs::read(out.join(file)).unwrap();
            for needle in [id.as_str(), "Nguy", "+849", "Lê Lợi"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{needle} in {file}"
                );
            }
        }
        // Photos are named by record UUID.
        let entries = unpack(&out, &f.identity);
        assert!(entries
            .iter()
            .skip(1)
            .all(|(n, _)| n.starts_with("photos/") && !n.contains(&id)));
        // Nothing left to export.
        assert!(matches!(
            export_to(&mut f, &out, None),
            Err(ExportError::Nothing)
        ));
    }

    #[test]
    fn re_exporting_a_batch_rebuilds_the_same_records_and_manifest() {
        let mut f = fixture(3);
        let out = f.out.clone();
        let m1 = export_to(&mut f, &out, None).unwrap();
        let first = unpack(&out, &f.identity);
        let again = f.out.with_extension("again");
        let m2 = export_to(&mut f, &again, Some(&m1.batch_id)).unwrap();
        assert_eq!(m1.without_payload(), m2.without_payload());
        assert_eq!(first, unpack(&again, &f.identity));
        verify(&again, Some(&f.identity)).unwrap();
        assert!(matches!(
            export_to(&mut f, &again, Some("19990101-0009")),
            Err(ExportError::UnknownBatch(_))
        ));
    }

    #[test]
    fn an_unwritable_directory_leaves_every_record_queued() {
        let mut f = fixture(2);
        let file = f.out.clone();
        fs::write(&file, b"a file where the directory should be").unwrap();
        let err = export_to(&mut f, &file.join("sub"), None).unwrap_err();
        assert!(matches!(err, ExportError::Io { .. }), "{err}");
        assert!(err.to_string().contains("still queued"));
        assert_eq!(
            f.store
                .list(&ListFilter {
                    status: Some(Status::Queued),
                    ..Default::default()
                })
                .unwrap()
                .len(),
            2
        );
        // Then a good stick: the same records go out as batch 1.
        let out = f.out.with_extension("ok");
        assert_eq!(export_to(&mut f, &out, None).unwrap().batch_seq, 1);
    }

    #[test]
    fn a_changed_byte_of_the_payload_is_caught_without_the_key() {
        let mut f = fixture(2);
        let out = f.out.clone();
        export_to(&mut f, &out, None).unwrap();
        let mut bytes = fs::read(out.join(PAYLOAD)).unwrap();
        let i = bytes.len() / 2;
        bytes[i] ^= 0x01;
        fs::write(out.join(PAYLOAD), bytes).unwrap();
        assert!(matches!(
            verify(&out, None),
            Err(VerifyError::Payload { .. })
        ));
        assert!(verify(&out, Some(&f.identity)).is_err());
    }

    fn tampered(change: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> (VerifyError, Vec<String>) {
        let mut f = fixture(4);
        let out = f.out.clone();
        export_to(&mut f, &out, None).unwrap();
        let ids: Vec<String> = f
            .store
            .list(&ListFilter::default())
            .unwrap()
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        let mut entries = unpack(&out, &f.identity);
        change(&mut entries);
        repack(&out, &f.identity, &entries);
        (verify(&out, Some(&f.identity)).unwrap_err(), ids)
    }

    #[test]
    fn a_changed_record_is_named() {
        let (e, ids) = tampered(|entries| {
            let mut lines = records_lines(entries);
            let s = String::from_utf8(lines[1].clone())
                .unwrap()
                .replace("CB", "CX");
            lines[1] = s.into_bytes();
            with_lines(entries, &lines);
        });
        assert!(
            matches!(&e, VerifyError::Record { index: 2, id, .. } if *id == ids[1]),
            "{e}"
        );
    }

    #[test]
    fn a_dropped_record_is_named_by_the_one_after_it() {
        let (e, ids) = tampered(|entries| {
            let mut lines = records_lines(entries);
            lines.remove(1);
            with_lines(entries, &lines);
        });
        assert!(
            matches!(&e, VerifyError::Record { index: 2, id, .. } if *id == ids[2]),
            "{e}"
        );
        let (e, _) = tampered(|entries| {
            let mut lines = records_lines(entries);
            lines.pop();
            with_lines(entries, &lines);
        });
        assert!(matches!(&e, VerifyError::Batch { .. }), "{e}");
    }

    #[test]
    fn two_swapped_records_are_named() {
        let (e, ids) = tampered(|entries| {
            let mut lines = records_lines(entries);
            lines.swap(0, 1);
            with_lines(entries, &lines);
        });
        assert!(
            matches!(&e, VerifyError::Record { index: 1, id, .. } if *id == ids[1]),
            "{e}"
        );
    }

    #[test]
    fn a_changed_photo_is_named_by_its_record() {
        let (e, ids) = tampered(|entries| {
            let last = entries.len() - 1;
            let mid = entries[last].1.len() / 2;
            entries[last].1[mid] ^= 0x40;
        });
        assert!(
            matches!(&e, VerifyError::Record { index: 4, id, .. } if *id == ids[3]),
            "{e}"
        );
    }

    #[test]
    fn a_missing_batch_between_two_bundles_is_detected() {
        let mut f = fixture(1);
        let dirs: Vec<PathBuf> = (1..=3)
            .map(|i| f.out.with_extension(i.to_string()))
            .collect();
        for (i, d) in dirs.iter().enumerate() {
            if i > 0 {
                f.store
                    .append(&NewActivation::synthetic(
                        10 + i as u32,
                        synthetic_jpeg(1, 32),
                    ))
                    .unwrap();
            }
            export_to(&mut f, d, None).unwrap();
        }
        let m: Vec<Manifest> = dirs.iter().map(|d| read_manifest(d).unwrap()).collect();
        verify_sequence(&m).unwrap();
        assert_eq!(m[1].prev_chain_head, m[0].chain_head);
        let e = verify_sequence(&[m[0].clone(), m[2].clone()]).unwrap_err();
        assert!(
            matches!(&e, VerifyError::MissingBatch { after, before, .. } if *after == m[0].batch_id && *before == m[2].batch_id),
            "{e}"
        );
    }

    #[test]
    fn results_import_updates_known_records_and_reports_the_rest() {
        let mut f = fixture(3);
        let out = f.out.clone();
        export_to(&mut f, &out, None).unwrap();
        let queued = f
            .store
            .append(&NewActivation::synthetic(9, synthetic_jpeg(9, 32)))
            .unwrap();
        let ids: Vec<String> = f
            .store
            .list(&ListFilter::default())
            .unwrap()
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        let stranger = RecordId::new_v7().to_string();
        let csv = format!("\u{feff}record_id,status,reason\r\n{},accepted,\r\n{},rejected,\"Ảnh mờ, chụp lại\"\r\n{stranger},accepted,\r\n{queued},accepted,\r\n", ids[0], ids[1]);
        let rep = import_results(&mut f.store, &csv).unwrap();
        assert_eq!(rep.updated, vec![ids[0].clone(), ids[1].clone()]);
        assert_eq!(rep.unknown, vec![stranger]);
        assert_eq!(rep.not_exported, vec![queued.to_string()]);
        let r1 = f.store.get(ids[1].parse().unwrap()).unwrap().summary;
        assert_eq!(
            (r1.status, r1.status_reason.as_deref()),
            (Status::Rejected, Some("Ảnh mờ, chụp lại"))
        );
        assert_eq!(f.store.get(queued).unwrap().summary.status, Status::Queued);
        // JSON lines; the same result twice changes nothing.
        let jsonl = format!("{{\"record_id\":\"{}\",\"status\":\"accepted\"}}\n", ids[0]);
        assert_eq!(
            import_results(&mut f.store, &jsonl).unwrap().unchanged,
            vec![ids[0].clone()]
        );
        // A bad line changes nothing at all and names line and field.
        let bad = format!("{},accepted,\n{},maybe,\n", ids[2], ids[2]);
        let e = import_results(&mut f.store, &bad).unwrap_err();
        assert!(
            matches!(
                e,
                ImportError::Line {
                    line: 2,
                    field: "status",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            f.store.get(ids[2].parse().unwrap()).unwrap().summary.status,
            Status::Exported
        );
        let _ = &f.data;
    }
}
