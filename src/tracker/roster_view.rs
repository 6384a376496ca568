//! The roster screen for officers and supervisors (issue 6 "Screens"): search by
//! name on the touch name keyboard (diacritics-insensitive through
//! [`RosterIndex::search`]: the keyboard types upper case, the search folds it),
//! big toggle filters (village, classification, officer; ≥ [`TOUCH`] px, no
//! hover), a served / not-served badge per entry, and the day's home-visit list
//! (classification `home_visit`, not served, for the chosen officer).
//!
//! Decisions: the search runs only when the query changes (≤ 50 ms at 100,000
//! entries, see benches/tracker.rs), never per frame; the result is kept as entry
//! positions, and only the visible rows are laid out
//! ([`egui::ScrollArea::show_rows`]), so a frame costs the same at 100 or 100,000
//! entries. The view holds no citizen data beyond those positions.
//!
//! Card applications (issue 9): when the kiosk offers them
//! ([`RosterView::offer_apply`]), a citizen not yet served and with no open
//! appointment gets a "Lập hồ sơ cấp thẻ" button (≥ [`TOUCH`] px) in their row;
//! it returns [`RosterAction::Apply`] and the kiosk starts the application
//! prefilled from the entry. A citizen with an open appointment shows the note
//! "Đã nộp hồ sơ, hẹn ngày …" instead, and a served one has a card already.

use super::roster::{Classification, RosterEntry, RosterIndex, RosterQuery};
use crate::ui::i18n::{tr, trf, Lang};
use crate::ui::theme::TOUCH;
use crate::ui::widgets;
use chrono::NaiveDate;
use egui::{Button, Color32, RichText, Ui, Vec2};

/// The height of one result row (two lines of text and the badge).
pub const ROW_HEIGHT: f32 = 64.0;

/// What the roster screen asks of its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterAction {
    /// "Back" tapped: return to the officer / supervisor menu.
    Close,
    /// "Lập hồ sơ cấp thẻ" tapped on this entry (a position in
    /// [`RosterIndex::entries`]): start a card application prefilled from it.
    Apply(usize),
}

/// Which list is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RosterMode {
    /// The whole roster, searched and filtered.
    #[default]
    Search,
    /// The day's home visits of the chosen officer.
    HomeVisits,
}

/// The roster screen's state; keep one per officer session (create with
/// [`RosterView::new`], drop at logout: it holds positions into the index).
#[derive(Debug, Default)]
pub struct RosterView {
    /// Display language.
    pub lang: Lang,
    /// Name words or ID digits, as typed on the keyboard.
    pub text: String,
    /// Village (unit code) filter.
    pub unit: Option<String>,
    /// Classification filter.
    pub classification: Option<Classification>,
    /// Officer filter (also whose home visits are listed).
    pub officer: Option<String>,
    /// Search list or home visits.
    pub mode: RosterMode,
    /// Whether the keyboard is open.
    pub keyboard: bool,
    /// Whether the village / classification / officer filters are open (closed, a
    /// one-line summary keeps the list's rows on a 1280×800 screen).
    pub filters: bool,
    /// Offer "Lập hồ sơ cấp thẻ" on entries that can apply (the kiosk has a calendar).
    pub offer_apply: bool,
    /// Positions (in [`RosterIndex::entries`]) of the current result.
    hits: Vec<usize>,
    /// The query `hits` answers, and the index it was run on (address, length).
    answered: Option<Answered>,
    /// Distinct villages and officers of the loaded roster, computed once.
    options: Option<Options>,
}

/// The inputs a result answers: text, unit, classification, officer, mode, and
/// the index's address and length (a reloaded index runs the search again).
type Answered = (
    String,
    Option<String>,
    Option<Classification>,
    Option<String>,
    RosterMode,
    usize,
    usize,
);

/// Villages (code, name) and officer IDs present in the roster.
type Options = (Vec<(String, String)>, Vec<String>);

