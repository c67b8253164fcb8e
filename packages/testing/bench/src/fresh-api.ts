import { freePort, startServiceProcess } from '@payapi/system-testing';
import type { ServiceProcess } from '@payapi/system-testing';
import type { BenchContext } from './context.ts';

/**
 * Starts a fresh resource API process beside the running system: the system's database and
 * environment, its own `PORT` and `METRICS_PORT` (free ports of localhost), and `overrides` on top
 * (e.g. `{ REQUEST_LOG: 'off' }`). `RESOURCE_API_URL` stays the system's, so the users' tokens
 * (whose `aud` it is) are valid on it too. Started with the references' `node` arguments
 * (`--cpu-prof…` with `--profile`). Stop it with {@link ServiceProcess.stop}.
 *
 * A fresh process rather than the system's own API restarted: a row on it does not run on a
 * process warmed, grown or fragmented by earlier scenarios, and the system is left as it was for
 * the next ones.
 *
 * @throws {Error} with the process's last output when it does not start
 */
export async function startFreshApi(context: BenchContext, overrides: Readonly<Record<string, string>>): Promise<ServiceProcess> {
  const { system } = context.prepared;
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env = { ...system.env['resource-api'], PORT: String(port), METRICS_PORT: String(metricsPort), ...overrides };
  return startServiceProcess('resource-api', `http://localhost:${port}`, env, { nodeArgs: context.referenceNodeArgs });
}
