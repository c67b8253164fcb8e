import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createPartnerApp, getPartnerApp, isWellFormedClientSecret } from '@payapi/auth-server';
import { appendEvent } from '@payapi/events';
import { getBalance } from '@payapi/ledger';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';

const run = promisify(execFile);
// Each test starts the CLI several times, a Node process loading every package (1-3 s each on an
// idle machine, far more on a busy one): a generous limit, since nothing here is a timing assertion.
jest.setTimeout(240_000);
const MAIN = join(import.meta.dirname, 'main.ts');

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** Runs the CLI as an operator would, against the test database; returns exit code and both streams. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: Record<string, unknown> }> {
  return cliWith({}, ...args);
}

/** {@link cli} with more environment variables (`PAYAPI_ENVIRONMENT`). */
async function cliWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: Record<string, unknown> }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
      env: { ...process.env, PAYAPI_ENVIRONMENT: '', DATABASE_URL: database.url, NODE_ENV: 'test', ...env },
    });
    // One JSON object, except for events:list (JSON lines: read `stdout`).
    const single = stdout.trim().split('\n').length === 1 && stdout.trim() !== '';
    return { code: 0, stdout, stderr, json: single ? JSON.parse(stdout) as Record<string, unknown> : {} };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr, json: {} };
  }
}

