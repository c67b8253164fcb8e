import { startReferenceProcess } from '../child-process.ts';
import { measureLoad, servicePids } from '../context.ts';
import type { BenchContext } from '../context.ts';
import type { LoadRequest } from '../load.ts';
import { compareRates } from '../row.ts';
import { BOUNDS } from '../bounds.ts';

const TARGET = 0.6;
const BARE_EXPRESS = new URL('../references/bare-express.ts', import.meta.url).pathname;

/**
 * The balance load: connection `n` sends `GET /v1/accounts/{id}/balance` with token user
 * `n mod users`'s access token, cycling over that user's consented accounts.
 *
 * @throws {Error} when the run has no token users
 */
export function balanceRequests(context: BenchContext): (connection: number) => () => LoadRequest {
  const { prepared } = context;
  return (connection) => {
    const user = prepared.users[connection % prepared.users.length];
    if (!user) throw new Error('no token users');
    let turn = 0;
    return () => {
      const account = user.seeded.accounts[turn % user.seeded.accounts.length];
      turn += 1;
      return { method: 'GET', path: `/v1/accounts/${account?.id}/balance`, headers: { authorization: `Bearer ${user.tokens.accessToken}` } };
    };
  };
}

/**
 * `GET /v1/accounts/{id}/balance` with each connection's own user token, cycling over that user's
 * consented accounts, against the same path on a bare Express app in a process of its own.
 */
export async function balanceScenario(context: BenchContext): Promise<void> {
  const { prepared } = context;
  const requestsFor = balanceRequests(context);
  const measured = await measureLoad(context, {
    id: 'balance', scenario: 'balance', role: 'measured', label: 'GET /v1/accounts/{id}/balance, JWT, own token per connection',
  }, { url: prepared.system.api.url, requestsFor, expected: {} }, servicePids(context));
  const bare = await startReferenceProcess(BARE_EXPRESS, { NODE_ENV: 'production' }, { nodeArgs: context.referenceNodeArgs });
  try {
    const reference = await measureLoad(context, {
      id: 'balance:reference', scenario: 'balance', role: 'reference', label: 'bare Express 5 JSON route, same path, no token',
    }, { url: bare.ready.url, requestsFor, expected: {} }, { reference: bare.pid });
    context.comparisons.push({
      scenario: 'balance', measuredId: measured.id, referenceId: reference.id,
      ...compareRates(measured.perSecond, reference.perSecond, TARGET), target: TARGET, bound: BOUNDS.balance,
    });
  } finally {
    await bare.stop();
  }
}
