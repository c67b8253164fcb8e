import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEBHOOK_WORKER_APPLICATION_NAME } from '@payapi/events';
import { SERVICE_RUNTIME_ENV, createDatabase, repoRoot } from '@payapi/platform';

/** The processes that run on their own, by their entry point under `packages/`. */
export type ServiceName = 'auth-server' | 'resource-api' | 'webhook-worker';

const ENTRY: Record<ServiceName, string> = {
  'auth-server': 'packages/services/auth-server/src/main.ts',
  'resource-api': 'packages/services/resource-api/src/main.ts',
  'webhook-worker': 'packages/core/events/src/main.ts',
};

/**
 * How to tell that a process is ready: a URL on the service that answers 200 once it serves
 * requests, or, for the webhook worker (which answers no HTTP), a connection of its own to its
 * database (`application_name`), opened after the process was started: it migrates under another
 * name, so this one means it has migrated and claims.
 */
const READY: Record<ServiceName, { path: string } | { applicationName: string }> = {
  'auth-server': { path: '/.well-known/openid-configuration' },
  'resource-api': { path: '/healthz' },
  'webhook-worker': { applicationName: WEBHOOK_WORKER_APPLICATION_NAME },
};

const OUTPUT_LINES_KEPT = 60;

/** A service running as a child process of this one (`node packages/services/<name>/src/main.ts`, or the worker's). */
export interface ServiceProcess {
  name: ServiceName;
  /** Its public base URL (the URL it was configured with); empty for the webhook worker, which serves no HTTP. */
  url: string;
  /**
   * Where its `/metrics` is: `http://METRICS_HOST:METRICS_PORT/metrics` when its environment names
   * `METRICS_PORT` (production's metrics port), else `${url}/metrics`.
   */
  metricsUrl: string;
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
 * Starts `node <entry>` of a service with exactly `env` (plus PATH and HOME) and waits until it is
 * ready: its ready URL answers 200, or (the webhook worker) it has connected to `env.DATABASE_URL`.
 *
 * @param url the service's public base URL; its port must be the one `env.PORT` (or the URL) names
 *   (empty for the webhook worker)
 * @throws {Error} with the process's last output when it exits or is not ready within `readyTimeoutMs`
 */
export async function startServiceProcess(
  name: ServiceName,
  url: string,
  env: Readonly<Record<string, string>>,
  options: { readyTimeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<ServiceProcess> {
  const ready = READY[name];
  const connected = 'applicationName' in ready ? await connectionWatcher(env.DATABASE_URL, ready.applicationName) : undefined;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ENTRY[name]], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...SERVICE_RUNTIME_ENV, ...env },
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
    metricsUrl: env.METRICS_PORT ? `http://${env.METRICS_HOST || '127.0.0.1'}:${env.METRICS_PORT}/metrics` : `${url}/metrics`,
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
    const readyUrl = `${url}${'path' in ready ? ready.path : ''}`;
    const probe = connected ?? Object.assign(() => answers200(readyUrl), { what: `${readyUrl} did not answer 200` });
    await waitReady(probe, exited, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await service.stop();
    throw new Error(`${name} did not start: ${(error as Error).message}\n${service.output()}`);
  } finally {
    await connected?.close();
  }
  return service;
}

/** A readiness probe: resolves true once ready, and says what it waits for. */
type ReadyProbe = (() => Promise<boolean>) & { what?: string };

async function waitReady(probe: ReadyProbe, exited: Promise<number | string>, timeoutMs: number): Promise<void> {
  let hasExited: number | string | undefined;
  void exited.then((code) => { hasExited = code; });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited !== undefined) throw new Error(`exited (${hasExited})`);
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not ready within ${timeoutMs} ms (${probe.what ?? 'no answer'})`);
}

/** True when `readyUrl` answers 200. */
async function answers200(readyUrl: string): Promise<boolean> {
  try {
    const response = await fetch(readyUrl, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false; // not listening yet
  }
}

/**
 * Notes the database's clock now, before the process starts, and returns a probe that is true once
 * a connection named `applicationName` opened after that moment (so not one of a killed
 * predecessor's, which PostgreSQL may still be closing).
 */
async function connectionWatcher(databaseUrl: string | undefined, applicationName: string): Promise<ReadyProbe & { close(): Promise<void> }> {
  if (!databaseUrl) throw new Error('DATABASE_URL is needed to see the webhook worker connect');
  const db = createDatabase({ url: databaseUrl, poolMax: 1, applicationName: 'payapi-system-testing' });
  const since = await db.raw<{ rows: Array<{ now: string }> }>('SELECT now()::text AS now').then(
    ({ rows }) => rows[0]?.now as string,
    async (error: unknown) => {
      await db.destroy();
      throw error;
    });
  const probe = async (): Promise<boolean> => {
    const { rows: found } = await db.raw<{ rows: unknown[] }>(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = ? AND backend_start >= ?::timestamptz`,
      [applicationName, since]);
    return found.length > 0;
  };
  return Object.assign(probe, { what: `no connection named ${applicationName}`, close: () => db.destroy() });
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

export { freePort } from '@payapi/platform/testing';
