import type { Knex } from 'knex';

/** The currencies and exponents of `src/currency.ts` when this migration was written (a test keeps them equal). */
const EXPONENTS: ReadonlyArray<readonly [string, number]> = [
  ['AUD', 2], ['BHD', 3], ['CAD', 2], ['CHF', 2], ['CNY', 2], ['DKK', 2], ['EUR', 2], ['GBP', 2], ['HKD', 2], ['JOD', 3],
  ['JPY', 0], ['KRW', 0], ['KWD', 3], ['NOK', 2], ['NZD', 2], ['OMR', 3], ['SEK', 2], ['SGD', 2], ['USD', 2],
];

/**
 * What a service needs to report a booked transfer from inside the booking's own transaction
 * (docs/webhooks.md: events are appended in the same transaction as the change), without reading
 * the ledger's tables:
 *
 * - `ledger.minor_unit_exponent(currency)` and `ledger.format_amount(minor, currency)`: the same
 *   decimal strings as `formatAmount` (`"12.34"` CNY, `"1200"` JPY, `"-0.005"` KWD), exactly, with
 *   no floating point; NULL for an unknown currency.
 * - `ledger.transfer_postings(transfer_id)`: the transfer's two postings as the history shows them
 *   (signed amount, balance after, counterparty, description, booking time).
 *
 * Both are PL/pgSQL, which keeps each statement's plan for the session: a SQL-language function
 * that the planner cannot inline is planned again at every call (measured: 100+ buffer reads and
 * most of the cost of a call from inside `api.post_transfer`). `ledger.minor_unit_exponent` is a
 * plain CASE, which the planner inlines.
 */
export async function up(knex: Knex): Promise<void> {
  const cases = EXPONENTS.map(([code, exponent]) => `WHEN '${code}' THEN ${exponent}`).join(' ');
  await knex.raw(`
    CREATE FUNCTION ledger.minor_unit_exponent(p_currency text) RETURNS integer
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT CASE p_currency ${cases} END
      $fn$;

    CREATE FUNCTION ledger.format_amount(p_minor bigint, p_currency text) RETURNS text
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
    DECLARE
      e integer := ledger.minor_unit_exponent(p_currency);
      unit bigint;
    BEGIN
      IF e IS NULL THEN RETURN NULL; END IF;
      IF e = 0 THEN RETURN p_minor::text; END IF;
      unit := (10 ^ e)::bigint;
      -- numeric, not bigint: abs(-9223372036854775808) does not fit a bigint.
      RETURN CASE WHEN p_minor < 0 THEN '-' ELSE '' END || div(abs(p_minor::numeric), unit)::text
        || '.' || lpad(mod(abs(p_minor::numeric), unit)::text, e, '0');
    END
    $fn$;

    CREATE FUNCTION ledger.transfer_postings(p_transfer_id text)
      RETURNS TABLE (id text, transfer_id text, account_id text, amount_minor bigint, balance_after_minor bigint,
                     currency text, counterparty_account_id text, description text, booked_at timestamptz)
      LANGUAGE plpgsql STABLE AS $fn$
    BEGIN
      RETURN QUERY
        SELECT p.id, p.transfer_id, p.account_id, p.amount_minor, p.balance_after_minor, t.currency,
               CASE WHEN p.amount_minor < 0 THEN t.destination_account_id ELSE t.source_account_id END,
               t.description, p.booked_at
          FROM ledger.postings p JOIN ledger.transfers t ON t.id = p.transfer_id
         WHERE p.transfer_id = p_transfer_id
         ORDER BY p.amount_minor;
    END
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION ledger.transfer_postings(text);
    DROP FUNCTION ledger.format_amount(bigint, text);
    DROP FUNCTION ledger.minor_unit_exponent(text);
  `);
}
