#!/usr/bin/env bash
# Installs SST's platform (components, Pulumi SDK and AWS provider packages) into .sst/platform,
# from npm alone: what the infra type check and the Pulumi-mock tests of sst.config.ts need.
# `sst install` would also download the Pulumi CLI and provider plugins; the checks skip that
# (SST_SKIP_DEPENDENCY_CHECK), so this works without internet beyond the npm registry.
#
# Idempotent: exits at once when .sst/platform is the locked sst version's, for this sst.config.ts.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf '[install-sst-platform] %s\n' "$*" >&2; }

version=$(node -p 'require("./node_modules/sst/package.json").version')
# sst.config.ts pins the providers' versions: a change there reinstalls too.
want="$version $(sha256sum sst.config.ts | cut -d' ' -f1)"
stamp=.sst/platform/node_modules/.semla-installed
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ "$(cat .sst/platform/version 2>/dev/null)" = "$version" ]; then
  exit 0
fi

log "installing SST $version's platform into .sst/platform (npm)..."
export SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 SST_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# The platform's npm install: locked versions, no audit; reuse the npm cache without revalidating.
export npm_config_audit=false npm_config_fund=false npm_config_prefer_offline=true
# The stage only names state folders; the platform is the same for every stage.
npx --no-install sst install --stage dev >&2
echo "$want" > "$stamp"
