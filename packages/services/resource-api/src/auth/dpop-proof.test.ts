import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { AccessToken } from './access-token.ts';
import { claimDpopProof, createDpopProofVerifier } from './dpop-proof.ts';
import { createMemoryDpopReplayStore } from './dpop-replay-store.ts';

const PUBLIC_URL = 'http://api.test';
const AGE_MAX_SECONDS = 60;
const FUTURE_SKEW_SECONDS = 5;
const START_MS = 1_800_000_000_000;

async function setUp() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const raw = 'header.payload.signature';
  const token = { raw, jkt: await calculateJwkThumbprint(jwk), clientId: 'client-1', subject: 'user-1' } as AccessToken;
  const clock = { nowMs: START_MS };
  const verify = createDpopProofVerifier({ publicUrl: PUBLIC_URL, ageMaxSeconds: AGE_MAX_SECONDS, futureSkewSeconds: FUTURE_SKEW_SECONDS, now: () => clock.nowMs });
  const store = createMemoryDpopReplayStore(undefined, () => clock.nowMs);
  const proof = (iat: number, jti = 'proof-1') => new SignJWT({ htm: 'GET', htu: `${PUBLIC_URL}/v1/accounts`, jti, ath: createHash('sha256').update(raw).digest('base64url') })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .setIssuedAt(iat)
    .sign(privateKey);
  const check = (proofJwt: string) => verify({ method: 'GET', originalUrl: '/v1/accounts', proofs: [proofJwt] }, token);
  const use = async (proofJwt: string) => claimDpopProof(store, await check(proofJwt));
  return { clock, proof, use, check, store };
}

describe('DPoP proof age and replay', () => {
  // Regression (review 2026-11-29): a jti was remembered for 2 x window from first use, while a
  // proof stays acceptable until iat + window measured in whole seconds.
  test('a proof is refused as replayed for as long as its iat would still pass, including the last second', async () => {
    const { clock, proof, use } = await setUp();
    const iat = START_MS / 1000 + FUTURE_SKEW_SECONDS;
    const once = await proof(iat);
    await expect(use(once)).resolves.toBeUndefined();
    for (const laterSeconds of [1, 59, 64, 65]) {
      clock.nowMs = START_MS + laterSeconds * 1000 + 999;
      await expect(use(once)).rejects.toThrow(/already used/);
    }
    clock.nowMs = START_MS + 66_000;
    await expect(use(once)).rejects.toThrow(/too old/);
  });

  test('finding 1 (security review, docs/security.md): a proof at most 5 s ahead of the server clock passes; 6 s or the review\'s 55 s ahead is refused', async () => {
    const { proof, use } = await setUp();
    const nowSeconds = START_MS / 1000;
    await expect(use(await proof(nowSeconds + 5, 'ahead-5'))).resolves.toBeUndefined();
    await expect(use(await proof(nowSeconds + 6, 'ahead-6'))).rejects.toThrow(/from the future/);
    await expect(use(await proof(nowSeconds + 55, 'ahead-55'))).rejects.toThrow(/from the future/);
  });

  test('finding 1, review of the fix: a request whose headers came while its proof was fresh but whose body came later cannot claim the proof again', async () => {
    const { clock, proof, check, store } = await setUp();
    const old = await proof(START_MS / 1000 - 50);
    // Five requests with the same proof: each one's credentials are checked when its headers arrive…
    const uses = [];
    for (let index = 0; index < 5; index += 1) uses.push(await check(old));
    // …and each claims the proof when its body has arrived: at once, then 13, 15, 17 and 19 s later.
    await expect(claimDpopProof(store, uses[0]!)).resolves.toBeUndefined();
    for (const [index, laterSeconds] of [[1, 13], [2, 15], [3, 17], [4, 19]] as const) {
      clock.nowMs = START_MS + laterSeconds * 1000;
      await expect(claimDpopProof(store, uses[index]!)).rejects.toThrow(/too old/);
    }
  });
});

describe('claimDpopProof with a store answer it does not know', () => {
  test('attack review of issue 15: an unknown outcome refuses the proof with 503 rather than serving it unrecorded', async () => {
    const store = { claim: async () => 'stored_somewhere_else' } as unknown as Parameters<typeof claimDpopProof>[0];
    const use = { jkt: 'k', jti: 'j', clientId: 'c', subject: 's', rememberUntilMs: Date.now() + 60_000 };
    await expect(claimDpopProof(store, use)).rejects.toMatchObject({ status: 503, code: 'temporarily_unavailable' });
  });
});
