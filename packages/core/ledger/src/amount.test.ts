import { describe, expect, test } from '@jest/globals';
import { formatAmount, maxAmountMinor, parseAmount } from './amount.ts';
import { LedgerError } from './errors.ts';

function refusal(value: unknown, currency: string): LedgerError {
  try {
    parseAmount(value, currency);
  } catch (error) {
    if (error instanceof LedgerError) return error;
    throw error;
  }
  throw new Error(`parseAmount(${String(value)}, ${currency}) was accepted`);
}

describe('parseAmount', () => {
  test.each([
    ['19.99', 'CNY', 1999n],
    ['0.01', 'CNY', 1n],
    ['10000.00', 'CNY', 1000000n],
    ['1200', 'JPY', 1200n],
    ['1', 'JPY', 1n],
    ['0.005', 'KWD', 5n],
    ['12.345', 'KWD', 12345n],
    ['999999999999999.99', 'USD', 99999999999999999n],
    ['999999999999999.999', 'KWD', 999999999999999999n],
    ['0.10', 'EUR', 10n],
    ['7.50', 'GBP', 750n],
    ['100.00', 'HKD', 10000n],
  ])('reads %s %s as %s minor units', (wire, currency, minor) => {
    expect(parseAmount(wire, currency)).toBe(minor);
  });

  test('reads "19.99" CNY as exactly 1999n, not 1998.9999… as a float would risk', () => {
    const minor = parseAmount('19.99', 'CNY');
    expect(typeof minor).toBe('bigint');
    expect(minor).toBe(1999n);
    expect(parseAmount('0.29', 'CNY')).toBe(29n); // 0.29 * 100 = 28.999999999999996 in floating point
  });

  test.each([
    [19.99, 'CNY', /decimal string.*not a number/],
    [1999n, 'CNY', /not a bigint/],
    [null, 'CNY', /not a null/],
    [undefined, 'CNY', /not a undefined/],
    [{ value: '1' }, 'CNY', /not a object/],
    ['1e3', 'CNY', /no sign, exponent/],
    ['1E3', 'CNY', /no sign, exponent/],
    ['-1.00', 'CNY', /no sign/],
    ['+1.00', 'CNY', /no sign/],
    ['0', 'CNY', /greater than zero/],
    ['0.00', 'CNY', /greater than zero/],
    ['0.000', 'KWD', /greater than zero/],
    ['8.165', 'CNY', /exactly 2 decimal places/],
    ['19.9', 'CNY', /exactly 2 decimal places/],
    ['19', 'CNY', /exactly 2 decimal places, e.g. "1234.00"/],
    ['7.5', 'GBP', /exactly 2 decimal places/],
    ['1.00', 'KWD', /exactly 3 decimal places/],
    ['1200.5', 'JPY', /whole number/],
    ['1200.0', 'JPY', /whole number/],
    ['0.0001', 'KWD', /exactly 3 decimal places/],
    [' 1.00', 'CNY', /spaces/],
    ['1.00 ', 'CNY', /spaces/],
    ['1,000.00', 'CNY', /separators/],
    ['1 000', 'CNY', /separators/],
    ['1.', 'CNY', /decimal point/],
    ['1.', 'JPY', /decimal point/],
    ['.5', 'CNY', /decimal point/],
    ['01.00', 'CNY', /digits/],
    ['', 'CNY', /digits/],
    ['Infinity', 'CNY', /digits/],
    ['NaN', 'CNY', /digits/],
    ['0x10', 'CNY', /digits/],
    ['１２', 'CNY', /digits/],
    ['1000000000000000', 'CNY', /more than 15 integer digits/],
    ['1000000000000000.00', 'USD', /more than 15 integer digits/],
  ])('refuses %p %s', (wire, currency, message) => {
    const error = refusal(wire, currency);
    expect(error.code).toBe('invalid_amount');
    expect(error.message).toMatch(message);
  });

  test('refuses a 5,000-digit string quickly, as malformed rather than by parsing it', () => {
    const started = process.hrtime.bigint();
    expect(refusal('9'.repeat(5000), 'CNY').code).toBe('invalid_amount');
    expect(process.hrtime.bigint() - started).toBeLessThan(50_000_000n);
  });

  test('refuses an unknown or lower-case currency with unsupported_currency', () => {
    expect(refusal('1.00', 'XYZ').code).toBe('unsupported_currency');
    expect(refusal('1.00', 'cny').code).toBe('unsupported_currency');
    expect(refusal('1.00', 'toString').code).toBe('unsupported_currency');
  });
});

describe('formatAmount', () => {
  test.each([
    [1999n, 'CNY', '19.99'],
    [1n, 'CNY', '0.01'],
    [0n, 'CNY', '0.00'],
    [100n, 'USD', '1.00'],
    [-5n, 'CNY', '-0.05'],
    [-123456n, 'EUR', '-1234.56'],
    [1200n, 'JPY', '1200'],
    [0n, 'JPY', '0'],
    [5n, 'KWD', '0.005'],
    [12345n, 'KWD', '12.345'],
    [99999999999999999n, 'USD', '999999999999999.99'],
  ])('writes %s minor %s as "%s"', (minor, currency, wire) => {
    expect(formatAmount(minor, currency)).toBe(wire);
  });

  test('round-trips with parseAmount for every positive amount it formats', () => {
    for (const [minor, currency] of [[1n, 'CNY'], [10n, 'CNY'], [101n, 'JPY'], [1001n, 'KWD'], [maxAmountMinor('CNY'), 'CNY']] as const) {
      expect(parseAmount(formatAmount(minor, currency), currency)).toBe(minor);
    }
  });

  test('refuses a number instead of a bigint', () => {
    expect(() => formatAmount(19.99 as unknown as bigint, 'CNY')).toThrow(TypeError);
  });
});
