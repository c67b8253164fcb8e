import { LedgerError } from './errors.ts';

/**
 * ISO 4217 currencies this ledger keeps, with their minor-unit exponent (number of decimal
 * digits of the minor unit, ISO 4217 "minor unit" column). Adding one is a product decision:
 * it appears here and nowhere else.
 */
const MINOR_UNIT_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  AUD: 2,
  BHD: 3,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  JOD: 3,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  SEK: 2,
  SGD: 2,
  USD: 2,
});

/** The codes of {@link MINOR_UNIT_EXPONENTS}, sorted. */
export const SUPPORTED_CURRENCIES: readonly string[] = Object.freeze(Object.keys(MINOR_UNIT_EXPONENTS).sort());

/** True when `code` is a supported ISO 4217 code (upper case, exactly as listed). */
export function isSupportedCurrency(code: unknown): code is string {
  return typeof code === 'string' && Object.hasOwn(MINOR_UNIT_EXPONENTS, code);
}

/**
 * The minor-unit exponent of a currency: 2 for CNY (1 yuan = 100 fen), 0 for JPY, 3 for KWD.
 *
 * @throws {LedgerError} `unsupported_currency` for anything not in the table
 */
export function minorUnitExponent(currency: unknown): number {
  if (!isSupportedCurrency(currency)) {
    const shown = typeof currency === 'string' ? `"${currency.slice(0, 8)}"` : typeof currency;
    throw new LedgerError('unsupported_currency', `currency ${shown} is not supported; use one of ${SUPPORTED_CURRENCIES.join(', ')}`);
  }
  return MINOR_UNIT_EXPONENTS[currency] as number;
}
