import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from '@jest/globals';
import { balancesOf, currencyTotals, expectedBalances, transfersOfClient, unbalancedTransfers } from '@payapi/faults/books';
import type { CurrencyTotals } from '@payapi/faults/books';
import { repoRoot } from '@payapi/platform';
import type { Knex } from 'knex';
import type { TransferCall } from './transfer-load.ts';

/** The ledger before a fault: money per currency and the balance of each account of the load. */
export interface BooksBefore {
  totals: Record<string, CurrencyTotals>;
  balances: Map<string, bigint>;
}

/** Reads {@link BooksBefore} (the cluster's ledger also holds what earlier runs booked). */
export async function booksBefore(db: Knex, accountIds: readonly string[]): Promise<BooksBefore> {
  return { totals: await currencyTotals(db), balances: await balancesOf(db, accountIds) };
}

/** What {@link expectBooksHold} checked, for the figures. */
export interface MoneyChecks {
  keys: number;
  transfersBooked: number;
  unbalancedTransfers: number;
  moneyPerCurrencyUnchanged: boolean;
  ledgerAudit: string;
}

/**
 * `pnpm cli ledger:audit` on the cluster's database (through HAProxy: on the leader).
 *
 * @returns its exit code and the JSON it printed
 */
export async function ledgerAudit(databaseUrl: string): Promise<{ exitCode: number; output: { ok?: boolean } & Record<string, unknown> }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'packages/tools/cli/src/main.ts'), 'ledger:audit'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl }, timeout: 120_000,
    });
    return { exitCode: 0, output: JSON.parse(stdout) as { ok?: boolean } };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: failed.code ?? -1, output: { stdout: failed.stdout, stderr: failed.stderr } };
  }
}

/**
 * Asserts that the books hold after a fault, every call having ended in a 201: every key exists
 * exactly once (one idempotency record, naming the transfer the 201 carried), the client's
 * transfers are exactly those, every transfer of the ledger has two postings that sum to zero,
 * money per currency is what it was before, each account of the load moved by its transfers once,
 * and `ledger:audit` is clean.
 */
export async function expectBooksHold(db: Knex, databaseUrl: string, clientId: string, calls: readonly TransferCall[], before: BooksBefore): Promise<MoneyChecks> {
  const returned = calls.map((call) => {
    if (call.result?.ok !== true) throw new Error(`call ${call.key} has no 201`);
    return call.result.transfer;
  });
  const records = await db('ledger.idempotency_records').where({ client_id: clientId })
    .select<Array<{ idempotency_key: string; transfer_id: string | null }>>('idempotency_key', 'transfer_id');
  const recordsByKey = new Map<string, string[]>();
  for (const record of records) recordsByKey.set(record.idempotency_key, [...(recordsByKey.get(record.idempotency_key) ?? []), record.transfer_id ?? 'none']);
  expect(calls.filter((call, index) => recordsByKey.get(call.key)?.join() !== returned[index]?.id)).toEqual([]);
  expect(records).toHaveLength(calls.length);

  const stored = await transfersOfClient(db, clientId);
  expect(new Set(returned.map((transfer) => transfer.id)).size).toBe(calls.length);
  expect([...stored.keys()].sort()).toEqual(returned.map((transfer) => transfer.id).sort());

  const unbalanced = await unbalancedTransfers(db);
  expect(unbalanced).toEqual([]);
  const totals = await currencyTotals(db);
  expect(totals).toEqual(before.totals);
  expect(await balancesOf(db, [...before.balances.keys()])).toEqual(expectedBalances(before.balances, returned));

  const audit = await ledgerAudit(databaseUrl);
  expect(audit).toMatchObject({ exitCode: 0, output: { ok: true } });
  return {
    keys: calls.length, transfersBooked: stored.size, unbalancedTransfers: unbalanced.length,
    moneyPerCurrencyUnchanged: true, ledgerAudit: `ok (exit ${audit.exitCode}, ${String(audit.output.transfers)} transfers)`,
  };
}
