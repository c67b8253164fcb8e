import type { Knex } from 'knex';

/**
 * Payment consents can be stored as `expired` (docs/ledger.md, "Payment consents"), so that the end
 * of a consent can be reported once (`payment_consent.expired`, docs/webhooks.md):
 *
 * - `status` takes `expired`: an `authorised` consent whose `valid_until` has passed, recorded by
 *   `recordExpiredPaymentConsents` (src/payment-consent-expiry.ts). Until it is recorded, reads still
 *   derive `expired` from `valid_until`, as before. Stored, it is final, like `consumed` and `revoked`:
 *   a revocation (`WHERE status = 'authorised'`) leaves it as it is, and the expiry leaves a consent
 *   revoked or consumed meanwhile as it is, so one consent ends one way and is reported once.
 * - `payment_consents_expiry_idx`: the authorised consents that have an end, by `valid_until`, so the
 *   periodic job finds the ones due without reading the others.
 * - `ledger.check_payment_consent` refuses a stored `expired` consent (`consent_expired`) whatever
 *   clock the payment is checked at (`p_now` in tests), not only by `valid_until`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE ledger.payment_consents DROP CONSTRAINT payment_consents_status_check;
    ALTER TABLE ledger.payment_consents ADD CONSTRAINT payment_consents_status_check
      CHECK (status IN ('authorised', 'consumed', 'revoked', 'expired'));
    ALTER TABLE ledger.payment_consents ADD CONSTRAINT payment_consents_expired_shape
      CHECK (status <> 'expired' OR valid_until IS NOT NULL);
    COMMENT ON TABLE ledger.payment_consents IS
      'amounts in minor units of currency; expired = valid_until passed: derived when read, stored once recorded (recordExpiredPaymentConsents)';
    CREATE INDEX payment_consents_expiry_idx ON ledger.payment_consents (valid_until)
      WHERE status = 'authorised' AND valid_until IS NOT NULL;
    ${checkPaymentConsent(`c.status = 'expired' OR c.valid_until <= p_at`)}
  `);
}

/** Fails while a consent is stored as `expired`: mark such consents back first (`UPDATE … SET status = 'authorised'`). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ${checkPaymentConsent('c.valid_until <= p_at')}
    DROP INDEX ledger.payment_consents_expiry_idx;
    ALTER TABLE ledger.payment_consents DROP CONSTRAINT payment_consents_expired_shape;
    ALTER TABLE ledger.payment_consents DROP CONSTRAINT payment_consents_status_check;
    ALTER TABLE ledger.payment_consents ADD CONSTRAINT payment_consents_status_check
      CHECK (status IN ('authorised', 'consumed', 'revoked'));
    COMMENT ON TABLE ledger.payment_consents IS 'amounts in minor units of currency; expired is derived (valid_until passed), never stored';
  `);
}

/**
 * `ledger.check_payment_consent` of migration 20261208_07 with its expiry condition as given (this
 * migration's up adds the stored status to it, its down puts back 07's `c.valid_until <= p_at`).
 */
function checkPaymentConsent(expiredWhen: string): string {
  return `
    CREATE OR REPLACE FUNCTION ledger.check_payment_consent(c ledger.payment_consents, p_amount bigint, p_at timestamptz) RETURNS jsonb
      LANGUAGE plpgsql STABLE AS $fn$
    DECLARE
      period text;
      limit_minor bigint;
    BEGIN
      IF c.status = 'consumed' THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'consent_consumed',
          'message', 'the payment of this consent has already been made'));
      END IF;
      IF ${expiredWhen} THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'consent_expired',
          'message', 'the consent is no longer valid (valid_until has passed)'));
      END IF;
      IF c.type = 'payment_initiation' THEN
        RETURN NULL;
      END IF;
      IF p_amount > c.maximum_individual_amount_minor THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'consent_limit_exceeded',
          'message', 'the amount is above the consent''s maximum_individual_amount'));
      END IF;
      FOREACH period IN ARRAY ARRAY['day', 'week', 'month'] LOOP
        limit_minor := CASE period WHEN 'day' THEN c.day_limit_minor WHEN 'week' THEN c.week_limit_minor ELSE c.month_limit_minor END;
        IF limit_minor IS NOT NULL AND ledger.payment_consent_spent(c.id, period, p_at) + p_amount > limit_minor THEN
          RETURN jsonb_build_object('error', jsonb_build_object('code', 'consent_limit_exceeded',
            'message', format('the payment would take this %s''s payments above the consent''s %s limit', period, period)));
        END IF;
      END LOOP;
      RETURN NULL;
    END
    $fn$;`;
}
