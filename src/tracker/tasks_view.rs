//! The tasks screen (issue 6 "Screens", the "5 rõ"): each task shows who (owner),
//! what (content), by when (deadline), the result and who answers for it
//! (responsible); an open task past its deadline is marked overdue in red. A
//! result is recorded with [`tasks::record_result`], a task added with
//! [`tasks::add`]; text is typed on the touch name keyboard (no hover, no
//! physical keyboard needed).
//!
//! The list is read from the store when the view opens and after each change, not
//! per frame.

use super::tasks::{self, NewTask, Task};
use super::units::UnitTree;
use crate::queue::Store;
use crate::ui::i18n::{tr, trf, Lang};
use crate::ui::theme::TOUCH;
use crate::ui::widgets;
use chrono::{Duration, NaiveDate};
use egui::{Button, Color32, RichText, Ui, Vec2};

/// What the tasks screen asks of its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TasksAction {
    /// "Back" tapped.
    Close,
}

/// Which text the keyboard types into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Field {
    #[default]
    Result,
    Content,
    Owner,
    Responsible,
}

/// The task being added.
#[derive(Debug, Clone, Default)]
struct Draft {
    unit: Option<String>,
    content: String,
    owner: String,
    responsible: String,
    deadline: Option<NaiveDate>,
}

/// The tasks screen's state; keep one while the screen is open.
#[derive(Debug, Default)]
pub struct TasksView {
    /// Display language.
    pub lang: Lang,
    tasks: Option<Vec<Task>>,
    units: Option<Vec<(String, String)>>,
    /// The task whose result is being typed, and the text.
    recording: Option<i64>,
    result: String,
    /// The task being added (`Some` while the form is open).
    draft: Option<Draft>,
    field: Field,
    /// The last error or confirmation, shown under the title.
    message: Option<(bool, String)>,
}

/// Digits and the signs results are measured with ("12/15 hộ", "80%"): the name
/// keyboard has letters only.
fn digit_row(ui: &mut Ui, buf: &mut String, max: usize) {
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing = egui::vec2(5.0, 5.0);
        for c in "0123456789/%,".chars() {
            if ui
                .add(
                    Button::new(RichText::new(c.to_string()).size(24.0))
                        .min_size(Vec2::new(TOUCH, TOUCH + 4.0)),
                )
                .clicked()
                && buf.chars().count() < max
            {
                buf.push(c);
            }
        }
    });
}

impl TasksView {
    /// A fresh view; the list loads on the first frame.
    pub fn new(lang: Lang) -> TasksView {
        TasksView {
            lang,
            ..TasksView::default()
        }
    }

    /// Reload the list from the store on the next frame.
    pub fn invalidate(&mut self) {
        self.tasks = None;
    }

    fn load(&mut self, store: &Store) {
        match tasks::list(store) {
            Ok(t) => self.tasks = Some(t),
            Err(e) => {
                self.tasks = Some(Vec::new());
                self.message = Some((false, e.to_string()));
            }
        }
        if self.units.is_none() {
            self.units = UnitTree::load(store).ok().map(|u| {
                u.depth_first()
                    .into_iter()
                    .filter_map(|(i, _)| u.unit(i).map(|x| (x.code.clone(), x.name.clone())))
                    .collect()
            });
        }
    }

