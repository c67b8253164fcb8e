import { describe, expect, test } from '@jest/globals';
import { DEMO_PARTNER_CLIENT_SECRET, loadPartnerDemoConfig } from './config.ts';
import { SessionStore, readCookie, signSessionId, verifySessionCookie } from './sessions.ts';

const SECRET = 'partner-demo-test-session-secret-0123456789';

describe('session cookie', () => {
  test('accepts its own signature and refuses a changed id or signature', () => {
    const value = signSessionId('abc', SECRET);
    expect(verifySessionCookie(value, SECRET)).toBe('abc');
    expect(verifySessionCookie(value.replace('abc', 'abd'), SECRET)).toBeUndefined();
    expect(verifySessionCookie(`${value}x`, SECRET)).toBeUndefined();
    expect(verifySessionCookie(value, `${SECRET}-other`)).toBeUndefined();
    expect(verifySessionCookie('no-signature', SECRET)).toBeUndefined();
  });

  test('reads one cookie out of a Cookie header', () => {
    expect(readCookie('a=1; partner_demo_session=x.y; b=2', 'partner_demo_session')).toBe('x.y');
    expect(readCookie(undefined, 'a')).toBeUndefined();
  });
});

describe('SessionStore', () => {
  test('forgets the least recently used session past its size limit', () => {
    const store = new SessionStore({ sessionsMax: 2 });
    const first = store.create();
    const second = store.create();
    store.get(first.id);
    store.create();
    expect(store.get(second.id)).toBeUndefined();
    expect(store.get(first.id)).toBe(first);
  });
});

describe('loadPartnerDemoConfig', () => {
  test('demo mode defaults the client secret to the public demo value, with a warning', () => {
    const config = loadPartnerDemoConfig({});
    expect(config.clientSecret).toBe(DEMO_PARTNER_CLIENT_SECRET);
    expect(config.port).toBe(4002);
    expect(config.warnings.join('\n')).toMatch(/PARTNER_DEMO_CLIENT_SECRET/);
  });

  test('production refuses missing settings and the demo secret, naming the variable', () => {
    const production = {
      NODE_ENV: 'production', PARTNER_DEMO_URL: 'https://partner.example', AUTH_ISSUER: 'https://bank.example',
      RESOURCE_API_URL: 'https://api.bank.example', PARTNER_DEMO_CLIENT_SECRET: 's'.repeat(40), PARTNER_DEMO_SESSION_SECRET: 't'.repeat(40),
    };
    expect(loadPartnerDemoConfig(production).warnings).toEqual([]);
    expect(() => loadPartnerDemoConfig({ ...production, PARTNER_DEMO_CLIENT_SECRET: undefined })).toThrow(/PARTNER_DEMO_CLIENT_SECRET/);
    expect(() => loadPartnerDemoConfig({ ...production, PARTNER_DEMO_CLIENT_SECRET: DEMO_PARTNER_CLIENT_SECRET })).toThrow(/PARTNER_DEMO_CLIENT_SECRET/);
    expect(() => loadPartnerDemoConfig({ ...production, PARTNER_DEMO_SESSION_SECRET: 'short' })).toThrow(/PARTNER_DEMO_SESSION_SECRET/);
    expect(() => loadPartnerDemoConfig({ ...production, AUTH_ISSUER: 'http://bank.example' })).toThrow(/AUTH_ISSUER/);
  });
});
