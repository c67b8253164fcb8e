import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { formatAmount } from './amount.ts';
import { SUPPORTED_CURRENCIES, minorUnitExponent } from './currency.ts';
import { createLedgerTestDatabase } from './testing/index.ts';
import type { TestDatabase } from '@payapi/platform/testing';

let database: TestDatabase;
beforeAll(async () => {
  database = await createLedgerTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('ledger.format_amount and ledger.minor_unit_exponent (SQL) agree with formatAmount and the currency table', () => {
  test('every supported currency has the same exponent in SQL, and an unknown one has none', async () => {
    const { rows } = await database.db.raw<{ rows: Array<{ code: string; exponent: number | null }> }>(
      'SELECT code, ledger.minor_unit_exponent(code) AS exponent FROM unnest(?::text[]) AS code', [[...SUPPORTED_CURRENCIES, 'XXX']]);
    expect(rows).toEqual([...SUPPORTED_CURRENCIES.map((code) => ({ code, exponent: minorUnitExponent(code) })), { code: 'XXX', exponent: null }]);
  });

  test('formats any bigint in any currency exactly as formatAmount does, the extremes included', async () => {
    const extremes = [0n, 1n, -1n, 9n, 10n, 99n, 100n, -100n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n];
    await fc.assert(fc.asyncProperty(
      fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(...extremes)),
      fc.constantFrom(...SUPPORTED_CURRENCIES),
      async (minor, currency) => {
        const { rows } = await database.db.raw<{ rows: Array<{ text: string }> }>('SELECT ledger.format_amount(?::bigint, ?) AS text', [minor.toString(), currency]);
        expect(rows[0]?.text).toBe(formatAmount(minor, currency));
      }), { numRuns: 300 });
  });
});
