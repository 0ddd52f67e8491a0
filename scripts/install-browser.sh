#!/bin/sh
# Installs Debian's Chromium for the browser tests (Playwright drives it via executable_path;
# no browser download). Does nothing when a chromium is already on the machine.
set -e
for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -x "$candidate" ]; then exit 0; fi
done
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
else
  echo "No chromium and no apt-get: install Chromium and set LAGESBILD_CHROMIUM to its path." >&2
  exit 1
fi
