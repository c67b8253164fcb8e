/**
 * The compose stack under test: a copy of the repository as a fresh clone has it, README.md's
 * "With Docker" steps run word for word in it (through the `docker compose` stand-in on podman,
 * deploy/containers/podman/docker), and what the checks need to reach its containers.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fencedBlocks, runBlocks } from '@payapi/e2e/doc-blocks';
import type { DocBlock, StepOutput } from '@payapi/e2e/doc-blocks';
import { logText, run, say, secondsSince } from './commands.ts';

/** The README section the test runs, and the port it documents. */
export const README_SECTION = 'With Docker';
export const DOCUMENTED_HTTPS_PORT = 8443;
/** The compose project (container names `payapi-test_<service>_1`), apart from a local trial's `payapi`. */
export const PROJECT = 'payapi-test';
/** The public host names the local trial uses (docker-compose.local-ca.yml). */
export const PUBLIC_HOSTS = { auth: 'auth.payapi.localhost', api: 'api.payapi.localhost', partner: 'partner.payapi.localhost', portal: 'portal.payapi.localhost' } as const;

/**
 * The shell blocks of README.md's "With Docker" section, in order, as steps to run.
 *
 * @throws {Error} when the section or its blocks are missing
 */
export function readmeSteps(readme: string): DocBlock[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${README_SECTION}`);
  if (start < 0) throw new Error(`README.md has no "## ${README_SECTION}" section`);
  const length = lines.slice(start + 1).findIndex((line) => /^## /.test(line));
  const sectionEnd = length < 0 ? lines.length : start + 1 + length;
  const steps = fencedBlocks('README.md', readme)
    .filter((fence) => fence.line > start && fence.line <= sectionEnd && fence.words[0] === 'sh')
    .map((fence): DocBlock => ({ document: 'README.md', line: fence.line, language: 'sh', kind: 'run', path: undefined, code: fence.code }));
  if (steps.length === 0) throw new Error(`README.md's "${README_SECTION}" section has no sh blocks`);
  return steps;
}

/**
 * Copies the repository's files as a fresh clone has them (tracked, plus new files git does not
 * ignore) into `destination`, replacing what was there.
 */
export async function copyRepository(repoRoot: string, destination: string): Promise<void> {
  rmSync(destination, { recursive: true, force: true });
  mkdirSync(destination, { recursive: true });
  await run('sh', ['-c', 'git -C "$1" ls-files -z --cached --others --exclude-standard | (cd "$1" && tar --null -T - -c) | tar -x -C "$2"', 'copy', repoRoot, destination]);
}

/** One README step that ran, and how long it took. */
export interface TimedStep {
  line: number;
  firstLine: string;
  seconds: number;
  output: StepOutput;
}

/**
 * Runs the steps one by one in `checkout` with `env` (PATH with the stand-in first), each where
 * the one before left off, `:8443` replaced by `:<httpsPort>`.
 *
 * @throws {Error} naming README.md's line of the first step that fails, with its output
 */
export async function runReadmeSteps(steps: DocBlock[], checkout: string, env: Record<string, string>, httpsPort: number, stateDir: string): Promise<TimedStep[]> {
  const timed: TimedStep[] = [];
  let cwd = checkout;
  for (const step of steps) {
    const firstLine = step.code.split('\n').find((line) => line.trim() !== '' && !line.trim().startsWith('#')) ?? '';
    say(`README.md:${step.line}: ${firstLine}${step.code.trim().includes('\n') ? ' …' : ''}`);
    const started = performance.now();
    const [output] = await runBlocks([step], {
      cwd, env, stateDir, stepTimeoutMs: 25 * 60_000,
      substitutions: [[`:${DOCUMENTED_HTTPS_PORT}`, `:${httpsPort}`]],
    });
    cwd = readFileSync(join(stateDir, 'cwd'), 'utf8').trim();
    // What the step printed (no secret: the partner demo's client goes from a variable into .env).
    logText(`\n$ README.md:${step.line}\n${output?.stdout ?? ''}${output?.stderr ?? ''}`);
    timed.push({ line: step.line, firstLine, seconds: secondsSince(started), output: output as StepOutput });
  }
  return timed;
}

/** The started stack: its folder (deploy/containers of the copy) and how to talk to it. */
export class Stack {
  readonly composeDir: string;
  readonly env: Record<string, string>;

  constructor(composeDir: string, env: Record<string, string>) {
    this.composeDir = composeDir;
    this.env = env;
  }

  /** The container of `service` (podman-compose names it `<project>_<service>_1`). */
  container(service: string): string {
    return `${PROJECT}_${service}_1`;
  }

  /** `docker compose …` through the stand-in, as README.md's steps run it. */
  compose(args: readonly string[], options: { allowFailure?: boolean; logOutput?: boolean } = {}) {
    return run('docker', ['compose', ...args], { cwd: this.composeDir, env: this.env, ...options });
  }

  /**
   * An operator command in the authorization server's container (README.md's `cli`), its JSON
   * answer (kept out of the run's log: `clients:create` prints a secret).
   *
   * @throws {Error} when it exits non-zero or prints something else than one JSON value
   */
  async cli(...args: string[]): Promise<unknown> {
    const { stdout } = await this.compose(['exec', '-T', 'auth-server', 'node', 'packages/tools/cli/src/main.ts', ...args], { logOutput: false });
    return JSON.parse(stdout) as unknown;
  }

  /**
   * Waits until the healthcheck of `service`'s container passes (podman runs none by itself here:
   * no systemd), at most `timeoutMs`.
   *
   * @returns seconds waited
   * @throws {Error} with the container's last log lines when it does not pass in time
   */
  async waitHealthy(service: string, timeoutMs = 120_000): Promise<number> {
    const started = performance.now();
    for (;;) {
      const checked = await run('podman', ['healthcheck', 'run', this.container(service)], { allowFailure: true });
      if (checked.status === 0) return secondsSince(started);
      if (performance.now() - started > timeoutMs) {
        const logs = await run('podman', ['logs', '--tail', '20', this.container(service)], { allowFailure: true });
        throw new Error(`${service} is not healthy after ${timeoutMs / 1000} s:\n${logs.stdout}${logs.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** podman's view of a container: running, restart count, start time. */
  async state(service: string): Promise<{ Running: boolean; StartedAt: string; Restarting: boolean }> {
    const { stdout } = await run('podman', ['inspect', '--type', 'container', '--format', '{{json .State}}', this.container(service)]);
    return JSON.parse(stdout) as { Running: boolean; StartedAt: string; Restarting: boolean };
  }

  /** `podman restart` of `service`'s container (the stop waits for the process to end). */
  async restart(service: string): Promise<void> {
    await run('podman', ['restart', this.container(service)]);
  }

  /** `docker compose down -v`: the containers, their network and the database volume. */
  async down(): Promise<void> {
    await this.compose(['down', '-v'], { allowFailure: true });
  }
}

/** Seconds a README step took, by its first line (for the summary). */
export function stepSeconds(steps: TimedStep[]): Array<[string, number]> {
  return steps.map((step) => [`README.md:${step.line} ${step.firstLine}`, step.seconds]);
}
