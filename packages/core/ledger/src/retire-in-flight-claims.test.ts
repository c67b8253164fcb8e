/**
 * Migration 20261206_05 against the rows it retires: idempotency claims of the two-step
 * implementation before migration 20261130_02 (state `in_flight`, `claim_token`, `locked_until`),
 * written into a database migrated up to 20261206_04, then the migration applied.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { migrateSchema } from '@payapi/platform';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { getAccount } from './accounts.ts';
import { requestHash } from './idempotency.ts';
import { newId } from './ids.ts';
import { LEDGER_SCHEMA, migrateLedger } from './migrations.ts';
import { openTestAccount } from './testing/index.ts';
import { transfer } from './transfer.ts';
import type { Account, TransferRequest } from './types.ts';
import { checkTransferRequest } from './validate.ts';

const RETIRING = '20261206_05_retire_in_flight_claims';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  const before = LEDGER_SCHEMA.migrations.findIndex((entry) => entry.name === RETIRING);
  await migrateSchema(database.db, { ...LEDGER_SCHEMA, migrations: LEDGER_SCHEMA.migrations.slice(0, before) });
});
afterAll(async () => {
  await database.drop();
});

async function pair(): Promise<[Account, Account]> {
  return [await openTestAccount(database.db, 'CNY', 100_000n), await openTestAccount(database.db, 'CNY', 0n)];
}

function request(source: Account, destination: Account, amountMinor: bigint): TransferRequest {
  return { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor, currency: 'CNY' };
}

async function transfersFrom(accountId: string): Promise<number> {
  const { rows } = await database.db.raw<{ rows: Array<{ n: string }> }>(
    'SELECT count(*) AS n FROM ledger.transfers WHERE source_account_id = ?', [accountId]);
  return Number(rows[0]?.n);
}

/** A claim as the two-step implementation left it: taken, lease until `leaseSql`, nothing booked yet. */
async function insertClaim(key: string, claimed: TransferRequest, leaseSql: string): Promise<void> {
  await database.db.raw(
    `INSERT INTO ledger.idempotency_records (client_id, subject, idempotency_key, request_hash, state, claim_token, locked_until, created_at, expires_at)
     VALUES ('client-a', 'sub-1', ?, ?, 'in_flight', 'old-process', ${leaseSql}, now(), now() + interval '1 day')`,
    [key, requestHash(checkTransferRequest(claimed))]);
}

