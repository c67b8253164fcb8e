import { describe, expect, test } from '@jest/globals';
import { UnsecuredJWT } from 'jose';
import { SCRIPT_REQUEST_HASH, accessTokenClaims, postTransferLookupRows, postTransferScript } from './pgbench-post-transfer.ts';

function token(claims: Record<string, unknown>): string {
  return new UnsecuredJWT(claims).setIssuedAt().setExpirationTime('5m').encode();
}

describe('accessTokenClaims', () => {
  test('reads jti, client_id and sub from the payload', () => {
    expect(accessTokenClaims(token({ jti: 'jti-1', client_id: 'client-1', sub: 'user-1', scope: 'transfers:write' })))
      .toEqual({ jti: 'jti-1', clientId: 'client-1', subject: 'user-1' });
  });

  test('refuses a token without one of them, or with an empty one, and what is not a JWT', () => {
    expect(() => accessTokenClaims(token({ client_id: 'client-1', sub: 'user-1' }))).toThrow(/jti/);
    expect(() => accessTokenClaims(token({ jti: 'jti-1', client_id: '', sub: 'user-1' }))).toThrow(/client_id/);
    expect(() => accessTokenClaims(token({ jti: 'jti-1', client_id: 'client-1', sub: 7 }))).toThrow(/sub/);
    expect(() => accessTokenClaims('not-a-jwt')).toThrow();
  });
});

describe('postTransferScript', () => {
  const script = postTransferScript({ users: 32, accountsPerUser: 3, accounts: 10_000, schema: 'bench_pgbench' });

  test('calls api.post_transfer with the route\'s parameters, by name and in its order', () => {
    const names = [...script.matchAll(/\b(p_[a-z_]+) =>/g)].map((match) => match[1]);
    expect(names).toEqual(['p_jti', 'p_client_id', 'p_subject', 'p_idempotency_key', 'p_request_hash', 'p_ttl_seconds', 'p_source_owner',
      'p_transfer_id', 'p_debit_posting_id', 'p_credit_posting_id', 'p_source', 'p_destination', 'p_amount', 'p_currency', 'p_description']);
    expect(script).toContain('SELECT api.post_transfer(');
    expect(script).toContain("p_ttl_seconds => 86400, p_source_owner => u.subject,");
    expect(script).toContain("p_amount => 1, p_currency => 'CNY', p_description => NULL) AS answer");
    expect(script).toContain(`p_request_hash => '${SCRIPT_REQUEST_HASH}'`);
    expect(SCRIPT_REQUEST_HASH).toMatch(/^[0-9a-f]{64}$/);
  });

  test('makes new ids and a new idempotency key per transaction, ids shaped as the API makes them', () => {
    expect(script).toContain("p_transfer_id => 'tr_' || replace(gen_random_uuid()::text, '-', '')");
    expect(script).toContain("p_debit_posting_id => 'pst_' || replace(gen_random_uuid()::text, '-', '')");
    expect(script).toContain("p_credit_posting_id => 'pst_' || replace(gen_random_uuid()::text, '-', '')");
    expect(script).toContain("p_idempotency_key => 'pgbench-' || gen_random_uuid()::text");
  });

  test('acts as user client_id mod users, from one of its accounts, to another account by number', () => {
    const meta = script.split('\n').filter((line) => line.startsWith('\\set'));
    expect(meta).toEqual([
      '\\set user :client_id % 32',
      '\\set turn random(1, 3)',
      '\\set source :user * 3 + :turn - 1',
      '\\set other random(0, 9998)',
      '\\set destination CASE WHEN :other >= :source THEN :other + 1 ELSE :other END',
    ]);
    expect(script).toContain('p_source => u.source_ids[:turn], p_destination => d.id,');
    expect(script).toMatch(/FROM bench_pgbench\.token_users u, bench_pgbench\.accounts d\n WHERE u\.user_no = :user AND d\.account_no = :destination;\n$/);
  });

  test('refuses sizes that leave no destination outside the users\' accounts', () => {
    expect(() => postTransferScript({ users: 2, accountsPerUser: 3, accounts: 6, schema: 's' })).toThrow(/more than 6 accounts/);
    expect(() => postTransferScript({ users: 0, accountsPerUser: 3, accounts: 10, schema: 's' })).toThrow();
  });
});

describe('postTransferLookupRows', () => {
  const users = [
    { accessToken: token({ jti: 'j0', client_id: 'c', sub: 'u0' }), accountIds: ['acc_a', 'acc_b'] },
    { accessToken: token({ jti: 'j1', client_id: 'c', sub: 'u1' }), accountIds: ['acc_c', 'acc_d'] },
  ];

  test('numbers each user\'s accounts user after user, then the other accounts in their order', () => {
    const rows = postTransferLookupRows(users, ['acc_x', 'acc_c', 'acc_a', 'acc_y', 'acc_b', 'acc_d']);
    expect(rows.accountIds).toEqual(['acc_a', 'acc_b', 'acc_c', 'acc_d', 'acc_x', 'acc_y']);
    expect(rows.users).toEqual([
      { userNo: 0, claims: { jti: 'j0', clientId: 'c', subject: 'u0' }, sourceIds: ['acc_a', 'acc_b'] },
      { userNo: 1, claims: { jti: 'j1', clientId: 'c', subject: 'u1' }, sourceIds: ['acc_c', 'acc_d'] },
    ]);
  });

  test('refuses users with different numbers of accounts (the script\'s numbering needs the same)', () => {
    expect(() => postTransferLookupRows([users[0] as (typeof users)[0], { ...users[1] as (typeof users)[1], accountIds: ['acc_c'] }], [])).toThrow(/same number/);
  });
});
