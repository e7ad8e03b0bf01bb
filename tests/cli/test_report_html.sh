#!/usr/bin/env bash
# The HTML report renders in a real browser (headless Chromium) into a non-trivial page.
# Exits 77 (ctest: skipped) when chromium is not installed. Needs SAMPLE_REPORT.
. "$(dirname "$0")/lib.sh"
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  echo "skip: chromium is not installed"
  exit 77
fi
cd "$WORK"
"$SAMPLE_REPORT" report.html || { bad "sample_report failed"; finish; exit; }
if grep -qE 'https?://|<script' report.html; then bad "page refers to the network or has scripts"; else ok "self-contained page"; fi
if grep -q '<img src=x' report.html; then bad "hostile layer name not escaped"; else ok "layer names escaped"; fi
if bash "$EDGE_SOURCE_DIR/scripts/check-report-html.sh" report.html shot.png; then
  ok "chromium renders the report"
else
  bad "chromium render check"
fi
finish
