import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { UserAgent, authorize, discover, exchange, introspect, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
import type { Alice, TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;

beforeAll(async () => {
  server = await startTestAuthServer();
});
afterAll(async () => {
  await server.close();
});

/** The connected-apps page as the user sees it after signing in, with its CSRF token and revoke forms. */
interface AppsPage {
  agent: UserAgent;
  html: string;
  csrf: string;
  /** Client ids of the apps that have a "Revoke access" form (one per app). */
  revocable: string[];
}

async function openAppsPage(agent: UserAgent): Promise<AppsPage> {
  const response = await agent.request(`${server.issuer}/account/apps`);
  const html = await response.text();
  return {
    agent,
    html,
    csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '',
    revocable: [...html.matchAll(/action="\/account\/apps\/([^/"]+)\/revoke"/g)].map((match) => decodeURIComponent(match[1] as string)),
  };
}

async function signInToApps(user: { username: string; password: string }): Promise<AppsPage> {
  const agent = new UserAgent();
  const response = await agent.request(`${server.issuer}/account/login`, { form: { username: user.username, password: user.password } });
  expect(response.status).toBe(303);
  expect(response.headers.get('location')).toBe('/account/apps');
  return openAppsPage(agent);
}

/** The section of the apps page about one app, by its name. */
function appSection(html: string, name: string): string | undefined {
  return [...html.matchAll(/<section class="app">([\s\S]*?)<\/section>/g)].map((match) => match[1] as string).find((section) => section.includes(`<h2>${name}</h2>`));
}

/** A user whose tokens, for a client named `clientName`, cover the first and the last of their accounts. */
async function connectApp(user: Alice, clientName: string) {
  const config = await discover(server, await seedClient(server, { name: clientName }));
  const accountIds = [user.accounts[0]?.id as string, user.accounts[2]?.id as string];
  const tokens = await exchange(config, await authorize(server, config, user, { accountIds }));
  return { config, tokens };
}

async function revoke(page: AppsPage, clientId: string, form: Record<string, string>): Promise<Response> {
  return page.agent.request(`${server.issuer}/account/apps/${encodeURIComponent(clientId)}/revoke`, { form });
}

describe('signing in', () => {
  test('without a session the page is the sign-in form posting to /account/login', async () => {
    const response = await new UserAgent().request(`${server.issuer}/account/apps`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<form method="post" action="/account/login"');
    expect(html).toContain('<label for="username">Username</label>');
    expect(html).toContain('<label for="password">Password</label>');
    expect(html).toContain('<button type="submit">Sign in</button>');
    expect(html).not.toContain('Connected apps</h1>');
  });

  test('signing in sets an HttpOnly, SameSite=Lax session cookie for /account and shows the user\'s page', async () => {
    const user = await seedUser(server, 'erin', 'erin-password');
    const response = await new UserAgent().request(`${server.issuer}/account/login`, { form: { username: 'erin', password: 'erin-password' } });
    const session = response.headers.getSetCookie().find((cookie) => cookie.startsWith('payapi.account='));
    expect(session).toMatch(/; path=\/account;/);
    expect(session).toMatch(/; samesite=lax/i);
    expect(session).toMatch(/; httponly/i);
    expect(session).toMatch(/; max-age=900;|expires=/i);
    const page = await signInToApps(user);
    expect(page.html).toContain('<h1>Connected apps</h1>');
    expect(page.html).toContain('Signed in as <strong>erin</strong>.');
    expect(page.html).toContain('<p>No app has access to your accounts.</p>');
  });

  test('a wrong password shows "Invalid username or password" on the sign-in form', async () => {
    await seedUser(server, 'frank', 'frank-password');
    const agent = new UserAgent();
    const response = await agent.request(`${server.issuer}/account/login`, { form: { username: 'frank', password: 'not-franks' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('<p class="error" role="alert">Invalid username or password</p>');
    expect(await (await agent.request(`${server.issuer}/account/apps`)).text()).toContain('action="/account/login"');
  });

  test('after 5 wrong passwords the sign-in is refused with 429 and Retry-After, even with the right password', async () => {
    const user = await seedUser(server, 'grace', 'grace-password');
    const agent = new UserAgent();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect((await agent.request(`${server.issuer}/account/login`, { form: { username: 'grace', password: `wrong-${attempt}-password` } })).status).toBe(200);
    }
    const refused = await agent.request(`${server.issuer}/account/login`, { form: { username: user.username, password: user.password } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.getSetCookie().some((cookie) => cookie.startsWith('payapi.account='))).toBe(false);
    expect(await refused.text()).toContain('Too many sign-in attempts.');
  });

  test('signing out ends the session: the page asks to sign in again', async () => {
    const user = await seedUser(server, 'heidi', 'heidi-password');
    const page = await signInToApps(user);
    const response = await page.agent.request(`${server.issuer}/account/logout`, { form: { csrf: page.csrf } });
    expect(response.status).toBe(303);
    expect((await openAppsPage(page.agent)).html).toContain('action="/account/login"');
  });
});

describe('the list of connected apps', () => {
  let ivan: Alice;
  let judy: Alice;

  beforeAll(async () => {
    ivan = await seedUser(server, 'ivan', 'ivan-password');
    judy = await seedUser(server, 'judy', 'judy-password');
  });

  test('lists each app holding a grant with its name, its scopes in plain words and the consented accounts by name', async () => {
    await connectApp(ivan, 'Budget Buddy');
    await connectApp(judy, 'Judy Only App');
    const page = await signInToApps(ivan);
    const section = appSection(page.html, 'Budget Buddy');
    expect(section).toBeDefined();
    expect(section).toContain('Accounts: ivan Current, ivan Euro</p>');
    expect(section).not.toContain('ivan Savings');
    const listed = [...(section ?? '').matchAll(/<li>([^<]+) <span class="muted">\(([^)]+)\)<\/span><\/li>/g)].map((match) => [match[2], match[1]]);
    expect(Object.fromEntries(listed)).toEqual({
      openid: 'Confirm who you are (your user id)',
      offline_access: 'Stay connected when you are not using the app',
      'accounts:read': 'See the chosen accounts, their details and balances',
      'transactions:read': 'See the transaction history of the chosen accounts',
      'transfers:write': 'Send money from the chosen accounts, and see those transfers',
    });
    expect(section).toContain('<button type="submit">Revoke access</button>');
    expect(page.html).not.toContain('Judy Only App');
    expect(page.revocable).toHaveLength(1);
  });

  test('an app the user consented to several times (each time a new grant) is one row: scopes and accounts of all its grants', async () => {
    const user = await seedUser(server, 'kate', 'kate-password');
    const registered = await seedClient(server, { name: 'Twice Connected' });
    const config = await discover(server, registered);
    const first = await exchange(config, await authorize(server, config, user, { scope: 'openid accounts:read', accountIds: [user.accounts[0]?.id as string] }));
    const second = await exchange(config, await authorize(server, config, user, { scope: 'openid transactions:read', accountIds: [user.accounts[1]?.id as string] }));
    expect(decodeJwt(first.access_token).jti).not.toBe(decodeJwt(second.access_token).jti);
    const { rows } = await server.database.db.raw<{ rows: Array<{ grants: number }> }>(
      `SELECT count(*)::int AS grants FROM auth.grant_accounts WHERE account_subject = ? AND client_id = ?`, [user.sub, registered.client_id]);
    expect(rows[0]?.grants).toBe(2);
    const page = await signInToApps(user);
    expect([...page.html.matchAll(/<h2>Twice Connected<\/h2>/g)]).toHaveLength(1);
    expect(page.revocable).toEqual([registered.client_id]);
    const section = appSection(page.html, 'Twice Connected') ?? '';
    expect([...section.matchAll(/<span class="muted">\(([^)]+)\)<\/span><\/li>/g)].map((match) => match[1])).toEqual(['openid', 'accounts:read', 'transactions:read']);
    expect(section).toContain('Accounts: kate Current, kate Savings</p>');
    // "Revoke access" ends both grants.
    expect((await revoke(page, registered.client_id, { csrf: page.csrf })).status).toBe(303);
    expect((await introspect(config, first.access_token)).active).toBe(false);
    expect((await introspect(config, second.access_token)).active).toBe(false);
    expect(appSection((await openAppsPage(page.agent)).html, 'Twice Connected')).toBeUndefined();
  });
});

describe('revoking access', () => {
  test('"Revoke access" with the CSRF token revokes the grant: the access token is inactive and the refresh token fails with invalid_grant', async () => {
    const user = await seedUser(server, 'mallory', 'mallory-password');
    const { config, tokens } = await connectApp(user, 'Spendly');
    const other = await connectApp(user, 'Keep Me');
    const page = await signInToApps(user);
    expect(page.revocable).toHaveLength(2);
    const clientId = decodeURIComponent(/action="\/account\/apps\/([^/"]+)\/revoke"/.exec(appSection(page.html, 'Spendly') ?? '')?.[1] as string);
    const response = await revoke(page, clientId, { csrf: page.csrf });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/account/apps');
    expect((await introspect(config, tokens.access_token)).active).toBe(false);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    const after = await openAppsPage(page.agent);
    expect(appSection(after.html, 'Spendly')).toBeUndefined();
    expect(appSection(after.html, 'Keep Me')).toBeDefined();
    expect((await introspect(other.config, other.tokens.access_token)).active).toBe(true);
  });

  test.each([
    ['without a CSRF token', 'olivia', {}],
    ['with a wrong CSRF token', 'oscar', { csrf: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['with an empty CSRF token', 'otto', { csrf: '' }],
  ])('a revoke %s is refused with 403 and revokes nothing', async (_label, username, form: Record<string, string>) => {
    const user = await seedUser(server, username, `${username}-password`);
    const { config, tokens } = await connectApp(user, 'Stays Connected');
    const page = await signInToApps(user);
    const clientId = page.revocable[0] as string;
    const response = await revoke(page, clientId, form);
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('<h1>Your session has expired</h1>');
    expect((await introspect(config, tokens.access_token)).active).toBe(true);
    expect((await introspect(config, tokens.refresh_token as string)).active).toBe(true);
    expect((await openAppsPage(page.agent)).revocable).toEqual([clientId]);
  });

  test('a revoke carrying another user\'s CSRF token is refused with 403', async () => {
    const user = await seedUser(server, 'peggy', 'peggy-password');
    const attacker = await signInToApps(await seedUser(server, 'trent', 'trent-password'));
    const { config, tokens } = await connectApp(user, 'Peggy App');
    const page = await signInToApps(user);
    expect(attacker.csrf).not.toBe(page.csrf);
    const response = await revoke(page, page.revocable[0] as string, { csrf: attacker.csrf });
    expect(response.status).toBe(403);
    expect((await introspect(config, tokens.access_token)).active).toBe(true);
  });

  test('a revoke without a session is refused with 403 and revokes nothing', async () => {
    const user = await seedUser(server, 'quinn', 'quinn-password');
    const { config, tokens } = await connectApp(user, 'Quinn App');
    const page = await signInToApps(user);
    const response = await new UserAgent().request(`${server.issuer}/account/apps/${encodeURIComponent(page.revocable[0] as string)}/revoke`, { form: { csrf: page.csrf } });
    expect(response.status).toBe(403);
    expect((await introspect(config, tokens.access_token)).active).toBe(true);
  });

  test('a user cannot revoke another user\'s grants of an app, even with their own valid session and CSRF token', async () => {
    const victim = await seedUser(server, 'victor', 'victor-password');
    const { config, tokens } = await connectApp(victim, 'Victor App');
    const victimApp = (await signInToApps(victim)).revocable[0] as string;
    const attacker = await signInToApps(await seedUser(server, 'walter', 'walter-password'));
    await revoke(attacker, victimApp, { csrf: attacker.csrf });
    expect((await introspect(config, tokens.access_token)).active).toBe(true);
    expect((await introspect(config, tokens.refresh_token as string)).active).toBe(true);
    expect((await signInToApps(victim)).revocable).toEqual([victimApp]);
  });
});
