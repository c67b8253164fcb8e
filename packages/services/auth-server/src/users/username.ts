import { UserError } from './errors.ts';

/** Longest username, in Unicode code points after trimming (PostgreSQL's `char_length` counts the same). */
export const USERNAME_LENGTH_MAX = 64;

/**
 * Refused anywhere in a username: every character of general category C (controls, format
 * characters such as zero-width joiners and the bidirectional overrides of Trojan Source,
 * CVE-2021-42574, surrogates, private use, unassigned) and the line and paragraph separators.
 * They are invisible or render differently per system, so two users could look alike.
 */
const FORBIDDEN_CHARACTERS = /[\p{C}\p{Zl}\p{Zp}]/u;

/** A username must show at least one letter or number, not only punctuation, symbols or spaces. */
const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;

/**
 * The comparison form of a username, stored in `auth.users.username_key` (unique): trimmed,
 * Unicode NFC, lower-cased with `String.prototype.toLowerCase` (Unicode's default full lower-case
 * mapping, locale-independent), then NFC again because lower-casing can leave a string that is
 * not composed. This is the case mapping and normalisation of the PRECIS UsernameCaseMapped
 * profile (RFC 8265 §3.3.2 steps 3 and 4), preceded by an NFC so that the composed and decomposed
 * forms of `José` meet before the case mapping. It is not full case folding (`ß` stays `ß`, not
 * `ss`) and does no width mapping. Idempotent: applying it to its own result changes nothing.
 *
 * Never throws; it does not validate (see {@link checkUsername}).
 *
 * @param username any string, as typed
 */
export function usernameKey(username: string): string {
  return username.trim().normalize('NFC').toLowerCase().normalize('NFC');
}

/**
 * Checks a username for a new account and returns the form to store: trimmed, otherwise exactly
 * as given (display form; comparison uses {@link usernameKey}).
 *
 * Rules: a string; 1..{@link USERNAME_LENGTH_MAX} code points after trimming; well-formed UTF-16
 * (`isWellFormed`: a lone surrogate would reach PostgreSQL as U+FFFD, so two names could become
 * one); no character of {@link FORBIDDEN_CHARACTERS}; at least one letter or number. Spaces inside
 * are allowed.
 *
 * @throws {UserError} `invalid_request`, with a message naming the rule broken
 */
export function checkUsername(username: unknown): string {
  if (typeof username !== 'string') throw new UserError('invalid_request', 'username must be a string');
  const trimmed = username.trim();
  if (!trimmed.isWellFormed()) {
    throw new UserError('invalid_request', 'username must be well-formed Unicode (no unpaired surrogates)');
  }
  const length = codePointLength(trimmed);
  if (length < 1 || length > USERNAME_LENGTH_MAX) {
    throw new UserError('invalid_request', `username must be 1 to ${USERNAME_LENGTH_MAX} characters long`);
  }
  if (FORBIDDEN_CHARACTERS.test(trimmed)) {
    throw new UserError('invalid_request', 'username must not contain control, format or invisible characters');
  }
  if (!LETTER_OR_NUMBER.test(trimmed)) {
    throw new UserError('invalid_request', 'username must contain at least one letter or digit');
  }
  return trimmed;
}

/**
 * True when `username` could belong to an account: a string that {@link checkUsername} would
 * accept. Used to skip the database for input that cannot match anyone.
 */
export function isPossibleUsername(username: unknown): username is string {
  try {
    checkUsername(username);
    return true;
  } catch (error) {
    if (error instanceof UserError) return false;
    throw error;
  }
}

/** Length in Unicode code points (what people and PostgreSQL call characters), not UTF-16 units. */
export function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}
