import type { Knex } from 'knex';
import { LedgerError } from './errors.ts';
import { PAYMENT_CONSENTS_LISTED_MAX, toPaymentConsent } from './payment-consents.ts';
import type { PaymentConsent, PaymentConsentJson } from './payment-consents.ts';
import type { PaymentClockOptions } from './payment-terms.ts';

/**
 * Records the end of consents that ran out: up to `limit` consents still stored `authorised` whose
 * `valid_until` is at or before `now` become `expired` (migration 20261208_08), oldest `valid_until`
 * first. Call it with the transaction that reports them (`payment_consent.expired`), so a consent is
 * marked exactly when its report commits.
 *
 * The rows are taken `FOR UPDATE SKIP LOCKED`: of several callers at once (several servers running
 * the job), each gets other consents, none waits, and a consent a caller has marked is not due for
 * anyone after it commits. A consent being revoked or paid at that moment is skipped (its row is
 * locked) and, if it is still authorised afterwards, taken by the next call; one revoked or
 * consumed meanwhile stays so. A stored `expired` is final: `revokePaymentConsent` leaves it as it is.
 *
 * @param options.limit consents per call, 1 to 1000 (default 100)
 * @param options.now the time `valid_until` is compared with and `spent` refers to; default the database's
 * @returns the consents marked now (status `expired`, `spent` as of `now`), by `valid_until`
 * @throws {LedgerError} `invalid_request` for a `limit` out of range
 */
export async function recordExpiredPaymentConsents(
  db: Knex | Knex.Transaction,
  options: PaymentClockOptions & { limit?: number } = {},
): Promise<PaymentConsent[]> {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > PAYMENT_CONSENTS_LISTED_MAX) {
    throw new LedgerError('invalid_request', `limit must be an integer from 1 to ${PAYMENT_CONSENTS_LISTED_MAX}`);
  }
  const now = options.now?.toISOString() ?? null;
  return db.transaction(async (trx) => {
    const marked = await trx.raw<{ rows: Array<{ id: string }> }>(
      `WITH due AS (
         SELECT id FROM ledger.payment_consents
          WHERE status = 'authorised' AND valid_until <= coalesce(?::timestamptz, statement_timestamp())
          ORDER BY valid_until, id LIMIT ?
          FOR UPDATE SKIP LOCKED)
       UPDATE ledger.payment_consents c SET status = 'expired' FROM due WHERE c.id = due.id RETURNING c.id`,
      [now, limit]);
    if (marked.rows.length === 0) return [];
    // A statement of its own: the UPDATE's own RETURNING would see the rows as they were before it.
    const { rows } = await trx.raw<{ rows: Array<{ consent: PaymentConsentJson }> }>(
      `SELECT ledger.payment_consent_json(id, coalesce(?::timestamptz, statement_timestamp())) AS consent
         FROM ledger.payment_consents WHERE id = ANY (?::text[]) ORDER BY valid_until, id`,
      [now, marked.rows.map((row) => row.id)]);
    return rows.map((row) => toPaymentConsent(row.consent));
  });
}
