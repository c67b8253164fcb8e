/**
 * A new partner developer's whole journey on the developer portal, in a real browser (Debian
 * chromium through playwright-core), against the system as `pnpm start` starts it (`startSystem`:
 * migrations, the four services and the webhook delivery worker) on a fresh test database and free
 * ports: sign up, create an app, read its client id and secret (gone after a reload), create a test
 * user, run the authorization-code flow with openid-client on the app's credentials as that user
 * (login and consent in the browser), make a transfer through the resource API, see it in the
 * request log, add a webhook endpoint (a loopback receiver), send a test event and see its delivery
 * succeed. Every portal page is checked with axe-core (WCAG 2.1 AA), and every log line of the
 * whole journey is searched for every secret seen on the way.
 *
 * Screenshots land in `test-artifacts/e2e/` (git-ignored). Without /usr/bin/chromium the test is
 * skipped with a loud message, except with CI=true, where it fails.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RunningSystem } from '@payapi/demo';
import { startWebhookReceiver } from '@payapi/events/testing';
import type { WebhookReceiver } from '@payapi/events/testing';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { accessibilityViolations } from './accessibility.ts';
import { SCREENSHOTS, ci, hasChromium, launchChromium, screenshotOnFailure, startSystemOnFreePorts } from './browser-system.ts';
import { startRedirectCatcher } from './redirect-catcher.ts';
import type { RedirectCatcher } from './redirect-catcher.ts';
import { captureLogs } from './system-logs.ts';

(hasChromium || ci ? describe : describe.skip)('developer portal: from sign-up to a first sandbox transfer, in a real browser', () => {
  let database: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let receiver: WebhookReceiver;
  let catcher: RedirectCatcher;
  const logs = captureLogs();
  /** Every secret the journey sees; none may appear in any log line. */
  const secrets = new Map<string, string>();
  /** Pages checked with axe, and what it found. */
  const audited: Array<{ url: string; violations: unknown[] }> = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    database = await createTestDatabase();
    receiver = await startWebhookReceiver();
    catcher = await startRedirectCatcher();
    system = await startSystemOnFreePorts({
      db: database.db,
      env: { PARTNER_DEMO_WEBHOOKS: 'false', LOG_LEVEL: 'debug' },
      logDestination: logs.destination,
    });
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    await catcher?.close();
    await receiver?.close();
    await database?.drop();
  });

  /** Runs a step; on failure saves a screenshot named after it before failing. */
  async function step(name: string, work: () => Promise<void>): Promise<void> {
    await screenshotOnFailure(page, `portal-failed-${name}`, async () => {
      await work();
      await page.screenshot({ path: join(SCREENSHOTS, `portal-${name}.png`), fullPage: true });
    });
  }

  /** axe on the portal page the browser shows now. */
  async function audit(): Promise<void> {
    audited.push({ url: new URL(page.url()).pathname, violations: await accessibilityViolations(page) });
  }

  const body = async (): Promise<string> => page.innerText('body');

  test('sign up, app, credentials once, test user, code flow, transfer, request log, webhook', async () => {
    const portal = system.urls.portal;
    const email = `developer-${randomUUID()}@example.com`;
    const password = `Portal-${randomUUID()}`;
    secrets.set('developer password', password);
    let clientId = '';
    let appUrl = '';

    await step('signup', async () => {
      await page.goto(portal);
      await audit();
      await page.getByRole('link', { name: 'Sign up', exact: true }).first().click();
      await audit();
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(`${portal}/apps`);
      await audit();
      const cookie = (await context.cookies()).find((entry) => entry.name === 'portal_session');
      expect(cookie?.httpOnly).toBe(true);
      expect(cookie?.sameSite).toBe('Lax');
      secrets.set('session cookie', cookie?.value as string);
    });

    await step('create-app', async () => {
      await page.getByRole('button', { name: 'Create app' }).click();
      await audit();
      await page.getByLabel('App name').fill('Journey App');
      await page.getByLabel('Redirect URIs').fill(catcher.redirectUri);
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await page.getByRole('heading', { name: 'Journey App' }).waitFor();
      await audit();
      const text = await body();
      clientId = /Client ID\s*:?\s*([A-Za-z0-9_.~-]+)/.exec(text)?.[1] ?? '';
      const clientSecret = /Client secret\s*:?\s*(sk_sandbox_[A-Za-z0-9_-]+)/.exec(text)?.[1] ?? '';
      expect(clientId).not.toBe('');
      expect(clientSecret).not.toBe('');
      secrets.set('client secret', clientSecret);
      appUrl = page.url();
      await page.reload();
      expect(await body()).not.toContain(clientSecret);
      expect(await body()).toContain(clientId);
    });

    let username = '';
    await step('test-user', async () => {
      await page.getByRole('link', { name: 'Test users', exact: true }).click();
      await audit();
      await page.getByRole('button', { name: 'Create test user' }).click();
      await page.getByText('Copy the password now').waitFor();
      await audit();
      const match = /Username\s*:?\s*(\S+)\s+Password\s*:?\s*(\S+)/.exec(await body());
      username = match?.[1] ?? '';
      secrets.set('test user password', match?.[2] ?? '');
      expect(username).toMatch(/^test-/);
      expect(await body()).toContain('"Test Current" CNY 10000.00 and "Test Savings" CNY 5000.00');
    });

    let accessToken = '';
    await step('code-flow', async () => {
      const config = await client.discovery(new URL(system.urls.auth), clientId, undefined,
        client.ClientSecretBasic(secrets.get('client secret') as string), { execute: [client.allowInsecureRequests] });
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: catcher.redirectUri, scope: 'openid accounts:read transactions:read transfers:write', state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', resource: system.urls.api,
      });
      const flow = await context.newPage();
      await flow.goto(url.href);
      await flow.getByLabel('Username').fill(username);
      await flow.getByLabel('Password').fill(secrets.get('test user password') as string);
      await flow.getByRole('button', { name: 'Sign in' }).click();
      await flow.getByRole('button', { name: 'Allow' }).click();
      const callback = await catcher.callback(state);
      await flow.close();
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource: system.urls.api });
      accessToken = tokens.access_token;
      secrets.set('access token', accessToken);
      if (tokens.id_token) secrets.set('id token', tokens.id_token);
      const code = callback.searchParams.get('code');
      if (code) secrets.set('authorization code', code);
    });

    await step('transfer', async () => {
      const call = async (method: string, path: string, payload?: unknown) => {
        const response = await fetch(`${system.urls.api}${path}`, {
          method,
          headers: { authorization: `Bearer ${accessToken}`, ...(payload ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() } : {}) },
          body: payload ? JSON.stringify(payload) : undefined,
        });
        return { status: response.status, json: await response.json() as Record<string, unknown> };
      };
      const accounts = (await call('GET', '/v1/accounts')).json.data as Array<{ id: string; name: string }>;
      const current = accounts.find((account) => account.name === 'Test Current');
      const savings = accounts.find((account) => account.name === 'Test Savings');
      expect(current && savings).toBeTruthy();
      expect((await call('GET', `/v1/accounts/${current?.id}/balance`)).json.amount).toBe('10000.00');
      const transfer = await call('POST', '/v1/transfers', { source_account_id: current?.id, destination_account_id: savings?.id, amount: '1.00', currency: 'CNY' });
      expect(transfer.status).toBe(201);
    });

    await step('request-log', async () => {
      for (let tries = 0; tries < 40; tries += 1) {
        await page.goto(appUrl);
        if (/POST\s+\/v1\/transfers\s+201/.test(await body())) break;
        await page.waitForTimeout(250);
      }
      expect(await body()).toMatch(/POST\s+\/v1\/transfers\s+201/);
      expect(await body()).toMatch(/GET\s+\/v1\/accounts\s+200/);
      await audit();
    });

    await step('webhook', async () => {
      await page.getByLabel('Endpoint URL').fill(receiver.url);
      await page.getByLabel('webhook.test', { exact: true }).check();
      await page.getByLabel('transfer.completed', { exact: true }).check();
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      await page.getByText('Copy the signing secret').waitFor();
      await audit();
      const signingSecret = /Signing secret\s*(whsec_\S+)/.exec(await body())?.[1] ?? '';
      expect(signingSecret).not.toBe('');
      secrets.set('webhook signing secret', signingSecret);
      await page.getByRole('button', { name: 'Send test event' }).click();
      for (let tries = 0; tries < 40 && !/webhook\.test\s+evt_\w+\s+succeeded/.test(await body()); tries += 1) {
        await page.waitForTimeout(250);
        await page.goto(appUrl);
      }
      expect(await body()).toMatch(/webhook\.test\s+evt_\w+\s+succeeded \(attempt 1\)\s+200/);
      await audit();
      const delivery = receiver.received.find((request) => (request.body.includes('"webhook.test"')));
      expect(delivery).toBeDefined();
      const signed = `${String(delivery?.headers['webhook-id'])}.${String(delivery?.headers['webhook-timestamp'])}.${delivery?.body ?? ''}`;
      const expected = createHmac('sha256', Buffer.from(signingSecret.slice('whsec_'.length), 'base64')).update(signed).digest('base64');
      expect(delivery?.headers['webhook-signature']).toBe(`v1,${expected}`);
    });

    await step('sign-out', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.goto(`${portal}/apps`);
      await page.waitForURL(`${portal}/signin`);
      await audit();
    });

    // axe-core: no WCAG 2.1 A/AA violation on any portal page of the journey.
    expect(audited.length).toBeGreaterThanOrEqual(10);
    expect(audited.filter((entry) => entry.violations.length > 0)).toEqual([]);

    // The logs of the whole journey: every service wrote lines, none holds a secret seen on the way.
    expect(logs.lines.some((line) => line.includes('"service":"developer-portal"'))).toBe(true);
    expect(logs.lines.some((line) => line.includes('"service":"resource-api"'))).toBe(true);
    expect(logs.lines.some((line) => line.includes('"service":"auth-server"'))).toBe(true);
    for (const [what, secret] of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect({ what, lines: logs.lines.filter((line) => line.includes(secret)) }).toEqual({ what, lines: [] });
    }
  }, 180_000);
});
