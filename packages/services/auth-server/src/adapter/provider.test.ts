import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import type { TestDatabase } from '@payapi/platform/testing';
import { exportJWK, generateKeyPair } from 'jose';
import type { Knex } from 'knex';
import Provider from 'oidc-provider';
import type { AdapterPayload, Configuration } from 'oidc-provider';
import { createAuthTestDatabase } from '../testing/index.ts';
import { createKnexAdapter } from './knex-adapter.ts';

// oidc-provider itself drives the adapter here: these tests check the contract as the library
// uses it, not as we read it.

let database: TestDatabase;
let otherServerDb: Knex;
let serverA: Provider;
let serverB: Provider;

async function providerOn(db: Knex): Promise<Provider> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const configuration: Configuration = {
    adapter: createKnexAdapter(db),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['adapter-test-cookie-key'] },
    ttl: { Grant: 3600, AccessToken: 300, AuthorizationCode: 60 },
    clients: [{
      client_id: 'static-client',
      client_secret: 'static-client-secret-for-adapter-tests',
      redirect_uris: ['https://partner.example/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }],
  };
  return new Provider('http://127.0.0.1:4000', configuration);
}

beforeAll(async () => {
  database = await createAuthTestDatabase();
  otherServerDb = createDatabase({ url: database.url, poolMax: 10 });
  // oidc-provider warns about the development defaults left here (cookie settings and the like): expected.
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  serverA = await providerOn(database.db);
  serverB = await providerOn(otherServerDb);
});
afterAll(async () => {
  jest.restoreAllMocks();
  await otherServerDb.destroy();
  await database.drop();
});

describe('oidc-provider on the knex adapter', () => {
  test('a client stored through the adapter (as dynamic registration does) is found by Client.find on another server', async () => {
    const clientId = `dyn-${randomUUID()}`;
    const metadata = {
      client_id: clientId,
      client_secret: 'dynamic-client-secret-for-adapter-tests',
      redirect_uris: ['https://partner.example/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    } as AdapterPayload;
    await new (createKnexAdapter(database.db))('Client').upsert(clientId, metadata);
    const client = await serverB.Client.find(clientId);
    expect(client?.clientId).toBe(clientId);
    expect(client?.redirectUris).toEqual(['https://partner.example/callback']);
    expect(await serverB.Client.find(`dyn-${randomUUID()}`)).toBeUndefined();
  });

  test('a grant, its tokens and a consumed code round-trip, and revoking the grant removes the tokens', async () => {
    const client = await serverA.Client.find('static-client');
    if (!client) throw new Error('static client missing');
    const grant = new serverA.Grant({ accountId: 'user-1', clientId: client.clientId });
    grant.addOIDCScope('openid');
    const grantId = await grant.save();
    expect((await serverB.Grant.find(grantId))?.accountId).toBe('user-1');

    const tokenValue = await new serverA.AccessToken({ client, accountId: 'user-1', grantId, gty: 'authorization_code', scope: 'openid' }).save();
    const code = new serverA.AuthorizationCode({ client, accountId: 'user-1', grantId, gty: 'authorization_code', scope: 'openid' });
    const codeValue = await code.save();
    expect((await serverB.AccessToken.find(tokenValue))?.grantId).toBe(grantId);
    await code.consume();
    expect((await serverB.AuthorizationCode.adapter.find(codeValue))?.consumed).toEqual(expect.any(Number));
    expect(await serverB.AuthorizationCode.find(codeValue)).toBeDefined();

    await serverB.AccessToken.revokeByGrantId(grantId);
    expect(await serverA.AccessToken.find(tokenValue)).toBeUndefined();
    expect(await serverA.AuthorizationCode.find(codeValue)).toBeUndefined();
    expect(await serverA.Grant.find(grantId)).toBeDefined();
  });

  test('ReplayDetection.unique: of 40 parallel checks of one jti on two servers exactly one passes, and later ones fail', async () => {
    const jti = randomUUID();
    const exp = Math.floor(Date.now() / 1000) + 60;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? serverA : serverB).ReplayDetection.unique('client-a', jti, exp)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await serverA.ReplayDetection.unique('client-a', jti, exp)).toBe(false);
    expect(await serverB.ReplayDetection.unique('client-a', jti, exp)).toBe(false);
    // Another jti, or the same jti from another issuer, is a different proof.
    expect(await serverB.ReplayDetection.unique('client-a', randomUUID(), exp)).toBe(true);
    expect(await serverB.ReplayDetection.unique('client-b', jti, exp)).toBe(true);
  });
});
