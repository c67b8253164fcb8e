/**
 * Cluster fault 2 (docs/cluster.md): `kill -9` of one resource-API instance under a transfer load
 * through HAProxy. Only the requests in flight on it may fail (HAProxy sends those with an
 * Idempotency-Key to the other instance, `retry-on empty-response`; what still reaches the client
 * is retried by the SDK with the same key); every transfer then has its 201, booked once. The
 * instance is started again afterwards (`cluster.sh restart api1`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { histogram } from '@payapi/faults/figures';
import type { Knex } from 'knex';
import { booksBefore, expectBooksHold } from './support/books.ts';
import { instancePid, processExists, runClusterScript, serverStats, waitFor } from './support/cluster.ts';
import type { Cluster, StatRow } from './support/cluster.ts';
import { recordFigures } from './support/figures.ts';
import { pick } from './support/form.ts';
import { openClusterTest } from './support/partner.ts';
import type { ClusterPartner } from './support/partner.ts';
import { describeAttempt, settleCalls, startTransferLoad } from './support/transfer-load.ts';

const SHAPE = pick({ users: 8, workers: 16, warmMs: 5_000, afterMs: 10_000 }, { users: 3, workers: 8, warmMs: 2_000, afterMs: 3_000 });
const ATTEMPT_TIMEOUT_MS = 15_000;
const KILLED = 'api1';
/** The kill waits until HAProxy has at least this many requests in flight on the instance. */
const IN_FLIGHT_AT_KILL_MIN = 2;

let cluster: Cluster;
let db: Knex;
let partner: ClusterPartner;

beforeAll(async () => {
  ({ cluster, db, partner } = await openClusterTest(SHAPE.users));
}, 180_000);

afterAll(async () => {
  await db?.destroy();
});

/** HAProxy's counters of one API server that a kill moves: retries, redispatches, failed answers and connections. */
async function counters(server: string): Promise<Record<string, number>> {
  const row: StatRow = await serverStats(cluster, 'api', server);
  return Object.fromEntries(['wretr', 'wredis', 'eresp', 'econ'].map((name) => [name, Number(row[name] || 0)]));
}

const delta = (after: Record<string, number>, before: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(after).map(([name, value]) => [name, value - (before[name] ?? 0)]));

describe(`kill -9 of one resource-API instance (${KILLED}) under a transfer load`, () => {
  test('only requests in flight on it fail, their retries succeed, every transfer is booked once; it is back after a restart', async () => {
    const before = await booksBefore(db, partner.accounts.map((account) => account.id));
    const load = startTransferLoad({
      apiUrl: cluster.apiUrl, tokens: partner.tokens, accounts: partner.accounts, workers: SHAPE.workers, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
    });
    await sleep(SHAPE.warmMs);
    const [killedBefore, otherBefore] = [await counters(KILLED), await counters('api2')];

    // The kill comes while requests are in flight on the instance (HAProxy's current sessions of it).
    let inFlightOnKilled = 0;
    await waitFor(`requests in flight on ${KILLED}`, async () => {
      inFlightOnKilled = Number((await serverStats(cluster, 'api', KILLED)).scur);
      return inFlightOnKilled >= IN_FLIGHT_AT_KILL_MIN;
    }, 30_000, 5);
    const pid = instancePid(cluster, KILLED);
    const killMs = performance.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(`${KILLED} to be gone`, () => !processExists(pid), 10_000, 20);
    await sleep(SHAPE.afterMs);
    const calls = await load.stop();
    const [killedAfter, otherAfter] = [await counters(KILLED), await counters('api2')];
    const gaveUp = calls.filter((call) => call.result?.ok !== true).length;
    const settleRounds = await settleCalls(cluster.apiUrl, partner.tokens, calls);
    const money = await expectBooksHold(db, cluster.databaseUrl, partner.partner.client.client_id, calls, before);

    const attempts = calls.flatMap((call) => call.attempts);
    const inFlightAtKill = attempts.filter((attempt) => attempt.startMs < killMs && attempt.endMs > killMs);
    const failed = attempts.filter((attempt) => attempt.status === undefined || attempt.status >= 500 || attempt.status === 409);
    const restartOutput = await runClusterScript(cluster, ['restart', KILLED]);
    const restarted = instancePid(cluster, KILLED);
    recordFigures('api-instance-crash', {
      killed: KILLED, workers: SHAPE.workers, transfers: calls.length, attempts: attempts.length,
      inFlightOnKilledInstance: inFlightOnKilled, attemptsInFlightAtKill: inFlightAtKill.length,
      failedAttemptsSeenByClient: failed.length,
      failedAnswers: histogram(failed.map(describeAttempt)),
      retriedByClientThenCreated: calls.filter((call) => call.attempts.length > 1 && call.result?.ok === true).length,
      haproxyKilledServer: delta(killedAfter, killedBefore), haproxyOtherServer: delta(otherAfter, otherBefore),
      gaveUp, settleRounds, money,
    });

    // HAProxy sent what the instance could not answer to the other one (retries, redispatches).
    const rerouted = delta(killedAfter, killedBefore);
    expect((rerouted.wretr ?? 0) + (rerouted.wredis ?? 0)).toBeGreaterThan(0);
    // Whatever failed was on its way when the kill happened; every retry of it succeeded (no call gave up).
    expect(failed.filter((attempt) => attempt.startMs >= killMs)).toEqual([]);
    expect(gaveUp).toBe(0);
    expect(calls.every((call) => call.result?.ok === true)).toBe(true);
    // The instance is back: a new process, ready and up in HAProxy.
    expect(restartOutput).toContain(`${KILLED} restarted`);
    expect(restarted).not.toBe(pid);
    expect((await serverStats(cluster, 'api', KILLED)).status).toBe('UP');
  }, 15 * 60_000);
});
