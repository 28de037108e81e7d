#!/usr/bin/env bash
# Installs SST's platform (components, Pulumi SDK and AWS provider packages) into .sst/platform,
# from npm alone: what the infra type check and the Pulumi-mock tests of sst.config.ts need.
# `sst install` would also download the Pulumi CLI and provider plugins; the checks skip that
# (SST_SKIP_DEPENDENCY_CHECK), so this works without internet beyond the npm registry.
#
# Idempotent: exits at once when .sst/platform is the locked sst version's and complete.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf '[install-sst-platform] %s\n' "$*" >&2; }

want=$(node -p 'require("./node_modules/sst/package.json").version')
have=$(cat .sst/platform/version 2>/dev/null || true)
stamp=.sst/platform/node_modules/.semla-installed
if [ "$have" = "$want" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

log "installing SST $want's platform into .sst/platform (npm)..."
export SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 SST_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# The stage only names state folders; the platform is the same for every stage.
npx --no-install sst install --stage dev >&2
echo "$want" > "$stamp"
