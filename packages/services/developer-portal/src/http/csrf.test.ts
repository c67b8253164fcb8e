import { describe, expect, test } from '@jest/globals';
import { csrfToken, isValidCsrfToken, newCsrfCookieValue } from './csrf.ts';

const SECRET = 'a-session-secret-of-at-least-32-characters';

describe('CSRF tokens', () => {
  test('accept the token of the same binding and secret only', () => {
    const token = csrfToken(SECRET, 'session:abc');
    expect(isValidCsrfToken(SECRET, 'session:abc', token)).toBe(true);
    expect(isValidCsrfToken(SECRET, 'session:abd', token)).toBe(false);
    expect(isValidCsrfToken(`${SECRET}x`, 'session:abc', token)).toBe(false);
  });

  test('refuse a missing, non-string or truncated token', () => {
    const token = csrfToken(SECRET, 'anonymous:x');
    expect(isValidCsrfToken(SECRET, 'anonymous:x', undefined)).toBe(false);
    expect(isValidCsrfToken(SECRET, 'anonymous:x', [token])).toBe(false);
    expect(isValidCsrfToken(SECRET, 'anonymous:x', token.slice(1))).toBe(false);
  });

  test('cookie values are 256 random bits', () => {
    expect(newCsrfCookieValue()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newCsrfCookieValue()).not.toBe(newCsrfCookieValue());
  });
});
