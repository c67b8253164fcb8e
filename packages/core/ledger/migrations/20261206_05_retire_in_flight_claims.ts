import type { Knex } from 'knex';
// A shipped migration never changes, so this one's down can rebuild what 04 made from 04 itself.
import { postTransferFunction } from './20261206_04_idempotency_per_subject.ts';

/**
 * Retires the idempotency claims of the two-step implementation that came before migration
 * 20261130_02. That implementation claimed a key in one transaction (a row in state `in_flight`
 * with a `claim_token` and a lease, `locked_until`) and booked the transfer and completed the row
 * in a second one. Since 20261130_02 nothing writes such rows: `ledger.post_transfer` holds a
 * transaction-scoped advisory lock per key and writes the record, completed, in the same
 * transaction as the transfer. Its code that waited for old claims (`FOR UPDATE`, the lease) and
 * the columns for them are dropped here, so `ledger.idempotency_records` holds completed records
 * only: `state`, `claim_token`, `locked_until` and the check `idempotency_records_state_shape`
 * go, and `response` is required.
 *
 * Leftover `in_flight` rows are deleted, not completed: they hold no outcome to complete them
 * with, and no transfer was booked for them, because the old implementation booked and completed
 * in one transaction. The table is locked first (ACCESS EXCLUSIVE), so no transaction of the old
 * implementation is completing one while it goes: such a transaction has committed (its row is
 * then `completed` and kept) or rolled back before the delete runs, and one started later fails on
 * the dropped columns and books nothing. A retry under a deleted claim's key therefore executes
 * once, as new: what `ledger.post_transfer` did until now once the claim's lease had run out.
 *
 * Records of the empty subject (written before migration 20261206_04 scoped keys per subject) keep
 * matching any subject of their client until they expire: they live 24 hours.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    LOCK TABLE ledger.idempotency_records IN ACCESS EXCLUSIVE MODE;
    DELETE FROM ledger.idempotency_records WHERE state = 'in_flight';
    ALTER TABLE ledger.idempotency_records
      DROP CONSTRAINT idempotency_records_state_shape,
      DROP COLUMN state,
      DROP COLUMN claim_token,
      DROP COLUMN locked_until,
      ALTER COLUMN response SET NOT NULL;
    ${POST_TRANSFER}
  `);
}

/** Back to the columns of migration 20261129_01 and the `ledger.post_transfer` of 20261206_04 (every row `completed`). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE ledger.idempotency_records
      ALTER COLUMN response DROP NOT NULL,
      ADD COLUMN state text NOT NULL DEFAULT 'completed' CHECK (state IN ('in_flight', 'completed')),
      ADD COLUMN claim_token text,
      ADD COLUMN locked_until timestamptz,
      ADD CONSTRAINT idempotency_records_state_shape CHECK (
        (state = 'in_flight' AND claim_token IS NOT NULL AND locked_until IS NOT NULL AND response IS NULL)
        OR (state = 'completed' AND response IS NOT NULL)
      );
    ALTER TABLE ledger.idempotency_records ALTER COLUMN state DROP DEFAULT;
    DROP FUNCTION ledger.post_transfer(text, text, text, text, integer, text, text, text, text, text, text, bigint, text, text);
    ${postTransferFunction({ scopedBySubject: true })}
  `);
}

/**
 * `ledger.post_transfer(...)`: one whole API transfer (docs/ledger.md, "One round trip per
 * transfer", "Idempotency"). An optional owner check of the source; then, with an idempotency key,
 * one execution per (client, subject, key) at a time (`pg_try_advisory_xact_lock`: a concurrent
 * repeat is told `idempotency_key_in_flight` at once; the lock ends with the transaction, so a
 * crashed caller leaves nothing to expire), a replay of the stored outcome, `idempotency_key_reused`
 * for another request under the key, else the booking (`ledger.book_transfer`) and its record,
 * committed together. Answers `{"outcome": ..., "replayed": bool}` or `{"refused": {"code",
 * "message"}}` for what is not stored (owner mismatch, key in flight or reused). The signature is
 * the one of migration 20261206_04.
 */
export const POST_TRANSFER = `
    CREATE OR REPLACE FUNCTION ledger.post_transfer(
      p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_source_owner text,
      p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text,
      p_source text, p_destination text, p_amount bigint, p_currency text, p_description text
    ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      owner text;
      rec ledger.idempotency_records%ROWTYPE;
      outcome jsonb;
    BEGIN
      IF p_source_owner IS NOT NULL THEN
        SELECT owner_subject INTO owner FROM ledger.accounts WHERE id = p_source;
        IF owner IS DISTINCT FROM p_source_owner THEN
          RETURN jsonb_build_object('refused', jsonb_build_object('code', 'account_not_found', 'message', 'source account not found'));
        END IF;
      END IF;
      IF p_idempotency_key IS NULL THEN
        RETURN jsonb_build_object('outcome', ledger.book_transfer('transfer', p_transfer_id, p_debit_posting_id,
          p_credit_posting_id, p_source, p_destination, p_amount, p_currency, p_description, p_client_id, false), 'replayed', false);
      END IF;
      -- Client ids, subjects and keys hold no control characters (checked by the caller), so a newline separates them.
      IF NOT pg_try_advisory_xact_lock(hashtextextended(p_client_id || E'\\n' || p_subject || E'\\n' || p_idempotency_key, 0)) THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_in_flight',
          'message', 'a request with this idempotency key is still being processed'));
      END IF;
      -- The subject's own record comes before one of the empty subject (written before keys were
      -- scoped per subject, migration 20261206_04), which matches any subject of its client until it expires.
      SELECT * INTO rec FROM ledger.idempotency_records
        WHERE client_id = p_client_id AND subject IN (p_subject, '') AND idempotency_key = p_idempotency_key
        ORDER BY subject DESC LIMIT 1;
      IF rec.client_id IS NOT NULL AND rec.expires_at > now() THEN
        IF rec.request_hash <> p_request_hash THEN
          RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_reused',
            'message', 'this idempotency key was already used for a different request'));
        END IF;
        RETURN jsonb_build_object('outcome', rec.response, 'replayed', true);
      END IF;
      outcome := ledger.book_transfer('transfer', p_transfer_id, p_debit_posting_id, p_credit_posting_id,
        p_source, p_destination, p_amount, p_currency, p_description, p_client_id, false);
      -- An expired record of the same key is replaced.
      INSERT INTO ledger.idempotency_records
          (client_id, subject, idempotency_key, request_hash, response, transfer_id, created_at, expires_at)
        VALUES (p_client_id, p_subject, p_idempotency_key, p_request_hash, outcome,
          outcome->'transfer'->>'id', now(), now() + make_interval(secs => p_ttl_seconds))
        ON CONFLICT (client_id, subject, idempotency_key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, response = EXCLUDED.response, transfer_id = EXCLUDED.transfer_id,
              created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at;
      RETURN jsonb_build_object('outcome', outcome, 'replayed', false);
    END
    $fn$;`;
