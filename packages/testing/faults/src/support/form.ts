/**
 * Short or full form of the fault tests. `pnpm test` runs the short form (small counts, so the
 * whole package stays within about a minute of test time on 2 cores); `pnpm test:faults` sets
 * `FAULTS_FULL=1` and runs the full form (the counts, real waits instead of shortcuts).
 */
export const FULL = process.env.FAULTS_FULL === '1';

/** `short` in the normal test run, `full` under `FAULTS_FULL=1`. */
export function pick<T>(short: T, full: T): T {
  return FULL ? full : short;
}

/** The form's name, for figures and messages. */
export const FORM = FULL ? 'full' : 'short';
