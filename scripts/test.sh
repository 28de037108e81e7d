#!/usr/bin/env bash
# The whole test suite from a clean checkout: dependencies, type check, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# PostgreSQL 15 + pgvector for the registry tests (built from Debian's source package once).
bash scripts/services/install-pgvector.sh
echo "Type-checking..." >&2
npx --no-install tsc -p tsconfig.json
npx --no-install vitest run "$@"
