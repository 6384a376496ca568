//! `cccd-kiosk queue …`: the supervisor's end of day from a terminal.
//!
//! Exit status: 0 done; 1 the bundle failed verification, a result named an
//! unknown or never-exported record, or the store failed; 2 bad input (the
//! message names the field). Personal data never reaches stdout or stderr:
//! `list` shows ids, receipts, officers, units and statuses only.
//!
//! The supervisor passphrase comes from `--passphrase-file FILE` or
//! `$CCCD_SUPERVISOR_PASSPHRASE` (never a command-line argument: it would show in
//! `ps` and the shell history).

use super::export::{self, ExportError, VerifyError};
use super::record::Status;
use super::store::{ListFilter, Store, StoreError};
use clap::Subcommand;
use std::path::{Path, PathBuf};

/// Exit status: done.
pub const EXIT_OK: i32 = 0;
/// Exit status: verification failed, some results not applied, or a store error.
pub const EXIT_FAILED: i32 = 1;
/// Exit status: bad input; the message names the field.
pub const EXIT_BAD_INPUT: i32 = 2;

/// The `queue` subcommands.
#[derive(Subcommand, Debug)]
pub enum QueueCmd {
    /// Write the queued records (or rebuild batch --batch) as an encrypted bundle.
    Export {
        /// The directory to write manifest.json and payload.age into (the USB stick).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Rebuild this already exported batch instead of exporting new records.
        #[arg(long, value_name = "ID")]
        batch: Option<String>,
        /// The province's age recipient (`age1…`) or a file holding it.
        #[arg(long, value_name = "age1…|FILE")]
        recipient: String,
        /// File holding the supervisor passphrase (else $CCCD_SUPERVISOR_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
    /// Check bundles against their manifests; with --identity, every record and the chain.
    Verify {
        /// Bundle directories; several are also checked for a missing batch between them.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// The province's age identity file (AGE-SECRET-KEY-1…).
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
    },
    /// Mark records accepted or rejected from a results file (CSV record_id,status,reason or JSON lines).
    ImportResults {
        /// The results file.
        file: PathBuf,
    },
    /// List records (no personal data).
    List {
        /// Only this status (queued, exported, accepted, rejected).
        #[arg(long)]
        status: Option<String>,
        /// Only this export batch.
        #[arg(long)]
        batch: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Counts per status, day, officer and unit.
    Stats {
        /// As one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Set (or change) the supervisor passphrase that guards exports.
    SetPassphrase {
        /// File holding the new passphrase.
        #[arg(long, value_name = "FILE")]
        new_file: PathBuf,
        /// File holding the current passphrase (else $CCCD_SUPERVISOR_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
    },
}

fn bad(field: &str, message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {field}: {message}");
    EXIT_BAD_INPUT
}

fn failed(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    EXIT_FAILED
}

fn read_secret(file: Option<&Path>, field: &str) -> Result<zeroize::Zeroizing<String>, i32> {
    let text = match file {
        Some(f) => {
            std::fs::read_to_string(f).map_err(|e| bad(field, format!("{}: {e}", f.display())))?
        }
        None => std::env::var("CCCD_SUPERVISOR_PASSPHRASE").map_err(|_| {
            bad(
                field,
                "give --passphrase-file FILE or set CCCD_SUPERVISOR_PASSPHRASE",
            )
        })?,
    };
    Ok(zeroize::Zeroizing::new(
        text.trim_end_matches(['\r', '\n']).to_string(),
    ))
}

fn open(data_dir: &Path) -> Result<Store, i32> {
    Store::open(data_dir).map_err(failed)
}

fn store_error(e: StoreError) -> i32 {
    match e {
        StoreError::Invalid(e) => bad("record", e),
        StoreError::Passphrase(m) => bad("passphrase", m),
        e => failed(e),
    }
}

/// Run a `queue` subcommand against the queue in `data_dir`; returns the exit status.
pub fn run(cmd: QueueCmd, data_dir: &Path) -> i32 {
    match run_inner(cmd, data_dir) {
        Ok(code) | Err(code) => code,
    }
}

fn run_inner(cmd: QueueCmd, data_dir: &Path) -> Result<i32, i32> {
    match cmd {
        QueueCmd::Export {
            out,
            batch,
            recipient,
            passphrase_file,
        } => {
            let recipient = export::parse_recipient(&recipient).map_err(|e| bad("recipient", e))?;
            let pass = read_secret(passphrase_file.as_deref(), "passphrase")?;
            let mut store = open(data_dir)?;
            store.check_supervisor(&pass).map_err(store_error)?;
            let mut last = usize::MAX;
            let mut progress = |done: usize, total: usize| {
                let pct = done * 100 / total.max(1);
                if pct != last {
                    last = pct;
                    let bar = "#".repeat(pct / 5);
                    // Two passes (hash, then write): `total` is twice the records.
                    eprint!("\rexport [{bar:<20}] {pct:>3}% of {} records", total / 2);
                    if done == total {
                        eprintln!();
                    }
                }
            };
            match export::export(
                &mut store,
                &out,
                batch.as_deref(),
                &recipient,
                &mut progress,
            ) {
                Ok(m) => {
                    println!(
                        "{}",
                        serde_json::json!({"batch_id": m.batch_id, "count": m.count, "out": out, "chain_head": m.chain_head})
                    );
                    Ok(EXIT_OK)
                }
                Err(e @ (ExportError::UnknownBatch(_) | ExportError::Recipient(_))) => {
                    Err(bad("batch", e))
                }
                Err(e @ ExportError::Occupied { .. }) => Err(bad("out", e)),
                Err(ExportError::Store(e)) => Err(store_error(e)),
                Err(e) => Err(failed(e)),
            }
        }
        QueueCmd::Verify { dirs, identity } => {
            let identity = identity
                .map(|p| export::read_identity(&p))
                .transpose()
                .map_err(|e| bad("identity", e))?;
            let mut manifests = Vec::new();
            let mut code = EXIT_OK;
            for dir in &dirs {
                match export::verify(dir, identity.as_ref()) {
                    Ok(v) => {
                        println!(
                            "{}: batch {} ok ({} records checked{})",
                            dir.display(),
                            v.batch_id,
                            v.records_checked,
                            if v.decrypted {
                                ", chain verified"
                            } else {
                                "; payload hash only, give --identity to check records"
                            }
                        );
                    }
                    Err(e) => {
                        println!("{}: FAILED: {e}", dir.display());
                        code = EXIT_FAILED;
                    }
                }
                if let Ok(m) = export::read_manifest(dir) {
                    manifests.push(m);
                }
            }
            if let Err(e @ (VerifyError::MissingBatch { .. } | VerifyError::Batch { .. })) =
                export::verify_sequence(&manifests)
            {
                println!("FAILED: {e}");
                code = EXIT_FAILED;
            }
            Ok(code)
        }
        QueueCmd::ImportResults { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| bad("file", format!("{}: {e}", file.display())))?;
            let mut store = open(data_dir)?;
            let report = export::import_results(&mut store, &text).map_err(|e| match e {
                export::ImportError::Line { .. } => bad("file", e),
                export::ImportError::Store(e) => store_error(e),
            })?;
            println!(
                "{}",
                serde_json::json!({"updated": report.updated.len(), "unchanged": report.unchanged.len(),
                "unknown": report.unknown, "not_exported": report.not_exported})
            );
            for id in &report.unknown {
                eprintln!("warning: {id}: not a record of this kiosk; nothing changed for it");
            }
            for id in &report.not_exported {
                eprintln!("warning: {id}: never exported; nothing changed for it");
            }
            Ok(
                if report.unknown.is_empty() && report.not_exported.is_empty() {
                    EXIT_OK
                } else {
                    EXIT_FAILED
                },
            )
        }
        QueueCmd::List {
            status,
            batch,
            json,
        } => {
            let status = status
                .map(|s| s.parse::<Status>())
                .transpose()
                .map_err(|e| bad("status", e))?;
            let store = open(data_dir)?;
            let rows = store
                .list(&ListFilter {
                    status,
                    batch_id: batch,
                })
                .map_err(store_error)?;
            for r in rows {
                if json {
                    println!("{}", serde_json::to_string(&r).unwrap_or_default());
                } else {
                    println!(
                        "{}  {}  {}  {:<8} {:<8} {:<16} {:<8} {}",
                        r.id,
                        r.receipt,
                        r.created_at.format("%Y-%m-%d %H:%M"),
                        r.officer_id,
                        r.unit_code,
                        r.service,
                        r.status,
                        r.batch_id.as_deref().unwrap_or("-")
                    );
                }
            }
            Ok(EXIT_OK)
        }
        QueueCmd::Stats { json } => {
            let store = open(data_dir)?;
            let s = store.stats().map_err(store_error)?;
            if json {
                println!("{}", serde_json::to_string(&s).unwrap_or_default());
            } else {
                println!("total {}", s.total);
                for (title, map) in [
                    ("day", &s.by_day),
                    ("officer", &s.by_officer),
                    ("unit", &s.by_unit),
                ] {
                    println!("by {title}:");
                    for (k, counts) in map {
                        let parts: Vec<String> =
                            counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
                        println!("  {k:<12} {}", parts.join(", "));
                    }
                }
                let parts: Vec<String> = s
                    .by_status
                    .iter()
                    .map(|(s, n)| format!("{s} {n}"))
                    .collect();
                println!("by status: {}", parts.join(", "));
            }
            Ok(EXIT_OK)
        }
        QueueCmd::SetPassphrase {
            new_file,
            passphrase_file,
        } => {
            let new = read_secret(Some(&new_file), "new-file")?;
            let mut store = open(data_dir)?;
            let current = if store.supervisor_passphrase_set().map_err(store_error)? {
                Some(read_secret(passphrase_file.as_deref(), "passphrase")?)
            } else {
                None
            };
            store
                .set_supervisor_passphrase(current.as_ref().map(|s| s.as_str()), &new)
                .map_err(store_error)?;
            eprintln!("supervisor passphrase set");
            Ok(EXIT_OK)
        }
    }
}
