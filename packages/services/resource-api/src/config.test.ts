import { describe, expect, test } from '@jest/globals';
import { loadResourceApiConfig } from './config.ts';

describe('loadResourceApiConfig', () => {
  test('defaults to the documented URLs and port, with explicit limits', () => {
    const config = loadResourceApiConfig({ DATABASE_URL: 'postgres://u@localhost:5432/db' });
    expect(config.publicUrl).toBe('http://localhost:4001');
    expect(config.issuer).toBe('http://localhost:4000');
    expect(config.port).toBe(4001);
    expect(config.bodyLimitBytes).toBe(65_536);
    expect(config.clockToleranceSeconds).toBeLessThanOrEqual(30);
    expect(config.corsOrigins).toEqual([]);
  });

  test('reads PORT, LOG_LEVEL, CORS_ORIGINS and trims a trailing slash of the URLs', () => {
    const config = loadResourceApiConfig({ RESOURCE_API_URL: 'https://api.example/', AUTH_ISSUER: 'https://auth.example', PORT: '8080', LOG_LEVEL: 'warn', CORS_ORIGINS: 'https://app.example, https://b.example', DATABASE_URL: 'postgres://u@db:5432/x' });
    expect([config.publicUrl, config.port, config.logLevel, config.corsOrigins]).toEqual(['https://api.example', 8080, 'warn', ['https://app.example', 'https://b.example']]);
  });

  test.each([
    [{ RESOURCE_API_URL: 'not a url' }, /^RESOURCE_API_URL: /],
    [{ AUTH_ISSUER: 'http://auth.example?x=1' }, /^AUTH_ISSUER: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
    [{ NODE_ENV: 'production' }, /^DATABASE_URL: /],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@db:5432/x', AUTH_ISSUER: 'http://auth.example' }, /^AUTH_ISSUER: .*https/],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadResourceApiConfig(env)).toThrow(message);
  });
});
