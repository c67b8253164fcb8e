import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { findUserByUsername } from '@payapi/auth-server';
import { formatAmount, getBalance, listAccounts } from '@payapi/ledger';
import { postFrom, valueAfter } from '../testing/app-steps.ts';
import { textOf } from '../testing/portal-agent.ts';
import { startTestPortal } from '../testing/portal-harness.ts';
import type { TestPortal } from '../testing/portal-harness.ts';

let portal: TestPortal;

beforeAll(async () => {
  portal = await startTestPortal();
});
afterAll(async () => {
  await portal.close();
});

describe('test users (sandbox)', () => {
  test('Create test user shows Username and Password once, each right after its label; the user has the two funded accounts', async () => {
    const { agent } = await portal.signUp();
    const page = await agent.get('/test-users');
    expect(page.html).toContain('<button type="submit">Create test user</button>');
    const created = await postFrom(agent, '/test-users', '/test-users');
    expect(created.status).toBe(303);
    const shown = await agent.get('/test-users');
    const username = valueAfter(shown.html, 'Username') as string;
    const password = valueAfter(shown.html, 'Password') as string;
    expect(username).toMatch(/^test-[0-9a-f]{10}$/);
    expect(password).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(textOf(shown.html)).toMatch(new RegExp(`Username ${username} Password ${password}`));
    const user = await findUserByUsername(portal.db, username);
    expect(user).toBeTruthy();
    const accounts = await listAccounts(portal.db, user?.sub as string);
    const balances = await Promise.all(accounts.map(async (account) => [account.name, formatAmount((await getBalance(portal.db, account.id)).balanceMinor, account.currency)]));
    expect(balances).toEqual([['Test Current', '10000.00'], ['Test Savings', '5000.00']]);
    const again = await agent.get('/test-users');
    expect(again.html).not.toContain(password);
    expect(textOf(again.html)).toContain(username);
    expect(portal.logLines.join('\n')).not.toContain(password);
  });

  test('refuses Create test user without its CSRF token', async () => {
    const { agent } = await portal.signUp();
    expect((await agent.post('/test-users', {})).status).toBe(403);
    expect(textOf((await agent.get('/test-users')).html)).toContain('you have 0.');
  });

  test('a developer may have at most 20 test users, and sees only their own', async () => {
    const { agent } = await portal.signUp();
    const { agent: other } = await portal.signUp();
    const created = await Promise.all(Array.from({ length: 21 }, () => postFrom(agent, '/test-users', '/test-users')));
    expect(created.filter((answer) => answer.status === 303)).toHaveLength(20);
    const refused = created.find((answer) => answer.status !== 303);
    expect(refused?.status).toBe(422);
    expect(textOf(refused?.html ?? '')).toContain('You have 20 test users');
    expect(textOf((await other.get('/test-users')).html)).toContain('you have 0.');
  });
});
