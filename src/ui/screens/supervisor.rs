//! The supervisor's end of day at the kiosk (issue 5, item 5): behind the
//! supervisor passphrase (the one `queue set-passphrase` sets; Argon2id in the
//! queue), reached from officer mode. Shows today's counts and what waits for
//! export; lists removable drives (udisks mounts them under `/media/USER/LABEL`
//! or `/run/media/USER/LABEL`); exports the queue to the chosen drive with a
//! progress bar (on a worker thread: the screen keeps drawing), verifies the
//! bundles found there against their manifests and each other (a missing
//! batch shows), imports result files (`*.csv`, `*.jsonl`) found there, and
//! lists what succeeded and what failed.
//!
//! Nothing here shows personal data: counts, batch ids, file names, errors.
//! The passphrase is typed on the keypad (digits) or a keyboard, and wiped when
//! the screen is left. The kiosk holds no province identity, so verification
//! here checks the payload's hash against the manifest and the chain links
//! between manifests; the province decrypts and checks every record.

use super::{heading, widgets, ScreenCtx};
use crate::queue::export::{self, Manifest};
use crate::queue::store::Store;
use crate::ui::flow::Event;
use crate::ui::i18n::{trf, Lang};
use crate::ui::theme;
use egui::{RichText, Ui};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, TryRecvError};

/// Messages from the export worker.
enum JobMsg {
    Progress(usize, usize),
    Done(Box<Result<Manifest, String>>, PathBuf),
}

/// The screen's state, kept in [`super::UiState`] while the screen is open.
#[derive(Default)]
pub struct Panel {
    pass: String,
    unlocked: bool,
    error: Option<String>,
    /// Today's counts by status, and the records waiting for export.
    today: Vec<(String, u64)>,
    waiting: u64,
    drives: Vec<PathBuf>,
    drive: Option<PathBuf>,
    job: Option<Receiver<JobMsg>>,
    progress: (usize, usize),
    /// What was done: (succeeded, message), newest last.
    log: Vec<(bool, String)>,
}

