/**
 * Cluster fault 3 (docs/cluster.md): a rolling restart of both authorization-server instances
 * (`cluster.sh restart auth`: HAProxy stops sending an instance requests, it finishes what it has
 * and stops, the new process gets requests once ready; then the other) while partners run
 * authorization-code flows and refresh their tokens through HAProxy. No flow may fail except with
 * an answer a client may retry (502, 503, 504, or no connection), and no refresh-token family may
 * be revoked: a refresh sent twice (its answer lost) would look like reuse and revoke the grant.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { histogram } from '@payapi/faults/figures';
import { mintTokens } from '@payapi/system-testing';
import type { Knex } from 'knex';
import * as client from 'openid-client';
import { instancePid, runClusterScript } from './support/cluster.ts';
import type { Cluster } from './support/cluster.ts';
import { recordFigures, seconds } from './support/figures.ts';
import { pick } from './support/form.ts';
import { openClusterTest } from './support/partner.ts';
import type { ClusterPartner } from './support/partner.ts';

const SHAPE = pick({ users: 8, workers: 8, restarts: 2 }, { users: 3, workers: 4, restarts: 1 });
/** Refreshes per flow before the worker starts a new flow. */
const REFRESHES_PER_FLOW = 5;
/** A refresh whose answer was retryable is sent again (same refresh token) at most this often. */
const REFRESH_ATTEMPTS_MAX = 5;
/** HTTP statuses a client may retry: the proxy found no instance, or the instance failed to answer. */
const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/** One HTTP exchange of a flow, as the client saw it. */
interface Exchange {
  method: string;
  path: string;
  status?: number;
  error?: string;
}

/** What the flows did. */
interface FlowTally {
  flowsCompleted: number;
  refreshes: number;
  refreshRetried: number;
  /** Each failed flow or refresh attempt, by its last exchange: retryable or not. */
  retryable: string[];
  notRetryable: Array<{ exchanges: Exchange[]; error: string }>;
  /** The newest refresh token of each worker and its client configuration: still usable afterwards. */
  latest: Map<number, { config: client.Configuration; refreshToken: string }>;
}

let cluster: Cluster;
let db: Knex;
let partner: ClusterPartner;
const exchangesOfFlow = new AsyncLocalStorage<Exchange[]>();
const realFetch = globalThis.fetch;

beforeAll(async () => {
  ({ cluster, db, partner } = await openClusterTest(SHAPE.users, 2));
  // Every request of a flow (the user agent's and openid-client's, both through global fetch) is
  // noted in the flow's own list, so a failure is classified by the answer that caused it.
  globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const exchange: Exchange = { method: request.method, path: new URL(request.url).pathname };
    exchangesOfFlow.getStore()?.push(exchange);
    try {
      const response = await realFetch(input, init);
      exchange.status = response.status;
      return response;
    } catch (error) {
      exchange.error = (error as Error).name;
      throw error;
    }
  };
}, 180_000);

afterAll(async () => {
  globalThis.fetch = realFetch;
  await db?.destroy();
});

/** Whether a failure is one a client may retry: its last exchange got 502/503/504, or no answer at all. */
function isRetryable(exchanges: readonly Exchange[]): string | undefined {
  const last = exchanges.at(-1);
  if (last === undefined) return undefined;
  if (last.status === undefined) return `${last.method} ${last.path}: no answer (${last.error})`;
  return RETRYABLE_STATUSES.has(last.status) ? `${last.method} ${last.path}: ${last.status}` : undefined;
}

/** Runs `step` with its exchanges recorded; a failure is tallied as retryable or not, and rethrown. */
async function recorded<T>(tally: FlowTally, step: () => Promise<T>): Promise<T> {
  const exchanges: Exchange[] = [];
  try {
    return await exchangesOfFlow.run(exchanges, step);
  } catch (error) {
    const retryable = isRetryable(exchanges);
    if (retryable) tally.retryable.push(retryable);
    else tally.notRetryable.push({ exchanges, error: (error as Error).message });
    throw error;
  }
}

/**
 * Code flows then refreshes until `stopped()`: each flow signs a user in and consents (the user
 * agent through HAProxy), exchanges the code, then refreshes the tokens REFRESHES_PER_FLOW times.
 * A flow that fails retryably is started again; a refresh that fails retryably is sent again with the
 * same refresh token, as a client would (a revoked family then shows as `invalid_grant`).
 */
