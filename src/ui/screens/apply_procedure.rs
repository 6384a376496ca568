//! Card application, step 1 (the portal's steps 4–6): the procedure (cấp mới,
//! cấp đổi, cấp lại) and its reason. Choosing another procedure drops a reason
//! that is not its own ([`crate::application::draft::Draft::choose_procedure`]).

use super::{heading, notice, widgets, ScreenCtx};
use crate::application::fields::Procedure;
use crate::config::Language;
use crate::ui::flow::Event;
use crate::ui::i18n::Lang;
use egui::{RichText, Ui};

/// The application layer's language for the screen's.
pub fn language(lang: Lang) -> Language {
    match lang {
        Lang::Vi => Language::Vi,
        Lang::En => Language::En,
    }
}

/// A large toggle button (selected: filled); true when tapped.
pub fn choice(ui: &mut Ui, text: &str, selected: bool, enabled: bool) -> bool {
    let rt = RichText::new(text).size(26.0);
    let rt = if selected {
        rt.color(egui::Color32::WHITE)
    } else {
        rt
    };
    let mut b = egui::Button::new(rt).min_size(egui::vec2(260.0, 64.0));
    if selected {
        b = b.fill(crate::ui::theme::PRIMARY);
    }
    ui.add_enabled(enabled, b.selected(selected)).clicked()
}

/// A one-line hint, or in its place the session's notice in red (screens too full
/// for the framed notice at 1280×800).
pub fn hint_or_notice(sc: &ScreenCtx, hint: &str) -> RichText {
    match &sc.flow.session.notice {
        Some(n) => RichText::new(sc.notice_text(n))
            .color(crate::ui::theme::WARN)
            .size(22.0)
            .strong(),
        None => RichText::new(hint.to_string()).small(),
    }
}

/// Back and Continue at the bottom of every application step.
pub fn nav(ui: &mut Ui, sc: &ScreenCtx, next: Event, enabled: bool) -> Option<Event> {
    let label = match next {
        Event::ApplySubmit => sc.t("apply.submit"),
        _ => sc.t("common.continue"),
    };
    nav_with(ui, sc.t("common.back"), label, next, enabled)
}

/// [`nav`] with its labels given (a screen that holds the session mutably).
pub fn nav_with(ui: &mut Ui, back: &str, label: &str, next: Event, enabled: bool) -> Option<Event> {
    let mut ev = None;
    ui.horizontal(|ui| {
        if widgets::big_button_enabled(ui, back, false, enabled).clicked() {
            ev = Some(Event::Back);
        }
        if widgets::big_button_enabled(ui, label, true, enabled).clicked() {
            ev = Some(next);
        }
    });
    ev
}

/// Draw the procedure-and-reason step.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let lang = language(sc.flow.lang);
    heading(ui, sc.t("apply.procedure_title"));
    ui.label(sc.t("apply.procedure_hint"));
    let Some(entry) = sc.flow.session.apply.as_mut() else {
        return Some(Event::Home);
    };
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        for p in Procedure::ALL {
            if choice(ui, p.label(lang), entry.draft.procedure == Some(p), true) {
                entry.draft.choose_procedure(p);
            }
        }
    });
    ui.add_space(12.0);
    if let Some(p) = entry.draft.procedure {
        ui.label(RichText::new(tr_reason(sc.flow.lang)).strong());
        ui.horizontal_wrapped(|ui| {
            for r in p.reasons() {
                if choice(ui, r.label(lang), entry.draft.reason == Some(r), true) {
                    entry.draft.reason = Some(r);
                }
            }
        });
    }
    ui.add_space(12.0);
    notice(ui, sc);
    nav(ui, sc, Event::ApplyNext, true)
}

fn tr_reason(lang: Lang) -> &'static str {
    crate::ui::i18n::tr(lang, "apply.reason")
}
