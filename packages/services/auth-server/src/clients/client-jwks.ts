import { createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';

/** A client's public keys for `private_key_jwt` (RFC 7523 §2.2; RFC 7591 §2 `jwks`). */
export interface ClientJwks {
  keys: JsonWebKey[];
}

/** At most this many keys per client (two during a rotation is the usual case). */
export const CLIENT_JWKS_KEYS_MAX = 10;
/** Smallest RSA modulus accepted, bits (FAPI 2.0 Security Profile §5.4.1: 2048). */
export const RSA_MODULUS_BITS_MIN = 2048;
/** Curves accepted: P-256 (ES256) and Ed25519 (EdDSA), the FAPI 2.0 algorithms' curves, and P-384/P-521. */
const CURVES: Readonly<Record<string, ReadonlySet<string>>> = {
  EC: new Set(['P-256', 'P-384', 'P-521']),
  OKP: new Set(['Ed25519']),
};
/** Members that only a private key (or a symmetric key) has: a registered JWKS must hold none of them (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const KID_LENGTH_MAX = 200;

/** Why a JWKS cannot be registered, in words that name the key (its index and kid). */
export class ClientJwksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientJwksError';
  }
}

/**
 * Checks a client's JWKS for `private_key_jwt` as given to `clients:create --jwks-file` or to
 * dynamic registration (RFC 7591 `jwks`): an object `{ "keys": [...] }` of 1 to 10 public signing
 * keys, each an RSA (modulus of 2048 bits or more), EC (P-256, P-384, P-521) or OKP (Ed25519) key
 * that Node's crypto imports, without private members (`d`…) and with distinct `kid`s when given;
 * `use`, when present, is `sig`. A key that only the token endpoint would find broken (at every
 * request, as `invalid_client`) is refused here, once.
 *
 * @returns the JWKS as given (its keys' members unchanged)
 * @throws {ClientJwksError} naming the first key refused and why
 */
export function checkClientJwks(value: unknown): ClientJwks {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ClientJwksError('the JWKS must be a JSON object { "keys": [...] }');
  const { keys } = value as { keys?: unknown };
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > CLIENT_JWKS_KEYS_MAX) {
    throw new ClientJwksError(`the JWKS must hold 1 to ${CLIENT_JWKS_KEYS_MAX} keys in "keys"`);
  }
  const kids = new Set<string>();
  keys.forEach((key: unknown, index) => {
    const name = `key ${index}`;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new ClientJwksError(`${name} is not a JSON object`);
    const jwk = key as Record<string, unknown>;
    const leaked = PRIVATE_MEMBERS.filter((member) => member in jwk);
    if (leaked.length > 0) throw new ClientJwksError(`${name} holds private key material (${leaked.join(', ')}): register the public key only`);
    if (jwk.kid !== undefined) {
      if (typeof jwk.kid !== 'string' || jwk.kid.length < 1 || jwk.kid.length > KID_LENGTH_MAX) throw new ClientJwksError(`${name}: kid must be a string of 1 to ${KID_LENGTH_MAX} characters`);
      if (kids.has(jwk.kid)) throw new ClientJwksError(`${name}: kid ${JSON.stringify(jwk.kid)} is used twice`);
      kids.add(jwk.kid);
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') throw new ClientJwksError(`${name}: use must be "sig"`);
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') throw new ClientJwksError(`${name}: kty must be RSA, EC or OKP`);
    const curves = CURVES[jwk.kty];
    if (curves && !(typeof jwk.crv === 'string' && curves.has(jwk.crv))) {
      throw new ClientJwksError(`${name}: crv must be one of ${[...curves].join(', ')} for kty ${jwk.kty}`);
    }
    let modulusBits: number | undefined;
    try {
      modulusBits = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
    } catch {
      throw new ClientJwksError(`${name} is not a valid ${String(jwk.kty)} public key`);
    }
    if (jwk.kty === 'RSA' && (modulusBits ?? 0) < RSA_MODULUS_BITS_MIN) {
      throw new ClientJwksError(`${name}: an RSA key needs a modulus of at least ${RSA_MODULUS_BITS_MIN} bits`);
    }
  });
  return { keys: keys as JsonWebKey[] };
}
