import { describe, expect, test } from '@jest/globals';
import { latencyPercentiles, percentileOfSorted } from './percentiles.ts';

describe('percentileOfSorted (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, index) => index + 1);

  test('p50 of 1..100 is 50 and p99 is 99, not interpolated', () => {
    expect(percentileOfSorted(hundred, 0.5)).toBe(50);
    expect(percentileOfSorted(hundred, 0.99)).toBe(99);
    expect(percentileOfSorted(hundred, 1)).toBe(100);
  });

  test('p99.9 of 1000 samples is the 999th, so one slow outlier in 1000 does not show', () => {
    const samples = Array.from({ length: 1000 }, () => 1);
    samples[999] = 500;
    expect(percentileOfSorted(samples, 0.999)).toBe(1);
    samples[998] = 400;
    expect(percentileOfSorted(samples, 0.999)).toBe(400);
  });

  test('a single sample is every percentile; none gives NaN', () => {
    expect(percentileOfSorted([7], 0.5)).toBe(7);
    expect(percentileOfSorted([7], 0.999)).toBe(7);
    expect(percentileOfSorted([], 0.5)).toBeNaN();
  });

  test('refuses quantiles outside (0, 1]', () => {
    expect(() => percentileOfSorted(hundred, 0)).toThrow(RangeError);
    expect(() => percentileOfSorted(hundred, 99)).toThrow(RangeError);
  });
});

describe('latencyPercentiles', () => {
  test('sorts numerically (not as strings) without touching the input, and rounds to 0.01 ms', () => {
    const input = [10, 9, 100, 2.345, 1000];
    expect(latencyPercentiles(input)).toEqual({ p50Ms: 10, p99Ms: 1000, p999Ms: 1000 });
    expect(input).toEqual([10, 9, 100, 2.345, 1000]);
    expect(latencyPercentiles([2.345]).p50Ms).toBe(2.35);
  });
});
