import { describe, expect, test } from '@jest/globals';
import { LedgerError } from './errors.ts';
import { IDEMPOTENCY_TTL_SECONDS, requestHash } from './idempotency.ts';
import { postTransferResult, preparePostTransfer } from './post-transfer.ts';
import { checkTransferRequest } from './validate.ts';

const SOURCE = `acc_${'1'.repeat(32)}`;
const DESTINATION = `acc_${'2'.repeat(32)}`;
const REQUEST = { sourceAccountId: SOURCE, destinationAccountId: DESTINATION, amountMinor: 9_007_199_254_740_993n, currency: 'CNY', description: 'rent' };

describe('preparePostTransfer', () => {
  test('gives every argument of ledger.post_transfer: new ids, the request hash under a key, 24 h, the amount as exact decimal text', () => {
    const args = preparePostTransfer(REQUEST, { clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-1', sourceOwnerSubject: 'sub-1' });
    expect(args).toEqual({
      clientId: 'client-a', subject: 'sub-1', idempotencyKey: 'k-1', requestHash: requestHash(checkTransferRequest(REQUEST)),
      ttlSeconds: IDEMPOTENCY_TTL_SECONDS, sourceOwner: 'sub-1',
      transferId: expect.stringMatching(/^tr_[0-9a-f]{32}$/), debitPostingId: expect.stringMatching(/^pst_[0-9a-f]{32}$/),
      creditPostingId: expect.stringMatching(/^pst_[0-9a-f]{32}$/),
      sourceAccountId: SOURCE, destinationAccountId: DESTINATION, amountMinor: '9007199254740993', currency: 'CNY', description: 'rent',
    });
    expect(args.debitPostingId).not.toBe(args.creditPostingId);
    expect(preparePostTransfer(REQUEST).transferId).not.toBe(preparePostTransfer(REQUEST).transferId);
  });

  test('without options: no client, the empty subject, no key, no hash, no owner check', () => {
    expect(preparePostTransfer({ ...REQUEST, description: undefined })).toMatchObject({
      clientId: null, subject: '', idempotencyKey: null, requestHash: null, sourceOwner: null, description: null,
    });
  });

  test('throws what the ledger refuses without the database: bad amount, same account, a key without a subject', () => {
    expect(() => preparePostTransfer({ ...REQUEST, amountMinor: 0n })).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
    expect(() => preparePostTransfer({ ...REQUEST, destinationAccountId: SOURCE })).toThrow(expect.objectContaining({ code: 'same_account' }));
    expect(() => preparePostTransfer(REQUEST, { clientId: 'client-a', idempotencyKey: 'k-1' })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('postTransferResult', () => {
  const stored = {
    id: `tr_${'3'.repeat(32)}`, kind: 'transfer', sourceAccountId: SOURCE, destinationAccountId: DESTINATION, amountMinor: '9007199254740993',
    currency: 'CNY', description: null, clientId: 'client-a', status: 'completed', createdAt: '2026-12-06T12:00:00.123456Z',
  } as const;

  test('turns an outcome into the transfer, amount as bigint, and says whether it was replayed', () => {
    expect(postTransferResult({ outcome: { transfer: stored }, replayed: true }))
      .toEqual({ transfer: { ...stored, amountMinor: 9_007_199_254_740_993n }, replayed: true });
  });

  test('throws a stored refusal marked replayed, and a refusal that is not stored as it is', () => {
    const replayed = (() => {
      try {
        return postTransferResult({ outcome: { error: { code: 'insufficient_funds', message: 'low' } }, replayed: true });
      } catch (error) {
        return error;
      }
    })();
    expect(replayed).toBeInstanceOf(LedgerError);
    expect(replayed).toMatchObject({ code: 'insufficient_funds', replayed: true });
    expect(() => postTransferResult({ refused: { code: 'idempotency_key_in_flight', message: 'busy' } }))
      .toThrow(expect.objectContaining({ code: 'idempotency_key_in_flight', replayed: false }));
  });

  test('no answer at all is a bug, not a refusal', () => {
    expect(() => postTransferResult(undefined)).toThrow('ledger.post_transfer answered nothing');
  });
});
