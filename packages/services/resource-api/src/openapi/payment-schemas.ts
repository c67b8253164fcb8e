/** JSON Schemas of the payment wire shapes (contract, "Payment consents"; docs/resource-api.md, "Payments"). */

const ACCOUNT_ID = { type: 'string', pattern: '^acc_[0-9a-f]{32}$', maxLength: 36, example: 'acc_3f6c1b2a4d5e6f708192a3b4c5d6e7f8' };
const CONSENT_ID = { type: 'string', pattern: '^pc_[0-9a-f]{32}$', maxLength: 35, example: 'pc_6a1b2c3d4e5f60718293a4b5c6d7e8f9' };
const TIMESTAMP = { type: 'string', format: 'date-time', maxLength: 40, example: '2026-12-08T09:31:00.654321Z', description: 'RFC 3339, UTC, microseconds.' };
const CURRENCY = { type: 'string', pattern: '^[A-Z]{3}$', maxLength: 3, example: 'CNY', description: 'ISO 4217 code.' };
const AMOUNT = { $ref: '#/components/schemas/Amount' };
const PERIOD = { type: 'string', enum: ['day', 'week', 'month'], description: 'A calendar period in UTC: a day, a week from Monday, a month from the 1st.' };
const REMITTANCE = { type: ['string', 'null'], maxLength: 140 };

/** `components.schemas` entries of the payment routes. */
export const PAYMENT_SCHEMAS = {
  PaymentRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['consent_id'],
    properties: {
      consent_id: { type: 'string', maxLength: 64, description: 'The `consent_id` of your access token\'s `authorization_details`.', example: CONSENT_ID.example },
      amount: { ...AMOUNT, description: 'Only for a `payment_mandate`, in the consent\'s currency; a single payment pays the consent\'s amount.' },
      remittance_information: { type: 'string', maxLength: 140, description: 'Up to 140 characters; default the consent\'s.', example: 'December' },
    },
  },
  Payment: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'consent_id', 'transfer_id', 'status', 'debtor_account_id', 'creditor_account_id', 'amount', 'currency',
      'remittance_information', 'created_at'],
    properties: {
      id: { type: 'string', pattern: '^pay_[0-9a-f]{32}$', maxLength: 36 },
      consent_id: CONSENT_ID,
      transfer_id: { type: 'string', pattern: '^tr_[0-9a-f]{32}$', maxLength: 35, description: 'The transfer that booked it (in the accounts\' history).' },
      status: { type: 'string', enum: ['completed'] },
      debtor_account_id: ACCOUNT_ID,
      creditor_account_id: ACCOUNT_ID,
      amount: AMOUNT,
      currency: CURRENCY,
      remittance_information: REMITTANCE,
      created_at: { ...TIMESTAMP, description: 'When the consent was charged: the periodic limits count payments by it.' },
    },
  },
  PaymentConsent: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'type', 'status', 'debtor_account_id', 'creditor_account_id', 'currency', 'valid_until', 'spent', 'created_at'],
    description: 'A `payment_initiation` has `instructed_amount` and `remittance_information`; a `payment_mandate` has `maximum_individual_amount` and `periodic_limits`.',
    properties: {
      id: CONSENT_ID,
      type: { type: 'string', enum: ['payment_initiation', 'payment_mandate'] },
      status: { type: 'string', enum: ['authorised', 'consumed', 'revoked', 'expired'], description: '`consumed`: the single payment was made; `expired`: `valid_until` has passed.' },
      debtor_account_id: { ...ACCOUNT_ID, description: 'The account the user chose to pay from.' },
      creditor_account_id: ACCOUNT_ID,
      currency: CURRENCY,
      instructed_amount: {
        type: 'object', additionalProperties: false, required: ['amount', 'currency'],
        properties: { amount: AMOUNT, currency: CURRENCY },
      },
      remittance_information: REMITTANCE,
      maximum_individual_amount: AMOUNT,
      periodic_limits: {
        type: 'array', maxItems: 3,
        items: { type: 'object', additionalProperties: false, required: ['period', 'amount'], properties: { period: PERIOD, amount: AMOUNT } },
      },
      valid_until: { type: ['string', 'null'], format: 'date-time', maxLength: 40, description: 'Payments at or after it are refused; null: a single payment without an end.' },
      spent: {
        type: 'array', maxItems: 3, description: 'Per periodic limit: what was paid in the current period. Empty for a single payment.',
        items: {
          type: 'object', additionalProperties: false, required: ['period', 'period_start', 'amount'],
          properties: { period: PERIOD, period_start: TIMESTAMP, amount: { $ref: '#/components/schemas/SignedAmount' } },
        },
      },
      created_at: TIMESTAMP,
    },
  },
} as const;
