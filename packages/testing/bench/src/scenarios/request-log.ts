import type { ServiceProcess } from '@payapi/system-testing';
import { measureLoad } from '../context.ts';
import type { BenchContext } from '../context.ts';
import { startFreshApi } from '../fresh-api.ts';
import { compareRates } from '../row.ts';
import type { Row } from '../row.ts';
import { BOUNDS } from '../bounds.ts';
import { balanceRequests } from './balance.ts';

const TARGET = 0.9;

/**
 * The `balance` load with the request log on (`REQUEST_LOG=on`, the default: each call buffered
 * and written to `api.request_log` in batches) beside the same load with it off, in the same run.
 *
 * Setup, the cheapest honest one: two fresh resource API processes started for this scenario
 * beside the running system, on its database and with its environment, differing only in
 * `REQUEST_LOG` (and `PORT`). `RESOURCE_API_URL` stays the system's, so the users' tokens (whose
 * `aud` it is) are valid on both; the authorization server is not called during the rows (tokens
 * are cached). Two fresh processes rather than the system's own API against one restarted with the
 * log off: neither row then runs on a process warmed, grown or fragmented by earlier scenarios,
 * and the system is left as it was for the next ones; a second whole system would only add an
 * idle authorization server and worker. Both processes run during every row (the idle one costs
 * next to no CPU); each row watches its own process.
 *
 * The pairs run on, off, off, on (ABBA): a single on-then-off pair would charge the log's
 * after-effects (autovacuum of the new rows) and any drift of this shared machine's load to one
 * side. Each pair is a comparison of its own; the note of the last row gives both pairs together
 * (sum of rates on / sum off) and the rows the log wrote and dropped (from the process's
 * `/metrics`, warm-ups included).
 */
export async function requestLogScenario(context: BenchContext): Promise<void> {
  const { system } = context.prepared;
  const startApi = (requestLog: 'on' | 'off'): Promise<ServiceProcess> => startFreshApi(context, { REQUEST_LOG: requestLog });
  const on = await startApi('on');
  let off: ServiceProcess | undefined;
  try {
    off = await startApi('off');
    const requestsFor = balanceRequests(context);
    const measure = (api: ServiceProcess, id: string, role: 'measured' | 'reference', label: string): Promise<Row> => measureLoad(context,
      { id, scenario: 'request-log', role, label }, { url: api.url, requestsFor, expected: {} },
      { 'auth-server': system.auth.pid, 'resource-api': api.pid });
    const before = await requestLogCounts(on.metricsUrl);
    const onFirst = await measure(on, 'request-log', 'measured', 'GET /v1/accounts/{id}/balance as in balance, REQUEST_LOG=on (fresh API process)');
    const offFirst = await measure(off, 'request-log:reference', 'reference', 'the same with REQUEST_LOG=off (fresh API process)');
    const offSecond = await measure(off, 'request-log:reference-2', 'reference', 'second pair: REQUEST_LOG=off, measured first');
    const onSecond = await measure(on, 'request-log-2', 'measured', 'second pair: REQUEST_LOG=on, measured after its reference');
    const after = await requestLogCounts(on.metricsUrl);
    const written = after.written - before.written;
    const both = compareRates(onFirst.perSecond + onSecond.perSecond, offFirst.perSecond + offSecond.perSecond, TARGET);
    onSecond.note = `both pairs: ratio ${both.ratio} (target >= ${TARGET} ${both.met ? 'met' : 'MISSED'}); request log: ${written} rows written, `
      + `dropped ${JSON.stringify(subtract(after.dropped, before.dropped))}, warm-ups included`;
    context.log(`request-log: ${onSecond.note}`);
    for (const [measured, reference] of [[onFirst, offFirst], [onSecond, offSecond]] as const) {
      context.comparisons.push({
        scenario: 'request-log', measuredId: measured.id, referenceId: reference.id,
        ...compareRates(measured.perSecond, reference.perSecond, TARGET), target: TARGET, bound: BOUNDS['request-log'],
      });
    }
  } finally {
    await Promise.all([on.stop(), off?.stop()]);
  }
}

/** `request_log_written_total` and `request_log_dropped_total` by reason, from the process's `/metrics` (its metrics port). */
async function requestLogCounts(metricsUrl: string): Promise<{ written: number; dropped: Record<string, number> }> {
  const text = await (await fetch(metricsUrl)).text();
  let written = 0;
  const dropped: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const writtenMatch = /^request_log_written_total (\S+)$/.exec(line);
    if (writtenMatch) written = Number(writtenMatch[1]);
    const droppedMatch = /^request_log_dropped_total\{reason="([a-z_]+)"\} (\S+)$/.exec(line);
    if (droppedMatch) dropped[droppedMatch[1] as string] = Number(droppedMatch[2]);
  }
  return { written, dropped };
}

function subtract(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([reason, count]) => [reason, count - (before[reason] ?? 0)]));
}
