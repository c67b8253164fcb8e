import { describe, expect, test } from '@jest/globals';
import { RECORDED_PATH_LENGTH_MAX, recordedPath } from './recorded-path.ts';

describe('the path the request log keeps', () => {
  test('masks account ids as the logs do, percent-encoded ones too', () => {
    expect(recordedPath('/v1/accounts/acc_0123456789abcdef0123456789abcdef/balance')).toBe('/v1/accounts/acc_…cdef/balance');
    expect(recordedPath('/v1/accounts/%61cc_0123456789abcdef0123456789abcdef')).toBe('/v1/accounts/acc_…cdef');
  });

  test('never keeps a query string, even one passed in by mistake', () => {
    expect(recordedPath('/v1/accounts?access_token=secret')).toBe('/v1/accounts');
  });

  test('percent-encodes again what is not visible ASCII after decoding (a NUL would fail the batch)', () => {
    expect(recordedPath('/v1/accounts/%00%0a%20x/balance')).toBe('/v1/accounts/%00%0A%20x/balance');
    expect(recordedPath('/v1/accounts/%E4%BD%A0')).toBe('/v1/accounts/%E4%BD%A0');
    expect(recordedPath('/v1/a%zz')).toBe('/v1/a%zz');
  });

  test('cuts a long path to 256 characters, the last one an ellipsis', () => {
    const cut = recordedPath(`/v1/accounts/${'x'.repeat(5_000)}/balance`);
    expect(cut).toHaveLength(RECORDED_PATH_LENGTH_MAX);
    expect(cut.endsWith('x…')).toBe(true);
    const exact = `/v1/${'y'.repeat(RECORDED_PATH_LENGTH_MAX - 4)}`;
    expect(recordedPath(exact)).toBe(exact);
  });
});
