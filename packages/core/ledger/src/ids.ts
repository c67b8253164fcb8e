import { randomBytes } from 'node:crypto';

/** Prefixes of the ledger's opaque ids: account, transfer, posting, payment consent, payment. */
export type IdPrefix = 'acc' | 'tr' | 'pst' | 'pc' | 'pay';

/**
 * A new opaque id: the prefix, `_`, and 128 random bits in lower-case hex
 * (`acc_3f6c…`, 32 hex digits). Never derived from a sequence, so it reveals no counts or order.
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}

const ID_SHAPES: Readonly<Record<IdPrefix, RegExp>> = {
  acc: /^acc_[0-9a-f]{32}$/,
  tr: /^tr_[0-9a-f]{32}$/,
  pst: /^pst_[0-9a-f]{32}$/,
  pc: /^pc_[0-9a-f]{32}$/,
  pay: /^pay_[0-9a-f]{32}$/,
};

/** True when `value` has the exact shape of an id with this prefix (cheap guard before any query). */
export function isId(prefix: IdPrefix, value: unknown): value is string {
  return typeof value === 'string' && ID_SHAPES[prefix].test(value);
}
