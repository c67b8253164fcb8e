/**
 * The whole redirect flow in a real browser (Debian chromium through playwright-core, never a
 * downloaded browser), against the system started the way `pnpm start` starts it (`startSystem`:
 * migrations, the demo seeder, the three services) on a fresh test database and free ports.
 * Screenshots of the login, consent and dashboard pages land in `test-artifacts/e2e/` (git-ignored),
 * on every run and on failure.
 *
 * Without /usr/bin/chromium the test is skipped with a loud message, except with CI=true, where it fails.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { seedDemo } from '@payapi/demo';
import type { RunningSystem } from '@payapi/demo';
import { DEMO_PARTNER_CLIENT_SECRET, SessionStore } from '@payapi/partner-demo';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { accessibilityViolations } from './accessibility.ts';
import { CHROMIUM, SCREENSHOTS, ci, hasChromium, launchChromium, screenshotOnFailure, startSystemOnFreePorts } from './browser-system.ts';

if (!hasChromium && !ci) {
  process.stderr.write([
    '',
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    `!!! SKIPPED: the real-browser end-to-end test needs ${CHROMIUM} (apt-get install chromium). !!!`,
    '!!! With CI=true it fails instead of skipping.                                            !!!',
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    '',
  ].join('\n'));
}

(hasChromium || ci ? describe : describe.skip)('partner demo in a real browser', () => {
  let database: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const sessions = new SessionStore();
  let bobCurrentId: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    database = await createTestDatabase();
    system = await startSystemOnFreePorts({
      db: database.db,
      env: { PARTNER_DEMO_SESSION_SECRET: 'e2e-partner-session-secret-0123456789abcdef' },
      partnerDemo: { sessions },
    });
    bobCurrentId = system.seed?.accounts.find((account) => account.name === 'Bob Current')?.id ?? '';
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    await database?.drop();
  });

  /** Runs a step; on failure saves a screenshot named after it before failing. */
  async function step(name: string, work: () => Promise<void>): Promise<void> {
    await screenshotOnFailure(page, `failed-${name}`, work);
  }

  const dashboardAccount = (name: string) => page.locator('section.account', { has: page.getByRole('heading', { name, exact: true }) });
  const transferForm = () => page.locator('form[action="/transfer"]');
  const payForm = () => page.locator('form[action="/pay"]');

  test('the seeder ran: alice and bob with the documented accounts, nothing seeded twice', async () => {
    expect(system.seed?.accounts.map((account) => account.name)).toEqual(['Alice Current', 'Alice Savings', 'Alice Euro', 'Bob Current']);
    const again = await seedDemo(database.db, { partnerDemoUrl: system.urls.partner, partnerDemoClientSecret: DEMO_PARTNER_CLIENT_SECRET, production: false });
    expect(again.created).toEqual([]);
    expect(again.accounts).toEqual(system.seed?.accounts);
    await expect(seedDemo(database.db, { partnerDemoUrl: system.urls.partner, partnerDemoClientSecret: 'x', production: true })).rejects.toThrow(/production/);
  });

  test('connect, wrong then right password, per-account consent, dashboard, transfer, pay, refresh, deny, disconnect', async () => {
    // 1. partner demo -> Connect -> login page: a wrong password shows the error; alice/wonderland signs in.
    await step('login', async () => {
      await page.goto(system.urls.partner);
      await page.getByRole('link', { name: 'Connect your bank' }).click();
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('not-wonderland');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Invalid username or password').waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, 'login.png'), fullPage: true });
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('wonderland');
      await page.getByRole('button', { name: 'Sign in' }).click();
    });

    // 2. consent lists alice's three accounts; untick all but "Alice Current"; Allow.
    await step('consent', async () => {
      await page.getByRole('button', { name: 'Allow' }).waitFor();
      for (const name of ['Alice Current', 'Alice Savings', 'Alice Euro']) {
        expect(await page.getByLabel(name, { exact: true }).isChecked()).toBe(true);
      }
      await page.getByLabel('Alice Savings', { exact: true }).uncheck();
      await page.getByLabel('Alice Euro', { exact: true }).uncheck();
      await page.screenshot({ path: join(SCREENSHOTS, 'consent.png'), fullPage: true });
      await page.getByRole('button', { name: 'Allow' }).click();
    });

    // 3. the dashboard shows "Alice Current" with 10000.00 CNY and not the other two.
    await step('dashboard', async () => {
      await page.waitForURL(`${system.urls.partner}/dashboard`);
      const current = dashboardAccount('Alice Current');
      expect((await current.locator('.balance').innerText()).replace(/\s+/g, ' ')).toContain('10000.00 CNY');
      const body = await page.locator('main').innerText();
      expect(body).not.toContain('Alice Savings');
      expect(body).not.toContain('Alice Euro');
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png'), fullPage: true });
    });

    // 4. transfer 12.34 CNY to "Bob Current": 9987.66 and the debit in the history.
    await step('transfer', async () => {
      await transferForm().getByLabel('Destination account id').fill(bobCurrentId);
      await transferForm().getByLabel('Amount').fill('12.34');
      await transferForm().getByLabel('Currency').fill('CNY');
      await transferForm().getByLabel('Description').fill('Lunch <b>with</b> Bob');
      await page.getByRole('button', { name: 'Send transfer' }).click();
      await page.getByRole('heading', { name: 'Transfer created' }).waitFor();
      const current = dashboardAccount('Alice Current');
      expect((await current.locator('.balance').innerText()).replace(/\s+/g, ' ')).toContain('9987.66 CNY');
      const latest = current.locator('tbody tr').first();
      expect(await latest.getAttribute('class')).toBe('debit');
      const row = await latest.innerText();
      expect(row).toContain('-12.34 CNY');
      expect(row).toContain('Lunch <b>with</b> Bob'); // escaped, shown as text
      expect(row).toContain(bobCurrentId);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-after-transfer.png'), fullPage: true });
    });

    // The bank's webhook (docs/webhooks.md): the partner demo registered its endpoint at start, the
    // delivery worker sends transfer.completed, and the dashboard lists it under Notifications.
    // Deliveries are asynchronous: reload until it is there (the demo has no script to do it).
    await step('notification', async () => {
      const transferId = /Transfer id (tr_[0-9a-f]{32})/.exec(await page.locator('#transfer-result').innerText())?.[1];
      expect(transferId).toBeDefined();
      const expected = `Transfer ${transferId} of 12.34 CNY completed`;
      const notifications = page.locator('section.notifications');
      for (let tries = 0; tries < 40 && !(await notifications.innerText()).includes(expected); tries += 1) {
        await page.waitForTimeout(500);
        await page.goto(`${system.urls.partner}/dashboard`);
      }
      await notifications.getByRole('heading', { name: 'Notifications', exact: true }).waitFor();
      const row = notifications.locator('tbody tr', { hasText: expected });
      expect(await row.count()).toBe(1);
      expect(await row.innerText()).toContain('transfer.completed');
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-notifications.png'), fullPage: true });
    });

    // The Pay form (docs/partner-integration.md, "Pay"): a payment consent through PAR, the bank's
    // consent page in words, the payment executed on return; the dashboard passes axe before and after.
    await step('pay', async () => {
      expect(await accessibilityViolations(page)).toEqual([]);
      expect(await payForm().getByLabel('Creditor account id').inputValue()).toBe(bobCurrentId);
      await payForm().getByLabel('Amount').fill('5.00');
      await payForm().getByLabel('Currency').fill('CNY');
      await payForm().getByRole('button', { name: 'Pay', exact: true }).click();
      await page.getByText('Pay 5.00 CNY to Bob Current').waitFor();
      await page.getByLabel('Alice Current', { exact: true }).check();
      await page.screenshot({ path: join(SCREENSHOTS, 'consent-pay.png'), fullPage: true });
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.getByRole('heading', { name: 'Payment completed' }).waitFor();
      const result = (await page.locator('#payment-result').innerText()).replace(/\s+/g, ' ');
      expect(result).toContain(`5.00 CNY from ${system.seed?.accounts[0]?.id} to ${bobCurrentId}, status completed`);
      expect(result).toMatch(/Payment id pay_[0-9a-f]{32}, consent pc_[0-9a-f]{32}/);
      expect((await dashboardAccount('Alice Current').locator('.balance').innerText()).replace(/\s+/g, ' ')).toContain('9982.66 CNY');
      expect(await accessibilityViolations(page)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-after-payment.png'), fullPage: true });
    });

    // A payment the bank refuses at the pushed request (an unknown payee) shows why; nothing is paid.
    await step('pay-refused', async () => {
      await payForm().getByLabel('Creditor account id').fill(`acc_${'0'.repeat(32)}`);
      await payForm().getByLabel('Amount').fill('1.00');
      await payForm().getByRole('button', { name: 'Pay', exact: true }).click();
      await page.getByRole('heading', { name: /Payment refused/ }).waitFor();
      expect(await page.locator('#payment-result').innerText()).toContain('invalid_authorization_details');
      expect((await dashboardAccount('Alice Current').locator('.balance').innerText()).replace(/\s+/g, ' ')).toContain('9982.66 CNY');
    });

    // A refused transfer shows the problem details.
    await step('problem', async () => {
      await transferForm().getByLabel('Destination account id').fill(bobCurrentId);
      await transferForm().getByLabel('Amount').fill('999999.00');
      await transferForm().getByLabel('Currency').fill('CNY');
      await page.getByRole('button', { name: 'Send transfer' }).click();
      await page.getByRole('heading', { name: /Transfer refused/ }).waitFor();
      expect(await page.locator('#transfer-result').innerText()).toContain('insufficient_funds');
    });

    // Tokens refresh when expired: age the access token, reload, the dashboard still answers with a new one.
    const connected = () => sessions.all().find((session) => session.tokens !== undefined);
    await step('refresh', async () => {
      const session = connected();
      if (!session?.tokens) throw new Error('no session holds tokens');
      const before = session.tokens.accessToken;
      session.tokens.expiresAtMs = Date.now() - 1000;
      await page.goto(`${system.urls.partner}/dashboard`);
      await dashboardAccount('Alice Current').waitFor();
      expect(connected()?.tokens?.accessToken).not.toBe(before);
    });

    // 5. a second connection attempt with Deny: the partner shows "access denied".
    await step('deny', async () => {
      await page.goto(`${system.urls.partner}/connect`);
      await page.getByRole('button', { name: 'Deny' }).click();
      await page.getByRole('heading', { name: 'Access denied' }).waitFor();
      expect((await page.locator('main').innerText()).toLowerCase()).toContain('access denied');
    });

    // 6. Disconnect: a transfer with the old access token is refused by the resource API.
    await step('disconnect', async () => {
      const oldAccessToken = connected()?.tokens?.accessToken;
      if (!oldAccessToken) throw new Error('no session holds tokens');
      await page.goto(`${system.urls.partner}/dashboard`);
      await page.getByRole('button', { name: 'Disconnect' }).click();
      await page.getByText('Disconnected').waitFor();
      expect(connected()).toBeUndefined();
      const answer = await fetch(`${system.urls.api}/v1/transfers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${oldAccessToken}`, 'content-type': 'application/json', 'idempotency-key': `e2e-${Date.now()}` },
        body: JSON.stringify({ source_account_id: system.seed?.accounts[0]?.id, destination_account_id: bobCurrentId, amount: '1.00', currency: 'CNY' }),
      });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('invalid_token');
    });
  }, 180_000);
});
