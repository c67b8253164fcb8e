import { isSafeText } from '@payapi/platform';
import { maxAmountMinor } from './amount.ts';
import { minorUnitExponent } from './currency.ts';
import { LedgerError } from './errors.ts';
import { isId } from './ids.ts';
import type { TransferRequest } from './types.ts';

/** Longest transfer description, in characters (UTF-16 code units), as in ISO 20022 remittance info. */
export const DESCRIPTION_LENGTH_MAX = 140;

/** A transfer request after {@link checkTransferRequest}: every field present and normalised. */
export interface CheckedTransferRequest {
  sourceAccountId: string;
  destinationAccountId: string;
  amountMinor: bigint;
  currency: string;
  description: string | null;
}

/**
 * Checks what can be checked without the database.
 *
 * @throws {LedgerError} `invalid_amount` (not a bigint, <= 0, above the currency's maximum),
 *   `unsupported_currency`, `account_not_found` (an id that cannot exist), `same_account`,
 *   `invalid_request` (description too long, not a string, or with control characters)
 */
export function checkTransferRequest(request: TransferRequest): CheckedTransferRequest {
  minorUnitExponent(request.currency);
  const { amountMinor } = request;
  if (typeof amountMinor !== 'bigint' || amountMinor <= 0n) {
    throw new LedgerError('invalid_amount', 'amount must be greater than zero');
  }
  if (amountMinor > maxAmountMinor(request.currency)) {
    throw new LedgerError('invalid_amount', 'amount exceeds the largest amount a transfer may carry');
  }
  if (!isId('acc', request.sourceAccountId)) {
    throw new LedgerError('account_not_found', 'source account not found');
  }
  if (!isId('acc', request.destinationAccountId)) {
    throw new LedgerError('account_not_found', 'destination account not found');
  }
  if (request.sourceAccountId === request.destinationAccountId) {
    throw new LedgerError('same_account', 'source and destination must be different accounts');
  }
  return {
    sourceAccountId: request.sourceAccountId,
    destinationAccountId: request.destinationAccountId,
    amountMinor,
    currency: request.currency,
    description: checkDescription(request.description),
  };
}

/**
 * @returns the description, or null when absent
 * @throws {LedgerError} `invalid_request` when it is not a string, is longer than 140 characters,
 *   or is not {@link isSafeText}
 */
export function checkDescription(description: unknown): string | null {
  if (description === undefined || description === null) return null;
  if (typeof description !== 'string') throw new LedgerError('invalid_request', 'description must be a string');
  if (description.length > DESCRIPTION_LENGTH_MAX) {
    throw new LedgerError('invalid_request', `description is longer than ${DESCRIPTION_LENGTH_MAX} characters`);
  }
  if (!isSafeText(description)) {
    throw new LedgerError('invalid_request', 'description must not contain control or bidirectional-override characters or unpaired surrogates');
  }
  return description;
}

/**
 * Checks a short identifier-like text field (client id, owner subject): a string of 1 to 255
 * characters that is {@link isSafeText}.
 *
 * @throws {LedgerError} `invalid_request` naming the field
 */
export function checkShortText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 255 || !isSafeText(value)) {
    throw new LedgerError('invalid_request', `${field} must be 1 to 255 characters without control characters or unpaired surrogates`);
  }
  return value;
}
