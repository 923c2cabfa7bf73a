#!/usr/bin/env bash
# Installs the browser that tests/test_browser.py drives: Debian's Chromium at /usr/bin/chromium.
# Idempotent: does nothing when it is already there. Needs root (or sudo) to install.
# The Python driver (playwright, pinned in requirements-dev.txt) talks to this browser directly;
# Playwright's own browser download is never used.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser_setup: /usr/bin/chromium is missing and apt-get is not available;" \
       "install Chromium by hand" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
    echo "browser_setup: installing Chromium needs root" >&2; exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# Several test processes may call this at once: one lock, so apt runs one at a time.
exec 9>"${TMPDIR:-/tmp}/course-browser-setup.lock"
flock -w 900 9
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
test -x /usr/bin/chromium
/usr/bin/chromium --version
