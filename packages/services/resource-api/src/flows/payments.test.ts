import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, importJWK } from 'jose';
import type { JWTPayload } from 'jose';
import * as client from 'openid-client';
import { deriveSigningKeySealingKey, loadSigningKeys } from '@payapi/auth-server';
import type { PrivateJwk } from '@payapi/auth-server';
import {
  createPaymentConsent, getBalance, getPaymentConsent, listPostings, parsePaymentTerms, revokePaymentConsent, toWirePaymentConsent,
} from '@payapi/ledger';
import type { PaymentConsent, PaymentTermsInput } from '@payapi/ledger';
import { TEST_KEY_ENCRYPTION_SECRET, call, connect, connectClient, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Answer, Connection, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;
let bob: Alice;
let partner: Connection;
let signingKey: PrivateJwk;

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  bob = await seedUser(api.auth, 'bob', 'builder-password');
  partner = await connect(api, alice);
  [signingKey] = await loadSigningKeys(api.auth.database.db, deriveSigningKeySealingKey(TEST_KEY_ENCRYPTION_SECRET)) as [PrivateJwk];
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

const aliceCurrent = (): string => alice.accounts[0]!.id;
const bobCurrent = (): string => bob.accounts[0]!.id;

/** A consent Alice authorised, paying from her current account to Bob's. */
async function authorise(input: Omit<PaymentTermsInput, 'creditorAccountId' | 'currency'>): Promise<PaymentConsent> {
  const terms = parsePaymentTerms({ creditorAccountId: bobCurrent(), currency: 'CNY', ...input });
  return createPaymentConsent(api.db, { ...terms, debtorAccountId: aliceCurrent(), debtorOwnerSubject: alice.sub });
}

const single = (amount = '123.50') => authorise({ type: 'payment_initiation', amount, remittanceInformation: 'Invoice 7' });
const mandate = (limits: Array<{ period: string; amount: string }> = [{ period: 'day', amount: '300.00' }]) => authorise({
  type: 'payment_mandate', maximumIndividualAmount: '100.00', periodicLimits: limits, validUntil: '2099-01-01T00:00:00Z',
});

/** The `authorization_details` element the authorization server puts in the token for `consent` (contract, "Payment consents"). */
function element(consent: PaymentConsent): Record<string, unknown> {
  const wire = toWirePaymentConsent(consent);
  const bound = { consent_id: consent.id, debtor_account: { account_id: consent.debtorAccountId }, creditor_account: { account_id: consent.creditorAccountId } };
  return consent.type === 'payment_initiation'
    ? { type: consent.type, instructed_amount: wire.instructed_amount, remittance_information: wire.remittance_information, ...bound }
    : { type: consent.type, currency: consent.currency, maximum_individual_amount: wire.maximum_individual_amount,
      periodic_limits: wire.periodic_limits, valid_until: wire.valid_until, ...bound };
}

/**
 * A token for `consent`, as the authorization server issues one after Allow: the claims of a real
 * token of `connection` (its `jti`, so its grant's state counts) with `payments:write` and the element.
 */
async function tokenFor(consent: PaymentConsent, connection: Connection = partner, extra: JWTPayload = {}): Promise<string> {
  const claims = { ...decodeJwt(connection.accessToken), scope: 'openid accounts:read payments:write', authorization_details: [element(consent)], ...extra };
  const key = await importJWK(signingKey, 'ES256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signingKey.kid }).sign(key);
}

/** Polls `condition` every 20 ms for at most 10 s; fails the test if it never holds. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let polls = 0; !condition(); polls += 1) {
    if (polls >= 500) throw new Error('the condition did not hold within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function pay(token: string, body: Record<string, unknown>, key: string = randomUUID()): Promise<Answer> {
  return call(api, 'POST', '/v1/payments', { token, json: body, headers: { 'idempotency-key': key } });
}

describe('a single payment (payment_initiation)', () => {
  test('201 with the payment; one debit from the debtor and one credit to the creditor; the consent is consumed', async () => {
    const consent = await single();
    const token = await tokenFor(consent);
    const before = await getBalance(api.db, aliceCurrent());
    const answer = await pay(token, { consent_id: consent.id });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^pay_[0-9a-f]{32}$/), consent_id: consent.id, transfer_id: expect.stringMatching(/^tr_[0-9a-f]{32}$/),
      status: 'completed', debtor_account_id: aliceCurrent(), creditor_account_id: bobCurrent(), amount: '123.50', currency: 'CNY',
      remittance_information: 'Invoice 7', created_at: expect.stringMatching(/Z$/),
    });
    expect(answer.headers.get('location')).toBe(`/v1/payments/${answer.body.id}`);
    expect((await getBalance(api.db, aliceCurrent())).balanceMinor).toBe(before.balanceMinor - 12_350n);
    const [debit] = (await listPostings(api.db, { accountId: aliceCurrent(), limit: 1 })).data;
    const [credit] = (await listPostings(api.db, { accountId: bobCurrent(), limit: 1 })).data;
    expect(debit).toMatchObject({ transferId: answer.body.transfer_id, direction: 'debit', amountMinor: 12_350n, counterpartyAccountId: bobCurrent() });
    expect(credit).toMatchObject({ transferId: answer.body.transfer_id, direction: 'credit', amountMinor: 12_350n, counterpartyAccountId: aliceCurrent() });

    const again = await pay(token, { consent_id: consent.id });
    expect([again.status, again.body.code]).toEqual([422, 'consent_consumed']);
    const read = await call(api, 'GET', `/v1/payment-consents/${consent.id}`, { token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: consent.id, type: 'payment_initiation', status: 'consumed', instructed_amount: { amount: '123.50', currency: 'CNY' }, spent: [] });
    const payment = await call(api, 'GET', `/v1/payments/${answer.body.id}`, { token });
    expect(payment.status).toBe(200);
    expect(payment.body).toEqual(answer.body);
  });

  test('20 payments at once with different keys: exactly one 201, the others 422 consent_consumed', async () => {
    const consent = await single('10.00');
    const token = await tokenFor(consent);
    const before = await getBalance(api.db, bobCurrent());
    const answers = await Promise.all(Array.from({ length: 20 }, () => pay(token, { consent_id: consent.id })));
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 422 && answer.body.code === 'consent_consumed')).toHaveLength(19);
    expect((await getBalance(api.db, bobCurrent())).balanceMinor).toBe(before.balanceMinor + 1_000n);
  });

  test('the same key replays the payment; the same key with another body is 422 idempotency_key_reused', async () => {
    const consent = await single('1.00');
    const token = await tokenFor(consent);
    const key = randomUUID();
    const first = await pay(token, { consent_id: consent.id }, key);
    const replay = await pay(token, { consent_id: consent.id }, key);
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect(replay.body).toEqual(first.body);
    const reused = await pay(token, { consent_id: consent.id, remittance_information: 'other' }, key);
    expect([reused.status, reused.body.code]).toEqual([422, 'idempotency_key_reused']);
  });

  test('appends payment.completed and payment_consent.consumed for the client in the payment\'s transaction', async () => {
    const consent = await single('2.00');
    const answer = await pay(await tokenFor(consent), { consent_id: consent.id });
    const { rows } = await api.db.raw<{ rows: Array<{ type: string; client_id: string; data: Record<string, unknown> }> }>(
      `SELECT type, client_id, data FROM events.events WHERE data->>'id' IN (?, ?) ORDER BY type`, [answer.body.id, consent.id]);
    const consumed = await getPaymentConsent(api.db, consent.id);
    expect(rows).toEqual([
      { type: 'payment.completed', client_id: partner.registered.client_id, data: answer.body },
      { type: 'payment_consent.consumed', client_id: partner.registered.client_id, data: { ...toWirePaymentConsent(consumed) } },
    ]);
    const transfers = await api.db.raw<{ rows: unknown[] }>(`SELECT 1 FROM events.events WHERE type = 'transfer.completed' AND data->>'id' = ?`, [answer.body.transfer_id]);
    expect(transfers.rows).toHaveLength(1);
  });
});

describe('a mandate (payment_mandate)', () => {
  test('maximum 100.00, 300.00 a day: 100.01 is consent_limit_exceeded; 50 payments of 100.00 at once, exactly 3 succeed', async () => {
    const consent = await mandate();
    const token = await tokenFor(consent);
    const over = await pay(token, { consent_id: consent.id, amount: '100.01' });
    expect([over.status, over.body.code]).toEqual([422, 'consent_limit_exceeded']);
    const answers = await Promise.all(Array.from({ length: 50 }, () => pay(token, { consent_id: consent.id, amount: '100.00' })));
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(3);
    expect(answers.filter((answer) => answer.status === 422 && answer.body.code === 'consent_limit_exceeded')).toHaveLength(47);
    const read = await call(api, 'GET', `/v1/payment-consents/${consent.id}`, { token });
    expect(read.body).toMatchObject({ status: 'authorised', maximum_individual_amount: '100.00', periodic_limits: [{ period: 'day', amount: '300.00' }] });
    expect(read.body.spent).toEqual([{ period: 'day', period_start: expect.stringMatching(/T00:00:00\.000000Z$/), amount: '300.00' }]);
    // The SQL twin that events use gives the same document.
    const { rows } = await api.db.raw<{ rows: Array<{ wire: unknown }> }>(
      'SELECT api.wire_payment_consent(ledger.payment_consent_json(?, statement_timestamp())) AS wire', [consent.id]);
    expect(rows[0]?.wire).toEqual(read.body);
  });

  test('a payment on a mandate needs an amount in the consent\'s currency digits', async () => {
    const consent = await mandate();
    const token = await tokenFor(consent);
    const missing = await pay(token, { consent_id: consent.id });
    expect([missing.status, missing.body.code]).toEqual([400, 'invalid_request']);
    const digits = await pay(token, { consent_id: consent.id, amount: '1.5' });
    expect([digits.status, digits.body.code]).toEqual([400, 'invalid_amount']);
    const number = await pay(token, { consent_id: consent.id, amount: 1.5 });
    expect(number.status).toBe(400);
  });
});

describe('dynamic linking: a token pays exactly what the user authorised', () => {
  test('another consent (even of the same user) is 404; an amount on a single payment is 400; the payment is the consent\'s amount', async () => {
    const mine = await single('3.00');
    const other = await single('3.00');
    const token = await tokenFor(mine);
    const elsewhere = await pay(token, { consent_id: other.id });
    expect([elsewhere.status, elsewhere.body.code]).toEqual([404, 'payment_consent_not_found']);
    const amount = await pay(token, { consent_id: mine.id, amount: '300.00' });
    expect([amount.status, amount.body.code]).toEqual([400, 'invalid_request']);
    expect((await call(api, 'GET', `/v1/payment-consents/${other.id}`, { token })).status).toBe(404);
    expect((await getPaymentConsent(api.db, other.id)).status).toBe('authorised');
    const paid = await pay(await tokenFor(other), { consent_id: other.id });
    expect(paid.status).toBe(201);
    expect((await call(api, 'GET', `/v1/payments/${paid.body.id}`, { token })).body.code).toBe('payment_not_found');
  });

  test('a consent paying from another user\'s account cannot be paid with this user\'s token', async () => {
    const terms = parsePaymentTerms({ type: 'payment_initiation', creditorAccountId: aliceCurrent(), currency: 'CNY', amount: '1.00' });
    const bobs = await createPaymentConsent(api.db, { ...terms, debtorAccountId: bobCurrent(), debtorOwnerSubject: bob.sub });
    const answer = await pay(await tokenFor(bobs), { consent_id: bobs.id });
    expect([answer.status, answer.body.code]).toEqual([404, 'payment_consent_not_found']);
  });

  test('without payments:write the routes are 403; without the token element 404', async () => {
    const consent = await single('1.00');
    const noScope = await tokenFor(consent, partner, { scope: 'openid accounts:read' });
    expect((await pay(noScope, { consent_id: consent.id })).status).toBe(403);
    const noElement = await tokenFor(consent, partner, { authorization_details: undefined });
    expect((await pay(noElement, { consent_id: consent.id })).body.code).toBe('payment_consent_not_found');
    const malformed = await tokenFor(consent, partner, { authorization_details: [{ type: 'payment_initiation', consent_id: consent.id }] });
    expect((await pay(malformed, { consent_id: consent.id })).status).toBe(401);
  });

  test('bad input: no Idempotency-Key, an extra field, a malformed consent id', async () => {
    const consent = await single('1.00');
    const token = await tokenFor(consent);
    const noKey = await call(api, 'POST', '/v1/payments', { token, json: { consent_id: consent.id } });
    expect([noKey.status, noKey.body.code]).toEqual([400, 'invalid_request']);
    expect((await pay(token, { consent_id: consent.id, creditor_account_id: aliceCurrent() })).status).toBe(400);
    expect((await pay(token, { consent_id: 'pc_nope' })).body.code).toBe('payment_consent_not_found');
    expect((await call(api, 'GET', '/v1/payments/pay_nope', { token })).body.code).toBe('payment_not_found');
  });
});

describe('revocation at once', () => {
  test('a revoked consent: the next payment and every other call with its token are 401 invalid_token', async () => {
    const consent = await mandate();
    const token = await tokenFor(consent);
    expect((await pay(token, { consent_id: consent.id, amount: '1.00' })).status).toBe(201);
    await revokePaymentConsent(api.db, consent.id);
    const refused = await pay(token, { consent_id: consent.id, amount: '1.00' });
    expect([refused.status, refused.body.code]).toEqual([401, 'invalid_token']);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect((await call(api, 'GET', `/v1/payment-consents/${consent.id}`, { token })).status).toBe(401);
    // Other calls learn it from the notice, within moments (polled: no timing is asserted).
    let read = await call(api, 'GET', '/v1/accounts', { token });
    for (let polls = 0; read.status === 200 && polls < 100; polls += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      read = await call(api, 'GET', '/v1/accounts', { token });
    }
    expect([read.status, read.body.code]).toEqual([401, 'invalid_token']);
    // The partner's token for its account access alone is untouched.
    expect((await call(api, 'GET', '/v1/accounts', { token: partner.accessToken })).status).toBe(200);
  });

  test('a revoked grant stops a balance read within a second, from memory (no database question for the 401)', async () => {
    const doomed = await connect(api, alice);
    const path = `/v1/accounts/${aliceCurrent()}/balance`;
    expect((await call(api, 'GET', path, { token: doomed.accessToken })).status).toBe(200);
    await client.tokenRevocation(doomed.clientConfig, doomed.refreshToken as string);
    let answer = await call(api, 'GET', path, { token: doomed.accessToken });
    for (let polls = 0; answer.status === 200 && polls < 100; polls += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await call(api, 'GET', path, { token: doomed.accessToken });
    }
    expect([answer.status, answer.body.code]).toEqual([401, 'invalid_token']);
    const sent: string[] = [];
    const record = (query: { sql: string }): void => void sent.push(query.sql);
    api.db.on('query', record);
    try {
      expect((await call(api, 'GET', path, { token: doomed.accessToken })).status).toBe(401);
    } finally {
      api.db.off('query', record);
    }
    expect(sent).toEqual([]);
  });

  test('a client-credentials token revoked by RFC 7009 is refused on its next calls too', async () => {
    const session = await connectClient(api);
    expect((await call(api, 'GET', '/v1/events', { token: session.accessToken })).status).toBe(200);
    await client.tokenRevocation(session.clientConfig, session.accessToken);
    let answer = await call(api, 'GET', '/v1/events', { token: session.accessToken });
    for (let polls = 0; answer.status === 200 && polls < 100; polls += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await call(api, 'GET', '/v1/events', { token: session.accessToken });
    }
    expect([answer.status, answer.body.detail]).toEqual([401, 'this access token has been revoked']);
  });

  test('revocations made while the watch was disconnected are refused meanwhile (database) and remembered once it is back', async () => {
    const doomed = await connect(api, alice);
    const jti = decodeJwt(doomed.accessToken).jti as string;
    await api.auth.database.db.raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'payapi-resource-revocations'`);
    await waitFor(() => !api.revocations.listening);
    await client.tokenRevocation(doomed.clientConfig, doomed.refreshToken as string);
    // While not listening the check asks the database, so the 401 holds at once.
    expect((await call(api, 'GET', '/v1/accounts', { token: doomed.accessToken })).status).toBe(401);
    await waitFor(() => api.revocations.listening);
    // Loaded on reconnect: answered from memory, synchronously.
    expect(api.revocations.isRevoked({ jti, paymentConsents: [] } as never)).toBe(true);
    expect(api.revocations.isRevoked({ jti: decodeJwt(partner.accessToken).jti, paymentConsents: [] } as never)).toBe(false);
  });
});
