import { describe, expect, test } from '@jest/globals';
import { parsePaymentTerms, validatePaymentTerms } from './payment-terms.ts';
import type { PaymentTermsInput } from './payment-terms.ts';

const CREDITOR = `acc_${'2'.repeat(32)}`;
const NOW = new Date('2026-12-08T10:00:00Z');
const SINGLE: PaymentTermsInput = { type: 'payment_initiation', creditorAccountId: CREDITOR, currency: 'CNY', amount: '123.50', remittanceInformation: 'Invoice 7' };
const MANDATE: PaymentTermsInput = {
  type: 'payment_mandate', creditorAccountId: CREDITOR, currency: 'CNY', maximumIndividualAmount: '100.00',
  periodicLimits: [{ period: 'month', amount: '1000.00' }, { period: 'day', amount: '300.00' }], validUntil: '2027-01-01T00:00:00+08:00',
};

function code(input: PaymentTermsInput): string {
  try {
    parsePaymentTerms(input, { now: NOW });
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'accepted';
}

describe('parsePaymentTerms', () => {
  test('a single payment: the amount in minor units, its remittance information, no end unless given', () => {
    expect(parsePaymentTerms(SINGLE, { now: NOW })).toEqual({
      type: 'payment_initiation', creditorAccountId: CREDITOR, currency: 'CNY', amountMinor: 12_350n, remittanceInformation: 'Invoice 7',
      maximumIndividualAmountMinor: null, periodicLimits: [], validUntil: null,
    });
  });

  test('a mandate: the maximum, the limits sorted day, week, month, valid_until in UTC with microseconds', () => {
    expect(parsePaymentTerms(MANDATE, { now: NOW })).toEqual({
      type: 'payment_mandate', creditorAccountId: CREDITOR, currency: 'CNY', amountMinor: null, remittanceInformation: null,
      maximumIndividualAmountMinor: 10_000n,
      periodicLimits: [{ period: 'day', amountMinor: 30_000n }, { period: 'month', amountMinor: 100_000n }],
      validUntil: '2026-12-31T16:00:00.000000Z',
    });
  });

  test.each<[string, PaymentTermsInput, string]>([
    ['an unknown type', { ...SINGLE, type: 'payment_sweep' }, 'invalid_request'],
    ['a JSON number as amount', { ...SINGLE, amount: 123.5 }, 'invalid_amount'],
    ['three decimals in CNY', { ...SINGLE, amount: '1.234' }, 'invalid_amount'],
    ['a zero amount', { ...SINGLE, amount: '0.00' }, 'invalid_amount'],
    ['16 integer digits', { ...SINGLE, amount: '1000000000000000.00' }, 'invalid_amount'],
    ['an unknown currency', { ...SINGLE, currency: 'XXX' }, 'unsupported_currency'],
    ['a malformed creditor', { ...SINGLE, creditorAccountId: 'acc_1' }, 'account_not_found'],
    ['a mandate member on a single payment', { ...SINGLE, maximumIndividualAmount: '1.00' }, 'invalid_request'],
    ['a single payment in the past', { ...SINGLE, validUntil: '2026-12-08T09:59:59Z' }, 'invalid_request'],
    ['a control character in the remittance', { ...SINGLE, remittanceInformation: 'a\u0000b' }, 'invalid_request'],
    ['141 characters of remittance', { ...SINGLE, remittanceInformation: 'x'.repeat(141) }, 'invalid_request'],
    ['a mandate without valid_until', { ...MANDATE, validUntil: undefined }, 'invalid_request'],
    ['a mandate that ended now', { ...MANDATE, validUntil: '2026-12-08T10:00:00Z' }, 'invalid_request'],
    ['valid_until without an offset', { ...MANDATE, validUntil: '2027-01-01T00:00:00' }, 'invalid_request'],
    ['an amount on a mandate', { ...MANDATE, amount: '1.00' }, 'invalid_request'],
    ['a mandate without a maximum', { ...MANDATE, maximumIndividualAmount: undefined }, 'invalid_amount'],
    ['two day limits', { ...MANDATE, periodicLimits: [{ period: 'day', amount: '1.00' }, { period: 'day', amount: '2.00' }] }, 'invalid_request'],
    ['a year limit', { ...MANDATE, periodicLimits: [{ period: 'year', amount: '1.00' }] }, 'invalid_request'],
    ['a limit with another member', { ...MANDATE, periodicLimits: [{ period: 'day', amount: '1.00', alignment: 'calendar' }] }, 'invalid_request'],
    ['a limit that is not an object', { ...MANDATE, periodicLimits: ['day'] }, 'invalid_request'],
    ['periodic_limits not a list', { ...MANDATE, periodicLimits: { period: 'day', amount: '1.00' } }, 'invalid_request'],
    ['four limits', { ...MANDATE, periodicLimits: Array.from({ length: 4 }, () => ({ period: 'day', amount: '1.00' })) }, 'invalid_request'],
    ['a negative limit', { ...MANDATE, periodicLimits: [{ period: 'week', amount: '-1.00' }] }, 'invalid_amount'],
  ])('refuses %s', (_name, input, expected) => {
    expect(code(input)).toBe(expected);
  });

  test('names the wire member in the message', () => {
    expect(() => parsePaymentTerms({ ...MANDATE, periodicLimits: [{ period: 'day', amount: '1' }] }, { now: NOW }))
      .toThrow(/^periodic_limits\[0\]\.amount: /);
    expect(() => parsePaymentTerms({ ...SINGLE, amount: '1' }, { now: NOW })).toThrow(/^instructed_amount\.amount: /);
  });
});

describe('validatePaymentTerms', () => {
  test('refuses terms in minor units that would not parse: a non-bigint amount, a limit above the range', () => {
    const terms = parsePaymentTerms(MANDATE, { now: NOW });
    expect(() => validatePaymentTerms({ ...terms, maximumIndividualAmountMinor: 100 as unknown as bigint }, { now: NOW }))
      .toThrow(expect.objectContaining({ code: 'invalid_amount' }));
    expect(() => validatePaymentTerms({ ...terms, periodicLimits: [{ period: 'day', amountMinor: 10n ** 17n }] }, { now: NOW }))
      .toThrow(expect.objectContaining({ code: 'invalid_amount' }));
    expect(() => validatePaymentTerms(terms, { now: new Date('2027-01-01T00:00:00Z') })).toThrow(/future/);
  });
});
