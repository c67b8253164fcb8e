import { describe, expect, test } from '@jest/globals';
import { checkEmail, normaliseEmail } from './email.ts';

describe('developer emails', () => {
  test('are trimmed and lower-cased', () => {
    expect(checkEmail('  Dev@Example.COM ')).toBe('dev@example.com');
    expect(normaliseEmail('A@B.C')).toBe('a@b.c');
  });

  test.each([
    ['not a string', 42],
    ['empty', '   '],
    ['no @', 'dev.example.com'],
    ['no domain dot', 'dev@localhost'],
    ['two @', 'a@b@example.com'],
    ['a space inside', 'de v@example.com'],
    ['a control character', 'dev\u0007@example.com'],
    ['a bidirectional override', 'dev\u202e@example.com'],
    ['too long', `${'a'.repeat(250)}@example.com`],
  ])('refuses %s', (_why, email) => {
    expect(() => checkEmail(email)).toThrow(/email address/);
  });
});
