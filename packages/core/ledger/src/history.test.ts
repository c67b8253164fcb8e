import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestDatabase } from '@payapi/platform/testing';
import { bookTransfer } from './book-transfer.ts';
import { encodeCursor } from './cursor.ts';
import { listPostings } from './history.ts';
import { rfc3339 } from './sql.ts';
import { createLedgerTestDatabase, openTestAccount } from './testing/index.ts';
import { transfer } from './transfer.ts';
import type { Account, Posting } from './types.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createLedgerTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** Books `count` transfers of 1..count minor units from source to destination in ONE database transaction: one shared timestamp. */
async function bookInOneTransaction(source: Account, destination: Account, count: number): Promise<void> {
  await database.db.transaction(async (trx) => {
    for (let index = 1; index <= count; index += 1) {
      await bookTransfer(trx, {
        kind: 'transfer', sourceAccountId: source.id, destinationAccountId: destination.id,
        amountMinor: BigInt(index), currency: 'CNY', description: `batch ${index}`, clientId: null,
      }, 'transaction');
    }
  });
}

async function walk(accountId: string, limit: number, between?: (page: number) => Promise<void>): Promise<Posting[]> {
  const seen: Posting[] = [];
  let cursor: string | null = null;
  for (let page = 1; page <= 50; page += 1) {
    const result = await listPostings(database.db, { accountId, limit, cursor });
    seen.push(...result.data);
    if (result.nextCursor === null) return seen;
    cursor = result.nextCursor;
    await between?.(page);
  }
  throw new Error('pagination did not end within 50 pages');
}

