/** JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12) of the wire shapes of docs/resource-api.md. */
import { PROBLEM_CODES } from '../errors/problem-codes.ts';
import { PROBLEM_TYPE_BASE_PLACEHOLDER } from './responses.ts';

/** Longest `next_cursor`: the ledger's cursors are at most 200 characters. */
const CURSOR_LENGTH_MAX = 512;
/** Most accounts a token carries (`account_ids`), so most in a list. */
const ACCOUNTS_MAX = 100;

const ACCOUNT_ID = { type: 'string', pattern: '^acc_[0-9a-f]{32}$', maxLength: 36, example: 'acc_3f6c1b2a4d5e6f708192a3b4c5d6e7f8' };
const TIMESTAMP = { type: 'string', format: 'date-time', maxLength: 40, example: '2026-11-29T21:23:37.123456Z', description: 'RFC 3339, UTC, microseconds.' };
const CURRENCY = { type: 'string', pattern: '^[A-Z]{3}$', maxLength: 3, example: 'CNY', description: 'ISO 4217 code.' };

/**
 * `components.schemas` of the OpenAPI document. Amounts are strings with a pattern (never numbers);
 * request objects refuse extra fields (`additionalProperties: false`); the ledger still checks
 * what a pattern cannot (the currency's minor digits, zero).
 */
export const SCHEMAS = {
  Amount: {
    type: 'string',
    pattern: '^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,3})?$',
    maxLength: 19,
    description: 'Money in major units as a decimal string with exactly the currency\'s minor digits ("12.34" CNY, "1200" JPY, "0.005" KWD). Never a JSON number; no sign, exponent or spaces; greater than zero; at most 15 integer digits.',
    example: '12.34',
  },
  SignedAmount: {
    type: 'string',
    pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]{1,3})?$',
    maxLength: 24,
    description: 'Like Amount, but may be zero or negative (a balance).',
    example: '10000.00',
  },
  Account: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'name', 'currency', 'type', 'created_at'],
    properties: {
      id: ACCOUNT_ID,
      name: { type: 'string', minLength: 1, maxLength: 100, example: 'Alice Current' },
      currency: CURRENCY,
      type: { type: 'string', enum: ['current', 'savings'] },
      created_at: TIMESTAMP,
    },
  },
  AccountList: {
    type: 'object',
    additionalProperties: false,
    required: ['data'],
    properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Account' }, maxItems: ACCOUNTS_MAX } },
  },
  Balance: {
    type: 'object',
    additionalProperties: false,
    required: ['account_id', 'amount', 'currency', 'as_of'],
    properties: {
      account_id: ACCOUNT_ID,
      amount: { $ref: '#/components/schemas/SignedAmount' },
      currency: CURRENCY,
      as_of: { ...TIMESTAMP, description: 'When the balance was read.' },
    },
  },
  Transaction: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'transfer_id', 'account_id', 'direction', 'amount', 'currency', 'balance_after', 'counterparty_account_id', 'description', 'booked_at'],
    properties: {
      id: { type: 'string', pattern: '^pst_[0-9a-f]{32}$', maxLength: 36 },
      transfer_id: { type: 'string', pattern: '^tr_[0-9a-f]{32}$', maxLength: 35 },
      account_id: ACCOUNT_ID,
      direction: { type: 'string', enum: ['debit', 'credit'], description: 'debit: money left the account; credit: money arrived.' },
      amount: { $ref: '#/components/schemas/Amount' },
      currency: CURRENCY,
      balance_after: { $ref: '#/components/schemas/SignedAmount' },
      counterparty_account_id: ACCOUNT_ID,
      description: { type: ['string', 'null'], maxLength: 140 },
      booked_at: TIMESTAMP,
    },
  },
  TransactionPage: {
    type: 'object',
    additionalProperties: false,
    required: ['data', 'next_cursor'],
    properties: {
      data: { type: 'array', items: { $ref: '#/components/schemas/Transaction' }, maxItems: 100, description: 'Newest first; at most `limit`.' },
      next_cursor: { type: ['string', 'null'], maxLength: CURSOR_LENGTH_MAX, description: 'Pass as `cursor` for the next (older) page; null on the last page.' },
    },
  },
  TransferRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['source_account_id', 'destination_account_id', 'amount', 'currency'],
    properties: {
      source_account_id: { type: 'string', maxLength: 64, description: 'An account consented in the token.', example: 'acc_3f6c1b2a4d5e6f708192a3b4c5d6e7f8' },
      destination_account_id: { type: 'string', maxLength: 64, description: 'Any account in the same currency.', example: 'acc_9a8b7c6d5e4f30211203f4e5d6c7b8a9' },
      amount: { $ref: '#/components/schemas/Amount' },
      currency: CURRENCY,
      description: { type: 'string', maxLength: 140, description: 'Up to 140 characters; no control or bidirectional-override characters.', example: 'Dinner' },
    },
  },
  Transfer: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'source_account_id', 'destination_account_id', 'amount', 'currency', 'description', 'status', 'created_at'],
    properties: {
      id: { type: 'string', pattern: '^tr_[0-9a-f]{32}$', maxLength: 35, example: 'tr_0c1d2e3f405162738495a6b7c8d9e0f1' },
      source_account_id: ACCOUNT_ID,
      destination_account_id: ACCOUNT_ID,
      amount: { $ref: '#/components/schemas/Amount' },
      currency: CURRENCY,
      description: { type: ['string', 'null'], maxLength: 140 },
      status: { type: 'string', enum: ['completed'] },
      created_at: TIMESTAMP,
    },
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details. `code` is stable; match on it, not on `detail`. Each response lists the codes it may carry; `type` is the page of the code on this API (`/problems/{code}`), which says what it means and what to do.',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string', format: 'uri', maxLength: 2048, example: `${PROBLEM_TYPE_BASE_PLACEHOLDER}insufficient_funds` },
      title: { type: 'string', maxLength: 100, example: 'Unprocessable Content' },
      status: { type: 'integer', format: 'int32', minimum: 400, maximum: 599, example: 422 },
      detail: { type: 'string', maxLength: 1000, example: 'the source account balance is lower than the amount' },
      code: { type: 'string', enum: PROBLEM_CODES, example: 'insufficient_funds' },
    },
  },
} as const;