impl Panel {
    /// Lock again and forget everything when the screen is left (an export that
    /// is running finishes on its own thread; the queue marks it when it is done).
    pub fn on_screen_change(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.pass);
        *self = Panel::default();
    }

    /// Check the passphrase typed so far (the Unlock button; the demo tour types
    /// and taps through here too), and forget it.
    pub fn unlock(&mut self, data_dir: &Path, roots: &[PathBuf]) {
        let checked = Store::open(data_dir).and_then(|s| s.check_supervisor(&self.pass));
        zeroize::Zeroize::zeroize(&mut self.pass);
        match checked {
            Ok(()) => {
                self.unlocked = true;
                self.error = None;
                self.refresh(data_dir, roots);
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Type on the passphrase keypad (the demo tour).
    pub fn type_pass(&mut self, text: &str) {
        self.pass.push_str(text);
    }

    /// Tap "Export" for the drive chosen (the demo tour); false when there is no
    /// drive or an export is already running.
    pub fn export_to_chosen(&mut self, data_dir: &Path, recipient: &str, lang: Lang) -> bool {
        match (self.drive.clone(), self.job.is_some()) {
            (Some(drive), false) => {
                start_export(self, data_dir, &drive, recipient, lang);
                true
            }
            _ => false,
        }
    }

    /// True once an export has ended (its outcome is in the screen's log).
    pub fn export_done(&self) -> bool {
        self.job.is_none() && !self.log.is_empty()
    }

    /// True once the passphrase was accepted.
    pub fn is_unlocked(&self) -> bool {
        self.unlocked
    }

    fn note(&mut self, ok: bool, message: String) {
        self.log.push((ok, message));
        if self.log.len() > 12 {
            self.log.remove(0);
        }
    }

    fn refresh(&mut self, data_dir: &Path, roots: &[PathBuf]) {
        match Store::open(data_dir).and_then(|s| s.stats()) {
            Ok(s) => {
                let day = chrono::Local::now().format("%Y-%m-%d").to_string();
                self.today = s
                    .by_day
                    .get(&day)
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
                    .unwrap_or_default();
                self.waiting = s.by_status.get("queued").copied().unwrap_or(0);
            }
            Err(e) => self.note(false, e.to_string()),
        }
        self.drives = drives(roots);
        if self.drive.as_ref().is_none_or(|d| !self.drives.contains(d)) {
            self.drive = self.drives.first().cloned();
        }
    }
}

/// Mounted removable drives: the directories one and two levels under each root
/// (`/media/LABEL`, `/media/USER/LABEL`), sorted.
pub fn drives(roots: &[PathBuf]) -> Vec<PathBuf> {
    let dirs = |p: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default()
    };
    use std::os::unix::fs::MetadataExt;
    let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
    let mut out = Vec::new();
    for root in roots {
        for d in dirs(root) {
            let inner = dirs(&d);
            // A mount point is a drive. `/media/USER` holds the drives (mount points
            // below it); without mounts to tell (tests), a directory holding only
            // directories, none of them a bundle, is taken for such a holder.
            let mounted = dev(&d) != dev(root);
            let holds_mounts = inner.iter().any(|i| dev(i) != dev(&d));
            let holder = !mounted
                && !inner.is_empty()
                && (holds_mounts
                    || (std::fs::read_dir(&d)
                        .map(|rd| rd.filter_map(Result::ok).all(|e| e.path().is_dir()))
                        .unwrap_or(false)
                        && inner.iter().all(|i| !i.join("manifest.json").exists())));
            if holder {
                out.extend(inner);
            } else {
                out.push(d);
            }
        }
    }
    out.sort();
    out
}

/// Bundle directories on a drive: those holding a `manifest.json`.
fn bundles(drive: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(drive)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("manifest.json").is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Result files on a drive (`*.csv`, `*.jsonl`).
fn result_files(drive: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(drive)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && matches!(
                            p.extension().and_then(|e| e.to_str()),
                            Some("csv" | "jsonl")
                        )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Draw the supervisor screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("supervisor.title"));
    let Some(data_dir) = sc.config.data_dir.clone() else {
        ui.label(sc.t("supervisor.no_queue"));
        if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
            ev = Some(Event::Back);
        }
        return ev;
    };
    let roots = sc.config.removable_roots.clone();
    let erase = sc.t("common.erase");
    if !sc.ui_state.supervisor.unlocked {
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                let p = &mut sc.ui_state.supervisor;
                ui.label(tr_owned(sc.flow.lang, "supervisor.pass"));
                ui.add(
                    egui::TextEdit::singleline(&mut p.pass)
                        .password(true)
                        .font(egui::TextStyle::Heading)
                        .desired_width(420.0),
                );
                if let Some(e) = &p.error {
                    ui.label(RichText::new(e.as_str()).color(theme::WARN));
                }
                if widgets::big_button(ui, tr_owned(sc.flow.lang, "supervisor.unlock"), true)
                    .clicked()
                {
                    p.unlock(&data_dir, &roots);
                }
                if widgets::big_button(ui, tr_owned(sc.flow.lang, "common.back"), false).clicked() {
                    ev = Some(Event::Back);
                }
            });
            widgets::keypad(ui, &mut sc.ui_state.supervisor.pass, 64, None, erase);
        });
        return ev;
    }

    // Worker news.
    let lang = sc.flow.lang;
    let p = &mut sc.ui_state.supervisor;
    if let Some(rx) = &p.job {
        let mut done = None;
        loop {
            match rx.try_recv() {
                Ok(JobMsg::Progress(d, t)) => p.progress = (d, t),
                Ok(JobMsg::Done(r, dir)) => {
                    done = Some((*r, dir));
                    break;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    done = Some((Err("the export stopped".into()), PathBuf::new()));
                    break;
                }
            }
        }
        match done {
            Some((Ok(m), dir)) => {
                p.job = None;
                p.note(
                    true,
                    trf(
                        lang,
                        "supervisor.log_exported",
                        &[
                            ("batch", &m.batch_id),
                            ("n", &m.count.to_string()),
                            ("dir", &dir.display().to_string()),
                        ],
                    ),
                );
                p.refresh(&data_dir, &roots);
            }
            Some((Err(e), _)) => {
                p.job = None;
                p.note(
                    false,
                    trf(lang, "supervisor.log_export_failed", &[("error", &e)]),
                );
                p.refresh(&data_dir, &roots);
            }
            None => ui
                .ctx()
                .request_repaint_after(std::time::Duration::from_millis(50)),
        }
    }

    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_max_width(560.0);
            let day = chrono::Local::now().format("%d/%m/%Y").to_string();
            ui.label(
                RichText::new(tr_owned(lang, "supervisor.today").replace("{day}", &day))
                    .size(26.0)
                    .strong(),
            );
            if p.today.is_empty() {
                ui.label(tr_owned(lang, "supervisor.none_today"));
            }
            for (status, n) in &p.today {
                let label: &str = match status.as_str() {
                    "queued" | "exported" | "accepted" | "rejected" => {
                        tr_owned(lang, &format!("supervisor.status_{status}"))
                    }
                    other => other,
                };
                ui.label(RichText::new(format!("{label}: {n}")).size(24.0));
            }
            ui.label(
                RichText::new(
                    tr_owned(lang, "supervisor.waiting").replace("{n}", &p.waiting.to_string()),
                )
                .size(24.0),
            );
            ui.separator();
            ui.label(tr_owned(lang, "supervisor.log"));
            for (ok, m) in &p.log {
                ui.label(RichText::new(m.as_str()).color(if *ok {
                    theme::PRIMARY
                } else {
                    theme::WARN
                }));
            }
        });
        ui.vertical(|ui| {
            ui.label(RichText::new(tr_owned(lang, "supervisor.drives")).size(24.0));
            if p.drives.is_empty() {
                ui.label(tr_owned(lang, "supervisor.no_drive"));
            }
            for d in p.drives.clone() {
                let chosen = p.drive.as_ref() == Some(&d);
                if widgets::big_button(ui, &d.display().to_string(), chosen).clicked() {
                    p.drive = Some(d);
                }
            }
            if widgets::big_button(ui, tr_owned(lang, "supervisor.refresh"), false).clicked() {
                p.refresh(&data_dir, &roots);
            }
            let recipient = sc.config.export_recipient.clone();
            if p.job.is_some() {
                let (d, t) = p.progress;
                ui.label(tr_owned(lang, "supervisor.exporting"));
                ui.add(
                    egui::ProgressBar::new(d as f32 / t.max(1) as f32)
                        .show_percentage()
                        .desired_width(420.0),
                );
            } else if recipient.is_none() {
                ui.label(
                    RichText::new(tr_owned(lang, "supervisor.no_recipient")).color(theme::WARN),
                );
            } else if let Some(drive) = p.drive.clone() {
                if widgets::big_button_enabled(
                    ui,
                    tr_owned(lang, "supervisor.export"),
                    true,
                    p.waiting > 0,
                )
                .clicked()
                {
                    start_export(
                        p,
                        &data_dir,
                        &drive,
                        recipient.as_deref().unwrap_or_default(),
                        lang,
                    );
                }
            }
            if let Some(drive) = p.drive.clone() {
                if widgets::big_button(ui, tr_owned(lang, "supervisor.verify"), false).clicked() {
                    verify_drive(p, &drive, lang);
                }
                for f in result_files(&drive) {
                    let label =
                        tr_owned(lang, "supervisor.import").replace("{file}", &file_name(&f));
                    if widgets::big_button(ui, &label, false).clicked() {
                        import(p, &data_dir, &f, lang);
                        p.refresh(&data_dir, &roots);
                    }
                }
            }
            if widgets::big_button(ui, tr_owned(lang, "common.back"), false).clicked() {
                ev = Some(Event::Back);
            }
        });
    });
    ev
}

