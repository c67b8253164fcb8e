import type { Knex } from 'knex';
import { maxAmountMinor } from './amount.ts';
import { bookTransfer } from './book-transfer.ts';
import { minorUnitExponent } from './currency.ts';
import { LedgerError } from './errors.ts';
import { isId, newId } from './ids.ts';
import { ACCOUNT_COLUMNS, toAccount } from './rows.ts';
import type { AccountRow } from './rows.ts';
import { rfc3339 } from './sql.ts';
import type { Account, Rfc3339 } from './types.ts';
import { isSafeText } from '@payapi/platform';
import { checkShortText } from './validate.ts';

/** Input of {@link openAccount}. */
export interface OpenAccountInput {
  /** The OAuth `sub` of the owner (1..255 characters). */
  ownerSubject: string;
  /** Shown to the user, e.g. on the consent page: 1..100 characters, no control characters. */
  name: string;
  type: 'current' | 'savings';
  /** ISO 4217 code. */
  currency: string;
  /** Default false: the balance may never go below zero. */
  allowOverdraft?: boolean;
  /** Minor units, >= 0; booked as a transfer from the currency's funding account. Default 0. */
  openingBalanceMinor?: bigint;
}

/** The balance of an account at a moment. */
export interface Balance {
  accountId: string;
  /** Minor units. */
  balanceMinor: bigint;
  currency: string;
  /** When the balance was read (database clock). */
  asOf: Rfc3339;
}

const OPENING_BALANCE_DESCRIPTION = 'Opening balance';

/**
 * Opens an account. A non-zero opening balance is a real transfer of kind `opening_balance` from
 * the currency's funding account (created on first use, overdraft allowed), in the same
 * transaction: double entry holds from the first posting.
 *
 * The funding account's balance is the negative of all money ever issued in its currency, so
 * the total issued per currency is bounded by PostgreSQL's bigint (about 9.2e18 minor units, i.e.
 * 9.2e16 CNY or 9.2e15 KWD); past that, opening balances fail with `balance_out_of_range`.
 *
 * @returns the new account with its balance
 * @throws {LedgerError} `invalid_request` (owner, name, type), `unsupported_currency`,
 *   `invalid_amount`, `balance_out_of_range`
 */
export async function openAccount(db: Knex, input: OpenAccountInput): Promise<Account> {
  const ownerSubject = checkShortText('owner subject', input.ownerSubject);
  const name = checkAccountName(input.name);
  if (input.type !== 'current' && input.type !== 'savings') {
    throw new LedgerError('invalid_request', 'account type must be "current" or "savings"');
  }
  minorUnitExponent(input.currency);
  const opening = input.openingBalanceMinor ?? 0n;
  if (typeof opening !== 'bigint' || opening < 0n || opening > maxAmountMinor(input.currency)) {
    throw new LedgerError('invalid_amount', 'opening balance must be zero or a positive amount within range');
  }
  const accountId = newId('acc');
  return db.transaction(async (trx) => {
    await trx.raw(
      `INSERT INTO ledger.accounts (id, owner_subject, name, type, currency, allow_overdraft) VALUES (?, ?, ?, ?, ?, ?)`,
      [accountId, ownerSubject, name, input.type, input.currency, input.allowOverdraft === true],
    );
    if (opening > 0n) {
      await bookTransfer(trx, {
        kind: 'opening_balance',
        sourceAccountId: await ensureFundingAccount(trx, input.currency),
        destinationAccountId: accountId,
        amountMinor: opening,
        currency: input.currency,
        description: OPENING_BALANCE_DESCRIPTION,
        clientId: null,
      });
    }
    return readAccount(trx, accountId);
  });
}

/**
 * @returns the account (funding accounts excluded)
 * @throws {LedgerError} `account_not_found` for unknown or malformed ids
 */
export async function getAccount(db: Knex, accountId: string): Promise<Account> {
  if (!isId('acc', accountId)) throw new LedgerError('account_not_found', 'account not found');
  return readAccount(db, accountId);
}

/**
 * @returns the accounts owned by `ownerSubject`, oldest first (empty when none)
 * @throws {LedgerError} `invalid_request` when `ownerSubject` is not 1 to 255 safe characters
 */
