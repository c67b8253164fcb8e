import { IDEMPOTENCY_TTL_SECONDS } from '@payapi/ledger';
import { decodeJwt } from 'jose';
import type { Knex } from 'knex';
import pg from 'pg';

/**
 * The schema of the lookup data of the `post_transfer` pgbench row, in the bench's application
 * database: made before the row, dropped after it (`bench_` so it is never taken for one of ours).
 */
export const POST_TRANSFER_LOOKUP_SCHEMA = 'bench_pgbench';

/**
 * The request hash every transfer of the script sends (`p_request_hash`): 64 hex digits, as the
 * SHA-256 of the canonical request that the API computes in Node. Its value does not matter here:
 * every transfer has a new idempotency key, so no stored hash is ever compared with it.
 */
export const SCRIPT_REQUEST_HASH = 'ab'.repeat(32);

/** The claims of an access token that `api.post_transfer` is called with (RFC 9068 §2.2). */
export interface AccessTokenClaims {
  /** `jti`: the token's id, `p_jti` (the grant check). */
  jti: string;
  /** `client_id`: `p_client_id`. */
  clientId: string;
  /** `sub`: `p_subject` and `p_source_owner`. */
  subject: string;
}

/**
 * Reads `jti`, `client_id` and `sub` from an access token's payload without checking its signature
 * (the bench holds tokens it was just given by the authorization server; the database's grant
 * check is what the row measures).
 *
 * @param accessToken a JWT (RFC 9068)
 * @throws {Error} when it is not a JWT or a claim is missing or not a non-empty string
 */
export function accessTokenClaims(accessToken: string): AccessTokenClaims {
  const payload = decodeJwt(accessToken);
  const text = (name: string): string => {
    const value = payload[name];
    if (typeof value !== 'string' || value === '') throw new Error(`the access token has no ${name} claim`);
    return value;
  };
  return { jti: text('jti'), clientId: text('client_id'), subject: text('sub') };
}

/** Shape of the bench's data the script runs over (see {@link postTransferLookupRows}). */
export interface PostTransferScriptOptions {
  /** Token users: pgbench client `c` acts as user `c mod users`. */
  users: number;
  /** Source accounts of each user (its consented accounts), used at random. */
  accountsPerUser: number;
  /** Accounts in all (the users' first), each a possible destination. */
  accounts: number;
  /** Schema of the lookup tables ({@link POST_TRANSFER_LOOKUP_SCHEMA}). */
  schema: string;
}

/**
 * A pgbench script (`-f`, for `-M extended`) booking 0.01 CNY per transaction through the
 * resource API's booking statement: `SELECT api.post_transfer(…)` with the parameters, by name
 * and in the order, of packages/services/resource-api/src/routes/post-transfer-with-grant.ts.
 * pgbench client `:client_id` acts as token user `client_id mod users` (its access token's `jti`,
 * `client_id` and `sub`), from one of that user's accounts at random to a random other account of
 * all `accounts`. The ids the API makes in Node (`tr_`/`pst_` + 32 lower-case hex) are made here
 * with `gen_random_uuid()`, as is a new idempotency key per transaction; the request hash is
 * {@link SCRIPT_REQUEST_HASH}. The user's claims and sources and the destination's id are two
 * primary-key lookups in the statement (`<schema>.token_users`, `<schema>.accounts`), which the
 * API does not make.
 *
 * Account numbers: user `u`'s `k`-th account (k from 1) is `u * accountsPerUser + k - 1`, the
 * other accounts follow (as {@link postTransferLookupRows} numbers them).
 *
 * @throws {Error} when the sizes cannot hold that layout (no users, no destination other than the source)
 */
