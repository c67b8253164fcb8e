import { describe, expect, test } from '@jest/globals';
import { parseRetryAfter, retryDelayMs } from './retry-schedule.ts';

const SCHEDULE = [5_000, 300_000];

describe('retryDelayMs', () => {
  test('follows the schedule, moved by at most ±20 %', () => {
    expect(retryDelayMs(SCHEDULE, 1, {}, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(SCHEDULE, 1, {}, () => 0)).toBe(4_000);
    expect(retryDelayMs(SCHEDULE, 1, {}, () => 0.999_999)).toBe(6_000);
    expect(retryDelayMs(SCHEDULE, 2, {}, () => 0.5)).toBe(300_000);
  });

  test('is null after the last attempt of the schedule', () => {
    expect(retryDelayMs(SCHEDULE, 3, {}, () => 0.5)).toBeNull();
    expect(retryDelayMs([], 1, {}, () => 0.5)).toBeNull();
  });

  test.each([429, 502, 503, 504])('honours Retry-After on %i within [scheduled, 2 x scheduled]', (status) => {
    expect(retryDelayMs(SCHEDULE, 1, { status, retryAfterMs: 7_000 }, () => 0.5)).toBe(7_000);
    expect(retryDelayMs(SCHEDULE, 1, { status, retryAfterMs: 1_000 }, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(SCHEDULE, 1, { status, retryAfterMs: 3_600_000 }, () => 0.5)).toBe(10_000);
  });

  test.each([500, 400, 301])('ignores Retry-After on %i', (status) => {
    expect(retryDelayMs(SCHEDULE, 1, { status, retryAfterMs: 7_000 }, () => 0.5)).toBe(5_000);
  });
});

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');

  test('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 06 Dec 2026 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sunday, 06-Dec-26 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });

  test.each([undefined, '', '-5', '1.5', 'soon', '12345678901', 'Sun, 99 Foo 2026 12:01:00 GMT'])('reads %p as nothing', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
