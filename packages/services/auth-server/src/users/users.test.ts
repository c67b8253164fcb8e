import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import type { TestDatabase } from '@payapi/platform/testing';
import { createAuthTestDatabase } from '../testing/index.ts';
import { UserError } from './errors.ts';
import { hashPassword, parseHash, verifyPassword } from './password-hash.ts';
import { createUser, findUserByUsername, getUserBySub } from './users.ts';
import type { NewUser } from './users.ts';
import { verifyLogin } from './verify-login.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createAuthTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function refusal(input: NewUser): Promise<UserError> {
  try {
    await createUser(database.db, input);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`user ${JSON.stringify(input.username)} was created`);
}

async function storedHash(sub: string): Promise<string> {
  const result = await database.db.raw<{ rows: { password_hash: string }[] }>('SELECT password_hash FROM auth.users WHERE sub = ?', [sub]);
  const row = result.rows[0];
  if (row === undefined) throw new Error(`no user ${sub}`);
  return row.password_hash;
}

/** Median duration of 5 sequential runs of `work`, in milliseconds. */
async function medianMs(work: () => Promise<unknown>): Promise<number> {
  const durations: number[] = [];
  for (let run = 0; run < 5; run += 1) {
    const start = performance.now();
    await work();
    durations.push(performance.now() - start);
  }
  return durations.sort((a, b) => a - b)[2] as number;
}

