import { minorUnitExponent } from './currency.ts';
import { LedgerError } from './errors.ts';

/** Integer digits allowed in a major-unit amount: 999 999 999 999 999 at most. */
export const AMOUNT_INTEGER_DIGITS_MAX = 15;

/** ASCII digits only; no sign, no exponent, no spaces, no leading zeros, no lone dot. */
const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Parses a wire amount (decimal string in major units) into integer minor units. No floating
 * point is involved at any step.
 *
 * The contract's rule: exactly the currency's minor digits. Accepts `"19.99"` and `"19.00"` for
 * CNY, `"1200"` for JPY, `"0.005"` for KWD. Rejects JSON numbers and any non-string, exponents
 * (`"1e3"`), signs, zero, any other number of fraction digits (`"8.165"` and `"19.9"` and `"19"`
 * CNY, `"1200.5"` JPY), spaces, separators, non-ASCII digits, and more than 15 integer digits.
 *
 * @param value the amount as received (typed `unknown`: callers pass raw JSON)
 * @param currency ISO 4217 code, see `minorUnitExponent`
 * @returns the amount in minor units, > 0n (`parseAmount("19.99", "CNY") === 1999n`)
 * @throws {LedgerError} `invalid_amount` with a message saying what is wrong;
 *   `unsupported_currency` when the currency is unknown
 */
export function parseAmount(value: unknown, currency: string): bigint {
  const exponent = minorUnitExponent(currency);
  if (typeof value !== 'string') {
    throw new LedgerError('invalid_amount', `amount must be a decimal string such as "12.34", not a ${value === null ? 'null' : typeof value}`);
  }
  const match = value.length <= 64 ? DECIMAL.exec(value) : null;
  if (!match) {
    throw new LedgerError('invalid_amount', 'amount must be digits with an optional decimal point, e.g. "12.34": no sign, exponent, spaces or separators');
  }
  const integerPart = match[1] as string;
  const fractionPart = match[2] ?? '';
  if (integerPart.length > AMOUNT_INTEGER_DIGITS_MAX) {
    throw new LedgerError('invalid_amount', `amount has more than ${AMOUNT_INTEGER_DIGITS_MAX} integer digits`);
  }
  if (/^0+$/.test(integerPart + fractionPart)) throw new LedgerError('invalid_amount', 'amount must be greater than zero');
  if (fractionPart.length !== exponent) {
    throw new LedgerError('invalid_amount', exponent === 0
      ? `${currency} has no minor unit: the amount must be a whole number`
      : `${currency} amounts have exactly ${exponent} decimal places, e.g. "${formatAmount(1234n * 10n ** BigInt(exponent), currency)}"`);
  }
  return BigInt(integerPart + fractionPart);
}

/**
 * Formats integer minor units as the wire's decimal string with exactly the currency's number of
 * fraction digits: `formatAmount(1999n, "CNY") === "19.99"`, `formatAmount(5n, "KWD") === "0.005"`,
 * `formatAmount(1200n, "JPY") === "1200"`, `formatAmount(-5n, "CNY") === "-0.05"` (balances of
 * accounts with an overdraft may be negative).
 *
 * @throws {TypeError} when `minor` is not a bigint (a programming error)
 * @throws {LedgerError} `unsupported_currency`
 */
export function formatAmount(minor: bigint, currency: string): string {
  if (typeof minor !== 'bigint') throw new TypeError('formatAmount takes a bigint amount in minor units');
  const exponent = minorUnitExponent(currency);
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * The largest amount, in minor units, that {@link parseAmount} can return for a currency
 * (15 nines in major units, all minor digits nines).
 */
export function maxAmountMinor(currency: string): bigint {
  return 10n ** BigInt(AMOUNT_INTEGER_DIGITS_MAX + minorUnitExponent(currency)) - 1n;
}
