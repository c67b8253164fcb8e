/**
 * `pnpm bench:ledger`: ledger throughput on this machine, next to the database's own floor measured in
 * the same run (the machine is shared and noisy: compare ratios within one run, not absolute
 * numbers across runs). Prints a table and writes JSON to bench/results/.
 *
 * Uses the server `pnpm bench` uses (`openBenchServer`: DATABASE_URL's server, else the embedded
 * PostgreSQL under .data/postgres-bench) and a scratch database on it, dropped after.
 * Environment: BENCH_SECONDS per scenario (default 5), BENCH_CONCURRENCY (default 16),
 * BENCH_ACCOUNTS (default 1000).
 */
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getBalance, listPostings, migrateLedger, openAccount, transfer } from '@payapi/ledger';
import type { Account } from '@payapi/ledger';
import { ConfigError, createDatabase, repoRoot } from '@payapi/platform';
import type { Knex } from 'knex';
import { openBenchServer } from './database.ts';
import { latencyPercentiles } from './percentiles.ts';

/** Reads a positive integer setting, or stops with a message naming the variable. */
function setting(variable: string, fallback: number, max: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < 1 || value > max) throw new ConfigError(variable, `must be an integer from 1 to ${max}, not "${raw}"`);
  return value;
}

interface Settings {
  seconds: number;
  concurrency: number;
  accountCount: number;
}

function readSettings(): Settings {
  return {
    seconds: setting('BENCH_SECONDS', 5, 3600),
    concurrency: setting('BENCH_CONCURRENCY', 16, 500),
    accountCount: setting('BENCH_ACCOUNTS', 1000, 1_000_000),
  };
}

interface Result {
  scenario: string;
  operations: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `operation` from `concurrency` loops for `seconds`; counts completions and latencies. */
async function measure(
  { seconds, concurrency }: Settings,
  scenario: string,
  operation: (worker: number, iteration: number) => Promise<unknown>,
): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
    for (let iteration = 0; performance.now() < deadline; iteration += 1) {
      const begin = performance.now();
      try {
        await operation(worker, iteration);
        latencies.push(performance.now() - begin);
      } catch {
        errors += 1;
      }
    }
  }));
  const elapsedS = (performance.now() - started) / 1000;
  const { p50Ms, p99Ms } = latencyPercentiles(latencies);
  return { scenario, operations: latencies.length, errors, perSecond: Math.round(latencies.length / elapsedS), p50Ms, p99Ms };
}

async function prepare(db: Knex, accountCount: number): Promise<Account[]> {
  await migrateLedger(db);
  const accounts: Account[] = [];
  for (let start = 0; start < accountCount; start += 50) {
    const batch = Array.from({ length: Math.min(50, accountCount - start) }, (_, offset) => openAccount(db, {
      ownerSubject: `bench-${start + offset}`, name: `Bench ${start + offset}`, type: 'current', currency: 'CNY',
      openingBalanceMinor: 1_000_000_000n,
    }));
    accounts.push(...(await Promise.all(batch)));
  }
  return accounts;
}

async function run(db: Knex, settings: Settings, serverVersion: string): Promise<void> {
  const { seconds, concurrency, accountCount } = settings;
  const accounts = await prepare(db, accountCount);
  const pick = (): Account => accounts[Math.floor(Math.random() * accounts.length)] as Account;
  const distinctPair = (): [Account, Account] => {
    const source = pick();
    let destination = pick();
    while (destination.id === source.id) destination = pick();
    return [source, destination];
  };
  const [hotA, hotB] = [accounts[0] as Account, accounts[1] as Account];
  const runId = randomBytes(4).toString('hex');
  const results: Result[] = [];
  results.push(await measure(settings, 'reference: SELECT 1', () => db.raw('SELECT 1')));
  results.push(await measure(settings, 'reference: 1-row UPDATE transaction', (worker) => db.transaction((trx) =>
    trx.raw('UPDATE ledger.accounts SET name = name WHERE id = ?', [(accounts[worker] as Account).id]))));
  results.push(await measure(settings, 'transfer, random accounts', () => {
    const [source, destination] = distinctPair();
    return transfer(db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 1n, currency: 'CNY' });
  }));
  results.push(await measure(settings, 'transfer + idempotency key', (worker, iteration) => {
    const [source, destination] = distinctPair();
    return transfer(db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 1n, currency: 'CNY' },
      { clientId: 'bench', subject: 'bench-user', idempotencyKey: `${runId}-${worker}-${iteration}` });
  }));
  results.push(await measure(settings, 'transfer, one hot pair both ways', (worker) => {
    const [source, destination] = worker % 2 === 0 ? [hotA, hotB] : [hotB, hotA];
    return transfer(db, { sourceAccountId: source.id, destinationAccountId: destination.id, amountMinor: 1n, currency: 'CNY' });
  }));
  results.push(await measure(settings, 'balance read', () => getBalance(db, pick().id)));
  results.push(await measure(settings, 'history page (20 rows)', () => listPostings(db, { accountId: hotA.id, limit: 20 })));

  const reference = results[1]?.perSecond ?? 1;
  console.log(`\n${seconds} s per scenario, ${concurrency} concurrent, ${accountCount} accounts; PostgreSQL ${serverVersion}, Node ${process.version}, ${cpus().length} cores`);
  console.table(results.map((result) => ({ ...result, 'vs 1-row UPDATE tx': Number((result.perSecond / reference).toFixed(2)) })));
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: serverVersion };
  const file = join(repoRoot, 'bench', 'results', `ledger-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await mkdir(join(repoRoot, 'bench', 'results'), { recursive: true });
  await writeFile(file, `${JSON.stringify({ machine, seconds, concurrency, accounts: accountCount, results }, null, 2)}\n`);
  console.log(`written to ${file}`);
}

async function main(): Promise<void> {
  const settings = readSettings();
  const server = await openBenchServer(process.env);
  try {
    const db = createDatabase({ url: await server.createScratch('ledger'), poolMax: settings.concurrency, applicationName: 'payapi-bench' });
    try {
      await run(db, settings, server.version);
    } finally {
      await db.destroy();
    }
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
