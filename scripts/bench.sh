#!/usr/bin/env bash
# Benchmarks: each reports ratios against a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# The registry benchmark runs on a real PostgreSQL + pgvector.
bash scripts/services/install-pgvector.sh
mkdir -p bench/results
for bench in bench/*.bench.ts; do
  npx --no-install tsx --expose-gc "$bench"
done
