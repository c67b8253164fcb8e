import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { TestDatabase } from '@payapi/platform/testing';
import { getBalance } from './accounts.ts';
import { auditLedger } from './audit.ts';
import { LedgerError } from './errors.ts';
import { listPostings } from './history.ts';
import {
  PAYMENT_CONSENT_REVOKED_CHANNEL, createPaymentConsent, getPaymentConsent, listPaymentConsents, revokePaymentConsent,
} from './payment-consents.ts';
import type { PaymentConsent } from './payment-consents.ts';
import { checkPaymentTerms, parsePaymentTerms } from './payment-terms.ts';
import type { PaymentTermsInput } from './payment-terms.ts';
import { toWirePayment, toWirePaymentConsent } from './payment-wire.ts';
import { getPayment, postPayment } from './payments.ts';
import type { PaymentOptions, PaymentRequest } from './payments.ts';
import { createLedgerTestDatabase, openTestAccount } from './testing/index.ts';
import { transfer } from './transfer.ts';
import type { Account } from './types.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createLedgerTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const FAR_FUTURE = '2099-01-01T00:00:00Z';

async function accounts(debtorMinor = 1_000_000n): Promise<{ debtor: Account; creditor: Account }> {
  return { debtor: await openTestAccount(database.db, 'CNY', debtorMinor), creditor: await openTestAccount(database.db, 'CNY', 0n) };
}

async function consent(debtor: Account, input: Omit<PaymentTermsInput, 'currency'> & { currency?: string }, now?: Date): Promise<PaymentConsent> {
  const terms = parsePaymentTerms({ currency: 'CNY', ...input }, now ? { now } : {});
  return createPaymentConsent(database.db, { ...terms, debtorAccountId: debtor.id, debtorOwnerSubject: debtor.ownerSubject as string }, now ? { now } : {});
}

async function mandate(debtor: Account, creditor: Account, limits: Array<{ period: string; amount: string }>, maximum = '100.00'): Promise<PaymentConsent> {
  return consent(debtor, { type: 'payment_mandate', creditorAccountId: creditor.id, maximumIndividualAmount: maximum, periodicLimits: limits, validUntil: FAR_FUTURE },
    new Date('2026-01-01T00:00:00Z'));
}

function pay(consentId: string, extra: Partial<PaymentRequest> = {}, options: PaymentOptions = {}) {
  return postPayment(database.db, { consentId, currency: 'CNY', ...extra },
    { clientId: 'client-a', subject: 'sub-a', idempotencyKey: randomUUID(), ...options });
}

async function expectBalancedBooks(): Promise<void> {
  const audit = await auditLedger(database.db);
  expect([audit.unbalancedTransfers, audit.wrongBalances, audit.negativeBalances]).toEqual([[], [], []]);
}

