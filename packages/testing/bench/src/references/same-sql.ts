/**
 * Same-SQL reference server of the balance scenario, run as its own process (`node same-sql.ts`):
 * a bare Express 5 app (same Express as the resource API, `NODE_ENV=production`) with a plain `pg`
 * Pool of the resource API's size ({@link DATABASE_POOL_MAX_DEFAULT}, the default of its knex
 * pool), whose one route answers `GET /v1/accounts/:account_id/balance` by running exactly the
 * statement of the ledger's `getBalance` ({@link GET_BALANCE_SQL}, turned into the text knex sends:
 * `$1` for `?`), with the owner check as `getBalance` makes it, and the resource API's answer shape
 * (`account_id`, `amount` as a decimal string from the ledger's `formatAmount`, `currency`,
 * `as_of`). No token, no logging, no validation: the owner's subject comes in the `x-bench-subject`
 * header (the bench's request generator sends its user's `sub`; our route reads it from the token).
 * An account of another owner, or none, answers 404.
 *
 * Environment: `DATABASE_URL` (the bench's application database). Prints `{"url":…}` on stdout
 * once it listens on a free port of localhost; stops on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import knex from 'knex';
import pg from 'pg';
import { GET_BALANCE_SQL, formatAmount } from '@payapi/ledger';
import type { BalanceRow } from '@payapi/ledger';
import { DATABASE_POOL_MAX_DEFAULT } from '@payapi/platform';
import { BENCH_SUBJECT_HEADER } from './bench-subject.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('same-sql.ts needs DATABASE_URL');

// The text knex sends for GET_BALANCE_SQL (placeholders numbered by knex itself); no connection is opened.
const placeholders = knex({ client: 'pg' });
const sql = placeholders.raw(GET_BALANCE_SQL, ['']).toSQL().toNative().sql;
await placeholders.destroy();

const pool = new pg.Pool({ connectionString: databaseUrl, max: DATABASE_POOL_MAX_DEFAULT, application_name: 'payapi-bench-same-sql' });

const app = express();
app.disable('x-powered-by');
app.get('/v1/accounts/:account_id/balance', async (req, res) => {
  const accountId = req.params.account_id;
  const { rows } = await pool.query<BalanceRow>(sql, [accountId]);
  const row = rows[0];
  if (!row || row.owner_subject !== req.get(BENCH_SUBJECT_HEADER)) {
    res.status(404).json({ code: 'account_not_found' });
    return;
  }
  res.json({ account_id: accountId, amount: formatAmount(BigInt(row.balance_minor), row.currency), currency: row.currency, as_of: row.as_of });
});

const server = createServer(app);
server.listen(0, () => {
  process.stdout.write(`${JSON.stringify({ url: `http://localhost:${(server.address() as AddressInfo).port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void pool.end().then(() => process.exit(0)));
});
