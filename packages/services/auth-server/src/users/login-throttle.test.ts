import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { createAuthTestDatabase } from '../testing/index.ts';
import { UserError } from './errors.ts';
import { loginDelayMs } from './login-delay.ts';
import { LOGIN_THROTTLE_DEFAULTS, createLoginThrottle, createNetworkThrottle } from './login-throttle.ts';
import type { LoginThrottle, LoginThrottleDecision } from './login-throttle.ts';
import { usernameKey } from './username.ts';

let database: TestDatabase;
let throttle: LoginThrottle;

/**
 * Small limits for the tests: 3 failures per username and network, 5 per network, per minute; per
 * username no delay for 3 failures, then 100 ms doubling up to 400 ms.
 */
const LIMITS = {
  perUsernameAndNetwork: { attemptsMax: 3, windowSeconds: 60 },
  perIp: { attemptsMax: 5, windowSeconds: 60 },
  perUsername: { windowSeconds: 60, failuresBeforeDelay: 3, delayFirstMs: 100, delayMaxMs: 400 },
};

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

describe('finding 5: failures count per (username, client network) for blocking, per username only for a delay', () => {
  test('finding 5: failures from one network block that network for the username, never the owner at another address', async () => {
    const { user, ip } = fresh();
    const attacker = ip();
    for (let i = 0; i < 3; i += 1) expect((await throttle.check(user, attacker)).allowed).toBe(true);
    for (let i = 0; i < 3; i += 1) expectBlocked(await throttle.check(user, attacker), 60);
    expect((await throttle.check(user, ip())).allowed).toBe(true);
  });

  test('finding 5: every address of one IPv6 /64 is one network for a username, another /64 is not', async () => {
    const { user } = fresh();
    const prefix = `2001:db8:${counter.toString(16)}`;
    for (let i = 0; i < 3; i += 1) expect((await throttle.check(user, `${prefix}:1::${i + 1}`)).allowed).toBe(true);
    expectBlocked(await throttle.check(user, `${prefix}:1:ffff::9`), 60);
    expect((await throttle.check(user, `${prefix}:2::1`)).allowed).toBe(true);
  });

  test('finding 5: the per-username delay grows with failures from any network and stops growing at its cap', async () => {
    const { user, ip } = fresh();
    const delays: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const decision = await throttle.check(user, ip());
      delays.push(decision.allowed ? decision.delayMs : -1);
    }
    expect(delays).toEqual([0, 0, 0, 100, 200, 400, 400, 400]);
  });

  test('finding 5: the default delay is none for 5 failures, then 0.5 s doubling, never more than 4 s', () => {
    const slowdown = LOGIN_THROTTLE_DEFAULTS.perUsername;
    expect([0, 1, 4, 5, 6, 7, 8, 9, 20, 1e6, Number.MAX_SAFE_INTEGER].map((failures) => loginDelayMs(failures, slowdown)))
      .toEqual([0, 0, 0, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000]);
  });

  test('attempts refused by a limit do not add to the username\'s delay', async () => {
    const { user, ip } = fresh();
    const attacker = ip();
    for (let i = 0; i < 10; i += 1) await throttle.check(user, attacker);
    expect(await throttle.check(user, ip())).toEqual({ allowed: true, delayMs: 100 });
  });

  test('counts Alice, ALICE and alice as one account', async () => {
    const { ip } = fresh();
    const address = ip();
    const name = `Case-${counter}`;
    expect((await throttle.check(name, address)).allowed).toBe(true);
    expect((await throttle.check(name.toUpperCase(), address)).allowed).toBe(true);
    expect((await throttle.check(usernameKey(name), address)).allowed).toBe(true);
    expect((await throttle.check(` ${name.toLowerCase()} `, address)).allowed).toBe(false);
  });

  test('leaves other usernames alone', async () => {
    const blocked = fresh();
    const address = blocked.ip();
    for (let i = 0; i < 3; i += 1) await throttle.check(blocked.user, address);
    expect((await throttle.check(blocked.user, address)).allowed).toBe(false);
    const other = fresh();
    expect(await throttle.check(other.user, other.ip())).toEqual({ allowed: true, delayMs: 0 });
  });

  test('a successful sign-in clears its own network\'s count for the username and gives back its point of delay', async () => {
    const { user, ip } = fresh();
    const home = ip();
    expect((await throttle.check(user, home)).allowed).toBe(true);
    expect((await throttle.check(user, home)).allowed).toBe(true);
    expect((await throttle.check(user, home)).allowed).toBe(true);
    await throttle.recordSuccess(user, home);
    for (let i = 0; i < 3; i += 1) {
      expect(await throttle.check(user, home)).toEqual({ allowed: true, delayMs: i === 0 ? 0 : 100 * 2 ** (i - 1) });
    }
    expectBlocked(await throttle.check(user, home), 60);
  });
});

describe('per client network', () => {
  test('blocks an address after attemptsMax attempts on different usernames, independently of the usernames', async () => {
    const { ip } = fresh();
    const address = ip();
    for (let i = 0; i < 5; i += 1) {
      expect(await throttle.check(fresh().user, address)).toEqual({ allowed: true, delayMs: 0 });
    }
    const victim = fresh();
    expectBlocked(await throttle.check(victim.user, address), 60);
    // Another address may still try that username: the username's counters were not touched.
    for (let i = 0; i < 3; i += 1) {
      expect(await throttle.check(victim.user, victim.ip())).toEqual({ allowed: true, delayMs: 0 });
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
      expect(await throttle.check(user, address)).toEqual({ allowed: true, delayMs: 0 });
      await throttle.recordSuccess(user, address);
    }
    for (let i = 0; i < 5; i += 1) {
      expect((await throttle.check(fresh().user, address)).allowed).toBe(true);
    }
    expect((await throttle.check(fresh().user, address)).allowed).toBe(false);
  });
});

