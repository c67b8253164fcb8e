import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { TestDatabase } from '@payapi/platform/testing';
import { LedgerError } from './errors.ts';
import { recordExpiredPaymentConsents } from './payment-consent-expiry.ts';
import { createPaymentConsent, getPaymentConsent, revokePaymentConsent } from './payment-consents.ts';
import type { PaymentConsent } from './payment-consents.ts';
import { parsePaymentTerms } from './payment-terms.ts';
import type { PaymentTermsInput } from './payment-terms.ts';
import { postPayment } from './payments.ts';
import { createLedgerTestDatabase, openTestAccount } from './testing/index.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createLedgerTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** Consents are made "in 2020", so a `valid_until` in 2020 has passed by the database clock. */
const MADE_AT = new Date('2020-01-01T00:00:00Z');
const PASSED = '2020-01-02T00:00:00Z';

async function consent(input: Partial<PaymentTermsInput>): Promise<PaymentConsent> {
  const debtor = await openTestAccount(database.db, 'CNY', 1_000_000n);
  const creditor = await openTestAccount(database.db, 'CNY', 0n);
  const terms = parsePaymentTerms({
    type: 'payment_mandate', creditorAccountId: creditor.id, currency: 'CNY', maximumIndividualAmount: '100.00',
    periodicLimits: [{ period: 'day', amount: '300.00' }], validUntil: PASSED, ...input,
  }, { now: MADE_AT });
  return createPaymentConsent(database.db, { ...terms, debtorAccountId: debtor.id, debtorOwnerSubject: debtor.ownerSubject as string }, { now: MADE_AT });
}

/** Marks every due consent, in batches, and returns the ids marked. */
async function recordAll(): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const marked = await recordExpiredPaymentConsents(database.db, { limit: 1000 });
    ids.push(...marked.map((entry) => entry.id));
    if (marked.length < 1000) return ids;
  }
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

describe('recording expired payment consents', () => {
  test('an authorised consent past valid_until is stored expired once; one still valid, revoked or consumed is left as it is', async () => {
    await recordAll(); // what earlier tests of this file left
    const due = await consent({});
    const dueSingle = await consent({ type: 'payment_initiation', amount: '5.00', maximumIndividualAmount: undefined, periodicLimits: undefined });
    const valid = await consent({ validUntil: '2099-01-01T00:00:00Z' });
    const endless = await consent({ type: 'payment_initiation', amount: '5.00', maximumIndividualAmount: undefined, periodicLimits: undefined, validUntil: undefined });
    const revoked = await consent({});
    await revokePaymentConsent(database.db, revoked.id);
    const consumed = await consent({ type: 'payment_initiation', amount: '5.00', maximumIndividualAmount: undefined, periodicLimits: undefined });
    await postPayment(database.db, { consentId: consumed.id, currency: 'CNY' }, { idempotencyKey: randomUUID(), clientId: 'c', subject: 's', now: new Date('2020-01-01T12:00:00Z') });

    const marked = await recordExpiredPaymentConsents(database.db, { limit: 10 });
    expect(marked.map((entry) => entry.id).sort()).toEqual([due.id, dueSingle.id].sort());
    expect(marked.find((entry) => entry.id === due.id)).toEqual({ ...due, status: 'expired', spent: [expect.objectContaining({ period: 'day', amountMinor: 0n })] });
    expect(await recordExpiredPaymentConsents(database.db, { limit: 10 })).toEqual([]);

    const { rows } = await database.db.raw<{ rows: Array<{ id: string; status: string }> }>(
      `SELECT id, status FROM ledger.payment_consents WHERE id = ANY (?::text[])`,
      [[due.id, dueSingle.id, valid.id, endless.id, revoked.id, consumed.id]]);
    expect(Object.fromEntries(rows.map((row) => [row.id, row.status]))).toEqual({
      [due.id]: 'expired', [dueSingle.id]: 'expired', [valid.id]: 'authorised', [endless.id]: 'authorised', [revoked.id]: 'revoked', [consumed.id]: 'consumed',
    });
  });

  test('a stored expiry is final: revoking leaves it expired, and a payment is consent_expired whatever clock it is checked at', async () => {
    const made = await consent({});
    await recordAll();
    const revoked = await revokePaymentConsent(database.db, made.id);
    expect(revoked).toMatchObject({ status: 'expired', revokedAt: null });
    // Before valid_until by the payment's clock, yet the ledger has recorded that the consent ended.
    const early = postPayment(database.db, { consentId: made.id, currency: 'CNY', amountMinor: 100n },
      { idempotencyKey: randomUUID(), clientId: 'c', subject: 's', now: new Date('2020-01-01T12:00:00Z') });
    expect(await refusalCode(early)).toBe('consent_expired');
    expect((await getPaymentConsent(database.db, made.id, { now: MADE_AT })).status).toBe('expired');
  });

  test('two callers at once never take the same consent: the second skips the rows the first holds instead of waiting', async () => {
    await recordAll();
    const made = await Promise.all(Array.from({ length: 6 }, () => consent({})));
    const first = await database.db.transaction();
    try {
      const takenFirst = await recordExpiredPaymentConsents(first, { limit: 4 });
      expect(takenFirst).toHaveLength(4);
      // A lock wait would be an error here, not a hang: the second caller must not wait for the first.
      const takenSecond = await database.db.transaction(async (second) => {
        await second.raw(`SET LOCAL lock_timeout = '2s'`);
        return recordExpiredPaymentConsents(second, { limit: 10 });
      });
      expect(takenSecond).toHaveLength(2);
      expect(new Set([...takenFirst, ...takenSecond].map((entry) => entry.id))).toEqual(new Set(made.map((entry) => entry.id)));
      await first.commit();
    } finally {
      if (!first.isCompleted()) await first.rollback();
    }
    expect(await recordExpiredPaymentConsents(database.db)).toEqual([]);
  });

  test('a consent marked by a caller that rolls back is due again', async () => {
    await recordAll();
    const made = await consent({});
    await database.db.transaction(async (trx) => {
      expect((await recordExpiredPaymentConsents(trx)).map((entry) => entry.id)).toEqual([made.id]);
      await trx.rollback();
    }).catch(() => undefined);
    expect((await recordExpiredPaymentConsents(database.db)).map((entry) => entry.id)).toEqual([made.id]);
  });

  test('a limit out of 1..1000 is invalid_request', async () => {
    for (const limit of [0, 1001, 1.5, Number.NaN]) {
      expect(await refusalCode(recordExpiredPaymentConsents(database.db, { limit }))).toBe('invalid_request');
    }
  });
});
