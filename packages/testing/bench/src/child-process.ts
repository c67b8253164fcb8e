import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** A reference server run by the benchmark as a child process of its own (same Node binary). */
export interface ReferenceProcess {
  pid: number;
  /** What the child announced on its first stdout line (a JSON object with at least `url`). */
  ready: { url: string } & Record<string, unknown>;
  /** Peak resident set size, bytes (see {@link readPeakRssBytes}). */
  peakRssBytes(): number | undefined;
  /** SIGTERM, then waits for the exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Starts `node <script>` with `env` (plus PATH and HOME) and waits for its first stdout line,
 * which must be a JSON object with a `url` (the child prints it once it listens).
 *
 * @throws {Error} with the child's stderr when it exits or is silent for `readyTimeoutMs`
 */
export async function startReferenceProcess(
  script: string,
  env: Readonly<Record<string, string>>,
  options: { readyTimeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<ReferenceProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<ReferenceProcess['ready']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} printed nothing within ${options.readyTimeoutMs ?? 15_000} ms\n${stderr}`)), options.readyTimeoutMs ?? 15_000);
    void exited.then(() => reject(new Error(`${script} exited before it was ready\n${stderr}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(line) as ReferenceProcess['ready'];
        if (typeof parsed.url !== 'string') throw new Error('no url');
        resolve(parsed);
      } catch {
        reject(new Error(`${script} announced ${line.slice(0, 200)} instead of {"url":…}`));
      }
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  let running = true;
  void exited.then(() => { running = false; });
  return {
    pid: child.pid as number,
    ready,
    peakRssBytes: () => (running ? readPeakRssBytes(child.pid as number) : undefined),
    async stop() {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Peak resident set size of a process (`VmHWM` of /proc/PID/status), bytes; undefined when the
 * process is gone or /proc is missing (not Linux).
 */
export function readPeakRssBytes(pid: number): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Resets a process's peak RSS to its current RSS (`echo 5 > /proc/PID/clear_refs`, Linux 4.0+),
 * so the next {@link readPeakRssBytes} is the peak of what ran since. Needs the right to write
 * that file (our own children, same user).
 *
 * @returns false when it could not (then peaks stay cumulative since the process started)
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
