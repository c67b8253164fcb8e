/**
 * The partner demo against a bank under SECURITY_PROFILE=fapi2 (docs/security.md, "FAPI 2.0
 * profile"), in a real browser (Debian chromium through playwright-core), on the system started as
 * `pnpm start` starts it with SECURITY_PROFILE=fapi2: the partner demo makes its key pair at start,
 * the seeder registers the public key, and every step runs the FAPI way through openid-client (PAR,
 * private_key_jwt, DPoP-bound tokens). Screenshots land in `test-artifacts/e2e/fapi2-*.png`.
 *
 * Without /usr/bin/chromium the test is skipped with a loud message, except with CI=true, where it fails.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RunningSystem } from '@payapi/demo';
import { SessionStore } from '@payapi/partner-demo';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Browser, Page } from 'playwright-core';
import { accessibilityViolations } from './accessibility.ts';
import { CHROMIUM, SCREENSHOTS, ci, hasChromium, launchChromium, screenshotOnFailure, startSystemOnFreePorts } from './browser-system.ts';

if (!hasChromium && !ci) process.stderr.write(`\n!!! SKIPPED: the fapi2 partner demo browser test needs ${CHROMIUM} (apt-get install chromium). !!!\n\n`);

(hasChromium || ci ? describe : describe.skip)('partner demo against a SECURITY_PROFILE=fapi2 bank, in a real browser', () => {
  let database: TestDatabase;
  let system: RunningSystem;
  let browser: Browser;
  let page: Page;
  const sessions = new SessionStore();
  let bobCurrentId: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    database = await createTestDatabase();
    system = await startSystemOnFreePorts({
      db: database.db,
      env: { SECURITY_PROFILE: 'fapi2', PARTNER_DEMO_SESSION_SECRET: 'e2e-partner-session-secret-0123456789abcdef' },
      partnerDemo: { sessions },
    });
    bobCurrentId = system.seed?.accounts.find((account) => account.name === 'Bob Current')?.id ?? '';
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await system?.close();
    await database?.drop();
  });

  async function step(name: string, work: () => Promise<void>): Promise<void> {
    await screenshotOnFailure(page, `failed-fapi2-${name}`, work);
  }
  const dashboardAccount = (name: string) => page.locator('section.account', { has: page.getByRole('heading', { name, exact: true }) });
  const balanceOf = async (name: string): Promise<string> => (await dashboardAccount(name).locator('.balance').innerText()).replace(/\s+/g, ' ');
  const connected = () => sessions.all().find((session) => session.tokens !== undefined);
  /** The claims of a JWT access token (read only: the resource API checks it). */
  const decodeJwt = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

  test('the seeder registered the partner demo with its public key only: private_key_jwt, no secret', async () => {
    const { rows } = await database.db.raw<{ rows: Array<{ payload: { token_endpoint_auth_method: string; jwks?: { keys: Array<Record<string, unknown>> } }; secrets: number }> }>(
      `SELECT s.payload, (SELECT count(*)::int FROM auth.client_secrets c WHERE c.client_id = s.id) AS secrets
         FROM auth.oidc_store s WHERE s.model = 'Client' AND s.id = 'partner-demo'`);
    expect(rows[0]?.payload.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(rows[0]?.payload.jwks?.keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', use: 'sig' })]);
    expect(rows[0]?.payload.jwks?.keys[0]).not.toHaveProperty('d');
    expect(rows[0]?.secrets).toBe(0);
  });

  test('connect (PAR), dashboard and transfer over DPoP, a Bearer use refused, Pay, a webhook, refresh with DPoP, disconnect', async () => {
    await step('connect', async () => {
      await page.goto(system.urls.partner);
      await page.getByRole('link', { name: 'Connect your bank' }).click();
      // The browser reached the bank with a request_uri only: the parameters were pushed (RFC 9126).
      expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('wonderland');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL(`${system.urls.partner}/dashboard`);
      expect(await balanceOf('Alice Current')).toContain('10000.00 CNY');
      expect(await balanceOf('Alice Euro')).toContain('1000.00 EUR');
      await page.screenshot({ path: join(SCREENSHOTS, 'fapi2-dashboard.png'), fullPage: true });
    });

    await step('dpop-bound', async () => {
      const tokens = connected()?.tokens;
      expect(tokens?.dpopKeyPair).toBeDefined();
      expect(decodeJwt(tokens?.accessToken as string).cnf).toEqual({ jkt: expect.any(String) });
      const bearer = await fetch(`${system.urls.api}/v1/accounts`, { headers: { authorization: `Bearer ${tokens?.accessToken}` } });
      expect(bearer.status).toBe(401);
      expect(bearer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
    });

    await step('transfer', async () => {
      const transfer = page.locator('form[action="/transfer"]');
      await transfer.getByLabel('Destination account id').fill(bobCurrentId);
      await transfer.getByLabel('Amount').fill('12.34');
      await transfer.getByLabel('Currency').fill('CNY');
      await page.getByRole('button', { name: 'Send transfer' }).click();
      await page.getByRole('heading', { name: 'Transfer created' }).waitFor();
      expect(await balanceOf('Alice Current')).toContain('9987.66 CNY');
    });

    // The Pay form's guards, before anything reaches the bank: the CSRF token, then the fields.
    await step('pay-guards', async () => {
      const forged = await page.request.post(`${system.urls.partner}/pay`, {
        form: { csrf_token: 'forged', amount: '1.00', currency: 'CNY', creditor_account_id: bobCurrentId }, maxRedirects: 0,
      });
      expect(forged.status()).toBe(403);
      expect(await forged.text()).toContain('Form expired');
      const pay = page.locator('form[action="/pay"]');
      await pay.getByLabel('Amount').fill('1,5');
      await pay.getByRole('button', { name: 'Pay', exact: true }).click();
      await page.getByRole('heading', { name: 'Payment refused: Payment not started' }).waitFor();
      expect(await page.locator('#payment-result').innerText()).toContain('The amount must be a decimal number');
      expect(page.url()).toBe(`${system.urls.partner}/dashboard`);
    });

    await step('pay', async () => {
      const pay = page.locator('form[action="/pay"]');
      expect(await pay.getByLabel('Creditor account id').inputValue()).toBe(bobCurrentId);
      await pay.getByLabel('Amount').fill('7.50');
      await pay.getByRole('button', { name: 'Pay', exact: true }).click();
      await page.getByText('Pay 7.50 CNY to Bob Current').waitFor();
      await page.getByLabel('Alice Current', { exact: true }).check();
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.getByRole('heading', { name: 'Payment completed' }).waitFor();
      expect((await page.locator('#payment-result').innerText()).replace(/\s+/g, ' ')).toMatch(/status completed\. Payment id pay_[0-9a-f]{32}/);
      expect(await balanceOf('Alice Current')).toContain('9980.16 CNY');
      expect(await accessibilityViolations(page)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, 'fapi2-dashboard-after-payment.png'), fullPage: true });
    });

    // The webhook endpoint was registered with a DPoP-bound client-credentials token: deliveries arrive.
    await step('notification', async () => {
      const notifications = page.locator('section.notifications');
      for (let tries = 0; tries < 40 && !(await notifications.innerText()).includes('transfer.completed'); tries += 1) {
        await page.waitForTimeout(500);
        await page.goto(`${system.urls.partner}/dashboard`);
      }
      expect(await notifications.innerText()).toContain('transfer.completed');
    });

    await step('refresh', async () => {
      const session = connected();
      if (!session?.tokens) throw new Error('no session holds tokens');
      const before = session.tokens.accessToken;
      session.tokens.expiresAtMs = Date.now() - 1000;
      await page.goto(`${system.urls.partner}/dashboard`);
      await dashboardAccount('Alice Current').waitFor();
      const after = connected()?.tokens?.accessToken as string;
      expect(after).not.toBe(before);
      expect(decodeJwt(after).cnf).toEqual(decodeJwt(before).cnf);
    });

    await step('disconnect', async () => {
      await page.getByRole('button', { name: 'Disconnect' }).click();
      await page.getByText('Disconnected: Partner Demo no longer has access to your bank.').waitFor();
      expect(connected()).toBeUndefined();
    });
  }, 180_000);
});
