import { describe, expect, test } from '@jest/globals';
import { readListenAddress, readPayapiEnvironment, readSecurityProfile } from './config-values.ts';

describe('readPayapiEnvironment', () => {
  test('defaults to sandbox, and to live with NODE_ENV=production', () => {
    expect(readPayapiEnvironment({})).toBe('sandbox');
    expect(readPayapiEnvironment({ PAYAPI_ENVIRONMENT: '' })).toBe('sandbox');
    expect(readPayapiEnvironment({ NODE_ENV: 'production' })).toBe('live');
  });

  test('reads sandbox and live as given', () => {
    expect(readPayapiEnvironment({ PAYAPI_ENVIRONMENT: 'live' })).toBe('live');
    expect(readPayapiEnvironment({ PAYAPI_ENVIRONMENT: 'sandbox' })).toBe('sandbox');
    expect(readPayapiEnvironment({ PAYAPI_ENVIRONMENT: 'live', NODE_ENV: 'production' })).toBe('live');
  });

  test.each([
    [{ PAYAPI_ENVIRONMENT: 'production' }, /^PAYAPI_ENVIRONMENT: must be sandbox or live/],
    [{ PAYAPI_ENVIRONMENT: 'Live' }, /^PAYAPI_ENVIRONMENT: must be sandbox or live/],
    [{ PAYAPI_ENVIRONMENT: 'sandbox', NODE_ENV: 'production' }, /^PAYAPI_ENVIRONMENT: must be live with NODE_ENV=production/],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => readPayapiEnvironment(env)).toThrow(message);
  });
});

describe('readSecurityProfile', () => {
  test('defaults to default; reads default and fapi2 as given', () => {
    expect(readSecurityProfile({})).toBe('default');
    expect(readSecurityProfile({ SECURITY_PROFILE: '' })).toBe('default');
    expect(readSecurityProfile({ SECURITY_PROFILE: 'default' })).toBe('default');
    expect(readSecurityProfile({ SECURITY_PROFILE: 'fapi2' })).toBe('fapi2');
  });

  test.each(['FAPI2', 'fapi', 'fapi-2.0', ' fapi2'])('refuses %j with a message naming the variable', (value) => {
    expect(() => readSecurityProfile({ SECURITY_PROFILE: value })).toThrow(/^SECURITY_PROFILE: must be default or fapi2/);
  });
});

describe('readListenAddress', () => {
  test('unset or empty means every interface; an IPv4 or IPv6 literal is kept', () => {
    expect(readListenAddress(undefined)).toBeUndefined();
    expect(readListenAddress('')).toBeUndefined();
    expect(readListenAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(readListenAddress('::1')).toBe('::1');
  });

  test.each(['localhost', '127.0.0.1:4101', '[::1]', '0.0.0.0.0'])('refuses %s with a message naming the variable', (value) => {
    expect(() => readListenAddress(value)).toThrow(/^LISTEN_ADDRESS: must be an IP address/);
  });
});
