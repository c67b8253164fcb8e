import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, jest, test } from '@jest/globals';

// Jest must run TypeScript and the ESM-only libraries the services are built on. This file loads
// each of them for real and makes them talk to one another, so a broken transform fails here first.
describe('ESM-only dependencies under jest', () => {
  test('jose signs an ES256 JWT that it then verifies', async () => {
    const jose = await import('jose');
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256');
    const jwt = await new jose.SignJWT({ scope: 'accounts:read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setIssuer('http://localhost:4000')
      .setAudience('http://localhost:4001')
      .setExpirationTime('5m')
      .sign(privateKey);
    const { payload, protectedHeader } = await jose.jwtVerify(jwt, publicKey, {
      issuer: 'http://localhost:4000',
      audience: 'http://localhost:4001',
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.scope).toBe('accounts:read');
  });

  test('openid-client discovers an oidc-provider issuer served over HTTP', async () => {
    const { Provider } = await import('oidc-provider');
    const client = await import('openid-client');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const jose = await import('jose');
    const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const signingKey = { ...(await jose.exportJWK(privateKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    // The provider warns that its in-memory adapter is for development only: expected here.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const provider = new Provider(issuer, {
      jwks: { keys: [signingKey] },
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      features: { devInteractions: { enabled: false } },
    });
    warn.mockRestore();
    server.on('request', provider.callback());
    try {
      const config = await client.discovery(new URL(issuer), 'toolchain-check', undefined, undefined, {
        execute: [client.allowInsecureRequests],
      });
      expect(config.serverMetadata().issuer).toBe(issuer);
      expect(config.serverMetadata().token_endpoint).toBe(`${issuer}/token`);
      const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> };
      expect(jwks.keys.map((key) => key.kid)).toEqual(['k1']);
      expect(jwks.keys[0]?.d).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
