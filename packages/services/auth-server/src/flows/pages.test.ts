import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { ALL_SCOPES, REDIRECT_URI, UserAgent, discover, exchange, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
import type { Alice, AuthorizeResult, TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;
let alice: Alice;
let bob: Alice;

beforeAll(async () => {
  server = await startTestAuthServer();
  alice = await seedUser(server);
  bob = await seedUser(server, 'bob', 'builder-password');
});
afterAll(async () => {
  await server.close();
});

/** A page the user agent stopped on, with the first form's action resolved against the issuer. */
interface Page {
  url: string;
  response: Response;
  html: string;
  action: string;
}

async function readPage(url: string, response: Response): Promise<Page> {
  const html = await response.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
  return { url, response, html, action: action && new URL(action, server.issuer).toString() };
}

/** Opens a fresh authorization request for `config`'s client and stops on the login page. */
async function openLoginPage(config: client.Configuration, scope = ALL_SCOPES): Promise<Page & { flow: AuthorizeResult }> {
  const agent = new UserAgent();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope, state, prompt: 'consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const step = await agent.follow(url.toString(), server.issuer);
  if (!step.response) throw new Error(`the authorization request left the server: ${step.url}`);
  const page = await readPage(step.url, step.response);
  return { ...page, flow: { agent, verifier, state, callbackUrl: new URL(step.url) } };
}

/** Signs in on a login page and stops on the next page (the consent page). */
async function signIn(login: Page & { flow: AuthorizeResult }, user: { username: string; password: string }): Promise<Page> {
  const { agent } = login.flow;
  const response = await agent.request(login.action, { form: { username: user.username, password: user.password } });
  const location = response.headers.get('location');
  if (!location) throw new Error(`sign-in failed with status ${response.status}`);
  const step = await agent.follow(new URL(location, server.issuer).toString(), server.issuer);
  if (!step.response) throw new Error(`sign-in left the server: ${step.url}`);
  return readPage(step.url, step.response);
}

async function openConsentPage(config: client.Configuration, scope = ALL_SCOPES, user: Alice = alice): Promise<Page & { flow: AuthorizeResult }> {
  const login = await openLoginPage(config, scope);
  return { ...(await signIn(login, user)), flow: login.flow };
}

/** Submits the consent form and follows to the partner's redirect URI. */
async function allow(consent: Page & { flow: AuthorizeResult }, accountIds: string[]): Promise<AuthorizeResult> {
  const response = await consent.flow.agent.request(consent.action, { form: { account_ids: accountIds } });
  const location = response.headers.get('location');
  if (!location) throw new Error(`consent was not accepted: status ${response.status}`);
  const step = await consent.flow.agent.follow(new URL(location, server.issuer).toString(), server.issuer);
  return { ...consent.flow, callbackUrl: new URL(step.url) };
}

function labelFor(html: string, id: string): string | undefined {
  return new RegExp(`<label for="${id}">([^<]*)</label>`).exec(html)?.[1];
}

describe('login page', () => {
  test('labels its inputs Username and Password, has a Sign in button and names the partner app', async () => {
    const config = await discover(server, await seedClient(server, { name: 'Budget Buddy' }));
    const page = await openLoginPage(config);
    expect(page.response.status).toBe(200);
    expect(new URL(page.url).pathname).toMatch(/^\/interaction\/[^/]+$/);
    expect(labelFor(page.html, 'username')).toBe('Username');
    expect(labelFor(page.html, 'password')).toBe('Password');
    expect(page.html).toMatch(/<input id="username" name="username" type="text"/);
    expect(page.html).toMatch(/<input id="password" name="password" type="password"/);
    expect(page.html).toMatch(/<button type="submit">Sign in<\/button>/);
    expect(page.html).toContain('<strong>Budget Buddy</strong> wants to connect to your bank.');
    expect(page.action).toBe(`${page.url}/login`);
  });

  test('a wrong password shows "Invalid username or password" on the login page itself, keeping the username', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openLoginPage(config);
    const response = await page.flow.agent.request(page.action, { form: { username: 'alice', password: 'not-the-password' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    const html = await response.text();
    expect(html).toContain('<p class="error" role="alert">Invalid username or password</p>');
    expect(html).toContain('value="alice"');
    expect(html).toContain(`action="${new URL(page.action).pathname}"`);
  });

  test('an unknown username gets the same answer as a wrong password', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openLoginPage(config);
    const response = await page.flow.agent.request(page.action, { form: { username: 'nobody-here', password: 'wonderland' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Invalid username or password');
  });

  test('after the login page failed once, the right password still signs in and reaches consent', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openLoginPage(config);
    await page.flow.agent.request(page.action, { form: { username: 'alice', password: 'wrong-password' } });
    const consent = await signIn(page, alice);
    expect(consent.html).toContain('<button type="submit">Allow</button>');
  });

  test('a hostile username echoed back is HTML-escaped, in the value attribute and everywhere else', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openLoginPage(config);
    const hostile = '"><script>alert(1)</script><x a=\'';
    const response = await page.flow.agent.request(page.action, { form: { username: hostile, password: 'whatever-it-is' } });
    const html = await response.text();
    expect(html).toContain('Invalid username or password');
    expect(html).not.toContain('<script');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;x a=&#39;"');
  });

  test('a hostile client name is HTML-escaped on the login page', async () => {
    const config = await discover(server, await seedClient(server, { name: '<img src=x onerror=alert(1)>' }));
    const page = await openLoginPage(config);
    expect(page.html).not.toContain('<img');
    expect(page.html).toContain('<strong>&lt;img src=x onerror=alert(1)&gt;</strong>');
  });
});

describe('login throttling', () => {
  // Its own server: the per-network limit (20 failures per 15 min) is shared by every test of a server.
  let throttled: TestAuthServer;
  let carol: Alice;
  let config: client.Configuration;

  beforeAll(async () => {
    throttled = await startTestAuthServer();
    carol = await seedUser(throttled, 'carol', 'carol-password');
    config = await discover(throttled, await seedClient(throttled));
  });
  afterAll(async () => {
    await throttled.close();
  });

  test('after 5 wrong passwords for one username the 6th attempt is refused with 429, Retry-After, and a page saying to wait, even with the right password', async () => {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid accounts:read', state: 'st', prompt: 'consent',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const agent = new UserAgent();
    const step = await agent.follow(url.toString(), throttled.issuer);
    const action = new URL(`${new URL(step.url).pathname}/login`, throttled.issuer).toString();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const response = await agent.request(action, { form: { username: 'carol', password: `wrong-password-${attempt}` } });
      expect(response.status).toBe(200);
    }
    const refused = await agent.request(action, { form: { username: 'CAROL', password: carol.password } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('location')).toBeNull();
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(900);
    const html = await refused.text();
    expect(html).toMatch(/<p class="error" role="alert">Too many sign-in attempts\. Wait 1[45] minute\(s\) and try again\.<\/p>/);
    expect(html).toContain('<button type="submit">Sign in</button>');
    expect(html).not.toContain('Invalid username or password');
  });
});

describe('consent page', () => {
  test('names the partner app and lists each requested scope in plain words', async () => {
    const config = await discover(server, await seedClient(server, { name: 'Budget Buddy' }));
    const page = await openConsentPage(config);
    expect(page.response.status).toBe(200);
    expect(page.html).toContain('<h1>Allow Budget Buddy to access your bank?</h1>');
    expect(page.html).toContain('<strong>Budget Buddy</strong> asks for permission to:');
    const listed = [...page.html.matchAll(/<li>([^<]+) <span class="muted">\(([^)]+)\)<\/span><\/li>/g)].map((match) => [match[2], match[1]]);
    expect(Object.fromEntries(listed)).toEqual({
      openid: 'Confirm who you are (your user id)',
      offline_access: 'Stay connected when you are not using the app',
      'accounts:read': 'See the chosen accounts, their details and balances',
      'transactions:read': 'See the transaction history of the chosen accounts',
      'transfers:write': 'Send money from the chosen accounts, and see those transfers',
    });
  });

  test('lists only the scopes requested', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openConsentPage(config, 'openid accounts:read');
    const listed = [...page.html.matchAll(/<span class="muted">\(([^)]+)\)<\/span><\/li>/g)].map((match) => match[1]);
    expect(listed).toEqual(['openid', 'accounts:read']);
    expect(page.html).not.toContain('Send money');
  });

  test('offers one checkbox per account of the signed-in user, labelled with the account name and checked, and buttons Allow and Deny', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openConsentPage(config);
    const boxes = [...page.html.matchAll(/<input type="checkbox" id="([^"]+)" name="account_ids" value="([^"]+)"( checked)?>/g)];
    expect(boxes.map((box) => box[2])).toEqual(alice.accounts.map((account) => account.id));
    expect(boxes.every((box) => box[3] === ' checked')).toBe(true);
    expect(boxes.map((box) => labelFor(page.html, box[1] as string))).toEqual(['alice Current', 'alice Savings', 'alice Euro']);
    for (const account of bob.accounts) expect(page.html).not.toContain(account.id);
    expect(page.html).toContain('<button type="submit">Allow</button>');
    expect(page.html).toContain('<button type="submit" class="secondary">Deny</button>');
    const forms = [...page.html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => match[1]);
    expect(forms).toEqual([`${new URL(page.url).pathname}/confirm`, `${new URL(page.url).pathname}/abort`]);
  });

  test('a hostile client name is HTML-escaped on the consent page', async () => {
    const config = await discover(server, await seedClient(server, { name: '<script>alert("x")</script>' }));
    const page = await openConsentPage(config);
    expect(page.html).not.toContain('<script');
    expect(page.html).toContain('<h1>Allow &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; to access your bank?</h1>');
  });

  test('submitting with no account ticked shows the page again with an error, and a second try with an account succeeds', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openConsentPage(config);
    const response = await page.flow.agent.request(page.action, { form: {} });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const html = await response.text();
    expect(html).toContain('<p class="error" role="alert">Choose at least one account to share, or Deny.</p>');
    expect([...html.matchAll(/name="account_ids" value="([^"]+)"/g)].map((match) => match[1])).toEqual(alice.accounts.map((account) => account.id));
    const chosen = [alice.accounts[1]?.id as string];
    const result = await allow(page, chosen);
    const tokens = await exchange(config, result);
    expect(decodeJwt(tokens.access_token).account_ids).toEqual(chosen);
  });

  test('ticking an account of another user is ignored: the token carries only the user\'s own accounts', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openConsentPage(config);
    const own = alice.accounts[0]?.id as string;
    const result = await allow(page, [own, bob.accounts[0]?.id as string, 'acc_does_not_exist']);
    const tokens = await exchange(config, result);
    expect(decodeJwt(tokens.access_token).account_ids).toEqual([own]);
  });

  test('ticking only accounts of another user counts as no account: the page is shown again with the error', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openConsentPage(config);
    const response = await page.flow.agent.request(page.action, { form: { account_ids: bob.accounts.map((account) => account.id) } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('Choose at least one account to share, or Deny.');
  });

  test('a request for openid only needs no account: the page has no checkboxes and Allow succeeds', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openConsentPage(config, 'openid');
    expect(page.html).not.toContain('name="account_ids"');
    const result = await allow(page, []);
    expect(result.callbackUrl.searchParams.get('code')).toEqual(expect.any(String));
  });
});