fn tr_owned(lang: crate::ui::i18n::Lang, key: &str) -> &'static str {
    crate::ui::i18n::tr(lang, key)
}

fn start_export(p: &mut Panel, data_dir: &Path, drive: &Path, recipient: &str, lang: Lang) {
    let recipient = match export::parse_recipient(recipient) {
        Ok(r) => r,
        Err(e) => {
            p.note(
                false,
                trf(lang, "supervisor.log_export_failed", &[("error", &e)]),
            );
            return;
        }
    };
    let kiosk = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let out = drive.join(format!("cccd-export-{kiosk}"));
    let (tx, rx) = channel();
    let data_dir = data_dir.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name("export".into())
        .spawn(move || {
            let ptx = tx.clone();
            let r = Store::open(&data_dir)
                .map_err(|e| e.to_string())
                .and_then(|mut store| {
                    export::export(&mut store, &out, None, &recipient, &mut |d, t| {
                        let _ = ptx.send(JobMsg::Progress(d, t));
                    })
                    .map_err(|e| e.to_string())
                });
            let _ = tx.send(JobMsg::Done(Box::new(r), out));
        });
    match spawned {
        Ok(_) => {
            p.progress = (0, 1);
            p.job = Some(rx);
        }
        Err(e) => p.note(
            false,
            trf(
                lang,
                "supervisor.log_export_failed",
                &[("error", &e.to_string())],
            ),
        ),
    }
}

