import { createHash, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import * as client from 'openid-client';
import { createMemoryDpopReplayStore } from '../auth/dpop-replay-store.ts';
import { authorize, call, connect, discover, seedClient, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;
let keyPair: { privateKey: CryptoKey; publicKey: CryptoKey };
let publicJwk: JWK;
let boundToken: string;
let clientConfig: client.Configuration;
let dpop: client.DPoPHandle;

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  keyPair = await generateKeyPair('ES256', { extractable: true });
  publicJwk = await exportJWK(keyPair.publicKey);
  clientConfig = await discover(api.auth, await seedClient(api.auth));
  dpop = client.getDPoPHandle(clientConfig, keyPair);
  const flow = await authorize(api.auth, clientConfig, alice);
  const tokens = await client.authorizationCodeGrant(clientConfig, flow.callbackUrl,
    { pkceCodeVerifier: flow.verifier, expectedState: flow.state }, undefined, { DPoP: dpop });
  boundToken = tokens.access_token;
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

/** A DPoP proof (RFC 9449 §4.2) for `method` and `url`, with overridable claims and key. */
async function proof(method: string, url: string, overrides: Record<string, unknown> = {}, key = keyPair): Promise<string> {
  const jwk = key === keyPair ? publicJwk : await exportJWK(key.publicKey);
  return new SignJWT({
    jti: randomUUID(), htm: method, htu: url, iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(boundToken).digest('base64url'), ...overrides,
  }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(key.privateKey);
}

async function withProof(proofJwt: string, path = '/v1/accounts'): ReturnType<typeof call> {
  return call(api, 'GET', path, { token: boundToken, scheme: 'DPoP', headers: { dpop: proofJwt } });
}

function expectProofRefused(answer: Awaited<ReturnType<typeof call>>, detail: RegExp): void {
  expect(answer.status).toBe(401);
  expect(answer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
  expect(answer.body.code).toBe('invalid_dpop_proof');
  expect(answer.body.detail).toMatch(detail);
}

describe('DPoP-bound access tokens (RFC 9449)', () => {
  test('the authorization server binds the token to the client\'s key (cnf.jkt)', async () => {
    expect((decodeJwt(boundToken).cnf as { jkt: string }).jkt).toBe(await calculateJwkThumbprint(publicJwk));
  });

  test('are accepted with the DPoP scheme and a valid proof from openid-client', async () => {
    const response = await client.fetchProtectedResource(clientConfig, boundToken, new URL(`${api.url}/v1/accounts`), 'GET', undefined, undefined, { DPoP: dpop });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown[] }).data).toHaveLength(3);
  });

  test('can move money with a proof for POST /v1/transfers', async () => {
    const answer = await call(api, 'POST', '/v1/transfers', {
      token: boundToken, scheme: 'DPoP',
      json: { source_account_id: alice.accounts[0]!.id, destination_account_id: alice.accounts[1]!.id, amount: '1.00', currency: 'CNY' },
      headers: { dpop: await proof('POST', `${api.url}/v1/transfers`), 'idempotency-key': 'dpop-1' },
    });
    expect(answer.status).toBe(201);
  });

  test('are refused when sent as Bearer', async () => {
    const answer = await call(api, 'GET', '/v1/accounts', { token: boundToken });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
    expect(answer.body.detail).toMatch(/DPoP-bound/);
  });

  test('are refused without a proof', async () => {
    expectProofRefused(await call(api, 'GET', '/v1/accounts', { token: boundToken, scheme: 'DPoP' }), /exactly one/);
  });

  test('refuse a replayed proof', async () => {
    const once = await proof('GET', `${api.url}/v1/accounts`);
    expect((await withProof(once)).status).toBe(200);
    expectProofRefused(await withProof(once), /already used/);
  });

  test('refuse a proof for another URL', async () => {
    expectProofRefused(await withProof(await proof('GET', `${api.url}/v1/accounts/${alice.accounts[0]!.id}`)), /another URL/);
  });

  test('refuse a proof for another method', async () => {
    expectProofRefused(await withProof(await proof('POST', `${api.url}/v1/accounts`)), /another HTTP method/);
  });

  test('ignore the query string when comparing htu', async () => {
    const answer = await withProof(await proof('GET', `${api.url}/v1/accounts/${alice.accounts[0]!.id}/transactions`), `/v1/accounts/${alice.accounts[0]!.id}/transactions?limit=1`);
    expect(answer.status).toBe(200);
  });

  test('refuse a proof for another access token (ath)', async () => {
    expectProofRefused(await withProof(await proof('GET', `${api.url}/v1/accounts`, { ath: 'x'.repeat(43) })), /another access token/);
  });

  test('refuse a proof signed by a key other than the bound one', async () => {
    const other = await generateKeyPair('ES256', { extractable: true });
    expectProofRefused(await withProof(await proof('GET', `${api.url}/v1/accounts`, {}, other)), /not the key/);
  });

  test('finding 1 (security review, docs/security.md): refuse a proof 55 s ahead of the server clock (at most 5 s are allowed)', async () => {
    expectProofRefused(await withProof(await proof('GET', `${api.url}/v1/accounts`, { iat: Math.floor(Date.now() / 1000) + 55 })), /from the future/);
  });

  test('finding 1 (security review, docs/security.md): a proof whose request is refused as malformed (limit=0) is not remembered, so it still serves a valid request', async () => {
    const path = `/v1/accounts/${alice.accounts[0]!.id}/transactions`;
    const once = await proof('GET', `${api.url}${path}`);
    const refused = await withProof(once, `${path}?limit=0`);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('invalid_request');
    expect((await withProof(once, `${path}?limit=1`)).status).toBe(200);
    expectProofRefused(await withProof(once, `${path}?limit=1`), /already used/);
  });

  test('refuse a proof older than the window', async () => {
    expectProofRefused(await withProof(await proof('GET', `${api.url}/v1/accounts`, { iat: Math.floor(Date.now() / 1000) - 600 })), /too old/);
  });

  test('refuse a proof with typ JWT', async () => {
    const jwt = await new SignJWT({ jti: randomUUID(), htm: 'GET', htu: `${api.url}/v1/accounts`, iat: Math.floor(Date.now() / 1000) })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', jwk: publicJwk }).sign(keyPair.privateKey);
    expectProofRefused(await withProof(jwt), /malformed/);
  });

  test('an unbound token sent with the DPoP scheme is refused', async () => {
    const plain = await connect(api, alice);
    const answer = await call(api, 'GET', '/v1/accounts', { token: plain.accessToken, scheme: 'DPoP', headers: { dpop: await proof('GET', `${api.url}/v1/accounts`) } });
    expect(answer.status).toBe(401);
    expect(answer.body.detail).toMatch(/not DPoP-bound/);
  });
});

describe('finding 1 (security review, docs/security.md): one client cannot switch DPoP off for others', () => {
  let small: TestApi;
  afterAll(async () => {
    await small?.close();
  });

  test('a flood of fresh proofs with one key fills only that key\'s share (429); another user\'s DPoP call is still served', async () => {
    small = await startTestApi(undefined, { dpopReplayStore: createMemoryDpopReplayStore({ perKeyMax: 20, perSubjectMax: 25, perClientMax: 30, totalMax: 100 }) });
    const floodUser = await seedUser(small.auth);
    const otherUser = await seedUser(small.auth, 'bob', 'builder-password');
    const bound = async (user: Alice) => {
      const key = await generateKeyPair('ES256', { extractable: true });
      const config = await discover(small.auth, await seedClient(small.auth));
      const handle = client.getDPoPHandle(config, key);
      const flow = await authorize(small.auth, config, user);
      const tokens = await client.authorizationCodeGrant(config, flow.callbackUrl,
        { pkceCodeVerifier: flow.verifier, expectedState: flow.state }, undefined, { DPoP: handle });
      return { config, handle, token: tokens.access_token };
    };
    const flooder = await bound(floodUser);
    const other = await bound(otherUser);
    const url = new URL(`${small.url}/v1/accounts`);
    const statuses: number[] = [];
    for (let index = 0; index < 25; index += 1) {
      const response = await client.fetchProtectedResource(flooder.config, flooder.token, url, 'GET', undefined, undefined, { DPoP: flooder.handle });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('retry-after')).toBe('61');
        expect(((await response.json()) as { code: string }).code).toBe('rate_limited');
      } else {
        await response.arrayBuffer();
      }
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
    const served = await client.fetchProtectedResource(other.config, other.token, url, 'GET', undefined, undefined, { DPoP: other.handle });
    expect(served.status).toBe(200);
    expect(small.responseErrors).toEqual([]);
  });
});
