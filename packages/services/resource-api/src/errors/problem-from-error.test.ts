import { describe, expect, test } from '@jest/globals';
import { LedgerError } from '@payapi/ledger';
import type { LedgerErrorCode } from '@payapi/ledger';
import { EventsError } from '@payapi/events';
import { LEDGER_ERROR_STATUS } from './ledger-status.ts';
import { problemFromError } from './problem-from-error.ts';

describe('problemFromError', () => {
  test.each(Object.entries(LEDGER_ERROR_STATUS))('keeps the ledger code %s with status %i', (code, status) => {
    const { problem, unexpected } = problemFromError(new LedgerError(code as LedgerErrorCode, 'because'));
    expect([problem.status, problem.code, problem.message, unexpected]).toEqual([status, code, 'because', false]);
  });

  test('ledger_busy asks the client to retry after a second', () => {
    expect(problemFromError(new LedgerError('ledger_busy', 'busy')).problem.headers).toEqual({ 'Retry-After': '1' });
  });

  test('too many webhook test events: 429 rate_limited, retry after the minute', () => {
    const { problem } = problemFromError(new EventsError('rate_limited', 'at most 10 test events a minute'));
    expect([problem.status, problem.code, problem.headers]).toEqual([429, 'rate_limited', { 'Retry-After': '60' }]);
  });

  test('an unexpected error becomes a 500 that says nothing about it', () => {
    const { problem, unexpected } = problemFromError(new Error('relation "auth.secret_table" does not exist'));
    expect(unexpected).toBe(true);
    expect(problem.toDocument('https://api.example/problems/')).toEqual({ type: 'https://api.example/problems/internal_error', title: 'Internal Server Error', status: 500,
      detail: 'the server could not answer this request; try again later', code: 'internal_error' });
  });

  test('a validator error about the amount alone keeps the code invalid_amount; a missing amount is invalid_request', () => {
    const bad = problemFromError({ status: 400, errors: [{ path: '/body/amount', message: 'must match pattern', errorCode: 'pattern.openapi.validation' }] });
    expect([bad.problem.code, bad.problem.message]).toEqual(['invalid_amount', 'body.amount: must match pattern']);
    const missing = problemFromError({ status: 400, errors: [{ path: '/body/amount', message: 'must have required property', errorCode: 'required.openapi.validation' }] });
    expect(missing.problem.code).toBe('invalid_request');
  });
});
