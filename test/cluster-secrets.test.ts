import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, expect, test } from '@jest/globals';

// The local cluster's files that hold secrets (deploy/cluster, docs/cluster.md) are made by its
// shell functions, run here on a folder of the test's own: no cluster is started. `chmod` is
// wrapped to note each file's mode just before it runs, i.e. the mode the file had while it was
// being written, when any user of the machine could open it if it was not 0600 yet.

const ROOT = resolve(import.meta.dirname, '..');
const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Runs `body` after sourcing the cluster's libraries with the state folder in a temporary one; returns its stdout. */
function runClusterShell(body: string): { state: string; stdout: string } {
  const state = mkdtempSync(join(tmpdir(), 'payapi-cluster-secrets-'));
  folders.push(state);
  const script = `
    set -Eeuo pipefail
    umask 022
    . deploy/cluster/lib/common.sh
    . deploy/cluster/lib/services.sh
    . deploy/cluster/lib/database.sh
    chmod() { stat -c "before-chmod %a %n" "\${@: -1}"; command chmod "$@"; }
    as_root() { :; }
    SERVICE_DATABASE_URL=postgres://payapi:db-password-secret@127.0.0.1:5440/payapi
    WEBHOOK_SECRETS_KEY=webhook-secret AUTH_COOKIE_KEYS=cookie-secret AUTH_KEY_ENCRYPTION_SECRET=key-secret
    POSTGRES_SUPERUSER_PASSWORD=su-secret POSTGRES_REPLICATION_PASSWORD=repl-secret POSTGRES_REWIND_PASSWORD=rewind-secret
    PG_BIN=/usr/lib/postgresql/15/bin
    ${body}
  `;
  const run = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, PAYAPI_CLUSTER_DIR: state } });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return { state, stdout: run.stdout };
}

test('cluster secrets files are never readable by other users, not even while being written: instance env files', () => {
  const { state, stdout } = runClusterShell('mkdir -p "$STATE/env"; write_instance_env auth1; write_instance_env api1; stat -c "final %a %n" "$STATE/env/auth1.env" "$STATE/env/api1.env"');
  expect(stdout.trim().split('\n')).toEqual([
    `before-chmod 600 ${state}/env/auth1.env`,
    `before-chmod 600 ${state}/env/api1.env`,
    `final 600 ${state}/env/auth1.env`,
    `final 600 ${state}/env/api1.env`,
  ]);
});

test('cluster secrets files are never readable by other users, not even while being written: Patroni configuration', () => {
  const { state, stdout } = runClusterShell('configure_patroni; stat -c "final %a %n" "$STATE/pg/pg1/patroni.yml" "$STATE/pg/pg2/patroni.yml"');
  const lines = stdout.trim().split('\n');
  expect(lines.filter((line) => line.endsWith('patroni.yml'))).toEqual([
    `before-chmod 600 ${state}/pg/pg1/patroni.yml`,
    `before-chmod 600 ${state}/pg/pg2/patroni.yml`,
    `final 600 ${state}/pg/pg1/patroni.yml`,
    `final 600 ${state}/pg/pg2/patroni.yml`,
  ]);
});