/// The position of `e` in `all` (it is an element of that slice: the search
/// returns references into it). Pointer arithmetic on addresses only, no unsafe.
fn position(all: &[RosterEntry], e: &RosterEntry) -> Option<usize> {
    let size = std::mem::size_of::<RosterEntry>().max(1);
    let off = (e as *const RosterEntry as usize).checked_sub(all.as_ptr() as usize)?;
    let i = off / size;
    (i < all.len()).then_some(i)
}

/// A big toggle button (≥ [`TOUCH`] px high), returns true when tapped.
fn toggle(ui: &mut Ui, selected: bool, text: &str) -> bool {
    ui.add(
        Button::new(RichText::new(text).size(20.0))
            .selected(selected)
            .min_size(Vec2::new(TOUCH * 1.5, TOUCH)),
    )
    .clicked()
}

/// A classification's label in `lang`.
pub fn classification_label(lang: Lang, c: Classification) -> &'static str {
    match lang {
        Lang::Vi => c.vi(),
        Lang::En => tr(lang, &format!("tracker.class.{}", c.as_str())),
    }
}

impl RosterView {
    /// A fresh view (everyone, Vietnamese, keyboard open).
    pub fn new(lang: Lang) -> RosterView {
        RosterView {
            lang,
            keyboard: true,
            ..RosterView::default()
        }
    }

    /// Forget cached results and filter options: call after the roster is
    /// reloaded (an import, new records marking entries served).
    pub fn invalidate(&mut self) {
        self.answered = None;
        self.options = None;
    }

    /// The query the search list runs.
    pub fn query(&self) -> RosterQuery {
        let text = self.text.trim();
        RosterQuery {
            text: (!text.is_empty()).then(|| text.to_string()),
            unit: self.unit.clone(),
            classification: self.classification,
            officer: self.officer.clone(),
            served: None,
        }
    }

    /// Run the search if the query (or the index) changed; returns the hits.
    pub fn refresh(&mut self, roster: &RosterIndex) -> &[usize] {
        let all = roster.entries();
        let key = (
            self.text.clone(),
            self.unit.clone(),
            self.classification,
            self.officer.clone(),
            self.mode,
            all.as_ptr() as usize,
            all.len(),
        );
        if self.answered.as_ref() != Some(&key) {
            let found = match self.mode {
                RosterMode::Search => roster.search(&self.query()),
                RosterMode::HomeVisits => roster.home_visits(self.officer.as_deref()),
            };
            self.hits = found.into_iter().filter_map(|e| position(all, e)).collect();
            self.answered = Some(key);
        }
        &self.hits
    }

    fn options(&mut self, roster: &RosterIndex) -> &Options {
        self.options.get_or_insert_with(|| {
            let mut units: Vec<String> = roster
                .entries()
                .iter()
                .map(|e| e.unit_code.clone())
                .collect();
            units.sort_unstable();
            units.dedup();
            let units = units
                .into_iter()
                .map(|c| {
                    let name = roster
                        .units()
                        .get(&c)
                        .map(|u| u.name.clone())
                        .unwrap_or_else(|| c.clone());
                    (c, name)
                })
                .collect();
            let mut officers: Vec<String> = roster
                .entries()
                .iter()
                .map(|e| e.officer_id.clone())
                .filter(|o| !o.is_empty())
                .collect();
            officers.sort_unstable();
            officers.dedup();
            (units, officers)
        })
    }

