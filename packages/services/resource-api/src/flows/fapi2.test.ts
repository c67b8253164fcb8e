/**
 * The resource API under SECURITY_PROFILE=fapi2 (docs/security.md, "FAPI 2.0 profile"), with the
 * authorization server under the same profile: the tokens of a PAR + private_key_jwt + DPoP flow
 * through openid-client are served; a Bearer token, a call without a token and a DPoP proof of
 * another key are refused with challenges that name DPoP only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { discoverWithKey, generateClientKey } from '@payapi/auth-server/testing';
import { generateKeyPair } from 'jose';
import * as client from 'openid-client';
import { authorize, call, exchange, seedClient, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, TestApi } from '../testing/index.ts';

const DPOP_ONLY = /^DPoP error="(invalid_token|invalid_dpop_proof)", error_description="[^"]+", algs="ES256 PS256 EdDSA", resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource"$/;

let api: TestApi;
let alice: Alice;
let config: client.Configuration;
let dpop: client.DPoPHandle;
let accessToken: string;

beforeAll(async () => {
  api = await startTestApi(undefined, {}, { SECURITY_PROFILE: 'fapi2' });
  alice = await seedUser(api.auth);
  const key = await generateClientKey('PS256');
  const registered = await seedClient(api.auth, { jwks: key.jwks });
  config = await discoverWithKey(api.auth, registered.client_id, key);
  dpop = client.getDPoPHandle(config, await generateKeyPair('ES256', { extractable: true }));
  const flow = await authorize(api.auth, config, alice, { scope: 'openid accounts:read transactions:read transfers:write', par: true, dpop });
  accessToken = (await exchange(config, flow, dpop)).access_token;
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

/** A call with openid-client's DPoP handle (a fresh proof each time); a 401/403 challenge becomes its response. */
async function withDpop(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, handle = dpop): Promise<Response> {
  const requestHeaders = new Headers(headers);
  if (body !== undefined) requestHeaders.set('content-type', 'application/json');
  try {
    return await client.fetchProtectedResource(config, accessToken, new URL(`${api.url}${path}`), method,
      body === undefined ? undefined : JSON.stringify(body), requestHeaders, { DPoP: handle });
  } catch (error) {
    if (error instanceof client.WWWAuthenticateChallengeError) return error.response as Response;
    throw error;
  }
}

describe('the resource API under fapi2', () => {
  test('serves the DPoP-bound token of the PAR + private_key_jwt + DPoP flow: accounts, then a transfer', async () => {
    const accounts = await withDpop('GET', '/v1/accounts');
    expect(accounts.status).toBe(200);
    expect(((await accounts.json()) as { data: Array<{ id: string }> }).data.map((account) => account.id).sort()).toEqual(alice.accounts.map((account) => account.id).sort());
    const transfer = await withDpop('POST', '/v1/transfers',
      { source_account_id: alice.accounts[0]!.id, destination_account_id: alice.accounts[1]!.id, amount: '2.50', currency: 'CNY' }, { 'idempotency-key': 'fapi2-transfer-1' });
    expect(transfer.status).toBe(201);
    expect(await transfer.json()).toMatchObject({ amount: '2.50', currency: 'CNY', status: 'completed' });
  });

  test('refuses the same token sent as Bearer: 401 invalid_token with a challenge naming DPoP only', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { token: accessToken });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'invalid_token', detail: expect.stringMatching(/DPoP-bound access tokens only/) });
    expect(answer.headers.get('www-authenticate')).toMatch(DPOP_ONLY);
  });

  test('refuses a call without a token with a challenge naming DPoP only', async () => {
    const answer = await call(api, 'GET', '/v1/accounts');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(DPOP_ONLY);
    expect(answer.headers.get('www-authenticate')).not.toMatch(/Bearer/);
  });

  test('refuses a DPoP proof made with another key than the token is bound to', async () => {
    const other = client.getDPoPHandle(config, await generateKeyPair('ES256', { extractable: true }));
    const answer = await withDpop('GET', '/v1/accounts', undefined, {}, other);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(DPOP_ONLY);
    expect(await answer.json()).toMatchObject({ code: 'invalid_dpop_proof', detail: expect.stringMatching(/not the key/) });
  });

  test('a 403 for a missing scope is a DPoP challenge too', async () => {
    const answer = await withDpop('GET', '/v1/webhook-endpoints');
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toMatch(/^DPoP error="insufficient_scope"/);
  });
});
