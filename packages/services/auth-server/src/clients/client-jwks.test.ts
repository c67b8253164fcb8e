import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { ClientJwksError, checkClientJwks } from './client-jwks.ts';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPublic = { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', use: 'sig' };
const rsaPublic = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
const edPublic = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });

describe('checkClientJwks (keys for private_key_jwt)', () => {
  test('accepts EC P-256, RSA 2048 and Ed25519 public keys, returned as given', () => {
    const jwks = { keys: [ecPublic, rsaPublic, edPublic] };
    expect(checkClientJwks(jwks)).toEqual(jwks);
  });

  test.each([
    ['not an object', [ecPublic], /JSON object/],
    ['no keys', {}, /1 to 10 keys/],
    ['an empty key list', { keys: [] }, /1 to 10 keys/],
    ['eleven keys', { keys: Array.from({ length: 11 }, () => ecPublic) }, /1 to 10 keys/],
    ['a private EC key', { keys: [ec.privateKey.export({ format: 'jwk' })] }, /key 0 holds private key material \(d\)/],
    ['a symmetric key', { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, /private key material \(k\)/],
    ['a key for encryption', { keys: [{ ...ecPublic, use: 'enc' }] }, /use must be "sig"/],
    ['two keys with one kid', { keys: [ecPublic, { ...edPublic, kid: 'ec-1' }] }, /kid "ec-1" is used twice/],
    ['a secp256k1 key', { keys: [{ ...ecPublic, crv: 'secp256k1' }] }, /crv must be one of P-256/],
    ['an EC point not on the curve', { keys: [{ ...ecPublic, x: 'AAAA' }] }, /key 0 is not a valid EC public key/],
    ['a 1024-bit RSA key', { keys: [generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' })] }, /at least 2048 bits/],
  ])('refuses %s', (_label, jwks, message) => {
    expect(() => checkClientJwks(jwks)).toThrow(ClientJwksError);
    expect(() => checkClientJwks(jwks)).toThrow(message);
  });
});
