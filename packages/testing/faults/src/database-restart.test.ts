/**
 * Fault 2 (docs/testing.md): PostgreSQL stops under a load and starts again on the same data folder and
 * port. While it is down the resource API must answer 503 problem+json quickly (a configured
 * timeout, never a hang) and `/readyz` must fail; once it is back the API must serve again within
 * a bounded time, without being restarted, and the books must hold.
 *
 * The whole test suite shares the machine's PostgreSQL, so this test starts its own embedded one
 * (a temporary data folder, a free port). The full form also freezes it (SIGSTOP, a server that
 * keeps its connections but never answers) and measures how long the API takes to answer then.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startEmbeddedPostgres } from '@payapi/platform';
import type { RunningPostgres } from '@payapi/platform';
import { freePort } from '@payapi/system-testing';
import type { WireTransfer } from './support/books.ts';
import { expectBooksHold } from './support/expect-books.ts';
import { startFaultSystem } from './support/fault-system.ts';
import type { FaultSystem } from './support/fault-system.ts';
import { freezePostgres } from './support/freeze-postgres.ts';
import { histogram, maxMs, recordFigures } from './support/figures.ts';
import { FULL, pick } from './support/form.ts';
import { startMixedLoad } from './support/mixed-load.ts';
import type { LoadSample } from './support/mixed-load.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import pMap from 'p-map';
import { sendTransfer } from './support/transfer-load.ts';
import type { PlannedTransfer, TransferOutcome } from './support/transfer-load.ts';

const SHAPE = pick(
  { workers: 8, warmMs: 1_000, downMs: 2_000, afterMs: 1_500, freezeMs: 0 },
  { workers: 16, warmMs: 3_000, downMs: 10_000, afterMs: 5_000, freezeMs: 25_000 },
);
const OPENING_BALANCE_MINOR = 100_000_000n;
/**
 * While PostgreSQL is down, every answer must come within this: the API's connect timeout
 * (`createDatabase`, 5 s) bounds a connection attempt; a stopped server refuses at once.
 */
const DOWN_ANSWER_BOUND_MS = 5_000;
/** Once PostgreSQL is back, the API must answer only 2xx again within this. */
const RECOVERY_BOUND_MS = 10_000;
/**
 * While PostgreSQL is frozen: a query waits at most the client-side query timeout (statement
 * timeout 15 s + 5 s) after at most the pool's acquire timeout (10 s), and a request makes at most
 * two queries in a row; nothing may go beyond.
 */
const FROZEN_ANSWER_BOUND_MS = 2 * (20_000 + 10_000);
/** The load's client gives up on a request after this long (a hang). */
const CLIENT_TIMEOUT_MS = FROZEN_ANSWER_BOUND_MS + 5_000;

let dataDir: string;
let port: number;
let postgres: RunningPostgres;
let faults: FaultSystem;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'payapi-faults-pg-'));
  port = await freePort();
  postgres = await startEmbeddedPostgres({ dataDir, port, database: 'faults' });
  faults = await startFaultSystem({ databaseUrl: postgres.url, users: 2, accountsPerUser: 2, openingBalanceMinor: OPENING_BALANCE_MINOR });
}, 180_000); // embedded PostgreSQL and four services from nothing: setup, not a timed assertion

