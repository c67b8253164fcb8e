import type { Knex } from 'knex';

/**
 * Idempotency keys scoped to (client, subject) instead of (client) alone (security review, finding 4,
 * docs/security.md): two users of one partner app no longer share a key space, so Bob's transfer is never
 * refused with `idempotency_key_reused` because Alice used the same key, and learns nothing of her keys.
 *
 * `ledger.idempotency_records` gains `subject` (the OAuth `sub` the client acted for; a
 * client-credentials call is its own subject) in its primary key. Records written before this
 * migration have the empty subject: they keep the old meaning (they match any subject of their
 * client) for the rest of their 24 hours, so a retry that spans the upgrade still replays and never
 * books twice. `ledger.post_transfer` takes the subject after the client id.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE ledger.idempotency_records
      ADD COLUMN subject text NOT NULL DEFAULT '' CHECK (char_length(subject) <= 255);
    ALTER TABLE ledger.idempotency_records ALTER COLUMN subject DROP DEFAULT;
    COMMENT ON COLUMN ledger.idempotency_records.subject IS
      'the subject the client acted for; empty: recorded before keys were scoped per subject, matches any subject of the client';
    ALTER TABLE ledger.idempotency_records DROP CONSTRAINT idempotency_records_pkey;
    ALTER TABLE ledger.idempotency_records ADD PRIMARY KEY (client_id, subject, idempotency_key);

    DROP FUNCTION ledger.post_transfer(text, text, text, integer, text, text, text, text, text, text, bigint, text, text);
    ${postTransferFunction({ scopedBySubject: true })}
  `);
}

/** Back to one key space per client: records of different subjects under one key keep the newest. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION ledger.post_transfer(text, text, text, text, integer, text, text, text, text, text, text, bigint, text, text);
    ${postTransferFunction({ scopedBySubject: false })}
    DELETE FROM ledger.idempotency_records r USING ledger.idempotency_records newer
      WHERE r.client_id = newer.client_id AND r.idempotency_key = newer.idempotency_key
        AND (r.created_at, r.subject) < (newer.created_at, newer.subject);
    ALTER TABLE ledger.idempotency_records DROP CONSTRAINT idempotency_records_pkey;
    ALTER TABLE ledger.idempotency_records ADD PRIMARY KEY (client_id, idempotency_key);
    ALTER TABLE ledger.idempotency_records DROP COLUMN subject;
  `);
}

/**
 * `ledger.post_transfer(...)` as migration 20261130_02 describes it; with `scopedBySubject` it takes
 * `p_subject` after `p_client_id`, locks and looks up the key per (client, subject, key), and still
 * honours a record of the empty subject (written before the scope changed) until it expires.
 */
export function postTransferFunction(options: { scopedBySubject: boolean }): string {
  const scoped = options.scopedBySubject;
  const subjectParameter = scoped ? 'p_subject text, ' : '';
  // Client ids, subjects and keys hold no control characters (checked by the caller), so a newline separates them.
  const lockKey = scoped
    ? `p_client_id || E'\\n' || p_subject || E'\\n' || p_idempotency_key`
    : `p_client_id || E'\\n' || p_idempotency_key`;
  // The subject's own record comes before a record of the empty subject (written before the scope changed).
  const lookup = scoped
    ? `WHERE client_id = p_client_id AND subject IN (p_subject, '') AND idempotency_key = p_idempotency_key
         ORDER BY subject DESC LIMIT 1`
    : `WHERE client_id = p_client_id AND idempotency_key = p_idempotency_key`;
  const insertColumns = scoped ? 'client_id, subject, ' : 'client_id, ';
  const insertValues = scoped ? 'p_client_id, p_subject, ' : 'p_client_id, ';
  const conflict = scoped ? '(client_id, subject, idempotency_key)' : '(client_id, idempotency_key)';
  return `
    CREATE FUNCTION ledger.post_transfer(
      p_client_id text, ${subjectParameter}p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_source_owner text,
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
      IF NOT pg_try_advisory_xact_lock(hashtextextended(${lockKey}, 0)) THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_in_flight',
          'message', 'a request with this idempotency key is still being processed'));
      END IF;
      -- FOR UPDATE: a transaction of the earlier implementation may still be completing this record.
      SELECT * INTO rec FROM ledger.idempotency_records ${lookup} FOR UPDATE;
      IF rec.client_id IS NOT NULL AND rec.expires_at > now() THEN
        IF rec.request_hash <> p_request_hash THEN
          RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_reused',
            'message', 'this idempotency key was already used for a different request'));
        END IF;
        IF rec.state = 'completed' THEN
          RETURN jsonb_build_object('outcome', rec.response, 'replayed', true);
        END IF;
        IF rec.locked_until > now() THEN
          RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_in_flight',
            'message', 'a request with this idempotency key is still being processed'));
        END IF;
      END IF;
      outcome := ledger.book_transfer('transfer', p_transfer_id, p_debit_posting_id, p_credit_posting_id,
        p_source, p_destination, p_amount, p_currency, p_description, p_client_id, false);
      INSERT INTO ledger.idempotency_records AS r
          (${insertColumns}idempotency_key, request_hash, state, claim_token, locked_until, response, transfer_id, created_at, expires_at)
        VALUES (${insertValues}p_idempotency_key, p_request_hash, 'completed', NULL, NULL, outcome,
          outcome->'transfer'->>'id', now(), now() + make_interval(secs => p_ttl_seconds))
        ON CONFLICT ${conflict} DO UPDATE
          SET request_hash = EXCLUDED.request_hash, state = 'completed', claim_token = NULL, locked_until = NULL,
              response = EXCLUDED.response, transfer_id = EXCLUDED.transfer_id,
              created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at;
      RETURN jsonb_build_object('outcome', outcome, 'replayed', false);
    END
    $fn$;`;
}
