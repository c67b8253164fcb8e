import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import Koa from 'koa';
import { requireIssuerHost } from './require-issuer-host.ts';

let direct: Server;
let proxied: Server;

/** A Koa app answering 200 "ok" behind the check, for an https issuer on the default port. */
async function start(proxy: boolean): Promise<Server> {
  const app = new Koa();
  app.proxy = proxy;
  app.use(requireIssuerHost('https://auth.bank.example'));
  app.use((ctx) => {
    ctx.body = 'ok';
  });
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

beforeAll(async () => {
  direct = await start(false);
  proxied = await start(true);
});
afterAll(async () => {
  await Promise.all([direct, proxied].map((server) => new Promise((resolve) => server.close(resolve))));
});

async function statusFor(server: Server, headers: Record<string, string>, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('requireIssuerHost', () => {
  test.each([
    ['the issuer host', 'auth.bank.example', 200],
    ['another case and the default port written out', 'AUTH.Bank.Example:443', 200],
    ['another port', 'auth.bank.example:8443', 421],
    ['another host', 'evil.example', 421],
    ['a subdomain of the issuer host', 'evil.auth.bank.example', 421],
    ['the issuer host as userinfo before another host', 'auth.bank.example@evil.example', 421],
    // Koa drops userinfo from ctx.host, so oidc-provider too builds its URLs on the issuer host.
    ['userinfo before the issuer host', 'x@auth.bank.example', 200],
    ['a path after the issuer host', 'auth.bank.example/x', 421],
    ['a loopback alias', '127.0.0.1', 421],
  ])('a Host header with %s gets %s', async (_label, host, status) => {
    expect(await statusFor(direct, { host })).toBe(status);
  });

  test('the host accepted last is remembered as accepted, never another: bad hosts between good ones still get 421', async () => {
    const sequence: Array<[string, number]> = [
      ['auth.bank.example', 200], ['evil.example', 421], ['auth.bank.example', 200], ['AUTH.BANK.EXAMPLE', 200],
      ['auth.bank.example:8443', 421], ['AUTH.BANK.EXAMPLE', 200], ['auth.bank.example.', 421],
    ];
    const statuses: number[] = [];
    for (const [host] of sequence) statuses.push(await statusFor(direct, { host }));
    expect(statuses).toEqual(sequence.map(([, status]) => status));
  });

  test('without trusted proxies X-Forwarded-Host is ignored; with them it is the host checked', async () => {
    expect(await statusFor(direct, { host: 'auth.bank.example', 'x-forwarded-host': 'evil.example' })).toBe(200);
    expect(await statusFor(proxied, { host: 'auth.bank.example', 'x-forwarded-host': 'evil.example' })).toBe(421);
    expect(await statusFor(proxied, { host: 'internal:8080', 'x-forwarded-host': 'auth.bank.example' })).toBe(200);
  });

  test.each([
    ['another host', 'http://evil.example/.well-known/openid-configuration', 421],
    ['another host over https', 'https://evil.example:8443/.well-known/openid-configuration', 421],
    ['the issuer', 'https://auth.bank.example/.well-known/openid-configuration', 200],
    ['the issuer host on another port', 'https://auth.bank.example:8443/x', 421],
  ])('finding 8, review of the fix: an absolute-form request target for %s (%s) gets %s, whatever the Host header', async (_label, target, status) => {
    expect(await statusFor(direct, { host: 'auth.bank.example' }, target)).toBe(status);
  });
});
