/**
 * Fault 1 (docs/testing.md): `kill -9` of the resource API in the middle of a transfer load, a restart,
 * and the whole load sent again with the same idempotency keys and bodies. No money may appear or
 * vanish, no transfer may be booked twice, and every answer given before the crash must replay.
 *
 * To be sure the kill catches transfers inside the database (not only requests queued in the
 * process), a transaction of the test holds one account's row lock for half a second before the
 * kill: transfers touching that account (and those queued behind them) wait in PostgreSQL when
 * the process dies. Released after the kill, they run to the end without their caller: a transfer
 * is one statement in autocommit, so it commits though nobody will read the answer. The re-sent
 * request must then replay it.
 */
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseAmount } from '@payapi/ledger';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { transfersOfClient } from './support/books.ts';
import type { WireTransfer } from './support/books.ts';
import { expectBooksHold } from './support/expect-books.ts';
import { startFaultSystem } from './support/fault-system.ts';
import type { FaultSystem } from './support/fault-system.ts';
import { histogram, maxMs, quantileMs, recordFigures } from './support/figures.ts';
import { pick } from './support/form.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import pMap from 'p-map';
import { planTransfers, sendTransfer } from './support/transfer-load.ts';
import type { PlannedTransfer, TransferOutcome } from './support/transfer-load.ts';

const SHAPE = pick(
  { requests: 300, concurrency: 16, crashes: 1, users: 4, accountsPerUser: 2 },
  { requests: 4_000, concurrency: 32, crashes: 3, users: 8, accountsPerUser: 2 },
);
/** In each round, the test locks one account's row when this share of the round has been answered… */
const LOCK_AT_SHARE = 0.3;
/** …and kills the process this long after. */
const LOCK_HELD_MS = 500;
const OPENING_BALANCE_MINOR = 100_000_000n; // 1,000,000.00 CNY: the load never runs out of funds
/** How long transfers orphaned by the kill may take to finish in PostgreSQL once the lock is gone. */
const ORPHANS_DONE_WITHIN_MS = 10_000;

let database: TestDatabase;
let faults: FaultSystem;

beforeAll(async () => {
  database = await createTestDatabase();
  faults = await startFaultSystem({
    databaseUrl: database.url, users: SHAPE.users, accountsPerUser: SHAPE.accountsPerUser, openingBalanceMinor: OPENING_BALANCE_MINOR,
  });
}, 60_000);

afterAll(async () => {
  await faults?.stop();
  await database?.drop();
});

/** Opens a transaction that holds the row lock of one account (`FOR UPDATE`) until rolled back. */
async function lockAccountRow(db: Knex, accountId: string): Promise<Knex.Transaction> {
  const trx = await db.transaction();
  await trx.raw('SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE', [accountId]);
  return trx;
}

/** Backends of the resource API (`application_name` payapi-resource) in this database: running, and waiting for a lock. */
async function resourceApiBackends(db: Knex): Promise<{ active: number; waitingForLock: number }> {
  const { rows } = await db.raw<{ rows: Array<{ active: string; waiting: string }> }>(`
    SELECT count(*) FILTER (WHERE state = 'active') AS active,
           count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock') AS waiting
      FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'payapi-resource'`);
  return { active: Number(rows[0]?.active), waitingForLock: Number(rows[0]?.waiting) };
}

/** What one round of the load saw up to its kill. */
interface Round {
  outcomes: TransferOutcome[];
  answeredBeforeKill: number;
  inFlightAtKill: number;
  waitingForLockAtKill: number;
  orphansDoneMs: number;
  restartMs: number;
}

/**
 * Sends `slice` with `concurrency` parallel callers; when 30 % of it has been answered, locks one
 * account's row, and half a second later kills the process (`kill -9`). Then releases the lock,
 * waits until the orphaned transfers are done in PostgreSQL, and starts the process again.
 */
async function roundWithKill(slice: readonly PlannedTransfer[], lockedAccountId: string): Promise<Round> {
  const agent = new Agent({ keepAlive: true, maxSockets: SHAPE.concurrency });
  const killedPid = faults.system.api.pid;
  let answered = 0;
  let inFlight = 0;
  let killStep: Promise<{ answeredBeforeKill: number; inFlightAtKill: number; waitingForLockAtKill: number }> | undefined;
  let lockStep: Promise<Knex.Transaction> | undefined;
  const monitor = setInterval(() => {
    if (lockStep !== undefined || answered < slice.length * LOCK_AT_SHARE) return;
    lockStep = lockAccountRow(faults.db, lockedAccountId);
    killStep = lockStep.then(async () => {
      await sleep(LOCK_HELD_MS);
      const { waitingForLock } = await resourceApiBackends(faults.db);
      const seen = { answeredBeforeKill: answered, inFlightAtKill: inFlight, waitingForLockAtKill: waitingForLock };
      await faults.system.api.crash();
      return seen;
    });
  }, 5);
  const outcomes = await pMap(slice, async (planned) => {
    inFlight += 1;
    const outcome = await sendTransfer(faults.system.api.url, await faults.token(planned.owner), planned, agent);
    inFlight -= 1;
    if (outcome.answered) answered += 1;
    return outcome;
  }, { concurrency: SHAPE.concurrency });
  clearInterval(monitor);
  agent.destroy();
  if (killStep === undefined || lockStep === undefined) throw new Error('the round ended before the kill: make it longer');
  const seen = await killStep;
  expect(await faults.system.api.exited).toBe('SIGKILL');
  await (await lockStep).rollback();
  const orphansStart = performance.now();
  while ((await resourceApiBackends(faults.db)).active > 0) {
    if (performance.now() - orphansStart > ORPHANS_DONE_WITHIN_MS) throw new Error('transfers of the killed process still run in PostgreSQL');
    await sleep(20);
  }
  const orphansDoneMs = performance.now() - orphansStart;
  const restartAt = performance.now();
  const restarted = await faults.system.restart('resource-api');
  expect(restarted.pid).not.toBe(killedPid);
  return { outcomes, ...seen, orphansDoneMs, restartMs: performance.now() - restartAt };
}

