import { REDIRECT_URI } from '@payapi/system-testing';
import * as client from 'openid-client';
import { resetPeakRss } from '../child-process.ts';
import { cpuGroups, peakRss, servicePids } from '../context.ts';
import { startCpuSampler } from '../cpu-usage.ts';
import type { BenchContext } from '../context.ts';
import { latencyPercentiles } from '../percentiles.ts';
import type { BenchUser } from '../prepare.ts';
import { cpuPerRequest, monotonicUs } from '../row.ts';
import type { Row } from '../row.ts';
import { BOUNDS } from '../bounds.ts';

/** Parallel callers, each a user with a session and a grant of its own. */
const CALLERS = 4;
/** The scopes already granted (without `offline_access`, which needs `prompt=consent`). */
const FLOW_SCOPE = 'openid accounts:read transactions:read transfers:write';

/**
 * One full authorization-code flow as a returning user's browser makes it: `/auth` with
 * `prompt=login` (so the password is checked every time) and PKCE, the login page, the sign-in
 * form, the redirect back through `/auth` where the existing grant skips consent, the partner's
 * redirect URI with a code, the code exchange.
 *
 * @throws {Error} when a consent page (or any page other than the login) appears, or the flow does
 *   not end with tokens
 */
export async function signInAgain(issuer: string, user: BenchUser): Promise<void> {
  const { config, agent } = user.tokens;
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI, scope: FLOW_SCOPE, code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', state, prompt: 'login',
  });
  const login = await agent.follow(url.toString(), issuer);
  const html = await login.response?.text() ?? '';
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!html.includes('name="password"') || !action) throw new Error(`expected the login page, got status ${login.response?.status} at ${login.url}`);
  const signedIn = await agent.request(new URL(action, issuer).toString(), { form: { username: user.seeded.username, password: user.seeded.password } });
  const location = signedIn.headers.get('location');
  if (!location) throw new Error(`sign-in answered ${signedIn.status} without a redirect`);
  const end = await agent.follow(new URL(location, issuer).toString(), issuer);
  if (end.response) throw new Error(`the flow stopped on a page (consent not skipped?): status ${end.response.status} at ${end.url}`);
  const tokens = await client.authorizationCodeGrant(config, new URL(end.url), { pkceCodeVerifier: verifier, expectedState: state });
  if (!tokens.access_token) throw new Error('no access token');
}

/**
 * Full code flows from {@link CALLERS} parallel callers for the measured seconds (after a warm-up):
 * flows/s, latency per flow. Reported without a reference.
 */
export async function codeFlowScenario(context: BenchContext): Promise<void> {
  const { prepared, args } = context;
  const callers = prepared.users.slice(0, CALLERS);
  const issuer = prepared.system.auth.url;
  const run = async (seconds: number): Promise<{ latenciesMs: number[]; failures: Record<string, number>; elapsedS: number }> => {
    const latenciesMs: number[] = [];
    const failures: Record<string, number> = {};
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(callers.map(async (user) => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        try {
          await signInAgain(issuer, user);
          latenciesMs.push(performance.now() - begin);
        } catch (error) {
          const key = `flow:${(error instanceof Error ? error.message : String(error)).slice(0, 80)}`;
          failures[key] = (failures[key] ?? 0) + 1;
        }
      }
    }));
    return { latenciesMs, failures, elapsedS: (performance.now() - started) / 1000 };
  };
  context.log(`code-flow: warm-up ${args.warmupSeconds} s, then ${args.seconds} s with ${callers.length} callers`);
  const warmup = await run(args.warmupSeconds);
  const watched = servicePids(context);
  for (const pid of Object.values(watched)) resetPeakRss(pid);
  const sampler = startCpuSampler(cpuGroups(context, watched), context.machineCores);
  const statements = await context.statements?.snapshot();
  const startUs = monotonicUs();
  const measured = await run(args.seconds);
  const endUs = monotonicUs();
  const cores = sampler.stop();
  const sql = statements ? await context.statements?.perRequest(statements, measured.latenciesMs.length) : undefined;
  const unexpected = { ...measured.failures };
  for (const [key, count] of Object.entries(warmup.failures)) unexpected[`warm-up ${key}`] = count;
  const failed = Object.values(measured.failures).reduce((sum, count) => sum + count, 0);
  const row: Row = {
    id: 'code-flow', scenario: 'code-flow', role: 'measured',
    label: 'authorization code + PKCE: /auth (prompt=login), login page, sign-in, consent skipped, code exchange',
    connections: callers.length, seconds: Math.round(measured.elapsedS * 100) / 100, requests: measured.latenciesMs.length,
    perSecond: Math.round((measured.latenciesMs.length / measured.elapsedS) * 10) / 10, unit: 'flows',
    ...latencyPercentiles(measured.latenciesMs),
    byStatus: { ok: measured.latenciesMs.length, ...(failed > 0 ? { failed } : {}) },
    unexpected, unexpectedCount: failed + Object.values(warmup.failures).reduce((sum, count) => sum + count, 0),
    peakRssMb: peakRss(watched),
    coresUsed: cores,
    cpuMsPerRequest: cpuPerRequest(cores, measured.latenciesMs.length / measured.elapsedS),
    window: { startUs, endUs, pids: watched },
    ...(sql ? { sqlPerRequest: sql } : {}),
    note: 'each flow: GET /auth, GET the login page, POST the sign-in form, GET /auth (resume, consent skipped), POST /token; one password verification',
  };
  context.log(`code-flow: ${row.perSecond} flows/s, p50 ${row.p50Ms} ms, unexpected ${row.unexpectedCount}`);
  context.rows.push(row);
  context.comparisons.push({ scenario: 'code-flow', measuredId: row.id, referenceId: null, ratio: null, target: null, met: null, bound: BOUNDS['code-flow'] });
}