export function postTransferScript(options: PostTransferScriptOptions): string {
  const { users, accountsPerUser, accounts, schema } = options;
  if (!(users >= 1 && accountsPerUser >= 1 && accounts > users * accountsPerUser && accounts >= 2)) {
    throw new Error(`post_transfer script: ${users} users of ${accountsPerUser} accounts need more than ${users * accountsPerUser} accounts, not ${accounts}`);
  }
  const newId = (prefix: string): string => `'${prefix}_' || replace(gen_random_uuid()::text, '-', '')`;
  return [
    `\\set user :client_id % ${users}`,
    `\\set turn random(1, ${accountsPerUser})`,
    `\\set source :user * ${accountsPerUser} + :turn - 1`,
    `\\set other random(0, ${accounts - 2})`,
    '\\set destination CASE WHEN :other >= :source THEN :other + 1 ELSE :other END',
    `SELECT api.post_transfer(p_jti => u.jti, p_client_id => u.client_id, p_subject => u.subject,`,
    `    p_idempotency_key => 'pgbench-' || gen_random_uuid()::text, p_request_hash => '${SCRIPT_REQUEST_HASH}',`,
    `    p_ttl_seconds => ${IDEMPOTENCY_TTL_SECONDS}, p_source_owner => u.subject, p_transfer_id => ${newId('tr')},`,
    `    p_debit_posting_id => ${newId('pst')}, p_credit_posting_id => ${newId('pst')},`,
    `    p_source => u.source_ids[:turn], p_destination => d.id, p_amount => 1, p_currency => 'CNY', p_description => NULL) AS answer`,
    `  FROM ${schema}.token_users u, ${schema}.accounts d`,
    ' WHERE u.user_no = :user AND d.account_no = :destination;',
    '',
  ].join('\n');
}

/** The rows of the lookup tables of {@link postTransferScript}. */
export interface PostTransferLookupRows {
  users: Array<{ userNo: number; claims: AccessTokenClaims; sourceIds: string[] }>;
  /** `account_no` is the index. */
  accountIds: string[];
}

/**
 * Numbers the accounts as {@link postTransferScript} expects: each user's accounts in order, user
 * after user, then every other account of `allAccountIds` in its order.
 *
 * @param users each token user's current access token and its source accounts (ids)
 * @throws {Error} when users have different numbers of accounts, or an access token lacks a claim
 */
export function postTransferLookupRows(users: ReadonlyArray<{ accessToken: string; accountIds: readonly string[] }>, allAccountIds: readonly string[]): PostTransferLookupRows {
  const perUser = users[0]?.accountIds.length ?? 0;
  if (users.some((user) => user.accountIds.length !== perUser)) throw new Error('every token user needs the same number of accounts');
  const sources = users.flatMap((user) => user.accountIds);
  const taken = new Set(sources);
  return {
    users: users.map((user, userNo) => ({ userNo, claims: accessTokenClaims(user.accessToken), sourceIds: [...user.accountIds] })),
    accountIds: [...sources, ...allAccountIds.filter((id) => !taken.has(id))],
  };
}

/**
 * Makes {@link POST_TRANSFER_LOOKUP_SCHEMA} (dropped first if a failed run left it) with its two
 * tables filled from `rows`, primary keys on the numbers, analysed.
 */
export async function createPostTransferLookups(db: Knex, rows: PostTransferLookupRows): Promise<void> {
  const schema = pg.escapeIdentifier(POST_TRANSFER_LOOKUP_SCHEMA);
  await db.transaction(async (trx) => {
    await trx.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await trx.raw(`CREATE SCHEMA ${schema}`);
    await trx.raw(`CREATE TABLE ${schema}.token_users (user_no integer PRIMARY KEY, jti text NOT NULL, client_id text NOT NULL,
      subject text NOT NULL, source_ids text[] NOT NULL)`);
    await trx.raw(`CREATE TABLE ${schema}.accounts (account_no integer PRIMARY KEY, id text NOT NULL)`);
    for (const user of rows.users) {
      await trx.raw(`INSERT INTO ${schema}.token_users VALUES (?, ?, ?, ?, ?::text[])`,
        [user.userNo, user.claims.jti, user.claims.clientId, user.claims.subject, user.sourceIds]);
    }
    await trx.raw(`INSERT INTO ${schema}.accounts SELECT n - 1, id FROM unnest(?::text[]) WITH ORDINALITY AS a(id, n)`, [rows.accountIds]);
  });
  await db.raw(`ANALYZE ${schema}.token_users, ${schema}.accounts`);
}

/** Drops {@link POST_TRANSFER_LOOKUP_SCHEMA} and its tables (nothing when it is not there). */
export async function dropPostTransferLookups(db: Knex): Promise<void> {
  await db.raw(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(POST_TRANSFER_LOOKUP_SCHEMA)} CASCADE`);
}

/** Transfers booked so far (`ledger.transfers` of kind `transfer`: opening balances left out). */
export async function countBookedTransfers(db: Knex): Promise<number> {
  const { rows } = await db.raw<{ rows: Array<{ booked: string }> }>(`SELECT count(*) AS booked FROM ledger.transfers WHERE kind = 'transfer'`);
  return Number(rows[0]?.booked ?? 0);
}
