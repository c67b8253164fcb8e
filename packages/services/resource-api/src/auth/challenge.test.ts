import { describe, expect, test } from '@jest/globals';
import { ApiProblem } from '../errors/problem.ts';
import { dpopOnlyChallenge, insufficientScope, quoted, unauthorized, withResourceMetadata } from './challenge.ts';

const METADATA = 'https://api.example/.well-known/oauth-protected-resource';

describe('quoted (RFC 6750 §3 error_description)', () => {
  test('keeps every word: double quotes become single quotes instead of spaces (issue 17: "the access token\'s  scope  claim")', () => {
    expect(quoted('the access token\'s "scope" claim is not acceptable')).toBe('"the access token\'s \'scope\' claim is not acceptable"');
  });

  test('leaves only the characters RFC 6750 §3 allows (%x20-21 / %x23-5B / %x5D-7E)', () => {
    const value = quoted('a\\b "c"\td\u00e9\u202e');
    expect(value).toBe('"a/b \'c\'?d??"');
    expect(value.slice(1, -1)).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/);
  });
});

describe('withResourceMetadata (RFC 9728 §5.1)', () => {
  test('adds resource_metadata to every challenge of a 401, the bare one included', () => {
    const problem = withResourceMetadata(unauthorized('Bearer', 'an access token is required'), METADATA);
    expect(problem.headers['WWW-Authenticate']).toEqual([
      `Bearer error="invalid_token", error_description="an access token is required", resource_metadata="${METADATA}"`,
      `DPoP algs="ES256 PS256 EdDSA", resource_metadata="${METADATA}"`,
    ]);
    expect([problem.status, problem.code, problem.message]).toEqual([401, 'invalid_token', 'an access token is required']);
  });

  test('adds it to a 403 insufficient_scope and to a DPoP-only challenge', () => {
    expect(withResourceMetadata(insufficientScope('Bearer', 'accounts:read'), METADATA).headers['WWW-Authenticate'])
      .toBe(`Bearer error="insufficient_scope", scope="accounts:read", resource_metadata="${METADATA}"`);
    expect(withResourceMetadata(dpopOnlyChallenge(unauthorized('Bearer', 'no')), METADATA).headers['WWW-Authenticate'])
      .toBe(`DPoP error="invalid_token", error_description="no", algs="ES256 PS256 EdDSA", resource_metadata="${METADATA}"`);
  });

  test('a problem without a challenge stays as it is', () => {
    const problem = new ApiProblem(404, 'not_found', 'no such resource');
    expect(withResourceMetadata(problem, METADATA)).toBe(problem);
  });
});
