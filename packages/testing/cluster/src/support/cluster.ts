import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A PostgreSQL node of the cluster (Patroni member `pg1` or `pg2`). */
export interface PostgresNode {
  port: number;
  /** Patroni's REST API, e.g. `http://127.0.0.1:8008`. */
  patroniUrl: string;
  /** PostgreSQL's data folder (its `postmaster.pid` names the postmaster). */
  dataDir: string;
}

/** A service instance (auth1, auth2, api1, api2, worker1, worker2). */
export interface ServiceInstance {
  kind: 'auth' | 'api' | 'worker';
  /** Its own port on 127.0.0.1 (null for a worker, which serves no HTTP). */
  port: number | null;
  pidFile: string;
}

/** `$PAYAPI_CLUSTER_DIR/cluster.json`, written by `pnpm cluster up`. */
export interface Cluster {
  stateDir: string;
  /** `https://localhost:8443` through HAProxy. */
  issuer: string;
  /** `https://localhost:8444` through HAProxy. */
  apiUrl: string;
  caFile: string;
  /** The services' database through HAProxy (always the leader), as the services' own role. */
  databaseUrl: string;
  /** HAProxy's runtime API (unix socket). */
  haproxySocket: string;
  /** deploy/cluster/cluster.sh */
  clusterScript: string;
  postgres: Record<'pg1' | 'pg2', PostgresNode>;
  instances: Record<string, ServiceInstance>;
}

/** The state folder of the running cluster (`PAYAPI_CLUSTER_DIR`, as `pnpm cluster` reads it). */
export const CLUSTER_DIR = process.env.PAYAPI_CLUSTER_DIR || '/tmp/payapi-cluster';

/**
 * The running cluster's description.
 *
 * @throws {Error} saying to run `pnpm cluster up` when there is none
 */
export function loadCluster(): Cluster {
  const file = join(CLUSTER_DIR, 'cluster.json');
  if (!existsSync(file)) throw new Error(`the cluster is not up (${file} does not exist): run \`pnpm cluster up\` first`);
  return JSON.parse(readFileSync(file, 'utf8')) as Cluster;
}

/** True when the node's Patroni answers 200 on `path` (`/primary`, `/replica`, `/sync`); false when it does not answer. */
export async function patroniSays(node: PostgresNode, path: '/primary' | '/replica' | '/sync'): Promise<boolean> {
  try {
    const response = await fetch(`${node.patroniUrl}${path}`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** The node that is the leader now, and the other one; undefined while there is no leader. */
export async function leaderAndReplica(cluster: Cluster): Promise<{ leader: 'pg1' | 'pg2'; replica: 'pg1' | 'pg2' } | undefined> {
  for (const [leader, replica] of [['pg1', 'pg2'], ['pg2', 'pg1']] as const) {
    if (await patroniSays(cluster.postgres[leader], '/primary')) return { leader, replica };
  }
  return undefined;
}

/** The pid of the node's postmaster (first line of `postmaster.pid`). */
export function postmasterPid(node: PostgresNode): number {
  return Number(readFileSync(join(node.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** The pid of a service instance (from its pid file). */
export function instancePid(cluster: Cluster, instance: string): number {
  const described = cluster.instances[instance];
  if (!described) throw new Error(`no instance ${instance}`);
  return Number(readFileSync(described.pidFile, 'utf8').trim());
}

/** True while a process with this pid exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls `check` every `intervalMs` until it is true.
 *
 * @throws {Error} naming `what` when it is still false after `timeoutMs` (a bound on a wait, not a measured target)
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}

/** One row of HAProxy's `show stat` (CSV), by column name (`pxname`, `svname`, `status`, `scur`, `wretr`, `wredis`…). */
export type StatRow = Record<string, string>;

/** HAProxy's `show stat` through its runtime API. */
export async function haproxyStats(cluster: Cluster): Promise<StatRow[]> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(cluster.haproxySocket, () => socket.end('show stat\n'));
    let answer = '';
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('utf8'); });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
  const [header = '', ...lines] = text.split('\n').filter((line) => line.length > 0);
  const columns = header.replace(/^# /, '').split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, index) => [columns[index] ?? String(index), value])));
}

/** The `show stat` row of one server (`api`, `api1`). */
export async function serverStats(cluster: Cluster, backend: string, server: string): Promise<StatRow> {
  const row = (await haproxyStats(cluster)).find((candidate) => candidate.pxname === backend && candidate.svname === server);
  if (!row) throw new Error(`HAProxy has no server ${backend}/${server}`);
  return row;
}

/**
 * Waits until the cluster is whole: a leader with its synchronous standby, and every instance up
 * in HAProxy and running. Each fault test starts from there.
 */
export async function waitUntilHealthy(cluster: Cluster, timeoutMs = 120_000): Promise<void> {
  await waitFor('a PostgreSQL leader and its synchronous standby', async () => {
    const roles = await leaderAndReplica(cluster);
    return roles !== undefined && await patroniSays(cluster.postgres[roles.replica], '/sync');
  }, timeoutMs, 250);
  await waitFor('every instance up in HAProxy', async () => {
    const rows = await haproxyStats(cluster);
    return ['auth1', 'auth2', 'api1', 'api2'].every((server) => rows.some((row) => row.svname === server && row.status === 'UP'));
  }, timeoutMs, 250);
  for (const instance of Object.keys(cluster.instances)) {
    if (!processExists(instancePid(cluster, instance))) throw new Error(`instance ${instance} is not running`);
  }
}

/**
 * Runs `cluster.sh ARGS…` (e.g. `restart auth`) to its end.
 *
 * @returns its output
 * @throws {Error} with the output when it exits non-zero
 */
export function runClusterScript(cluster: Cluster, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [cluster.clusterScript, ...args], {
      env: { ...process.env, PAYAPI_CLUSTER_DIR: cluster.stateDir }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`cluster.sh ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}
