import type { ServiceProcess } from '@payapi/system-testing';
import { measureLoad } from '../context.ts';
import type { BenchContext } from '../context.ts';
import { startFreshApi } from '../fresh-api.ts';
import { compareRates } from '../row.ts';
import type { Row } from '../row.ts';
import { BOUNDS } from '../bounds.ts';
import { balanceRequests } from './balance.ts';

/** The bound: revocation at once may cost the balance read at most 10 %. */
const TARGET = 0.9;

/**
 * The `balance` load with revocation checked on every call from memory (`REVOCATION_CHECK=notices`,
 * the default: LISTEN/NOTIFY feeding a set of revoked tokens and consents; docs/resource-api.md,
 * "Revocation at once") beside the same load without any revocation check on reads
 * (`REVOCATION_CHECK=none`, the behaviour before it), in the same run.
 *
 * Setup as in the `request-log` scenario: two fresh resource API processes beside the running
 * system, on its database and environment, differing only in `REVOCATION_CHECK` (and `PORT`);
 * the pairs run on, off, off, on (ABBA) so neither side gets all of the machine's drift. The note of
 * the last row gives both pairs together (sum of rates with the check / sum without).
 */
export async function revocationScenario(context: BenchContext): Promise<void> {
  const { system } = context.prepared;
  const startApi = (check: 'notices' | 'none'): Promise<ServiceProcess> => startFreshApi(context, { REVOCATION_CHECK: check });
  const on = await startApi('notices');
  let off: ServiceProcess | undefined;
  try {
    off = await startApi('none');
    const requestsFor = balanceRequests(context);
    const measure = (api: ServiceProcess, id: string, role: 'measured' | 'reference', label: string): Promise<Row> => measureLoad(context,
      { id, scenario: 'revocation', role, label }, { url: api.url, requestsFor, expected: {} },
      { 'auth-server': system.auth.pid, 'resource-api': api.pid });
    const onFirst = await measure(on, 'revocation', 'measured', 'GET /v1/accounts/{id}/balance as in balance, REVOCATION_CHECK=notices (fresh API process)');
    const offFirst = await measure(off, 'revocation:reference', 'reference', 'the same with REVOCATION_CHECK=none: reads unchecked, as before (fresh API process)');
    const offSecond = await measure(off, 'revocation:reference-2', 'reference', 'second pair: REVOCATION_CHECK=none, measured first');
    const onSecond = await measure(on, 'revocation-2', 'measured', 'second pair: REVOCATION_CHECK=notices, measured after its reference');
    const both = compareRates(onFirst.perSecond + onSecond.perSecond, offFirst.perSecond + offSecond.perSecond, TARGET);
    onSecond.note = `both pairs: ratio ${both.ratio} (target >= ${TARGET} ${both.met ? 'met' : 'MISSED'})`;
    context.log(`revocation: ${onSecond.note}`);
    for (const [measured, reference] of [[onFirst, offFirst], [onSecond, offSecond]] as const) {
      context.comparisons.push({
        scenario: 'revocation', measuredId: measured.id, referenceId: reference.id,
        ...compareRates(measured.perSecond, reference.perSecond, TARGET), target: TARGET, bound: BOUNDS.revocation,
      });
    }
  } finally {
    await Promise.all([on.stop(), off?.stop()]);
  }
}
