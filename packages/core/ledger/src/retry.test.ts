import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { LedgerError } from './errors.ts';
import { withTransactionRetry } from './retry.ts';
import { createLedgerTestDatabase, openTestAccount } from './testing/index.ts';
import type { Account } from './types.ts';

let database: TestDatabase;
let account: Account;

beforeAll(async () => {
  database = await createLedgerTestDatabase();
  account = await openTestAccount(database.db, 'CNY', 0n, { name: 'original' });
});
afterAll(async () => {
  await database.drop();
});

/**
 * One attempt that PostgreSQL aborts with a real serialization failure (40001): under REPEATABLE
 * READ the attempt reads the row, another connection changes and commits it, then the attempt
 * writes it. With `conflict` false the attempt runs undisturbed.
 */
async function renameAttempt(trx: Knex.Transaction, newName: string, conflict: boolean): Promise<string> {
  await trx.raw(`SELECT name FROM ledger.accounts WHERE id = ?`, [account.id]);
  if (conflict) await database.db.raw(`UPDATE ledger.accounts SET name = name || '+' WHERE id = ?`, [account.id]);
  await trx.raw(`UPDATE ledger.accounts SET name = ? WHERE id = ?`, [newName, account.id]);
  return newName;
}

async function currentName(): Promise<string> {
  const { rows } = await database.db.raw<{ rows: Array<{ name: string }> }>(`SELECT name FROM ledger.accounts WHERE id = ?`, [account.id]);
  return rows[0]?.name as string;
}

describe('withTransactionRetry', () => {
  test('runs the work again after a real serialization failure and returns the committed result', async () => {
    let attempts = 0;
    const result = await withTransactionRetry(database.db, (trx) => {
      attempts += 1;
      return renameAttempt(trx, 'renamed', attempts === 1);
    }, { isolationLevel: 'repeatable read' });
    expect(result).toBe('renamed');
    expect(attempts).toBe(2);
    expect(await currentName()).toBe('renamed');
  });

  test('gives up with ledger_busy after the bounded number of attempts, and nothing of the work is kept', async () => {
    let attempts = 0;
    const outcome = withTransactionRetry(database.db, (trx) => {
      attempts += 1;
      return renameAttempt(trx, 'never', true);
    }, { isolationLevel: 'repeatable read', attemptsMax: 3 });
    await expect(outcome).rejects.toBeInstanceOf(LedgerError);
    await expect(outcome).rejects.toMatchObject({ code: 'ledger_busy' });
    expect(attempts).toBe(3);
    expect(await currentName()).toBe('renamed+++');
  });

  test('does not retry other errors', async () => {
    let attempts = 0;
    await expect(withTransactionRetry(database.db, async (trx) => {
      attempts += 1;
      await trx.raw('SELECT 1/0');
    })).rejects.toThrow(/division by zero/);
    expect(attempts).toBe(1);
  });

  test('a lock wait that times out is ledger_busy, not retried and not a raw database error', async () => {
    const holder = database.db.transaction();
    const trx = await holder;
    await trx.raw(`SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE`, [account.id]);
    let attempts = 0;
    try {
      await expect(withTransactionRetry(database.db, async (inner) => {
        attempts += 1;
        await inner.raw(`SET LOCAL lock_timeout = '100ms'`);
        await inner.raw(`SELECT 1 FROM ledger.accounts WHERE id = ? FOR UPDATE`, [account.id]);
      })).rejects.toMatchObject({ code: 'ledger_busy' });
      expect(attempts).toBe(1);
    } finally {
      await trx.rollback();
    }
  });

  test('a statement timeout and a pool with no free connection are ledger_busy too', async () => {
    const slow = createDatabase({ url: database.url, statementTimeoutMs: 100, poolMax: 1, acquireTimeoutMs: 200 });
    try {
      await expect(withTransactionRetry(slow, (trx) => trx.raw('SELECT pg_sleep(2)'))).rejects.toMatchObject({ code: 'ledger_busy' });
      const occupied = await slow.transaction();
      try {
        await expect(withTransactionRetry(slow, (trx) => trx.raw('SELECT 1'))).rejects.toMatchObject({ code: 'ledger_busy' });
      } finally {
        await occupied.rollback();
      }
    } finally {
      await slow.destroy();
    }
  });
});
