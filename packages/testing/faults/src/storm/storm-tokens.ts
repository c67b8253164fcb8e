import { randomBytes, randomInt } from 'node:crypto';
import { SignJWT, base64url, decodeJwt, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import type { PrivateJwk } from '@payapi/auth-server';

/** The kinds of bad token the storm sends; each must be refused with 401 invalid_token. */
export const STORM_KINDS = [
  'random kid, unknown key',
  'no kid, unknown key',
  'real kid, unknown key',
  'alg none',
  'HS256 keyed with the public key',
  'expired, real key',
  'wrong audience, real key',
  'garbage',
] as const;
export type StormKind = (typeof STORM_KINDS)[number];

/** Signs the storm's tokens: claims copied from a real token, keys real or made up. */
export interface StormTokenMaker {
  make(kind: StormKind): Promise<string>;
}

/**
 * @param realToken an access token from the code flow (its claims are reused, so that only the
 *   property under test is wrong)
 * @param realKey the authorization server's signing key (private JWK), to sign tokens whose
 *   signature is right and whose claims are not
 */
export async function stormTokenMaker(realToken: string, realKey: PrivateJwk): Promise<StormTokenMaker> {
  const claims: JWTPayload = decodeJwt(realToken);
  const signingKey = await importJWK(realKey, 'ES256') as CryptoKey;
  const strangers = await Promise.all(Array.from({ length: 8 }, async () => (await generateKeyPair('ES256')).privateKey));
  const now = (): number => Math.floor(Date.now() / 1000);
  const stranger = (): CryptoKey => strangers[randomInt(strangers.length)] as CryptoKey;
  const fresh = (): JWTPayload => ({ ...claims, iat: now(), exp: now() + 300, jti: randomBytes(16).toString('base64url') });
  const header = { alg: 'ES256', typ: 'at+jwt' };
  const { d: _private, ...publicJwk } = realKey;
  const hmacSecret = new TextEncoder().encode(JSON.stringify(publicJwk));
  return {
    async make(kind) {
      switch (kind) {
        case 'random kid, unknown key':
          return new SignJWT(fresh()).setProtectedHeader({ ...header, kid: randomBytes(randomInt(1, 40)).toString('base64url') }).sign(stranger());
        case 'no kid, unknown key':
          return new SignJWT(fresh()).setProtectedHeader(header).sign(stranger());
        case 'real kid, unknown key':
          return new SignJWT(fresh()).setProtectedHeader({ ...header, kid: realKey.kid }).sign(stranger());
        case 'alg none':
          return `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: realKey.kid }))}.${base64url.encode(JSON.stringify(fresh()))}.`;
        case 'HS256 keyed with the public key':
          return new SignJWT(fresh()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: realKey.kid }).sign(hmacSecret);
        case 'expired, real key':
          return new SignJWT({ ...fresh(), iat: now() - 400 - randomInt(100_000), exp: now() - 31 - randomInt(100_000) })
            .setProtectedHeader({ ...header, kid: realKey.kid }).sign(signingKey);
        case 'wrong audience, real key':
          return new SignJWT({ ...fresh(), aud: 'https://another-api.example' }).setProtectedHeader({ ...header, kid: realKey.kid }).sign(signingKey);
        case 'garbage':
          return garbage();
      }
    },
  };
}

/** Token-shaped or not: random base64url parts, wrong part counts, a JSON header that is not one. */
function garbage(): string {
  const part = (): string => randomBytes(randomInt(0, 200)).toString('base64url');
  switch (randomInt(5)) {
    case 0:
      return `${part()}.${part()}.${part()}`;
    case 1:
      return Array.from({ length: randomInt(1, 7) }, part).join('.');
    case 2:
      return `${base64url.encode('{"alg":"ES256","kid":')}.${part()}.${part()}`;
    case 3:
      return `${base64url.encode(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: { $ne: null } }))}.${part()}.${part()}`;
    default:
      return randomBytes(randomInt(1, 3_000)).toString('base64url');
  }
}
