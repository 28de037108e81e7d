#!/usr/bin/env bash
# The whole test suite from a clean checkout: dependencies, type check, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# PostgreSQL 15 + pgvector for the registry tests (built from Debian's source package once).
bash scripts/services/install-pgvector.sh
# Debian's Chromium for the console's browser tests, and the console's build they load.
bash scripts/services/install-chromium.sh
npm run build --silent --workspace @semla/console >&2
# SST's platform (components + Pulumi SDK, from npm) for the infra type check and mock tests,
# then that type check: beside the code's type check (the install is mostly download, and each
# tsc uses one core).
(bash scripts/services/install-sst-platform.sh && bash scripts/typecheck-infra.sh) &
infra=$!
echo "Linting and checking the format (Biome)..." >&2
npx --no-install biome ci .
echo "Type-checking..." >&2
npx --no-install tsc -p tsconfig.json
wait "$infra"
npx --no-install vitest run "$@"
