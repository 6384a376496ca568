#!/usr/bin/env bash
# Inside scripts/with-pcscd: insert the demo card into vpcd and read it the way an
# officer would, with the text of the card's QR code as the key.
set -euo pipefail
bin=${1:-target/debug/cccd-kiosk}
trust=$(mktemp -d)
"$bin" virtual-card --demo --port "$CCCD_VPCD_PORT" --write-csca "$trust" &
card=$!
trap 'kill $card 2>/dev/null || true; rm -rf "$trust"' EXIT
for _ in $(seq 50); do
  "$bin" readers --all --json 2>/dev/null | grep -q '"card_present":true' && break
  sleep 0.1
done
echo "--- readers" >&2
"$bin" readers --all
qr='001195000123|012345678|Nguyễn Thị Thu Hương|14031995|Nữ|Số 12 Ngõ 34 Phố Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội|10072021'
echo "--- cccd-kiosk read --reader 'Virtual PCD' --qr '$qr' --trust DIR --json" >&2
set +e
"$bin" read --reader "Virtual PCD 00 00" --qr "$qr" --trust "$trust" --photo-out target/demo-face.jpg --json | python3 -m json.tool --no-ensure-ascii
echo "exit status: ${PIPESTATUS[0]} (photo in target/demo-face.jpg)" >&2
