import autocannon from 'autocannon';
import type { Client } from 'autocannon';
import { latencyPercentiles } from './percentiles.ts';
import type { LatencyPercentiles } from './percentiles.ts';
import { newStatusTally, tallyAnswer, tallyTransportErrors } from './status-tally.ts';
import type { ExpectedAnswers, StatusTally } from './status-tally.ts';

/** One HTTP request of a load run. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  /** Path and query, e.g. `/v1/accounts/acc_…/balance`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Input of {@link runLoad}. */
export interface LoadOptions {
  /** Base URL of the target, e.g. `http://localhost:4001`; also sent as the `Host` header. */
  url: string;
  /** Parallel keep-alive connections, each sending its next request when the answer has arrived. */
  connections: number;
  /** How long to send, seconds. */
  seconds: number;
  /**
   * Makes the request generator of connection number `connection` (0-based, one call per
   * connection); the generator is called once per request, so bodies and headers may vary.
   */
  requestsFor: (connection: number) => () => LoadRequest;
  /** What counts as an expected answer (see {@link tallyAnswer}). */
  expected: ExpectedAnswers;
}

/** Figures of one load run. Latencies are from request written to response parsed, in the load generator. */
export interface LoadFigures extends LatencyPercentiles {
  /** Answers received. */
  requests: number;
  /** Measured duration, seconds. */
  seconds: number;
  /** `requests / seconds`, rounded to 0.1. */
  perSecond: number;
  tally: StatusTally;
}

/**
 * Drives `options.url` with autocannon (as a library, no output) for `options.seconds` and
 * measures every answer: status (and problem `code`) counted, latency kept per request.
 * Connection errors and timeouts (10 s) count as unexpected (`transport:…`).
 *
 * @throws {Error} when autocannon cannot run (bad URL) or no request could be built
 */
export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const tally = newStatusTally();
  const latenciesMs: number[] = [];
  const host = new URL(options.url).host;
  let nextConnection = 0;
  const setupClient = (client: Client): void => {
    const next = options.requestsFor(nextConnection);
    nextConnection += 1;
    client.on('response', (_status: number, _bytes: number, durationMs: number) => latenciesMs.push(durationMs));
    client.setRequests([{
      setupRequest: (request) => {
        const made = next();
        return { ...request, method: made.method, path: made.path, body: made.body ?? '', headers: { host, ...made.headers } };
      },
      onResponse: (status: number, body: string) => {
        tallyAnswer(tally, options.expected, status, body);
      },
    }]);
  };
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
    timeout: 10,
    setupClient,
  });
  tallyTransportErrors(tally, 'error', result.errors - result.timeouts);
  tallyTransportErrors(tally, 'timeout', result.timeouts);
  const requests = latenciesMs.length;
  return {
    requests,
    seconds: result.duration,
    perSecond: Math.round((requests / result.duration) * 10) / 10,
    ...latencyPercentiles(latenciesMs),
    tally,
  };
}