export async function listAccounts(db: Knex, ownerSubject: string): Promise<Account[]> {
  checkShortText('owner subject', ownerSubject);
  const { rows } = await db.raw<{ rows: AccountRow[] }>(
    `SELECT ${ACCOUNT_COLUMNS} FROM ledger.accounts WHERE owner_subject = ? ORDER BY created_at, id`,
    [ownerSubject],
  );
  return rows.map(toAccount);
}

/** A row of {@link GET_BALANCE_SQL}: `balance_minor` is a bigint as text (pg's default for int8). */
export interface BalanceRow {
  balance_minor: string;
  currency: string;
  owner_subject: string | null;
  /** The database clock when the statement started, RFC 3339 UTC with microseconds. */
  as_of: string;
}

/**
 * The one statement of {@link getBalance}, in knex's placeholder syntax (one `?`: the account id;
 * knex sends it to PostgreSQL as `$1`): the account's balance in minor units, currency, owner
 * subject and the database clock ({@link BalanceRow}); no row for an unknown or funding account.
 * The owner check is the caller's, on `owner_subject`. Exported so the benchmark's same-SQL
 * reference (packages/testing/bench) runs this very text and cannot drift from it.
 */
export const GET_BALANCE_SQL = `SELECT balance_minor, currency, owner_subject, ${rfc3339('statement_timestamp()')} AS as_of
       FROM ledger.accounts WHERE id = ? AND type <> 'funding'`;

/**
 * Reads an account's balance with one query ({@link GET_BALANCE_SQL}).
 *
 * @param options.ownerSubject when given, an account of another owner answers as absent
 * @returns the account's balance now, in minor units
 * @throws {LedgerError} `account_not_found` (unknown, malformed, funding, or owned by someone else)
 */
export async function getBalance(db: Knex, accountId: string, options: { ownerSubject?: string } = {}): Promise<Balance> {
  if (!isId('acc', accountId)) throw new LedgerError('account_not_found', 'account not found');
  const { rows } = await db.raw<{ rows: BalanceRow[] }>(GET_BALANCE_SQL, [accountId]);
  const row = rows[0];
  if (!row || (options.ownerSubject !== undefined && row.owner_subject !== options.ownerSubject)) {
    throw new LedgerError('account_not_found', 'account not found');
  }
  return { accountId, balanceMinor: BigInt(row.balance_minor), currency: row.currency, asOf: row.as_of };
}

async function readAccount(db: Knex | Knex.Transaction, accountId: string): Promise<Account> {
  const { rows } = await db.raw<{ rows: AccountRow[] }>(
    `SELECT ${ACCOUNT_COLUMNS} FROM ledger.accounts WHERE id = ? AND type <> 'funding'`,
    [accountId],
  );
  const row = rows[0];
  if (!row) throw new LedgerError('account_not_found', 'account not found');
  return toAccount(row);
}

/** The id of the currency's funding account, created when missing (concurrent callers get the same one). */
async function ensureFundingAccount(trx: Knex.Transaction, currency: string): Promise<string> {
  await trx.raw(
    `INSERT INTO ledger.accounts (id, owner_subject, name, type, currency, allow_overdraft)
     VALUES (?, NULL, ?, 'funding', ?, true)
     ON CONFLICT (currency) WHERE type = 'funding' DO NOTHING`,
    [newId('acc'), `Funding ${currency}`, currency],
  );
  const { rows } = await trx.raw<{ rows: Array<{ id: string }> }>(
    `SELECT id FROM ledger.accounts WHERE currency = ? AND type = 'funding'`,
    [currency],
  );
  const row = rows[0];
  if (!row) throw new Error(`ledger invariant: no funding account for ${currency} after creating it`);
  return row.id;
}

/** A name must show something: at least one letter or digit, not only spaces or invisible characters. */
function checkAccountName(name: unknown): string {
  if (typeof name !== 'string' || name.length > 100 || !isSafeText(name) || !/[\p{L}\p{N}]/u.test(name)) {
    throw new LedgerError('invalid_request',
      'account name must be 1 to 100 characters with at least one letter or digit, and no control characters or unpaired surrogates');
  }
  return name;
}
