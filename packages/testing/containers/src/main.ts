/**
 * `pnpm test:containers [--rebuild] [--down]`: the containers, known to work (issue 16; docs/testing.md,
 * "Container test").
 *
 * 1. Installs what is missing (podman, runc, podman-compose, debootstrap, docker-compose, …) from
 *    Debian, and makes the base images that are missing (base-images.ts; kept between runs,
 *    `--rebuild` makes them again).
 * 2. Copies the repository as a fresh clone has it and runs README.md's "With Docker" steps there,
 *    word for word, through the `docker compose` stand-in on podman (deploy/containers/podman/docker),
 *    on a free port instead of the documented 8443.
 * 3. Checks the stack from the host (scenario.ts), prints the figures (image size, start times,
 *    how long each step took) and removes the stack; the images stay as the next run's cache. A
 *    failed run leaves the stack as it was, to look at.
 *
 * `--down` removes everything the test made instead: the stack, its volume and network, the images
 * (base images included) and its folder (PAYAPI_CONTAINERS_DIR, default /var/tmp/payapi-containers).
 * Exit status: 0 passed, 1 failed, 2 usage.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@payapi/e2e/free-port';
import { repoRoot } from '@payapi/platform';
import { BASE_IMAGES, ensureBaseImages, ensureTools } from './base-images.ts';
import { logCommandsTo, run, say, secondsSince } from './commands.ts';
import { runScenario } from './scenario.ts';
import type { PublicUrls } from './scenario.ts';
import { PROJECT, PUBLIC_HOSTS, Stack, copyRepository, readmeSteps, runReadmeSteps, stepSeconds } from './stack.ts';
import type { TimedStep } from './stack.ts';

/** The application image (docker-compose.yml) and the target for its size (issue 16). */
const SERVICE_IMAGE = 'payapi/service:local';
const SERVICE_IMAGE_BYTES_MAX = 250_000_000;

const workDir = process.env.PAYAPI_CONTAINERS_DIR ?? '/var/tmp/payapi-containers';
const checkout = join(workDir, 'checkout');
const composeDir = join(checkout, 'deploy', 'containers');
const containersConf = join(repoRoot, 'deploy', 'containers', 'podman', 'containers.conf');

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  const unknown = args.filter((arg) => arg !== '--down' && arg !== '--rebuild');
  if (unknown.length > 0) {
    process.stderr.write(`usage: pnpm test:containers [--rebuild] [--down]\nunknown: ${unknown.join(' ')}\n`);
    return 2;
  }
  process.env.CONTAINERS_CONF = containersConf;
  if (args.includes('--down')) {
    await removeEverything();
    return 0;
  }
  const started = performance.now();
  mkdirSync(workDir, { recursive: true });
  const logFile = join(workDir, 'test.log');
  writeFileSync(logFile, '');
  logCommandsTo(logFile);
  say(`commands' output: ${logFile}`);
  await ensureTools();
  await removeStack();
  const baseImageSeconds = await ensureBaseImages({ repoRoot, workDir, rebuild: args.includes('--rebuild') });

  await copyRepository(repoRoot, checkout);
  const port = await freePort();
  const urls: PublicUrls = {
    auth: `https://${PUBLIC_HOSTS.auth}:${port}`, api: `https://${PUBLIC_HOSTS.api}:${port}`,
    partner: `https://${PUBLIC_HOSTS.partner}:${port}`, portal: `https://${PUBLIC_HOSTS.portal}:${port}`,
  };
  const env = stackEnvironment(port, urls);
  const steps = readmeSteps(readFileSync(join(checkout, 'README.md'), 'utf8'));
  let timed: TimedStep[] = [];
  try {
    timed = await runReadmeSteps(steps, checkout, env, port, join(workDir, 'steps'));
    // Every command above checked the local trial's files with docker-compose; docker-compose.yml
    // alone (a deployment with its own certificate and DNS names) is valid too.
    await run('docker-compose', ['--file', 'docker-compose.yml', 'config', '--quiet'], { cwd: composeDir, env });
    const stack = new Stack(composeDir, env);
    const imageBytes = await imageSize(SERVICE_IMAGE);
    const figures = await runScenario({
      stack, urls,
      caPem: readFileSync(join(composeDir, 'local-ca', 'ca.pem'), 'utf8'),
      certificatePem: readFileSync(join(composeDir, 'tls', 'certificate.pem'), 'utf8'),
      alice: aliceFrom(steps.map((step) => step.code).join('\n'), timed),
      screenshotDir: join(workDir, 'screenshots'),
    });
    if (imageBytes >= SERVICE_IMAGE_BYTES_MAX) throw new Error(`${SERVICE_IMAGE} is ${imageBytes} bytes, more than ${SERVICE_IMAGE_BYTES_MAX}`);
    await stack.down();
    const summary = {
      passed: true,
      seconds: secondsSince(started),
      baseImagesMadeSeconds: baseImageSeconds,
      readmeStepsSeconds: Object.fromEntries(stepSeconds(timed)),
      imageMegabytes: Object.fromEntries(await Promise.all([SERVICE_IMAGE, ...BASE_IMAGES].map(async (image) => [image, Math.round(await imageSize(image) / 100_000) / 10]))),
      ...figures,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    say(`passed in ${summary.seconds} s; the stack is removed, the images kept (pnpm test:containers --down removes them)`);
    return 0;
  } catch (error) {
    process.stderr.write(`\n${error instanceof Error ? error.stack ?? error.message : String(error)}\n\n`);
    say(`FAILED after ${secondsSince(started)} s. The stack is left running to look at (podman ps -a; podman logs ${PROJECT}_<service>_1;`);
    say(`the commands' output in ${logFile}; screenshots in ${join(workDir, 'screenshots')}). pnpm test:containers --down removes everything.`);
    return 1;
  }
}

