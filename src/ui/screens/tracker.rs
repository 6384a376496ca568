//! The "5 rõ" tracker in officer mode (issue 6, "Screens"): the dashboard, the
//! roster, the day's home visits and the tasks, one tab each. The views live in
//! `crate::tracker` (`TrackerScreens`); this screen opens the queue database for
//! them and drops everything when it is left, so the decrypted roster (personal
//! data) is in memory only while an officer is looking at it. When the kiosk
//! takes card applications, the roster's "Lập hồ sơ cấp thẻ" starts one
//! prefilled from the entry ([`Event::ApplyFromRoster`]).

use super::{widgets, ScreenCtx};
use crate::application::record::ApplicantForm;
use crate::queue::{Service, Store};
use crate::tracker::screens::{TrackerScreen, TrackerScreens};
use crate::ui::flow::Event;
use egui::{RichText, Ui};

/// The screen's state, kept in [`super::UiState`] while the screen is open.
#[derive(Default)]
pub struct Panel {
    open: Option<Result<(Store, Box<TrackerScreens>), String>>,
    tab: Option<TrackerScreen>,
}

impl Panel {
    /// Leaving the screen drops the store and the decrypted roster.
    pub fn on_screen_change(&mut self) {
        self.open = None;
        self.tab = None;
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
    if sc.ui_state.tracker.open.is_none() {
        sc.ui_state.tracker.open = Some(match &sc.config.data_dir {
            None => Err(sc.t("supervisor.no_queue").to_string()),
            Some(dir) => Store::open(dir)
                .map_err(|e| e.to_string())
                .and_then(|store| {
                    TrackerScreens::open(&store, now, Service::EidLevel2, lang)
                        .map(|t| (store, Box::new(t)))
                        .map_err(|e| e.to_string())
                }),
        });
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
        None => None,
    }
}
