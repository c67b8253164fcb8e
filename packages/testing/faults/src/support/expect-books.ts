import { expect } from '@jest/globals';
import { auditFindings, balancesOf, currencyTotals, expectedBalances, transfersOfClient, unbalancedTransfers } from './books.ts';
import type { WireTransfer } from './books.ts';
import type { FaultSystem } from './fault-system.ts';

/**
 * Asserts that the books hold after a fault, from the tables: the partner client's transfers are
 * exactly `made` (one each, by id); every transfer has two postings that balance, by our own SQL
 * and by the ledger's audit; money per currency is what was opened (all balances sum to zero, user
 * balances to the openings); and every seeded account's balance is its opening plus `made`, once.
 *
 * @param made every transfer the client made, keyed by its transfer id (or, before the API named
 *   one, by a stand-in such as the idempotency key; then `checkIds` must be false)
 */
export async function expectBooksHold(faults: FaultSystem, made: ReadonlyMap<string, WireTransfer>, options: { openingBalanceMinor: bigint; checkIds?: boolean }): Promise<void> {
  const stored = await transfersOfClient(faults.db, faults.partner.client.client_id);
  expect(stored.size).toBe(made.size);
  if (options.checkIds !== false) expect([...stored.keys()].sort()).toEqual([...made.keys()].sort());
  expect(await unbalancedTransfers(faults.db)).toEqual([]);
  expect(await auditFindings(faults.db)).toEqual({
    transfers: faults.accounts.length + made.size, unbalancedTransfers: [], wrongBalances: [], negativeBalances: [],
  });
  expect(await currencyTotals(faults.db)).toEqual({ CNY: { allMinor: 0n, usersMinor: options.openingBalanceMinor * BigInt(faults.accounts.length) } });
  expect(await balancesOf(faults.db, faults.accounts.map((account) => account.id))).toEqual(expectedBalances(faults.openingMinor, made.values()));
}
