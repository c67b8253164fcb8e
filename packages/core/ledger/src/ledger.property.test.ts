import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestDatabase } from '@payapi/platform/testing';
import fc from 'fast-check';
import { getAccount } from './accounts.ts';
import { LedgerError } from './errors.ts';
import { auditLedger } from './audit.ts';
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

const ACCOUNTS = 4;
/** Account 3 has an overdraft; the others may never go below zero. */
const OVERDRAFT_INDEX = 3;

const operation = fc.record({
  from: fc.integer({ min: 0, max: ACCOUNTS - 1 }),
  to: fc.integer({ min: 0, max: ACCOUNTS - 1 }),
  amountMinor: fc.oneof(fc.bigInt({ min: 1n, max: 500n }), fc.bigInt({ min: 1n, max: 5_000n })),
});

async function openSet(openingMinor: readonly bigint[]): Promise<Account[]> {
  return Promise.all(openingMinor.map((minor, index) =>
    openTestAccount(database.db, 'GBP', minor, { allowOverdraft: index === OVERDRAFT_INDEX })));
}

function expectedRefusal(balances: bigint[], from: number, to: number, amountMinor: bigint): string | null {
  if (from === to) return 'same_account';
  if (from !== OVERDRAFT_INDEX && (balances[from] as bigint) < amountMinor) return 'insufficient_funds';
  return null;
}

describe('ledger properties over random transfer sequences', () => {
  test('sequential: every outcome and balance matches a simple model, and the books stay balanced', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.bigInt({ min: 0n, max: 3_000n }), { minLength: ACCOUNTS, maxLength: ACCOUNTS }),
      fc.array(operation, { minLength: 1, maxLength: 25 }),
      async (opening, operations) => {
        const accounts = await openSet(opening);
        const balances = [...opening];
        for (const { from, to, amountMinor } of operations) {
          const expected = expectedRefusal(balances, from, to, amountMinor);
          const actual = await transfer(database.db, {
            sourceAccountId: (accounts[from] as Account).id, destinationAccountId: (accounts[to] as Account).id, amountMinor, currency: 'GBP',
          }).then(() => null, (error: unknown) => (error instanceof LedgerError ? error.code : String(error)));
          expect(actual).toBe(expected);
          if (expected === null) {
            balances[from] = (balances[from] as bigint) - amountMinor;
            balances[to] = (balances[to] as bigint) + amountMinor;
          }
        }
        const stored = await Promise.all(accounts.map(async (account) => (await getAccount(database.db, account.id)).balanceMinor));
        expect(stored).toEqual(balances);
        expect(await auditLedger(database.db)).toMatchObject({ unbalancedTransfers: [], wrongBalances: [], negativeBalances: [] });
      },
    ), { numRuns: 30 });
  });

  test('concurrent: random batches run in parallel conserve money and keep every invariant', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.bigInt({ min: 0n, max: 3_000n }), { minLength: ACCOUNTS, maxLength: ACCOUNTS }),
      fc.array(operation, { minLength: 5, maxLength: 40 }),
      async (opening, operations) => {
        const accounts = await openSet(opening);
        const outcomes = await Promise.allSettled(operations.map(({ from, to, amountMinor }) => transfer(database.db, {
          sourceAccountId: (accounts[from] as Account).id, destinationAccountId: (accounts[to] as Account).id, amountMinor, currency: 'GBP',
        })));
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            expect(['same_account', 'insufficient_funds']).toContain((outcome.reason as LedgerError).code);
          }
        }
        const stored = await Promise.all(accounts.map(async (account) => (await getAccount(database.db, account.id)).balanceMinor));
        expect(stored.reduce((sum, minor) => sum + minor, 0n)).toBe(opening.reduce((sum, minor) => sum + minor, 0n));
        expect(await auditLedger(database.db)).toMatchObject({ unbalancedTransfers: [], wrongBalances: [], negativeBalances: [] });
      },
    ), { numRuns: 15 });
  });
});
