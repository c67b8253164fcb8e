#!/bin/sh
# Starts one service (`sh scripts/run-service.sh <entry.ts>`) with the memory settings it is sized for
# (docs/performance.md, "Memory"): V8's young generation at 16 MB per semi-space (smaller ones promote
# short-lived request objects and cost up to 40% of the rate), its old generation capped at 128 MB (the
# services keep 30-60 MB alive; without a cap V8 lets garbage grow to 250-400 MB before collecting), and
# two malloc arenas (glibc keeps one per thread that allocated, so the password hashes of libuv's threads
# left 50 MB behind). Values set in the environment win: NODE_OPTIONS="" starts with V8's defaults.
# The same defaults are SERVICE_RUNTIME_ENV in packages/core/platform/src/service-runtime.ts (a test
# compares them).
: "${NODE_OPTIONS=--max-semi-space-size=16 --max-old-space-size=128}"
: "${MALLOC_ARENA_MAX=2}"
export NODE_OPTIONS MALLOC_ARENA_MAX
exec node "$@"