describe('history pagination', () => {
  test('25 postings booked with one timestamp, paged by 10: 25 distinct rows in 3 pages, none missing', async () => {
    const source = await openTestAccount(database.db, 'CNY', 100_000n);
    const destination = await openTestAccount(database.db, 'CNY', 0n);
    await bookInOneTransaction(source, destination, 25);
    const { rows } = await database.db.raw<{ rows: Array<{ stamps: string }> }>(
      `SELECT count(DISTINCT booked_at) AS stamps FROM ledger.postings WHERE account_id = ?`, [destination.id]);
    expect(rows[0]?.stamps).toBe('1');
    const first = await listPostings(database.db, { accountId: destination.id, limit: 10 });
    expect(first.data).toHaveLength(10);
    const seen = await walk(destination.id, 10);
    expect(seen).toHaveLength(25);
    expect(new Set(seen.map((posting) => posting.id)).size).toBe(25);
    expect(seen.map((posting) => posting.amountMinor).sort((a, b) => Number(a - b))).toEqual(Array.from({ length: 25 }, (_, i) => BigInt(i + 1)));
    const ids = seen.map((posting) => posting.id);
    expect(ids).toEqual([...ids].sort().reverse());
  });

  test('rows booked between pages cause neither gaps nor duplicates', async () => {
    const source = await openTestAccount(database.db, 'CNY', 100_000n);
    const destination = await openTestAccount(database.db, 'CNY', 0n);
    await bookInOneTransaction(source, destination, 25);
    const before = new Set((await walk(destination.id, 100)).map((posting) => posting.id));
    expect(before.size).toBe(25);
    const seen = await walk(destination.id, 10, async () => {
      await bookInOneTransaction(source, destination, 3);
    });
    const ids = seen.map((posting) => posting.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => before.has(id))).toHaveLength(25);
    expect(ids).toHaveLength(25);
    // The newly booked rows are all there, at the top, on a fresh first page.
    const fresh = await listPostings(database.db, { accountId: destination.id, limit: 6 });
    expect(fresh.data.every((posting) => !before.has(posting.id))).toBe(true);
  });

  test('newest first across timestamps, with balance_after agreeing with the order', async () => {
    const source = await openTestAccount(database.db, 'CNY', 1_000n);
    const destination = await openTestAccount(database.db, 'CNY', 0n);
    for (const amountMinor of [100n, 200n, 300n]) {
      await transfer(database.db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor, currency: 'CNY' });
    }
    const { data, nextCursor } = await listPostings(database.db, { accountId: source.id });
    expect(nextCursor).toBeNull();
    expect(data.map((posting) => [posting.direction, posting.amountMinor, posting.balanceAfterMinor])).toEqual([
      ['debit', 300n, 400n], ['debit', 200n, 700n], ['debit', 100n, 900n], ['credit', 1_000n, 1_000n],
    ]);
    expect(data[3]?.description).toBe('Opening balance');
  });

  test('from is inclusive, to is exclusive, and offsets are honoured', async () => {
    const source = await openTestAccount(database.db, 'CNY', 1_000n);
    const destination = await openTestAccount(database.db, 'CNY', 0n);
    await transfer(database.db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 1n, currency: 'CNY' });
    const [posting] = (await listPostings(database.db, { accountId: destination.id })).data;
    const bookedAt = posting?.bookedAt as string; // e.g. 2026-11-29T13:45:12.345678Z
    const inBeijing = toOffset(bookedAt, 8 * 60);
    const inNewYork = toOffset(bookedAt, -5 * 60);
    expect((await listPostings(database.db, { accountId: destination.id, from: bookedAt })).data).toHaveLength(1);
    expect((await listPostings(database.db, { accountId: destination.id, from: inBeijing })).data).toHaveLength(1);
    expect((await listPostings(database.db, { accountId: destination.id, to: bookedAt })).data).toHaveLength(0);
    expect((await listPostings(database.db, { accountId: destination.id, to: inNewYork })).data).toHaveLength(0);
    const later = await database.db.raw<{ rows: Array<{ at: string }> }>(
      `SELECT ${rfc3339("?::timestamptz + interval '1 microsecond'")} AS at`, [bookedAt]);
    const oneMicroLater = later.rows[0]?.at as string;
    expect(oneMicroLater).not.toBe(bookedAt);
    expect((await listPostings(database.db, { accountId: destination.id, from: oneMicroLater })).data).toHaveLength(0);
    expect((await listPostings(database.db, { accountId: destination.id, to: oneMicroLater })).data).toHaveLength(1);
  });

  test('accepts every RFC 3339 offset, including those beyond PostgreSQL\'s own +-15:59, and leap seconds', async () => {
    const account = await openTestAccount(database.db, 'CNY', 1_000n);
    for (const from of ['2026-01-01T00:00:00+16:00', '2026-01-01T00:00:00-23:59', '0001-01-01T23:59:00+23:59', '2016-12-31T23:59:60.999999999Z']) {
      expect((await listPostings(database.db, { accountId: account.id, from })).data).toHaveLength(1);
    }
    expect((await listPostings(database.db, { accountId: account.id, to: '0001-01-01T00:00:00-23:59' })).data).toHaveLength(0);
  });

  test('a funding (system) account has no readable history', async () => {
    await openTestAccount(database.db, 'HKD', 5_000n);
    const { rows } = await database.db.raw<{ rows: Array<{ id: string }> }>(`SELECT id FROM ledger.accounts WHERE type = 'funding' AND currency = 'HKD'`);
    await expect(listPostings(database.db, { accountId: rows[0]?.id as string })).rejects.toMatchObject({ code: 'account_not_found' });
  });

  test('refuses bad limits, timestamps and cursors with typed errors', async () => {
    const account = await openTestAccount(database.db, 'CNY', 1_000n);
    for (const limit of [0, 101, 1.5, Number.NaN, -1]) {
      await expect(listPostings(database.db, { accountId: account.id, limit })).rejects.toMatchObject({ code: 'invalid_request' });
    }
    for (const from of ['2026-11-29', '2026-11-29T08:00:00', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-29T24:00:00Z', 'yesterday', "2026-11-29T00:00:00Z'--"]) {
      await expect(listPostings(database.db, { accountId: account.id, from })).rejects.toMatchObject({ code: 'invalid_request' });
    }
    await expect(listPostings(database.db, { accountId: account.id, from: '2026-11-30T00:00:00Z', to: '2026-11-29T00:00:00Z' }))
      .rejects.toMatchObject({ code: 'invalid_request' });
    const forged = Buffer.from(JSON.stringify({ v: 1, t: "2026-01-01'", p: 'pst_x' })).toString('base64url');
    for (const cursor of ['not a cursor', 'e30', forged, 'A'.repeat(500), Buffer.from('[1,2]').toString('base64url')]) {
      await expect(listPostings(database.db, { accountId: account.id, cursor })).rejects.toMatchObject({ code: 'invalid_cursor' });
    }
    for (const t of ['2026-02-30T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z', '2026-13-01T00:00:00.000000Z', '2026-01-01T99:00:00.000000Z']) {
      const impossible = Buffer.from(JSON.stringify({ v: 1, t, p: `pst_${'0'.repeat(32)}` })).toString('base64url');
      await expect(listPostings(database.db, { accountId: account.id, cursor: impossible })).rejects.toMatchObject({ code: 'invalid_cursor' });
    }
    await expect(listPostings(database.db, { accountId: account.id, from: '2026-11-29T00:00:00.0000011Z', to: '2026-11-29T00:00:00.000001Z' }))
      .rejects.toMatchObject({ code: 'invalid_request' });
    const wellFormed = encodeCursor({ bookedAt: '2999-01-01T00:00:00.000000Z', postingId: `pst_${'0'.repeat(32)}` });
    expect((await listPostings(database.db, { accountId: account.id, cursor: wellFormed })).data).toHaveLength(1);
    await expect(listPostings(database.db, { accountId: `acc_${'0'.repeat(32)}` })).rejects.toMatchObject({ code: 'account_not_found' });
  });
});

/** The same instant written with another UTC offset (minutes), microseconds kept. */
function toOffset(utc: string, offsetMinutes: number): string {
  const micros = utc.slice(20, 26);
  const shifted = new Date(Date.parse(utc) + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  return `${shifted}.${micros}${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
}
