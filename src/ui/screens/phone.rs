//! Contact: the citizen's own mobile (typed twice), a relative's mobile with the
//! relation (an elderly citizen often has none of their own), or an e-mail address
//! (DESIGN.md "Flow and consent"). Vietnamese mobile numbers only, stored normalised
//! (`+84…`). A number already on another record today is a warning the citizen can
//! accept, not a block (families share phones). While the record is written (on the
//! sink's thread) the screen says so; a failed save keeps everything for a retry.

use super::{heading, notice, widgets, ScreenCtx};
use crate::ui::flow::{ContactKind, Event, Notice};
use crate::ui::phone::{self, PhoneError};
use crate::ui::sink::Contact;
use crate::ui::theme;
use egui::{RichText, Ui};

/// Relations offered for a relative's number (i18n keys; the record keeps the Vietnamese).
pub const KIN: [&str; 4] = ["kin.child", "kin.grandchild", "kin.spouse", "kin.sibling"];

/// Draw the contact screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    heading(ui, sc.t("phone.title"));
    notice(ui, sc);
    let p = &sc.flow.session.phone;
    if p.saving {
        ui.label(RichText::new(sc.t("phone.saving")).size(30.0).strong());
        return None;
    }
    if let Some(n) = p.duplicate {
        return duplicate(ui, sc, n);
    }
    let failed = sc
        .flow
        .session
        .notice
        .as_ref()
        .is_some_and(|n| n.key == "err.queue_failed");
    if failed && p.contact.is_some() {
        ui.horizontal(|ui| {
            if widgets::big_button(ui, sc.t("phone.retry"), true).clicked() {
                ev = Some(Event::RetrySave);
            }
            if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
                ev = Some(Event::Back);
            }
        });
        return ev;
    }
    ui.horizontal(|ui| {
        for (k, key) in [
            (ContactKind::Own, "phone.tab_own"),
            (ContactKind::Relative, "phone.tab_relative"),
            (ContactKind::Email, "phone.tab_email"),
        ] {
            if widgets::big_button(ui, sc.t(key), sc.flow.session.phone.kind == k).clicked()
                && sc.flow.session.phone.kind != k
            {
                let p = &mut sc.flow.session.phone;
                p.kind = k;
                p.confirming = false;
                zeroize::Zeroize::zeroize(&mut p.second);
                sc.flow.session.notice = None;
            }
        }
    });
    let erase = sc.t("common.erase");
    if sc.flow.session.phone.kind == ContactKind::Email {
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_max_width(440.0);
                widgets::display_box(ui, sc.t("field.email"), &sc.flow.session.phone.email, true);
                ui.label(RichText::new(sc.t("phone.email_hint")).small());
                if widgets::big_button(ui, sc.t("common.continue"), true).clicked() {
                    ev = submit_email(sc);
                }
                if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
                    ev = Some(Event::Back);
                }
            });
            widgets::email_keypad(ui, &mut sc.flow.session.phone.email, 64, erase);
        });
        return ev;
    }
    let confirming = sc.flow.session.phone.confirming;
    let relative = sc.flow.session.phone.kind == ContactKind::Relative;
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_max_width(460.0);
            if relative {
                ui.label(sc.t("phone.relation"));
                ui.horizontal_wrapped(|ui| {
                    for key in KIN {
                        let on = sc.flow.session.phone.relation == Some(key);
                        let text = RichText::new(sc.t(key)).size(24.0);
                        let mut b = egui::Button::new(if on {
                            text.color(egui::Color32::WHITE)
                        } else {
                            text
                        })
                        .min_size(egui::vec2(100.0, 56.0));
                        if on {
                            b = b.fill(theme::PRIMARY);
                        }
                        if ui.add(b).clicked() {
                            sc.flow.session.phone.relation = Some(key);
                        }
                    }
                });
            }
            let p = &sc.flow.session.phone;
            let prompt = match (confirming, relative) {
                (true, _) => sc.t("phone.again"),
                (false, true) => sc.t("phone.prompt_relative"),
                (false, false) => sc.t("phone.prompt"),
            };
            ui.label(RichText::new(prompt).size(28.0));
            let value = if confirming { &p.second } else { &p.first };
            widgets::display_box(ui, sc.t("field.phone"), value, true);
            if !relative {
                ui.label(RichText::new(sc.t("phone.hint")).small());
            }
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

