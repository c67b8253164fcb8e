import { startReferenceProcess } from '../child-process.ts';
import { measureLoad, servicePids } from '../context.ts';
import type { BenchContext } from '../context.ts';
import type { LoadRequest } from '../load.ts';
import { compareRates } from '../row.ts';
import type { Row } from '../row.ts';
import { BOUNDS } from '../bounds.ts';
import { BENCH_SUBJECT_HEADER } from '../references/bench-subject.ts';

/** The target against the same SQL on a plain pg pool (our HTTP/Node layer's cost). */
const SAME_SQL_TARGET = 0.7;
const BARE_EXPRESS = new URL('../references/bare-express.ts', import.meta.url).pathname;
const SAME_SQL = new URL('../references/same-sql.ts', import.meta.url).pathname;

/**
 * The balance load: connection `n` sends `GET /v1/accounts/{id}/balance` with token user
 * `n mod users`'s access token, cycling over that user's consented accounts.
 *
 * @param options.benchSubject also send the user's `sub` in {@link BENCH_SUBJECT_HEADER} (for the
 *   same-SQL reference, which has no token to read it from)
 * @throws {Error} when the run has no token users
 */
export function balanceRequests(context: BenchContext, options: { benchSubject?: boolean } = {}): (connection: number) => () => LoadRequest {
  const { prepared } = context;
  return (connection) => {
    const user = prepared.users[connection % prepared.users.length];
    if (!user) throw new Error('no token users');
    let turn = 0;
    return () => {
      const account = user.seeded.accounts[turn % user.seeded.accounts.length];
      turn += 1;
      const headers: Record<string, string> = { authorization: `Bearer ${user.tokens.accessToken}` };
      if (options.benchSubject) headers[BENCH_SUBJECT_HEADER] = user.seeded.sub;
      return { method: 'GET', path: `/v1/accounts/${account?.id}/balance`, headers };
    };
  };
}

/**
 * `GET /v1/accounts/{id}/balance` with each connection's own user token, cycling over that user's
 * consented accounts, against two references, each a process of its own: the same path on a bare
 * Express app with no I/O (report only: it mixes our overhead with the database's work), and a
 * bare Express app running the same SQL on a plain pg pool of the same size (target 0.7: what is
 * left is the cost of our HTTP/Node layer: token, logging, validation, middleware).
 */
export async function balanceScenario(context: BenchContext): Promise<void> {
  const { prepared } = context;
  const requestsFor = balanceRequests(context);
  const measured = await measureLoad(context, {
    id: 'balance', scenario: 'balance', role: 'measured', label: 'GET /v1/accounts/{id}/balance, JWT, own token per connection',
  }, { url: prepared.system.api.url, requestsFor, expected: {} }, servicePids(context));
  const compare = (reference: Row, target: number | null): void => {
    context.comparisons.push({
      scenario: 'balance', measuredId: measured.id, referenceId: reference.id,
      ...compareRates(measured.perSecond, reference.perSecond, target), target, bound: BOUNDS.balance,
    });
  };
  const bare = await startReferenceProcess(BARE_EXPRESS, { NODE_ENV: 'production' }, { nodeArgs: context.referenceNodeArgs });
  try {
    compare(await measureLoad(context, {
      id: 'balance:reference', scenario: 'balance', role: 'reference', label: 'bare Express 5 JSON route, same path, no token, no I/O',
    }, { url: bare.ready.url, requestsFor, expected: {} }, { reference: bare.pid }), null);
  } finally {
    await bare.stop();
  }
  const sameSql = await startReferenceProcess(SAME_SQL, { NODE_ENV: 'production', DATABASE_URL: prepared.databaseUrl }, { nodeArgs: context.referenceNodeArgs });
  try {
    await checkSameAnswer(context, sameSql.ready.url);
    compare(await measureLoad(context, {
      id: 'balance:same-sql', scenario: 'balance', role: 'reference',
      label: 'same SQL: bare Express 5 + plain pg pool of the API\'s size, getBalance\'s statement and owner check, no token',
    }, { url: sameSql.ready.url, requestsFor: balanceRequests(context, { benchSubject: true }), expected: {} }, { reference: sameSql.pid }), SAME_SQL_TARGET);
  } finally {
    await sameSql.stop();
  }
}

/**
 * Asks our route and the same-SQL reference for the balance of the first user's first account and
 * checks that they answer alike: status 200, the same members, the same values but `as_of` (the
 * database clock at each read), which must be RFC 3339 UTC on both.
 *
 * @throws {Error} naming both answers when they differ
 */
async function checkSameAnswer(context: BenchContext, sameSqlUrl: string): Promise<void> {
  const request = balanceRequests(context, { benchSubject: true })(0)();
  const answers = await Promise.all([context.prepared.system.api.url, sameSqlUrl].map(async (base) => {
    const response = await fetch(new URL(request.path, base), { headers: request.headers ?? {} });
    return { status: response.status, body: await response.json() as Record<string, unknown> };
  }));
  const [ours, reference] = answers as [typeof answers[0], typeof answers[0]];
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
  const without = (body: Record<string, unknown>): string => JSON.stringify({ ...body, as_of: undefined }, Object.keys(body).sort());
  if (ours.status !== 200 || reference.status !== 200 || without(ours.body) !== without(reference.body)
    || !rfc3339.test(String(ours.body.as_of)) || !rfc3339.test(String(reference.body.as_of))) {
    throw new Error(`balance:same-sql answers unlike our route: ours ${ours.status} ${JSON.stringify(ours.body)}, `
      + `the reference ${reference.status} ${JSON.stringify(reference.body)}`);
  }
}
