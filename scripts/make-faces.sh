#!/bin/sh
# Rebuild the DG2 face fixtures in src/card/emulator/faces/ from scikit-image's
# public-domain astronaut.png (NASA portrait of Eileen Collins).
#
# Needs: python3 + pip (to fetch the scikit-image wheel), cargo with the
# `image` crate in its registry cache (it is a dependency of this project),
# and opj_compress (Debian package libopenjp2-tools).
# Usage: scripts/make-faces.sh   (from the repository root)
set -eu

OUT="$(pwd)/src/card/emulator/faces"
WORK="${TMPDIR:-/tmp}/cccd-make-faces"
SKIMAGE_VERSION=0.26.0
mkdir -p "$WORK" "$OUT"

# 1. The source photograph, from the scikit-image wheel (a zip).
pip download --no-deps "scikit-image==$SKIMAGE_VERSION" -d "$WORK/wheel"
python3 -c 'import sys, zipfile, glob
whl = glob.glob(sys.argv[1] + "/scikit_image-*.whl")[0]
open(sys.argv[2], "wb").write(zipfile.ZipFile(whl).read("skimage/data/astronaut.png"))' \
    "$WORK/wheel" "$WORK/astronaut.png"

# 2. Crop to a 3:4 ICAO-style portrait (head about 62% of the height) and
#    encode JPEG with the project's own `image` crate: the highest quality whose
#    file fits the target size.
mkdir -p "$WORK/tool/src"
cat > "$WORK/tool/Cargo.toml" <<'TOML'
[package]
name = "make-faces"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
image = { version = "=0.25.10", default-features = false, features = ["jpeg", "png"] }
[workspace]
TOML
cat > "$WORK/tool/src/main.rs" <<'RUST'
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use std::{env, fs};

/// The largest JPEG quality whose encoding is at most `max_bytes`.
fn jpeg_at_most(img: &image::RgbImage, max_bytes: usize) -> (u8, Vec<u8>) {
    let mut best = None;
    for q in 30..=100u8 {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, q).encode_image(img).unwrap();
        if out.len() <= max_bytes {
            best = Some((q, out));
        }
    }
    best.expect("no quality fits")
}

fn main() {
    let a: Vec<String> = env::args().collect();
    let (src, out) = (&a[1], &a[2]);
    let img = image::open(src).unwrap().to_rgb8();
    // Face centred at x≈225; crown at y≈15, chin at y≈185 in the 512x512 source.
    let crop = image::imageops::crop_imm(&img, 123, 0, 204, 272).to_image();
    let small = image::imageops::resize(&crop, 240, 320, FilterType::Lanczos3);
    let large = image::imageops::resize(&crop, 360, 480, FilterType::Lanczos3);
    let (q, jpg) = jpeg_at_most(&small, 15 * 1024);
    fs::write(format!("{out}/astronaut.jpg"), &jpg).unwrap();
    eprintln!("astronaut.jpg 240x320 quality {q}: {} bytes", jpg.len());
    let (q, jpg) = jpeg_at_most(&large, 40 * 1024);
    fs::write(format!("{out}/astronaut-large.jpg"), &jpg).unwrap();
    eprintln!("astronaut-large.jpg 360x480 quality {q}: {} bytes", jpg.len());
    // Lossless input for opj_compress.
    small.save(format!("{out}/astronaut-240x320.png")).unwrap();
}
RUST
cargo run --quiet --release --offline --manifest-path "$WORK/tool/Cargo.toml" \
    --target-dir "$WORK/target" -- "$WORK/astronaut.png" "$WORK"
cp "$WORK/astronaut.jpg" "$WORK/astronaut-large.jpg" "$OUT/"

# 3. JPEG 2000 (JP2 container) of the same 240x320 portrait, about 15 KB:
#    rate 16 = 240*320*3 bytes / 16 ≈ 14.4 KB.
rm -f "$OUT/astronaut.jp2"
opj_compress -i "$WORK/astronaut-240x320.png" -o "$OUT/astronaut.jp2" -r 16
ls -l "$OUT"
