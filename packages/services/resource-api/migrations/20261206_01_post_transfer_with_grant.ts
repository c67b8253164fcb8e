import type { Knex } from 'knex';

/**
 * `api.post_transfer(p_jti, ...)`: a `POST /v1/transfers` in one statement, its own transaction
 * (docs/resource-api.md, "Consent"). The resource API owns this composition of two other packages'
 * SQL functions, so neither takes SQL from the other:
 *
 * 1. `auth.access_token_account_ids(p_jti)` (the authorization server's grant-state check): NULL
 *    when the token's grant was revoked or the token is unknown, else the accounts the grant allows
 *    now (a later consent may have unticked some). Answers `{"refused": {"code": "grant_revoked"}}`,
 *    or `{"refused": {"code": "source_not_consented"}}` when the source is not among them, before
 *    anything of the transfer: no idempotency key is looked at, nothing is written.
 * 2. `ledger.post_transfer(...)` (the ledger's whole transfer: owner check, idempotency, booking),
 *    called by parameter name with the arguments `preparePostTransfer` (@payapi/ledger) prepared;
 *    its answer is returned as it is (`{"outcome", "replayed"}` or `{"refused": {"code", "message"}}`
 *    with a ledger error code).
 *
 * PL/pgSQL resolves both calls when it runs, not when this is created, so neither schema depends
 * on this one: the ledger and the authorization server may redefine their functions; a parameter
 * the ledger adds later with a default needs no change here.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION api.post_transfer(
      p_jti text,
      p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_source_owner text,
      p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text,
      p_source text, p_destination text, p_amount bigint, p_currency text, p_description text
    ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      allowed text[];
    BEGIN
      allowed := auth.access_token_account_ids(p_jti);
      IF allowed IS NULL THEN
        RETURN '{"refused": {"code": "grant_revoked"}}'::jsonb;
      END IF;
      IF NOT (p_source = ANY (allowed)) THEN
        RETURN '{"refused": {"code": "source_not_consented"}}'::jsonb;
      END IF;
      RETURN ledger.post_transfer(p_client_id => p_client_id, p_subject => p_subject,
        p_idempotency_key => p_idempotency_key, p_request_hash => p_request_hash, p_ttl_seconds => p_ttl_seconds,
        p_source_owner => p_source_owner, p_transfer_id => p_transfer_id, p_debit_posting_id => p_debit_posting_id,
        p_credit_posting_id => p_credit_posting_id, p_source => p_source, p_destination => p_destination,
        p_amount => p_amount, p_currency => p_currency, p_description => p_description);
    END
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION api.post_transfer(text, text, text, text, text, integer, text, text, text, text, text, text, bigint, text, text);
  `);
}
