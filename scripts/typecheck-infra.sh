#!/usr/bin/env bash
# Type-checks sst.config.ts and infra/ against SST's platform types (strict, as the rest of the
# code). SST's global declarations pull in its platform's .ts sources, which skipLibCheck does not
# cover and which do not compile under this project's stricter flags (noUncheckedIndexedAccess,
# noImplicitOverride): errors inside .sst/ are SST's, not ours, and are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(npx --no-install tsc -p infra/tsconfig.json --pretty false || true)
# Error lines start at column 0; their continuation lines are indented.
ours=$(printf '%s\n' "$out" | awk '/^[^ ]/ { keep = ($0 !~ /^\.sst\//) } keep' | sed '/^$/d')
if [ -n "$ours" ]; then
  printf '%s\n' "$ours" >&2
  exit 1
fi
