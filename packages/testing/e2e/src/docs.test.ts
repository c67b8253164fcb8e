/**
 * The docs cannot drift from the code: every block of README.md and docs/*.md marked to run
 * (```` ```sh run ````, and files marked ```` file=PATH ````; doc-blocks.ts) runs here, as a reader
 * runs it, against the system started the way `pnpm start` starts it (`startSystem`, a fresh test
 * database, free ports: the documented http://localhost:4000…4003 and the quickstart's callback
 * http://localhost:8080 are replaced by the test's). docs/partner-quickstart.md is followed word
 * for word: the developer portal's pages in a real browser (sign up, create the app, create a test
 * user), the packed SDK installed with npm in a new project, the quickstart's script run, and its
 * authorization URL opened in the browser as the test user (Allow). The other documents whose steps
 * print a URL to open (developer-portal.md, authorization-server.md, payment-consents.md) run the same
 * way (`runAsReader`): the browser signs in, consents and allows, and the address it lands on is typed
 * where a step asks. Without chromium these are skipped with a loud message, except with CI=true,
 * where they fail. docs/webhooks.md needs no browser: its receiver (express and standardwebhooks,
 * installed with npm) runs in the background on the documented http://localhost:8081 (replaced by a
 * free port) and must print the `webhook.test` event the API answered. npm installs from the npm
 * registry (its cache is reused).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startSystem } from '@payapi/demo';
import type { RunningSystem } from '@payapi/demo';
import { repoRoot } from '@payapi/platform';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, ci, hasChromium, launchChromium } from './browser-system.ts';
import { documentFences, documentsWithBlocks, fencedBlocks, markedBlocks, ruleBreaches, runBlocks } from './doc-blocks.ts';
import type { DocBlock, RunOptions, StepOutput } from './doc-blocks.ts';
import { freePort } from './free-port.ts';

if (!hasChromium) process.stderr.write(`\n*** docs.test.ts: ${CHROMIUM} is missing: the docs with a browser step are ${ci ? 'FAILING (CI=true)' : 'SKIPPED'} ***\n\n`);

/** The documents that must have runnable blocks, and the fewest each must have. */
const EXPECTED = new Map([
  ['README.md', 2], ['docs/partner-quickstart.md', 4], ['docs/authorization-server.md', 4], ['docs/developer-portal.md', 4], ['docs/payment-consents.md', 5],
]);
/** The documents whose steps need a browser (their own tests below), and those with a test of their own that needs none. */
const WITH_BROWSER = new Set(['docs/partner-quickstart.md', 'docs/authorization-server.md', 'docs/developer-portal.md', 'docs/payment-consents.md']);
const OWN_TEST = new Set(['docs/webhooks.md']);

let documents: Map<string, DocBlock[]>;
let database: TestDatabase;
let system: RunningSystem;
let home: string;
let callbackPort: number;
let receiverPort: number;

beforeAll(async () => {
  documents = await documentsWithBlocks(repoRoot);
  database = await createTestDatabase();
  const [auth, api, partner, portal] = [await freePort(), await freePort(), await freePort(), await freePort()];
  callbackPort = await freePort();
  receiverPort = await freePort();
  system = await startSystem({
    db: database.db,
    env: {
      AUTH_ISSUER: `http://127.0.0.1:${auth}`, RESOURCE_API_URL: `http://127.0.0.1:${api}`, PARTNER_DEMO_URL: `http://127.0.0.1:${partner}`,
      DEVELOPER_PORTAL_URL: `http://127.0.0.1:${portal}`, AUTH_COOKIE_KEYS: 'docs-test-cookie-key-0123456789abcdefghijk', PARTNER_DEMO_WEBHOOKS: 'false', LOG_LEVEL: 'silent',
    },
  });
  home = await mkdtemp(join(tmpdir(), 'payapi-docs-home-'));
}, 120_000);
afterAll(async () => {
  await system?.close();
  await database?.drop();
  if (home) await rm(home, { recursive: true, force: true });
});

/**
 * How every document's blocks run: in the checkout, `~` a fresh home, the test system's URLs and
 * database; `filled` are the values the reader puts in for a block's placeholders.
 */
