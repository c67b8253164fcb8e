/**
 * Issue 17: problem `type` URLs pointed at a host that does not exist (`https://payapi.example/…`).
 * Each `type` is now the API's own page `/problems/{code}`, which says what the code means and what
 * to do, and every code that exists has one: the codes are collected here from everywhere they come
 * from (the served OpenAPI document, the ledger's and the events package's status tables, every
 * `ApiProblem` the source throws, the parser-level answer of `listenOn`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '@payapi/platform';
import { EVENTS_ERROR_STATUS } from '../errors/events-status.ts';
import { LEDGER_ERROR_STATUS } from '../errors/ledger-status.ts';
import { PROBLEM_CODES } from '../errors/problem-codes.ts';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

/** Every `code` value that the served document allows in any answer. */
function documentedCodes(document: unknown): Set<string> {
  const codes = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const code = (node as { properties?: { code?: { enum?: unknown } } }).properties?.code?.enum;
    if (Array.isArray(code)) for (const value of code) codes.add(String(value));
    Object.values(node).forEach(walk);
  };
  walk(document);
  return codes;
}

/** The codes written literally in the source of the resource API and of `listenOn` (platform). */
function sourceCodes(): Set<string> {
  const codes = new Set<string>();
  const files = [
    ...readdirSync(join(import.meta.dirname, '..'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.startsWith('testing'))
      .map((file) => join(import.meta.dirname, '..', file)),
    join(repoRoot, 'packages/core/platform/src/listen.ts'),
  ];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/new ApiProblem\(\s*\d{3},\s*'([a-z_]+)'/g)) codes.add(match[1] as string);
    for (const match of text.matchAll(/unauthorized\([^)]*'(invalid_[a-z_]+)'\)/g)) codes.add(match[1] as string);
    for (const match of text.matchAll(/tooLarge \? '([a-z_]+)' : '([a-z_]+)'/g)) codes.add(match[1] as string).add(match[2] as string);
  }
  return codes;
}

describe('GET /problems/{code}', () => {
  test('every code that exists has a page, and the catalogue has no code that does not exist', async () => {
    const document = (await call(api, 'GET', '/openapi.json')).body;
    const existing = new Set([
      ...documentedCodes(document), ...Object.keys(LEDGER_ERROR_STATUS), ...Object.keys(EVENTS_ERROR_STATUS), ...sourceCodes(),
    ]);
    // The scan finds what the source really throws (a broken pattern would find nothing).
    expect([...sourceCodes()]).toEqual(expect.arrayContaining(['not_found', 'invalid_dpop_proof', 'temporarily_unavailable', 'request_header_fields_too_large']));
    expect([...existing].filter((code) => !PROBLEM_CODES.includes(code as never))).toEqual([]);
    // Every code of the catalogue is answered somewhere (consent_revoked is answered as invalid_token).
    expect(PROBLEM_CODES.filter((code) => !existing.has(code))).toEqual([]);
    for (const code of existing) {
      const page = await call(api, 'GET', `/problems/${code}`);
      expect([code, page.status]).toEqual([code, 200]);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.body).toContain(`<h1><code>${code}</code>:`);
      expect(page.body).toContain('<h2>What it means</h2>');
      expect(page.body).toContain('<h2>What to do</h2>');
    }
  });

  test('the type of a problem the API answers is the URL of its page', async () => {
    const partner = await connect(api, alice, { accountIds: [alice.accounts[0]!.id] });
    const answers = [
      await call(api, 'GET', '/v1/accounts'),
      await call(api, 'GET', '/v1/nope', { token: partner.accessToken }),
      await call(api, 'POST', '/v1/transfers', { token: partner.accessToken, rawBody: '{', headers: { 'idempotency-key': 'pp-1' } }),
      await call(api, 'POST', '/v1/transfers', {
        token: partner.accessToken, headers: { 'idempotency-key': 'pp-2' },
        json: { source_account_id: alice.accounts[0]!.id, destination_account_id: alice.accounts[1]!.id, amount: '99999999.00', currency: 'CNY' },
      }),
    ];
    expect(answers.map((answer) => [answer.status, answer.body.code])).toEqual([[401, 'invalid_token'], [404, 'not_found'], [400, 'invalid_request'], [422, 'insufficient_funds']]);
    for (const answer of answers) {
      expect(answer.body.type).toBe(`${api.url}/problems/${answer.body.code}`);
      const page = await fetch(answer.body.type);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`<code>${answer.body.code}</code>`);
    }
  });

  test('pages carry the script-free page policy: CSP without script, no framing, nothing inline', async () => {
    for (const path of ['/problems', '/problems/insufficient_funds', '/problems/no_such_code']) {
      const page = await call(api, 'GET', path);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).not.toMatch(/script-src|unsafe-inline/);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.body).not.toMatch(/<script|style=/);
      expect(page.body).toContain('<html lang="en">');
    }
    const css = await call(api, 'GET', '/problems/assets/style.css');
    expect([css.status, css.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
  });

  test('an unknown code is a 404 page that does not echo the request, prototype names included', async () => {
    for (const code of ['no_such_code', 'constructor', '__proto__', '%3Cscript%3Ealert(1)%3C%2Fscript%3E']) {
      const page = await call(api, 'GET', `/problems/${code}`);
      expect(page.status).toBe(404);
      expect(page.body).toContain('<h1>Unknown error code</h1>');
      expect(page.body).not.toMatch(/script>|constructor|__proto__|no_such_code/);
    }
  });

  test('/problems lists every code with a link to its page', async () => {
    const index = await call(api, 'GET', '/problems');
    expect(index.status).toBe(200);
    const linked = [...(index.body as string).matchAll(/<a href="\/problems\/([a-z_]+)">/g)].map((match) => match[1]);
    expect(linked).toEqual(PROBLEM_CODES);
  });
});
