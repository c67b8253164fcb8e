import { isDeepStrictEqual } from 'node:util';
import type { PaymentTermsInput } from '@payapi/ledger';
import { errors } from 'oidc-provider';
import type { AuthorizationDetail } from 'oidc-provider';

/** The authorization details types of the contract's "Payment consents" (RFC 9396 §2). */
export const PAYMENT_DETAIL_TYPES = ['payment_initiation', 'payment_mandate'] as const;
export type PaymentDetailType = (typeof PAYMENT_DETAIL_TYPES)[number];

/** The scope a request for payment authorization details must carry, and its client be allowed. */
export const PAYMENTS_SCOPE = 'payments:write';

/** Members this server adds to an authorised element: the consent's id and the account chosen to pay from. */
export const GRANTED_MEMBERS = ['consent_id', 'debtor_account'] as const;

/**
 * Members each type may carry, all others refused (no RFC 9396 common members either: `locations`,
 * `actions`… mean nothing here). `true` = required.
 */
const MEMBERS: Readonly<Record<PaymentDetailType, Readonly<Record<string, boolean>>>> = {
  payment_initiation: { type: true, instructed_amount: true, creditor_account: true, remittance_information: false },
  payment_mandate: { type: true, creditor_account: true, currency: true, maximum_individual_amount: true, periodic_limits: true, valid_until: true },
};

/** Most periodic limits one element may carry before its members are looked at (the ledger allows 3). */
const PERIODIC_LIMITS_MAX = 3;

/** An authorization details element as the user authorised it: the requested element plus what Allow added. */
export interface GrantedPaymentDetail extends AuthorizationDetail {
  type: PaymentDetailType;
  consent_id: string;
  debtor_account: { account_id: string };
}

/** True for the two payment types (own keys only: `toString` is not a type). */
export function isPaymentDetailType(type: unknown): type is PaymentDetailType {
  return typeof type === 'string' && (PAYMENT_DETAIL_TYPES as readonly string[]).includes(type);
}

/**
 * Maps one requested element to the ledger's terms input, refusing what the contract does not
 * define: an unknown type, a missing or unknown member (at the top level and inside
 * `instructed_amount`, `creditor_account` and each periodic limit), a member that is not an object
 * where one is expected. The values themselves (amounts, currency, dates, account id) are the
 * ledger's to check (`checkPaymentTerms`).
 *
 * @param detail one element of `authorization_details` (RFC 9396 §2), already an object with a `type`
 * @param index its position, for the error message
 * @returns the ledger's `PaymentTermsInput` (values unchecked)
 * @throws {errors.InvalidAuthorizationDetails} naming the member at fault
 */
export function toPaymentTermsInput(detail: AuthorizationDetail, index = 0): PaymentTermsInput {
  const where = `authorization_details[${index}]`;
  const type = detail.type;
  if (!isPaymentDetailType(type)) {
    throw new errors.InvalidAuthorizationDetails(`${where}: unsupported type; use ${PAYMENT_DETAIL_TYPES.join(' or ')}`);
  }
  checkMembers(detail, MEMBERS[type], where);
  const creditor = objectMember(detail, 'creditor_account', ['account_id'], where);
  if (type === 'payment_initiation') {
    const amount = objectMember(detail, 'instructed_amount', ['amount', 'currency'], where);
    return {
      type,
      creditorAccountId: creditor.account_id,
      currency: amount.currency,
      amount: amount.amount,
      remittanceInformation: detail.remittance_information,
    };
  }
  const limits = detail.periodic_limits;
  if (!Array.isArray(limits) || limits.length > PERIODIC_LIMITS_MAX) {
    throw new errors.InvalidAuthorizationDetails(`${where}.periodic_limits must be an array of at most ${PERIODIC_LIMITS_MAX} limits`);
  }
  limits.forEach((limit: unknown, position) => {
    checkMembers(limit, { period: true, amount: true }, `${where}.periodic_limits[${position}]`);
  });
  return {
    type,
    creditorAccountId: creditor.account_id,
    currency: detail.currency,
    maximumIndividualAmount: detail.maximum_individual_amount,
    periodicLimits: limits,
    validUntil: detail.valid_until,
  };
}

/**
 * Parses the `authorization_details` request parameter (a JSON string, as oidc-provider keeps it).
 *
 * @returns the elements, or an empty array when the parameter is absent
 * @throws {errors.InvalidAuthorizationDetails} when it is not a JSON array of objects
 */
export function parseAuthorizationDetails(parameter: unknown): AuthorizationDetail[] {
  if (parameter === undefined || parameter === null) return [];
  let parsed: unknown;
  try {
    parsed = typeof parameter === 'string' ? JSON.parse(parameter) : parameter;
  } catch {
    throw new errors.InvalidAuthorizationDetails('authorization_details is not valid JSON');
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => isPlainObject(item))) {
    throw new errors.InvalidAuthorizationDetails('authorization_details must be a JSON array of objects');
  }
  return parsed as AuthorizationDetail[];
}

/** The element as the client asked for it: a granted element without the members Allow added. */
export function requestedPart(detail: AuthorizationDetail): AuthorizationDetail {
  const copy: Record<string, unknown> = { ...detail };
  for (const member of GRANTED_MEMBERS) delete copy[member];
  return copy as AuthorizationDetail;
}

/** True when `requested` is `granted` itself, or `granted` without the members Allow added (RFC 9396 §6.1). */
export function isWithinGranted(requested: AuthorizationDetail, granted: AuthorizationDetail): boolean {
  return isDeepStrictEqual(requested, granted) || isDeepStrictEqual(requested, requestedPart(granted));
}

/** The element with what Allow adds: the consent's id and the account to pay from. */
export function grantedDetail(requested: AuthorizationDetail, consentId: string, debtorAccountId: string): GrantedPaymentDetail {
  return { ...requested, consent_id: consentId, debtor_account: { account_id: debtorAccountId } } as GrantedPaymentDetail;
}

function checkMembers(value: unknown, allowed: Readonly<Record<string, boolean>>, where: string): void {
  if (!isPlainObject(value)) throw new errors.InvalidAuthorizationDetails(`${where} must be an object`);
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(allowed, key)) throw new errors.InvalidAuthorizationDetails(`${where}: unknown member "${shorten(key)}"`);
  }
  for (const [key, required] of Object.entries(allowed)) {
    if (required && !Object.hasOwn(value, key)) throw new errors.InvalidAuthorizationDetails(`${where}: member "${key}" is required`);
  }
}

function objectMember(detail: AuthorizationDetail, name: string, members: string[], where: string): Record<string, unknown> {
  const value = detail[name];
  checkMembers(value, Object.fromEntries(members.map((member) => [member, true])), `${where}.${name}`);
  return value as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** A member name echoed in an error, cut short and limited to printable ASCII. */
function shorten(name: string): string {
  return name.slice(0, 40).replace(/[^\x20-\x7e]/g, '?').replace(/"/g, "'");
}
