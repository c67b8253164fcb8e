import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { createAuthTestDatabase } from '../test-support.ts';
import { UserError } from './errors.ts';
import { LOGIN_THROTTLE_DEFAULTS, createLoginThrottle } from './login-throttle.ts';
import type { LoginThrottle, LoginThrottleDecision } from './login-throttle.ts';
import { usernameKey } from './username.ts';

let database: TestDatabase;
let throttle: LoginThrottle;

/** Small limits for the tests: 3 per username, 5 per network, per minute. */
const LIMITS = { perUsername: { attemptsMax: 3, windowSeconds: 60 }, perIp: { attemptsMax: 5, windowSeconds: 60 } };

beforeAll(async () => {
  database = await createAuthTestDatabase();
  throttle = createLoginThrottle(database.db, LIMITS);
});
afterAll(async () => {
  await database.drop();
});

let counter = 0;
/** A username and an IPv4 address no other test uses. */
function fresh(): { user: string; ip: () => string } {
  counter += 1;
  const n = counter;
  let ipCounter = 0;
  return {
    user: usernameKey(`user-${n}`),
    ip: () => {
      ipCounter += 1;
      return `10.${n}.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
    },
  };
}

function expectBlocked(decision: LoginThrottleDecision, windowSeconds: number): void {
  expect(decision.allowed).toBe(false);
  if (decision.allowed) return;
  expect(decision.retryAfterSeconds).toBeGreaterThan(0);
  expect(decision.retryAfterSeconds).toBeLessThanOrEqual(windowSeconds);
  expect(Number.isInteger(decision.retryAfterSeconds)).toBe(true);
}

describe('per username', () => {
  test('allows attemptsMax attempts, then blocks the next with a positive retryAfterSeconds, from any address', async () => {
    const { user, ip } = fresh();
    for (let i = 0; i < 3; i += 1) {
      expect(await throttle.check(user, ip())).toEqual({ allowed: true });
    }
    expectBlocked(await throttle.check(user, ip()), 60);
    expectBlocked(await throttle.check(user, ip()), 60);
  });

  test('counts Alice, ALICE and alice as one account', async () => {
    const { ip } = fresh();
    const name = `Case-${counter}`;
    expect((await throttle.check(name, ip())).allowed).toBe(true);
    expect((await throttle.check(name.toUpperCase(), ip())).allowed).toBe(true);
    expect((await throttle.check(usernameKey(name), ip())).allowed).toBe(true);
    expect((await throttle.check(` ${name.toLowerCase()} `, ip())).allowed).toBe(false);
  });

  test('leaves other usernames alone', async () => {
    const blocked = fresh();
    for (let i = 0; i < 4; i += 1) await throttle.check(blocked.user, blocked.ip());
    expect((await throttle.check(blocked.user, blocked.ip())).allowed).toBe(false);
    const other = fresh();
    expect(await throttle.check(other.user, other.ip())).toEqual({ allowed: true });
  });

  test('a successful sign-in resets the username counter', async () => {
    const { user, ip } = fresh();
    expect((await throttle.check(user, ip())).allowed).toBe(true);
    expect((await throttle.check(user, ip())).allowed).toBe(true);
    await throttle.recordSuccess(user, ip());
    for (let i = 0; i < 3; i += 1) {
      expect(await throttle.check(user, ip())).toEqual({ allowed: true });
    }
    expectBlocked(await throttle.check(user, ip()), 60);
  });
});

describe('per client network', () => {
  test('blocks an address after attemptsMax attempts on different usernames, independently of the usernames', async () => {
    const { ip } = fresh();
    const address = ip();
    for (let i = 0; i < 5; i += 1) {
      expect(await throttle.check(fresh().user, address)).toEqual({ allowed: true });
    }
    const victim = fresh();
    expectBlocked(await throttle.check(victim.user, address), 60);
    // Another address may still try that username: the per-username counter was not touched.
    for (let i = 0; i < 3; i += 1) {
      expect(await throttle.check(victim.user, victim.ip())).toEqual({ allowed: true });
    }
  });

  test('counts every address of one IPv6 /64 together, and another /64 apart', async () => {
    for (let i = 0; i < 5; i += 1) {
      expect((await throttle.check(fresh().user, `2001:db8:77:1::${i + 1}`)).allowed).toBe(true);
    }
    expect((await throttle.check(fresh().user, '2001:db8:77:1:ffff::9')).allowed).toBe(false);
    expect((await throttle.check(fresh().user, '2001:db8:77:2::1')).allowed).toBe(true);
  });

  test('a successful sign-in gives the network its point back, so only failures count', async () => {
    const { ip } = fresh();
    const address = ip();
    for (let i = 0; i < 8; i += 1) {
      const { user } = fresh();
      expect(await throttle.check(user, address)).toEqual({ allowed: true });
      await throttle.recordSuccess(user, address);
    }
    for (let i = 0; i < 5; i += 1) {
      expect((await throttle.check(fresh().user, address)).allowed).toBe(true);
    }
    expect((await throttle.check(fresh().user, address)).allowed).toBe(false);
  });
});

describe('parallel guesses', () => {
  test('20 simultaneous guesses at one username let exactly attemptsMax through', async () => {
    const { user, ip } = fresh();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => throttle.check(user, ip())));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(3);
    for (const decision of decisions.filter((d) => !d.allowed)) expectBlocked(decision, 60);
  });

  test('20 simultaneous guesses from one address let exactly attemptsMax through', async () => {
    const address = fresh().ip();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => throttle.check(fresh().user, address)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(5);
  });

  test('two throttles on the same database (two processes) share the counters', async () => {
    const other = createLoginThrottle(database.db, LIMITS);
    const { user, ip } = fresh();
    const decisions = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? throttle : other).check(user, ip())));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(3);
  });
});

describe('configuration and failures', () => {
  test('defaults to 5 per username and 20 per network per 15 minutes', async () => {
    expect(LOGIN_THROTTLE_DEFAULTS).toEqual({
      perUsername: { attemptsMax: 5, windowSeconds: 900 },
      perIp: { attemptsMax: 20, windowSeconds: 900 },
    });
    const defaults = createLoginThrottle(database.db);
    const { user, ip } = fresh();
    for (let i = 0; i < 5; i += 1) expect((await defaults.check(user, ip())).allowed).toBe(true);
    const blocked = await defaults.check(user, ip());
    expectBlocked(blocked, 900);
    expect(blocked.allowed === false && blocked.retryAfterSeconds).toBeGreaterThan(800);
  });

  test('refuses a limit that is not a positive integer, naming the option', () => {
    expect(() => createLoginThrottle(database.db, { perIp: { attemptsMax: 0, windowSeconds: 60 } }))
      .toThrow('login throttle option perIp.attemptsMax must be a positive integer, got 0');
    expect(() => createLoginThrottle(database.db, { perUsername: { attemptsMax: 5, windowSeconds: 1.5 } }))
      .toThrow(/perUsername\.windowSeconds/);
  });

  test('turns a store failure into UserError temporarily_unavailable, never a raw library error', async () => {
    const unmigrated = await createTestDatabase();
    try {
      const broken = createLoginThrottle(unmigrated.db, LIMITS);
      const error = await broken.check('someone', '192.0.2.1').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).code).toBe('temporarily_unavailable');
      const afterSuccess = await broken.recordSuccess('someone', '192.0.2.1').catch((caught: unknown) => caught);
      expect(afterSuccess).toBeInstanceOf(UserError);
      expect((afterSuccess as UserError).code).toBe('temporarily_unavailable');
    } finally {
      await unmigrated.drop();
    }
  });

  test('stores no username or address in clear', async () => {
    const marker = `Secret-Name-${counter}`;
    await throttle.check(marker, '198.51.100.23');
    const result = await database.db.raw<{ rows: { key: string }[] }>('SELECT key FROM auth.login_throttle');
    expect(result.rows.length).toBeGreaterThan(0);
    for (const { key } of result.rows) {
      expect(key).toMatch(/^login_(user|ip):[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain('198.51.100.23');
      expect(key.toLowerCase()).not.toContain(marker.toLowerCase());
    }
  });
});
