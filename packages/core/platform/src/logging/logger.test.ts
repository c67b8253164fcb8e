import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { ConfigError } from '../config-error.ts';
import { assignInteractionId } from './interaction-id.ts';
import { createLogger, readLogLevel, serializeError } from './logger.ts';
import { loggablePath, requestLogger } from './request-log.ts';

/** A logger at `level` whose lines land in the returned array. */
function capture(level: 'info' | 'warn' = 'info'): { lines: () => Array<Record<string, unknown>>; logger: ReturnType<typeof createLogger> } {
  const written: string[] = [];
  const logger = createLogger('test-service', level, new Writable({ write: (chunk: Buffer, _encoding, done) => { written.push(chunk.toString('utf8')); done(); } }));
  return { logger, lines: () => written.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('LOG_LEVEL', () => {
  test('is info when unset or empty, any pino level or silent when set', () => {
    expect(readLogLevel(undefined)).toBe('info');
    expect(readLogLevel('')).toBe('info');
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) expect(readLogLevel(level)).toBe(level);
  });

  test('refuses anything else with a ConfigError naming LOG_LEVEL', () => {
    expect(() => readLogLevel('loud')).toThrow(ConfigError);
    expect(() => readLogLevel('INFO')).toThrow(/^LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent$/);
  });
});

describe('the logger', () => {
  test('names the service on every line instead of pid and hostname', () => {
    const { logger, lines } = capture();
    logger.info('hello');
    expect(lines()[0]).toMatchObject({ level: 30, service: 'test-service', msg: 'hello' });
    expect(lines()[0]).not.toHaveProperty('pid');
  });

  test('logs an error with its type, message, stack and code, and nothing else it carries', () => {
    const error = Object.assign(new Error('duplicate key value'), { code: '23505', detail: 'Key (username)=(alice) already exists.', bindings: ['secret'] });
    const serialized = serializeError(error);
    expect(Object.keys(serialized).sort()).toEqual(['code', 'message', 'stack', 'type']);
    expect(serialized).toMatchObject({ type: 'Error', message: 'duplicate key value', code: '23505' });
    expect(serializeError('a string')).toEqual({ type: 'string', message: 'a string', stack: undefined });
    const { logger, lines } = capture();
    logger.error({ err: error }, 'failed');
    expect(JSON.stringify(lines())).not.toMatch(/alice|secret/);
  });
});

describe('the request log', () => {
  test('writes one line per answer with the shared fields, and the path without its query', async () => {
    const { logger, lines } = capture();
    const log = requestLogger(logger, { clientIdOf: () => 'client-1' });
    const server = createServer((req, res) => {
      assignInteractionId(req, res);
      log(req, res);
      res.statusCode = 204;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await fetch(`http://127.0.0.1:${port}/v1/accounts/acc_0123456789abcdef0123456789abcdef/balance?access_token=secret`, {
        headers: { authorization: 'Bearer secret', 'x-fapi-interaction-id': 'interaction-1' },
      });
      expect(answer.headers.get('x-fapi-interaction-id')).toBe('interaction-1');
      await new Promise((resolve) => setImmediate(resolve));
      const [line] = lines();
      expect(line).toMatchObject({
        level: 30, service: 'test-service', interactionId: 'interaction-1', clientId: 'client-1',
        req: { method: 'GET', path: '/v1/accounts/acc_…cdef/balance?[query omitted]' }, res: { statusCode: 204 }, msg: 'request completed',
      });
      expect(Object.keys(line ?? {}).sort()).toEqual(['clientId', 'interactionId', 'level', 'msg', 'req', 'reqId', 'res', 'responseTime', 'service', 'time']);
      expect(JSON.stringify(lines())).not.toContain('secret');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('at LOG_LEVEL=warn a 2xx writes no line and a 5xx still writes its error line with every shared field; req.log carries reqId', async () => {
    const { logger, lines } = capture('warn');
    const log = requestLogger(logger, { clientIdOf: () => 'client-2' });
    const server = createServer((req, res) => {
      assignInteractionId(req, res);
      log(req, res);
      const failing = req.url?.startsWith('/fail') === true;
      if (failing) (req as typeof req & { log: { warn: (message: string) => void } }).log.warn('about to fail');
      res.statusCode = failing ? 503 : 200;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await fetch(`http://127.0.0.1:${port}/ok`, { headers: { 'x-fapi-interaction-id': 'interaction-ok' } });
      await fetch(`http://127.0.0.1:${port}/fail?x=1`, { headers: { 'x-fapi-interaction-id': 'interaction-2' } });
      await new Promise((resolve) => setImmediate(resolve));
      const [warning, failed, ...rest] = lines();
      expect(rest).toEqual([]);
      expect(warning).toMatchObject({ level: 40, msg: 'about to fail', reqId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(Object.keys(warning ?? {}).sort()).toEqual(['level', 'msg', 'reqId', 'service', 'time']);
      expect(failed).toMatchObject({
        level: 50, service: 'test-service', reqId: warning?.reqId, interactionId: 'interaction-2', clientId: 'client-2',
        req: { method: 'GET', path: '/fail?[query omitted]' }, res: { statusCode: 503 }, msg: 'request errored',
        err: { type: 'Error', message: 'failed with status code 503' },
      });
      expect(Object.keys(failed ?? {}).sort()).toEqual(['clientId', 'err', 'interactionId', 'level', 'msg', 'req', 'reqId', 'res', 'responseTime', 'service', 'time']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('masks account ids, also percent-encoded ones, and keeps a malformed escape as it is', () => {
    expect(loggablePath('/v1/accounts/%61cc_0123456789abcdef0123456789abcdef')).toBe('/v1/accounts/acc_…cdef');
    expect(loggablePath('/a%zz?x=1')).toBe('/a%zz?[query omitted]');
    expect(loggablePath('/healthz')).toBe('/healthz');
  });
});