/// The number is on another record today: say so, let the citizen keep it or change it.
fn duplicate(ui: &mut Ui, sc: &mut ScreenCtx, n: u64) -> Option<Event> {
    let mut ev = None;
    let shown = sc
        .flow
        .session
        .phone
        .contact
        .as_ref()
        .and_then(|c| c.phone())
        .map(phone::display)
        .unwrap_or_default();
    egui::Frame::new()
        .fill(egui::Color32::from_rgb(0xFF, 0xF4, 0xE0))
        .stroke(egui::Stroke::new(3.0, theme::WARN))
        .inner_margin(14.0)
        .corner_radius(8.0)
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.label(
                RichText::new(
                    sc.t("phone.duplicate")
                        .replace("{phone}", &shown)
                        .replace("{n}", &n.to_string()),
                )
                .size(28.0)
                .strong(),
            );
        });
    ui.horizontal(|ui| {
        if widgets::big_button(ui, sc.t("phone.keep"), true).clicked() {
            ev = Some(Event::DuplicateAccepted);
        }
        if widgets::big_button(ui, sc.t("phone.change"), false).clicked() {
            let p = &mut sc.flow.session.phone;
            p.duplicate = None;
            p.contact = None;
            p.confirming = false;
            zeroize::Zeroize::zeroize(&mut p.first);
            zeroize::Zeroize::zeroize(&mut p.second);
        }
    });
    ev
}

fn submit(sc: &mut ScreenCtx) -> Option<Event> {
    let s = &mut sc.flow.session;
    let err = |key, field| Notice {
        key,
        field: Some(field),
        detail: None,
    };
    let relative = s.phone.kind == ContactKind::Relative;
    if relative && s.phone.relation.is_none() {
        s.notice = Some(err("err.kin_relation", "phone.relation_field"));
        return None;
    }
    let first = match phone::normalise(&s.phone.first) {
        Ok(n) => n,
        Err(e) => {
            s.notice = Some(err(
                match e {
                    PhoneError::BadCharacters => "err.phone_chars",
                    PhoneError::Length => "err.phone_length",
                    PhoneError::Prefix => "err.phone_prefix",
                },
                "field.phone",
            ));
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
            Some(match s.phone.relation.filter(|_| relative) {
                Some(rel) => Event::ContactConfirmed(Contact::RelativePhone {
                    phone: n,
                    relation: crate::ui::i18n::tr(crate::ui::i18n::Lang::Vi, rel).to_string(),
                }),
                None => Event::PhoneConfirmed(n),
            })
        }
        _ => {
            zeroize::Zeroize::zeroize(&mut s.phone.second);
            s.notice = Some(err("err.phone_mismatch", "field.phone"));
            None
        }
    }
}

/// An e-mail address as the record accepts it: one `@`, a dotted domain, no spaces.
pub fn email_valid(a: &str) -> bool {
    let Some((local, domain)) = a.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && a.is_ascii()
        && !a.chars().any(char::is_whitespace)
}

fn submit_email(sc: &mut ScreenCtx) -> Option<Event> {
    let s = &mut sc.flow.session;
    let a = s.phone.email.trim().to_ascii_lowercase();
    if !email_valid(&a) {
        s.notice = Some(Notice {
            key: "err.email_invalid",
            field: Some("field.email"),
            detail: None,
        });
        return None;
    }
    s.notice = None;
    Some(Event::ContactConfirmed(Contact::Email(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_need_a_local_part_and_a_dotted_domain() {
        assert!(email_valid("huong.nguyen@gmail.com"));
        assert!(email_valid("a@xa.gov.vn"));
        for bad in [
            "huong",
            "@gmail.com",
            "a@gmail",
            "a@.com",
            "a@b..vn",
            "a b@c.vn",
            "a@b@c.vn",
        ] {
            assert!(!email_valid(bad), "{bad}");
        }
    }
}
