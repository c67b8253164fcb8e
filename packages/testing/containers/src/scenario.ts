/**
 * What the container test checks from the host once README.md's steps have started the stack:
 * discovery over https with the local CA trusted (and refused without it), the partner demo's
 * authorization-code flow and a transfer in a real browser through the proxy, transfers that go on
 * through a restart of the resource API's container (each retried on its idempotency key: the books
 * exact, nothing doubled), and a restart of the PostgreSQL container with its data kept.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '@payapi/e2e/browser-system';
import { startRedirectCatcher } from '@payapi/e2e/redirect-catcher';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { say, secondsSince } from './commands.ts';
import { publicJson, publicRequest } from './public-https.ts';
import type { Stack } from './stack.ts';

/** The stack's four public URLs. */
export interface PublicUrls {
  auth: string;
  api: string;
  partner: string;
  portal: string;
}

/** What the checks are given. */
export interface ScenarioInput {
  stack: Stack;
  urls: PublicUrls;
  /** The local CA (local-ca/ca.pem) and HAProxy's certificate (tls/certificate.pem), PEM. */
  caPem: string;
  certificatePem: string;
  /** alice, made by README.md's steps: her password and her two accounts' ids. */
  alice: { password: string; currentId: string; savingsId: string };
  /** Where a failed browser step leaves its screenshot. */
  screenshotDir: string;
}

/** Figures the checks measured, for the summary. */
export interface ScenarioFigures {
  transfersThroughRestart: number;
  requestsRetried: number;
  /** From the `podman restart` under load to the healthcheck passing. */
  resourceApiReadyAfterRestartUnderLoadSeconds: number;
  postgresReadyAfterRestartSeconds: number;
  apiAnsweringAfterPostgresRestartSeconds: number;
  /** Per service, PostgreSQL running: from its container's start to its healthcheck (`/readyz`) passing. */
  readyAfterStartSeconds: Record<string, number>;
}

/** Every service of docker-compose.yml but the one-shot `migrate`. */
const LONG_RUNNING_SERVICES = ['postgres', 'redis', 'auth-server', 'resource-api', 'webhook-worker', 'developer-portal', 'partner-demo', 'proxy'] as const;
/** The services whose start is timed (each answers `/readyz`). */
const TIMED_SERVICES = ['auth-server', 'resource-api', 'developer-portal', 'partner-demo'] as const;

/** Transfers sent while the resource API restarts, by parallel callers, each of 1.00 CNY. */
const LOAD_TRANSFERS = 60;
const LOAD_CALLERS = 4;
/** The restart happens once this many of them are booked. */
const RESTART_AFTER = 15;
/** Answers after which the same request is sent again, same idempotency key and body. */
const RETRIED_STATUSES = new Set([409, 502, 503, 504]);

/** Minor units of a CNY amount string ("9987.66" is 998766n). */
function minor(amount: string): bigint {
  assert.match(amount, /^-?\d+\.\d{2}$/, `not a CNY amount: ${amount}`);
  return BigInt(amount.replace('.', ''));
}

