/**
 * Issue 17: the OpenAPI document covered only the resource API. The authorization server serves its
 * own (`GET /openapi.json`) for the endpoints a partner's backend calls, and it follows discovery.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestAuthServer } from '../testing/index.ts';
import type { TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;

beforeAll(async () => {
  server = await startTestAuthServer();
});
afterAll(async () => {
  await server.close();
});

interface Document {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, { content?: Record<string, { schema: { allOf?: Array<{ properties?: { error?: { enum: string[] } } }> } }> }> }>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
}

describe('GET /openapi.json on the authorization server', () => {
  test('describes token, introspection, revocation, registration and PAR at the URLs discovery names', async () => {
    const response = await fetch(`${server.issuer}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    // The resource API's /docs (another origin) loads it.
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const document = await response.json() as Document;
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers.map((entry) => entry.url)).toEqual([server.issuer]);

    const discovery = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json() as Record<string, string>;
    const endpoints = ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'registration_endpoint', 'pushed_authorization_request_endpoint'];
    const documented = endpoints.map((name) => new URL(discovery[name] as string).pathname);
    expect(documented).toEqual(['/token', '/token/introspection', '/token/revocation', '/reg', '/request']);
    expect(Object.keys(document.paths).sort()).toEqual([...documented].sort());
    for (const path of documented) expect(Object.keys(document.paths[path] ?? {})).toEqual(['post']);
  });

  test('names the OAuth error codes each endpoint answers, invalid_scope at the token endpoint included', async () => {
    const document = await (await fetch(`${server.issuer}/openapi.json`)).json() as Document;
    const errors = (path: string, status: string): string[] =>
      document.paths[path]?.post?.responses[status]?.content?.['application/json']?.schema.allOf?.[1]?.properties?.error?.enum ?? [];
    expect(errors('/token', '400')).toEqual(expect.arrayContaining(['invalid_grant', 'invalid_scope', 'invalid_request']));
    expect(errors('/token', '401')).toEqual(['invalid_client']);
    expect(errors('/reg', '400')).toEqual(expect.arrayContaining(['invalid_redirect_uri', 'invalid_client_metadata']));
    expect(errors('/reg', '401')).toEqual(['invalid_token']);
    expect(document.paths['/reg']?.post?.security).toEqual([{ initialAccessToken: [] }]);
    expect(document.components.securitySchemes.clientSecretBasic).toMatchObject({ type: 'http', scheme: 'basic' });
  });
});
