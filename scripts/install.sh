#!/usr/bin/env bash
# Installs the npm dependencies exactly as locked, once per lockfile change.
# onnxruntime-node's install script downloads CUDA libraries, which this project never needs at
# install time (the CPU binaries ship in the package): skip it.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.semla-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "Installing npm dependencies (npm ci)..." >&2
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" > "$stamp"
