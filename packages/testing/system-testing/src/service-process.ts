import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '@payapi/platform';

/** The services that run on their own, by their entry point under `packages/`. */
export type ServiceName = 'auth-server' | 'resource-api';

const ENTRY: Record<ServiceName, string> = {
  'auth-server': 'packages/services/auth-server/src/main.ts',
  'resource-api': 'packages/services/resource-api/src/main.ts',
};

/** A URL on the service that answers 200 once it serves requests. */
const READY_PATH: Record<ServiceName, string> = {
  'auth-server': '/.well-known/openid-configuration',
  'resource-api': '/healthz',
};

const OUTPUT_LINES_KEPT = 60;

/** A service running as a child process of this one (`node packages/services/<name>/src/main.ts`). */
export interface ServiceProcess {
  name: ServiceName;
  /** Its public base URL (the URL it was configured with). */
  url: string;
  pid: number;
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  exited: Promise<number | string>;
  /**
   * Peak resident set size in bytes so far (`VmHWM` of /proc/PID/status, Linux only); undefined
   * once the process has exited or where /proc is missing.
   */
  peakRssBytes(): number | undefined;
  /** The last lines the process wrote to stdout and stderr (for failure messages). */
  output(): string;
  /** `kill -9`: no shutdown code runs (open transactions are left to PostgreSQL to roll back). */
  crash(): Promise<void>;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/**
 * Starts `node <entry>` of a service with exactly `env` (plus PATH and HOME) and waits until its
 * ready URL answers 200.
 *
 * @param url the service's public base URL; its port must be the one `env.PORT` (or the URL) names
 * @throws {Error} with the process's last output when it exits or is not ready within `readyTimeoutMs`
 */
export async function startServiceProcess(
  name: ServiceName,
  url: string,
  env: Readonly<Record<string, string>>,
  options: { readyTimeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ENTRY[name]], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > OUTPUT_LINES_KEPT) lines.splice(0, lines.length - OUTPUT_LINES_KEPT);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const service: ServiceProcess = {
    name,
    url,
    pid: child.pid as number,
    exited,
    peakRssBytes: () => (running ? readPeakRss(child) : undefined),
    output: () => lines.join('\n'),
    async crash() {
      if (running) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitReady(`${url}${READY_PATH[name]}`, exited, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await service.stop();
    throw new Error(`${name} did not start: ${(error as Error).message}\n${service.output()}`);
  }
  return service;
}

async function waitReady(readyUrl: string, exited: Promise<number | string>, timeoutMs: number): Promise<void> {
  let hasExited: number | string | undefined;
  void exited.then((code) => { hasExited = code; });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited !== undefined) throw new Error(`exited (${hasExited})`);
    try {
      const response = await fetch(readyUrl, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${readyUrl} did not answer 200 within ${timeoutMs} ms`);
}

function readPeakRss(child: ChildProcess): number | undefined {
  try {
    const status = readFileSync(join('/proc', String(child.pid), 'status'), 'utf8');
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** A TCP port that was free a moment ago (the OS picks it); for services started right after. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
