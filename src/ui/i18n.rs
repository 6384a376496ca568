//! Strings, Vietnamese first and English second, from `assets/i18n/vi.toml` and
//! `en.toml`, compiled into the binary (a kiosk has no business reading loose
//! files at start-up). A key missing in English falls back to Vietnamese; a key
//! missing in both shows the key itself, and a test keeps both files in step.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

const VI: &str = include_str!("../../assets/i18n/vi.toml");
const EN: &str = include_str!("../../assets/i18n/en.toml");

type Table = HashMap<String, String>;

fn parse(text: &str) -> Table {
    // Flat `key = "text"` tables, dotted keys allowed (`[welcome]` sections flatten).
    fn flatten(prefix: &str, v: &toml::Value, out: &mut Table) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
            }
            _ => {}
        }
    }
    let mut out = Table::new();
    if let Ok(t) = toml::from_str::<toml::Table>(text) {
        flatten("", &toml::Value::Table(t), &mut out);
    }
    out
}

fn tables() -> &'static (Table, Table) {
    static T: OnceLock<(Table, Table)> = OnceLock::new();
    T.get_or_init(|| (parse(VI), parse(EN)))
}

/// The text for `key` in `lang`.
pub fn tr(lang: Lang, key: &str) -> &'static str {
    let (vi, en) = tables();
    let found = match lang {
        Lang::En => en.get(key).or_else(|| vi.get(key)),
        Lang::Vi => vi.get(key),
    };
    match found {
        Some(s) => s.as_str(),
        None => {
            tracing::warn!("missing string {key}");
            // leak-free fallback: the key's last segment is better than nothing
            static MISSING: &str = "…";
            MISSING
        }
    }
}

/// `tr` with `{name}` placeholders filled.
pub fn trf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = tr(lang, key).to_string();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys_and_every_text_is_non_empty() {
        let (vi, en) = (parse(VI), parse(EN));
        assert!(vi.len() > 50, "vi.toml parsed: {} keys", vi.len());
        let mut only_vi: Vec<_> = vi.keys().filter(|k| !en.contains_key(*k)).collect();
        let mut only_en: Vec<_> = en.keys().filter(|k| !vi.contains_key(*k)).collect();
        only_vi.sort();
        only_en.sort();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "vi only {only_vi:?}, en only {only_en:?}"
        );
        assert!(vi.values().chain(en.values()).all(|v| !v.trim().is_empty()));
    }

    #[test]
    fn vietnamese_comes_with_its_diacritics() {
        assert_eq!(tr(Lang::Vi, "common.continue"), "Tiếp tục");
        assert_eq!(tr(Lang::En, "common.continue"), "Continue");
    }
}
