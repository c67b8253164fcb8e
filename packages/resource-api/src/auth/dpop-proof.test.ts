import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { AccessToken } from './access-token.ts';
import { createDpopProofVerifier } from './dpop-proof.ts';

const PUBLIC_URL = 'http://api.test';
const WINDOW_SECONDS = 60;

describe('DPoP proof replay', () => {
  // Regression (review 2026-11-29): a jti was remembered for 2 x window from first use, while a
  // proof stays acceptable until iat + window measured in whole seconds, so a proof whose iat was
  // ahead of the server clock could be replayed once, exactly at first use + 120 s.
  test('a proof is refused as replayed for as long as its iat would still pass, including the last second', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const raw = 'header.payload.signature';
    const token = { raw, jkt: await calculateJwkThumbprint(jwk) } as AccessToken;
    const startMs = 1_800_000_000_000;
    let nowMs = startMs;
    const verify = createDpopProofVerifier({ publicUrl: PUBLIC_URL, windowSeconds: WINDOW_SECONDS, now: () => nowMs });
    const iat = startMs / 1000 + WINDOW_SECONDS;
    const proof = await new SignJWT({ htm: 'GET', htu: `${PUBLIC_URL}/v1/accounts`, jti: 'proof-1', ath: createHash('sha256').update(raw).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .setIssuedAt(iat)
      .sign(privateKey);
    const request = { method: 'GET', originalUrl: '/v1/accounts', proofs: [proof] };
    await expect(verify(request, token)).resolves.toBeUndefined();
    for (const laterSeconds of [1, 59, 119, 120]) {
      nowMs = startMs + laterSeconds * 1000;
      await expect(verify(request, token)).rejects.toThrow(/already used/);
    }
    nowMs = startMs + 121_000;
    await expect(verify(request, token)).rejects.toThrow(/too old/);
  });
});
