import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { createLogger } from '@payapi/platform';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { logProviderEvents } from './provider-events.ts';

/** A stand-in provider (only its events are used) and the lines its logger wrote. */
function setUp(): { provider: EventEmitter; lines: () => Array<Record<string, unknown>> } {
  const written: string[] = [];
  const logger = createLogger('auth-server', 'info', new Writable({ write: (chunk: Buffer, _encoding, done) => { written.push(chunk.toString('utf8')); done(); } }));
  const provider = new EventEmitter();
  logProviderEvents(provider as unknown as Provider, logger);
  return { provider, lines: () => written.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const ctx = { req: {}, oidc: { route: 'token' } };

describe('oidc-provider events in the log', () => {
  test('server_error is an error line with the stack, and without what the error carries besides', () => {
    const { provider, lines } = setUp();
    const error = Object.assign(new Error('relation "auth.oidc_store" does not exist'), { detail: 'client_secret=top-secret', params: { client_secret: 'top-secret' } });
    provider.emit('server_error', ctx, error);
    const [line] = lines();
    expect(line).toMatchObject({ level: 50, msg: 'server_error', route: 'token', err: { type: 'Error', message: 'relation "auth.oidc_store" does not exist' } });
    expect((line?.err as { stack?: string }).stack).toMatch(/provider-events\.test\.ts/);
    expect(JSON.stringify(lines())).not.toContain('top-secret');
  });

  test('an OAuth error answered to the client is an info line with its code only', () => {
    const { provider, lines } = setUp();
    provider.emit('grant.error', ctx, new errors.InvalidGrant('refresh token top-secret was reused'));
    expect(lines()).toEqual([expect.objectContaining({ level: 30, event: 'grant.error', error: 'invalid_grant', route: 'token', msg: 'OAuth error answered' })]);
    expect(JSON.stringify(lines())).not.toContain('top-secret');
  });

  test('an exception in one of our routes is an error line; 404s and exposed client errors are not logged, as with Koa\'s own handler', () => {
    const { provider, lines } = setUp();
    provider.emit('error', Object.assign(new Error('not found'), { status: 404 }), ctx);
    provider.emit('error', Object.assign(new Error('bad form'), { status: 400, expose: true }), ctx);
    provider.emit('error', new Error('database gone'), ctx);
    expect(lines()).toEqual([expect.objectContaining({ level: 50, msg: 'unexpected error while answering', err: expect.objectContaining({ message: 'database gone' }) })]);
  });
});
