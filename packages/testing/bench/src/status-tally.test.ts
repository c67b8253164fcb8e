import { describe, expect, test } from '@jest/globals';
import { newStatusTally, tallyAnswer, tallyTransportErrors } from './status-tally.ts';

const problem = (code: string): string => JSON.stringify({ type: 'about:blank', title: 'x', status: 422, code });

describe('tallyAnswer', () => {
  test('counts every answer by status and 2xx as expected', () => {
    const tally = newStatusTally();
    expect(tallyAnswer(tally, {}, 201, '{}')).toBe(true);
    expect(tallyAnswer(tally, {}, 201, '{}')).toBe(true);
    expect(tally).toEqual({ byStatus: { 201: 2 }, unexpected: {}, unexpectedCount: 0 });
  });

  test('allows a refusal only with the listed problem code', () => {
    const tally = newStatusTally();
    const expected = { allowed: ['422:insufficient_funds'] };
    expect(tallyAnswer(tally, expected, 422, problem('insufficient_funds'))).toBe(true);
    expect(tallyAnswer(tally, expected, 422, problem('idempotency_key_reused'))).toBe(false);
    expect(tallyAnswer(tally, expected, 503, problem('ledger_busy'))).toBe(false);
    expect(tallyAnswer(tally, expected, 500, 'Internal Server Error')).toBe(false);
    expect(tally.byStatus).toEqual({ 422: 2, 503: 1, 500: 1 });
    expect(tally.unexpected).toEqual({ '422:idempotency_key_reused': 1, '503:ledger_busy': 1, 500: 1 });
    expect(tally.unexpectedCount).toBe(3);
  });

  test('a bare status in the allowed list allows every code under it', () => {
    const tally = newStatusTally();
    expect(tallyAnswer(tally, { allowed: ['409'] }, 409, problem('idempotency_key_in_flight'))).toBe(true);
    expect(tally.unexpectedCount).toBe(0);
  });

  test('a 2xx whose body fails the check is unexpected', () => {
    const tally = newStatusTally();
    const expected = { okBody: (body: string) => body.includes('"active":true') };
    expect(tallyAnswer(tally, expected, 200, '{"active":true}')).toBe(true);
    expect(tallyAnswer(tally, expected, 200, '{"active":false}')).toBe(false);
    expect(tally.unexpected).toEqual({ '200:body': 1 });
  });

  test('ignores a code that is not a snake_case string (no log injection through the tally keys)', () => {
    const tally = newStatusTally();
    tallyAnswer(tally, {}, 400, JSON.stringify({ code: 'Bad Code\n' }));
    tallyAnswer(tally, {}, 400, '{not json');
    expect(tally.unexpected).toEqual({ 400: 2 });
  });
});

describe('tallyTransportErrors', () => {
  test('adds connection errors as unexpected, and nothing for zero', () => {
    const tally = newStatusTally();
    tallyTransportErrors(tally, 'timeout', 0);
    expect(tally.unexpectedCount).toBe(0);
    tallyTransportErrors(tally, 'timeout', 3);
    expect(tally).toMatchObject({ unexpected: { 'transport:timeout': 3 }, unexpectedCount: 3, byStatus: {} });
  });
});
