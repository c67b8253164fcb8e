import { crc32 } from 'node:zlib';
import { describe, expect, test } from '@jest/globals';
import { CLIENT_SECRET_PREFIXES, generateClientSecret, isWellFormedClientSecret } from './client-secret-format.ts';
import { clientSecretMatches, hashClientSecret } from './client-secret-storage.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The checksum computed independently of the module: CRC32 of the prefix and random part, 6 base62 digits. */
function expectedChecksum(body: string): string {
  let value = crc32(body);
  let digits = '';
  while (value > 0) {
    digits = `${BASE62[value % 62]}${digits}`;
    value = Math.floor(value / 62);
  }
  return digits.padStart(6, '0');
}

/** Replaces the character at `index` with another base62 character. */
function tamper(secret: string, index: number): string {
  const original = secret[index] as string;
  const replacement = BASE62[(BASE62.indexOf(original) + 1) % 62] as string;
  return `${secret.slice(0, index)}${replacement}${secret.slice(index + 1)}`;
}

describe('client secret format', () => {
  test('a sandbox secret is sk_sandbox_, 43 base62 characters of randomness and a 6-character CRC32 of the rest', () => {
    const secret = generateClientSecret('sandbox');
    expect(secret).toMatch(/^sk_sandbox_[0-9A-Za-z]{49}$/);
    expect(secret).toHaveLength(60);
    expect(secret.slice(-6)).toBe(expectedChecksum(secret.slice(0, -6)));
    expect(isWellFormedClientSecret(secret)).toBe(true);
    expect(isWellFormedClientSecret(secret, 'sandbox')).toBe(true);
    expect(isWellFormedClientSecret(secret, 'live')).toBe(false);
  });

  test('a live secret starts with sk_live_ and is 57 characters', () => {
    const secret = generateClientSecret('live');
    expect(secret.startsWith(CLIENT_SECRET_PREFIXES.live)).toBe(true);
    expect(secret).toHaveLength(57);
    expect(isWellFormedClientSecret(secret, 'live')).toBe(true);
  });

  test('the random part carries 256 bits: a thousand secrets are all different and use the whole alphabet', () => {
    const secrets = Array.from({ length: 1000 }, () => generateClientSecret('sandbox'));
    expect(new Set(secrets).size).toBe(1000);
    const seen = new Set(secrets.flatMap((secret) => [...secret.slice(11, 54)]));
    expect(seen.size).toBe(62);
  });

  test('a tampered secret fails: any changed character of the random part or of the checksum', () => {
    const secret = generateClientSecret('sandbox');
    for (const index of [11, 30, 53, 54, 59]) expect(isWellFormedClientSecret(tamper(secret, index))).toBe(false);
  });

  test('refuses other prefixes, lengths, alphabets and types', () => {
    const secret = generateClientSecret('sandbox');
    const random = secret.slice(11, -6);
    const cases: unknown[] = [
      `sk_live_${secret.slice(11)}`, // the checksum covers the prefix
      `sk_test_${random}${expectedChecksum(`sk_test_${random}`)}`,
      `${secret}0`,
      secret.slice(0, -1),
      `sk_sandbox_${random.slice(0, -1)}-${secret.slice(-6)}`,
      `sk_sandbox_${'z'.repeat(43)}${expectedChecksum(`sk_sandbox_${'z'.repeat(43)}`)}`, // 62^43 - 1 is more than 256 bits
      '', undefined, 42, { secret },
    ];
    for (const value of cases) expect({ value, wellFormed: isWellFormedClientSecret(value) }).toEqual({ value, wellFormed: false });
  });
});

describe('secret verification against stored hashes', () => {
  test('the current secret matches, the previous one only until its end, anything else never', () => {
    const current = generateClientSecret('sandbox');
    const previous = generateClientSecret('sandbox');
    const verifiers = { current: hashClientSecret(current), previous: hashClientSecret(previous), previousExpiresAtMs: 1_000 };
    expect(clientSecretMatches(verifiers, current, 999)).toBe(true);
    expect(clientSecretMatches(verifiers, previous, 999)).toBe(true);
    expect(clientSecretMatches(verifiers, previous, 1_000)).toBe(false);
    expect(clientSecretMatches(verifiers, current, 1_000)).toBe(true);
    expect(clientSecretMatches(verifiers, tamper(current, 20), 0)).toBe(false);
    expect(clientSecretMatches({ current: hashClientSecret(current), previous: null, previousExpiresAtMs: null }, previous, 0)).toBe(false);
  });
});
