import { postTransferResult, retryAborted } from '@payapi/ledger';
import type { PostTransferAnswer, PostTransferArguments, TransferResult } from '@payapi/ledger';
import type { Knex } from 'knex';

/** Why `api.post_transfer` refused before the ledger was asked (migration 20261206_01). */
export type GrantRefusal = 'grant_revoked' | 'source_not_consented';

/** What `api.post_transfer` answers (and `api.post_transfers` for each item): its own refusal, or `ledger.post_transfer`'s answer. */
export type ApiPostTransferAnswer = { refused: { code: GrantRefusal } } | PostTransferAnswer;

const GRANT_REFUSALS: ReadonlySet<string> = new Set<GrantRefusal>(['grant_revoked', 'source_not_consented']);

/**
 * Books a transfer for an access token in one SQL statement, its own transaction: the SQL function
 * `api.post_transfer` (this package's schema `api`, migration 20261206_01) checks the token's grant
 * (`auth.access_token_account_ids(jti)`: still active, and the source still consented), then calls
 * `ledger.post_transfer` with `args`. Serialization failures and deadlocks are retried as the
 * ledger retries its own statements (`retryAborted`), with the same arguments. docs/resource-api.md,
 * "Consent" and "Idempotency".
 *
 * @param jti the access token's `jti` claim (RFC 9068 §2.2)
 * @param args from `preparePostTransfer` (@payapi/ledger): the checked request, ids, key and hash
 * @returns `{ refused }` when the grant was revoked or no longer allows the source (nothing was
 *   written), else the ledger's result: the transfer (amounts in minor units) and whether it was replayed
 * @throws {LedgerError} the ledger's refusals (`account_not_found`, `insufficient_funds`,
 *   `idempotency_key_reused`, `idempotency_key_in_flight`, …; `ledger_busy` when retries run out)
 */
export async function postTransferWithGrant(
  db: Knex,
  jti: string,
  args: PostTransferArguments,
): Promise<{ refused: GrantRefusal } | TransferResult> {
  const { rows } = await retryAborted(() => db.raw<{ rows: Array<{ answer: ApiPostTransferAnswer }> }>(
    `SELECT api.post_transfer(p_jti => ?, p_client_id => ?, p_subject => ?, p_idempotency_key => ?, p_request_hash => ?,
       p_ttl_seconds => ?, p_source_owner => ?, p_transfer_id => ?, p_debit_posting_id => ?, p_credit_posting_id => ?,
       p_source => ?, p_destination => ?, p_amount => ?::bigint, p_currency => ?, p_description => ?) AS answer`,
    [jti, args.clientId, args.subject, args.idempotencyKey, args.requestHash, args.ttlSeconds, args.sourceOwner,
      args.transferId, args.debitPostingId, args.creditPostingId,
      args.sourceAccountId, args.destinationAccountId, args.amountMinor, args.currency, args.description],
  ));
  return readPostTransferAnswer(rows[0]?.answer);
}

/**
 * Reads one answer of `api.post_transfer` (or one element of `api.post_transfers`' answer).
 *
 * @returns `{ refused }` for the grant refusals, else the ledger's result (see `postTransferResult`)
 * @throws {LedgerError} the ledger's refusals
 * @throws {Error} when there is no answer (a bug: the functions always answer)
 */
export function readPostTransferAnswer(answer: ApiPostTransferAnswer | null | undefined): { refused: GrantRefusal } | TransferResult {
  if (answer && 'refused' in answer && GRANT_REFUSALS.has(answer.refused.code)) {
    return { refused: answer.refused.code as GrantRefusal };
  }
  return postTransferResult(answer as PostTransferAnswer | undefined);
}