describe('createUser and verifyLogin', () => {
  test('creates a user with an opaque sub and signs them in with the password', async () => {
    const created = await createUser(database.db, { username: '  Alice ', password: 'wonderland' });
    expect(created.sub).toMatch(/^usr_[0-9a-f]{32}$/);
    expect(created.username).toBe('Alice');
    expect(await verifyLogin(database.db, 'Alice', 'wonderland')).toEqual(created);
    expect(await verifyLogin(database.db, 'ALICE', 'wonderland')).toEqual(created);
    expect(await getUserBySub(database.db, created.sub)).toEqual(created);
    expect(await findUserByUsername(database.db, ' alice')).toEqual(created);
  });

  test('refuses a 7-character password, and accepts it only with the demo-seeding option', async () => {
    expect((await refusal({ username: 'short-pw', password: 'builder' })).code).toBe('invalid_request');
    const seeded = await createUser(database.db, { username: 'short-pw', password: 'builder' }, { demoSeedAllowShortPassword: true });
    expect(await verifyLogin(database.db, 'short-pw', 'builder')).toEqual(seeded);
    await expect(createUser(database.db, { username: 'empty-pw', password: '' }, { demoSeedAllowShortPassword: true })).rejects.toThrow(UserError);
  });

  test('answers null for a wrong password', async () => {
    await createUser(database.db, { username: 'bob', password: 'builder-1' });
    expect(await verifyLogin(database.db, 'bob', 'builder-2')).toBeNull();
    expect(await verifyLogin(database.db, 'bob', 'Builder-1')).toBeNull();
  });

  test('answers null for an unknown username, and for input no account could have', async () => {
    expect(await verifyLogin(database.db, 'nobody-here', 'wonderland')).toBeNull();
    expect(await verifyLogin(database.db, '', 'wonderland')).toBeNull();
    expect(await verifyLogin(database.db, 'a'.repeat(65), 'wonderland')).toBeNull();
    expect(await verifyLogin(database.db, 'bob', '')).toBeNull();
    expect(await verifyLogin(database.db, 'bob', 'x'.repeat(1025))).toBeNull();
  });

  test('stores an Argon2id PHC hash with the encoded parameters, never the password', async () => {
    const password = 'a secret passphrase';
    const { sub } = await createUser(database.db, { username: 'carol', password });
    const hash = await storedHash(sub);
    expect(hash).not.toContain(password);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(parseHash(hash).parameters).toEqual({ algorithm: 'argon2id', memoryKiB: 19_456, passes: 2, parallelism: 1 });
    expect(await verifyPassword(password, hash)).toBe(true);
  });

  test('gives each user a different sub and a different salt for the same password', async () => {
    const one = await createUser(database.db, { username: 'dave', password: 'same password' });
    const two = await createUser(database.db, { username: 'erin', password: 'same password' });
    expect(one.sub).not.toBe(two.sub);
    expect(await storedHash(one.sub)).not.toBe(await storedHash(two.sub));
  });

  test('takes comparable time for an unknown user and a wrong password (no user enumeration by timing)', async () => {
    await createUser(database.db, { username: 'frank', password: 'frank-password' });
    // Warm up both paths once (connection, JIT), then measure.
    await verifyLogin(database.db, 'frank', 'wrong-password');
    await verifyLogin(database.db, 'no-such-user', 'wrong-password');
    const wrongPasswordMs = await medianMs(() => verifyLogin(database.db, 'frank', 'wrong-password'));
    const unknownUserMs = await medianMs(() => verifyLogin(database.db, 'no-such-user', 'wrong-password'));
    // Both run one Argon2id at m=19 MiB, t=2 (tens of ms); without the dummy hash the unknown user
    // would answer in about one query's time. Medians of 5 and a generous factor keep load from
    // making it flaky.
    expect(wrongPasswordMs).toBeGreaterThan(10);
    expect(unknownUserMs).toBeGreaterThan(10);
    expect(unknownUserMs / wrongPasswordMs).toBeGreaterThan(1 / 3);
    expect(unknownUserMs / wrongPasswordMs).toBeLessThan(3);
  });

  test('while scrypt hashes are stored, wrong passwords on either kind of hash and unknown users cost the same', async () => {
    await createUser(database.db, { username: 'kate', password: 'kate-password' });
    const { sub } = await createUser(database.db, { username: 'liam', password: 'liam-password' });
    // Liam has not signed in since Argon2id: his hash is still the old scrypt one (N=2^17).
    const legacy = await hashPassword('liam-password', { algorithm: 'scrypt', log2N: 17, r: 8, p: 1 });
    await database.db.raw('UPDATE auth.users SET password_hash = ? WHERE sub = ?', [legacy, sub]);
    // A new connection pool, as a server starting now: whether scrypt hashes exist is asked afresh.
    const fresh = createDatabase({ url: database.url, poolMax: 2 });
    try {
      const argon = await medianMs(() => verifyLogin(fresh, 'kate', 'wrong-password'));
      const scrypt = await medianMs(() => verifyLogin(fresh, 'liam', 'wrong-password'));
      const unknown = await medianMs(() => verifyLogin(fresh, 'nobody-at-all', 'wrong-password'));
      // Without the second hash, Argon2id users and unknown users answer in tens of ms and Liam in hundreds.
      for (const ratio of [argon / scrypt, unknown / scrypt, unknown / argon]) {
        expect(ratio).toBeGreaterThan(1 / 3);
        expect(ratio).toBeLessThan(3);
      }
      expect(await verifyLogin(fresh, 'liam', 'liam-password')).toEqual({ sub, username: 'liam' });
    } finally {
      await fresh.destroy();
    }
  });

  test('re-hashes an old, cheaper hash with the current parameters at the next successful sign-in', async () => {
    const { sub } = await createUser(database.db, { username: 'grace', password: 'grace-password' });
    // A scrypt hash, as every user had before Argon2id: still verifies, then is replaced.
    const oldHash = await hashPassword('grace-password', { algorithm: 'scrypt', log2N: 10, r: 8, p: 1 });
    await database.db.raw('UPDATE auth.users SET password_hash = ? WHERE sub = ?', [oldHash, sub]);
    expect(await verifyLogin(database.db, 'grace', 'wrong-password')).toBeNull();
    expect(await storedHash(sub)).toBe(oldHash);
    expect(await verifyLogin(database.db, 'grace', 'grace-password')).toEqual({ sub, username: 'grace' });
    const newHash = await storedHash(sub);
    expect(newHash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(await verifyLogin(database.db, 'grace', 'grace-password')).toEqual({ sub, username: 'grace' });
  });
});

describe('username normalisation', () => {
  test('refuses Alice when alice exists, with username_taken', async () => {
    await createUser(database.db, { username: 'heidi', password: 'heidi-password' });
    expect((await refusal({ username: 'Heidi', password: 'another-password' })).code).toBe('username_taken');
    expect((await refusal({ username: ' HEIDI ', password: 'another-password' })).code).toBe('username_taken');
  });

  test('treats the composed and decomposed forms of José as one username', async () => {
    const composed = 'Jos\u00e9';
    const decomposed = 'Jose\u0301';
    const created = await createUser(database.db, { username: composed, password: 'jose-password' });
    const error = await refusal({ username: decomposed, password: 'jose-password' });
    expect(error.code).toBe('username_taken');
    expect(error.message).toBe('this username is already taken');
    expect((await refusal({ username: 'JOSE\u0301', password: 'jose-password' })).code).toBe('username_taken');
    expect(await verifyLogin(database.db, decomposed, 'jose-password')).toEqual(created);
    expect(await findUserByUsername(database.db, 'jos\u00e9')).toEqual(created);
  });

  test('lets only one of two simultaneous creations of the same username succeed', async () => {
    const results = await Promise.allSettled([
      createUser(database.db, { username: 'ivan', password: 'ivan-password' }),
      createUser(database.db, { username: 'IVAN', password: 'ivan-password' }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((result) => result.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(UserError);
    expect((rejected?.reason as UserError).code).toBe('username_taken');
    const count = await database.db.raw<{ rows: { n: number }[] }>("SELECT count(*)::int AS n FROM auth.users WHERE username_key = 'ivan'");
    expect(count.rows[0]?.n).toBe(1);
  });
});

describe('createUser refuses bad input with invalid_request', () => {
  test.each([
    ['an empty username', { username: '', password: 'long-enough' }, /username must be 1 to 64/],
    ['a blank username', { username: '   ', password: 'long-enough' }, /username must be 1 to 64/],
    ['a 65-character username', { username: 'u'.repeat(65), password: 'long-enough' }, /username must be 1 to 64/],
    ['a username with a control character', { username: 'mal\u0007lory', password: 'long-enough' }, /control, format/],
    ['a username with a zero-width space', { username: 'mal\u200Blory', password: 'long-enough' }, /control, format/],
    ['a username with a bidi override', { username: 'mal\u202Elory', password: 'long-enough' }, /control, format/],
    ['a username with an unpaired surrogate', { username: 'mal\uDC00lory', password: 'long-enough' }, /well-formed/],
    ['a username without letter or digit', { username: '-_-', password: 'long-enough' }, /letter or digit/],
    ['a 7-character password', { username: 'mallory', password: 'seven77' }, /password must be 8 to 1024/],
    ['a 1025-character password', { username: 'mallory', password: 'p'.repeat(1025) }, /password must be 8 to 1024/],
    ['a password with an unpaired surrogate', { username: 'mallory', password: 'passw\uD800rd' }, /well-formed/],
    ['a non-string password', { username: 'mallory', password: 12345678 as unknown as string }, /password must be a string/],
  ])('refuses %s', async (_name, input, message) => {
    const error = await refusal(input);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(message);
  });

  test('wrote nothing for the refused inputs', async () => {
    expect(await findUserByUsername(database.db, 'mallory')).toBeNull();
  });

  test('accepts the boundaries: 64-character username, 8- and 1024-character passwords', async () => {
    const name = 'n'.repeat(64);
    expect((await createUser(database.db, { username: name, password: 'eight888' })).username).toBe(name);
    expect(await verifyLogin(database.db, name, 'eight888')).not.toBeNull();
    const long = await createUser(database.db, { username: 'longpass', password: 'p'.repeat(1024) });
    expect(await verifyLogin(database.db, 'longpass', 'p'.repeat(1024))).toEqual(long);
  });
});

describe('getUserBySub and findUserByUsername', () => {
  test('answer null for an unknown or malformed sub and an unknown or impossible username', async () => {
    expect(await getUserBySub(database.db, `usr_${'0'.repeat(32)}`)).toBeNull();
    expect(await getUserBySub(database.db, 'alice')).toBeNull();
    expect(await getUserBySub(database.db, "usr_' OR 1=1 --")).toBeNull();
    expect(await findUserByUsername(database.db, 'nobody')).toBeNull();
    expect(await findUserByUsername(database.db, '')).toBeNull();
    expect(await findUserByUsername(database.db, 'x'.repeat(1000))).toBeNull();
  });
});
