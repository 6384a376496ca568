//! Logs: `tracing` to stderr, which journald keeps when the kiosk runs under systemd
//! (the unit adds no log files of its own to rotate or leak).
//!
//! The level comes from the config's `log_level`; `RUST_LOG` wins when set, for a
//! technician at the console. Personal data (APDUs, MRZ, DG bytes, names, ID numbers)
//! is logged only under the target `sensitive`, and that target stays off unless a
//! directive names it explicitly: `RUST_LOG=trace` alone must not put a citizen's
//! data into the journal (Decree 13/2023/NĐ-CP).

use crate::config::LogLevel;
use tracing_subscriber::EnvFilter;

/// The tracing target that carries personal data; off unless named.
pub const SENSITIVE: &str = "sensitive";

/// The filter directives for `rust_log` (the RUST_LOG value, if any) or `level`.
pub fn directives(rust_log: Option<&str>, level: LogLevel) -> String {
    let base = rust_log
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(level.as_str());
    if base.contains(SENSITIVE) {
        base.to_string()
    } else {
        format!("{base},{SENSITIVE}=off")
    }
}

/// Install the stderr subscriber (once; later calls do nothing).
pub fn init(level: LogLevel) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let wanted = directives(rust_log.as_deref(), level);
    let filter =
        EnvFilter::try_new(&wanted).unwrap_or_else(|_| EnvFilter::new(directives(None, level)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // journald stores what it is given: colour codes only on a terminal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_stays_off_unless_named() {
        assert_eq!(directives(None, LogLevel::Info), "info,sensitive=off");
        assert_eq!(
            directives(Some("trace"), LogLevel::Info),
            "trace,sensitive=off"
        );
        assert_eq!(directives(Some(""), LogLevel::Debug), "debug,sensitive=off");
        assert_eq!(
            directives(Some("warn,sensitive=trace"), LogLevel::Info),
            "warn,sensitive=trace"
        );
    }
}
