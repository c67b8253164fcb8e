import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { PayapiEnvironment } from '@payapi/platform';

/**
 * Client secrets in the style GitHub uses for its tokens, so that a leaked secret can be recognised
 * by secret scanners and checked offline without asking the server (docs/authorization-server.md,
 * "Client secrets"):
 *
 *   `sk_sandbox_` or `sk_live_`   the deployment's environment
 *   43 base62 characters           256 random bits (62^43 > 2^256), left-padded with `0`
 *   6 base62 characters            CRC32 (ISO-HDLC, Node's `zlib.crc32`) of everything before it, as UTF-8
 *
 * Base62 digits are `0-9A-Za-z` in that order. A sandbox secret is 60 characters, a live one 57.
 * The checksum only recognises typos and made-up strings; the secret's strength is its random part.
 */
export const CLIENT_SECRET_PREFIXES: Readonly<Record<PayapiEnvironment, string>> = Object.freeze({ sandbox: 'sk_sandbox_', live: 'sk_live_' });

const BASE62_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_BYTES = 32;
const RANDOM_LENGTH = 43;
/** 62^6 > 2^32: any CRC32 fits in 6 base62 digits. */
const CHECKSUM_LENGTH = 6;
const RANDOM_VALUE_LIMIT = 1n << BigInt(RANDOM_BYTES * 8);
const SHAPE = new RegExp(`^(sk_sandbox_|sk_live_)([0-9A-Za-z]{${RANDOM_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`);

/**
 * A new client secret for the deployment's environment (RFC 6749 §2.3.1 `client_secret`).
 *
 * @returns e.g. `sk_sandbox_` + 43 + 6 base62 characters
 */
export function generateClientSecret(environment: PayapiEnvironment): string {
  const random = toBase62(BigInt(`0x${randomBytes(RANDOM_BYTES).toString('hex')}`), RANDOM_LENGTH);
  const body = `${CLIENT_SECRET_PREFIXES[environment]}${random}`;
  return `${body}${checksumOf(body)}`;
}

/**
 * Whether `value` has the form of a secret made by {@link generateClientSecret}: a known prefix (the
 * given environment's, when one is given), 43 base62 characters that encode less than 2^256, and
 * the matching checksum. Checks the form only: it says nothing about whether the secret is valid
 * for any client. Secrets configured by hand (the partner demo's) need not pass it.
 */
export function isWellFormedClientSecret(value: unknown, environment?: PayapiEnvironment): value is string {
  if (typeof value !== 'string') return false;
  const match = SHAPE.exec(value);
  if (!match) return false;
  const [, prefix, random, checksum] = match as unknown as [string, string, string, string];
  if (environment !== undefined && prefix !== CLIENT_SECRET_PREFIXES[environment]) return false;
  if (fromBase62(random) >= RANDOM_VALUE_LIMIT) return false;
  return checksumOf(`${prefix}${random}`) === checksum;
}

function checksumOf(body: string): string {
  return toBase62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

function toBase62(value: bigint, length: number): string {
  let digits = '';
  for (let rest = value; rest > 0n; rest /= 62n) digits = `${BASE62_DIGITS[Number(rest % 62n)]}${digits}`;
  if (digits.length > length) throw new RangeError(`${value} does not fit in ${length} base62 digits`);
  return digits.padStart(length, '0');
}

function fromBase62(digits: string): bigint {
  let value = 0n;
  for (const digit of digits) value = value * 62n + BigInt(BASE62_DIGITS.indexOf(digit));
  return value;
}
