import { appendEvent } from '@payapi/events';
import { recordExpiredPaymentConsents, toWirePaymentConsent } from '@payapi/ledger';
import type { Knex } from 'knex';

/** Consents per transaction of {@link sendPaymentConsentExpiries}, and transactions per run at most. */
export const EXPIRY_BATCH_SIZE = 100;
export const EXPIRY_BATCHES_PER_RUN = 20;

/** Options of {@link sendPaymentConsentExpiries}; the defaults suit the periodic run. */
export interface ExpiryRunOptions {
  /** Consents per transaction, 1 to 1000. */
  batchSize?: number;
  /** Transactions per run at most, so one run is bounded; a backlog is worked off over several runs. */
  batchesMax?: number;
  /** The time `valid_until` is compared with (tests); default the database clock. */
  now?: Date;
}

/**
 * Reports the payment consents that ran out (docs/webhooks.md, `payment_consent.expired`): in each
 * transaction the ledger records up to `batchSize` authorised consents past their `valid_until` as
 * expired (`recordExpiredPaymentConsents`, rows taken `FOR UPDATE SKIP LOCKED`), and one
 * `payment_consent.expired` event per consent goes to the client its link row names
 * (`auth.payment_consent_grants`), with the consent as `data` (`PaymentConsent`, status `expired`).
 * Marking and event commit together, so each consent is reported exactly once, however many
 * servers run this at the same time; a consent without a link row (none made by this server) is
 * marked with no event. The authorization server runs it every minute (`startMaintenanceTimers`).
 *
 * @returns how many consents were recorded expired
 * @throws {LedgerError} `invalid_request` for a `batchSize` out of range; database errors as they
 *   are (batches already committed stay done)
 */
export async function sendPaymentConsentExpiries(db: Knex, options: ExpiryRunOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? EXPIRY_BATCH_SIZE;
  const batchesMax = options.batchesMax ?? EXPIRY_BATCHES_PER_RUN;
  let total = 0;
  for (let batch = 0; batch < batchesMax; batch += 1) {
    const count = await db.transaction(async (trx) => {
      const expired = await recordExpiredPaymentConsents(trx, { limit: batchSize, ...(options.now ? { now: options.now } : {}) });
      if (expired.length === 0) return 0;
      const { rows } = await trx.raw<{ rows: Array<{ consent_id: string; client_id: string }> }>(
        `SELECT consent_id, client_id FROM auth.payment_consent_grants WHERE consent_id = ANY (?::text[])`,
        [expired.map((consent) => consent.id)]);
      const clientOf = new Map(rows.map((row) => [row.consent_id, row.client_id]));
      for (const consent of expired) {
        const clientId = clientOf.get(consent.id);
        if (clientId) await appendEvent(trx, { type: 'payment_consent.expired', clientId, data: toWirePaymentConsent(consent) });
      }
      return expired.length;
    });
    total += count;
    if (count < batchSize) break;
  }
  return total;
}
