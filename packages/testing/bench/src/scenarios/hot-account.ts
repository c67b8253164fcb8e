import { measureLoad } from '../context.ts';
import type { BenchContext } from '../context.ts';
import type { LoadOptions } from '../load.ts';
import { compareRates } from '../row.ts';
import type { Row } from '../row.ts';
import { BOUNDS } from '../bounds.ts';
import { measureDistinctTransfers, transferRequests, withUnbatchedApi } from './transfers.ts';

/** The target: the hot account at least 1.5 times its rate with every transfer booked alone. */
const UNBATCHED_TARGET = 1.5;

/**
 * Every connection transfers from one hot account (the first token user's first account, with that
 * user's token) to random others; only `422 insufficient_funds` is an allowed refusal. Compared with
 * the distinct-accounts row of this run (measured again when `transfers` did not run; report), and
 * with the same hot load on a fresh API process that books every transfer alone
 * (`TRANSFER_BATCH_MAX=1`, `hot-account:unbatched`; target 1.5).
 */
export async function hotAccountScenario(context: BenchContext): Promise<void> {
  const { system } = context.prepared;
  const hot = context.prepared.users[0]?.seeded.accounts[0];
  if (!hot) throw new Error('no token users');
  const load = (url: string): Omit<LoadOptions, 'seconds' | 'connections'> => ({
    url, requestsFor: transferRequests(context, hot.id), expected: { allowed: ['422:insufficient_funds'] },
  });
  const measured = await measureLoad(context, {
    id: 'hot-account', scenario: 'hot-account', role: 'measured',
    label: 'POST /v1/transfers 0.01 CNY, all from one hot account, random destination, distinct keys',
  }, load(system.api.url), { 'auth-server': system.auth.pid, 'resource-api': system.api.pid });
  const compare = (reference: Row, target: number | null): void => {
    context.comparisons.push({
      scenario: 'hot-account', measuredId: measured.id, referenceId: reference.id,
      ...compareRates(measured.perSecond, reference.perSecond, target), target, bound: BOUNDS['hot-account'],
    });
  };
  compare(context.rows.find((row) => row.id === 'transfers')
    ?? await measureDistinctTransfers(context, { id: 'hot-account:reference', scenario: 'hot-account', role: 'reference' }), null);
  compare(await withUnbatchedApi(context, (api) => measureLoad(context, {
    id: 'hot-account:unbatched', scenario: 'hot-account', role: 'reference',
    label: 'the same hot load on a fresh API process with TRANSFER_BATCH_MAX=1: every transfer booked alone',
  }, load(api.url), { 'auth-server': system.auth.pid, 'resource-api': api.pid })), UNBATCHED_TARGET);
}
