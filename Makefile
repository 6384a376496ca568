# cccd-kiosk — the README's commands. Each installs what it needs when missing,
# so a fresh Debian machine (as root) needs nothing else.
SHELL := /bin/bash
.DEFAULT_GOAL := test
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
# shellcheck: tests/packaging.rs checks the maintainer scripts and ours with it.
# libclang-dev: bindgen (through nokhwa's V4L2 bindings, v4l2-sys-mit) loads libclang and
# clang's own headers to read <linux/videodev2.h> (linux-libc-dev) when the webcam backend
# (cargo feature `camera`) is built. mesa-vulkan-drivers: lavapipe, the CPU Vulkan that
# egui_kittest's wgpu renderer draws a timed-out UI test's screen with (a PNG beside the
# widget tree in target/tmp/ui-timeouts/).
APT_PACKAGES := pcscd libccid libpcsclite-dev vsmartcard-vpcd pkg-config python3 util-linux shellcheck \
  xvfb xauth libgl1-mesa-dri libegl1 libgl1 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 \
  libclang-dev linux-libc-dev mesa-vulkan-drivers

.PHONY: deps test demo bench check deb deb-test cargo-deb

deps:
	@command -v $(CARGO) >/dev/null 2>&1 || { echo "make: cargo not found: install Rust 1.92 or newer with rustup (https://rustup.rs), then run make again" >&2; exit 1; }
	@# dpkg -s succeeds for a removed package whose config files remain ("deinstall ok config-files"):
	@# only "install ok installed" counts.
	@missing=""; for p in $(APT_PACKAGES); do \
	  [ "$$(dpkg-query -W -f='$${Status}' $$p 2>/dev/null)" = "install ok installed" ] || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Unit tests, and integration tests through a private pcscd + vpcd with the emulated card,
# all built as the package ships (feature `camera`: the nokhwa/V4L2 webcam backend, which
# has no camera to run against here; its device-name matching is unit-tested).
# The .deb is packed from that build too (cargo-deb --no-build, stripped: seconds, not a
# release build) and tests/packaging.rs lists and checks its contents (CCCD_DEB).
# `make deb` is the release package; `make deb-test` installs it on a clean Debian.
CARGO_DEB_VERSION := 3.8.0
TEST_DEB_DIR := $(TARGET_DIR)/debian-test
test: deps cargo-deb
	$(CARGO) build --locked --bins --features camera
	rm -rf $(TEST_DEB_DIR)
	@# cargo-deb warns that a dev-profile package is not for release: this one is only listed.
	$(CARGO) deb --locked --no-build --profile dev --strip -o $(TEST_DEB_DIR)/
	CCCD_DEB="$$(ls $(TEST_DEB_DIR)/cccd-kiosk_*.deb)" scripts/with-pcscd $(CARGO) test --locked --all-targets --features camera

cargo-deb:
	@command -v cargo-deb >/dev/null 2>&1 || $(CARGO) install cargo-deb --locked --version $(CARGO_DEB_VERSION)

# Read the demo card through a real pcscd: the QR text as the key, JSON out.
# Then walk the kiosk's screens (under Xvfb when there is no display; Mesa llvmpipe
# renders) with the emulated card and the synthetic camera: a PNG of every screen
# and the frame times in target/demo/.
demo: deps
	$(CARGO) build --locked --bins --features camera
	scripts/with-pcscd scripts/demo.sh $(TARGET_DIR)/debug/cccd-kiosk
	mkdir -p target/demo
	if [ -n "$$DISPLAY" ]; then \
	  $(TARGET_DIR)/debug/cccd-kiosk kiosk --demo-tour target/demo --size 1280x800; \
	else \
	  LIBGL_ALWAYS_SOFTWARE=1 xvfb-run -a -s "-screen 0 1920x1080x24" \
	    $(TARGET_DIR)/debug/cccd-kiosk kiosk --demo-tour target/demo --size 1280x800; \
	fi
	@ls target/demo

# Criterion benchmarks: full reads through a real pcscd + vpcd (cccd-kiosk against dmrtd on
# the same card), PACE ECDH host cost, queue append/export/verify.
bench: deps
	scripts/with-pcscd $(CARGO) bench --locked

# The Debian package (cargo-deb; a release build, so minutes: kept out of `make test`,
# which checks the packaging metadata and maintainer scripts in tests/packaging.rs).
# Then the same test lists the .deb (dpkg-deb -c) and checks its contents.
deb: deps cargo-deb
	$(CARGO) deb --locked
	CCCD_DEB="$$(ls -t $(TARGET_DIR)/debian/cccd-kiosk_*.deb | head -n1)" $(CARGO) test --locked --test packaging

# The .deb on a clean Debian bookworm (debootstrap, in a chroot): install with its
# Depends, the kiosk user, the files, `config check` and `doctor --json`, a card read
# through pcscd + vpcd started in the chroot, dpkg -i again, -r, --purge, reinstall.
# The debootstrap root is cached in $(TARGET_DIR)/deb-test (a second run skips it).
deb-test: deb
	@$(MAKE) --no-print-directory deps APT_PACKAGES="debootstrap python3 util-linux"
	scripts/deb-clean-install "$$(ls -t $(TARGET_DIR)/debian/cccd-kiosk_*.deb | head -n1)"

check:
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --all-targets --features camera -- -D warnings
