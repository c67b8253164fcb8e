import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { ApiProblem } from '../errors/problem.ts';
import { InvalidTokenError, createAccessTokenVerifier } from './access-token.ts';

const AUDIENCE = 'http://127.0.0.1:4001';
/** A JWKS endpoint whose keys the test changes, counting its requests; `delayMs` makes it slow. */
let jwksServer: Server;
let issuer: string;
let published: JWK[] = [];
let fetches = 0;
let delayMs = 0;

async function newKey(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

function sign(key: { privateKey: CryptoKey; jwk: JWK }, kid = key.jwk.kid as string): Promise<string> {
  return new SignJWT({ sub: 'user-1', client_id: 'client-1', jti: `jti-${Math.random()}`, scope: 'accounts:read', account_ids: [] })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuer(issuer).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('5m')
    .sign(key.privateKey);
}

beforeAll(async () => {
  jwksServer = createServer((_req, res) => {
    fetches += 1;
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published })), delayMs);
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  jwksServer.closeAllConnections();
  await new Promise((resolve) => jwksServer.close(resolve));
});

function verifier(cooldownMs: number, timeoutMs = 1_000): ReturnType<typeof createAccessTokenVerifier> {
  return createAccessTokenVerifier({ issuer, audience: AUDIENCE, clockToleranceSeconds: 30, jwks: { timeoutMs, cooldownMs, cacheMaxAgeMs: 60_000 } });
}

describe('createAccessTokenVerifier and the JWKS', () => {
  test('a flood of unknown kids fetches the JWKS at most once per cooldown', async () => {
    const known = await newKey('k1');
    published = [known.jwk];
    delayMs = 0;
    const verify = verifier(60_000);
    expect((await verify(await sign(known))).subject).toBe('user-1');
    fetches = 0;
    const stranger = await newKey('k-random');
    const results = await Promise.allSettled(Array.from({ length: 50 }, async (_unused, index) => verify(await sign(stranger, `random-${index}`))));
    expect(results.every((result) => result.status === 'rejected' && result.reason instanceof InvalidTokenError)).toBe(true);
    expect(fetches).toBe(0);
  });

  test('a token signed with a key published after a rotation is accepted after one refetch', async () => {
    const old = await newKey('old');
    published = [old.jwk];
    delayMs = 0;
    const verify = verifier(100);
    await verify(await sign(old));
    const rotated = await newKey('new');
    published = [rotated.jwk, old.jwk];
    await new Promise((resolve) => setTimeout(resolve, 150));
    fetches = 0;
    expect((await verify(await sign(rotated))).clientId).toBe('client-1');
    expect(fetches).toBe(1);
  });

  test('a JWKS slower than the timeout is a 503, not an invalid token', async () => {
    const key = await newKey('slow');
    published = [key.jwk];
    delayMs = 300;
    const verify = verifier(0, 50);
    await expect(verify(await sign(key))).rejects.toMatchObject({ status: 503, code: 'authorization_server_unavailable' });
    await expect(verify(await sign(key))).rejects.toBeInstanceOf(ApiProblem);
  });
});

describe('the verified-token cache', () => {
  test('a token verified once is not checked again (no JWKS fetch), a changed token is', async () => {
    const key = await newKey('k-cache');
    published = [key.jwk];
    delayMs = 0;
    // Keys go stale after 1 ms: every real verification fetches the JWKS again.
    const verify = createAccessTokenVerifier({ issuer, audience: AUDIENCE, clockToleranceSeconds: 30, jwks: { timeoutMs: 1_000, cooldownMs: 0, cacheMaxAgeMs: 1 } });
    const token = await sign(key);
    fetches = 0;
    const first = await verify(token);
    expect(fetches).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await verify(token)).toBe(first);
    expect(fetches).toBe(1);
    // One character of the signature changed: a new verification, which fails.
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    await expect(verify(`${token.slice(0, -2)}${last}${token.at(-1)}`)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(fetches).toBe(2);
    const other = await sign(key);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await verify(other)).jti).not.toBe(first.jti);
    expect(fetches).toBe(3);
  });

  test('a cached token is refused once it expires (exp plus the tolerance)', async () => {
    const key = await newKey('k-expiry');
    published = [key.jwk];
    const verify = createAccessTokenVerifier({ issuer, audience: AUDIENCE, clockToleranceSeconds: 0, jwks: { timeoutMs: 1_000, cooldownMs: 0, cacheMaxAgeMs: 60_000 } });
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const token = await new SignJWT({ sub: 'user-1', client_id: 'client-1', jti: 'jti-expiring', scope: 'accounts:read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k-expiry' })
      .setIssuer(issuer).setAudience(AUDIENCE).setIssuedAt().setExpirationTime(expiresAt)
      .sign(key.privateKey);
    expect((await verify(token)).expiresAt).toBe(expiresAt);
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    await expect(verify(token)).rejects.toThrow('the access token has expired');
  });

  test('with verifiedTokensCached 0 every call verifies', async () => {
    const key = await newKey('k-nocache');
    published = [key.jwk];
    const verify = createAccessTokenVerifier({
      issuer, audience: AUDIENCE, clockToleranceSeconds: 30, jwks: { timeoutMs: 1_000, cooldownMs: 0, cacheMaxAgeMs: 1 }, verifiedTokensCached: 0,
    });
    const token = await sign(key);
    fetches = 0;
    await verify(token);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await verify(token);
    expect(fetches).toBe(2);
  });
});

describe('token lifetime', () => {
  test('a token older than 300 s (plus tolerance) is refused whatever its exp says; a long exp alone is not enough', async () => {
    const key = await newKey('k-age');
    published = [key.jwk];
    const verify = createAccessTokenVerifier({ issuer, audience: AUDIENCE, clockToleranceSeconds: 30, jwks: { timeoutMs: 1_000, cooldownMs: 0, cacheMaxAgeMs: 60_000 } });
    const now = Math.floor(Date.now() / 1000);
    const signed = (iat: number): Promise<string> => new SignJWT({ sub: 'user-1', client_id: 'client-1', jti: `jti-${iat}`, scope: 'accounts:read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k-age' })
      .setIssuer(issuer).setAudience(AUDIENCE).setIssuedAt(iat).setExpirationTime(now + 10 * 365 * 86_400)
      .sign(key.privateKey);
    expect((await verify(await signed(now - 320))).jti).toBe(`jti-${now - 320}`);
    await expect(verify(await signed(now - 340))).rejects.toThrow('the access token has expired');
  });
});
