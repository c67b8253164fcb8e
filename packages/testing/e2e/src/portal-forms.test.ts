/**
 * The developer portal's forms as a new partner developer met them, in a real browser (Debian
 * chromium through playwright-core) against the system as `startSystem` starts it: refused forms
 * open with a focused error summary that links to the field, which is marked invalid and described
 * by its message; Create app leads to `/apps/new` without a bare `?`; buttons repeated per endpoint
 * or event have accessible names of their own that still start with the visible label; Rotate secret
 * says until when the previous secret works and Revoke previous secret ends it at the token
 * endpoint; Delete endpoint and Delete app ask on a confirmation page first. Every page is checked
 * with axe-core (WCAG 2.1 AA).
 *
 * Without /usr/bin/chromium the test is skipped, except with CI=true, where it fails.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RunningSystem } from '@payapi/demo';
import { startWebhookReceiver } from '@payapi/events/testing';
import type { WebhookReceiver } from '@payapi/events/testing';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Browser, Page } from 'playwright-core';
import { accessibilityViolations } from './accessibility.ts';
import type { Violation } from './accessibility.ts';
import { ci, hasChromium, launchChromium, startSystemOnFreePorts } from './browser-system.ts';

(hasChromium || ci ? describe : describe.skip)('developer portal forms, in a real browser', () => {
  let database: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;
  let page: Page;
  let receiver: WebhookReceiver;
  let portal: string;
  /** Pages checked with axe, and what it found. */
  const audited: Array<{ url: string; violations: Violation[] }> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = await startWebhookReceiver();
    system = await startSystemOnFreePorts({ db: database.db, env: { PARTNER_DEMO_WEBHOOKS: 'false' } });
    portal = system.urls.portal;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${portal}/signup`);
    await page.getByLabel('Email').fill(`forms-${randomUUID()}@example.com`);
    await page.getByLabel('Password').fill(`Forms-${randomUUID()}`);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${portal}/apps`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    await receiver?.close();
    await database?.drop();
  });

  async function audit(): Promise<void> {
    audited.push({ url: new URL(page.url()).pathname, violations: await accessibilityViolations(page) });
  }

  /** The id of the element that has the focus. */
  const focused = async (): Promise<string> => page.evaluate('document.activeElement?.id ?? ""') as Promise<string>;

  /** The texts of the elements an element's `aria-describedby` names, joined as a screen reader reads them. */
  async function descriptionOf(selector: string): Promise<string> {
    return page.evaluate(`(() => {
      const ids = (document.querySelector(${JSON.stringify(selector)})?.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
      return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ').replace(/\\s+/g, ' ').trim();
    })()`) as Promise<string>;
  }

  /** A client-credentials token request (RFC 6749 §4.4) with HTTP Basic client authentication. */
  async function tokenOutcome(clientId: string, clientSecret: string): Promise<string> {
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const response = await fetch(`${system.urls.auth}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'webhooks:manage' }),
    });
    return response.ok ? 'token' : String((await response.json() as { error?: unknown }).error);
  }

  let appUrl = '';
  let clientId = '';
  let firstSecret = '';

  test('Create app leads to /apps/new; a refused form opens with a focused error summary naming every bad redirect URI', async () => {
    await page.goto(`${portal}/apps`);
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.waitForURL(`${portal}/apps/new`);
    expect(page.url()).toBe(`${portal}/apps/new`);
    await audit();
    await page.getByLabel('App name').fill('Forms App');
    await page.getByLabel('Redirect URIs').fill('http://127.0.0.1:59999/cb\nhttp://partner.example/cb\nhttps://partner.example/cb#x');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.title()).toMatch(/^Error: Create an app/);
    expect(await focused()).toBe('error-summary');
    const links = page.locator('#error-summary a');
    expect(await links.allInnerTexts()).toEqual([
      'Line 2: redirect URI must be https (http only on localhost): http://partner.example/cb.',
      'Line 3: redirect URI must not carry a fragment or credentials: https://partner.example/cb#x.',
    ]);
    expect(await page.locator('#redirect_uris').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#name').getAttribute('aria-invalid')).toBeNull();
    expect(await descriptionOf('#redirect_uris')).toMatch(/^Error: Line 2: .* Error: Line 3: .* One per line, matched exactly/);
    await audit();
    await links.first().click();
    expect(await focused()).toBe('redirect_uris');

    await page.getByLabel('Redirect URIs').fill('http://127.0.0.1:59999/cb');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Forms App' }).waitFor();
    const text = await page.innerText('body');
    clientId = /Client ID\s*([A-Za-z0-9_.~-]+)/.exec(text)?.[1] ?? '';
    firstSecret = /Client secret\s*(sk_sandbox_[A-Za-z0-9_-]+)/.exec(text)?.[1] ?? '';
    expect(clientId).not.toBe('');
    expect(firstSecret).not.toBe('');
    appUrl = page.url();
  }, 60_000);

  test('a refused Add endpoint: the summary is at the top of the viewport and focused; its link reaches the field; each field says only its own problem', async () => {
    await page.goto(appUrl);
    await page.getByLabel('Endpoint URL').fill('ftp://hooks.example/a');
    await page.getByLabel('webhook.test', { exact: true }).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await focused()).toBe('error-summary');
    const box = await page.locator('#error-summary').boundingBox();
    expect(box !== null && box.y >= 0 && box.y + box.height <= 800).toBe(true);
    expect(await page.locator('#error-summary a').allInnerTexts()).toEqual([
      'Endpoint URL not allowed: the endpoint URL must use https or http. This deployment takes https or http URLs, localhost and private networks included.',
    ]);
    expect(await page.locator('#endpoint_url').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('webhook.test', { exact: true }).getAttribute('aria-invalid')).toBeNull();
    expect(await descriptionOf('#endpoint_url')).toMatch(/^Error: Endpoint URL not allowed: .* https or http: this deployment also sends to localhost/);
    await audit();
    await page.locator('#error-summary a').click();
    expect(await focused()).toBe('endpoint_url');

    // A good URL and no event type: only the event types are wrong.
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('webhook.test', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.locator('#error-summary a').allInnerTexts()).toEqual(['Tick at least one event type.']);
    expect(await page.locator('#endpoint_url').getAttribute('aria-invalid')).toBeNull();
    expect(await page.getByLabel('webhook.test', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await audit();
  }, 60_000);

  test('with two endpoints, Send test event, Delete endpoint and Redeliver each name their endpoint or event, and still match their visible label', async () => {
    const urls = [`${receiver.url}/first`, `${receiver.url}/second`];
    for (const url of urls) {
      await page.goto(appUrl);
      await page.getByLabel('Endpoint URL').fill(url);
      await page.getByLabel('webhook.test', { exact: true }).check();
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      await page.getByText('Copy the signing secret').waitFor();
    }
    expect(await page.getByRole('button', { name: 'Send test event' }).count()).toBe(2);
    expect(await page.getByRole('button', { name: 'Delete endpoint' }).count()).toBe(2);
    for (const url of urls) {
      expect(await page.getByRole('button', { name: `Send test event to ${url}`, exact: true }).count()).toBe(1);
      expect(await page.getByRole('button', { name: `Delete endpoint ${url}`, exact: true }).count()).toBe(1);
      await page.getByRole('button', { name: `Send test event to ${url}`, exact: true }).click();
      await page.waitForURL(/done=test-sent/);
    }
    for (let tries = 0; tries < 40 && (await page.getByRole('button', { name: 'Redeliver' }).count()) < 2; tries += 1) {
      await page.waitForTimeout(250);
      await page.goto(appUrl);
    }
    const redeliver = page.getByRole('button', { name: 'Redeliver' });
    expect(await redeliver.count()).toBe(2);
    const names = await redeliver.evaluateAll((buttons) => buttons.map((button) => (button as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').trim()));
    expect(names.every((name) => /^Redeliver event evt_[0-9a-f]{32} \(webhook\.test\)$/.test(name))).toBe(true);
    expect(new Set(names).size).toBe(2);
    await audit();
  }, 60_000);

  test('Rotate secret says until when (UTC) the old secret works; Revoke previous secret ends it at the token endpoint', async () => {
    await page.goto(appUrl);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('Secret rotated').waitFor();
    const text = await page.innerText('body');
    const newSecret = /Client secret\s*(sk_sandbox_[A-Za-z0-9_-]+)/.exec(text)?.[1] ?? '';
    const until = /the previous secret keeps working until (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC/.exec(text)?.[1] ?? '';
    expect(Date.parse(`${until.replace(' ', 'T')}Z`) - Date.now()).toBeGreaterThan(86_400_000 - 120_000);
    await audit();
    await page.reload();
    expect(await page.innerText('body')).toContain(`Previous secret works until ${until} UTC.`);
    expect(await tokenOutcome(clientId, firstSecret)).toBe('token');
    await page.getByRole('button', { name: 'Revoke previous secret' }).click();
    await page.getByText('Previous secret revoked').waitFor();
    expect(await page.getByRole('button', { name: 'Revoke previous secret' }).count()).toBe(0);
    await audit();
    // Every server's client cache hears of the change when it commits: allow it a moment.
    let outcome = await tokenOutcome(clientId, firstSecret);
    for (let tries = 0; tries < 20 && outcome === 'token'; tries += 1) {
      await page.waitForTimeout(100);
      outcome = await tokenOutcome(clientId, firstSecret);
    }
    expect(outcome).toBe('invalid_client');
    expect(await tokenOutcome(clientId, newSecret)).toBe('token');
  }, 60_000);

  test('Delete endpoint and Delete app ask on a confirmation page first; its button of the same name deletes', async () => {
    const url = `${receiver.url}/first`;
    await page.goto(appUrl);
    await page.getByRole('button', { name: `Delete endpoint ${url}`, exact: true }).click();
    await page.waitForURL(/\/webhooks\/we_[0-9a-f]{32}\/delete$/);
    expect(await page.innerText('main')).toContain(`The endpoint ${url} of Forms App`);
    await audit();
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.waitForURL(/done=endpoint-deleted/);
    expect(await page.getByRole('button', { name: 'Delete endpoint' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: `Delete endpoint ${url}`, exact: true }).count()).toBe(0);

    await page.getByRole('button', { name: 'Delete app' }).click();
    await page.waitForURL(`${appUrl}/delete`);
    await page.getByRole('heading', { name: 'Delete Forms App?' }).waitFor();
    await audit();
    await page.goto(appUrl);
    expect(await page.getByRole('heading', { name: 'Forms App' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Delete app' }).click();
    await page.getByRole('button', { name: 'Delete app' }).click();
    await page.waitForURL(`${portal}/apps?done=deleted`);
    expect(await page.innerText('main')).not.toContain(clientId);
    expect((await page.goto(appUrl))?.status()).toBe(404);
  }, 60_000);

  test('axe-core: no WCAG 2.1 A/AA violation on any page above (error summaries, confirmation pages included)', () => {
    expect(audited.length).toBeGreaterThanOrEqual(9);
    expect(audited.filter((entry) => entry.violations.length > 0)).toEqual([]);
  });
});
