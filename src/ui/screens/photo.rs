//! Photo: live preview with a face guide, automatic checks (brightness, sharpness,
//! exactly one face, centred and large enough), a countdown, capture, retake, and
//! the chip photo beside the capture for the officer to compare.
//!
//! With no face detector the face check cannot pass: it fails closed and only the
//! officer's explicit confirmation captures the photo (recorded in the quality).

use super::{heading, image, widgets, ScreenCtx};
use crate::camera::face::FaceError;
use crate::camera::quality::Thresholds;
use crate::ui::flow::{Event, LivePhoto};
use crate::ui::sink::PhotoQuality;
use crate::ui::theme;
use egui::{Color32, RichText, Stroke, Ui};

/// Result of the face check on one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceCheck {
    Ok,
    NoFace,
    Several,
    OffCentre,
    /// No detector: the officer must confirm.
    NoDetector,
}

/// Judge the detector's answer: one face, centred, at least a fifth of the frame wide.
pub fn face_check(
    faces: &Result<Vec<crate::camera::face::FaceBox>, FaceError>,
    w: u32,
    h: u32,
) -> FaceCheck {
    match faces {
        Err(FaceError::NoDetector(_)) => FaceCheck::NoDetector,
        Ok(v) if v.is_empty() => FaceCheck::NoFace,
        Ok(v) if v.len() > 1 => FaceCheck::Several,
        Ok(v) => {
            let f = v[0];
            let (cx, cy) = f.centre_in(w, h);
            let big = f.width as f32 >= w as f32 / 5.0;
            if (0.3..=0.7).contains(&cx) && (0.25..=0.75).contains(&cy) && big {
                FaceCheck::Ok
            } else {
                FaceCheck::OffCentre
            }
        }
    }
}

/// What stands in for the live preview while there is none: "starting", or — once the
/// camera thread has reported a failure — "no camera, check the cable" with the
/// system's detail small for the officer. The camera thread keeps retrying, and the
/// preview replaces this by itself when frames come back.
pub(super) fn camera_status(ui: &mut Ui, sc: &ScreenCtx) {
    match sc.camera_error {
        Some(detail) => {
            ui.label(
                RichText::new(sc.t("camera.lost"))
                    .color(theme::WARN)
                    .strong()
                    .size(28.0),
            );
            ui.label(RichText::new(detail).color(theme::NEUTRAL).small());
        }
        None => {
            ui.label(RichText::new(sc.t("camera.starting")).color(theme::NEUTRAL));
        }
    }
}

/// Draw the photo screen.
pub fn show(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    heading(ui, sc.t("photo.title"));
    if sc.flow.session.photo.is_some() {
        return captured(ui, sc);
    }
    let mut ev = None;
    let th = Thresholds::default();
    ui.horizontal_top(|ui| {
        let rect = match sc.preview {
            Some(t) => Some(image(ui, t, egui::vec2(560.0, 420.0)).rect),
            None => {
                camera_status(ui, sc);
                None
            }
        };
        if let Some(r) = rect {
            // face guide: an oval the citizen fills
            let c = r.center();
            let guide = egui::Shape::ellipse_stroke(
                c,
                egui::vec2(r.width() * 0.2, r.height() * 0.36),
                Stroke::new(4.0, Color32::WHITE),
            );
            ui.painter().add(guide);
        }
        ui.vertical(|ui| {
            // Back sits in this column so the screen fits 1280×800 without scrolling.
            if widgets::big_button(ui, sc.t("common.back"), false).clicked() {
                ev = Some(Event::Back);
            }
            let Some(rep) = sc.camera else {
                return;
            };
            let (w, h) = rep.frame.dimensions();
            let bright = th.bright_ok(&rep.quality);
            let sharp = th.sharp_ok(&rep.quality);
            let face = face_check(&rep.faces, w, h);
            let line = |ui: &mut Ui, ok: bool, good: &str, bad: &str| {
                let (m, c) = if ok {
                    ("✔", theme::GOOD)
                } else {
                    ("✖", theme::WARN)
                };
                ui.label(RichText::new(format!("{m} {}", if ok { good } else { bad })).color(c));
            };
            line(ui, bright, sc.t("photo.light_ok"), sc.t("photo.light_bad"));
            line(ui, sharp, sc.t("photo.sharp_ok"), sc.t("photo.sharp_bad"));
            let face_bad = match face {
                FaceCheck::NoFace => sc.t("photo.no_face"),
                FaceCheck::Several => sc.t("photo.several"),
                FaceCheck::OffCentre => sc.t("photo.off_centre"),
                FaceCheck::NoDetector => sc.t("photo.no_detector"),
                FaceCheck::Ok => "",
            };
            line(ui, face == FaceCheck::Ok, sc.t("photo.face_ok"), face_bad);
            let all = bright && sharp && face == FaceCheck::Ok;
            if all {
                let start = *sc.ui_state.countdown_start.get_or_insert(sc.now);
                let left = sc
                    .config
                    .countdown
                    .saturating_sub(sc.now.duration_since(start));
                if left.is_zero() {
                    ev = Some(capture(rep, face, false));
                } else {
                    ui.label(
                        RichText::new(format!("{}", left.as_secs() + 1))
                            .size(72.0)
                            .color(theme::PRIMARY)
                            .strong(),
                    );
                    ui.label(sc.t("photo.hold_still"));
                }
            } else {
                sc.ui_state.countdown_start = None;
            }
            if face == FaceCheck::NoDetector
                && widgets::big_button(ui, sc.t("photo.officer_confirm"), true).clicked()
            {
                ev = Some(capture(rep, face, true));
            }
            if let Some(t) = sc.chip_photo {
                ui.label(RichText::new(sc.t("photo.chip")).small());
                image(ui, t, egui::vec2(96.0, 128.0));
            }
        });
    });
    ev
}

fn capture(rep: &crate::camera::worker::Report, face: FaceCheck, officer: bool) -> Event {
    use sha2::Digest;
    let frame = &*rep.frame;
    let mut jpeg = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90);
    if let Err(e) = frame.write_with_encoder(enc) {
        tracing::error!("live photo JPEG: {e}");
    }
    let sha256 = hex::encode(sha2::Sha256::digest(&jpeg));
    let faces = match (&rep.faces, face) {
        (Ok(v), _) => Some(v.len()),
        (Err(_), _) => None,
    };
    Event::PhotoTaken(Box::new(LivePhoto {
        jpeg,
        sha256,
        rgb: (frame.width(), frame.height(), frame.as_raw().clone()),
        quality: PhotoQuality {
            brightness: rep.quality.brightness,
            sharpness: rep.quality.sharpness,
            faces,
            officer_confirmed: officer,
        },
    }))
}

fn captured(ui: &mut Ui, sc: &mut ScreenCtx) -> Option<Event> {
    let mut ev = None;
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.label(sc.t("photo.live"));
            if let Some(t) = sc.live_photo {
                image(ui, t, egui::vec2(480.0, 400.0));
            }
        });
        ui.vertical(|ui| {
            ui.label(sc.t("photo.chip"));
            if let Some(t) = sc.chip_photo {
                image(ui, t, egui::vec2(300.0, 400.0));
            }
        });
    });
    ui.label(sc.t("photo.compare"));
    ui.horizontal(|ui| {
        if widgets::big_button(ui, sc.t("common.continue"), true).clicked() {
            ev = Some(Event::PhotoAccepted);
        }
        if widgets::big_button(ui, sc.t("photo.retake"), false).clicked() {
            ev = Some(Event::Retake);
        }
    });
    ev
}
