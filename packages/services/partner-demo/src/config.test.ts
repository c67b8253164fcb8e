import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { DEMO_PARTNER_CLIENT_SECRET, PartnerDemoConfigError, loadPartnerDemoConfig } from './config.ts';

const PRODUCTION = {
  NODE_ENV: 'production',
  PARTNER_DEMO_URL: 'https://partner.example',
  AUTH_ISSUER: 'https://auth.bank.example',
  RESOURCE_API_URL: 'https://api.bank.example',
  PARTNER_DEMO_CLIENT_SECRET: 'production-partner-secret-0123456789abcdef',
  PARTNER_DEMO_SESSION_SECRET: 'production-session-secret-0123456789abcdef',
};

function refusal(env: Record<string, string | undefined>): PartnerDemoConfigError {
  try {
    loadPartnerDemoConfig(env);
  } catch (error) {
    if (error instanceof PartnerDemoConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('SECURITY_PROFILE in the partner demo', () => {
  test('default: the client secret, no key', () => {
    const config = loadPartnerDemoConfig({});
    expect(config).toMatchObject({ securityProfile: 'default', clientSecret: DEMO_PARTNER_CLIENT_SECRET, clientKey: undefined });
  });

  test('fapi2 without PARTNER_DEMO_CLIENT_KEY outside production: a P-256 key made at start, a new one each time, with a warning', () => {
    const first = loadPartnerDemoConfig({ SECURITY_PROFILE: 'fapi2' });
    const second = loadPartnerDemoConfig({ SECURITY_PROFILE: 'fapi2' });
    expect(first.clientKey).toMatchObject({ alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', use: 'sig', kid: expect.stringMatching(/^partner-demo-/) } });
    expect(first.clientKey?.publicJwk).not.toHaveProperty('d');
    expect(first.clientKey?.privateJwk.d).toEqual(expect.any(String));
    expect(second.clientKey?.publicJwk.x).not.toBe(first.clientKey?.publicJwk.x);
    expect(first.warnings.some((warning) => warning.startsWith('PARTNER_DEMO_CLIENT_KEY is unset'))).toBe(true);
    expect(first.warnings.some((warning) => warning.startsWith('PARTNER_DEMO_CLIENT_SECRET'))).toBe(false);
  });

  test.each([
    ['P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256'],
    ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'PS256'],
    ['Ed25519', generateKeyPairSync('ed25519').privateKey, 'EdDSA'],
  ])('fapi2 reads a %s private JWK from PARTNER_DEMO_CLIENT_KEY; its public half is what the bank holds', (_label, privateKey, alg) => {
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'partner-2026' };
    const config = loadPartnerDemoConfig({ ...PRODUCTION, PARTNER_DEMO_CLIENT_SECRET: undefined, SECURITY_PROFILE: 'fapi2', PARTNER_DEMO_CLIENT_KEY: JSON.stringify(jwk) });
    expect(config.clientKey?.alg).toBe(alg);
    expect(config.clientKey?.publicJwk).toEqual({ ...createPublicKey(privateKey).export({ format: 'jwk' }), kid: 'partner-2026', use: 'sig' });
    expect(config.warnings).toEqual([]);
  });

  test.each([
    ['SECURITY_PROFILE is unknown', { SECURITY_PROFILE: 'fapi' }, 'SECURITY_PROFILE', /must be default or fapi2/],
    ['fapi2 in production has no key', { ...PRODUCTION, SECURITY_PROFILE: 'fapi2' }, 'PARTNER_DEMO_CLIENT_KEY', /required in production/],
    ['the key is not JSON', { SECURITY_PROFILE: 'fapi2', PARTNER_DEMO_CLIENT_KEY: 'not json' }, 'PARTNER_DEMO_CLIENT_KEY', /private JWK/],
    ['the key is a public key', { SECURITY_PROFILE: 'fapi2', PARTNER_DEMO_CLIENT_KEY: JSON.stringify(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })) },
      'PARTNER_DEMO_CLIENT_KEY', /with its "d"/],
    ['the key is a P-384 key', { SECURITY_PROFILE: 'fapi2', PARTNER_DEMO_CLIENT_KEY: JSON.stringify(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' })) },
      'PARTNER_DEMO_CLIENT_KEY', /P-256, RSA/],
    ['the payee is not an account id', { PARTNER_DEMO_PAYEE_ACCOUNT_ID: 'acc 1; drop' }, 'PARTNER_DEMO_PAYEE_ACCOUNT_ID', /must be an account id/],
  ])('refuses to start when %s, naming the variable', (_label, env, variable, message) => {
    const error = refusal(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });

  test('production with the default profile still needs the client secret, not a key', () => {
    expect(refusal({ ...PRODUCTION, PARTNER_DEMO_CLIENT_SECRET: undefined }).variable).toBe('PARTNER_DEMO_CLIENT_SECRET');
    expect(loadPartnerDemoConfig(PRODUCTION).clientKey).toBeUndefined();
  });

  test('PARTNER_DEMO_PAYEE_ACCOUNT_ID is read as given, empty when unset', () => {
    expect(loadPartnerDemoConfig({}).payeeAccountId).toBe('');
    expect(loadPartnerDemoConfig({ PARTNER_DEMO_PAYEE_ACCOUNT_ID: 'acc_0123abcd' }).payeeAccountId).toBe('acc_0123abcd');
  });
});
