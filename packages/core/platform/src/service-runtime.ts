/**
 * The environment every service process starts with unless it sets these variables itself
 * (docs/performance.md, "Memory"): `scripts/run-service.sh` sets the same defaults for the
 * package start scripts and the cluster, the container image sets them too, and the test and
 * benchmark harness (`startServiceProcess`) passes them to the processes it starts.
 *
 * - `NODE_OPTIONS`: V8's young generation at 16 MB per semi-space (smaller ones promote
 *   short-lived request objects to the old generation and cost up to 40% of the rate) and its old
 *   generation capped at 128 MB (the services keep 30-60 MB alive; without a cap V8 lets garbage
 *   grow to 250-400 MB of RSS before it collects).
 * - `MALLOC_ARENA_MAX`: two glibc malloc arenas (one per allocating thread by default: the
 *   password hashes in libuv's threads left about 50 MB behind in the authorization server).
 *
 * Peak RSS with these, measured by `pnpm bench`: at most 256 MB per service under every row.
 */
export const SERVICE_RUNTIME_ENV: Readonly<{ NODE_OPTIONS: string; MALLOC_ARENA_MAX: string }> = {
  NODE_OPTIONS: '--max-semi-space-size=16 --max-old-space-size=128',
  MALLOC_ARENA_MAX: '2',
};
