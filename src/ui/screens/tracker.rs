//! The "5 rõ" tracker in officer mode (issue 6, "Screens"): the dashboard, the
//! roster, the day's home visits and the tasks, one tab each. The views live in
//! `crate::tracker` (`TrackerScreens`); this screen opens the queue database for
//! them and drops everything when it is left, so the decrypted roster (personal
//! data) is in memory only while an officer is looking at it. When the kiosk
//! takes card applications, the roster's "Lập hồ sơ cấp thẻ" starts one
//! prefilled from the entry ([`Event::ApplyFromRoster`]).
//!
//! Opening decrypts the whole roster (0.9 s for 100,000 citizens on the
//! reference machine): it runs on a worker thread while the screen says so and
//! keeps drawing, like the card read and the export.

use super::{widgets, ScreenCtx};
use crate::application::record::ApplicantForm;
use crate::queue::{Service, Store};
use crate::tracker::screens::{TrackerScreen, TrackerScreens};
use crate::ui::flow::Event;
use crate::ui::i18n::{tr, Lang};
use chrono::NaiveDateTime;
use egui::{RichText, Ui};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, TryRecvError};

/// The screen's state, kept in [`super::UiState`] while the screen is open.
#[derive(Default)]
pub struct Panel {
    open: Option<Loaded>,
    /// The worker loading the store and roster (None: not started or done).
    loading: Option<Receiver<Loaded>>,
    tab: Option<TrackerScreen>,
}

type Loaded = Result<(Store, Box<TrackerScreens>), String>;

/// Open the queue in `dir` and load the tracker's views, on a worker thread.
fn start_loading(dir: PathBuf, now: NaiveDateTime, lang: Lang) -> Receiver<Loaded> {
    let (tx, rx) = sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("tracker-load".into())
        .spawn({
            let tx = tx.clone();
            move || {
                let loaded = Store::open(&dir)
                    .map_err(|e| e.to_string())
                    .and_then(|store| {
                        TrackerScreens::open(&store, now, Service::EidLevel2, lang)
                            .map(|t| (store, Box::new(t)))
                            .map_err(|e| e.to_string())
                    });
                let _ = tx.send(loaded);
            }
        });
    if let Err(e) = spawned {
        let _ = tx.send(Err(e.to_string()));
    }
    rx
}

impl Panel {
    /// Leaving the screen drops the store and the decrypted roster.
    pub fn on_screen_change(&mut self) {
        // A load still running finishes on its own; its result is dropped unread.
        self.open = None;
        self.loading = None;
        self.tab = None;
    }

    /// True once the views are loaded (or failed to load).
    pub fn is_loaded(&self) -> bool {
        self.open.is_some()
    }

    /// Choose a tab as if its button were tapped (the demo tour).
    pub fn set_tab(&mut self, tab: TrackerScreen) {
        self.tab = Some(tab);
    }

    /// The loaded views (the demo tour closes the roster's keyboard through them).
    pub fn screens_mut(&mut self) -> Option<&mut TrackerScreens> {
        match &mut self.open {
            Some(Ok((_, screens))) => Some(screens),
            _ => None,
        }
    }
}

fn tab_key(s: TrackerScreen) -> &'static str {
    match s {
        TrackerScreen::Dashboard => "tracker.tab.dashboard",
        TrackerScreen::Roster => "tracker.tab.roster",
        TrackerScreen::HomeVisits => "tracker.tab.home_visits",
        TrackerScreen::Tasks => "tracker.tab.tasks",
    }
}

/// Draw the tracker; `Back` returns to officer mode.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let now = chrono::Local::now().naive_local();
    let lang = sc.flow.lang;
    let panel = &mut sc.ui_state.tracker;
    if panel.open.is_none() {
        match (&sc.config.data_dir, &panel.loading) {
            (None, _) => panel.open = Some(Err(tr(lang, "supervisor.no_queue").to_string())),
            (Some(dir), None) => panel.loading = Some(start_loading(dir.clone(), now, lang)),
            (Some(_), Some(rx)) => match rx.try_recv() {
                Ok(loaded) => {
                    panel.open = Some(loaded);
                    panel.loading = None;
                }
                Err(TryRecvError::Empty) => ui.ctx().request_repaint(),
                Err(TryRecvError::Disconnected) => {
                    panel.open = Some(Err("the tracker's loader stopped".into()));
                    panel.loading = None;
                }
            },
        }
    }
    let mut tab = sc.ui_state.tracker.tab.unwrap_or(TrackerScreen::Dashboard);
    ui.horizontal(|ui| {
        for s in TrackerScreen::ALL {
            if widgets::big_button(ui, sc.t(tab_key(s)), s == tab).clicked() {
                tab = s;
            }
        }
    });
    sc.ui_state.tracker.tab = Some(tab);
    let (unavailable, back) = (sc.t("tracker.unavailable"), sc.t("common.back"));
    match &mut sc.ui_state.tracker.open {
        Some(Ok((store, screens))) => {
            screens.roster_view.offer_apply = sc.flow.applications;
            let back = screens.show(ui, tab, store, now).then_some(Event::Back);
            // "Lập hồ sơ cấp thẻ" on a roster entry: the application, prefilled from it.
            let apply = screens.take_apply().map(|e| {
                Event::ApplyFromRoster(Box::new(ApplicantForm::from_roster(
                    &e.id_number,
                    &e.full_name,
                    &e.date_of_birth,
                    &e.sex,
                    &e.address,
                )))
            });
            apply.or(back)
        }
        Some(Err(e)) => {
            ui.label(RichText::new(format!("{unavailable}: {e}")).size(24.0));
            widgets::big_button(ui, back, false)
                .clicked()
                .then_some(Event::Back)
        }
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new(tr(lang, "tracker.loading")).size(24.0));
            });
            widgets::big_button(ui, back, false)
                .clicked()
                .then_some(Event::Back)
        }
    }
}
