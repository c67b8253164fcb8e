import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { isWellFormedClientSecret } from '../clients/client-secret-format.ts';
import { loadClientSecretVerifiers, clientSecretMatches } from '../clients/client-secret-storage.ts';
import { ClientInputError } from '../clients/create-client.ts';
import { createPartnerApp, getPartnerApp } from '../clients/partner-apps.ts';
import { revokePreviousClientSecret } from '../clients/revoke-previous-client-secret.ts';
import { rotateClientSecret } from '../clients/rotate-client-secret.ts';
import { createKnexAdapter } from '../adapter/index.ts';
import { migrateAuth } from '../migrations.ts';
import * as clientSecretsMigration from '../../migrations/20261207_08_client_secrets_and_partner_apps.ts';
import { REDIRECT_URI, clientCredentialsOutcome, discoverWithSecret, seedClient, startTestAuthServer } from '../testing/index.ts';
import type { TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;

beforeAll(async () => {
  server = await startTestAuthServer();
});
afterAll(async () => {
  await server.close();
});

/** The client-credentials outcome with this secret, sent as client_secret_basic and as client_secret_post. */
async function outcomes(clientId: string, secret: string): Promise<{ basic: string; post: string }> {
  const outcome = async (method: 'basic' | 'post'): Promise<string> => {
    const result = await clientCredentialsOutcome(await discoverWithSecret(server, clientId, secret, method));
    return 'error' in result ? result.error : 'token';
  };
  return { basic: await outcome('basic'), post: await outcome('post') };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every row of every table in schema `auth`, as text. */
async function authSchemaText(): Promise<string> {
  const { rows: tables } = await server.database.db.raw<{ rows: Array<{ name: string }> }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'auth' AND table_type = 'BASE TABLE'`);
  const texts: string[] = [];
  for (const { name } of tables) {
    const { rows } = await server.database.db.raw<{ rows: Array<{ text: string }> }>(`SELECT t::text AS text FROM auth.?? t`, [name]);
    texts.push(...rows.map((row) => row.text));
  }
  return texts.join('\n');
}

describe('client secrets', () => {
  test('createClient (clients:create) makes a well-formed sandbox secret that works with client_secret_basic and client_secret_post', async () => {
    const created = await seedClient(server, { environment: 'sandbox' });
    expect(isWellFormedClientSecret(created.client_secret, 'sandbox')).toBe(true);
    expect(await outcomes(created.client_id, created.client_secret as string)).toEqual({ basic: 'token', post: 'token' });
    expect(await outcomes(created.client_id, `${created.client_secret as string}x`)).toEqual({ basic: 'invalid_client', post: 'invalid_client' });
  });

  test('the database holds only a SHA-256 of the secret: no table of schema auth contains it, and the stored placeholder is no secret', async () => {
    const created = await seedClient(server);
    const secret = created.client_secret as string;
    const text = await authSchemaText();
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(11, 54));
    const { rows } = await server.database.db.raw<{ rows: Array<{ hash: Buffer; placeholder: string }> }>(
      `SELECT c.secret_sha256 AS hash, s.payload->>'client_secret' AS placeholder
         FROM auth.client_secrets c JOIN auth.oidc_store s ON s.model = 'Client' AND s.id = c.client_id WHERE c.client_id = ?`, [created.client_id]);
    expect(rows[0]?.hash).toEqual(createHash('sha256').update(secret).digest());
    expect(rows[0]?.placeholder).toMatch(/^hashed-at-rest:[0-9a-f]{64}$/);
    expect(await outcomes(created.client_id, rows[0]?.placeholder as string)).toEqual({ basic: 'invalid_client', post: 'invalid_client' });
  });

  test('a configured secret of any form (the partner demo\'s) is kept as given, hashed', async () => {
    const created = await seedClient(server, { clientId: 'configured-secret-client', clientSecret: 'any demo value, not sk_ at all' });
    expect(created.client_secret).toBe('any demo value, not sk_ at all');
    expect(await outcomes('configured-secret-client', 'any demo value, not sk_ at all')).toEqual({ basic: 'token', post: 'token' });
    await expect(seedClient(server, { clientSecret: 'hashed-at-rest:0123' })).rejects.toThrow(ClientInputError);
    await expect(seedClient(server, { clientSecret: '' })).rejects.toThrow(ClientInputError);
  });
});

describe('client secret rotation', () => {
  test('the old secret works until the overlap ends, then gets invalid_client; the new one works throughout', async () => {
    const app = await createPartnerApp(server.database.db, { name: 'Rotating App', redirectUris: [REDIRECT_URI], owner: 'dev_rotation' }, { environment: 'sandbox' });
    expect(await outcomes(app.clientId, app.clientSecret)).toEqual({ basic: 'token', post: 'token' });
    const before = Date.now();
    const rotated = await rotateClientSecret(server.database.db, app.clientId, { overlapSeconds: 2, environment: 'sandbox' });
    expect(isWellFormedClientSecret(rotated.clientSecret, 'sandbox')).toBe(true);
    expect(rotated.clientSecret).not.toBe(app.clientSecret);
    expect(Date.parse(rotated.previousSecretExpiresAt)).toBeGreaterThanOrEqual(before + 1_000);
    expect(await outcomes(app.clientId, app.clientSecret)).toEqual({ basic: 'token', post: 'token' });
    expect(await outcomes(app.clientId, rotated.clientSecret)).toEqual({ basic: 'token', post: 'token' });
    await sleep(Math.max(0, Date.parse(rotated.previousSecretExpiresAt) - Date.now()) + 200);
    expect(await outcomes(app.clientId, app.clientSecret)).toEqual({ basic: 'invalid_client', post: 'invalid_client' });
    expect(await outcomes(app.clientId, rotated.clientSecret)).toEqual({ basic: 'token', post: 'token' });
  });

  test('a second rotation within the overlap ends the oldest secret at once; an overlap of 0 ends the replaced one at once', async () => {
    const first = await seedClient(server);
    const second = await rotateClientSecret(server.database.db, first.client_id, { environment: 'sandbox' });
    const third = await rotateClientSecret(server.database.db, first.client_id, { environment: 'sandbox' });
    await sleep(100); // the client cache's notification
    expect(await outcomes(first.client_id, first.client_secret as string)).toEqual({ basic: 'invalid_client', post: 'invalid_client' });
    expect(await outcomes(first.client_id, second.clientSecret)).toEqual({ basic: 'token', post: 'token' });
    const fourth = await rotateClientSecret(server.database.db, first.client_id, { overlapSeconds: 0, environment: 'sandbox' });
    await sleep(100); // the client cache's notification: the cached hashes of `third` as current must go
    expect(await outcomes(first.client_id, third.clientSecret)).toEqual({ basic: 'invalid_client', post: 'invalid_client' });
    expect(await outcomes(first.client_id, fourth.clientSecret)).toEqual({ basic: 'token', post: 'token' });
  });

  test('the default overlap is 24 hours', async () => {
    const created = await seedClient(server);
    const { previousSecretExpiresAt } = await rotateClientSecret(server.database.db, created.client_id);
    expect(Date.parse(previousSecretExpiresAt) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    expect(Date.parse(previousSecretExpiresAt) - Date.now()).toBeLessThanOrEqual(86_400_000);
  });

  test('refuses an unknown client, a public client and an overlap out of range', async () => {
    const publicClient = await seedClient(server, { public: true });
    await expect(rotateClientSecret(server.database.db, 'cl_unknown')).rejects.toThrow(ClientInputError);
    await expect(rotateClientSecret(server.database.db, publicClient.client_id)).rejects.toThrow(/no confidential client/);
    const created = await seedClient(server);
    for (const overlapSeconds of [-1, 1.5, 30 * 86_400 + 1, Number.NaN]) {
      await expect(rotateClientSecret(server.database.db, created.client_id, { overlapSeconds })).rejects.toThrow(RangeError);
    }
  });
});

describe('revoking the previous secret (a leaked one)', () => {
  test('ends the replaced secret at once and keeps the current one; getPartnerApp shows its end time until then', async () => {
    const db = server.database.db;
    const app = await createPartnerApp(db, { name: 'Leaky App', redirectUris: [REDIRECT_URI], owner: 'dev_leak' }, { environment: 'sandbox' });
    expect((await getPartnerApp(db, app.clientId))?.previousSecretExpiresAt).toBeNull();
    const rotated = await rotateClientSecret(db, app.clientId, { environment: 'sandbox' });
    expect((await getPartnerApp(db, app.clientId))?.previousSecretExpiresAt).toBe(rotated.previousSecretExpiresAt);
    expect(await outcomes(app.clientId, app.clientSecret)).toEqual({ basic: 'token', post: 'token' });

    expect(await revokePreviousClientSecret(db, app.clientId)).toEqual({ revoked: true });
    await sleep(100); // the client cache's notification: the cached previous hash must go
    expect(await outcomes(app.clientId, app.clientSecret)).toEqual({ basic: 'invalid_client', post: 'invalid_client' });
    expect(await outcomes(app.clientId, rotated.clientSecret)).toEqual({ basic: 'token', post: 'token' });
    expect((await getPartnerApp(db, app.clientId))?.previousSecretExpiresAt).toBeNull();
    expect(await revokePreviousClientSecret(db, app.clientId)).toEqual({ revoked: false });
  });

  test('parallel revocations end the previous secret once: exactly one answers revoked', async () => {
    const created = await seedClient(server);
    await rotateClientSecret(server.database.db, created.client_id, { environment: 'sandbox' });
    const answers = await Promise.all(Array.from({ length: 6 }, () => revokePreviousClientSecret(server.database.db, created.client_id)));
    expect(answers.filter((answer) => answer.revoked)).toHaveLength(1);
  });

  test('a previous secret whose overlap is over is not revoked again; an unknown or public client is refused', async () => {
    const created = await seedClient(server);
    expect(await revokePreviousClientSecret(server.database.db, created.client_id)).toEqual({ revoked: false });
    await rotateClientSecret(server.database.db, created.client_id, { overlapSeconds: 0, environment: 'sandbox' });
    expect(await revokePreviousClientSecret(server.database.db, created.client_id)).toEqual({ revoked: false });
    const publicClient = await seedClient(server, { public: true });
    await expect(revokePreviousClientSecret(server.database.db, 'cl_unknown')).rejects.toThrow(ClientInputError);
    await expect(revokePreviousClientSecret(server.database.db, publicClient.client_id)).rejects.toThrow(/no confidential client/);
    await expect(revokePreviousClientSecret(server.database.db, '')).rejects.toThrow(ClientInputError);
  });
});

describe('migration 20261207_08', () => {
  test('moves a secret stored in plain text before it into a hash, and the same secret still authenticates', async () => {
    const db = server.database.db;
    await clientSecretsMigration.down(db);
    await db.raw(`DELETE FROM auth.knex_migrations WHERE name = '20261207_08_client_secrets_and_partner_apps'`);
    // A client row as the adapter wrote it before the migration: the secret in the payload.
    await db.raw(`INSERT INTO auth.oidc_store (model, id, payload) VALUES ('Client', 'legacy-client', ?::jsonb)`, [JSON.stringify({
      client_id: 'legacy-client', client_secret: 'legacy-plain-secret', client_name: 'Legacy', redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], response_types: ['code'], scope: 'openid accounts:read webhooks:manage',
      token_endpoint_auth_method: 'client_secret_basic',
    })]);
    expect(await migrateAuth(db)).toEqual(['20261207_08_client_secrets_and_partner_apps']);
    const payload = await new (createKnexAdapter(db))('Client').find('legacy-client');
    expect(payload?.client_secret).toMatch(/^hashed-at-rest:[0-9a-f]{64}$/);
    const verifiers = await loadClientSecretVerifiers(db, 'legacy-client');
    expect(verifiers && clientSecretMatches(verifiers, 'legacy-plain-secret', Date.now())).toBe(true);
    expect(await outcomes('legacy-client', 'legacy-plain-secret')).toEqual({ basic: 'token', post: 'token' });
  });
});