fn verify_drive(p: &mut Panel, drive: &Path, lang: Lang) {
    let found = bundles(drive);
    if found.is_empty() {
        let drive = drive.display().to_string();
        p.note(
            false,
            trf(lang, "supervisor.log_no_bundle", &[("drive", &drive)]),
        );
        return;
    }
    let mut manifests = Vec::new();
    for dir in &found {
        match export::verify(dir, None) {
            Ok(v) => p.note(
                true,
                trf(
                    lang,
                    "supervisor.log_verified",
                    &[("bundle", &file_name(dir)), ("batch", &v.batch_id)],
                ),
            ),
            Err(e) => p.note(
                false,
                trf(
                    lang,
                    "supervisor.log_verify_failed",
                    &[("bundle", &file_name(dir)), ("error", &e.to_string())],
                ),
            ),
        }
        if let Ok(m) = export::read_manifest(dir) {
            manifests.push(m);
        }
    }
    if let Err(e) = export::verify_sequence(&manifests) {
        p.note(
            false,
            trf(
                lang,
                "supervisor.log_sequence",
                &[("error", &e.to_string())],
            ),
        );
    }
}

fn import(p: &mut Panel, data_dir: &Path, file: &Path, lang: Lang) {
    let name = file_name(file);
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            p.note(false, format!("{name}: {e}"));
            return;
        }
    };
    match Store::open(data_dir)
        .map_err(export::ImportError::from)
        .and_then(|mut s| export::import_results(&mut s, &text))
    {
        Ok(r) => {
            p.note(
                true,
                trf(
                    lang,
                    "supervisor.log_imported",
                    &[
                        ("file", &name),
                        ("updated", &r.updated.len().to_string()),
                        ("unchanged", &r.unchanged.len().to_string()),
                    ],
                ),
            );
            if !r.unknown.is_empty() || !r.not_exported.is_empty() {
                p.note(
                    false,
                    trf(
                        lang,
                        "supervisor.log_import_skipped",
                        &[
                            ("file", &name),
                            ("unknown", &r.unknown.len().to_string()),
                            ("never", &r.not_exported.len().to_string()),
                        ],
                    ),
                );
            }
        }
        Err(e) => p.note(false, format!("{name}: {e}")),
    }
}
