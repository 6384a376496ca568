//! The export streams: its peak memory does not grow with the number of records.
//!
//! Each measurement is a fresh child process (this test binary re-executed with
//! `--exact` and an environment variable) that only opens the queue and exports
//! it; its peak resident set (`VmHWM` in /proc/self/status) is compared between a
//! queue of 100 and one of 400 records. Records carry an 8 KB EF.SOD, as real
//! ones do (certificates inside), so a bundle built in memory would need about
//! 35 KB more per record (the sealed rows and the hex JSON lines), 10 MB for the
//! 300 extra records, while the streaming export keeps only ids and the
//! manifest's file list (measured: about 1 KB a record, peak included).

use cccd_kiosk::queue::export;
use cccd_kiosk::queue::record::{synthetic_jpeg, NewActivation};
use cccd_kiosk::queue::store::{Store, Synchronous};
use rand::{RngCore, SeedableRng};
use std::path::Path;
use std::process::Command;

const CHILD: &str = "CCCD_EXPORT_MEMORY_CHILD";

fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The child: `fill:N:DIR` appends N records; `export:DIR` exports them and prints
/// its peak memory. Returns at once in a normal test run.
#[test]
fn memory_child() {
    let Ok(task) = std::env::var(CHILD) else {
        return;
    };
    if let Some(rest) = task.strip_prefix("fill:") {
        let (n, dir) = rest.split_once(':').unwrap();
        let n: u32 = n.parse().unwrap();
        // NORMAL: only filling the queue fast; the export is what is measured.
        let mut store = Store::open_with(Path::new(dir), Synchronous::Normal).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for i in 0..n {
            let mut a = NewActivation::synthetic(i, synthetic_jpeg(u64::from(i), 48));
            let mut sod = vec![0u8; 8192];
            rng.fill_bytes(&mut sod);
            a.card.ef_sod = sod;
            store.append(&a).unwrap();
        }
    } else if let Some(dir) = task.strip_prefix("export:") {
        let dir = Path::new(dir);
        let mut store = Store::open(&dir.join("data")).unwrap();
        let id = age::x25519::Identity::generate();
        let m = export::export(
            &mut store,
            &dir.join("usb"),
            None,
            &id.to_public(),
            &mut |_, _| {},
        )
        .unwrap();
        let export_peak = vm_hwm_kb();
        let v = export::verify(&dir.join("usb"), Some(&id)).unwrap();
        assert_eq!(v.records_checked, m.count);
        println!(
            "export_peak_kb {export_peak} verify_peak_kb {}",
            vm_hwm_kb()
        );
    }
}

fn child(task: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["memory_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, task)
        .output()
        .unwrap();
    assert!(out.status.success(), "{task}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn peaks(n: u32) -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    child(&format!("fill:{n}:{}", data.display()));
    let out = child(&format!("export:{}", dir.path().display()));
    let num = |key: &str| -> u64 {
        out.split_whitespace()
            .skip_while(|w| *w != key)
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} not in {out}"))
    };
    (num("export_peak_kb"), num("verify_peak_kb"))
}

#[test]
fn export_and_verify_peak_memory_does_not_grow_with_the_number_of_records() {
    let (small_export, small_verify) = peaks(100);
    let (large_export, large_verify) = peaks(400);
    eprintln!(
        "peak RSS: export {small_export} kB (100 records) vs {large_export} kB (400); verify {small_verify} kB vs {large_verify} kB"
    );
    // 300 more records held in memory would be ~10 MB; streaming
    // keeps ~200 bytes a record (ids, the manifest's file list).
    let limit_kb = 4 * 1024;
    assert!(
        large_export.saturating_sub(small_export) < limit_kb,
        "export peak grew by {} kB for 300 more records",
        large_export.saturating_sub(small_export)
    );
    assert!(
        large_verify.saturating_sub(small_verify) < limit_kb,
        "verify peak grew by {} kB for 300 more records",
        large_verify.saturating_sub(small_verify)
    );
}