describe('migration 20261206_05 on the claims of the earlier two-step implementation', () => {
  test('deletes in-flight claims (lease running or run out), keeps completed records, and the claims\' keys then execute once as new', async () => {
    const [source, destination] = await pair();
    const running = request(source, destination, 100n);
    const lapsed = request(source, destination, 200n);
    const completed = request(source, destination, 300n);
    await insertClaim('k-lease-running', running, `now() + interval '60 seconds'`);
    await insertClaim('k-lease-lapsed', lapsed, `now() - interval '1 second'`);
    // Written by the current implementation, under 20261206_04's columns: a completed record.
    const made = await transfer(database.db, completed, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-completed' });

    expect((await migrateLedger(database.db))[0]).toBe(RETIRING);

    const { rows } = await database.db.raw<{ rows: Array<{ idempotency_key: string }> }>(
      `SELECT idempotency_key FROM ledger.idempotency_records WHERE client_id = 'client-a' ORDER BY idempotency_key`);
    expect(rows.map((row) => row.idempotency_key)).toEqual(['k-completed']);
    // No claim was ever booked, so each key books exactly one transfer now, at once (no lease to wait for), then replays it.
    for (const [key, claimed] of [['k-lease-running', running], ['k-lease-lapsed', lapsed]] as const) {
      const first = await transfer(database.db, claimed, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: key });
      expect(first.replayed).toBe(false);
      expect(await transfer(database.db, claimed, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: key }))
        .toEqual({ transfer: first.transfer, replayed: true });
    }
    expect(await transfer(database.db, completed, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-completed' }))
      .toEqual({ transfer: made.transfer, replayed: true });
    expect(await transfersFrom(source.id)).toBe(3);
    expect((await getAccount(database.db, source.id)).balanceMinor).toBe(100_000n - 600n);
  });

  test('leaves idempotency records without the claim columns and their check; a record must hold its outcome', async () => {
    const { rows } = await database.db.raw<{ rows: Array<{ column_name: string; is_nullable: string }> }>(
      `SELECT column_name, is_nullable FROM information_schema.columns
        WHERE table_schema = 'ledger' AND table_name = 'idempotency_records' ORDER BY column_name`);
    expect(rows.map((row) => row.column_name)).toEqual(
      ['client_id', 'created_at', 'expires_at', 'idempotency_key', 'request_hash', 'response', 'subject', 'transfer_id']);
    expect(rows.find((row) => row.column_name === 'response')?.is_nullable).toBe('NO');
    const { rows: checks } = await database.db.raw<{ rows: Array<{ conname: string }> }>(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'ledger.idempotency_records'::regclass AND contype = 'c' ORDER BY conname`);
    expect(checks.map((check) => check.conname)).not.toContain('idempotency_records_state_shape');
    await expect(database.db.raw(
      `INSERT INTO ledger.idempotency_records (client_id, subject, idempotency_key, request_hash, created_at, expires_at)
       VALUES ('client-a', 'sub-1', 'k-no-outcome', 'h', now(), now() + interval '1 day')`)).rejects.toMatchObject({ code: '23502' });
  });

  test('a claim that a transaction of the old implementation is completing while the migration starts: the migration waits, keeps it, and the retry replays its transfer', async () => {
    await rollBackRetirement();
    const [source, destination] = await pair();
    const claimed = request(source, destination, 400n);
    await insertClaim('k-completing', claimed, `now() - interval '1 second'`);
    // The old process books and completes its claim in one transaction, not yet committed.
    const old = await database.db.transaction();
    const { rows } = await old.raw<{ rows: Array<{ outcome: { transfer: { id: string } } }> }>(
      `SELECT ledger.book_transfer('transfer', ?, ?, ?, ?, ?, 400, 'CNY', NULL, 'client-a', false) AS outcome`,
      [newId('tr'), newId('pst'), newId('pst'), source.id, destination.id]);
    const outcome = rows[0]!.outcome;
    await old.raw(
      `UPDATE ledger.idempotency_records SET state = 'completed', response = ?::jsonb, transfer_id = ?, claim_token = NULL, locked_until = NULL
        WHERE client_id = 'client-a' AND idempotency_key = 'k-completing'`, [JSON.stringify(outcome), outcome.transfer.id]);
    const migrating = migrateLedger(database.db);
    await waitForLockWait();
    await old.commit();
    expect(await migrating).toEqual([RETIRING]);
    const retried = await transfer(database.db, claimed, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-completing' });
    expect(retried).toMatchObject({ replayed: true, transfer: { id: outcome.transfer.id } });
    expect(await transfersFrom(source.id)).toBe(1);
  });
});

/** Undoes migration 20261206_05 alone (its `down`), as knex would, so the test can start from 20261206_04 again. */
async function rollBackRetirement(): Promise<void> {
  const entry = LEDGER_SCHEMA.migrations.find((candidate) => candidate.name === RETIRING)!;
  await database.db.transaction(async (trx) => {
    await entry.migration.down!(trx);
    await trx.raw('DELETE FROM ledger.knex_migrations WHERE name = ?', [RETIRING]);
  });
}

/** Waits until some session of this database waits for a lock (the migration behind the old transaction). */
async function waitForLockWait(): Promise<void> {
  for (let tries = 0; tries < 250; tries += 1) {
    const { rows } = await database.db.raw<{ rows: unknown[] }>(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the migration never waited for the old transaction');
}
