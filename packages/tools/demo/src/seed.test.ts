import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { findUserByUsername, migrateAuth } from '@payapi/auth-server';
import { auditLedger, getBalance, listAccounts, migrateLedger } from '@payapi/ledger';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { seedDemo } from './seed.ts';

let database: TestDatabase;
const OPTIONS = { partnerDemoUrl: 'http://localhost:4002', partnerDemoClientSecret: 'demo-secret-for-this-test-0123456789', production: false };

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateLedger(database.db);
  await migrateAuth(database.db);
});
afterAll(async () => {
  await database.drop();
});

describe('demo seeding', () => {
  test('seeds the documented demo users, accounts and opening balances, and a second run adds nothing', async () => {
    const first = await seedDemo(database.db, OPTIONS);
    expect(first.created).toHaveLength(6);
    const alice = await findUserByUsername(database.db, 'alice');
    const accounts = await listAccounts(database.db, alice?.sub as string);
    const balances = await Promise.all(accounts.map(async (account) => [account.name, account.currency, (await getBalance(database.db, account.id)).balanceMinor]));
    expect(balances).toEqual([['Alice Current', 'CNY', 1_000_000n], ['Alice Savings', 'CNY', 5_000_000n], ['Alice Euro', 'EUR', 100_000n]]);
    expect(first.accounts.map((account) => account.name)).toContain('Bob Current');
    const second = await seedDemo(database.db, OPTIONS);
    expect(second.created).toEqual([]);
    expect(second.accounts).toEqual(first.accounts);
    const audit = await auditLedger(database.db);
    expect(audit).toMatchObject({ accounts: 6, transfers: 4, unbalancedTransfers: [], wrongBalances: [], negativeBalances: [] });
  });

  test('registers partner-demo as a confidential client that may use client credentials with webhooks:manage', async () => {
    await seedDemo(database.db, OPTIONS);
    const { rows } = await database.db.raw<{ rows: Array<{ payload: { grant_types: string[]; scope: string; token_endpoint_auth_method: string } }> }>(
      `SELECT payload FROM auth.oidc_store WHERE model = 'Client' AND id = 'partner-demo'`);
    const metadata = rows[0]?.payload;
    expect(metadata?.grant_types).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(metadata?.scope.split(' ')).toEqual(expect.arrayContaining(['webhooks:manage', 'transactions:read', 'payments:write']));
    expect(metadata?.token_endpoint_auth_method).toBe('client_secret_basic');
  });

  test('keeps the configured partner-demo secret as given, stored only as its SHA-256', async () => {
    await seedDemo(database.db, OPTIONS);
    const { rows } = await database.db.raw<{ rows: Array<{ payload: string; hash: Buffer }> }>(
      `SELECT s.payload::text AS payload, c.secret_sha256 AS hash FROM auth.oidc_store s
         JOIN auth.client_secrets c ON c.client_id = s.id WHERE s.model = 'Client' AND s.id = 'partner-demo'`);
    expect(rows[0]?.payload).not.toContain(OPTIONS.partnerDemoClientSecret);
    expect(rows[0]?.hash).toEqual(createHash('sha256').update(OPTIONS.partnerDemoClientSecret).digest());
  });

  test('with the partner demo\'s public key (SECURITY_PROFILE=fapi2) registers it as a private_key_jwt client without a secret; a later run with a secret goes back', async () => {
    const publicJwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'partner-demo-test', use: 'sig' };
    await seedDemo(database.db, { ...OPTIONS, partnerDemoJwks: { keys: [publicJwk] } });
    const stored = async () => (await database.db.raw<{ rows: Array<{ payload: Record<string, unknown>; secrets: number }> }>(
      `SELECT s.payload, (SELECT count(*)::int FROM auth.client_secrets c WHERE c.client_id = s.id) AS secrets
         FROM auth.oidc_store s WHERE s.model = 'Client' AND s.id = 'partner-demo'`)).rows[0];
    const withKey = await stored();
    expect(withKey?.payload).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk] } });
    expect(withKey?.payload.client_secret).toBeUndefined();
    expect(withKey?.secrets).toBe(0);
    await seedDemo(database.db, OPTIONS);
    expect((await stored())?.payload).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic' });
    expect((await stored())?.secrets).toBe(1);
  });

  test('is refused in production', async () => {
    await expect(seedDemo(database.db, { ...OPTIONS, production: true })).rejects.toThrow(/refused with NODE_ENV=production/);
  });
});
