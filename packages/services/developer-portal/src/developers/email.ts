import { isSafeText } from '@payapi/platform';
import { PortalInputError } from '../http/errors.ts';

/** Longest email address, characters (RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets). */
export const EMAIL_LENGTH_MAX = 254;

/** One `@`, something before it, a dot-separated domain after it, no spaces. Deliverability is not checked. */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;

/**
 * The form an email is stored and compared in: trimmed and lower-cased, so `Dev@Example.COM ` and
 * `dev@example.com` are one account. (Strictly, the local part is case-sensitive, RFC 5321 §2.4;
 * no mail system in use treats it so, and two accounts differing in case only would be a trap.)
 *
 * Never throws; it does not validate (see {@link checkEmail}).
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Checks an email typed at sign-up and returns its stored form ({@link normaliseEmail}).
 *
 * @throws {PortalInputError} when it is not a string of at most 254 characters shaped like an
 *   address, or holds control or bidirectional-override characters
 */
export function checkEmail(email: unknown): string {
  if (typeof email !== 'string') throw new PortalInputError('Enter your email address.');
  const normalised = normaliseEmail(email);
  if (normalised.length === 0) throw new PortalInputError('Enter your email address.');
  if (normalised.length > EMAIL_LENGTH_MAX || !isSafeText(normalised) || !EMAIL_SHAPE.test(normalised)) {
    throw new PortalInputError('Enter an email address like name@example.com.');
  }
  return normalised;
}