async function flowWorker(worker: number, tally: FlowTally, stopped: () => boolean): Promise<void> {
  const user = partner.partner.users[worker % partner.partner.users.length] as ClusterPartner['partner']['users'][number];
  while (!stopped()) {
    let minted;
    try {
      minted = await recorded(tally, () => mintTokens(cluster.issuer, partner.partner.client, user));
    } catch {
      await sleep(200);
      continue;
    }
    tally.flowsCompleted += 1;
    let refreshToken = minted.refreshToken;
    tally.latest.set(worker, { config: minted.config, refreshToken });
    for (let refresh = 0; refresh < REFRESHES_PER_FLOW && !stopped(); refresh += 1) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const tokens = await recorded(tally, () => client.refreshTokenGrant(minted.config, refreshToken));
          refreshToken = tokens.refresh_token as string;
          tally.refreshes += 1;
          tally.latest.set(worker, { config: minted.config, refreshToken });
          break;
        } catch (error) {
          if (tally.notRetryable.length > 0 || attempt >= REFRESH_ATTEMPTS_MAX) throw error;
          tally.refreshRetried += 1;
          await sleep(200 * attempt);
        }
      }
      await sleep(100);
    }
  }
}

describe('a rolling restart of both authorization servers during code flows and refreshes', () => {
  test('no flow fails except with a retryable answer, and no refresh-token family is revoked', async () => {
    const pidsBefore = [instancePid(cluster, 'auth1'), instancePid(cluster, 'auth2')];
    const tally: FlowTally = { flowsCompleted: 0, refreshes: 0, refreshRetried: 0, retryable: [], notRetryable: [], latest: new Map() };
    let stop = false;
    const workers = Array.from({ length: SHAPE.workers }, (_, worker) => flowWorker(worker, tally, () => stop).catch((error: unknown) => {
      stop = true; // a refresh that kept failing: the tally says why
      throw error;
    }));
    await sleep(3_000);
    const flowsBeforeRestart = tally.flowsCompleted;
    const restartDurationsMs: number[] = [];
    for (let round = 0; round < SHAPE.restarts && !stop; round += 1) {
      const startedAt = performance.now();
      await runClusterScript(cluster, ['restart', 'auth']);
      restartDurationsMs.push(performance.now() - startedAt);
    }
    const flowsDuringRestarts = tally.flowsCompleted - flowsBeforeRestart;
    await sleep(2_000);
    stop = true;
    const outcomes = await Promise.allSettled(workers);

    // Every family is intact: the newest refresh token of each worker still works, and nothing was revoked.
    const finalRefreshes = await Promise.allSettled([...tally.latest.values()].map(({ config, refreshToken }) => client.refreshTokenGrant(config, refreshToken)));
    const { rows } = await db.raw<{ rows: Array<{ reason: string | null }> }>(
      `SELECT data->>'reason' AS reason FROM events.events WHERE type = 'grant.revoked' AND client_id = ?`, [partner.partner.client.client_id]);
    const pidsAfter = [instancePid(cluster, 'auth1'), instancePid(cluster, 'auth2')];
    recordFigures('auth-rolling-restart', {
      workers: SHAPE.workers, restarts: restartDurationsMs.length,
      restartSeconds: restartDurationsMs.map(seconds),
      flowsCompleted: tally.flowsCompleted, flowsDuringRestarts, refreshes: tally.refreshes, refreshRetried: tally.refreshRetried,
      retryableFailures: histogram(tally.retryable), notRetryableFailures: tally.notRetryable.length,
      grantsRevoked: rows.length, finalRefreshesOk: finalRefreshes.filter((outcome) => outcome.status === 'fulfilled').length,
    });

    expect(tally.notRetryable).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect(rows).toEqual([]);
    expect(finalRefreshes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect(finalRefreshes).toHaveLength(SHAPE.workers);
    // Flows ran through the restarts, and both instances are new processes.
    expect(flowsDuringRestarts).toBeGreaterThan(0);
    expect(pidsAfter.filter((pid, index) => pid === pidsBefore[index])).toEqual([]);
  }, 15 * 60_000);
});
