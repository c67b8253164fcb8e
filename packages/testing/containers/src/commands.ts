/**
 * Running the machine's tools (podman, debootstrap, npm, apt-get…) from the container test: each
 * command's output goes to a log file of the run, and a failure throws with its last lines.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

/** Where every command's output is appended (set once by main.ts). */
let logFile: string | undefined;

/** Sends every later command's output to `path`. */
export function logCommandsTo(path: string): void {
  logFile = path;
}

/** Appends `text` to the run's log. */
export function logText(text: string): void {
  if (logFile) appendFileSync(logFile, text);
}

/** Prints one progress line of the test, prefixed, on stderr (stdout stays for the summary). */
export function say(line: string): void {
  process.stderr.write(`containers: ${line}\n`);
}

/** What a finished command printed. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  status: number;
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the command's standard input. */
  input?: Buffer | string;
  /** Resolve with a non-zero status instead of throwing. */
  allowFailure?: boolean;
  /** Kill it after this long, ms (default 20 minutes: a build from nothing). */
  timeoutMs?: number;
  /** false: keep the standard output out of the log (it holds a secret, as `clients:create`'s does). */
  logOutput?: boolean;
}

/**
 * Runs `command` with `args` (no shell) and collects its output, also appended to the run's log.
 *
 * @throws {Error} naming the command, with the last lines of its output, when it exits non-zero
 *   (unless `allowFailure`) or runs past its time limit
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const log = logText;
    log(`\n$ ${command} ${args.join(' ')}\n`);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (options.logOutput !== false) log(chunk.toString('utf8'));
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); log(chunk.toString('utf8')); });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20 * 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${error.message}`));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const output = { stdout, stderr, status: status ?? -1 };
      if (status === 0 || options.allowFailure) return resolve(output);
      const tail = `${options.logOutput === false ? '' : stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      reject(new Error(`${command} ${args.slice(0, 3).join(' ')}… ended with ${signal ?? `exit ${status}`}:\n${tail}`));
    });
  });
}

/** Whether `name` is a command on PATH. */
export async function hasCommand(name: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${name}`], { allowFailure: true })).status === 0;
}

/** Seconds since `startMs` (a `performance.now()`), one decimal. */
export function secondsSince(startMs: number): number {
  return Math.round((performance.now() - startMs) / 100) / 10;
}