async function refusalCode(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    if (error instanceof LedgerError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('payment consents', () => {
  test('checkPaymentTerms finds the creditor\'s name, and refuses an unknown creditor or one in another currency', async () => {
    const { creditor } = await accounts();
    const euro = await openTestAccount(database.db, 'EUR', 0n);
    const single = { type: 'payment_initiation', creditorAccountId: creditor.id, currency: 'CNY', amount: '123.50' };
    const { creditor: named, terms } = await checkPaymentTerms(database.db, single);
    expect(named).toEqual({ id: creditor.id, name: creditor.name, currency: 'CNY' });
    expect(terms.amountMinor).toBe(12_350n);
    expect(await refusalCode(checkPaymentTerms(database.db, { ...single, creditorAccountId: `acc_${'9'.repeat(32)}` }))).toBe('account_not_found');
    expect(await refusalCode(checkPaymentTerms(database.db, { ...single, creditorAccountId: euro.id }))).toBe('currency_mismatch');
  });

  test('createPaymentConsent records the terms; the debtor must be the user\'s own, in the currency, not the creditor', async () => {
    const { debtor, creditor } = await accounts();
    const made = await mandate(debtor, creditor, [{ period: 'day', amount: '300.00' }, { period: 'week', amount: '1000.00' }]);
    expect(made).toMatchObject({
      id: expect.stringMatching(/^pc_[0-9a-f]{32}$/), type: 'payment_mandate', status: 'authorised', debtorAccountId: debtor.id,
      creditorAccountId: creditor.id, currency: 'CNY', maximumIndividualAmountMinor: 10_000n,
      periodicLimits: [{ period: 'day', amountMinor: 30_000n }, { period: 'week', amountMinor: 100_000n }],
      validUntil: '2099-01-01T00:00:00.000000Z', consumedAt: null, revokedAt: null,
    });
    expect(made.spent.map((entry) => [entry.period, entry.amountMinor])).toEqual([['day', 0n], ['week', 0n]]);
    expect(await getPaymentConsent(database.db, made.id, { now: new Date('2026-01-01T00:00:00Z') })).toEqual(made);

    const terms = parsePaymentTerms({ type: 'payment_initiation', creditorAccountId: creditor.id, currency: 'CNY', amount: '1.00' });
    const other = await openTestAccount(database.db, 'CNY', 0n);
    const euro = await openTestAccount(database.db, 'EUR', 0n);
    const create = (debtorAccountId: string, owner: string) => createPaymentConsent(database.db, { ...terms, debtorAccountId, debtorOwnerSubject: owner });
    expect(await refusalCode(create(other.id, debtor.ownerSubject as string))).toBe('account_not_found');
    expect(await refusalCode(create(euro.id, euro.ownerSubject as string))).toBe('currency_mismatch');
    expect(await refusalCode(create(creditor.id, creditor.ownerSubject as string))).toBe('same_account');
    expect(await refusalCode(create(`acc_${'9'.repeat(32)}`, 'nobody'))).toBe('account_not_found');
  });

  test('getPaymentConsent and listPaymentConsents treat unknown and malformed ids as absent', async () => {
    const { debtor, creditor } = await accounts();
    const a = await consent(debtor, { type: 'payment_initiation', creditorAccountId: creditor.id, amount: '1.00' });
    const b = await consent(debtor, { type: 'payment_initiation', creditorAccountId: creditor.id, amount: '2.00' });
    expect(await refusalCode(getPaymentConsent(database.db, `pc_${'0'.repeat(32)}`))).toBe('payment_consent_not_found');
    expect(await refusalCode(getPaymentConsent(database.db, 'pc_x'))).toBe('payment_consent_not_found');
    const listed = await listPaymentConsents(database.db, [a.id, 'nonsense', b.id, `pc_${'0'.repeat(32)}`]);
    expect(listed.map((entry) => entry.id)).toEqual([b.id, a.id]);
    expect(await refusalCode(listPaymentConsents(database.db, Array.from({ length: 1001 }, () => a.id)))).toBe('invalid_request');
  });

  test('a mandate whose valid_until passed reads as expired; revoking notifies the channel once, and twice changes nothing', async () => {
    const { debtor, creditor } = await accounts();
    const made = await mandate(debtor, creditor, []);
    expect((await getPaymentConsent(database.db, made.id, { now: new Date('2099-01-01T00:00:00Z') })).status).toBe('expired');
    expect((await getPaymentConsent(database.db, made.id, { now: new Date('2098-12-31T23:59:59.999Z') })).status).toBe('authorised');

    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(message.payload ?? ''));
    await listener.query(`LISTEN ${PAYMENT_CONSENT_REVOKED_CHANNEL}`);
    try {
      const revoked = await revokePaymentConsent(database.db, made.id);
      expect(revoked.status).toBe('revoked');
      expect(revoked.revokedAt).toMatch(/Z$/);
      expect(await revokePaymentConsent(database.db, made.id)).toEqual(revoked);
      await listener.query('SELECT 1');
      expect(heard).toEqual([made.id]);
    } finally {
      await listener.end();
    }
    expect(await refusalCode(revokePaymentConsent(database.db, 'pc_nope'))).toBe('payment_consent_not_found');
  });
});

describe('single payments', () => {
  test('pays the consent\'s amount to its creditor with one debit and one credit, and the consent is consumed', async () => {
    const { debtor, creditor } = await accounts(20_000n);
    const made = await consent(debtor, { type: 'payment_initiation', creditorAccountId: creditor.id, amount: '123.50', remittanceInformation: 'Invoice 7' });
    const { payment, transfer: booked, replayed } = await pay(made.id, {}, { debtorOwnerSubject: debtor.ownerSubject as string });
    expect(replayed).toBe(false);
    expect(payment).toEqual({
      id: expect.stringMatching(/^pay_[0-9a-f]{32}$/), consentId: made.id, transferId: booked.id, status: 'completed',
      debtorAccountId: debtor.id, creditorAccountId: creditor.id, amountMinor: 12_350n, currency: 'CNY',
      remittanceInformation: 'Invoice 7', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
    });
    expect(booked).toMatchObject({ sourceAccountId: debtor.id, destinationAccountId: creditor.id, amountMinor: 12_350n, clientId: 'client-a', description: 'Invoice 7' });
    expect((await getBalance(database.db, debtor.id)).balanceMinor).toBe(7_650n);
    expect((await getBalance(database.db, creditor.id)).balanceMinor).toBe(12_350n);
    const [debit] = (await listPostings(database.db, { accountId: debtor.id, limit: 1 })).data;
    expect(debit).toMatchObject({ transferId: booked.id, direction: 'debit', amountMinor: 12_350n, balanceAfterMinor: 7_650n });
    expect(await getPayment(database.db, payment.id)).toEqual(payment);
    const after = await getPaymentConsent(database.db, made.id);
    expect(after).toMatchObject({ status: 'consumed', consumedAt: payment.createdAt });
    expect(toWirePayment(payment)).toMatchObject({ amount: '123.50', consent_id: made.id, remittance_information: 'Invoice 7' });
    expect(toWirePaymentConsent(after)).toMatchObject({ status: 'consumed', instructed_amount: { amount: '123.50', currency: 'CNY' } });
    expect(await refusalCode(pay(made.id))).toBe('consent_consumed');
    await expectBalancedBooks();
  });

  test('20 payments at once with different keys: exactly one is booked, the others are consent_consumed', async () => {
    const { debtor, creditor } = await accounts(100_000n);
    const made = await consent(debtor, { type: 'payment_initiation', creditorAccountId: creditor.id, amount: '10.00' });
    const codes = await Promise.all(Array.from({ length: 20 }, () => refusalCode(pay(made.id))));
    expect(codes.filter((code) => code === 'accepted')).toHaveLength(1);
    expect(codes.filter((code) => code === 'consent_consumed')).toHaveLength(19);
    expect((await getBalance(database.db, creditor.id)).balanceMinor).toBe(1_000n);
  });

  test('the same key replays the payment; the same key with another body is idempotency_key_reused', async () => {
    const { debtor, creditor } = await accounts();
    const made = await consent(debtor, { type: 'payment_initiation', creditorAccountId: creditor.id, amount: '5.00' });
    const key = randomUUID();
    const first = await pay(made.id, {}, { idempotencyKey: key });
    const again = await pay(made.id, {}, { idempotencyKey: key });
    expect(again).toEqual({ ...first, replayed: true });
    expect(await refusalCode(pay(made.id, { remittanceInformation: 'other' }, { idempotencyKey: key }))).toBe('idempotency_key_reused');
    expect((await getBalance(database.db, creditor.id)).balanceMinor).toBe(500n);
  });

  test('an amount on a single payment, another currency, another owner, a revoked consent: refused and not stored', async () => {
    const { debtor, creditor } = await accounts();
    const made = await consent(debtor, { type: 'payment_initiation', creditorAccountId: creditor.id, amount: '5.00' });
    const key = randomUUID();
    expect(await refusalCode(pay(made.id, { amountMinor: 500n }, { idempotencyKey: key }))).toBe('invalid_request');
    expect(await refusalCode(pay(made.id, { currency: 'EUR' }, { idempotencyKey: key }))).toBe('currency_mismatch');
    expect(await refusalCode(pay(made.id, {}, { idempotencyKey: key, debtorOwnerSubject: 'someone-else' }))).toBe('payment_consent_not_found');
    expect(await refusalCode(pay(`pc_${'0'.repeat(32)}`))).toBe('payment_consent_not_found');
    await revokePaymentConsent(database.db, made.id);
    expect(await refusalCode(pay(made.id, {}, { idempotencyKey: key }))).toBe('consent_revoked');
    expect((await getBalance(database.db, debtor.id)).balanceMinor).toBe(1_000_000n);
  });

  test('a refusal by the ledger (insufficient funds) leaves the consent authorised and is replayed under its key', async () => {
    const { debtor, creditor } = await accounts(100n);
    const made = await consent(debtor, { type: 'payment_initiation', creditorAccountId: creditor.id, amount: '5.00' });
    const key = randomUUID();
    expect(await refusalCode(pay(made.id, {}, { idempotencyKey: key }))).toBe('insufficient_funds');
    const replay = await pay(made.id, {}, { idempotencyKey: key }).catch((error: LedgerError) => error);
    expect(replay).toMatchObject({ code: 'insufficient_funds', replayed: true });
    expect((await getPaymentConsent(database.db, made.id)).status).toBe('authorised');
  });

  test('a single payment with valid_until: consent_expired from that instant on', async () => {
    const { debtor, creditor } = await accounts();
    const now = new Date('2030-05-01T12:00:00Z');
    const made = await consent(debtor, { type: 'payment_initiation', creditorAccountId: creditor.id, amount: '5.00', validUntil: '2030-05-01T13:00:00Z' }, now);
    expect(await refusalCode(pay(made.id, {}, { now: new Date('2030-05-01T13:00:00Z') }))).toBe('consent_expired');
    expect(await refusalCode(pay(made.id, {}, { now: new Date('2030-05-01T12:59:59.999Z') }))).toBe('accepted');
  });
});

describe('mandates', () => {
  test('maximum 100.00 and 300.00 a day: 50 payments of 100.00 at once, exactly 3 succeed; 100.01 is consent_limit_exceeded', async () => {
    const { debtor, creditor } = await accounts();
    const made = await mandate(debtor, creditor, [{ period: 'day', amount: '300.00' }]);
    expect(await refusalCode(pay(made.id, { amountMinor: 10_001n }))).toBe('consent_limit_exceeded');
    const codes = await Promise.all(Array.from({ length: 50 }, () => refusalCode(pay(made.id, { amountMinor: 10_000n }))));
    expect(codes.filter((code) => code === 'accepted')).toHaveLength(3);
    expect(codes.filter((code) => code === 'consent_limit_exceeded')).toHaveLength(47);
    expect((await getBalance(database.db, creditor.id)).balanceMinor).toBe(30_000n);
    const after = await getPaymentConsent(database.db, made.id);
    expect(after.status).toBe('authorised');
    expect(after.spent).toEqual([{ period: 'day', periodStart: expect.stringMatching(/T00:00:00\.000000Z$/), amountMinor: 30_000n }]);
  });

  test('a mandate without an amount, and a payment past valid_until, are refused', async () => {
    const { debtor, creditor } = await accounts();
    const made = await mandate(debtor, creditor, []);
    expect(await refusalCode(pay(made.id))).toBe('invalid_request');
    expect(await refusalCode(pay(made.id, { amountMinor: 100n }, { now: new Date('2099-01-01T00:00:00Z') }))).toBe('consent_expired');
    expect(await refusalCode(pay(made.id, { amountMinor: 100n }, { now: new Date('2098-12-31T23:59:59.999Z') }))).toBe('accepted');
  });

  test('days: 23:59:59.999 UTC and 00:00:00 the next day count in different days', async () => {
    const { debtor, creditor } = await accounts();
    const made = await mandate(debtor, creditor, [{ period: 'day', amount: '100.00' }]);
    const at = (iso: string) => pay(made.id, { amountMinor: 10_000n }, { now: new Date(iso) });
    expect(await refusalCode(at('2030-03-04T23:59:59.999Z'))).toBe('accepted');
    expect(await refusalCode(at('2030-03-04T00:00:00.000Z'))).toBe('consent_limit_exceeded');
    expect(await refusalCode(at('2030-03-05T00:00:00.000Z'))).toBe('accepted');
    const spent = await getPaymentConsent(database.db, made.id, { now: new Date('2030-03-05T08:00:00Z') });
    expect(spent.spent).toEqual([{ period: 'day', periodStart: '2030-03-05T00:00:00.000000Z', amountMinor: 10_000n }]);
  });

  test('weeks start on Monday 00:00 UTC: Sunday 23:59:59.999 and Monday 00:00 count in different weeks', async () => {
    const { debtor, creditor } = await accounts();
    const made = await mandate(debtor, creditor, [{ period: 'week', amount: '100.00' }]);
    const at = (iso: string) => pay(made.id, { amountMinor: 10_000n }, { now: new Date(iso) });
    // 2030-03-04 is a Monday, 2030-03-10 a Sunday.
    expect(await refusalCode(at('2030-03-04T00:00:00.000Z'))).toBe('accepted');
    expect(await refusalCode(at('2030-03-10T23:59:59.999Z'))).toBe('consent_limit_exceeded');
    expect(await refusalCode(at('2030-03-03T23:59:59.999Z'))).toBe('accepted');
    expect(await refusalCode(at('2030-03-11T00:00:00.000Z'))).toBe('accepted');
    const spent = await getPaymentConsent(database.db, made.id, { now: new Date('2030-03-07T12:00:00Z') });
    expect(spent.spent).toEqual([{ period: 'week', periodStart: '2030-03-04T00:00:00.000000Z', amountMinor: 10_000n }]);
  });

  test('months start on the 1st 00:00 UTC; every limit holds at once (day, week, month)', async () => {
    const { debtor, creditor } = await accounts();
    const made = await mandate(debtor, creditor,
      [{ period: 'day', amount: '100.00' }, { period: 'week', amount: '300.00' }, { period: 'month', amount: '150.00' }]);
    const at = (iso: string, minor: bigint) => refusalCode(pay(made.id, { amountMinor: minor }, { now: new Date(iso) }));
    expect(await at('2030-04-30T23:59:59.999Z', 10_000n)).toBe('accepted'); // Tuesday, April
    expect(await at('2030-05-01T00:00:00.000Z', 10_000n)).toBe('accepted'); // Wednesday, May: April's 100.00 not counted
    expect(await at('2030-05-01T12:00:00.000Z', 1_000n)).toBe('consent_limit_exceeded'); // the day is full
    expect(await at('2030-05-02T00:00:00.000Z', 6_000n)).toBe('consent_limit_exceeded'); // May would reach 160.00
    expect(await at('2030-05-02T00:00:00.000Z', 5_000n)).toBe('accepted'); // May at 150.00, the week at 250.00
    expect(await at('2030-06-01T00:00:00.000Z', 10_000n)).toBe('accepted');
    const spent = await getPaymentConsent(database.db, made.id, { now: new Date('2030-05-02T01:00:00Z') });
    expect(spent.spent.map((entry) => [entry.period, entry.periodStart, entry.amountMinor])).toEqual([
      ['day', '2030-05-02T00:00:00.000000Z', 5_000n], ['week', '2030-04-29T00:00:00.000000Z', 25_000n],
      ['month', '2030-05-01T00:00:00.000000Z', 15_000n],
    ]);
  });

  test('payments and transfers in the opposite direction at once: no deadlock, every booking balanced', async () => {
    const { debtor, creditor } = await accounts(1_000_000n);
    await transfer(database.db, { sourceAccountId: debtor.id, destinationAccountId: creditor.id, amountMinor: 500_000n, currency: 'CNY' });
    const made = await mandate(debtor, creditor, [], '10.00');
    const work = Array.from({ length: 40 }, (_, index) => (index % 2 === 0
      ? pay(made.id, { amountMinor: 100n }).then(() => 'paid')
      : transfer(database.db, { sourceAccountId: creditor.id, destinationAccountId: debtor.id, amountMinor: 100n, currency: 'CNY' }).then(() => 'moved')));
    const results = await Promise.all(work);
    expect(results.filter((result) => result === 'paid')).toHaveLength(20);
    expect((await getBalance(database.db, debtor.id)).balanceMinor).toBe(500_000n);
    await expectBalancedBooks();
  });

  test('the payments table is append-only', async () => {
    const { debtor, creditor } = await accounts();
    const made = await mandate(debtor, creditor, []);
    const { payment } = await pay(made.id, { amountMinor: 100n });
    await expect(database.db.raw('UPDATE ledger.payments SET amount_minor = 1 WHERE id = ?', [payment.id])).rejects.toThrow(/append-only/);
    await expect(database.db.raw('DELETE FROM ledger.payments WHERE id = ?', [payment.id])).rejects.toThrow(/append-only/);
  });
});
