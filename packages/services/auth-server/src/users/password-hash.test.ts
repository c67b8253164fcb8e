import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { describe, expect, test } from '@jest/globals';
import {
  DUMMY_PASSWORD_HASH, PASSWORD_HASHES_AT_ONCE, PASSWORD_HASH_PARAMETERS, hashPassword, parseHash, passwordHashNeedsUpgrade, passwordHashesInProgress, verifyPassword,
} from './password-hash.ts';

/** Cheap parameters, so that most tests do not pay the full cost per hash. */
const CHEAP = { algorithm: 'argon2id', memoryKiB: 64, passes: 1, parallelism: 1 } as const;
/**
 * Written by the Argon2 reference implementation's CLI (Debian package `argon2`), not by this module:
 * `echo -n password | argon2 somesaltsomesalt -id -t 2 -k 64 -p 1 -l 32 -e`.
 */
const PINNED_ARGON2ID = '$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Gpj7qOY5RCXJvcMzqcdQqvgR3wcPX7SleI4c9NtXk6E';
/** scrypt, as hashes were written before Argon2id (they must keep verifying). */
const OLD_SCRYPT = { algorithm: 'scrypt', log2N: 10, r: 8, p: 1 } as const;

describe('hashPassword', () => {
  test('writes an Argon2id PHC string with the OWASP parameters, a 16-byte salt and a 32-byte key', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(encoded).not.toContain('correct horse');
    const { parameters, salt, key } = parseHash(encoded);
    expect(parameters).toEqual({ algorithm: 'argon2id', memoryKiB: 19_456, passes: 2, parallelism: 1 });
    expect(salt).toHaveLength(16);
    expect(key).toHaveLength(32);
    expect(await verifyPassword('correct horse battery staple', encoded)).toBe(true);
  });

  test('uses a fresh salt each time, so one password gives different hashes', async () => {
    const first = await hashPassword('same password', CHEAP);
    const second = await hashPassword('same password', CHEAP);
    expect(first).not.toBe(second);
    expect(parseHash(first).salt.equals(parseHash(second).salt)).toBe(false);
  });

  test('refuses parameters out of bounds', async () => {
    await expect(hashPassword('password', { algorithm: 'scrypt', log2N: 30, r: 8, p: 1 })).rejects.toThrow(/out of bounds/);
    await expect(hashPassword('password', { algorithm: 'scrypt', log2N: 10, r: 0, p: 1 })).rejects.toThrow(/out of bounds/);
    await expect(hashPassword('password', { algorithm: 'argon2id', memoryKiB: 1_048_576, passes: 2, parallelism: 1 })).rejects.toThrow(/out of bounds/);
    await expect(hashPassword('password', { algorithm: 'argon2id', memoryKiB: 8, passes: 1, parallelism: 2 })).rejects.toThrow(/out of bounds/);
    await expect(hashPassword('password', { algorithm: 'argon2id', memoryKiB: 64, passes: 0, parallelism: 1 })).rejects.toThrow(/out of bounds/);
    // Within each single bound before, yet 16 GiB or 135 times the work: refused as a whole.
    expect(() => parseHash('$scrypt$ln=22,r=32,p=16$tPiA2fLuZleAgWjf+KHlEQ$VX3LyEtVWcoFTQUgQ7YBwvBXjwtW9/LRmX6qK5Fh/IE')).toThrow(/out of bounds/);
    expect(() => parseHash('$scrypt$ln=17,r=16,p=16$tPiA2fLuZleAgWjf+KHlEQ$VX3LyEtVWcoFTQUgQ7YBwvBXjwtW9/LRmX6qK5Fh/IE')).toThrow(/out of bounds/);
    expect(() => parseHash('$argon2id$v=19$m=262144,t=20,p=16$tPiA2fLuZleAgWjf+KHlEQ$VX3LyEtVWcoFTQUgQ7YBwvBXjwtW9/LRmX6qK5Fh/IE')).toThrow(/out of bounds/);
    expect(parseHash(DUMMY_PASSWORD_HASH).parameters).toEqual(PASSWORD_HASH_PARAMETERS);
  });
});