/** The base64 SHA-256 of a certificate's public key, as chromium's --ignore-certificate-errors-spki-list takes it. */
function spkiHash(certificatePem: string): string {
  const der = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** Runs every check in order; throws on the first that fails. */
export async function runScenario(input: ScenarioInput): Promise<ScenarioFigures> {
  const discovery = await checkDiscovery(input);
  mkdirSync(input.screenshotDir, { recursive: true });
  // Trusts HAProxy's certificate only (its key), as a browser that trusts the local CA would.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spkiHash(input.certificatePem)}`] });
  try {
    const page = await (await browser.newContext()).newPage();
    await inBrowser(page, input, 'partner-demo', () => partnerDemoTransfer(page, input));
    const accessToken = await inBrowser(page, input, 'token', () => tokenThroughBrowser(page, input, discovery));
    const load = await transfersThroughRestart(input, accessToken);
    const postgres = await postgresRestart(input, accessToken);
    return { ...load, ...postgres, readyAfterStartSeconds: await startTimes(input) };
  } finally {
    await closeBrowser(browser);
  }
}

async function closeBrowser(browser: Browser): Promise<void> {
  await browser.close().catch(() => undefined);
}

/** Runs a browser step; on failure saves a screenshot named after it and throws again. */
async function inBrowser<T>(page: Page, input: ScenarioInput, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await page.screenshot({ path: join(input.screenshotDir, `failed-${name}.png`), fullPage: true }).catch(() => undefined);
    throw error;
  }
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

/** Discovery through HAProxy with the local CA trusted; the same request without it is refused. */
async function checkDiscovery(input: ScenarioInput): Promise<Discovery> {
  for (const service of LONG_RUNNING_SERVICES) assert.equal((await input.stack.state(service)).Running, true, `${service}'s container is not running`);
  say('discovery over https, the local CA trusted');
  const { status, json } = await publicJson(`${input.urls.auth}/.well-known/openid-configuration`, { ca: input.caPem });
  assert.equal(status, 200);
  const discovery = json as Discovery & { jwks_uri: string };
  assert.equal(discovery.issuer, input.urls.auth);
  assert.equal(discovery.token_endpoint, `${input.urls.auth}/token`);
  assert.equal(discovery.jwks_uri, `${input.urls.auth}/jwks`);
  const untrusted = await publicRequest(`${input.urls.auth}/.well-known/openid-configuration`).then(() => 'answered', (error: Error) => error.message);
  assert.match(untrusted, /certificate/i, 'without the local CA the certificate must not be trusted');
  const resource = await publicJson(`${input.urls.api}/.well-known/oauth-protected-resource`, { ca: input.caPem });
  assert.deepEqual({ status: resource.status, resource: (resource.json as { resource: string }).resource, servers: (resource.json as { authorization_servers: string[] }).authorization_servers },
    { status: 200, resource: input.urls.api, servers: [input.urls.auth] });
  // HAProxy routes on the host's first label: each public URL reaches its own service.
  for (const [url, service] of [[input.urls.auth, 'auth-server'], [input.urls.api, 'resource-api'], [input.urls.partner, 'partner-demo'], [input.urls.portal, 'developer-portal']] as const) {
    const ready = await publicJson(`${url}/readyz`, { ca: input.caPem });
    assert.deepEqual({ status: ready.status, json: ready.json }, { status: 200, json: { status: 'ready' } }, `${service} through ${url}`);
  }
  const portal = await publicRequest(`${input.urls.portal}/`, { ca: input.caPem });
  assert.match(portal.body, /href="\/signup"/, 'the developer portal\'s home page');
  const elsewhere = await publicRequest(`${input.urls.auth}/`, { ca: input.caPem, headers: { host: `elsewhere.payapi.localhost:${new URL(input.urls.auth).port}` } });
  assert.equal(elsewhere.status, 421, 'a host HAProxy does not serve');
  return discovery;
}

/**
 * Each service's start with PostgreSQL running: `podman restart` of its container, then the time
 * until its healthcheck passes. On podman it includes the network's DNS pause after a container
 * joins (aardvark-dns 1.4: up to about 4 s here), which Docker's DNS does not have.
 */
async function startTimes(input: ScenarioInput): Promise<Record<string, number>> {
  const seconds: Record<string, number> = {};
  for (const service of TIMED_SERVICES) {
    say(`restarting ${service}'s container, to time its start`);
    await input.stack.restart(service);
    seconds[service] = await input.stack.waitHealthy(service);
  }
  say(`ready after their start: ${Object.entries(seconds).map(([service, value]) => `${service} ${value} s`).join(', ')}`);
  return seconds;
}

/** The partner demo: Connect, sign in as alice, consent to both accounts, send 12.34 CNY to her savings. */
async function partnerDemoTransfer(page: Page, input: ScenarioInput): Promise<void> {
  say('the partner demo in chromium: connect, sign in, consent, transfer 12.34 CNY');
  await page.goto(input.urls.partner);
  await page.getByRole('link', { name: 'Connect your bank' }).click();
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(input.alice.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).waitFor();
  assert.equal(new URL(page.url()).origin, input.urls.auth, 'the consent page is the bank\'s, through the proxy');
  for (const name of ['Alice Current', 'Alice Savings']) assert.equal(await page.getByLabel(name, { exact: true }).isChecked(), true);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${input.urls.partner}/dashboard`);
  const balanceOf = async (name: string) => (await page.locator('section.account', { has: page.getByRole('heading', { name, exact: true }) })
    .locator('.balance').innerText()).replace(/\s+/g, ' ');
  assert.match(await balanceOf('Alice Current'), /10000\.00 CNY/);
  const form = page.locator('form[action="/transfer"]');
  await form.getByLabel('Destination account id').fill(input.alice.savingsId);
  await form.getByLabel('Amount').fill('12.34');
  await form.getByLabel('Currency').fill('CNY');
  await form.getByLabel('Description').fill('Through the containers');
  await page.getByRole('button', { name: 'Send transfer' }).click();
  await page.getByRole('heading', { name: 'Transfer created' }).waitFor();
  assert.match(await balanceOf('Alice Current'), /9987\.66 CNY/);
  assert.match(await balanceOf('Alice Savings'), /512\.34 CNY/);
}

/**
 * A client of the test's own (registered with the operator CLI, its redirect URI on loopback): the
 * authorization-code flow with PKCE in the browser (alice is signed in already), then the code
 * exchanged at the token endpoint through the proxy.
 */
async function tokenThroughBrowser(page: Page, input: ScenarioInput, discovery: Discovery): Promise<string> {
  say('an access token for the load: authorization code with PKCE in chromium, exchanged through the proxy');
  const catcher = await startRedirectCatcher();
  try {
    const client = await input.stack.cli('clients:create', '--name', 'Container test', '--redirect-uri', catcher.redirectUri) as { client_id: string; client_secret: string };
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const authorize = new URL(discovery.authorization_endpoint);
    for (const [name, value] of Object.entries({
      response_type: 'code', client_id: client.client_id, redirect_uri: catcher.redirectUri, scope: 'openid accounts:read transactions:read transfers:write',
      state, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', prompt: 'consent',
    })) authorize.searchParams.set(name, value);
    await page.goto(authorize.toString());
    await page.getByRole('button', { name: 'Allow' }).click();
    const callback = await catcher.callback(state, 30_000);
    assert.equal(callback.searchParams.get('iss'), input.urls.auth);
    const code = callback.searchParams.get('code');
    assert.ok(code, `no code in ${callback.toString()}`);
    const token = await publicJson(discovery.token_endpoint, {
      ca: input.caPem, method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: catcher.redirectUri, code_verifier: verifier }).toString(),
    });
    assert.equal(token.status, 200, `token endpoint: ${JSON.stringify(token.json)}`);
    return (token.json as { access_token: string }).access_token;
  } finally {
    await catcher.close();
  }
}

/** A `/v1` call with the access token, through the proxy. */
function api(input: ScenarioInput, accessToken: string, path: string, options: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  return publicJson(`${input.urls.api}${path}`, {
    ca: input.caPem, method: options.method ?? 'GET',
    headers: { authorization: `Bearer ${accessToken}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}

async function balance(input: ScenarioInput, accessToken: string, accountId: string): Promise<bigint> {
  const answer = await api(input, accessToken, `/v1/accounts/${accountId}/balance`);
  assert.equal(answer.status, 200, `balance of ${accountId}: ${JSON.stringify(answer.json)}`);
  return minor((answer.json as { amount: string }).amount);
}

/**
 * POSTs one transfer, again with the same idempotency key and body after a connection failure,
 * 502/503/504 (the resource API restarting behind the proxy) or 409 (the first try still in flight),
 * until it is booked (201, first or replayed) or `deadlineMs` passes.
 *
 * @returns the transfer id and how many times it was sent again
 * @throws {Error} on any other answer, or at the deadline
 */
async function transferWithRetries(input: ScenarioInput, accessToken: string, key: string, description: string, deadlineMs: number): Promise<{ id: string; retries: number }> {
  const body = { source_account_id: input.alice.currentId, destination_account_id: input.alice.savingsId, amount: '1.00', currency: 'CNY', description };
  for (let retries = 0; ; retries += 1) {
    let outcome: string;
    try {
      const answer = await api(input, accessToken, '/v1/transfers', { method: 'POST', body, headers: { 'idempotency-key': key } });
      if (answer.status === 201) return { id: (answer.json as { id: string }).id, retries };
      if (!RETRIED_STATUSES.has(answer.status)) throw new Error(`transfer ${key}: unexpected ${answer.status} ${JSON.stringify(answer.json)}`);
      outcome = `${answer.status}`;
    } catch (error) {
      if ((error as Error).message.startsWith(`transfer ${key}: unexpected`)) throw error;
      outcome = (error as Error).message;
    }
    if (Date.now() > deadlineMs) throw new Error(`transfer ${key} not booked before the deadline (last: ${outcome})`);
    await new Promise((resolve) => setTimeout(resolve, 200 * Math.min(retries + 1, 5)));
  }
}

/**
 * {@link LOAD_TRANSFERS} transfers by {@link LOAD_CALLERS} callers while the resource API's
 * container is restarted: every one booked exactly once, the balances moved by exactly their sum,
 * and the ledger audit clean.
 */
async function transfersThroughRestart(input: ScenarioInput, accessToken: string): Promise<Pick<ScenarioFigures, 'transfersThroughRestart' | 'requestsRetried' | 'resourceApiReadyAfterRestartUnderLoadSeconds'>> {
  say(`${LOAD_TRANSFERS} transfers by ${LOAD_CALLERS} callers, the resource API's container restarted after ${RESTART_AFTER}`);
  const run = randomBytes(4).toString('hex');
  const description = `containers load ${run}`;
  const [currentBefore, savingsBefore] = [await balance(input, accessToken, input.alice.currentId), await balance(input, accessToken, input.alice.savingsId)];
  const startedAtBefore = (await input.stack.state('resource-api')).StartedAt;
  const deadlineMs = Date.now() + 180_000;
  const booked = new Map<string, string>();
  let next = 0;
  let retried = 0;
  let restart: Promise<number> | undefined;
  const caller = async (): Promise<void> => {
    while (next < LOAD_TRANSFERS) {
      const key = `containers-${run}-${next}`;
      next += 1;
      const { id, retries } = await transferWithRetries(input, accessToken, key, description, deadlineMs);
      booked.set(key, id);
      retried += retries;
      if (booked.size === RESTART_AFTER && !restart) {
        const started = performance.now();
        restart = input.stack.restart('resource-api').then(() => input.stack.waitHealthy('resource-api')).then(() => secondsSince(started));
        // Awaited after the load; until then a failure must not count as unhandled.
        restart.catch(() => undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: LOAD_CALLERS }, caller));
  assert.ok(restart, 'the restart never happened');
  const resourceApiReadyAfterRestartUnderLoadSeconds = await restart;

  assert.equal(booked.size, LOAD_TRANSFERS);
  assert.equal(new Set(booked.values()).size, LOAD_TRANSFERS, 'two idempotency keys booked the same transfer');
  assert.notEqual((await input.stack.state('resource-api')).StartedAt, startedAtBefore, 'the resource API\'s container did not restart');
  assert.ok(retried > 0, 'no request met the restart: nothing was tested');
  const sumMinor = BigInt(LOAD_TRANSFERS) * 100n;
  assert.equal(await balance(input, accessToken, input.alice.currentId), currentBefore - sumMinor, 'Alice Current moved by other than the transfers booked');
  assert.equal(await balance(input, accessToken, input.alice.savingsId), savingsBefore + sumMinor, 'Alice Savings moved by other than the transfers booked');
  const debits = await loadDebits(input, accessToken, description);
  assert.equal(debits, LOAD_TRANSFERS, 'the history has a transfer twice, or one missing');
  const audit = await input.stack.cli('ledger:audit') as { ok: boolean };
  assert.equal(audit.ok, true, `ledger audit: ${JSON.stringify(audit)}`);
  say(`${LOAD_TRANSFERS} transfers booked once each; ${retried} requests sent again on their idempotency key; the resource API ready ${resourceApiReadyAfterRestartUnderLoadSeconds} s after its restart began`);
  return { transfersThroughRestart: LOAD_TRANSFERS, requestsRetried: retried, resourceApiReadyAfterRestartUnderLoadSeconds };
}

/** How many debits of Alice Current carry `description` (every page of the history). */
async function loadDebits(input: ScenarioInput, accessToken: string, description: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  for (let page = 0; page < 20; page += 1) {
    const answer = await api(input, accessToken, `/v1/accounts/${input.alice.currentId}/transactions?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(answer.status, 200);
    const { data, next_cursor: nextCursor } = answer.json as { data: Array<{ description: string | null; direction: string }>; next_cursor: string | null };
    count += data.filter((transaction) => transaction.description === description && transaction.direction === 'debit').length;
    if (!nextCursor) return count;
    cursor = nextCursor;
  }
  throw new Error('more than 20 pages of history');
}

/** The PostgreSQL container restarted: the balances as before (the volume kept the data), and a transfer books again. */
async function postgresRestart(input: ScenarioInput, accessToken: string): Promise<Pick<ScenarioFigures, 'postgresReadyAfterRestartSeconds' | 'apiAnsweringAfterPostgresRestartSeconds'>> {
  say('restarting the PostgreSQL container');
  const [currentBefore, savingsBefore] = [await balance(input, accessToken, input.alice.currentId), await balance(input, accessToken, input.alice.savingsId)];
  const started = performance.now();
  await input.stack.restart('postgres');
  const postgresReadyAfterRestartSeconds = await input.stack.waitHealthy('postgres');
  let answering: number | undefined;
  for (const deadline = Date.now() + 60_000; answering === undefined;) {
    const answer = await api(input, accessToken, `/v1/accounts/${input.alice.currentId}/balance`).catch(() => undefined);
    if (answer?.status === 200) answering = secondsSince(started);
    else if (Date.now() > deadline) throw new Error(`the resource API does not answer 60 s after PostgreSQL's restart (last: ${answer?.status ?? 'no answer'})`);
    else await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.equal(await balance(input, accessToken, input.alice.currentId), currentBefore, 'Alice Current changed across the restart');
  assert.equal(await balance(input, accessToken, input.alice.savingsId), savingsBefore, 'Alice Savings changed across the restart');
  await transferWithRetries(input, accessToken, `containers-after-postgres-${randomBytes(4).toString('hex')}`, 'after the PostgreSQL restart', Date.now() + 60_000);
  assert.equal(await balance(input, accessToken, input.alice.currentId), currentBefore - 100n);
  say(`PostgreSQL healthy ${postgresReadyAfterRestartSeconds} s after its restart began, the API answering after ${answering} s, the data kept`);
  return { postgresReadyAfterRestartSeconds, apiAnsweringAfterPostgresRestartSeconds: answering };
}