    /// Draw the screen; `today` decides what is overdue and dates recorded results.
    pub fn show(&mut self, ui: &mut Ui, store: &Store, today: NaiveDate) -> Option<TasksAction> {
        let lang = self.lang;
        if self.tasks.is_none() {
            self.load(store);
        }
        let mut action = None;
        ui.horizontal(|ui| {
            if widgets::big_button(ui, tr(lang, "common.back"), false).clicked() {
                action = Some(TasksAction::Close);
            }
            ui.heading(tr(lang, "tracker.tasks.title"));
            if self.draft.is_none()
                && widgets::big_button(ui, tr(lang, "tracker.tasks.add"), true).clicked()
            {
                self.draft = Some(Draft {
                    deadline: Some(today + Duration::days(7)),
                    ..Draft::default()
                });
                self.recording = None;
                self.field = Field::Content;
            }
        });
        if let Some((ok, m)) = &self.message {
            let c = if *ok {
                Color32::from_rgb(0x2e, 0x7d, 0x32)
            } else {
                Color32::from_rgb(0xc6, 0x28, 0x28)
            };
            ui.colored_label(c, m);
        }
        if self.draft.is_some() {
            self.add_form(ui, store, today);
        } else if let Some(id) = self.recording {
            self.result_form(ui, store, id, today);
        }
        let tasks = self.tasks.clone().unwrap_or_default();
        if tasks.is_empty() {
            ui.label(tr(lang, "tracker.tasks.empty"));
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                egui::Grid::new("tracker_tasks")
                    .striped(true)
                    .spacing([16.0, 8.0])
                    .show(ui, |ui| {
                        for h in ["who", "what", "deadline", "result", "responsible", "state"] {
                            ui.strong(tr(lang, &format!("tracker.tasks.{h}")));
                        }
                        ui.end_row();
                        for t in &tasks {
                            ui.label(&t.owner);
                            // Long texts wrap in their column, so the state column and
                            // its button stay on a 1280-pixel screen.
                            wrapped(ui, &t.content, 300.0);
                            ui.label(t.deadline.format("%d/%m/%Y").to_string());
                            match (&t.result, t.done_on) {
                                (Some(r), Some(d)) => {
                                    ui.label(format!("{r} ({})", d.format("%d/%m")))
                                }
                                (Some(r), None) => ui.label(r),
                                _ => ui.label("—"),
                            };
                            wrapped(ui, &t.responsible, 200.0);
                            if t.done_on.is_some() {
                                ui.colored_label(
                                    Color32::from_rgb(0x2e, 0x7d, 0x32),
                                    tr(lang, "tracker.tasks.done"),
                                );
                            } else {
                                ui.vertical(|ui| {
                                    if t.overdue(today) {
                                        ui.label(
                                            RichText::new(tr(lang, "tracker.tasks.overdue"))
                                                .color(Color32::WHITE)
                                                .background_color(Color32::from_rgb(
                                                    0xc6, 0x28, 0x28,
                                                ))
                                                .strong(),
                                        );
                                    }
                                    let label = trf(
                                        lang,
                                        "tracker.tasks.record",
                                        &[("id", &t.id.to_string())],
                                    );
                                    if ui
                                        .add(
                                            Button::new(RichText::new(label).size(20.0))
                                                .min_size(Vec2::new(TOUCH * 2.0, TOUCH)),
                                        )
                                        .clicked()
                                    {
                                        self.recording = Some(t.id);
                                        self.result.clear();
                                        self.draft = None;
                                        self.field = Field::Result;
                                    }
                                });
                            }
                            ui.end_row();
                        }
                    });
            });
        action
    }

    fn result_form(&mut self, ui: &mut Ui, store: &Store, id: i64, today: NaiveDate) {
        let lang = self.lang;
        let title = trf(lang, "tracker.tasks.result_for", &[("id", &id.to_string())]);
        widgets::display_box(ui, &title, &self.result, true);
        digit_row(ui, &mut self.result, 200);
        widgets::name_keypad(ui, &mut self.result, 200, tr(lang, "common.erase"));
        ui.horizontal(|ui| {
            if widgets::big_button(ui, tr(lang, "tracker.tasks.save"), true).clicked() {
                match tasks::record_result(store, id, &self.result, today) {
                    Ok(()) => {
                        self.message = Some((true, tr(lang, "tracker.tasks.saved").to_string()));
                        self.recording = None;
                        self.result.clear();
                        self.tasks = None;
                    }
                    Err(e) => self.message = Some((false, e.to_string())),
                }
            }
            if widgets::big_button(ui, tr(lang, "common.cancel"), false).clicked() {
                self.recording = None;
            }
        });
    }

    fn add_form(&mut self, ui: &mut Ui, store: &Store, today: NaiveDate) {
        let lang = self.lang;
        let units = self.units.clone().unwrap_or_default();
        let Some(d) = self.draft.as_mut() else { return };
        egui::ScrollArea::horizontal()
            .id_salt("task_unit")
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(tr(lang, "tracker.tasks.unit"));
                    for (code, name) in &units {
                        if ui
                            .add(
                                Button::new(RichText::new(name).size(20.0))
                                    .selected(d.unit.as_deref() == Some(code))
                                    .min_size(Vec2::new(TOUCH * 1.5, TOUCH)),
                            )
                            .clicked()
                        {
                            d.unit = Some(code.clone());
                        }
                    }
                });
            });
        ui.horizontal_wrapped(|ui| {
            for (f, key, value) in [
                (Field::Content, "tracker.tasks.what", &d.content),
                (Field::Owner, "tracker.tasks.who", &d.owner),
                (
                    Field::Responsible,
                    "tracker.tasks.responsible",
                    &d.responsible,
                ),
            ] {
                if widgets::display_box(ui, tr(lang, key), value, self.field == f)
                    .interact(egui::Sense::click())
                    .clicked()
                {
                    self.field = f;
                }
            }
        });
        let deadline = d.deadline.unwrap_or(today);
        ui.horizontal(|ui| {
            ui.label(format!(
                "{}: {}",
                tr(lang, "tracker.tasks.deadline"),
                deadline.format("%d/%m/%Y")
            ));
            for (label, days) in [("−1", -1), ("+1", 1), ("+7", 7)] {
                if ui
                    .add(Button::new(RichText::new(label).size(22.0)).min_size(Vec2::splat(TOUCH)))
                    .clicked()
                {
                    d.deadline = Some(deadline + Duration::days(days));
                }
            }
        });
        let buf = match self.field {
            Field::Owner => &mut d.owner,
            Field::Responsible => &mut d.responsible,
            _ => &mut d.content,
        };
        digit_row(ui, buf, 200);
        widgets::name_keypad(ui, buf, 200, tr(lang, "common.erase"));
        let mut close = false;
        ui.horizontal(|ui| {
            if widgets::big_button(ui, tr(lang, "tracker.tasks.save"), true).clicked() {
                let t = NewTask {
                    unit_code: d.unit.clone().unwrap_or_default(),
                    content: d.content.clone(),
                    owner: d.owner.clone(),
                    responsible: d.responsible.clone(),
                    deadline,
                };
                match tasks::add(store, &t) {
                    Ok(_) => {
                        self.message = Some((true, tr(lang, "tracker.tasks.added").to_string()));
                        close = true;
                    }
                    Err(e) => self.message = Some((false, e.to_string())),
                }
            }
            if widgets::big_button(ui, tr(lang, "common.cancel"), false).clicked() {
                close = true;
            }
        });
        if close {
            self.draft = None;
            self.tasks = None;
        }
    }
}

/// A label that wraps at `width` pixels (a grid cell of bounded width).
fn wrapped(ui: &mut Ui, text: &str, width: f32) {
    ui.scope(|ui| {
        ui.set_max_width(width);
        ui.add(egui::Label::new(text).wrap());
    });
}
