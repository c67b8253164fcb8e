import { randomBytes } from 'node:crypto';
import { createUser } from '@payapi/auth-server';
import { openAccount, parseAmount } from '@payapi/ledger';
import type { Knex } from 'knex';
import { PortalInputError } from '../http/errors.ts';

/** Test users one developer may have (issue 13). */
export const TEST_USERS_PER_DEVELOPER_MAX = 20;

/** The accounts every test user gets (contract: "Test Current" CNY 10000.00 and "Test Savings" CNY 5000.00). */
export const TEST_USER_ACCOUNTS = [
  { name: 'Test Current', type: 'current', currency: 'CNY', openingBalance: '10000.00' },
  { name: 'Test Savings', type: 'savings', currency: 'CNY', openingBalance: '5000.00' },
] as const;

/** A developer's test user as listed (the password is never kept by the portal). */
export interface TestUser {
  sub: string;
  username: string;
  createdAt: string;
}

/**
 * Creates a sandbox test user for a developer: an ordinary user of the authorization server
 * (`createUser`: Argon2id, the users' password policy) with a random username (`test-` and 10 hex
 * digits) and a random password (128 bits, base64url, 22 characters), its two accounts opened on
 * the ledger with their opening balances (real transfers from the funding account), and the
 * ownership row; all in one transaction, under a per-developer lock so the limit of 20 holds under
 * parallel requests. The caller refuses this in live (there are no test users there).
 *
 * @returns the user and its password, to show once
 * @throws {PortalInputError} when the developer has 20 test users already
 */
export async function createTestUser(db: Knex, developerId: string): Promise<{ user: TestUser; password: string }> {
  const password = randomBytes(16).toString('base64url');
  const username = `test-${randomBytes(5).toString('hex')}`;
  return db.transaction(async (trx) => {
    await trx.raw(`SELECT pg_advisory_xact_lock(hashtextextended('portal.test_users:' || ?, 0))`, [developerId]);
    const { rows } = await trx.raw<{ rows: Array<{ n: number }> }>('SELECT count(*)::int AS n FROM portal.test_users WHERE developer_id = ?', [developerId]);
    if ((rows[0]?.n ?? 0) >= TEST_USERS_PER_DEVELOPER_MAX) {
      throw new PortalInputError(`You have ${TEST_USERS_PER_DEVELOPER_MAX} test users, the most one developer may have.`);
    }
    const user = await createUser(trx, { username, password });
    for (const account of TEST_USER_ACCOUNTS) {
      await openAccount(trx, {
        ownerSubject: user.sub, name: account.name, type: account.type, currency: account.currency,
        openingBalanceMinor: parseAmount(account.openingBalance, account.currency),
      });
    }
    const { rows: inserted } = await trx.raw<{ rows: TestUser[] }>(
      `INSERT INTO portal.test_users (sub, developer_id, username) VALUES (?, ?, ?)
       RETURNING sub, username, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "createdAt"`,
      [user.sub, developerId, user.username]);
    return { user: inserted[0] as TestUser, password };
  });
}

/** A developer's test users, oldest first. */
export async function listTestUsers(db: Knex, developerId: string): Promise<TestUser[]> {
  const { rows } = await db.raw<{ rows: TestUser[] }>(
    `SELECT sub, username, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "createdAt"
       FROM portal.test_users WHERE developer_id = ? ORDER BY created_at, sub`, [developerId]);
  return rows;
}
