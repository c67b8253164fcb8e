import { describe, expect, test } from '@jest/globals';
import { DEFAULT_RETRY_POLICY, backoffMs, isRepeatable, retryAfterMs, retryPolicy } from './retry.ts';

describe('retryAfterMs (RFC 9110 §10.2.3)', () => {
  test('reads delay-seconds and HTTP dates; a past date is 0; absent or unreadable is undefined', () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '61' }), now)).toBe(61_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Mon, 07 Dec 2026 10:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Mon, 07 Dec 2026 09:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ 'retry-after': '-5' }), now)).toBeUndefined();
  });
});

describe('backoffMs', () => {
  test('full jitter under a cap that doubles per attempt and stops at maxDelayMs', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffMs(policy, attempt, () => 0.999_999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffMs(policy, 3, () => 0)).toBe(0);
  });
});

describe('isRepeatable and retryPolicy', () => {
  test('GET, HEAD, PUT, DELETE and OPTIONS may be repeated; POST and PATCH only with an Idempotency-Key', () => {
    expect(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].every((method) => isRepeatable(method, undefined))).toBe(true);
    expect(isRepeatable('POST', undefined)).toBe(false);
    expect(isRepeatable('PATCH', undefined)).toBe(false);
    expect(isRepeatable('POST', 'key-1')).toBe(true);
  });

  test('fills defaults and refuses values out of range', () => {
    expect(retryPolicy()).toEqual({ maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 });
    expect(retryPolicy({ maxAttempts: 1 }).maxAttempts).toBe(1);
    expect(() => retryPolicy({ maxAttempts: 11 })).toThrow(RangeError);
    expect(() => retryPolicy({ maxAttempts: 1.5 })).toThrow(RangeError);
    expect(() => retryPolicy({ maxRetryAfterMs: Number.NaN })).toThrow(RangeError);
  });
});
