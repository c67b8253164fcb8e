import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestDatabase } from '@payapi/platform/testing';
import { createAuthTestDatabase } from '../testing/index.ts';
import { purgeExpired } from './purge-expired.ts';
import type { RawRows } from './store-sql.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createAuthTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function insertRows(count: number, expiresInSeconds: number | null): Promise<void> {
  await database.db.raw(
    `INSERT INTO auth.oidc_store (model, id, payload, expires_at)
     SELECT 'AccessToken', ? || n, '{}'::jsonb, now() + ?::float8 * interval '1 second' FROM generate_series(1, ?) AS n`,
    [`${randomUUID()}-`, expiresInSeconds, count],
  );
}

async function countRows(): Promise<{ expired: number; total: number }> {
  const { rows } = await database.db.raw<RawRows<{ expired: string; total: string }>>(
    `SELECT count(*) FILTER (WHERE expires_at <= now()) AS expired, count(*) AS total FROM auth.oidc_store`);
  return { expired: Number(rows[0]?.expired), total: Number(rows[0]?.total) };
}

/** Rows deleted by each DELETE statement run while `work` runs, in order. */
async function deleteSizesDuring(work: () => Promise<unknown>): Promise<number[]> {
  const sizes: number[] = [];
  const listener = (response: { command?: string; rowCount?: number | null }): void => {
    if (response.command === 'DELETE') sizes.push(response.rowCount ?? 0);
  };
  database.db.on('query-response', listener);
  try {
    await work();
  } finally {
    database.db.removeListener('query-response', listener);
  }
  return sizes;
}

describe('purgeExpired', () => {
  test('deletes every expired row in batches of at most batchSize and keeps live and never-expiring rows', async () => {
    await insertRows(25, -60);
    await insertRows(5, 3600);
    await insertRows(3, null);
    let purged = -1;
    const sizes = await deleteSizesDuring(async () => {
      purged = await purgeExpired(database.db, 10);
    });
    expect(purged).toBe(25);
    expect(sizes).toEqual([10, 10, 5]);
    expect(await countRows()).toEqual({ expired: 0, total: 8 });
  });

  test('an exact multiple of batchSize ends with one empty batch, and a second run finds nothing', async () => {
    await insertRows(20, -1);
    const sizes = await deleteSizesDuring(async () => {
      expect(await purgeExpired(database.db, 10)).toBe(20);
    });
    expect(sizes).toEqual([10, 10, 0]);
    expect(await purgeExpired(database.db, 10)).toBe(0);
    expect(await countRows()).toEqual({ expired: 0, total: 8 });
  });

  test('two purges at once delete each expired row once', async () => {
    await insertRows(300, -5);
    const counts = await Promise.all([purgeExpired(database.db, 7), purgeExpired(database.db, 11)]);
    expect(counts[0] + counts[1]).toBe(300);
    expect(await countRows()).toEqual({ expired: 0, total: 8 });
  });

  test('refuses a batch size that is not an integer from 1 to 100000', async () => {
    await expect(purgeExpired(database.db, 0)).rejects.toThrow(RangeError);
    await expect(purgeExpired(database.db, 2.5)).rejects.toThrow(RangeError);
    await expect(purgeExpired(database.db, 100_001)).rejects.toThrow(RangeError);
  });
});