describe('kill -9 of the resource API during a transfer load', () => {
  test('loses no money, books every key exactly once and replays every answer given before the kill', async () => {
    const plan = planTransfers(faults.accounts, SHAPE.requests);
    const startedAt = performance.now();

    // Phase 1: the load in rounds, each cut by a kill and a restart.
    const roundSize = Math.ceil(plan.length / SHAPE.crashes);
    const rounds: Round[] = [];
    for (let start = 0; start < plan.length; start += roundSize) {
      rounds.push(await roundWithKill(plan.slice(start, start + roundSize), faults.accounts[rounds.length % faults.accounts.length]?.id as string));
    }
    const before = rounds.flatMap((round) => round.outcomes);
    const phase1Ms = performance.now() - startedAt;
    const bookedAfterPhase1 = (await transfersOfClient(faults.db, faults.partner.client.client_id)).size;

    // Phase 2: every request of the load again, same keys, same bodies, same tokens.
    const phase2At = performance.now();
    const agent = new Agent({ keepAlive: true, maxSockets: SHAPE.concurrency });
    const after = await pMap(plan, async (planned) =>
      sendTransfer(faults.system.api.url, await faults.token(planned.owner), planned, agent), { concurrency: SHAPE.concurrency });
    agent.destroy();
    const phase2Ms = performance.now() - phase2At;

    const createdBefore = before.flatMap((outcome, index) => (outcome.answered && outcome.status === 201 ? [{ index, transfer: outcome.transfer as WireTransfer }] : []));
    const unansweredBefore = before.filter((outcome) => !outcome.answered).length;
    const replayedAfter = after.filter((outcome) => outcome.answered && outcome.replayed).length;
    recordFigures('crash', {
      requests: SHAPE.requests, concurrency: SHAPE.concurrency, kills: rounds.length, accounts: faults.accounts.length,
      rounds: rounds.map((round) => ({
        requests: round.outcomes.length, answeredBeforeKill: round.answeredBeforeKill, inFlightAtKill: round.inFlightAtKill,
        waitingForLockAtKill: round.waitingForLockAtKill, orphansDoneMs: Math.round(round.orphansDoneMs), restartMs: Math.round(round.restartMs),
      })),
      phase1Ms: Math.round(phase1Ms),
      statusesBeforeKill: histogram(before.map((outcome) => (outcome.answered ? outcome.status : 'no answer'))),
      bookedWithoutAnAnswer: bookedAfterPhase1 - createdBefore.length,
      phase2Ms: Math.round(phase2Ms),
      statusesAfterRestart: histogram(after.map((outcome) => (outcome.answered ? `${outcome.status}${outcome.replayed ? ' replayed' : ''}` : 'no answer'))),
      afterRestartP50Ms: quantileMs(after.map((outcome) => outcome.durationMs), 0.5),
      afterRestartMaxMs: maxMs(after.map((outcome) => outcome.durationMs)),
    });

    // Each kill really cut the load: answers before it, requests left without one, and transfers
    // waiting inside PostgreSQL when the process died.
    for (const round of rounds) {
      expect(round.answeredBeforeKill).toBeGreaterThan(0);
      expect(round.outcomes.filter((outcome) => !outcome.answered).length).toBeGreaterThan(0);
      expect(round.waitingForLockAtKill).toBeGreaterThan(0);
    }
    expect(unansweredBefore).toBeGreaterThan(0);

    // After the restart every request is answered, none with a 5xx, and every key is booked: 201.
    expect(after.filter((outcome) => !outcome.answered || outcome.status !== 201)).toEqual([]);

    // Every 201 given before the kill replays: the same body (same transfer), marked as a replay.
    for (const { index, transfer } of createdBefore) {
      const again = after[index];
      expect(again).toMatchObject({ answered: true, status: 201, replayed: true, transfer: { id: transfer.id } });
      expect(again?.answered === true && again.body).toEqual(transfer);
    }
    // What was booked without an answer (orphaned in PostgreSQL) replays too; the rest is new.
    expect(replayedAfter).toBe(bookedAfterPhase1);

    // Every key ends with one transfer, for its own body, and no two keys share one.
    const finalTransfers = after.map((outcome, index) => {
      const transfer = (outcome as { transfer: WireTransfer }).transfer;
      const { body } = plan[index] as PlannedTransfer;
      expect({ source: transfer.source_account_id, destination: transfer.destination_account_id, amount: transfer.amount, currency: transfer.currency })
        .toEqual({ source: body.source_account_id, destination: body.destination_account_id, amount: body.amount, currency: body.currency });
      return transfer;
    });
    const ids = new Set(finalTransfers.map((transfer) => transfer.id));
    expect(ids.size).toBe(SHAPE.requests);

    // The database holds exactly those transfers, each for its amount, and the books hold.
    const stored = await transfersOfClient(faults.db, faults.partner.client.client_id);
    for (const transfer of finalTransfers) expect(stored.get(transfer.id)?.amount_minor).toBe(parseAmount(transfer.amount, transfer.currency));
    await expectBooksHold(faults, new Map(finalTransfers.map((transfer) => [transfer.id, transfer])), { openingBalanceMinor: OPENING_BALANCE_MINOR });
  }, pick(60_000, 600_000));
});
