#!/usr/bin/env bash
# Renders the demo's HTML report in headless Chromium and saves a full-page screenshot, to look
# at what a browser shows (the charts are SVG files the page embeds with <img>).
#
#   scripts/report-screenshot.sh [DATA_DIR] [OUT.png]
#
# DATA_DIR defaults to a fresh `tessera demo --customers 5000` in a temporary directory; an
# existing data directory (one `tessera demo` wrote) is used as it is. Installs Chromium from
# Debian's packages when it is missing (needs root, as on the CI machine).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${2:-report-screenshot.png}")
if [ -n "${1:-}" ]; then
  data=$1
else
  data=$(mktemp -d)/demo
  cargo build --release -p tessera-cli
  target/release/tessera demo --customers 5000 --data "$data" > /dev/null
fi
report="$data/report/index.html"
[ -f "$report" ] || { echo "no report at $report: run \`tessera demo --data $data\` first" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  apt-get update -qq && apt-get install -y -qq chromium > /dev/null
  browser=$(command -v chromium)
fi
# A tall window: the screenshot is the page as rendered, charts included.
"$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1280,4000 --screenshot="$out" "file://$(realpath "$report")" 2> /dev/null
echo "wrote $out from $report"
