/**
 * Full or short form of the cluster's fault tests. `pnpm test:cluster` runs the full form;
 * `CLUSTER_SHORT=1` (`pnpm test:cluster --short`, what `.ci/run` runs) the short one: the same
 * faults and checks with fewer seconds of load and fewer users.
 */
export const SHORT = process.env.CLUSTER_SHORT === '1';

/** `full` normally, `short` under `CLUSTER_SHORT=1`. */
export function pick<T>(full: T, short: T): T {
  return SHORT ? short : full;
}

/** The form's name, for figures and messages. */
export const FORM = SHORT ? 'short' : 'full';