/** `name` directive of a Content-Security-Policy header, or undefined. */
function cspDirective(csp: string, name: string): string | undefined {
  return csp.split(';').map((part) => part.trim()).find((part) => part.split(/\s+/)[0] === name)?.slice(name.length).trim();
}

describe('security headers', () => {
  const withBody = async (response: Response): Promise<{ response: Response; html: string }> => ({ response, html: await response.text() });
  const pages: Array<[string, () => Promise<{ response: Response; html: string }>]> = [
    ['the login page', async () => openLoginPage(await discover(server, await seedClient(server)))],
    ['the consent page', async () => openConsentPage(await discover(server, await seedClient(server)))],
    ['the login page after a wrong password', async () => {
      const page = await openLoginPage(await discover(server, await seedClient(server)));
      return withBody(await page.flow.agent.request(page.action, { form: { username: 'alice', password: 'not-it-at-all' } }));
    }],
    ['the consent page with an error', async () => {
      const page = await openConsentPage(await discover(server, await seedClient(server)));
      return withBody(await page.flow.agent.request(page.action, { form: {} }));
    }],
    ['the connected-apps sign-in page', async () => withBody(await new UserAgent().request(`${server.issuer}/account/apps`))],
    ['the connected-apps page', async () => {
      const agent = new UserAgent();
      await agent.request(`${server.issuer}/account/login`, { form: { username: alice.username, password: alice.password } });
      return withBody(await agent.request(`${server.issuer}/account/apps`));
    }],
    ['the expired-interaction page', async () => withBody(await new UserAgent().request(`${server.issuer}/interaction/doesnotexist`))],
    ['the authorization error page', async () => withBody(await new UserAgent().request(`${server.issuer}/auth?client_id=nobody&response_type=code`))],
  ];

  test.each(pages)('%s forbids inline script and framing, and is not cached', async (_label, open) => {
    const { response, html } = await open();
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    // 'self' only: this server serves no script, and no inline script is allowed.
    expect(cspDirective(csp, 'script-src')).toBe("'self'");
    expect(cspDirective(csp, 'default-src')).toBe("'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(cspDirective(csp, 'frame-ancestors')).toBe("'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(html).toMatch(/^<!doctype html>/);
  });

  test('the connected-apps page really is the signed-in page (so its headers above are the right ones)', async () => {
    const agent = new UserAgent();
    await agent.request(`${server.issuer}/account/login`, { form: { username: alice.username, password: alice.password } });
    expect(await (await agent.request(`${server.issuer}/account/apps`)).text()).toContain('<h1>Connected apps</h1>');
  });
});

describe('expired or unknown interactions', () => {
  test('an unknown interaction gets an HTML page saying the sign-in expired, not a stack trace or JSON', async () => {
    const response = await new UserAgent().request(`${server.issuer}/interaction/doesnotexist`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<h1>This sign-in request has expired</h1>');
    expect(html).toContain('Return to the app you came from and start again.');
    expect(html).not.toMatch(/\bat .+\.(js|ts):\d+/);
    expect(html).not.toMatch(/^\s*\{/);
  });

  test('posting credentials to an unknown interaction gets the same page, and signs nobody in', async () => {
    const response = await new UserAgent().request(`${server.issuer}/interaction/doesnotexist/login`, { form: { username: 'alice', password: 'wonderland' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('<h1>This sign-in request has expired</h1>');
  });

  test.each(['confirm', 'abort'])('posting to /interaction/doesnotexist/%s gets the expired page, not a redirect', async (step) => {
    const response = await new UserAgent().request(`${server.issuer}/interaction/doesnotexist/${step}`, { method: 'POST', form: {} });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('<h1>This sign-in request has expired</h1>');
  });

  test('an interaction that is already finished gets the expired page when opened again', async () => {
    const config = await discover(server, await seedClient(server));
    const page = await openConsentPage(config);
    const result = await allow(page, [alice.accounts[0]?.id as string]);
    expect(result.callbackUrl.searchParams.get('code')).toEqual(expect.any(String));
    const again = await page.flow.agent.request(page.url);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('<h1>This sign-in request has expired</h1>');
  });
});
