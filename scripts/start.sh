#!/usr/bin/env bash
# Sets up and starts SemLA Serve on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# The web console (Vite, from the lockfile's packages: nothing fetched), served at /console.
npm run build --silent --workspace @semla/console >&2
exec npx --no-install tsx functions/cli/src/main.ts serve "$@"
