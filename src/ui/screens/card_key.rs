//! Card key: the card's QR code through the camera, or the 12-digit ID and date of
//! birth typed on a keypad, or — last — the MRZ. Errors name the field, in the
//! citizen's language; the layer below's English detail is shown small for the officer.

use super::{heading, image, notice, widgets, ScreenCtx};
use crate::card::access_key::{KeyError, KeyPlan};
use crate::ui::flow::{Event, KeyField, KeyTab, Notice};
use crate::ui::theme;
use egui::{RichText, Ui};

/// Draw the card-key screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("key.title"));
    ui.horizontal(|ui| {
        for (tab, key) in [
            (KeyTab::Qr, "key.tab_qr"),
            (KeyTab::Typed, "key.tab_typed"),
            (KeyTab::Mrz, "key.tab_mrz"),
        ] {
            let selected = sc.flow.session.key.tab == tab;
            if widgets::big_button(ui, sc.t(key), selected).clicked() && !selected {
                ev = Some(Event::KeyTab(tab));
            }
        }
    });
    notice(ui, sc);
    let inner = match sc.flow.session.key.tab {
        KeyTab::Qr => qr(ui, sc),
        KeyTab::Typed => typed(ui, sc),
        KeyTab::Mrz => mrz(ui, sc),
    };
    if widgets::big_button(ui, sc.t("common.cancel"), false).clicked() {
        ev = Some(Event::Back);
    }
    ev.or(inner)
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

fn qr(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    ui.label(sc.t("key.qr_hint"));
    match sc.preview {
        Some(t) => {
            image(ui, t, egui::vec2(480.0, 360.0));
        }
        None => super::photo::camera_status(ui, sc),
    }
    let text = sc.camera.and_then(|r| r.qr.clone())?;
    if sc
        .flow
        .session
        .notice
        .as_ref()
        .is_some_and(|n| n.key == "err.key_refused")
        && sc.flow.session.key.qr.as_deref() == Some(text.as_str())
    {
        // The chip refused this very QR: wait for another card or another way in.
        return None;
    }
    match KeyPlan::from_qr(&text, today()) {
        Ok(plan) => {
            sc.flow.session.key.qr = Some(text);
            Some(Event::KeyReady(plan))
        }
        Err(e) => Some(Event::KeyInvalid(Notice {
            key: "err.qr_invalid",
            field: Some("field.qr"),
            detail: Some(e.to_string()),
        })),
    }
}

fn typed(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    let erase = sc.t("common.erase");
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            let k = &sc.flow.session.key;
            let dob = format_dob(&k.dob);
            let (id_active, dob_active) = (k.field == KeyField::Id, k.field == KeyField::Dob);
            let id_label = format!(
                "{}: {}",
                sc.t("field.id"),
                if k.id.is_empty() { "—" } else { &k.id }
            );
            if ui.add(field_button(&id_label, id_active)).clicked() {
                sc.flow.session.key.field = KeyField::Id;
            }
            let dob_label = format!(
                "{}: {}",
                sc.t("field.dob"),
                if dob.is_empty() {
                    "—".to_string()
                } else {
                    dob
                }
            );
            if ui.add(field_button(&dob_label, dob_active)).clicked() {
                sc.flow.session.key.field = KeyField::Dob;
            }
            ui.label(RichText::new(sc.t("key.typed_hint")).small());
            if widgets::big_button(ui, sc.t("common.continue"), true).clicked() {
                ev = Some(check_typed(sc));
            }
        });
        let k = &mut sc.flow.session.key;
        let changed = match k.field {
            KeyField::Id => widgets::keypad(ui, &mut k.id, 12, None, erase),
            KeyField::Dob => widgets::keypad(ui, &mut k.dob, 8, None, erase),
        };
        if changed && k.field == KeyField::Id && k.id.len() == 12 {
            k.field = KeyField::Dob;
        }
    });
    ev
}

fn field_button(text: &str, active: bool) -> egui::Button<'static> {
    let b = egui::Button::new(RichText::new(text.to_string()).size(30.0))
        .min_size(egui::vec2(520.0, 72.0));
    if active {
        b.stroke(egui::Stroke::new(4.0, theme::PRIMARY))
    } else {
        b
    }
}

/// `14031995` → `14/03/1995` as it is typed.
fn format_dob(d: &str) -> String {
    let mut s = String::new();
    for (i, c) in d.chars().enumerate() {
        if i == 2 || i == 4 {
            s.push('/');
        }
        s.push(c);
    }
    s
}

fn bad(key: &'static str, field: &'static str, detail: Option<String>) -> Event {
    Event::KeyInvalid(Notice {
        key,
        field: Some(field),
        detail,
    })
}

fn check_typed(sc: &ScreenCtx) -> Event {
    let k = &sc.flow.session.key;
    if k.id.len() != 12 {
        return bad("err.id_length", "field.id", None);
    }
    let date = chrono::NaiveDate::parse_from_str(&format_dob(&k.dob), "%d/%m/%Y");
    let yymmdd = match (k.dob.len(), date) {
        (8, Ok(d)) if d <= today() => d.format("%y%m%d").to_string(),
        _ => return bad("err.dob_invalid", "field.dob", None),
    };
    match KeyPlan::from_id(&k.id, Some(&yymmdd), None, today()) {
        Ok(plan) => Event::KeyReady(plan),
        Err(KeyError { field, message }) => match field.as_str() {
            "dob" => bad("err.dob_mismatch", "field.dob", Some(message)),
            "id" => bad("err.id_invalid", "field.id", Some(message)),
            _ => bad("err.id_invalid", "field.id_dob", Some(message)),
        },
    }
}

fn mrz(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    ui.label(sc.t("key.mrz_hint"));
    let text = &sc.flow.session.key.mrz;
    let lines: Vec<String> = text
        .chars()
        .collect::<Vec<_>>()
        .chunks(30)
        .map(|c| c.iter().collect())
        .collect();
    let shown = if lines.is_empty() {
        "—".to_string()
    } else {
        lines.join("\n")
    };
    ui.label(RichText::new(shown).monospace().size(28.0));
    let erase = sc.t("common.erase");
    widgets::mrz_keypad(ui, &mut sc.flow.session.key.mrz, 90, erase);
    if widgets::big_button(ui, sc.t("common.continue"), true).clicked() {
        ev = Some(match KeyPlan::from_mrz(&sc.flow.session.key.mrz, today()) {
            Ok(plan) => Event::KeyReady(plan),
            Err(e) => bad("err.mrz_invalid", "field.mrz", Some(e.to_string())),
        });
    }
    ev
}
