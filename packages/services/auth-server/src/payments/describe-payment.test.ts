import { describe, expect, test } from '@jest/globals';
import type { PaymentConsent, PaymentTerms } from '@payapi/ledger';
import { describePaymentTerms, describeSpending, formatUtc } from './describe-payment.ts';

const creditorAccountId = 'acc_00000000000000000000000000000001';

function single(currency: string, amountMinor: bigint, extra: Partial<PaymentTerms> = {}): PaymentTerms {
  return {
    type: 'payment_initiation', creditorAccountId, currency, amountMinor, remittanceInformation: null,
    maximumIndividualAmountMinor: null, periodicLimits: [], validUntil: null, ...extra,
  };
}

describe('describePaymentTerms', () => {
  test.each([
    ['CNY', 12_350n, 'Pay 123.50 CNY to Bob Current'],
    ['JPY', 1_200n, 'Pay 1200 JPY to Bob Current'],
    ['KWD', 5n, 'Pay 0.005 KWD to Bob Current'],
  ])('one payment in %s reads with exactly the currency\'s minor digits', (currency, amountMinor, summary) => {
    expect(describePaymentTerms(single(currency, amountMinor), 'Bob Current')).toEqual({ summary, lines: [] });
  });

  test('a payment\'s reference is shown as given (the page escapes it)', () => {
    expect(describePaymentTerms(single('CNY', 100n, { remittanceInformation: '<b>Invoice</b>' }), 'Bob').lines).toEqual(['Reference: <b>Invoice</b>']);
  });

  test('a mandate lists its maximum, each limit in the order day, week, month, and its end', () => {
    const mandate: PaymentTerms = {
      type: 'payment_mandate', creditorAccountId, currency: 'EUR', amountMinor: null, remittanceInformation: null,
      maximumIndividualAmountMinor: 5_000n,
      periodicLimits: [{ period: 'day', amountMinor: 10_000n }, { period: 'week', amountMinor: 20_000n }, { period: 'month', amountMinor: 50_000n }],
      validUntil: '2027-03-01T00:00:00.000000Z',
    };
    expect(describePaymentTerms(mandate, 'Gym')).toEqual({
      summary: 'Payments to Gym in EUR, within these limits:',
      lines: [
        'Up to 50.00 EUR per payment',
        'Up to 100.00 EUR per day (UTC)',
        'Up to 200.00 EUR per week (Monday to Sunday, UTC)',
        'Up to 500.00 EUR per calendar month (UTC)',
        'Until 1 March 2027, 00:00 UTC',
      ],
    });
  });
});

describe('formatUtc', () => {
  test.each([
    ['2099-12-31T23:59:00Z', '31 December 2099, 23:59 UTC'],
    ['2099-12-31T23:59:59.999999Z', '31 December 2099, 23:59:59 UTC'],
    ['2027-01-01T01:30:00+02:00', '31 December 2026, 23:30 UTC'],
  ])('%s reads %s', (value, words) => {
    expect(formatUtc(value)).toBe(words);
  });
});

describe('describeSpending', () => {
  test('says what each limit\'s current period spent, against the limit', () => {
    const consent = {
      type: 'payment_mandate', currency: 'CNY', periodicLimits: [{ period: 'day', amountMinor: 30_000n }, { period: 'week', amountMinor: 100_000n }],
      spent: [{ period: 'day', periodStart: '2026-12-08T00:00:00.000000Z', amountMinor: 10_000n }, { period: 'week', periodStart: '2026-12-07T00:00:00.000000Z', amountMinor: 0n }],
    } as unknown as PaymentConsent;
    expect(describeSpending(consent)).toEqual([
      'Spent this day (from 8 December 2026): 100.00 of 300.00 CNY',
      'Spent this week (from 7 December 2026): 0.00 of 1000.00 CNY',
    ]);
  });
});
