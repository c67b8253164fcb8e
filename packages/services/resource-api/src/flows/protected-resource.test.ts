/**
 * Issue 17: `/.well-known/oauth-protected-resource` (RFC 9728) was 404. The API serves its protected
 * resource metadata there, and every challenge names it (`resource_metadata`, RFC 9728 §5.1), so a
 * client that meets a 401 can find the authorization server from the answer alone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import * as oauth from 'oauth4webapi';
import { protectedResourceMetadataUrl } from '../discovery/protected-resource.ts';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, TestApi } from '../testing/index.ts';

let api: TestApi;
let alice: Alice;

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  expect(api.responseErrors).toEqual([]);
});

describe('GET /.well-known/oauth-protected-resource', () => {
  test('names the resource, its authorization server, the scopes, header-only tokens, DPoP and the docs', async () => {
    const answer = await call(api, 'GET', '/.well-known/oauth-protected-resource');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer.body).toEqual({
      resource: api.url,
      authorization_servers: [api.auth.issuer],
      scopes_supported: ['accounts:read', 'transactions:read', 'transfers:write', 'payments:write', 'webhooks:manage'],
      bearer_methods_supported: ['header'],
      resource_name: 'Payment open API',
      resource_documentation: `${api.url}/docs`,
      dpop_signing_alg_values_supported: ['ES256', 'PS256', 'EdDSA'],
      dpop_bound_access_tokens_required: false,
      authorization_details_types_supported: ['payment_initiation', 'payment_mandate'],
    });
  });

  test('the authorization server it names is the one whose discovery issues the tokens', async () => {
    const metadata = (await call(api, 'GET', '/.well-known/oauth-protected-resource')).body as { authorization_servers: string[] };
    const discovery = await (await fetch(`${metadata.authorization_servers[0]}/.well-known/oauth-authorization-server`)).json() as { issuer: string; scopes_supported: string[] };
    expect(discovery.issuer).toBe(api.auth.issuer);
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['accounts:read', 'webhooks:manage']));
  });

  test('oauth4webapi (openid-client\'s protocol layer) discovers and validates it (RFC 9728 §3.3: resource matches the URL asked for)', async () => {
    const identifier = new URL(api.url);
    const response = await oauth.resourceDiscoveryRequest(identifier, { [oauth.allowInsecureRequests]: true });
    const metadata = await oauth.processResourceDiscoveryResponse(identifier, response);
    expect(metadata.authorization_servers).toEqual([api.auth.issuer]);
  });
});

describe('challenges name the metadata (RFC 9728 §5.1)', () => {
  const metadataUrl = (): string => `${api.url}/.well-known/oauth-protected-resource`;

  test('a call without a token: both challenges carry resource_metadata', async () => {
    const answer = await call(api, 'GET', '/v1/accounts');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", error_description="an access token is required in the Authorization header", resource_metadata="${metadataUrl()}", `
      + `DPoP algs="ES256 PS256 EdDSA", resource_metadata="${metadataUrl()}"`,
    );
  });

  test('a 403 for a missing scope carries it too, and it leads to the metadata', async () => {
    const partner = await connect(api, alice, { scope: 'openid transactions:read' });
    const answer = await call(api, 'GET', '/v1/accounts', { token: partner.accessToken });
    expect(answer.status).toBe(403);
    const url = /resource_metadata="([^"]+)"/.exec(answer.headers.get('www-authenticate') ?? '')?.[1];
    expect(url).toBe(metadataUrl());
    expect((await fetch(url as string)).status).toBe(200);
  });
});

describe('protectedResourceMetadataUrl (RFC 9728 §3.1)', () => {
  test('puts the well-known path between the host and the resource\'s path', () => {
    expect(protectedResourceMetadataUrl('https://api.example')).toBe('https://api.example/.well-known/oauth-protected-resource');
    expect(protectedResourceMetadataUrl('https://api.example:8443/bank')).toBe('https://api.example:8443/.well-known/oauth-protected-resource/bank');
  });
});