describe('parallel guesses', () => {
  test('20 simultaneous guesses at one username from one network let exactly attemptsMax through', async () => {
    const { user, ip } = fresh();
    const address = ip();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => throttle.check(user, address)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(3);
    for (const decision of decisions.filter((d) => !d.allowed)) expectBlocked(decision, 60);
  });

  test('20 simultaneous guesses at one username from 20 networks are all slowed, each by a delay of its own rank', async () => {
    const { user, ip } = fresh();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => throttle.check(user, ip())));
    const delays = decisions.map((decision) => (decision.allowed ? decision.delayMs : -1)).sort((a, b) => a - b);
    expect(delays).toEqual([0, 0, 0, 100, 200, ...new Array<number>(15).fill(400)]);
  });

  test('20 simultaneous guesses from one address let exactly attemptsMax through', async () => {
    const address = fresh().ip();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => throttle.check(fresh().user, address)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(5);
  });

  test('two throttles on the same database (two processes) share the counters', async () => {
    const other = createLoginThrottle(database.db, LIMITS);
    const { user, ip } = fresh();
    const address = ip();
    const decisions = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? throttle : other).check(user, address)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(3);
  });
});

describe('configuration and failures', () => {
  test('defaults to 5 per username and network, 20 per network, and a delay per username of at most 4 s, per 15 minutes', async () => {
    expect(LOGIN_THROTTLE_DEFAULTS).toEqual({
      perUsernameAndNetwork: { attemptsMax: 5, windowSeconds: 900 },
      perIp: { attemptsMax: 20, windowSeconds: 900 },
      perUsername: { windowSeconds: 900, failuresBeforeDelay: 5, delayFirstMs: 500, delayMaxMs: 4000 },
    });
    const defaults = createLoginThrottle(database.db);
    const { user, ip } = fresh();
    const address = ip();
    for (let i = 0; i < 5; i += 1) expect(await defaults.check(user, address)).toEqual({ allowed: true, delayMs: 0 });
    const blocked = await defaults.check(user, address);
    expectBlocked(blocked, 900);
    expect(blocked.allowed === false && blocked.retryAfterSeconds).toBeGreaterThan(800);
    expect(await defaults.check(user, ip())).toEqual({ allowed: true, delayMs: 500 });
  });

  test('refuses a limit that is not a positive integer, naming the option', () => {
    expect(() => createLoginThrottle(database.db, { perIp: { attemptsMax: 0, windowSeconds: 60 } }))
      .toThrow('login throttle option perIp.attemptsMax must be a positive integer, got 0');
    expect(() => createLoginThrottle(database.db, { perUsernameAndNetwork: { attemptsMax: 5, windowSeconds: 1.5 } }))
      .toThrow(/perUsernameAndNetwork\.windowSeconds/);
    expect(() => createLoginThrottle(database.db, { perUsername: { ...LOGIN_THROTTLE_DEFAULTS.perUsername, delayFirstMs: 0 } }))
      .toThrow('login throttle option perUsername.delayFirstMs must be a positive integer, got 0');
    expect(() => createLoginThrottle(database.db, { perUsername: { ...LOGIN_THROTTLE_DEFAULTS.perUsername, delayMaxMs: 100 } }))
      .toThrow(/perUsername\.delayMaxMs must be at least delayFirstMs/);
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
      expect(key).toMatch(/^login_(user|user_net|ip):[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain('198.51.100.23');
      expect(key.toLowerCase()).not.toContain(marker.toLowerCase());
    }
  });
});

// Last in this file: its rows are not sign-in keys (the test above reads every key of the table).
describe('createNetworkThrottle (the developer portal\'s sign-ups)', () => {
  test('portal review: refuses past its limit per client network (an IPv6 /64 is one), apart from the sign-in counts', async () => {
    const signUps = createNetworkThrottle(database.db, 'review_signup', { attemptsMax: 2, windowSeconds: 60 });
    for (const ip of ['2001:db8:7:1::1', '2001:db8:7:1::2']) expect(await signUps.check(ip)).toEqual({ allowed: true, delayMs: 0 });
    expectBlocked(await signUps.check('2001:db8:7:1:ffff::3'), 60);
    expect((await signUps.check('2001:db8:7:2::1')).allowed).toBe(true);
    const parallel = await Promise.all(Array.from({ length: 6 }, () => signUps.check('203.0.113.77')));
    expect(parallel.filter((decision) => decision.allowed)).toHaveLength(2);
    expect((await throttle.check(usernameKey('fresh-after-sign-ups'), '203.0.113.77')).allowed).toBe(true);
    const { rows } = await database.db.raw<{ rows: { key: string }[] }>(`SELECT key FROM auth.login_throttle WHERE key LIKE 'review_signup:%'`);
    expect(rows.length).toBe(3);
    for (const { key } of rows) expect(key).toMatch(/^review_signup:[A-Za-z0-9_-]{43}$/);
  });

  test('refuses a name of the sign-in throttle or a malformed one', () => {
    for (const name of ['login_ip', 'login_user', 'Portal', 'a:b', '']) {
      expect(() => createNetworkThrottle(database.db, name, { attemptsMax: 1, windowSeconds: 1 })).toThrow(RangeError);
    }
    expect(() => createNetworkThrottle(database.db, 'ok_name', { attemptsMax: 0, windowSeconds: 1 })).toThrow(RangeError);
  });
});