function runOptions(onOutput?: RunOptions['onOutput'], filled: ReadonlyArray<readonly [string, string]> = []): RunOptions {
  const { NODE_OPTIONS: _jestsNodeOptions, ...inherited } = process.env;
  return {
    cwd: repoRoot,
    env: {
      ...Object.fromEntries(Object.entries(inherited).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      HOME: home,
      // npm's cache stays where it was (the registry is asked once), its chatter off.
      npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'),
      npm_config_update_notifier: 'false',
      DATABASE_URL: database.url,
    },
    substitutions: [
      ['http://localhost:4000', system.urls.auth], ['http://localhost:4001', system.urls.api],
      ['http://localhost:4002', system.urls.partner], ['http://localhost:4003', system.urls.portal],
      ['http://localhost:8080', `http://localhost:${callbackPort}`], ['http%3A%2F%2Flocalhost%3A8080', encodeURIComponent(`http://localhost:${callbackPort}`)],
      ['http://localhost:8081', `http://localhost:${receiverPort}`],
      ...filled,
    ],
    stateDir: join(home, `.docs-test-${randomUUID()}`),
    ...(onOutput ? { onOutput } : {}),
  };
}

describe('marked blocks', () => {
  test('are found with their kind, language and line; unmarked blocks and other fences are left alone', () => {
    const text = ['# T', '```sh run', 'echo one', '```', '```sh', 'echo never', '```', '1. step', '   ```ts file=~/x/a.ts', '   const a = 1;', '   ```', '````md', '```sh run', '````'].join('\n');
    expect(markedBlocks('t.md', text)).toEqual([
      { document: 't.md', line: 2, language: 'sh', kind: 'run', path: undefined, code: 'echo one\n' },
      { document: 't.md', line: 9, language: 'ts', kind: 'file', path: '~/x/a.ts', code: 'const a = 1;\n' },
    ]);
  });

  test('a block in a language a reader runs is marked run, file= or excerpt; an excerpt quotes a marked block or says why not', () => {
    const fences = fencedBlocks('t.md', [
      '```sh run', 'curl -s http://localhost:4001/healthz', '```',
      '```sh', 'rm -rf /', '```',
      '```', 'plain', '```',
      '```ts excerpt', 'curl -s http://localhost:4001/healthz', '```',
      '```js excerpt', 'never run', '```',
      'Too long for the docs test:', '```sh excerpt', 'pnpm bench', '```',
      '```text', 'packages/', '```', '```http', 'GET / HTTP/1.1', '```',
    ].join('\n'));
    expect(ruleBreaches(fences)).toEqual([
      expect.stringMatching(/^t\.md:4: a `sh` block marked neither/),
      expect.stringMatching(/^t\.md:7: a fence without a language/),
      expect.stringMatching(/^t\.md:13: an excerpt neither in a marked block nor explained/),
    ]);
  });

  test('README.md and docs/*.md: every block a reader would run is marked to run, or an excerpt that says why', async () => {
    expect(ruleBreaches(await documentFences(repoRoot))).toEqual([]);
  });

  test('the README and the quickstart have theirs; every marked block is a shell step or a file, with no placeholder', () => {
    for (const [name, fewest] of EXPECTED) expect({ name, enough: (documents.get(name) ?? []).length >= fewest }).toEqual({ name, enough: true });
    for (const block of [...documents.values()].flat()) {
      const at = `${block.document}:${block.line}`;
      expect({ at, ok: block.kind === 'file' ? block.path?.startsWith('~/') : block.language === 'sh' }).toEqual({ at, ok: true });
      expect({ at, placeholder: /…/.test(block.code) }).toEqual({ at, placeholder: false });
    }
  });
});

describe('docs that need no reader\'s hand', () => {
  test('README.md: the partner\'s health check and the operator\'s commands run against the running services', async () => {
    const all = (await runBlocks(documents.get('README.md') ?? [], runOptions())).map((output) => output.stdout).join('');
    expect(all).toContain('"status":"ok"');
    expect(all).toMatch(/"username":"carol"/);
    expect(all).toMatch(/"name":"Carol Current"/);
    expect(all).toMatch(/"client_secret":"sk_sandbox_/);
    expect(all).toMatch(/"ok":true/);
  }, 180_000);

  test('docs/*.md without a browser step: every marked step runs', async () => {
    for (const [name, blocks] of documents) {
      if (name === 'README.md' || WITH_BROWSER.has(name) || OWN_TEST.has(name) || blocks.length === 0) continue;
      await runBlocks(blocks, runOptions());
    }
  }, 300_000);

  test('docs/webhooks.md: a client-credentials client registers its receiver, whose signature check passes the test event the API answered', async () => {
    const receiverPid = join(home, 'my-shop-webhooks', 'receiver.pid');
    try {
      const outputs = await runBlocks(documents.get('docs/webhooks.md') ?? [], runOptions());
      const all = outputs.map((output) => output.stdout).join('');
      const eventId = /\{"event_id":"(evt_[0-9a-f]{32})"\}/.exec(all)?.[1];
      expect(eventId).toMatch(/^evt_/);
      // Printed only after `webhook.verify` accepted the delivery with the secret registration returned.
      expect(all).toContain(`verified webhook.test ${eventId}`);
      expect(all).toContain(`listening on http://localhost:${receiverPort}/webhooks`);
      const event = (await database.db.raw<{ rows: Array<{ type: string; url: string }> }>(
        'SELECT e.type, w.url FROM events.events e JOIN events.webhook_endpoints w ON w.client_id = e.client_id WHERE e.id = ?', [eventId ?? ''])).rows;
      expect(event).toEqual([{ type: 'webhook.test', url: `http://localhost:${receiverPort}/webhooks` }]);
    } finally {
      // The last step stops the receiver; a step that failed before it leaves it to this.
      const pid = await readFile(receiverPid, 'utf8').catch(() => '');
      if (pid.trim()) try { process.kill(Number(pid.trim())); } catch { /* already stopped */ }
    }
  }, 300_000);
});

/** The bank's user who signs in when a document's step prints `Open URL`, and what they do there. */
interface Reader {
  username: string;
  password: string;
  /** What the user does on the consent page before **Allow** (pick the payment's debtor account). */
  consent?: (page: Page) => Promise<void>;
  /** When a step's output ends with `prompt`, the reader types `from` the address the browser landed on. */
  answer?: { prompt: RegExp; from: (landed: URL) => string };
}

/**
 * Runs `blocks` as the reader with a browser: when a step prints `Open URL` (on stdout or stderr),
 * `page` opens it, signs in as `reader`, consents and presses **Allow**; the browser then lands on the
 * test's redirect URI (whether or not anything listens there), and what the reader reads off that
 * address is typed when a step asks for it. `filled` are the values put in for the blocks' placeholders.
 *
 * @returns the steps' outputs and the address the browser landed on (undefined if no step printed a URL)
 * @throws {Error} from `runBlocks` when a step fails (a failed sign-in types an empty line, so the asking step fails)
 */
async function runAsReader(blocks: DocBlock[], page: Page, reader: Reader, filled: ReadonlyArray<readonly [string, string]> = []):
  Promise<{ outputs: StepOutput[]; landed: URL | undefined }> {
  const callback = `http://localhost:${callbackPort}/callback`;
  let printed = '';
  let landed: Promise<URL> | undefined;
  let typed = false;
  const outputs = await runBlocks(blocks, runOptions((chunk, type) => {
    printed += chunk;
    const url = /Open (http\S+)/.exec(printed)?.[1];
    if (url && !landed) {
      landed = (async () => {
        const redirected = page.waitForRequest((request) => request.url().startsWith(callback));
        await page.goto(url);
        await page.getByLabel('Username').fill(reader.username);
        await page.getByLabel('Password').fill(reader.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await reader.consent?.(page);
        await page.getByRole('button', { name: 'Allow' }).click();
        return new URL((await redirected).url());
      })();
      landed.catch(() => {}); // reported by the step that waits for it, or by the await below
    }
    const { answer } = reader;
    if (landed && answer && !typed && answer.prompt.test(printed)) {
      typed = true;
      landed.then((at) => type(answer.from(at)), () => type(''));
    }
  }, filled));
  return { outputs, landed: await landed };
}

(hasChromium || ci ? describe : describe.skip)('docs with a browser step, word for word', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A page in a browser of its own: one document's sign-in session at the bank must not carry over to the next. */
  async function freshPage(): Promise<Page> {
    return (await browser.newContext()).newPage();
  }

  /**
   * The developer portal's steps, as partner-quickstart.md and developer-portal.md give them: sign up, create
   * "My Shop" with the test's redirect URI, create a test user.
   *
   * @returns what the pages showed: the app's credentials and the test user's sign-in
   */
  async function appAndTestUser(page: Page): Promise<{ clientId: string; clientSecret: string; username: string; password: string }> {
    const body = async (): Promise<string> => page.innerText('body');
    await page.goto(system.urls.portal);
    await page.getByRole('link', { name: 'Sign up', exact: true }).first().click();
    await page.getByLabel('Email').fill(`docs-${randomUUID()}@example.com`);
    await page.getByLabel('Password').fill(`Docs-${randomUUID()}`);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByLabel('App name').fill('My Shop');
    await page.getByLabel('Redirect URIs').fill(`http://localhost:${callbackPort}/callback`);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'My Shop' }).waitFor();
    const clientId = /Client ID\s*:?\s*([A-Za-z0-9_.~-]+)/.exec(await body())?.[1] ?? '';
    const clientSecret = /Client secret\s*:?\s*(sk_sandbox_[A-Za-z0-9_-]+)/.exec(await body())?.[1] ?? '';
    expect([clientId, clientSecret].every((value) => value.length > 8)).toBe(true);
    await page.getByRole('link', { name: 'Test users', exact: true }).click();
    await page.getByRole('button', { name: 'Create test user' }).click();
    const user = /Username\s*:?\s*(\S+)\s+Password\s*:?\s*(\S+)/.exec(await body());
    const [username, password] = [user?.[1] ?? '', user?.[2] ?? ''];
    expect(username).toMatch(/^test-/);
    return { clientId, clientSecret, username, password };
  }

  test('docs/partner-quickstart.md: portal → app → test user → openid-client code flow → SDK transfer', async () => {
    // 2. The developer portal, as the page says.
    const page = await freshPage();
    const { clientId, clientSecret, username, password } = await appAndTestUser(page);

    // The page's export block names the variables the script reads; the reader pastes the values.
    expect(await readFile(join(repoRoot, 'docs/partner-quickstart.md'), 'utf8')).toContain("export PAYAPI_CLIENT_ID='the Client ID'\nexport PAYAPI_CLIENT_SECRET='the Client secret'");
    const filled = [["'the Client ID'", `'${clientId}'`], ["'the Client secret'", `'${clientSecret}'`]] as const;

    // 3 and 4: the marked steps; when the script prints its URL, the reader opens it and allows.
    const { outputs, landed } = await runAsReader(documents.get('docs/partner-quickstart.md') ?? [], page, { username, password }, filled);
    expect(landed?.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const last = outputs.at(-1)?.stdout ?? '';
    const transferId = /^transfer (tr_[0-9a-f]{32}): 12\.34 CNY completed$/m.exec(last)?.[1];
    expect(transferId).toBeDefined();
    expect(last).toContain('balance now 9987.66 CNY');
    expect(last).toMatch(/ debit 12\.34 My first transfer\n/);
    expect(last).toContain('refused: 422 insufficient_funds');
    // The transfer is in the ledger, once.
    const booked = await database.db('ledger.transfers').where({ id: transferId }).select('amount_minor', 'description');
    expect(booked).toEqual([{ amount_minor: '1234', description: 'My first transfer' }]);
    await page.context().close();
  }, 420_000);

  test('docs/developer-portal.md: the portal in the browser, the openid-client module, the pasted address, curl\'s transfer', async () => {
    const page = await freshPage();
    const { clientId, clientSecret, username, password } = await appAndTestUser(page);
    expect(await readFile(join(repoRoot, 'docs/developer-portal.md'), 'utf8')).toContain("export CLIENT_ID='the Client ID'\n   export CLIENT_SECRET='the Client secret'");
    const filled = [["'the Client ID'", `'${clientId}'`], ["'the Client secret'", `'${clientSecret}'`]] as const;
    const { outputs, landed } = await runAsReader(documents.get('docs/developer-portal.md') ?? [], page, {
      username, password, answer: { prompt: /Address the browser landed on: $/, from: (at) => at.href },
    }, filled);
    expect(landed?.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // The last step: the accounts, then the transfer between the test user's two.
    const [listed, transfer] = (outputs.at(-1)?.stdout ?? '').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const ids = new Map((listed?.data as Array<{ id: string; name: string }>).map((account) => [account.name, account.id]));
    expect([...ids.keys()].sort()).toEqual(['Test Current', 'Test Savings']);
    expect(transfer).toMatchObject({ source_account_id: ids.get('Test Current'), destination_account_id: ids.get('Test Savings'), amount: '1.00', currency: 'CNY', status: 'completed' });
    const booked = await database.db('ledger.transfers').where({ id: transfer?.id }).select('amount_minor');
    expect(booked).toEqual([{ amount_minor: '100' }]);
    await page.context().close();
  }, 420_000);

  test('docs/authorization-server.md, the flow by hand: openssl and curl, alice allows in the browser, the code pasted', async () => {
    const page = await freshPage();
    const { outputs, landed } = await runAsReader(documents.get('docs/authorization-server.md') ?? [], page, {
      username: 'alice', password: 'wonderland', answer: { prompt: /code: $/, from: (at) => at.searchParams.get('code') ?? '' },
    });
    expect(landed?.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const last = outputs.at(-1)?.stdout ?? '';
    expect(last).toContain('"name":"Alice Current"');
    expect(last).not.toContain('"name":"Bob Current"');
    await page.context().close();
  }, 180_000);

  test('docs/payment-consents.md: PAR with curl, alice picks "Alice Current" on the consent page, the code pasted, the payment made', async () => {
    const page = await freshPage();
    const accountId = (name: string): string => system.seed?.accounts.find((account) => account.name === name)?.id ?? '';
    const bob = accountId('Bob Current');
    expect(bob).toMatch(/^acc_/);
    let consentPage = '';
    const { outputs } = await runAsReader(documents.get('docs/payment-consents.md') ?? [], page, {
      username: 'alice', password: 'wonderland',
      consent: async (at) => {
        await at.getByText('Pay 123.50 CNY to Bob Current', { exact: true }).waitFor();
        consentPage = await at.innerText('body');
        await at.getByRole('radio', { name: 'Alice Current', exact: true }).check();
      },
      answer: { prompt: /code: $/, from: (at) => at.searchParams.get('code') ?? '' },
    }, [["'the Bob Current id'", `'${bob}'`]]);
    expect(consentPage).toContain('Order 1001');
    const pushed = JSON.parse(outputs.find((output) => output.stdout.includes('request_uri'))?.stdout.trim() ?? '{}') as Record<string, unknown>;
    expect(pushed).toEqual({ request_uri: expect.stringMatching(/^urn:ietf:params:oauth:request_uri:/), expires_in: 60 });
    // What the user authorised, in the token answer: the payee and amount asked for, the account alice picked.
    const authorised = outputs.find((output) => output.stdout.includes('consent_id'))?.stdout.replace(/^code: /, '') ?? '[]';
    expect(JSON.parse(authorised)).toEqual([{
      type: 'payment_initiation', instructed_amount: { amount: '123.50', currency: 'CNY' }, creditor_account: { account_id: bob },
      remittance_information: 'Order 1001', consent_id: expect.stringMatching(/^pc_/), debtor_account: { account_id: accountId('Alice Current') },
    }]);
    const payment = JSON.parse(outputs.at(-1)?.stdout ?? '{}') as Record<string, unknown>;
    expect(payment).toMatchObject({
      id: expect.stringMatching(/^pay_/), amount: '123.50', currency: 'CNY',
      debtor_account_id: accountId('Alice Current'), creditor_account_id: bob, transfer_id: expect.stringMatching(/^tr_/),
    });
    const booked = await database.db('ledger.transfers').where({ id: payment.transfer_id }).select('amount_minor');
    expect(booked).toEqual([{ amount_minor: '12350' }]);
    await page.context().close();
  }, 180_000);
});
