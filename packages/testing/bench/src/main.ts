/**
 * `pnpm bench [--quick] [--seconds N] [--only a,b] [--profile]`: the authorization server and the
 * resource API as production-mode processes on a fresh database, under load from autocannon, each
 * scenario beside references measured in the same run (bare Express with and without the same SQL
 * on a plain pg pool, pgbench's tpcb-like and our own booking statement, a fresh API process booking
 * every transfer alone, a bare oidc-provider). Prints a markdown table on stdout (progress on stderr) and writes JSON to
 * `bench/results/` (`quick-*.json` with `--quick`, git-ignored).
 *
 * Database: `DATABASE_URL`'s server when set (its user must be allowed to create databases), else
 * the embedded PostgreSQL in `.data/postgres-bench` (port 54349). Every database made here is
 * dropped at the end.
 *
 * `BENCH_NODE_ARGS` (space-separated) adds `node` flags to the services and the references, e.g.
 * `--max-semi-space-size=8` to see what V8's heap sizing does to peak RSS.
 *
 * Exit: 0; 1 when an answer was unexpected (a non-2xx other than the refusals a scenario allows,
 * a wrong body, a transport error) or something failed to start; 2 for a bad command line.
 * Never non-zero for speed.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, repoRoot } from '@payapi/platform';
import { USAGE, UsageError, parseBenchArgs } from './args.ts';
import type { BenchArgs } from './args.ts';
import type { BenchContext, ScenarioTable } from './context.ts';
import { summarizeCpuProfile } from './cpu-profile.ts';
import type { CpuProfile } from './cpu-profile.ts';
import type { Row } from './row.ts';
import { RSS_BOUND } from './bounds.ts';
import { openBenchServer } from './database.ts';
import { describeMachine, machineLine } from './machine.ts';
import { findPgbench, pgbenchVersion } from './pgbench.ts';
import { DEFAULT_SIZES, prepare, refreshTokens } from './prepare.ts';
import type { Prepared } from './prepare.ts';
import { RSS_TARGET_MB, markdownTable, servicePeaks } from './report.ts';
import { balanceScenario } from './scenarios/balance.ts';
import { codeFlowScenario } from './scenarios/code-flow.ts';
import { hotAccountScenario } from './scenarios/hot-account.ts';
import { requestLogScenario } from './scenarios/request-log.ts';
import { revocationScenario } from './scenarios/revocation.ts';
import { clientCredentialsScenario, introspectionScenario, stopBareProvider } from './scenarios/tokens.ts';
import { transfersScenario } from './scenarios/transfers.ts';
import { webhooksScenario } from './scenarios/webhooks.ts';
import { openStatementCounter } from './statements.ts';
import type { StatementCounter } from './statements.ts';

const SCENARIO_RUNNERS: ScenarioTable = {
  balance: balanceScenario,
  'request-log': requestLogScenario,
  revocation: revocationScenario,
  transfers: transfersScenario,
  webhooks: webhooksScenario,
  'hot-account': hotAccountScenario,
  'client-credentials': clientCredentialsScenario,
  introspection: introspectionScenario,
  'code-flow': codeFlowScenario,
};

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

async function main(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const profileDir = join(repoRoot, '.data', 'bench-profiles', stamp);
  // BENCH_NODE_ARGS: extra `node` flags for the services and the references (e.g. V8 heap limits).
  const extraNodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const nodeArgs = [...extraNodeArgs, ...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const server = await openBenchServer(process.env);
  let prepared: Prepared | undefined;
  let context: BenchContext | undefined;
  let statements: StatementCounter | undefined;
  let failure: unknown;
  // Read once, before any load: the load average it holds is the one at the start.
  const pgbench = findPgbench(process.env);
  const machine = describeMachine(server.version, pgbench === undefined ? null : await pgbenchVersion(pgbench));
  try {
    log(`${machineLine(machine)}; database: ${server.source}`);
    log(`preparing: ${DEFAULT_SIZES.accounts} accounts, ${DEFAULT_SIZES.tokenUsers} users with tokens from the code flow`);
    const appUrl = await server.createScratch('app');
    prepared = await prepare(appUrl, DEFAULT_SIZES, nodeArgs);
    statements = await openStatementCounter(appUrl);
    const t = prepared.timings;
    log(`prepared in ${t.totalSeconds} s: services started ${t.startSeconds} s, users and funded accounts ${t.seedUsersSeconds} s, `
      + `${prepared.accountIds.length - DEFAULT_SIZES.tokenUsers * DEFAULT_SIZES.accountsPerTokenUser} other accounts ${t.openAccountsSeconds} s `
      + `(${t.accountsPerSecond}/s), tokens ${t.mintTokensSeconds} s`);
    context = { args, prepared, server, referenceNodeArgs: nodeArgs, rows: [], comparisons: [], machineCores: machine.cores, log, ...(statements ? { statements } : {}) };
    for (const name of args.only) {
      await refreshTokens(prepared);
      await SCENARIO_RUNNERS[name](context);
    }
  } catch (error) {
    failure = error;
  } finally {
    if (context) await stopBareProvider(context);
    await statements?.close();
    if (prepared) {
      await prepared.db.destroy();
      await prepared.system.stop();
    }
    await server.close();
  }
  if (failure !== undefined || !context || !prepared) {
    process.stderr.write(`bench: failed: ${failure instanceof ConfigError ? `configuration error: ${failure.message}` : failure instanceof Error ? failure.stack : String(failure)}\n`);
    return 1;
  }
  if (args.profile) await attachProfiles(profileDir, context.rows);
  const finishedAt = new Date();
  const table = markdownTable(context.rows, context.comparisons);
  const peaks = servicePeaks(context.rows);
  const unexpectedTotal = context.rows.reduce((sum, row) => sum + row.unexpectedCount, 0);
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    wallSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    mode: args.quick ? 'quick' : 'full',
    args,
    machine,
    database: server.source,
    preparation: { sizes: DEFAULT_SIZES, ...prepared.timings },
    rows: context.rows,
    comparisons: context.comparisons,
    rss: { targetMb: RSS_TARGET_MB, peakMb: peaks, met: Object.values(peaks).every((mb) => mb <= RSS_TARGET_MB), bound: RSS_BOUND },
    unexpectedTotal,
  };
  const file = join(repoRoot, 'bench', 'results', `${args.quick ? 'quick' : 'bench'}-${stamp}.json`);
  await mkdir(join(repoRoot, 'bench', 'results'), { recursive: true });
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  const lines = [
    '',
    `${machineLine(machine)}; ${args.seconds} s per row after ${args.warmupSeconds} s warm-up; database: ${server.source}`,
    `preparation: ${prepared.timings.totalSeconds} s (${prepared.accountIds.length} accounts; other accounts opened at ${prepared.timings.accountsPerSecond}/s; tokens ${prepared.timings.mintTokensSeconds} s)`,
    '',
    table,
    '',
    `peak RSS per service: ${Object.entries(peaks).map(([name, mb]) => `${name} ${mb} MB`).join(', ')} (target <= ${RSS_TARGET_MB} MB: ${result.rss.met ? 'met' : 'MISSED'})`,
  ];
  for (const row of context.rows) {
    for (const [name, summary] of Object.entries(row.profile ?? {})) {
      lines.push('', `CPU profile, ${row.id}, ${name}: busy ${summary.busyMs} ms in the measured seconds`);
      lines.push(`  by package: ${summary.packages.join(', ')}`, '  functions (self time):', ...summary.functions.map((entry) => `    ${entry}`));
    }
    // References that run SQL of their own (same SQL, unbatched) too: the count is what makes them comparable.
    if (row.sqlPerRequest && (row.role === 'measured' || row.sqlPerRequest.total > 0)) {
      lines.push('', `SQL statements per request, ${row.id}: ${row.sqlPerRequest.total}`, ...row.sqlPerRequest.top.map((entry) => `  ${entry.perRequest} ${entry.query}`));
    }
  }
  lines.push('', `written to ${file}`, `bench: ${unexpectedTotal === 0 ? 'no unexpected answers' : `${unexpectedTotal} unexpected answers`} in ${result.wallSeconds} s`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return unexpectedTotal === 0 ? 0 : 1;
}

/**
 * Reads the CPU profiles the processes wrote at exit (`CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile`)
 * and gives each row the busiest packages and functions of its watched processes during its
 * measured seconds.
 */
async function attachProfiles(dir: string, rows: Row[]): Promise<void> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.cpuprofile'));
  const byPid = new Map<number, CpuProfile>();
  for (const file of files) {
    const pid = Number(file.split('.')[3]);
    byPid.set(pid, JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile);
  }
  for (const row of rows) {
    if (!row.window) continue;
    const profile: NonNullable<Row['profile']> = {};
    for (const [name, pid] of Object.entries(row.window.pids)) {
      const found = byPid.get(pid);
      if (!found) continue;
      const summary = summarizeCpuProfile(found, 12, row.window);
      if (summary.busyMs === 0) continue;
      profile[name] = {
        busyMs: summary.busyMs,
        packages: summary.packages.slice(0, 10).map((entry) => `${entry.name} ${entry.percent}%`),
        functions: summary.functions.map((entry) => `${entry.percent}% ${entry.name}`),
      };
    }
    row.profile = profile;
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`bench: failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

