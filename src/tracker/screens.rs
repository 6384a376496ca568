//! The tracker's screens bundled for the kiosk's officer / supervisor mode and
//! the demo tour: one state ([`TrackerScreens`]) holding the decrypted roster, the
//! dashboard numbers and each view's state, and one call per frame
//! ([`TrackerScreens::show`]) drawing the screen chosen. Data is loaded once when
//! the mode opens ([`TrackerScreens::open`]) and again only on
//! [`TrackerScreens::reload`] (after an import or new records), never per frame.

use super::dashboard::{self, DashboardData};
use super::roster::RosterIndex;
use super::roster_view::{RosterAction, RosterMode, RosterView};
use super::tasks_view::{TasksAction, TasksView};
use super::TrackerError;
use crate::queue::{Service, Store};
use crate::ui::i18n::{tr, Lang};
use chrono::NaiveDateTime;
use egui::Ui;

/// Which tracker screen to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerScreen {
    /// Countdowns, cumulative lines, per-unit bars, status table.
    Dashboard,
    /// Roster search with filters.
    Roster,
    /// The day's home-visit list.
    HomeVisits,
    /// The "5 rõ" tasks.
    Tasks,
}

impl TrackerScreen {
    /// Every screen, in demo-tour order.
    pub const ALL: [TrackerScreen; 4] = [
        TrackerScreen::Dashboard,
        TrackerScreen::Roster,
        TrackerScreen::HomeVisits,
        TrackerScreen::Tasks,
    ];

    /// A file-name stem for the tour's screenshots.
    pub fn slug(self) -> &'static str {
        match self {
            TrackerScreen::Dashboard => "tracker-dashboard",
            TrackerScreen::Roster => "tracker-roster",
            TrackerScreen::HomeVisits => "tracker-home-visits",
            TrackerScreen::Tasks => "tracker-tasks",
        }
    }
}

/// Everything the tracker screens need between frames.
#[derive(Debug)]
pub struct TrackerScreens {
    /// The decrypted roster (decrypted once: the search must stay ≤ 50 ms).
    pub roster: RosterIndex,
    /// The dashboard's numbers for the day opened.
    pub dashboard: DashboardData,
    /// Roster screen state.
    pub roster_view: RosterView,
    /// Tasks screen state.
    pub tasks_view: TasksView,
    service: Service,
    /// The screen drawn last: entering Roster or HomeVisits picks the view's mode,
    /// after which the view's own toggle may switch it.
    last: Option<TrackerScreen>,
    /// The roster entry whose "Lập hồ sơ cấp thẻ" was tapped, until the host takes it.
    apply: Option<usize>,
}

impl TrackerScreens {
    /// Load the roster and the day's numbers from `store` (the kiosk's queue
    /// database, unlocked: the roster is sealed with its data key).
    pub fn open(
        store: &Store,
        now: NaiveDateTime,
        service: Service,
        lang: Lang,
    ) -> Result<TrackerScreens, TrackerError> {
        Ok(TrackerScreens {
            roster: RosterIndex::load(store)?,
            dashboard: DashboardData::load(store, now.date(), service)?,
            roster_view: RosterView::new(lang),
            tasks_view: TasksView::new(lang),
            service,
            last: None,
            apply: None,
        })
    }

    /// Reload roster and numbers (after an import or new records).
    pub fn reload(&mut self, store: &Store, now: NaiveDateTime) -> Result<(), TrackerError> {
        self.roster = RosterIndex::load(store)?;
        self.dashboard = DashboardData::load(store, now.date(), self.service)?;
        self.roster_view.invalidate();
        self.tasks_view.invalidate();
        Ok(())
    }

    /// The roster entry whose "Lập hồ sơ cấp thẻ" the officer tapped since the
    /// last call (the kiosk starts a card application prefilled from it).
    pub fn take_apply(&mut self) -> Option<&super::roster::RosterEntry> {
        let p = self.apply.take()?;
        self.roster.entries().get(p)
    }

    /// Draw `screen` at local time `now`; true when the officer tapped "back".
    pub fn show(
        &mut self,
        ui: &mut Ui,
        screen: TrackerScreen,
        store: &Store,
        now: NaiveDateTime,
    ) -> bool {
        let today = now.date();
        let entered = self.last != Some(screen);
        self.last = Some(screen);
        match screen {
            TrackerScreen::Dashboard => {
                let back = crate::ui::widgets::big_button(
                    ui,
                    tr(self.roster_view.lang, "common.back"),
                    false,
                )
                .clicked();
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| dashboard::show(ui, &self.dashboard, now));
                back
            }
            TrackerScreen::Roster | TrackerScreen::HomeVisits => {
                if entered {
                    self.roster_view.mode = if screen == TrackerScreen::Roster {
                        RosterMode::Search
                    } else {
                        RosterMode::HomeVisits
                    };
                }
                match self.roster_view.show(ui, &self.roster, today) {
                    Some(RosterAction::Close) => true,
                    Some(RosterAction::Apply(p)) => {
                        self.apply = Some(p);
                        false
                    }
                    None => false,
                }
            }
            TrackerScreen::Tasks => {
                self.tasks_view.show(ui, store, today) == Some(TasksAction::Close)
            }
        }
    }
}
