/**
 * SECURITY_PROFILE=fapi2 (docs/security.md, "FAPI 2.0 profile"): the whole flow through
 * openid-client with PAR, private_key_jwt and DPoP, and each thing the profile refuses.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey } from 'jose';
import * as client from 'openid-client';
import { createInitialAccessToken } from '../clients/initial-access-token.ts';
import { FAPI2_DPOP_ALGORITHMS, FAPI2_SIGNING_ALGORITHMS } from '../security-profile.ts';
import {
  REDIRECT_URI, RESOURCE, UserAgent, authorize, clientCredentialsOutcome, discover, discoverWithKey, exchange, generateClientKey, introspect, seedClient, seedUser,
  startTestAuthServer,
} from '../testing/index.ts';
import type { Alice, ClientKey, TestAuthServer } from '../testing/index.ts';

const SCOPE = 'openid offline_access accounts:read transactions:read';

let server: TestAuthServer;
let alice: Alice;

beforeAll(async () => {
  server = await startTestAuthServer({ SECURITY_PROFILE: 'fapi2' });
  alice = await seedUser(server);
});
afterAll(async () => {
  await server.close();
});

/** A DPoP key pair (RFC 9449 §4) and its RFC 7638 thumbprint. */
async function dpopKey(): Promise<{ keyPair: { privateKey: CryptoKey; publicKey: CryptoKey }; jkt: string }> {
  const keyPair = await generateKeyPair('ES256', { extractable: true });
  return { keyPair, jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) };
}

/** A registered private_key_jwt client and its openid-client configuration. */
async function keyClient(key?: ClientKey): Promise<{ config: client.Configuration; key: ClientKey; clientId: string }> {
  const clientKey = key ?? await generateClientKey();
  const registered = await seedClient(server, { jwks: clientKey.jwks });
  expect(registered).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt' });
  expect(registered.client_secret).toBeUndefined();
  return { config: await discoverWithKey(server, registered.client_id, clientKey), key: clientKey, clientId: registered.client_id };
}

/** The OAuth error of a failed openid-client call (`error` of the body or of the WWW-Authenticate challenge). */
async function oauthError(call: Promise<unknown>): Promise<{ error: string; description: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return { error: error.error, description: error.error_description ?? '' };
    if (error instanceof client.WWWAuthenticateChallengeError) {
      const parameters = error.cause[0]?.parameters ?? {};
      return { error: parameters.error ?? '', description: parameters.error_description ?? '' };
    }
    throw error;
  }
  throw new Error('the call succeeded');
}

describe('discovery under SECURITY_PROFILE=fapi2', () => {
  test('advertises PAR required, private_key_jwt only, code only, S256 and the FAPI 2.0 algorithms only', async () => {
    const metadata = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(metadata).toMatchObject({
      require_pushed_authorization_requests: true,
      pushed_authorization_request_endpoint: `${server.issuer}/request`,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect([...metadata.token_endpoint_auth_signing_alg_values_supported as string[]].sort()).toEqual([...FAPI2_SIGNING_ALGORITHMS].sort());
    expect([...metadata.dpop_signing_alg_values_supported as string[]].sort()).toEqual([...FAPI2_DPOP_ALGORITHMS].sort());
    for (const field of Object.keys(metadata).filter((name) => name.endsWith('signing_alg_values_supported'))) {
      for (const alg of metadata[field] as string[]) expect({ field, alg, allowed: (FAPI2_SIGNING_ALGORITHMS as readonly string[]).includes(alg) }).toEqual({ field, alg, allowed: true });
    }
  });
});

describe('the whole flow under fapi2: PAR + private_key_jwt + DPoP through openid-client', () => {
  test('gives a DPoP-bound RFC 9068 access token; refresh, introspection and revocation work with the key', async () => {
    const { config, clientId } = await keyClient();
    const { keyPair, jkt } = await dpopKey();
    const dpop = client.getDPoPHandle(config, keyPair);
    const flow = await authorize(server, config, alice, { scope: SCOPE, par: true, dpop });
    expect(flow.callbackUrl.searchParams.get('iss')).toBe(server.issuer);
    const tokens = await exchange(config, flow, dpop);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ aud: RESOURCE, sub: alice.sub, client_id: clientId, cnf: { jkt } });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string, undefined, { DPoP: dpop });
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt });
    expect(await introspect(config, refreshed.access_token)).toMatchObject({ active: true, client_id: clientId, token_type: 'DPoP', cnf: { jkt } });
    await client.tokenRevocation(config, refreshed.refresh_token as string);
    expect((await introspect(config, refreshed.access_token)).active).toBe(false);
  });

  test('authorization codes live at most 60 seconds (FAPI 2.0 §5.3.1.2)', async () => {
    const { config } = await keyClient();
    const flow = await authorize(server, config, alice, { scope: SCOPE, par: true });
    const code = flow.callbackUrl.searchParams.get('code') as string;
    const { rows } = await server.database.db.raw<{ rows: Array<{ ttl: number; lifetime: number }> }>(
      `SELECT extract(epoch FROM expires_at - now())::float AS ttl, (payload->>'exp')::int - (payload->>'iat')::int AS lifetime
         FROM auth.oidc_store WHERE model = 'AuthorizationCode'
        ORDER BY expires_at DESC LIMIT 1`);
    expect(code).toEqual(expect.any(String));
    expect(rows[0]?.lifetime).toBe(60);
    expect(rows[0]?.ttl).toBeLessThanOrEqual(60);
  });
});

