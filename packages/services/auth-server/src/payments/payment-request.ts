import { LedgerError, checkPaymentTerms } from '@payapi/ledger';
import type { Account, CreditorAccount, PaymentTerms } from '@payapi/ledger';
import type { Knex } from 'knex';
import type { AuthorizationDetail } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { parseAuthorizationDetails, toPaymentTermsInput } from './authorization-details.ts';
import { describePaymentTerms } from './describe-payment.ts';
import type { PaymentDescription } from './describe-payment.ts';

/** The payment an authorization request asks the user to authorise, checked again for the consent page. */
export type PaymentRequest =
  | { valid: true; requested: AuthorizationDetail; terms: PaymentTerms; creditor: CreditorAccount; description: PaymentDescription }
  /** Valid when requested, not any more (its `valid_until` passed, its creditor account is gone): only Deny is offered. */
  | { valid: false; requested: AuthorizationDetail; problem: string };

/**
 * The payment element of an interaction's authorization request, if it has one: the one element
 * `/auth` or PAR already validated (rich-authorization-requests.ts), its terms checked once more
 * against the ledger now (time passes between the request and the user's answer).
 *
 * @param authorizationDetails the interaction's `params.authorization_details` (a JSON string)
 * @returns undefined when the request carries no authorization details
 */
export async function loadPaymentRequest(db: Knex, authorizationDetails: unknown): Promise<PaymentRequest | undefined> {
  if (authorizationDetails === undefined) return undefined;
  let requested: AuthorizationDetail | undefined;
  try {
    [requested] = parseAuthorizationDetails(authorizationDetails);
    if (!requested) return undefined;
    const { terms, creditor } = await checkPaymentTerms(db, toPaymentTermsInput(requested));
    return { valid: true, requested, terms, creditor, description: describePaymentTerms(terms, creditor.name) };
  } catch (error) {
    if (!(error instanceof LedgerError) && !(error instanceof errors.InvalidAuthorizationDetails)) throw error;
    const problem = error instanceof LedgerError ? error.message : (error.error_description ?? 'the payment request is not valid');
    return { valid: false, requested: requested ?? { type: 'unknown' }, problem };
  }
}

/**
 * The user's accounts that may pay: same currency as the payment, not the creditor account itself
 * (a payment from an account to itself is refused by the ledger).
 */
export function debtorAccountChoices(accounts: readonly Account[], terms: PaymentTerms): Account[] {
  return accounts.filter((account) => account.currency === terms.currency && account.id !== terms.creditorAccountId);
}
