import { measureLoad, servicePids } from '../context.ts';
import type { BenchContext } from '../context.ts';
import { compareRates } from '../row.ts';
import { BOUNDS } from '../bounds.ts';
import { measureDistinctTransfers, transferRequests } from './transfers.ts';

/**
 * Every connection transfers from one hot account (the first token user's first account, with that
 * user's token) to random others; only `422 insufficient_funds` is an allowed refusal. The
 * reference is the distinct-accounts row of this run (measured again when `transfers` did not run).
 */
export async function hotAccountScenario(context: BenchContext): Promise<void> {
  const hot = context.prepared.users[0]?.seeded.accounts[0];
  if (!hot) throw new Error('no token users');
  const measured = await measureLoad(context, {
    id: 'hot-account', scenario: 'hot-account', role: 'measured',
    label: 'POST /v1/transfers 0.01 CNY, all from one hot account, random destination, distinct keys',
  }, {
    url: context.prepared.system.api.url,
    requestsFor: transferRequests(context, hot.id),
    expected: { allowed: ['422:insufficient_funds'] },
  }, servicePids(context));
  const reference = context.rows.find((row) => row.id === 'transfers')
    ?? await measureDistinctTransfers(context, 'hot-account:reference', 'reference');
  context.comparisons.push({
    scenario: 'hot-account', measuredId: measured.id, referenceId: reference.id,
    ...compareRates(measured.perSecond, reference.perSecond, null), target: null, bound: BOUNDS['hot-account'],
  });
}