describe('operator CLI', () => {
  test('db:migrate applies every schema once, then nothing', async () => {
    const first = await cli('db:migrate');
    expect(first.code).toBe(0);
    expect(first.json.migrated).toEqual({
      ledger: ['20261129_01_ledger_core', '20261130_02_transfer_functions', '20261130_03_balance_check_once', '20261206_04_idempotency_per_subject',
        '20261206_05_retire_in_flight_claims', '20261206_06_transfer_postings_for_events', '20261208_07_payment_consents',
        '20261208_08_payment_consent_expiry', '20261209_09_post_transfers', '20261209_10_lock_transfer_accounts'],
      events: ['20261206_01_events', '20261206_02_deliveries_without_endpoint_lock'],
      auth: ['20261129_01_oidc_store', '20261129_02_users', '20261129_03_keys_and_tokens', '20261130_04_argon2id_password_hashes',
        '20261130_05_client_change_notifications', '20261206_06_account_readers',
        '20261206_07_grant_checks_in_plpgsql', '20261207_08_client_secrets_and_partner_apps', '20261208_09_payment_consent_grants',
        '20261208_10_access_token_revocation_notices'],
      api: ['20261206_01_post_transfer_with_grant', '20261206_02_transfer_events', '20261207_01_request_log', '20261208_01_post_payment',
        '20261209_01_post_transfers', '20261209_02_post_transfers_lock_first'],
      portal: ['20261207_01_portal', '20261207_02_show_once'],
    });
    expect((await cli('db:migrate')).json.migrated).toEqual({ ledger: [], events: [], auth: [], api: [], portal: [] });
  });

  test('users:create, then accounts:open with an opening balance that is a real posting', async () => {
    const user = await cli('users:create', '--username', 'carol', '--password', 'correct horse');
    expect(user.code).toBe(0);
    expect(user.json).toEqual({ sub: expect.stringMatching(/^usr_[0-9a-f]{32}$/), username: 'carol' });
    const account = await cli('accounts:open', '--username', 'Carol', '--name', 'Carol Current', '--currency', 'CNY', '--opening-balance', '100.00');
    expect(account.code).toBe(0);
    expect(Object.keys(account.json).sort()).toEqual(['created_at', 'currency', 'id', 'name', 'type']);
    expect(account.json).toMatchObject({ name: 'Carol Current', currency: 'CNY', type: 'current' });
    expect((await getBalance(database.db, account.json.id as string)).balanceMinor).toBe(10_000n);
    expect((await cli('ledger:audit')).json.ok).toBe(true);
  });

  test('clients:create prints the secret once, sk_sandbox_ with 256 random bits and a checksum, stored hashed; --public has none', async () => {
    const confidential = await cli('clients:create', '--name', 'Acme Budget', '--redirect-uri', 'https://acme.example/cb', '--redirect-uri', 'http://localhost:3000/cb');
    expect(confidential.code).toBe(0);
    expect(confidential.json).toMatchObject({ client_name: 'Acme Budget', redirect_uris: ['https://acme.example/cb', 'http://localhost:3000/cb'], token_endpoint_auth_method: 'client_secret_basic' });
    const secret = confidential.json.client_secret as string;
    expect(secret).toMatch(/^sk_sandbox_[0-9A-Za-z]{49}$/);
    expect(isWellFormedClientSecret(secret, 'sandbox')).toBe(true);
    const stored = await database.db.raw<{ rows: Array<{ text: string }> }>(`SELECT payload::text AS text FROM auth.oidc_store WHERE model = 'Client' AND id = ?`, [confidential.json.client_id as string]);
    expect(stored.rows[0]?.text).not.toContain(secret);
    const live = await cliWith({ PAYAPI_ENVIRONMENT: 'live' }, 'clients:create', '--name', 'Acme Live', '--redirect-uri', 'https://acme.example/cb');
    expect(isWellFormedClientSecret(live.json.client_secret, 'live')).toBe(true);
    const publicClient = await cli('clients:create', '--name', 'Acme Mobile', '--redirect-uri', 'https://acme.example/m', '--public', '--scope', 'openid accounts:read');
    expect(publicClient.json).toMatchObject({ token_endpoint_auth_method: 'none', scope: 'openid accounts:read' });
    expect(publicClient.json.client_secret).toBeUndefined();
    const hooks = await cli('clients:create', '--name', 'Acme Hooks', '--redirect-uri', 'https://acme.example/h', '--scope', 'openid accounts:read payments:write webhooks:manage');
    expect(hooks.json).toMatchObject({ scope: 'openid accounts:read payments:write webhooks:manage', grant_types: expect.arrayContaining(['client_credentials']) });
  });

  test('finding 2: clients:create refuses --public with --resource-server (exit 2, a message on stderr, nothing written)', async () => {
    const count = async (): Promise<{ clients: number; resource_servers: number } | undefined> => (await database.db.raw<{ rows: Array<{ clients: number; resource_servers: number }> }>(
      `SELECT (SELECT count(*)::int FROM auth.oidc_store WHERE model = 'Client') AS clients,
              (SELECT count(*)::int FROM auth.resource_servers) AS resource_servers`)).rows[0];
    const before = await count();
    const refused = await cli('clients:create', '--name', 'x', '--redirect-uri', 'http://localhost:4003/cb', '--resource-server', '--public');
    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 2, stdout: '' });
    expect(refused.stderr).toMatch(/--public and --resource-server cannot be combined/);
    expect(await count()).toEqual(before);
  });

  test('clients:create --jwks-file makes a private_key_jwt client without a secret; SECURITY_PROFILE=fapi2 requires it; bad keys are refused', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'payapi-cli-jwks-'));
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'partner-key-1', use: 'sig' };
    const file = (name: string, content: unknown): string => {
      const path = join(folder, name);
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    };
    try {
      const created = await cliWith({ SECURITY_PROFILE: 'fapi2' }, 'clients:create', '--name', 'FAPI Partner', '--redirect-uri', 'https://fapi.example/cb',
        '--jwks-file', file('jwks.json', { keys: [publicJwk] }));
      expect(created.code).toBe(0);
      expect(created.json).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk] } });
      expect(created.json.client_secret).toBeUndefined();
      const stored = await database.db.raw<{ rows: Array<{ payload: Record<string, unknown> }> }>(`SELECT payload FROM auth.oidc_store WHERE model = 'Client' AND id = ?`, [created.json.client_id as string]);
      expect(stored.rows[0]?.payload).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk] } });
      expect(stored.rows[0]?.payload.client_secret).toBeUndefined();
      const withoutKeys = await cliWith({ SECURITY_PROFILE: 'fapi2' }, 'clients:create', '--name', 'Secret Partner', '--redirect-uri', 'https://fapi.example/cb');
      expect({ code: withoutKeys.code, stdout: withoutKeys.stdout }).toEqual({ code: 2, stdout: '' });
      expect(withoutKeys.stderr).toMatch(/SECURITY_PROFILE=fapi2 allows private_key_jwt clients only/);
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const leaked = await cli('clients:create', '--name', 'Bad Keys', '--redirect-uri', 'https://fapi.example/cb',
        '--jwks-file', file('private.json', { keys: [privateKey.export({ format: 'jwk' })] }));
      expect({ code: leaked.code, stdout: leaked.stdout }).toEqual({ code: 1, stdout: '' });
      expect(leaked.stderr).toMatch(/private key material/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);

  test('events:list prints every event as a JSON line, oldest first: the wire shape plus client_id; filters by type, client and time', async () => {
    const first = await appendEvent(database.db, { type: 'webhook.test', clientId: 'cl_events_a', data: {} });
    const second = await appendEvent(database.db, { type: 'grant.revoked', clientId: 'cl_events_b', data: { sub: 'usr_x', reason: 'operator', revoked_at: '2026-12-06T00:00:00.000000Z' } });
    const all = await cli('events:list');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.id)).toEqual(expect.arrayContaining([first, second]));
    expect(lines.findIndex((line) => line.id === first)).toBeLessThan(lines.findIndex((line) => line.id === second));
    expect(lines.find((line) => line.id === second)).toEqual({
      id: second, type: 'grant.revoked', created_at: expect.stringMatching(/Z$/), environment: 'sandbox',
      data: { sub: 'usr_x', reason: 'operator', revoked_at: '2026-12-06T00:00:00.000000Z' }, client_id: 'cl_events_b',
    });
    const byType = await cli('events:list', '--type', 'webhook.test', '--client-id', 'cl_events_a');
    expect(byType.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { id: string }).id)).toEqual([first]);
    expect((await cli('events:list', '--since', '2999-01-01T00:00:00Z')).stdout).toBe('');
    expect((await cli('events:list', '--limit', '1')).stdout.trim().split('\n')).toHaveLength(1);
    for (const [args, message] of [[['--since', 'yesterday'], /--since must be an RFC 3339/], [['--type', 'transfer.created'], /--type must be a known event type/],
      [['--limit', '0'], /--limit must be an integer/], [['--limit', '100001'], /--limit must be an integer/], [['--client', 'x'], /Unknown option/]] as const) {
      const refused = await cli('events:list', ...args);
      expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 2, stdout: '' });
      expect(refused.stderr).toMatch(message);
    }
  });

  test('clients:approve approves a partner app waiting for review: { client_id, status }; idempotent; an unknown id fails', async () => {
    const app = await createPartnerApp(database.db, { name: 'Reviewed App', redirectUris: ['https://reviewed.example/cb'], owner: 'dev_cli' }, { environment: 'live' });
    expect((await getPartnerApp(database.db, app.clientId))?.status).toBe('pending_review');
    const approved = await cliWith({ PAYAPI_ENVIRONMENT: 'live' }, 'clients:approve', '--client-id', app.clientId);
    expect({ code: approved.code, json: approved.json }).toEqual({ code: 0, json: { client_id: app.clientId, status: 'approved' } });
    expect((await getPartnerApp(database.db, app.clientId))?.status).toBe('approved');
    expect((await cli('clients:approve', '--client-id', app.clientId)).json).toEqual({ client_id: app.clientId, status: 'approved' });
    const unknown = await cli('clients:approve', '--client-id', 'cl_nobody');
    expect({ code: unknown.code, stdout: unknown.stdout }).toEqual({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/unknown client id cl_nobody/);
    const missing = await cli('clients:approve');
    expect({ code: missing.code, stdout: missing.stdout }).toEqual({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/--client-id is required/);
  });

  test('keys:rotate prints the new kid', async () => {
    const rotated = await cli('keys:rotate');
    expect(rotated.code).toBe(0);
    expect(rotated.json.kid).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{43}$/));
  });

  test('mistakes exit non-zero with a message on stderr and nothing on stdout', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /no command given/],
      [['nope'], 2, /unknown command "nope"/],
      [['users:create', '--username', 'dave'], 2, /--password is required/],
      [['users:create', '--username', 'carol', '--password', 'another pass'], 1, /username_taken/],
      [['users:create', '--username', 'erin', '--password', 'short'], 1, /invalid_request/],
      [['accounts:open', '--username', 'nobody', '--name', 'X', '--currency', 'CNY'], 2, /no user named "nobody"/],
      [['accounts:open', '--username', 'carol', '--name', 'X', '--currency', 'CNY', '--opening-balance', '1e3'], 1, /invalid_amount/],
      [['accounts:open', '--username', 'carol', '--name', 'X', '--currency', 'XYZ'], 1, /unsupported_currency/],
      [['clients:create', '--name', 'Bad', '--redirect-uri', 'http://evil.example/cb'], 1, /https/],
      [['clients:create', '--name', 'Bad', '--redirect-uri', 'https://a.example/cb#frag'], 1, /fragment/],
      [['clients:create', '--redirect-uri', 'https://a.example/cb'], 2, /--name is required/],
      [['db:migrate', '--force'], 2, /Unknown option '--force'/],
    ];
    for (const [args, code, message] of cases) {
      const result = await cli(...args);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code, stdout: '' });
      expect(result.stderr).toMatch(message);
    }
  });
});
