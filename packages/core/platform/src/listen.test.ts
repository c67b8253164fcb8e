import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Server } from 'node:http';
import { listenOn } from './listen.ts';

let server: Server;
let port: number;

beforeAll(async () => {
  server = await listenOn(createServer((_req, res) => res.end('ok')), 0, 'test server');
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends raw bytes and reads the whole answer until the server closes the connection. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let answer = '';
    socket.on('data', (chunk) => { answer += chunk.toString('utf8'); });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('listenOn and requests the HTTP parser refuses', () => {
  test('headers over 16 KiB get 431 with a problem document', async () => {
    const answer = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(head).toContain('Content-Type: application/problem+json');
    expect(JSON.parse(body)).toEqual({
      type: 'about:blank', title: 'Request Header Fields Too Large', status: 431,
      detail: 'the request headers are larger than 16 KiB', code: 'request_header_fields_too_large',
    });
  });

  test('with a problem type base, the problem\'s type is the page of its code', async () => {
    const withPages = await listenOn(createServer((_req, res) => res.end('ok')), 0, 'test server', { problemTypeBase: 'https://api.example/problems/' });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect((withPages.address() as AddressInfo).port, '127.0.0.1', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
        let text = '';
        socket.on('data', (chunk) => { text += chunk.toString('utf8'); });
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
      expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toMatchObject({ type: 'https://api.example/problems/invalid_request', code: 'invalid_request' });
    } finally {
      await new Promise((resolve) => withPages.close(resolve));
    }
  });

  test('a request that is not HTTP gets 400 invalid_request, and well-formed requests are untouched', async () => {
    const answer = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toMatchObject({ status: 400, code: 'invalid_request' });
    const fine = await raw('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(fine.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(fine.endsWith('ok')).toBe(true);
  });
});

describe('listenOn and the listen address (LISTEN_ADDRESS)', () => {
  test('listens on every interface by default and only on the given address when one is given', async () => {
    expect((server.address() as AddressInfo).address).toMatch(/^(::|0\.0\.0\.0)$/);
    const loopbackOnly = await listenOn(createServer((_req, res) => res.end('ok')), 0, 'loopback server', { address: '127.0.0.1' });
    try {
      expect((loopbackOnly.address() as AddressInfo).address).toBe('127.0.0.1');
    } finally {
      await new Promise((resolve) => loopbackOnly.close(resolve));
    }
  });
});
