/**
 * The developer portal in a live deployment (PAYAPI_ENVIRONMENT=live), in a real browser against
 * the system as `startSystem` starts it: a new app shows Pending review and its credentials get
 * `invalid_client` at the token endpoint until the operator approves it (`approveClient`, what
 * `pnpm cli clients:approve` runs); there is no test users page.
 *
 * Without /usr/bin/chromium the test is skipped, except with CI=true, where it fails.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { approveClient } from '@payapi/auth-server';
import type { RunningSystem } from '@payapi/demo';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Browser, Page } from 'playwright-core';
import { accessibilityViolations } from './accessibility.ts';
import { ci, hasChromium, launchChromium, startSystemOnFreePorts } from './browser-system.ts';

(hasChromium || ci ? describe : describe.skip)('developer portal in live', () => {
  let database: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    database = await createTestDatabase();
    system = await startSystemOnFreePorts({ db: database.db, env: { PAYAPI_ENVIRONMENT: 'live', PARTNER_DEMO_WEBHOOKS: 'false' } });
    browser = await launchChromium();
    page = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    await database?.drop();
  });

  /** A client-credentials token request with HTTP Basic client authentication (RFC 6749 §2.3.1, §4.4). */
  async function tokenRequest(clientId: string, clientSecret: string): Promise<{ status: number; error: unknown }> {
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const response = await fetch(`${system.urls.auth}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'webhooks:manage' }),
    });
    const json = await response.json() as { error?: unknown };
    return { status: response.status, error: json.error };
  }

  test('a new app is Pending review and gets invalid_client until approved; no test users page', async () => {
    const portal = system.urls.portal;
    await page.goto(`${portal}/signup`);
    await page.getByLabel('Email').fill(`live-${randomUUID()}@example.com`);
    await page.getByLabel('Password').fill(`Live-${randomUUID()}`);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${portal}/apps`);
    expect(await page.getByRole('link', { name: 'Test users' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByLabel('App name').fill('Live App');
    await page.getByLabel('Redirect URIs').fill('https://live-app.example/cb');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Live App' }).waitFor();
    const text = await page.innerText('body');
    const clientId = /Client ID\s*([A-Za-z0-9_.~-]+)/.exec(text)?.[1] as string;
    const clientSecret = /Client secret\s*(sk_live_[A-Za-z0-9_-]+)/.exec(text)?.[1] as string;
    expect(clientId).toBeDefined();
    expect(clientSecret).toBeDefined();
    expect(text).toMatch(/Status\s+Pending review/);
    expect(await accessibilityViolations(page)).toEqual([]);

    expect(await tokenRequest(clientId, clientSecret)).toEqual({ status: 401, error: 'invalid_client' });
    await approveClient(database.db, clientId);
    await page.reload();
    expect(await page.innerText('body')).toMatch(/Status\s+Approved/);
    // Every server's client cache hears of the approval when it commits: allow it a moment.
    let answer = await tokenRequest(clientId, clientSecret);
    for (let tries = 0; tries < 20 && answer.status !== 200; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await tokenRequest(clientId, clientSecret);
    }
    expect(answer.status).toBe(200);

    const testUsers = await page.goto(`${portal}/test-users`);
    expect(testUsers?.status()).toBe(404);
  }, 120_000);
});
