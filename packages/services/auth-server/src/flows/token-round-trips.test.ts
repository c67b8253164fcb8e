/**
 * Issue 18: introspection and the token endpoint went to the database once per read and once per
 * issued token. A token's grant now comes with the token in one statement, the reads and the token
 * records of concurrent requests go out together; these tests hold the behaviour that must not
 * change with it: a revoked grant is seen at once, every issued token is recorded before its client
 * has it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import type { CreatedClient } from '../clients/create-client.ts';
import { revokeGrant } from '../tokens/revoke-grant.ts';
import { authorize, discover, exchange, introspect, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
import type { Alice, TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;
let alice: Alice;

beforeAll(async () => {
  server = await startTestAuthServer();
  alice = await seedUser(server);
});
afterAll(async () => {
  await server.close();
});

/** Runs `work` and returns it with the SELECTs on auth.oidc_store it sent, client reads left out (they have a cache of their own). */
async function countingStoreReads<T>(work: () => Promise<T>): Promise<{ result: T; reads: number }> {
  let reads = 0;
  const listener = (query: { sql: string }): void => {
    if (/^\s*SELECT[\s\S]*auth\.oidc_store/.test(query.sql) && !query.sql.includes("'Client'")) reads += 1;
  };
  server.database.db.on('query', listener);
  try {
    return { result: await work(), reads };
  } finally {
    server.database.db.off('query', listener);
  }
}

/** A partner with a refresh token of alice's, and the grant it belongs to. */
async function refreshTokenOfAlice(): Promise<{ config: client.Configuration; refreshToken: string; grantId: string }> {
  const config = await discover(server, await seedClient(server));
  const tokens = await exchange(config, await authorize(server, config, alice));
  const refreshToken = tokens.refresh_token as string;
  const { rows } = await server.database.db.raw<{ rows: Array<{ grant_id: string }> }>(
    `SELECT grant_id FROM auth.oidc_store WHERE model = 'RefreshToken' AND id = ?`, [refreshToken]);
  return { config, refreshToken, grantId: rows[0]?.grant_id as string };
}

describe('a refresh token and its grant', () => {
  test('introspection reads the refresh token and its grant in one statement', async () => {
    const { config, refreshToken } = await refreshTokenOfAlice();
    // The first call fills the client cache; the second shows the store reads alone.
    expect((await introspect(config, refreshToken)).active).toBe(true);
    const { result, reads } = await countingStoreReads(() => introspect(config, refreshToken));
    expect(result).toMatchObject({ active: true, sub: alice.sub });
    expect(reads).toBe(1);
  });

  test('a grant ended by another server (its row gone, the refresh token left) is inactive at introspection and refused at refresh at once', async () => {
    const { config, refreshToken, grantId } = await refreshTokenOfAlice();
    expect((await introspect(config, refreshToken)).active).toBe(true);
    await server.database.db.raw(`DELETE FROM auth.oidc_store WHERE model = 'Grant' AND id = ?`, [grantId]);
    expect(await introspect(config, refreshToken)).toEqual({ active: false });
    await expect(client.refreshTokenGrant(config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('a grant revoked between two introspections of its refresh token: the second answers inactive', async () => {
    const { config, refreshToken, grantId } = await refreshTokenOfAlice();
    expect((await introspect(config, refreshToken)).active).toBe(true);
    await revokeGrant(server.auth.provider(), server.database.db, grantId, 'user_revoked');
    expect(await introspect(config, refreshToken)).toEqual({ active: false });
  });

  test('a refresh still reads the grant it rotates under: the new tokens carry the same grant and work', async () => {
    const { config, refreshToken, grantId } = await refreshTokenOfAlice();
    const refreshed = await client.refreshTokenGrant(config, refreshToken);
    expect(await introspect(config, refreshed.refresh_token as string)).toMatchObject({ active: true, sub: alice.sub });
    expect(await introspect(config, refreshed.access_token)).toMatchObject({ active: true, sub: alice.sub });
    const { rows } = await server.database.db.raw<{ rows: Array<{ grant_id: string }> }>(
      `SELECT grant_id FROM auth.access_tokens WHERE jti = ?`, [decodeJwt(refreshed.access_token).jti as string]);
    expect(rows).toEqual([{ grant_id: grantId }]);
  });
});

describe('client credentials', () => {
  /** A raw token request (client_secret_basic); its token's record, read as soon as the answer came. */
  async function clientCredentials(registered: CreatedClient): Promise<{ token: string; recordedClientId: string | undefined }> {
    const credentials = Buffer.from(`${encodeURIComponent(registered.client_id)}:${encodeURIComponent(registered.client_secret as string)}`).toString('base64');
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'webhooks:manage' }),
    });
    expect(response.status).toBe(200);
    const token = ((await response.json()) as { access_token: string }).access_token;
    const { rows } = await server.database.db.raw<{ rows: Array<{ client_id: string }> }>(
      `SELECT client_id FROM auth.access_tokens WHERE jti = ?`, [decodeJwt(token).jti as string]);
    return { token, recordedClientId: rows[0]?.client_id };
  }

  test('of 24 concurrent grants every token is recorded by the time its client has it, and introspects active', async () => {
    const partner = await seedClient(server);
    const config = await discover(server, partner);
    const issued = await Promise.all(Array.from({ length: 24 }, () => clientCredentials(partner)));
    expect(issued.map((one) => one.recordedClientId)).toEqual(issued.map(() => partner.client_id));
    const tokens = issued.map((one) => one.token);
    const jtis = tokens.map((token) => decodeJwt(token).jti as string);
    expect(new Set(jtis).size).toBe(24);
    const { rows } = await server.database.db.raw<{ rows: Array<{ jti: string; grant_id: string | null; scope: string }> }>(
      `SELECT jti, grant_id, scope FROM auth.access_tokens WHERE jti = ANY (?::text[]) ORDER BY jti`, [jtis]);
    expect(rows).toEqual([...jtis].sort().map((jti) => ({ jti, grant_id: null, scope: 'webhooks:manage' })));
    const introspections = await Promise.all(tokens.map((token) => introspect(config, token)));
    expect(introspections.map((answer) => answer.active)).toEqual(tokens.map(() => true));
  });
});
