#!/usr/bin/env bash
# Makes sure a headless Chromium is on this machine and prints its path, for
# the web app's end-to-end tests (playwright-core drives it through
# executablePath). It installs Debian's chromium package when none is found:
# playwright's own browser downloads need hosts this machine cannot reach.
# Safe to run again.
set -euo pipefail

find_browser() {
  local b
  for b in "${UPDRAFT_CHROMIUM:-}" chromium chromium-browser; do
    [[ -n "$b" ]] || continue
    if command -v "$b" >/dev/null 2>&1; then
      command -v "$b"
      return 0
    fi
  done
  return 1
}

if find_browser; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "chromium.sh: no chromium found and no apt-get to install it; set UPDRAFT_CHROMIUM to a Chromium binary" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) != 0 ]]; then sudo=(sudo); fi
echo "chromium.sh: installing Debian's chromium" >&2
# The package lists may be missing or old on a fresh machine.
"${sudo[@]}" apt-get update -qq >&2 || true
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >&2
find_browser || { echo "chromium.sh: chromium installed but not found in PATH" >&2; exit 1; }
