//! Phone: a numeric keypad (with a `+84` key), typed twice; Vietnamese mobile
//! numbers only, stored normalised (`+84…`).

use super::{heading, notice, widgets, ScreenCtx};
use crate::ui::flow::{Event, Notice};
use crate::ui::phone::{self, PhoneError};
use egui::{RichText, Ui};

/// Draw the phone screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("phone.title"));
    notice(ui, sc);
    let erase = sc.t("common.erase");
    let confirming = sc.flow.session.phone.confirming;
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            let p = &sc.flow.session.phone;
            let prompt = if confirming {
                sc.t("phone.again")
            } else {
                sc.t("phone.prompt")
            };
            ui.label(RichText::new(prompt).size(30.0));
            let value = if confirming { &p.second } else { &p.first };
            widgets::display_box(ui, sc.t("field.phone"), value, true);
            ui.label(RichText::new(sc.t("phone.hint")).small());
            if widgets::big_button(ui, sc.t("common.continue"), true).clicked() {
                ev = submit(sc);
            }
            if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
                ev = Some(Event::Back);
            }
        });
        let p = &mut sc.flow.session.phone;
        let buf = if confirming {
            &mut p.second
        } else {
            &mut p.first
        };
        widgets::keypad(ui, buf, 13, Some("+84"), erase);
    });
    ev
}

fn submit(sc: &mut ScreenCtx) -> Option<Event> {
    let s = &mut sc.flow.session;
    let err = |key| Notice {
        key,
        field: Some("field.phone"),
        detail: None,
    };
    let first = match phone::normalise(&s.phone.first) {
        Ok(n) => n,
        Err(e) => {
            s.notice = Some(err(match e {
                PhoneError::BadCharacters => "err.phone_chars",
                PhoneError::Length => "err.phone_length",
                PhoneError::Prefix => "err.phone_prefix",
            }));
            s.phone.confirming = false;
            return None;
        }
    };
    if !s.phone.confirming {
        s.phone.confirming = true;
        s.notice = None;
        return None;
    }
    match phone::normalise(&s.phone.second) {
        Ok(n) if n == first => {
            s.notice = None;
            Some(Event::PhoneConfirmed(n))
        }
        _ => {
            zeroize::Zeroize::zeroize(&mut s.phone.second);
            s.notice = Some(err("err.phone_mismatch"));
            None
        }
    }
}