describe('verifyPassword', () => {
  test('accepts the password and refuses any other, however close', async () => {
    const encoded = await hashPassword('wonderland', CHEAP);
    expect(await verifyPassword('wonderland', encoded)).toBe(true);
    expect(await verifyPassword('Wonderland', encoded)).toBe(false);
    expect(await verifyPassword('wonderland ', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  test('matches the composed and decomposed forms of a password (NFC first)', async () => {
    const encoded = await hashPassword('caf\u00e9-au-lait', CHEAP);
    expect(await verifyPassword('cafe\u0301-au-lait', encoded)).toBe(true);
  });

  test('verifies with the function and parameters written in the hash, not the current ones', async () => {
    const encoded = await hashPassword('old password', { algorithm: 'scrypt', log2N: 11, r: 4, p: 2 });
    expect(encoded.startsWith('$scrypt$ln=11,r=4,p=2$')).toBe(true);
    expect(await verifyPassword('old password', encoded)).toBe(true);
    expect(await verifyPassword('old passwore', encoded)).toBe(false);
    const argon = await hashPassword('old password', { algorithm: 'argon2id', memoryKiB: 128, passes: 3, parallelism: 2 });
    expect(argon.startsWith('$argon2id$v=19$m=128,t=3,p=2$')).toBe(true);
    expect(await verifyPassword('old password', argon)).toBe(true);
  });

  test('verifies a hash made by the reference implementation (the argon2 command-line tool)', async () => {
    expect(await verifyPassword('password', PINNED_ARGON2ID)).toBe(true);
    expect(await verifyPassword('Password', PINNED_ARGON2ID)).toBe(false);
  });

  test('throws on a corrupt hash instead of answering false', async () => {
    await expect(verifyPassword('x', 'plain-text-password')).rejects.toThrow(/not an argon2id or scrypt PHC string/);
    await expect(verifyPassword('x', '$argon2i$v=19$m=64,t=1,p=1$tPiA2fLuZleAgWjf+KHlEQ$VX3LyEtVWcoFTQUgQ7YBwvBXjwtW9/LRmX6qK5Fh/IE')).rejects.toThrow(/not an argon2id/);
    await expect(verifyPassword('x', '$argon2id$v=19$m=9999999,t=1,p=1$tPiA2fLuZleAgWjf+KHlEQ$VX3LyEtVWcoFTQUgQ7YBwvBXjwtW9/LRmX6qK5Fh/IE')).rejects.toThrow(/out of bounds/);
    await expect(verifyPassword('x', '$scrypt$ln=40,r=8,p=1$tPiA2fLuZleAgWjf+KHlEQ$VX3LyEtVWcoFTQUgQ7YBwvBXjwtW9/LRmX6qK5Fh/IE')).rejects.toThrow(/out of bounds/);
  });
});

describe('passwordHashNeedsUpgrade', () => {
  test('is true for other parameters and false for the current ones', async () => {
    expect(passwordHashNeedsUpgrade(await hashPassword('password', CHEAP))).toBe(true);
    expect(passwordHashNeedsUpgrade(await hashPassword('password', OLD_SCRYPT))).toBe(true);
    expect(passwordHashNeedsUpgrade(DUMMY_PASSWORD_HASH)).toBe(false);
  });
});

describe('DUMMY_PASSWORD_HASH', () => {
  test('has the current parameters, so verifying against it costs what a real verification costs', () => {
    expect(parseHash(DUMMY_PASSWORD_HASH).parameters).toEqual(PASSWORD_HASH_PARAMETERS);
  });

  test('matches no likely password', async () => {
    expect(await verifyPassword('', DUMMY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword(randomBytes(32).toString('hex'), DUMMY_PASSWORD_HASH)).toBe(false);
  });
});

describe('hashes at once (issue 18: memory)', () => {
  test('at most half the cores hash at once (one on 2 cores); the others wait their turn and all finish', async () => {
    const cores = PASSWORD_HASHES_AT_ONCE;
    expect(cores).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
    const started = Array.from({ length: cores + 4 }, (_, index) => hashPassword(`password-${index}`));
    // p-limit starts the first ones on a microtask: look once those have been queued.
    await Promise.resolve();
    await Promise.resolve();
    expect(passwordHashesInProgress()).toEqual({ running: cores, waiting: 4 });
    const hashes = await Promise.all(started);
    expect(new Set(hashes).size).toBe(cores + 4);
    expect(passwordHashesInProgress()).toEqual({ running: 0, waiting: 0 });
    expect(await verifyPassword('password-3', hashes[3] as string)).toBe(true);
  });
});