/** An image's size as podman reports it, bytes (uncompressed, every layer). */
async function imageSize(image: string): Promise<number> {
  return Number((await run('podman', ['image', 'inspect', '--format', '{{.Size}}', image])).stdout.trim());
}

/**
 * The environment of README.md's steps: the `docker compose` stand-in first on PATH, podman's
 * settings for this machine, and the settings ./new-env.sh writes into `.env` instead of the
 * example's (docs: "a variable set in your shell is written as it is").
 */
function stackEnvironment(port: number, urls: PublicUrls): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined
    && !['COMPOSE_FILE', 'COMPOSE_PROJECT_NAME', 'DOCKER_HOST'].includes(entry[0])));
  return {
    ...inherited,
    PATH: `${join(composeDir, 'podman')}:${process.env.PATH ?? ''}`,
    CONTAINERS_CONF: containersConf,
    COMPOSE_PROJECT_NAME: PROJECT,
    HTTPS_PORT: String(port),
    AUTH_ISSUER: urls.auth,
    RESOURCE_API_URL: urls.api,
    PARTNER_DEMO_URL: urls.partner,
    DEVELOPER_PORTAL_URL: urls.portal,
  };
}

/** alice's password (README.md's `users:create`) and her two accounts (the JSON `accounts:open` printed). */
function aliceFrom(readmeCode: string, timed: TimedStep[]): { password: string; currentId: string; savingsId: string } {
  const password = /users:create --username alice --password '([^']+)'/.exec(readmeCode)?.[1];
  const printed = timed.flatMap((step) => step.output.stdout.split('\n')).filter((line) => line.startsWith('{'))
    .map((line) => { try { return JSON.parse(line) as { id?: string; name?: string }; } catch { return {}; } });
  const idOf = (name: string) => printed.find((account) => account.name === name)?.id;
  const [currentId, savingsId] = [idOf('Alice Current'), idOf('Alice Savings')];
  if (!password || !currentId || !savingsId) throw new Error('README.md\'s steps did not make alice with "Alice Current" and "Alice Savings"');
  return { password, currentId, savingsId };
}

/** Removes a stack an earlier run left (its containers, network and volume), whatever state it is in. */
async function removeStack(): Promise<void> {
  const { stdout } = await run('podman', ['ps', '-aq', '--filter', `label=io.podman.compose.project=${PROJECT}`], { allowFailure: true });
  const containers = stdout.split('\n').filter(Boolean);
  if (containers.length > 0) {
    say(`removing the stack an earlier run left (${containers.length} containers)`);
    await run('podman', ['rm', '--force', '--time', '2', ...containers], { allowFailure: true });
  }
  await run('podman', ['network', 'rm', '--force', `${PROJECT}_default`], { allowFailure: true });
  await run('podman', ['volume', 'rm', '--force', `${PROJECT}_postgres-data`], { allowFailure: true });
}

/** `--down`: the stack, the images (base images included, and the build's leftover layers) and the folder. */
async function removeEverything(): Promise<void> {
  await removeStack();
  await run('podman', ['rmi', '--force', SERVICE_IMAGE, ...BASE_IMAGES], { allowFailure: true });
  // The build stages' images, untagged once the final image was removed.
  await run('podman', ['image', 'prune', '--force'], { allowFailure: true });
  if (existsSync(workDir)) rmSync(workDir, { recursive: true, force: true });
  say(`removed the stack, the images and ${workDir}`);
}

process.exitCode = await main();
