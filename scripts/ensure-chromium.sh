#!/usr/bin/env bash
# ensure-chromium.sh makes sure a chromium for the dashboard's browser test
# (dashboard.TestBrowser, run through chromedp) is installed: Debian's
# chromium package, through apt-get (as root or through sudo). Anything else
# gets a one-line instruction and a non-zero exit. CHROMIUM=/path/to/chrome
# names another browser; the test then uses it and this script accepts it.
set -euo pipefail

if [ -n "${CHROMIUM:-}" ] && [ -x "${CHROMIUM}" ]; then
  exit 0
fi
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null 2>&1; then
    exit 0
  fi
done

echo "chromium not found; installing it for the dashboard's browser test" >&2
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "redhot: chromium is missing and apt-get needs root; run: sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
else
  echo "redhot: chromium is missing; install Chromium or Chrome and set CHROMIUM=/path/to/it (the browser test is skipped without one)" >&2
  exit 1
fi

command -v chromium >/dev/null 2>&1 || { echo "redhot: chromium still not on PATH after install" >&2; exit 1; }
