import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SIGN_UPS_PER_NETWORK } from '../app.ts';
import { csrfOf, textOf } from '../testing/portal-agent.ts';
import { startTestPortal } from '../testing/portal-harness.ts';
import type { TestPortal } from '../testing/portal-harness.ts';

let portal: TestPortal;

beforeAll(async () => {
  portal = await startTestPortal();
});
afterAll(async () => {
  await portal.close();
});

function labelFor(html: string, id: string): string | undefined {
  return new RegExp(`<label for="${id}">([^<]*)</label>`).exec(html)?.[1];
}

describe('pages', () => {
  test('/ links to sign up and sign in, with the page security headers of the authorization server', async () => {
    const page = await portal.agent().get('/');
    expect(page.status).toBe(200);
    expect(page.html).toContain('href="/signup"');
    expect(page.html).toContain('href="/signin"');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toMatch(/script-src/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.html).not.toContain('<script');
  });

  test('/healthz and /readyz answer the probes of a container platform, never cached', async () => {
    for (const [path, status] of [['/healthz', 'ok'], ['/readyz', 'ready']] as const) {
      const answer = await portal.agent().get(path);
      expect({ status: answer.status, body: JSON.parse(answer.html) as unknown }).toEqual({ status: 200, body: { status } });
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
  });

  test('an unknown path is the 404 page, with the same headers', async () => {
    const page = await portal.agent().get('/nothing-here');
    expect(page.status).toBe(404);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(textOf(page.html)).toContain('Page not found');
  });

  test('sign-up and sign-in have the contract labels and buttons, and a CSRF token', async () => {
    const agent = portal.agent();
    const signUp = await agent.get('/signup');
    expect(labelFor(signUp.html, 'email')).toBe('Email');
    expect(labelFor(signUp.html, 'password')).toBe('Password');
    expect(signUp.html).toContain('<button type="submit">Create account</button>');
    expect(csrfOf(signUp.html, '/signup')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const signIn = await agent.get('/signin');
    expect(labelFor(signIn.html, 'email')).toBe('Email');
    expect(labelFor(signIn.html, 'password')).toBe('Password');
    expect(signIn.html).toContain('<button type="submit">Sign in</button>');
    expect(csrfOf(signIn.html, '/signin')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('sign-up', () => {
  test('creates the account, signs the developer in with an httpOnly SameSite=Lax session cookie, and lists no apps', async () => {
    const agent = portal.agent();
    const page = await agent.get('/signup');
    const answer = await agent.post('/signup', { email: '  New.Dev@Example.COM ', password: 'a long enough password', csrf: csrfOf(page.html, '/signup') });
    expect(answer.status).toBe(303);
    expect(answer.location).toBe('/apps');
    const cookie = answer.headers.getSetCookie().find((line) => line.startsWith('portal_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    const apps = await agent.get('/apps');
    expect(apps.status).toBe(200);
    expect(textOf(apps.html)).toContain('new.dev@example.com');
    const { rows } = await portal.db.raw<{ rows: Array<{ email: string; password_hash: string }> }>(
      `SELECT email, password_hash FROM portal.developers WHERE email = 'new.dev@example.com'`);
    expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  test.each([
    ['a malformed email', { email: 'not-an-email', password: 'a long enough password' }, 'Enter an email address like name@example.com.'],
    ['no email', { email: '', password: 'a long enough password' }, 'Enter your email address.'],
    ['a password under 8 characters', { email: 'short@example.com', password: 'seven77' }, 'Choose a password of 8 to 1024 characters.'],
    ['a password over 1024 characters', { email: 'long@example.com', password: 'x'.repeat(1025) }, 'Choose a password of 8 to 1024 characters.'],
  ])('refuses %s with 422 and says why, keeping the email', async (_why, form, message) => {
    const agent = portal.agent();
    const answer = await agent.submit('/signup', form);
    expect(answer.status).toBe(422);
    expect(textOf(answer.html)).toContain(message);
    expect(answer.headers.getSetCookie().some((line) => line.startsWith('portal_session='))).toBe(false);
  });

  test('refuses an email already registered, whatever its case and spaces', async () => {
    const { email } = await portal.signUp();
    const answer = await portal.agent().submit('/signup', { email: ` ${email.toUpperCase()} `, password: 'another long password' });
    expect(answer.status).toBe(422);
    expect(textOf(answer.html)).toContain('This email is already registered: sign in instead.');
  });

  test('refuses a form without its CSRF token, or with another browser\'s, and creates nothing', async () => {
    const agent = portal.agent();
    await agent.get('/signup');
    const missing = await agent.post('/signup', { email: 'csrf@example.com', password: 'a long enough password' });
    expect(missing.status).toBe(403);
    const other = portal.agent();
    const otherToken = csrfOf((await other.get('/signup')).html, '/signup');
    const foreign = await agent.post('/signup', { email: 'csrf@example.com', password: 'a long enough password', csrf: otherToken });
    expect(foreign.status).toBe(403);
    const { rows } = await portal.db.raw<{ rows: unknown[] }>(`SELECT 1 FROM portal.developers WHERE email = 'csrf@example.com'`);
    expect(rows).toHaveLength(0);
  });
});

describe('sign-in', () => {
  test('signs in with the email in any case, with a new session id', async () => {
    const { email, password, agent: first } = await portal.signUp();
    const firstSession = first.cookies.get('portal_session');
    const agent = portal.agent();
    const answer = await agent.submit('/signin', { email: email.toUpperCase(), password });
    expect(answer.status).toBe(303);
    expect(answer.location).toBe('/apps');
    expect(agent.cookies.get('portal_session')).toBeDefined();
    expect(agent.cookies.get('portal_session')).not.toBe(firstSession);
  });

  test('a wrong password and an unknown email both read "Invalid email or password"', async () => {
    const { email } = await portal.signUp();
    for (const form of [{ email, password: 'wrong password here' }, { email: 'nobody@example.com', password: 'whatever password' }]) {
      const answer = await portal.agent().submit('/signin', form);
      expect(answer.status).toBe(200);
      expect(textOf(answer.html)).toContain('Invalid email or password');
      expect(answer.headers.getSetCookie().some((line) => line.startsWith('portal_session='))).toBe(false);
    }
  });

  test('refuses a form without its CSRF token even with the right password', async () => {
    const { email, password } = await portal.signUp();
    const agent = portal.agent();
    await agent.get('/signin');
    const answer = await agent.post('/signin', { email, password });
    expect(answer.status).toBe(403);
    expect(agent.cookies.get('portal_session')).toBeUndefined();
    const noCookie = await portal.agent().post('/signin', { email, password, csrf: 'x'.repeat(43) });
    expect(noCookie.status).toBe(403);
  });

  test('is throttled by the authorization server\'s throttle: 429 with Retry-After after 5 failures from one network', async () => {
    const { email, password } = await portal.signUp();
    const agent = portal.agent();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await agent.submit('/signin', { email, password: 'wrong password!' })).status).toBe(200);
    }
    const refused = await agent.submit('/signin', { email, password });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(textOf(refused.html)).toContain('Too many sign-in attempts');
  });
});

describe('portal review', () => {
  test('portal review: sign-up flooding: sign-ups are counted per client network before the Argon2id hash, 429 with Retry-After past the limit, also in parallel', async () => {
    const limited = await startTestPortal({}, undefined, { signUpLimit: { attemptsMax: 3, windowSeconds: 60 } });
    try {
      const agent = limited.agent();
      const token = csrfOf((await agent.get('/signup')).html, '/signup');
      const answers = await Promise.all(Array.from({ length: 8 }, (_, index) =>
        agent.post('/signup', { email: `flood${index}@example.com`, password: 'a long enough password', csrf: token })));
      expect(answers.map((answer) => answer.status).sort()).toEqual([303, 303, 303, 429, 429, 429, 429, 429]);
      const refused = answers.find((answer) => answer.status === 429);
      expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(textOf(refused?.html ?? '')).toContain('Too many sign-ups from your network.');
      const { rows } = await limited.db.raw<{ rows: Array<{ n: number }> }>(`SELECT count(*)::int AS n FROM portal.developers WHERE email LIKE 'flood%'`);
      expect(rows[0]?.n).toBe(3);
    } finally {
      await limited.close();
    }
  });

  test('portal review: the default sign-up limit is 10 per client network per 15 minutes', () => {
    expect(SIGN_UPS_PER_NETWORK).toEqual({ attemptsMax: 10, windowSeconds: 900 });
  });

  test('portal review: a sign-in email with a NUL or a bidirectional override reads "Invalid email or password", never a 500', async () => {
    const { email, password } = await portal.signUp();
    for (const sent of [`${email}\u0000`, `\u0000${email}`, `${email}\u202e`]) {
      const answer = await portal.agent().submit('/signin', { email: sent, password });
      expect(answer.status).toBe(200);
      expect(textOf(answer.html)).toContain('Invalid email or password');
    }
  });

  test('portal review: a form with an unsupported or corrupt Content-Encoding is refused with 415 or 400, never a 500', async () => {
    const agent = portal.agent();
    const token = csrfOf((await agent.get('/signin')).html, '/signin');
    const cookie = [...agent.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const send = (encoding: string, body: Buffer) => fetch(`${portal.url}/signin`, {
      method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': encoding, cookie },
    });
    const form = Buffer.from(`csrf=${encodeURIComponent(token)}&email=a%40example.com&password=whatever123`);
    const unsupported = await send('bogus', form);
    expect(unsupported.status).toBe(415);
    expect(textOf(await unsupported.text())).toContain('The form could not be read');
    expect((await send('gzip', form)).status).toBe(400);
    expect((await send('gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00]))).status).toBe(400);
    expect(portal.logLines.filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});

describe('sessions', () => {
  test('Sign out ends the session on the server: the old cookie no longer signs in', async () => {
    const { agent } = await portal.signUp();
    const stolen = agent.cookies.get('portal_session') as string;
    const apps = await agent.get('/apps');
    const answer = await agent.post('/signout', { csrf: csrfOf(apps.html, '/signout') });
    expect(answer.status).toBe(303);
    expect(agent.cookies.get('portal_session')).toBeUndefined();
    const replay = portal.agent();
    replay.cookies.set('portal_session', stolen);
    const after = await replay.get('/apps');
    expect(after.status).toBe(303);
    expect(after.location).toBe('/signin');
  });

  test('Sign out without its CSRF token is refused and the session goes on', async () => {
    const { agent } = await portal.signUp();
    expect((await agent.post('/signout', {})).status).toBe(403);
    expect((await agent.get('/apps')).status).toBe(200);
  });

  test('a session idle for more than 12 hours is over; one idle for less goes on', async () => {
    const { agent } = await portal.signUp();
    const { agent: other } = await portal.signUp();
    const hashOf = async (cookie: string) => (await import('../sessions/sessions.ts')).sessionIdHash(cookie);
    await portal.db.raw(`UPDATE portal.sessions SET last_seen_at = now() - interval '12 hours 1 minute' WHERE id_hash = ?`,
      [await hashOf(agent.cookies.get('portal_session') as string)]);
    await portal.db.raw(`UPDATE portal.sessions SET last_seen_at = now() - interval '11 hours 59 minutes' WHERE id_hash = ?`,
      [await hashOf(other.cookies.get('portal_session') as string)]);
    const expired = await agent.get('/apps');
    expect(expired.status).toBe(303);
    expect(expired.location).toBe('/signin');
    expect((await other.get('/apps')).status).toBe(200);
  });

  test('signed-in pages send a browser without a session to /signin', async () => {
    for (const path of ['/apps', '/apps/new', '/test-users']) {
      const page = await portal.agent().get(path);
      expect(page.status).toBe(303);
      expect(page.location).toBe('/signin');
    }
  });

  test('no log line holds a password or a session id', async () => {
    const { agent, password } = await portal.signUp(undefined, 'a password to look for in the logs');
    const session = agent.cookies.get('portal_session') as string;
    await agent.get('/apps');
    const lines = portal.logLines.join('\n');
    expect(lines).toContain('"service":"developer-portal"');
    expect(lines).not.toContain(password);
    expect(lines).not.toContain(session);
  });
});

describe('over https', () => {
  test('cookies are __Host- prefixed and Secure', async () => {
    const https = await startTestPortal({ DEVELOPER_PORTAL_URL: 'https://developers.bank.example' });
    try {
      const agent = https.agent();
      const page = await agent.get('/signup');
      const csrfCookie = page.headers.getSetCookie()[0] ?? '';
      expect(csrfCookie).toMatch(/^__Host-portal_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
      const answer = await agent.post('/signup', { email: 'secure@example.com', password: 'a long enough password', csrf: csrfOf(page.html, '/signup') });
      expect(answer.headers.getSetCookie().find((line) => line.startsWith('__Host-portal_session='))).toMatch(/; Secure$/);
      expect(answer.headers.get('strict-transport-security')).toBeTruthy();
    } finally {
      await https.close();
    }
  });
});
