#!/usr/bin/env bash
# Renders a compressor HTML report with headless Chromium and checks that a real page came
# out: the screenshot must exist and be larger than 10 KB (a blank page is a few KB).
# Usage: scripts/check-report-html.sh REPORT.html OUT.png
# Exit: 0 rendered, 1 render failed or screenshot too small, 2 usage, 77 chromium not installed.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 REPORT.html OUT.png" >&2
  exit 2
fi
report=$1
png=$2
if [ ! -f "$report" ]; then
  echo "check-report-html: $report: no such file" >&2
  exit 2
fi
browser=""
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
  echo "check-report-html: chromium is not installed (apt-get install chromium)" >&2
  exit 77
fi

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$png"
# No network, no sync/update traffic, a throwaway profile; the report itself forbids loading
# anything through its Content-Security-Policy.
if ! timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$png" --window-size=1200,1600 "file://$abs_report" >"$profile/log" 2>&1; then
  echo "check-report-html: $browser failed: $(tail -n 3 "$profile/log" | tr '\n' ' ')" >&2
  exit 1
fi
if [ ! -s "$png" ]; then
  echo "check-report-html: no screenshot written to $png" >&2
  exit 1
fi
size=$(stat -c %s "$png")
if [ "$size" -le 10240 ]; then
  echo "check-report-html: screenshot $png is only $size bytes (blank page?)" >&2
  exit 1
fi
echo "check-report-html: $png ($size bytes)"
