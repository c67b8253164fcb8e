import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '@payapi/platform';
import { DEMO_SESSION_SECRET, loadDeveloperPortalConfig } from './config.ts';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const production = {
  NODE_ENV: 'production', PAYAPI_ENVIRONMENT: 'live', DATABASE_URL: 'postgres://db.example/payapi',
  DEVELOPER_PORTAL_URL: 'https://developers.bank.example', AUTH_ISSUER: 'https://auth.bank.example',
  RESOURCE_API_URL: 'https://api.bank.example', DEVELOPER_PORTAL_SESSION_SECRET: SECRET,
  WEBHOOK_SECRETS_KEY: 'a-webhook-secrets-key-of-32-characters-or-more',
};

describe('loadDeveloperPortalConfig', () => {
  test('defaults to the demo setup on port 4003, sandbox, with a warning about the demo session secret', () => {
    const config = loadDeveloperPortalConfig({});
    expect(config.publicUrl).toBe('http://localhost:4003');
    expect(config.port).toBe(4003);
    expect(config.issuer).toBe('http://localhost:4000');
    expect(config.environment).toBe('sandbox');
    expect(config.sessionSecret).toBe(DEMO_SESSION_SECRET);
    expect(config.sessionIdleSeconds).toBe(12 * 3600);
    expect(config.warnings.some((line) => line.includes('DEVELOPER_PORTAL_SESSION_SECRET'))).toBe(true);
  });

  test('takes PORT over the URL port and reads the environment', () => {
    const config = loadDeveloperPortalConfig({ PORT: '5003', PAYAPI_ENVIRONMENT: 'live', DEVELOPER_PORTAL_SESSION_SECRET: SECRET });
    expect(config.port).toBe(5003);
    expect(config.environment).toBe('live');
    expect(config.warnings.some((line) => line.includes('DEVELOPER_PORTAL_SESSION_SECRET'))).toBe(false);
  });

  test('accepts a complete production configuration', () => {
    const config = loadDeveloperPortalConfig(production);
    expect(config.production).toBe(true);
    expect(config.publicUrl).toBe('https://developers.bank.example');
  });

  test.each([
    ['DEVELOPER_PORTAL_SESSION_SECRET', { DEVELOPER_PORTAL_SESSION_SECRET: undefined }],
    ['DEVELOPER_PORTAL_SESSION_SECRET', { DEVELOPER_PORTAL_SESSION_SECRET: DEMO_SESSION_SECRET }],
    ['DEVELOPER_PORTAL_URL', { DEVELOPER_PORTAL_URL: undefined }],
    ['DEVELOPER_PORTAL_URL', { DEVELOPER_PORTAL_URL: 'http://developers.bank.example' }],
    ['PAYAPI_ENVIRONMENT', { PAYAPI_ENVIRONMENT: 'sandbox' }],
    ['WEBHOOK_SECRETS_KEY', { WEBHOOK_SECRETS_KEY: undefined }],
  ])('production refuses a bad or missing %s', (variable, change) => {
    const thrown = (() => {
      try {
        loadDeveloperPortalConfig({ ...production, ...change });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
  });

  test.each([
    ['DEVELOPER_PORTAL_SESSION_SECRET', { DEVELOPER_PORTAL_SESSION_SECRET: 'short' }],
    ['PORT', { PORT: '70000' }],
    ['TRUST_PROXY_HOPS', { TRUST_PROXY_HOPS: '-1' }],
    ['DEVELOPER_PORTAL_URL', { DEVELOPER_PORTAL_URL: 'ftp://x' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
  ])('refuses a malformed %s in any mode', (variable, env) => {
    expect(() => loadDeveloperPortalConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });
});
