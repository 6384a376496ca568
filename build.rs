//! Embeds the build date for `cccd-kiosk doctor`'s clock check: a kiosk with no
//! network and a flat RTC battery often boots in the past, and a clock before the
//! build date is certainly wrong. The date is the commit's (`SOURCE_DATE_EPOCH` when
//! set, as Debian's reproducible builds do; else the last git commit), so rebuilding
//! the same source gives the same binary. No date found: the check says so.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-changed=build.rs");
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|s| s.trim().parse::<u64>().is_ok())
        .or_else(|| {
            Command::new("git")
                .args(["log", "-1", "--format=%ct"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_string())
                .filter(|s| s.parse::<u64>().is_ok())
        });
    if let Some(e) = epoch {
        println!("cargo:rustc-env=CCCD_BUILD_EPOCH={}", e.trim());
    }
}
