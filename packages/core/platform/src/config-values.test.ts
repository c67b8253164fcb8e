import { describe, expect, test } from '@jest/globals';
import { readPayapiEnvironment } from './config-values.ts';

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
