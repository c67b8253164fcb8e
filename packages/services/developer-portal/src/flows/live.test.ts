import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { approveClient } from '@payapi/auth-server';
import { createApp, postFrom, valueAfter } from '../testing/app-steps.ts';
import { textOf } from '../testing/portal-agent.ts';
import { startTestPortal } from '../testing/portal-harness.ts';
import type { TestPortal } from '../testing/portal-harness.ts';

let portal: TestPortal;

beforeAll(async () => {
  portal = await startTestPortal({ PAYAPI_ENVIRONMENT: 'live' });
});
afterAll(async () => {
  await portal.close();
});

describe('in live (PAYAPI_ENVIRONMENT=live)', () => {
  test('a new app is Pending review with an sk_live_ secret, until the operator approves it', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    expect(app.clientSecret).toMatch(/^sk_live_/);
    expect(valueAfter(app.page.html, 'Status')).toBe('Pending review');
    expect(textOf((await agent.get('/apps')).html)).toContain(`${app.clientId} Pending review`);
    const rotated = await agent.get((await postFrom(agent, app.path, `${app.path}/secret`)).location as string);
    expect(valueAfter(rotated.html, 'Client secret')).toMatch(/^sk_live_/);
    await approveClient(portal.db, app.clientId);
    expect(valueAfter((await agent.get(app.path)).html, 'Status')).toBe('Approved');
  });

  test('there is no test users page: 404 for GET and POST, and no link to it', async () => {
    const { agent } = await portal.signUp();
    const page = await agent.get('/apps');
    expect(page.html).not.toContain('/test-users');
    expect((await agent.get('/test-users')).status).toBe(404);
    expect((await agent.post('/test-users', {})).status).toBe(404);
    const { rows } = await portal.db.raw<{ rows: unknown[] }>('SELECT 1 FROM portal.test_users');
    expect(rows).toHaveLength(0);
  });
});
