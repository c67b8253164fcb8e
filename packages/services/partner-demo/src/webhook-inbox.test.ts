import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { createPartnerDemo } from './app.ts';
import { loadPartnerDemoConfig } from './config.ts';
import { WebhookInbox } from './webhook-inbox.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
let counter = 0;

/** A delivery as the bank sends it (Standard Webhooks), signed with `secret`. */
function delivery(event: Record<string, unknown>, secret = SECRET, at = new Date()): { body: Buffer; headers: Record<string, string> } {
  const id = (event.id as string | undefined) ?? `evt_${(counter += 1).toString(16).padStart(32, '0')}`;
  const body = Buffer.from(JSON.stringify({ id, created_at: '2026-12-06T09:31:00.654321Z', environment: 'sandbox', ...event }));
  return { body, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) } };
}

const transferCompleted = (accountId: string): Record<string, unknown> => ({
  type: 'transfer.completed', data: { id: 'tr_0c1d', source_account_id: accountId, destination_account_id: 'acc_dest', amount: '12.34', currency: 'CNY', status: 'completed' },
});

describe('WebhookInbox', () => {
  test('accepts a verified delivery once and summarises it in one line', () => {
    const inbox = new WebhookInbox();
    inbox.setSecret(SECRET);
    const sent = delivery(transferCompleted('acc_alice'));
    expect(inbox.receive(sent.body, sent.headers)).toBe('accepted');
    expect(inbox.receive(sent.body, sent.headers)).toBe('duplicate');
    expect(inbox.latestFor({ sub: undefined, accountIds: new Set(['acc_alice']) })).toEqual([{
      id: sent.headers['webhook-id'], type: 'transfer.completed', createdAt: '2026-12-06T09:31:00.654321Z',
      summary: 'Transfer tr_0c1d of 12.34 CNY completed', accountIds: ['acc_alice'], sub: undefined, forEveryone: false,
    }]);
  });

  test('refuses a changed body, another secret, an old timestamp or missing headers, and remembers none of them', () => {
    const inbox = new WebhookInbox();
    inbox.setSecret(SECRET);
    const sent = delivery(transferCompleted('acc_alice'));
    expect(inbox.receive(Buffer.from(sent.body.toString().replace('12.34', '99.99')), sent.headers)).toBe('invalid');
    const forged = delivery(transferCompleted('acc_alice'), `whsec_${randomBytes(32).toString('base64')}`);
    expect(inbox.receive(forged.body, forged.headers)).toBe('invalid');
    const stale = delivery(transferCompleted('acc_alice'), SECRET, new Date(Date.now() - 10 * 60_000));
    expect(inbox.receive(stale.body, stale.headers)).toBe('invalid');
    expect(inbox.receive(sent.body, { 'webhook-id': sent.headers['webhook-id'] })).toBe('invalid');
    expect(inbox.receive(sent.body, sent.headers)).toBe('accepted');
  });

  test('accepts a delivery signed twice during a rotation when either signature matches', () => {
    const inbox = new WebhookInbox();
    inbox.setSecret(SECRET);
    const old = delivery(transferCompleted('acc_alice'), `whsec_${randomBytes(32).toString('base64')}`);
    const current = new Webhook(SECRET).sign(old.headers['webhook-id'] as string, new Date(Number(old.headers['webhook-timestamp']) * 1000), old.body);
    expect(inbox.receive(old.body, { ...old.headers, 'webhook-signature': `${old.headers['webhook-signature']} ${current}` })).toBe('accepted');
  });

  test('is not ready before it has a secret', () => {
    const sent = delivery(transferCompleted('acc_alice'));
    expect(new WebhookInbox().receive(sent.body, sent.headers)).toBe('not_ready');
  });

  test('shows each user only what concerns them; test events to everyone', () => {
    const inbox = new WebhookInbox();
    inbox.setSecret(SECRET);
    for (const event of [transferCompleted('acc_alice'), transferCompleted('acc_bob'),
      { type: 'transaction.booked', data: { account_id: 'acc_bob', direction: 'credit', amount: '12.34', currency: 'CNY', balance_after: '2512.34' } },
      { type: 'grant.revoked', data: { sub: 'usr_bob', reason: 'user_revoked', revoked_at: '2026-12-06T09:31:00Z' } },
      { type: 'webhook.test', data: {} },
      { type: 'payment.completed', data: { debtor_account_id: 'acc_bob' } }]) {
      const sent = delivery(event);
      inbox.receive(sent.body, sent.headers);
    }
    const summaries = (sub: string, accountId: string): string[] => inbox.latestFor({ sub, accountIds: new Set([accountId]) }).map((n) => n.summary);
    expect(summaries('usr_alice', 'acc_alice')).toEqual(['Test event from the bank', 'Transfer tr_0c1d of 12.34 CNY completed']);
    expect(summaries('usr_bob', 'acc_bob')).toEqual(['Test event from the bank', 'Access to your bank ended (user_revoked)',
      'Credit of 12.34 CNY booked on account …_bob, balance 2512.34 CNY', 'Transfer tr_0c1d of 12.34 CNY completed']);
  });

  test('keeps bounded memory: the oldest notifications and seen ids go first', () => {
    const inbox = new WebhookInbox({ notificationsMax: 3, seenIdsMax: 2 });
    inbox.setSecret(SECRET);
    const sent = Array.from({ length: 4 }, () => delivery({ type: 'webhook.test', data: {} }));
    for (const item of sent) expect(inbox.receive(item.body, item.headers)).toBe('accepted');
    expect(inbox.latestFor({ sub: undefined, accountIds: new Set() }).map((n) => n.id)).toEqual(sent.slice(1).reverse().map((item) => item.headers['webhook-id']));
    expect(inbox.receive(sent[0]!.body, sent[0]!.headers)).toBe('accepted');
    expect(inbox.receive(sent[3]!.body, sent[3]!.headers)).toBe('duplicate');
  });
});

describe('POST /webhooks', () => {
  test('answers 204 for a verified delivery, 204 again for its repeat, 400 for a bad signature, 503 before the secret, 413 past 64 KiB', async () => {
    const inbox = new WebhookInbox();
    const config = loadPartnerDemoConfig({ PARTNER_DEMO_URL: 'http://127.0.0.1:4002', PARTNER_DEMO_WEBHOOKS: 'false', LOG_LEVEL: 'silent' });
    const http = createServer(createPartnerDemo(config, { inbox }));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/webhooks`;
    const post = async (body: Buffer | string, headers: Record<string, string>): Promise<number> =>
      (await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })).status;
    try {
      const sent = delivery({ type: 'webhook.test', data: {} });
      const before = await fetch(url, { method: 'POST', body: sent.body, headers: sent.headers });
      expect([before.status, before.headers.get('retry-after')]).toEqual([503, '5']);
      inbox.setSecret(SECRET);
      expect(await post(sent.body, sent.headers)).toBe(204);
      expect(await post(sent.body, sent.headers)).toBe(204);
      expect(await post(`${sent.body.toString()} `, sent.headers)).toBe(400);
      expect(await post('x'.repeat(70_000), sent.headers)).toBe(413);
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
