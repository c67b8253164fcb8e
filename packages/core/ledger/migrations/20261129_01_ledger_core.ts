import type { Knex } from 'knex';

/**
 * The ledger's tables in schema `ledger`: accounts, transfers, postings (double-entry, append-only)
 * and idempotency records. The database itself guards the invariants that a bug must never be able
 * to break: every transfer has exactly one debit and one credit that sum to zero (checked at
 * commit), transfers and postings are never updated or deleted, and an account without overdraft
 * never goes below zero.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE ledger.accounts (
      id text PRIMARY KEY CHECK (id ~ '^acc_[0-9a-f]{32}$'),
      owner_subject text CHECK (char_length(owner_subject) BETWEEN 1 AND 255),
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
      type text NOT NULL CHECK (type IN ('current', 'savings', 'funding')),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      balance_minor bigint NOT NULL DEFAULT 0,
      allow_overdraft boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      CONSTRAINT accounts_funding_has_no_owner CHECK ((type = 'funding') = (owner_subject IS NULL)),
      CONSTRAINT accounts_no_overdraft CHECK (allow_overdraft OR balance_minor >= 0)
    );
    COMMENT ON TABLE ledger.accounts IS 'balance_minor is in minor units of currency and equals the sum of the account''s postings';
    CREATE INDEX accounts_owner_idx ON ledger.accounts (owner_subject, created_at, id) WHERE owner_subject IS NOT NULL;
    CREATE UNIQUE INDEX accounts_one_funding_per_currency ON ledger.accounts (currency) WHERE type = 'funding';

    CREATE TABLE ledger.transfers (
      id text PRIMARY KEY CHECK (id ~ '^tr_[0-9a-f]{32}$'),
      kind text NOT NULL CHECK (kind IN ('transfer', 'opening_balance')),
      source_account_id text NOT NULL REFERENCES ledger.accounts (id),
      destination_account_id text NOT NULL REFERENCES ledger.accounts (id),
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      description text CHECK (char_length(description) <= 140),
      client_id text CHECK (char_length(client_id) BETWEEN 1 AND 255),
      created_at timestamptz NOT NULL,
      CONSTRAINT transfers_distinct_accounts CHECK (source_account_id <> destination_account_id)
    );

    CREATE TABLE ledger.postings (
      id text PRIMARY KEY CHECK (id ~ '^pst_[0-9a-f]{32}$'),
      transfer_id text NOT NULL REFERENCES ledger.transfers (id),
      account_id text NOT NULL REFERENCES ledger.accounts (id),
      amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
      balance_after_minor bigint NOT NULL,
      booked_at timestamptz NOT NULL,
      CONSTRAINT postings_one_per_account_and_transfer UNIQUE (transfer_id, account_id)
    );
    COMMENT ON COLUMN ledger.postings.amount_minor IS 'signed: negative = debit (money leaves the account), positive = credit';
    CREATE INDEX postings_history_idx ON ledger.postings (account_id, booked_at DESC, id DESC);

    CREATE TABLE ledger.idempotency_records (
      client_id text NOT NULL CHECK (char_length(client_id) BETWEEN 1 AND 255),
      idempotency_key text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
      request_hash text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_flight', 'completed')),
      claim_token text,
      locked_until timestamptz,
      response jsonb,
      transfer_id text REFERENCES ledger.transfers (id),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (client_id, idempotency_key),
      CONSTRAINT idempotency_records_state_shape CHECK (
        (state = 'in_flight' AND claim_token IS NOT NULL AND locked_until IS NOT NULL AND response IS NULL)
        OR (state = 'completed' AND response IS NOT NULL)
      )
    );
    CREATE INDEX idempotency_records_expiry_idx ON ledger.idempotency_records (expires_at);

    -- Double entry, checked when the transaction commits: exactly two postings, summing to zero,
    -- debiting the source and crediting the destination by the transfer's amount.
    CREATE FUNCTION ledger.assert_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      checked_id text;
      t ledger.transfers%ROWTYPE;
      debit bigint;
      credit bigint;
      posting_count int;
    BEGIN
      -- PL/pgSQL plans each statement when first run, so the branch for the other table never compiles.
      IF TG_TABLE_NAME = 'transfers' THEN
        checked_id := NEW.id;
      ELSE
        checked_id := NEW.transfer_id;
      END IF;
      SELECT * INTO t FROM ledger.transfers WHERE id = checked_id;
      SELECT count(*),
             sum(amount_minor) FILTER (WHERE account_id = t.source_account_id),
             sum(amount_minor) FILTER (WHERE account_id = t.destination_account_id)
        INTO posting_count, debit, credit
        FROM ledger.postings WHERE transfer_id = checked_id;
      IF t.id IS NULL OR posting_count <> 2 OR debit IS DISTINCT FROM -t.amount_minor
         OR credit IS DISTINCT FROM t.amount_minor THEN
        RAISE EXCEPTION 'ledger invariant: transfer % is not balanced (% postings, debit %, credit %)',
          checked_id, posting_count, debit, credit USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NULL;
    END
    $fn$;
    CREATE CONSTRAINT TRIGGER transfers_balanced AFTER INSERT ON ledger.transfers
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.assert_transfer_balanced();
    CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON ledger.postings
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.assert_transfer_balanced();

    -- Append-only: corrections are new transfers, never edits.
    CREATE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION 'ledger invariant: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
    END
    $fn$;
    CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON ledger.transfers
      FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
    CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON ledger.transfers
      FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
    CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON ledger.postings
      FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
    CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON ledger.postings
      FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE ledger.idempotency_records;
    DROP TABLE ledger.postings;
    DROP TABLE ledger.transfers;
    DROP TABLE ledger.accounts;
    DROP FUNCTION ledger.assert_transfer_balanced();
    DROP FUNCTION ledger.refuse_change();
  `);
}