afterAll(async () => {
  await faults?.stop();
  await postgres?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const during = (samples: readonly LoadSample[], fromMs: number, toMs: number): LoadSample[] =>
  samples.filter((sample) => sample.startMs >= fromMs && sample.endMs <= toMs);

const isProblem503 = (sample: LoadSample): boolean =>
  sample.status === 503 && sample.contentType.startsWith('application/problem+json') && sample.code !== undefined && sample.retryAfter !== undefined;

/**
 * From `fromMs`: when the last answer other than 2xx ended (the API serves only 2xx after it),
 * measured from `fromMs`; 0 when there was none.
 */
function recoveredAfterMs(samples: readonly LoadSample[], fromMs: number): number {
  const failures = samples.filter((sample) => sample.startMs >= fromMs && (sample.status < 200 || sample.status > 299));
  return failures.length === 0 ? 0 : Math.max(...failures.map((sample) => sample.endMs)) - fromMs;
}

/** Sends every transfer of the load that did not get its 201 again, same key and body, until each has one. */
async function settleTransfers(planned: readonly PlannedTransfer[]): Promise<{ outcomes: TransferOutcome[]; rounds: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const outcomes = new Map<PlannedTransfer, TransferOutcome>();
  let pending = [...planned];
  let rounds = 0;
  while (pending.length > 0 && rounds < 10) {
    rounds += 1;
    await pMap(pending, async (item) => {
      outcomes.set(item, await sendTransfer(faults.system.api.url, await faults.token(item.owner), item, agent));
    }, { concurrency: 8 });
    pending = pending.filter((item) => outcomes.get(item)?.answered !== true || (outcomes.get(item) as { status: number }).status !== 201);
    if (pending.length > 0) await sleep(500); // a transfer of a frozen request may still be finishing: 409 in flight
  }
  agent.destroy();
  return { outcomes: planned.map((item) => outcomes.get(item) as TransferOutcome), rounds };
}

describe('PostgreSQL stops and starts again under a load', () => {
  test('503 problem+json at once while it is down, /readyz fails, 2xx again within 10 s without restarting the API, books intact', async () => {
    const apiPid = faults.system.api.pid;
    const load = startMixedLoad(faults, { workers: SHAPE.workers, readyzEveryMs: 50, timeoutMs: CLIENT_TIMEOUT_MS });
    await sleep(SHAPE.warmMs);

    const stopBeginMs = load.now();
    await postgres.stop();
    const stoppedMs = load.now();
    await sleep(SHAPE.downMs);
    const startBeginMs = load.now();
    postgres = await startEmbeddedPostgres({ dataDir, port, database: 'faults' });
    const startedMs = load.now();
    await sleep(SHAPE.afterMs);

    // Full form: freeze it too, then let it go.
    let frozenFromMs = 0;
    let frozenToMs = 0;
    if (SHAPE.freezeMs > 0) {
      frozenFromMs = load.now();
      const thaw = freezePostgres(dataDir);
      await sleep(SHAPE.freezeMs);
      thaw();
      frozenToMs = load.now();
      await sleep(SHAPE.afterMs);
    }
    const samples = await load.stop();

    // Every transfer of the load that got no 201 is sent again until it has one.
    const transferSamples = samples.filter((sample) => sample.operation === 'transfer');
    const settled = await settleTransfers(transferSamples.filter((sample) => sample.status !== 201).map((sample) => sample.planned as PlannedTransfer));

    const down = during(samples, stoppedMs, startBeginMs);
    const downApi = down.filter((sample) => sample.operation !== 'readyz');
    const downReadyz = down.filter((sample) => sample.operation === 'readyz');
    const recoveryMs = recoveredAfterMs(samples.filter((sample) => sample.endMs < (frozenFromMs || Infinity)), startedMs);
    const frozen = samples.filter((sample) => sample.endMs > frozenFromMs && sample.startMs < frozenToMs);
    const frozenRecoveryMs = frozenToMs > 0 ? recoveredAfterMs(samples, frozenToMs) : 0;
    recordFigures('database-restart', {
      workers: SHAPE.workers, requests: samples.length,
      statuses: histogram(samples.map((sample) => `${sample.operation} ${sample.status}${sample.code ? ` ${sample.code}` : ''}`)),
      postgresStopMs: Math.round(stoppedMs - stopBeginMs), downMs: Math.round(startBeginMs - stoppedMs), postgresStartMs: Math.round(startedMs - startBeginMs),
      whileDown: { apiRequests: downApi.length, readyzPolls: downReadyz.length, slowest503Ms: maxMs(downApi.map((sample) => sample.endMs - sample.startMs)),
        slowestReadyzMs: maxMs(downReadyz.map((sample) => sample.endMs - sample.startMs)) },
      recoveryMs: Math.round(recoveryMs),
      firstOkAfterStartMs: Math.round(Math.min(...samples.filter((sample) => sample.operation === 'transfer' && sample.startMs >= startedMs && sample.status === 201).map((sample) => sample.endMs)) - startedMs),
      ...(FULL ? { frozen: { ms: Math.round(frozenToMs - frozenFromMs), requests: frozen.length, statuses: histogram(frozen.map((sample) => sample.status)),
        slowestMs: maxMs(frozen.map((sample) => sample.endMs - sample.startMs)), recoveryAfterThawMs: Math.round(frozenRecoveryMs) } } : {}),
      transfersResent: settled.outcomes.length, resendRounds: settled.rounds,
    });

    // The API process was never restarted.
    expect(faults.system.api.pid).toBe(apiPid);
    expect(() => process.kill(apiPid, 0)).not.toThrow();

    // Every request got an answer, and the only error answers are 503 problem+json with a code and Retry-After.
    expect(samples.filter((sample) => sample.status === 0)).toEqual([]);
    expect(samples.filter((sample) => (sample.status < 200 || sample.status > 299) && !isProblem503(sample))).toEqual([]);

    // While it was down: every /v1 answer 503 database_unavailable, quickly; /readyz failing.
    expect(downApi.length).toBeGreaterThan(SHAPE.workers);
    expect(downApi.filter((sample) => !isProblem503(sample) || sample.code !== 'database_unavailable')).toEqual([]);
    expect(maxMs(downApi.map((sample) => sample.endMs - sample.startMs))).toBeLessThan(DOWN_ANSWER_BOUND_MS);
    expect(downReadyz.length).toBeGreaterThan(0);
    expect(downReadyz.filter((sample) => !isProblem503(sample) || sample.code !== 'database_unavailable')).toEqual([]);

    // Back: only 2xx after a bounded time, and plenty of them.
    expect(recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
    const afterRecovery = samples.filter((sample) => sample.startMs >= startedMs + recoveryMs && sample.endMs < (frozenFromMs || Infinity));
    expect(afterRecovery.filter((sample) => sample.operation === 'transfer' && sample.status === 201).length).toBeGreaterThan(0);
    expect(afterRecovery.filter((sample) => sample.operation === 'readyz' && sample.status === 200).length).toBeGreaterThan(0);

    if (FULL) {
      // Frozen: every request still answered, within the configured limits, and service back after the thaw.
      expect(frozen.length).toBeGreaterThan(0);
      expect(maxMs(frozen.map((sample) => sample.endMs - sample.startMs))).toBeLessThan(FROZEN_ANSWER_BOUND_MS);
      expect(frozenRecoveryMs).toBeLessThan(RECOVERY_BOUND_MS + FROZEN_ANSWER_BOUND_MS);
    }

    // Every transfer of the load ends booked exactly once; the books hold.
    expect(settled.outcomes.filter((outcome) => !outcome.answered || outcome.status !== 201)).toEqual([]);
    const planned = transferSamples.map((sample) => sample.planned as PlannedTransfer);
    const settledIds = settled.outcomes.map((outcome) => (outcome as { transfer: WireTransfer }).transfer.id);
    const madeByKey = new Map(planned.map((item) => [item.key, item]));
    expect(new Set(settledIds).size).toBe(settledIds.length);
    await expectBooksHold(faults, new Map([...madeByKey].map(([key, item]) => [key, { id: key, ...item.body }])), { openingBalanceMinor: OPENING_BALANCE_MINOR, checkIds: false });
  }, pick(60_000, 300_000));
});
