#!/usr/bin/env bash
# Install Debian's Chromium for the web console's browser tests (playwright-core drives it at
# /usr/bin/chromium: Playwright's own browser download needs a host this machine cannot reach).
# Idempotent: exits at once when /usr/bin/chromium is there. Needs root (or passwordless sudo).
set -euo pipefail
log() { printf '[install-chromium] %s\n' "$*" >&2; }
if [[ -x /usr/bin/chromium ]]; then
  log "chromium already installed ($(/usr/bin/chromium --version 2>/dev/null || echo unknown version))"
  exit 0
fi
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || { log "ERROR: must run as root (or with passwordless sudo) to apt-get install chromium"; exit 1; }
  SUDO=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
log "apt-get install chromium"
"${SUDO[@]}" apt-get update -q >&2
"${SUDO[@]}" apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends chromium >&2
