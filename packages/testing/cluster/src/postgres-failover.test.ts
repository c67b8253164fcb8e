/**
 * Cluster fault 1 (docs/cluster.md): `kill -9` of the PostgreSQL leader's postmaster under a steady
 * transfer load through HAProxy. Patroni must promote the synchronous standby (the old leader's
 * Patroni sees the crash and, with `primary_start_timeout: 0`, hands over instead of restarting it);
 * meanwhile the API answers 503 problem+json, never hangs; no acknowledged transfer is lost or
 * booked twice; the old leader rejoins as a replica (pg_rewind) and becomes the sync standby again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { histogram } from '@payapi/faults/figures';
import { createDatabase } from '@payapi/platform';
import type { Knex } from 'knex';
import { booksBefore, expectBooksHold } from './support/books.ts';
import { leaderAndReplica, patroniSays, postmasterPid, processExists, waitFor } from './support/cluster.ts';
import type { Cluster } from './support/cluster.ts';
import { recordFigures, seconds } from './support/figures.ts';
import { pick } from './support/form.ts';
import { openClusterTest } from './support/partner.ts';
import type { ClusterPartner } from './support/partner.ts';
import { describeAttempt, settleCalls, startTransferLoad } from './support/transfer-load.ts';
import type { Attempt } from './support/transfer-load.ts';

const SHAPE = pick({ users: 8, workers: 16, warmMs: 10_000, afterMs: 20_000 }, { users: 3, workers: 6, warmMs: 3_000, afterMs: 5_000 });
/** The client's time limit per attempt: an attempt still without an answer then is a hang. */
const ATTEMPT_TIMEOUT_MS = 15_000;
/** Bounds of the waits (a failure past them, not a target): promotion, first 201 after the kill, the old leader back. */
const PROMOTION_WITHIN_MS = 60_000;
const REJOIN_WITHIN_MS = 180_000;

let cluster: Cluster;
let db: Knex;
let partner: ClusterPartner;

beforeAll(async () => {
  ({ cluster, db, partner } = await openClusterTest(SHAPE.users));
}, 180_000);

afterAll(async () => {
  await db?.destroy();
});

/** An error answer the client may retry, as the contract says it must look: 503 problem+json, or 409 in flight. */
function isRetryableProblem(attempt: Attempt): boolean {
  return (attempt.contentType ?? '').startsWith('application/problem+json') && attempt.code !== undefined
    && (attempt.status === 503 || (attempt.status === 409 && attempt.code === 'idempotency_key_in_flight'));
}

describe('kill -9 of the PostgreSQL leader under a transfer load', () => {
  test('the sync standby takes over, answers meanwhile are 503 problem+json without hangs, every 201 is booked exactly once, money is unchanged, the old leader rejoins', async () => {
    const roles = await leaderAndReplica(cluster);
    if (!roles) throw new Error('no leader');
    const { leader, replica } = roles;
    expect(await patroniSays(cluster.postgres[replica], '/sync')).toBe(true);
    const before = await booksBefore(db, partner.accounts.map((account) => account.id));

    const load = startTransferLoad({
      apiUrl: cluster.apiUrl, tokens: partner.tokens, accounts: partner.accounts, workers: SHAPE.workers,
      attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, retry: { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 2_000 }, probeEveryMs: 100,
    });
    await sleep(SHAPE.warmMs);
    const createdBeforeKill = load.calls.filter((call) => call.result?.ok === true).length;

    const pid = postmasterPid(cluster.postgres[leader]);
    const killMs = performance.now();
    process.kill(pid, 'SIGKILL');
    await waitFor('the postmaster to be gone', () => !processExists(pid), 10_000, 20);
    await waitFor(`${replica} promoted (Patroni /primary)`, () => patroniSays(cluster.postgres[replica], '/primary'), PROMOTION_WITHIN_MS, 100);
    const promotedMs = performance.now();
    const firstCreatedAfterKillMs = (): number | undefined => {
      const ends = load.calls.flatMap((call) => call.attempts).filter((attempt) => attempt.status === 201 && attempt.startMs > killMs).map((attempt) => attempt.endMs);
      return ends.length === 0 ? undefined : Math.min(...ends);
    };
    await waitFor('a transfer created after the kill', () => firstCreatedAfterKillMs() !== undefined, PROMOTION_WITHIN_MS, 100);
    await sleep(SHAPE.afterMs);
    const calls = await load.stop();
    const gaveUp = calls.filter((call) => call.result?.ok !== true).map((call) => call.result);
    const settleRounds = await settleCalls(cluster.apiUrl, partner.tokens, calls);

    // The old leader comes back as a replica of the new one, then is its synchronous standby again.
    await waitFor(`${leader} back as a replica`, () => patroniSays(cluster.postgres[leader], '/replica'), REJOIN_WITHIN_MS, 250);
    const rejoinedMs = performance.now();
    await waitFor(`${leader} the synchronous standby again`, () => patroniSays(cluster.postgres[leader], '/sync'), REJOIN_WITHIN_MS, 250);
    const syncAgainMs = performance.now();

    // Checked on a new pool: the old one's connections went to the dead leader.
    const checks = createDatabase({ url: cluster.databaseUrl, poolMax: 2, applicationName: 'payapi-cluster-tests' });
    let money;
    try {
      money = await expectBooksHold(checks, cluster.databaseUrl, partner.partner.client.client_id, calls, before);
    } finally {
      await checks.destroy();
    }

    const attempts = calls.flatMap((call) => call.attempts);
    const errorAnswers = attempts.filter((attempt) => attempt.status !== undefined && attempt.status !== 201);
    const noAnswer = attempts.filter((attempt) => attempt.status === undefined);
    recordFigures('postgres-failover', {
      leaderKilled: leader, promoted: replica,
      failoverSeconds: seconds(promotedMs - killMs),
      transfersSucceedAgainSeconds: seconds((firstCreatedAfterKillMs() as number) - killMs),
      oldLeaderReplicaAgainSeconds: seconds(rejoinedMs - killMs),
      oldLeaderSyncStandbyAgainSeconds: seconds(syncAgainMs - killMs),
      load: {
        workers: SHAPE.workers, transfers: calls.length, createdBeforeKill, attempts: attempts.length,
        answers: histogram(attempts.map(describeAttempt)),
        retriedTransfers: calls.filter((call) => call.attempts.length > 1).length,
        slowestErrorAnswerMs: Math.round(Math.max(0, ...errorAnswers.map((attempt) => attempt.endMs - attempt.startMs))),
        gaveUpThenSettled: gaveUp.length, settleRounds,
      },
      money,
    });

    // The load really ran into the outage, and each answer meanwhile was one the client may retry.
    expect(createdBeforeKill).toBeGreaterThan(0);
    expect(errorAnswers.length + noAnswer.length).toBeGreaterThan(0);
    expect(errorAnswers.filter((attempt) => !isRetryableProblem(attempt))).toEqual([]);
    // No attempt ran into the client's time limit: the API answers, it does not hang.
    expect(noAnswer.filter((attempt) => attempt.error === 'TimeoutError')).toEqual([]);
  }, 15 * 60_000);
});