describe('what fapi2 refuses', () => {
  test('an authorization request without PAR', async () => {
    const { config } = await keyClient();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: SCOPE, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: client.randomState(),
    });
    const step = await new UserAgent().follow(url.toString(), server.issuer);
    expect(step.response).toBeUndefined();
    const callback = new URL(step.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(Object.fromEntries(callback.searchParams)).toMatchObject({ error: 'invalid_request', error_description: 'Pushed Authorization Request must be used' });
    expect(callback.searchParams.get('code')).toBeNull();
  });

  test('a client_secret_basic client at the token endpoint and at PAR (invalid_client)', async () => {
    const registered = await seedClient(server, { scope: 'accounts:read' });
    expect(registered.token_endpoint_auth_method).toBe('client_secret_basic');
    const config = await discover(server, registered);
    expect(await clientCredentialsOutcome(config)).toEqual({ error: 'invalid_client' });
    const par = await oauthError(client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT_URI, scope: 'accounts:read', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    }));
    expect(par.error).toBe('invalid_client');
  });

  test('a token request without a DPoP proof (authorization code and client credentials)', async () => {
    const { config } = await keyClient();
    const flow = await authorize(server, config, alice, { scope: SCOPE, par: true });
    expect((await oauthError(exchange(config, flow))).error).toBe('invalid_grant');
    expect((await oauthError(client.clientCredentialsGrant(config, { scope: 'webhooks:manage' }))).error).toBe('invalid_grant');
    // Refused for the missing proof alone, before the code was spent: the same code with a proof works.
    const tokens = await exchange(config, flow, client.getDPoPHandle(config, (await dpopKey()).keyPair));
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
  });

  test('a DPoP proof for another key than the one the code was pushed with', async () => {
    const { config } = await keyClient();
    const pushedWith = client.getDPoPHandle(config, (await dpopKey()).keyPair);
    const other = client.getDPoPHandle(config, (await dpopKey()).keyPair);
    const flow = await authorize(server, config, alice, { scope: SCOPE, par: true, dpop: pushedWith });
    expect((await oauthError(exchange(config, flow, other))).error).toBe('invalid_grant');
  });

  test('a client assertion signed with RS256 (only PS256, ES256, EdDSA)', async () => {
    const { config } = await keyClient(await generateClientKey('RS256'));
    const dpop = client.getDPoPHandle(config, (await dpopKey()).keyPair);
    expect((await oauthError(client.clientCredentialsGrant(config, { scope: 'webhooks:manage' }, { DPoP: dpop }))).error).toBe('invalid_client');
  });

  test('response types other than code, at PAR', async () => {
    const { config } = await keyClient();
    const refusal = await oauthError(client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT_URI, scope: SCOPE, response_type: 'code id_token', nonce: client.randomNonce(),
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    }));
    expect(refusal.error).toBe('unsupported_response_type');
  });

  test('a client whose stored metadata says dpop_bound_access_tokens false still needs DPoP', async () => {
    const { config, clientId } = await keyClient();
    await server.database.db.raw(
      `UPDATE auth.oidc_store SET payload = payload || '{"dpop_bound_access_tokens": false}'::jsonb WHERE model = 'Client' AND id = ?`, [clientId]);
    expect((await oauthError(client.clientCredentialsGrant(config, { scope: 'webhooks:manage' }))).error).toBe('invalid_grant');
    const dpop = client.getDPoPHandle(config, (await dpopKey()).keyPair);
    expect(decodeJwt((await client.clientCredentialsGrant(config, { scope: 'webhooks:manage' }, { DPoP: dpop })).access_token).cnf).toBeDefined();
  });
});

describe('dynamic registration under fapi2 (RFC 7591)', () => {
  async function register(metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const token = (await createInitialAccessToken(server.database.db)).initial_access_token;
    const response = await fetch(`${server.issuer}/reg`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(metadata),
    });
    return { status: response.status, body: await response.json() as Record<string, unknown> };
  }
  const base = { client_name: 'FAPI Partner', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'client_credentials'], scope: 'openid accounts:read webhooks:manage' };

  test('registers a private_key_jwt client with inline jwks, DPoP-bound, without a secret; it gets tokens with its key', async () => {
    const key = await generateClientKey('EdDSA');
    const answer = await register({ ...base, token_endpoint_auth_method: 'private_key_jwt', jwks: key.jwks, dpop_bound_access_tokens: false });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', dpop_bound_access_tokens: true, require_pushed_authorization_requests: true });
    expect(answer.body.client_secret).toBeUndefined();
    const config = await discoverWithKey(server, answer.body.client_id as string, key);
    const dpop = client.getDPoPHandle(config, (await dpopKey()).keyPair);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'webhooks:manage' }, { DPoP: dpop }).catch((error: unknown) => {
      throw new Error(JSON.stringify(error instanceof client.ResponseBodyError ? error.cause : error));
    });
    expect(decodeJwt(tokens.access_token).client_id).toBe(answer.body.client_id);
  });

  test.each([
    ['client_secret_basic', { token_endpoint_auth_method: 'client_secret_basic' }, /token_endpoint_auth_method must be private_key_jwt/],
    ['no jwks', { token_endpoint_auth_method: 'private_key_jwt' }, /jwks is required/],
    ['a jwks_uri', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://partner.example/jwks.json' }, /jwks_uri is not accepted/],
    ['a private key in jwks', { jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }] } }, /private key material/],
  ])('refuses %s with invalid_client_metadata', async (_label, change, description) => {
    const answer = await register({ ...base, ...change });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringMatching(description) });
  });
});