    /// Draw the screen; `today` heads the home-visit list.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        roster: &RosterIndex,
        today: NaiveDate,
    ) -> Option<RosterAction> {
        let lang = self.lang;
        let mut action = None;
        // One row for back, title and the list toggles: on a 1280×800 kiosk the
        // list keeps room for its rows.
        ui.horizontal(|ui| {
            if widgets::big_button(ui, tr(lang, "common.back"), false).clicked() {
                action = Some(RosterAction::Close);
            }
            ui.label(
                RichText::new(tr(lang, "tracker.roster.title"))
                    .size(26.0)
                    .strong(),
            );
            if toggle(
                ui,
                self.mode == RosterMode::Search,
                tr(lang, "tracker.roster.search_list"),
            ) {
                self.mode = RosterMode::Search;
            }
            if toggle(
                ui,
                self.mode == RosterMode::HomeVisits,
                tr(lang, "tracker.roster.home_visits"),
            ) {
                self.mode = RosterMode::HomeVisits;
            }
        });
        let (units, officers) = self.options(roster).clone();
        if self.mode == RosterMode::Search {
            ui.horizontal(|ui| {
                if widgets::display_box(
                    ui,
                    tr(lang, "tracker.roster.name"),
                    &self.text,
                    self.keyboard,
                )
                .interact(egui::Sense::click())
                .clicked()
                {
                    self.keyboard = !self.keyboard;
                }
                if toggle(ui, self.keyboard, tr(lang, "tracker.roster.keyboard")) {
                    self.keyboard = !self.keyboard;
                }
                if toggle(ui, self.filters, tr(lang, "tracker.roster.filters")) {
                    self.filters = !self.filters;
                }
                if !self.text.is_empty() && toggle(ui, false, tr(lang, "tracker.roster.clear")) {
                    self.text.clear();
                }
            });
            if self.keyboard {
                widgets::name_keypad(ui, &mut self.text, 60, tr(lang, "common.erase"));
            }
        }
        let officer_opts: Vec<(String, String)> =
            officers.iter().map(|o| (o.clone(), o.clone())).collect();
        if self.mode == RosterMode::Search && !self.filters {
            self.filter_summary(ui, &units);
        }
        if self.mode == RosterMode::Search && self.filters {
            filter_row(ui, lang, "tracker.roster.village", &mut self.unit, &units);
            ui.horizontal_wrapped(|ui| {
                ui.label(tr(lang, "tracker.roster.classification"));
                if toggle(
                    ui,
                    self.classification.is_none(),
                    tr(lang, "tracker.roster.all"),
                ) {
                    self.classification = None;
                }
                for c in Classification::ALL {
                    if toggle(
                        ui,
                        self.classification == Some(c),
                        classification_label(lang, c),
                    ) {
                        self.classification = Some(c);
                    }
                }
            });
        }
        if self.mode == RosterMode::HomeVisits || self.filters {
            filter_row(
                ui,
                lang,
                "tracker.roster.officer",
                &mut self.officer,
                &officer_opts,
            );
        }
        if self.mode == RosterMode::HomeVisits {
            ui.heading(trf(
                lang,
                "tracker.roster.home_visits_for",
                &[
                    ("day", &today.format("%d/%m/%Y").to_string()),
                    (
                        "officer",
                        self.officer
                            .as_deref()
                            .unwrap_or(tr(lang, "tracker.roster.all_officers")),
                    ),
                ],
            ));
        }
        let n = self.refresh(roster).len();
        ui.label(trf(lang, "tracker.roster.count", &[("n", &n.to_string())]));
        if n == 0 {
            ui.label(tr(lang, "tracker.roster.empty"));
        }
        let all = roster.entries();
        let hits = &self.hits;
        let offer = self.offer_apply;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(ui, ROW_HEIGHT, n, |ui, rows| {
                for i in rows {
                    if let Some((&p, e)) = hits.get(i).and_then(|p| Some((p, all.get(*p)?))) {
                        if entry_row(ui, lang, e, roster, offer && can_apply(e)) {
                            action = Some(RosterAction::Apply(p));
                        }
                    }
                }
            });
        action
    }
}

impl RosterView {
    /// The filters in force, on one line ("Lọc: Bản Pa Ủ · CB02", or none).
    fn filter_summary(&self, ui: &mut Ui, units: &[(String, String)]) {
        let lang = self.lang;
        let mut parts: Vec<&str> = Vec::new();
        if let Some(u) = &self.unit {
            parts.push(
                units
                    .iter()
                    .find(|(c, _)| c == u)
                    .map(|(_, n)| n.as_str())
                    .unwrap_or(u.as_str()),
            );
        }
        if let Some(c) = self.classification {
            parts.push(classification_label(lang, c));
        }
        if let Some(o) = &self.officer {
            parts.push(o.as_str());
        }
        let text = if parts.is_empty() {
            tr(lang, "tracker.roster.no_filter").to_string()
        } else {
            trf(
                lang,
                "tracker.roster.filtered",
                &[("filters", &parts.join(" · "))],
            )
        };
        ui.label(RichText::new(text).size(20.0));
    }
}

