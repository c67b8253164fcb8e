/**
 * The docs cannot drift from the code: every block of README.md and docs/*.md marked to run
 * (```` ```sh run ````, and files marked ```` file=PATH ````; doc-blocks.ts) runs here, as a reader
 * runs it, against the system started the way `pnpm start` starts it (`startSystem`, a fresh test
 * database, free ports: the documented http://localhost:4000…4003 and the quickstart's callback
 * http://localhost:8080 are replaced by the test's). docs/partner-quickstart.md is followed word
 * for word: the developer portal's pages in a real browser (sign up, create the app, create a test
 * user), the packed SDK installed with npm in a new project, the quickstart's script run, and its
 * authorization URL opened in the browser as the test user (Allow). Without chromium the quickstart
 * is skipped with a loud message, except with CI=true, where it fails. npm installs from the npm
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
import type { DocBlock, RunOptions } from './doc-blocks.ts';
import { freePort } from './free-port.ts';

if (!hasChromium) process.stderr.write(`\n*** docs.test.ts: ${CHROMIUM} is missing: the quickstart is ${ci ? 'FAILING (CI=true)' : 'SKIPPED'} ***\n\n`);

/** The documents that must have runnable blocks, and the fewest each must have. */
const EXPECTED = new Map([['README.md', 2], ['docs/partner-quickstart.md', 4], ['docs/authorization-server.md', 4]]);
/** The documents whose steps need a browser (their own tests below). */
const WITH_BROWSER = new Set(['docs/partner-quickstart.md', 'docs/authorization-server.md']);

let documents: Map<string, DocBlock[]>;
let database: TestDatabase;
let system: RunningSystem;
let home: string;
let callbackPort: number;

beforeAll(async () => {
  documents = await documentsWithBlocks(repoRoot);
  database = await createTestDatabase();
  const [auth, api, partner, portal] = [await freePort(), await freePort(), await freePort(), await freePort()];
  callbackPort = await freePort();
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

  test('docs/*.md other than the quickstart: every marked step runs', async () => {
    for (const [name, blocks] of documents) {
      if (name === 'README.md' || WITH_BROWSER.has(name) || blocks.length === 0) continue;
      await runBlocks(blocks, runOptions());
    }
  }, 300_000);
});

(hasChromium || ci ? describe : describe.skip)('docs/partner-quickstart.md, word for word', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const body = async (): Promise<string> => page.innerText('body');

  test('portal → app → test user → openid-client code flow → SDK transfer', async () => {
    // 2. The developer portal, as the page says.
    await page.goto(system.urls.portal);
    await page.getByRole('link', { name: 'Sign up', exact: true }).first().click();
    await page.getByLabel('Email').fill(`quickstart-${randomUUID()}@example.com`);
    await page.getByLabel('Password').fill(`Quickstart-${randomUUID()}`);
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

    // The page's export block names the variables the script reads; the reader pastes the values.
    const quickstart = documents.get('docs/partner-quickstart.md') ?? [];
    expect(await readFile(join(repoRoot, 'docs/partner-quickstart.md'), 'utf8')).toContain("export PAYAPI_CLIENT_ID='the Client ID'\nexport PAYAPI_CLIENT_SECRET='the Client secret'");
    const filled = [["'the Client ID'", `'${clientId}'`], ["'the Client secret'", `'${clientSecret}'`]] as const;

    // 3 and 4: the marked steps; when the script prints its URL, the reader opens it and allows.
    let signedIn: Promise<void> | undefined;
    let printed = '';
    const outputs = await runBlocks(quickstart, runOptions((chunk) => {
      printed += chunk;
      const url = /Open (http\S+)/.exec(printed)?.[1];
      if (!url || signedIn) return;
      signedIn = (async () => {
        await page.goto(url);
        await page.getByLabel('Username').fill(username);
        await page.getByLabel('Password').fill(password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('button', { name: 'Allow' }).click();
        await page.getByText('Signed in: go back to the terminal.').waitFor();
      })();
    }, filled));
    await signedIn;
    const last = outputs.at(-1)?.stdout ?? '';
    const transferId = /^transfer (tr_[0-9a-f]{32}): 12\.34 CNY completed$/m.exec(last)?.[1];
    expect(transferId).toBeDefined();
    expect(last).toContain('balance now 9987.66 CNY');
    expect(last).toMatch(/ debit 12\.34 My first transfer\n/);
    expect(last).toContain('refused: 422 insufficient_funds');
    // The transfer is in the ledger, once.
    const booked = await database.db('ledger.transfers').where({ id: transferId }).select('amount_minor', 'description');
    expect(booked).toEqual([{ amount_minor: '1234', description: 'My first transfer' }]);
  }, 420_000);

  test('docs/authorization-server.md, the flow by hand: openssl and curl, alice allows in the browser, the code pasted', async () => {
    const callback = `http://localhost:${callbackPort}/callback`;
    // A browser of its own: the quickstart's sign-in session at the bank must not carry over.
    const context = await browser.newContext();
    const page = await context.newPage();
    let printed = '';
    let code: Promise<string> | undefined;
    let typed = false;
    const outputs = await runBlocks(documents.get('docs/authorization-server.md') ?? [], runOptions((chunk, type) => {
      printed += chunk;
      const url = /Open (http\S+)/.exec(printed)?.[1];
      if (url && !code) {
        code = (async () => {
          const landed = page.waitForRequest((request) => request.url().startsWith(callback));
          await page.goto(url);
          await page.getByLabel('Username').fill('alice');
          await page.getByLabel('Password').fill('wonderland');
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.getByRole('button', { name: 'Allow' }).click();
          // Nothing listens at the redirect URI: the reader reads the code off the address bar.
          return new URL((await landed).url()).searchParams.get('code') ?? '';
        })();
      }
      if (code && !typed && /code: $/.test(printed)) {
        typed = true;
        void code.then(type);
      }
    }));
    expect(await code).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const last = outputs.at(-1)?.stdout ?? '';
    expect(last).toContain('"name":"Alice Current"');
    expect(last).not.toContain('"name":"Bob Current"');
    await context.close();
  }, 180_000);
});
