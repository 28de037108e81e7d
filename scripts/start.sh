#!/usr/bin/env bash
# Sets up and starts SemLA Serve on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec npx --no-install tsx functions/cli/src/main.ts serve "$@"
