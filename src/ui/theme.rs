//! Look: Noto Sans (full Vietnamese coverage — egui's default fonts lack
//! U+1E00–1EFF, so "Tiếp tục" would show boxes), large type, high contrast,
//! touch targets of at least [`TOUCH`] px, no hover-only affordances.

use egui::{Color32, FontData, FontDefinitions, FontFamily, FontId, Stroke, TextStyle};
use std::sync::Arc;

/// Minimum touch target, px (WCAG 2.5.5 asks 44; gloved or elderly hands at a kiosk need more).
pub const TOUCH: f32 = 56.0;
/// Primary action colour (dark blue on white: contrast 10:1).
pub const PRIMARY: Color32 = Color32::from_rgb(0x0B, 0x3D, 0x91);
/// Good news (verified, checks passed).
pub const GOOD: Color32 = Color32::from_rgb(0x0A, 0x6B, 0x2E);
/// Warning for the officer (failed verification, clone).
pub const WARN: Color32 = Color32::from_rgb(0xA3, 0x1B, 0x0E);
/// Neutral notes.
pub const NEUTRAL: Color32 = Color32::from_rgb(0x44, 0x4B, 0x55);
/// Body text.
pub const TEXT: Color32 = Color32::from_rgb(0x11, 0x11, 0x11);

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Bold.ttf");

/// Name of the bold family (headings, buttons).
pub fn bold() -> FontFamily {
    FontFamily::Name("bold".into())
}

/// Install fonts and style; call once per context.
pub fn install(ctx: &egui::Context) {
    let mut fonts = FontDefinitions::default();
    fonts
        .font_data
        .insert("noto".into(), Arc::new(FontData::from_static(REGULAR)));
    fonts
        .font_data
        .insert("noto-bold".into(), Arc::new(FontData::from_static(BOLD)));
    // Noto first; egui's own fonts stay behind it for symbols Noto lacks.
    if let Some(f) = fonts.families.get_mut(&FontFamily::Proportional) {
        f.insert(0, "noto".into());
    }
    let mut b = vec!["noto-bold".to_string(), "noto".to_string()];
    b.extend(
        fonts
            .families
            .get(&FontFamily::Proportional)
            .cloned()
            .unwrap_or_default(),
    );
    fonts.families.insert(bold(), b);
    ctx.set_fonts(fonts);

    ctx.set_visuals(egui::Visuals::light());
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (TextStyle::Heading, FontId::new(40.0, bold())),
            (TextStyle::Body, FontId::new(26.0, FontFamily::Proportional)),
            (TextStyle::Button, FontId::new(28.0, bold())),
            (
                TextStyle::Small,
                FontId::new(20.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(26.0, FontFamily::Monospace),
            ),
        ]
        .into();
        style.spacing.interact_size.y = TOUCH;
        style.spacing.button_padding = egui::vec2(24.0, 12.0);
        style.spacing.item_spacing = egui::vec2(16.0, 16.0);
        style.visuals.override_text_color = Some(TEXT);
        style.visuals.panel_fill = Color32::WHITE;
        style.visuals.window_fill = Color32::WHITE;
        // progress-bar track and text-field background: visible against the white panel
        style.visuals.extreme_bg_color = Color32::from_rgb(0xDD, 0xE2, 0xEA);
        style.visuals.widgets.inactive.bg_stroke = Stroke::new(2.0, NEUTRAL);
        style.visuals.widgets.inactive.weak_bg_fill = Color32::from_rgb(0xE8, 0xEC, 0xF2);
        style.visuals.widgets.hovered.weak_bg_fill = Color32::from_rgb(0xE8, 0xEC, 0xF2);
        style.visuals.widgets.active.weak_bg_fill = Color32::from_rgb(0xC8, 0xD4, 0xE8);
        style.visuals.selection.bg_fill = Color32::from_rgb(0xC8, 0xD4, 0xE8);
        style.interaction.tooltip_delay = f32::INFINITY; // touch: there is no hover
    });
}