/// A labelled row of toggles: "all" and one per option (code, label).
fn filter_row(
    ui: &mut Ui,
    lang: Lang,
    label: &str,
    value: &mut Option<String>,
    options: &[(String, String)],
) {
    egui::ScrollArea::horizontal()
        .id_salt(label)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(tr(lang, label));
                if toggle(ui, value.is_none(), tr(lang, "tracker.roster.all")) {
                    *value = None;
                }
                for (code, name) in options {
                    if toggle(ui, value.as_deref() == Some(code), name) {
                        *value = Some(code.clone());
                    }
                }
            });
        });
}

/// A citizen who may start a card application here: not served (no record, so
/// no card activated) and no open appointment (not applied yet).
pub fn can_apply(e: &RosterEntry) -> bool {
    !e.served && e.appointment.is_none()
}

/// One entry; true when its "Lập hồ sơ cấp thẻ" button (shown when `apply`) was tapped.
fn entry_row(ui: &mut Ui, lang: Lang, e: &RosterEntry, roster: &RosterIndex, apply: bool) -> bool {
    let mut tapped = false;
    ui.allocate_ui(Vec2::new(ui.available_width(), ROW_HEIGHT), |ui| {
        // Exactly one row high, so show_rows' arithmetic matches what is drawn:
        // two lines, each truncated rather than wrapped.
        ui.set_min_height(ROW_HEIGHT);
        ui.set_max_height(ROW_HEIGHT);
        ui.horizontal(|ui| {
            let (badge, colour) = if e.served {
                (
                    tr(lang, "tracker.roster.served"),
                    Color32::from_rgb(0x2e, 0x7d, 0x32),
                )
            } else {
                (
                    tr(lang, "tracker.roster.not_served"),
                    Color32::from_rgb(0xc6, 0x28, 0x28),
                )
            };
            egui::Frame::new()
                .fill(colour)
                .corner_radius(6.0)
                .inner_margin(6.0)
                .show(ui, |ui| {
                    ui.label(RichText::new(badge).color(Color32::WHITE).strong());
                });
            if apply {
                tapped = ui
                    .add(
                        Button::new(RichText::new(tr(lang, "tracker.roster.apply")).size(20.0))
                            .min_size(Vec2::new(TOUCH * 3.0, TOUCH)),
                    )
                    .clicked();
            }
            ui.vertical(|ui| {
                ui.add(
                    egui::Label::new(RichText::new(&e.full_name).size(22.0).strong()).truncate(),
                );
                let unit = roster
                    .units()
                    .get(&e.unit_code)
                    .map(|u| u.name.as_str())
                    .unwrap_or(&e.unit_code);
                // Dates as the card prints them (DD/MM/YYYY); a year alone stays a year.
                let born = chrono::NaiveDate::parse_from_str(&e.date_of_birth, "%Y-%m-%d")
                    .map(|d| d.format("%d/%m/%Y").to_string())
                    .unwrap_or_else(|_| e.date_of_birth.clone());
                let details = format!(
                    "{} · {} · {} · {} · {}",
                    born,
                    unit,
                    e.address,
                    classification_label(lang, e.classification),
                    if e.officer_id.is_empty() {
                        tr(lang, "tracker.roster.unassigned")
                    } else {
                        &e.officer_id
                    }
                );
                match &e.appointment {
                    // "Đã nộp hồ sơ, hẹn ngày …" first: what the officer needs to see.
                    Some(a) => {
                        let lang = match lang {
                            Lang::Vi => crate::config::Language::Vi,
                            Lang::En => crate::config::Language::En,
                        };
                        ui.add(
                            egui::Label::new(
                                RichText::new(format!("{} · {details}", a.note(lang))).italics(),
                            )
                            .truncate(),
                        );
                    }
                    None => {
                        ui.add(egui::Label::new(details).truncate());
                    }
                }
            });
        });
    });
    tapped
}
