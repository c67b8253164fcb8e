import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import type { TestDatabase } from '@payapi/platform/testing';
import { getAccount } from './accounts.ts';
import { LedgerError } from './errors.ts';
import { purgeExpiredIdempotencyRecords } from './idempotency.ts';
import { createLedgerTestDatabase, openTestAccount } from './testing/index.ts';
import { transfer } from './transfer.ts';
import type { Account } from './types.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createLedgerTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function pair(sourceMinor = 100_000n): Promise<[Account, Account]> {
  return [await openTestAccount(database.db, 'CNY', sourceMinor), await openTestAccount(database.db, 'CNY', 0n)];
}

async function transfersFrom(accountId: string): Promise<number> {
  const { rows } = await database.db.raw<{ rows: Array<{ n: string }> }>(
    `SELECT count(*) AS n FROM ledger.transfers WHERE source_account_id = ?`, [accountId]);
  return Number(rows[0]?.n);
}

describe('idempotent transfers', () => {
  test('10 parallel calls with one key make exactly one transfer; the others replay it or are told it is in flight', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 1_000n, currency: 'CNY' };
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () =>
      transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'pay-2026-0001' })));
    const made = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const refusedCodes = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as LedgerError).code] : []));
    expect(made.length).toBeGreaterThanOrEqual(1);
    expect(made.filter((result) => !result.replayed)).toHaveLength(1);
    expect(new Set(made.map((result) => result.transfer.id)).size).toBe(1);
    expect(refusedCodes.every((code) => code === 'idempotency_key_in_flight')).toBe(true);
    expect(await transfersFrom(source.id)).toBe(1);
    expect((await getAccount(database.db, source.id)).balanceMinor).toBe(99_000n);
    // Once settled, every retry replays the same transfer.
    const again = await transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'pay-2026-0001' });
    expect(again.replayed).toBe(true);
    expect(again.transfer).toEqual(made[0]?.transfer);
    expect(await transfersFrom(source.id)).toBe(1);
  });

  test('the same key with another amount is refused with idempotency_key_reused and moves nothing', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 1_000n, currency: 'CNY' };
    await transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-reuse' });
    await expect(transfer(database.db, { ...request, amountMinor: 1_001n }, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-reuse' }))
      .rejects.toMatchObject({ code: 'idempotency_key_reused' });
    await expect(transfer(database.db, { ...request, description: 'changed' }, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-reuse' }))
      .rejects.toMatchObject({ code: 'idempotency_key_reused' });
    expect(await transfersFrom(source.id)).toBe(1);
    expect((await getAccount(database.db, source.id)).balanceMinor).toBe(99_000n);
  });

  test('keys are scoped per client: two clients with one key make two transfers', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 500n, currency: 'CNY' };
    const first = await transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'shared-key' });
    const second = await transfer(database.db, request, { clientId: 'client-b', subject: 'sub-1', idempotencyKey: 'shared-key' });
    expect(second.transfer.id).not.toBe(first.transfer.id);
    expect(await transfersFrom(source.id)).toBe(2);
  });

  test('finding 4 (security review, docs/security.md): keys are scoped per subject: two users of one client with one key make two transfers, neither refused', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 300n, currency: 'CNY' };
    const alice = await transfer(database.db, request, { clientId: 'client-a', subject: 'alice', idempotencyKey: 'shared-key-1' });
    // Another body under the same key: refused as reused for Alice, executed for Bob.
    const other = { ...request, amountMinor: 400n };
    const bob = await transfer(database.db, other, { clientId: 'client-a', subject: 'bob', idempotencyKey: 'shared-key-1' });
    expect(bob.replayed).toBe(false);
    expect(bob.transfer.amountMinor).toBe(400n);
    await expect(transfer(database.db, other, { clientId: 'client-a', subject: 'alice', idempotencyKey: 'shared-key-1' }))
      .rejects.toMatchObject({ code: 'idempotency_key_reused' });
    expect(await transfer(database.db, request, { clientId: 'client-a', subject: 'alice', idempotencyKey: 'shared-key-1' }))
      .toEqual({ transfer: alice.transfer, replayed: true });
    expect(await transfersFrom(source.id)).toBe(2);
  });

  test('a record written before keys were scoped per subject (empty subject) still replays for any subject of its client until it expires', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 200n, currency: 'CNY' };
    const made = await transfer(database.db, request, { clientId: 'client-old', subject: 'alice', idempotencyKey: 'k-before-upgrade' });
    await database.db.raw(`UPDATE ledger.idempotency_records SET subject = '' WHERE client_id = 'client-old'`);
    expect(await transfer(database.db, request, { clientId: 'client-old', subject: 'alice', idempotencyKey: 'k-before-upgrade' }))
      .toEqual({ transfer: made.transfer, replayed: true });
    await database.db.raw(`UPDATE ledger.idempotency_records SET expires_at = now() - interval '1 second' WHERE client_id = 'client-old'`);
    const again = await transfer(database.db, request, { clientId: 'client-old', subject: 'alice', idempotencyKey: 'k-before-upgrade' });
    expect(again.replayed).toBe(false);
    expect(await transfersFrom(source.id)).toBe(2);
    await database.db.raw(`DELETE FROM ledger.idempotency_records WHERE client_id = 'client-old'`);
  });

  test('a refusal met while executing is stored and replayed, even after the balance would allow it', async () => {
    const [source, destination] = await pair(100n);
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 500n, currency: 'CNY' };
    await expect(transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-refused' })).rejects.toMatchObject({ code: 'insufficient_funds', replayed: false });
    const topUp = await openTestAccount(database.db, 'CNY', 1_000n);
    await transfer(database.db, { sourceAccountId: topUp.id, destinationAccountId: source.id, amountMinor: 1_000n, currency: 'CNY' });
    await expect(transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-refused' })).rejects.toMatchObject({ code: 'insufficient_funds', replayed: true });
    expect(await transfersFrom(source.id)).toBe(0);
    // A new key executes afresh.
    const fresh = await transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-refused-2' });
    expect(fresh.replayed).toBe(false);
  });

  test('input errors are not stored: the key stays free for a corrected request', async () => {
    const [source, destination] = await pair();
    await expect(transfer(database.db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 0n, currency: 'CNY' },
      { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-input' })).rejects.toMatchObject({ code: 'invalid_amount' });
    const corrected = await transfer(database.db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 5n, currency: 'CNY' },
      { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-input' });
    expect(corrected.replayed).toBe(false);
  });

  test('refuses malformed keys and a key without a client id', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 5n, currency: 'CNY' };
    for (const key of ['', 'has space', 'x'.repeat(256), 'caf\u00e9', 'tab\tkey']) {
      await expect(transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: key })).rejects.toMatchObject({ code: 'invalid_request' });
    }
    await expect(transfer(database.db, request, { idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(transfer(database.db, request, { clientId: 'client-a', idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await transfersFrom(source.id)).toBe(0);
  });

  test('an expired key executes again as new, and purge deletes expired records in bounded batches', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 100n, currency: 'CNY' };
    const first = await transfer(database.db, request, { clientId: 'client-exp', subject: 'sub-1', idempotencyKey: 'k-exp' });
    await database.db.raw(`UPDATE ledger.idempotency_records SET expires_at = now() - interval '1 second' WHERE client_id = 'client-exp'`);
    const second = await transfer(database.db, request, { clientId: 'client-exp', subject: 'sub-1', idempotencyKey: 'k-exp' });
    expect(second.replayed).toBe(false);
    expect(second.transfer.id).not.toBe(first.transfer.id);
    for (let index = 0; index < 5; index += 1) {
      await transfer(database.db, request, { clientId: 'client-exp', subject: 'sub-1', idempotencyKey: `k-exp-${index}` });
    }
    await database.db.raw(`UPDATE ledger.idempotency_records SET expires_at = now() - interval '1 second' WHERE client_id = 'client-exp'`);
    expect(await purgeExpiredIdempotencyRecords(database.db, 4)).toBe(4);
    expect(await purgeExpiredIdempotencyRecords(database.db, 4)).toBe(2);
    expect(await purgeExpiredIdempotencyRecords(database.db, 4)).toBe(0);
  });

  test('a transfer that times out waiting for a lock is ledger_busy and leaves its key free for the retry', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 300n, currency: 'CNY' };
    const impatient = createDatabase({ url: database.url, statementTimeoutMs: 300 });
    const holder = await database.db.transaction();
    try {
      await holder.raw(`SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE`, [destination.id]);
      await expect(transfer(impatient, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-timeout' }))
        .rejects.toMatchObject({ code: 'ledger_busy' });
    } finally {
      await holder.rollback();
      await impatient.destroy();
    }
    const retried = await transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-timeout' });
    expect(retried.replayed).toBe(false);
    expect(await transfersFrom(source.id)).toBe(1);
  });
});

describe('a repeat while the first call executes', () => {
  test('is refused at once with idempotency_key_in_flight; once the first commits, the key replays it', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 250n, currency: 'CNY' };
    // Hold the destination's row lock so that the first call waits inside its transaction.
    const holder = await database.db.transaction();
    await holder.raw('SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE', [destination.id]);
    const first = transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-slow' });
    try {
      // The first call holds the key once its statement has started: wait until it is waiting on the row lock.
      for (let waited = 0; waited < 100; waited += 1) {
        const { rows } = await database.db.raw<{ rows: Array<{ n: string }> }>(
          `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
        if (Number(rows[0]?.n) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const started = performance.now();
      await expect(transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-slow' }))
        .rejects.toMatchObject({ code: 'idempotency_key_in_flight' });
      // Refused without waiting for the lock the first call waits on.
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      await holder.commit();
    }
    const made = await first;
    expect(made.replayed).toBe(false);
    const again = await transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-slow' });
    expect(again).toEqual({ transfer: made.transfer, replayed: true });
    expect(await transfersFrom(source.id)).toBe(1);
  });
});

describe('source owner', () => {
  test('a source owned by someone else is account_not_found, not stored: the owner may then use the key', async () => {
    const [source, destination] = await pair();
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 100n, currency: 'CNY' };
    await expect(transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-owner', sourceOwnerSubject: 'someone-else' }))
      .rejects.toMatchObject({ code: 'account_not_found', replayed: false });
    expect(await transfersFrom(source.id)).toBe(0);
    const made = await transfer(database.db, request, {
      clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-owner', sourceOwnerSubject: source.ownerSubject as string,
    });
    expect(made.replayed).toBe(false);
    // Someone else replaying the owner's key and body is still refused before the replay.
    await expect(transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-owner', sourceOwnerSubject: 'someone-else' }))
      .rejects.toMatchObject({ code: 'account_not_found' });
    expect(await transfersFrom(source.id)).toBe(1);
  });
});

describe('bigint range', () => {
  test('a credit past the largest bigint balance is balance_out_of_range, stored and replayed, and nothing moves', async () => {
    const [source, destination] = await pair();
    // Only reachable by direct edits here: the largest opening balance is far below bigint's range.
    await database.db.raw(`UPDATE ledger.accounts SET balance_minor = 9223372036854775800 WHERE id = ?`, [destination.id]);
    const request = { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 8n, currency: 'CNY' };
    await expect(transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-range' }))
      .rejects.toMatchObject({ code: 'balance_out_of_range', replayed: false });
    await expect(transfer(database.db, request, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-range' }))
      .rejects.toMatchObject({ code: 'balance_out_of_range', replayed: true });
    // Exactly up to the limit is fine.
    const made = await transfer(database.db, { ...request, amountMinor: 7n });
    expect(made.transfer.amountMinor).toBe(7n);
    expect((await getAccount(database.db, destination.id)).balanceMinor).toBe(9223372036854775807n);
    expect((await getAccount(database.db, source.id)).balanceMinor).toBe(99_993n);
  });

  test('a debit of an overdraft account past the smallest bigint balance is balance_out_of_range', async () => {
    const source = await openTestAccount(database.db, 'CNY', 0n, { allowOverdraft: true });
    const destination = await openTestAccount(database.db, 'CNY', 0n);
    await database.db.raw(`UPDATE ledger.accounts SET balance_minor = -9223372036854775800 WHERE id = ?`, [source.id]);
    await expect(transfer(database.db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 9n, currency: 'CNY' }))
      .rejects.toMatchObject({ code: 'balance_out_of_range' });
    await transfer(database.db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 8n, currency: 'CNY' });
    expect((await getAccount(database.db, source.id)).balanceMinor).toBe(-9223372036854775808n);
  });
});
