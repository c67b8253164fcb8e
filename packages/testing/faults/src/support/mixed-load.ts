import { randomBytes, randomInt } from 'node:crypto';
import { Agent } from 'node:http';
import { apiCall, jsonOf } from './http.ts';
import type { FaultSystem } from './fault-system.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendTransfer } from './transfer-load.ts';
import type { PlannedTransfer } from './transfer-load.ts';

/** The kinds of request the mixed load sends. */
export type LoadOperation = 'transfer' | 'balance' | 'history' | 'accounts' | 'readyz';

/** One request of the load and how it ended; times in ms since the load's `originMs`. */
export interface LoadSample {
  operation: LoadOperation;
  startMs: number;
  endMs: number;
  /** HTTP status, or 0 when no answer came (connection refused or reset, or the client timeout). */
  status: number;
  contentType: string;
  /** The problem's `code` of an error answer. */
  code: string | undefined;
  retryAfter: string | undefined;
  /** For transfers: the planned request (to send again later with the same key). */
  planned?: PlannedTransfer;
}

/** A running mixed load; {@link MixedLoad.stop} ends it and returns every sample. */
export interface MixedLoad {
  /** `performance.now()` when the load started; every sample's times are relative to it. */
  originMs: number;
  /** Milliseconds since `originMs`. */
  now(): number;
  /** Samples so far (the array keeps growing until stopped). */
  samples: LoadSample[];
  stop(): Promise<LoadSample[]>;
}

/**
 * Starts `workers` callers that each send, back to back, a random mix of transfers (half, each with
 * a new idempotency key, between random seeded accounts), balance reads, history pages and account
 * lists with their owners' tokens, plus one caller polling `/readyz` every `readyzEveryMs`.
 *
 * @param timeoutMs a request without a complete answer within this long counts as no answer
 */
export function startMixedLoad(faults: FaultSystem, options: { workers: number; readyzEveryMs: number; timeoutMs: number }): MixedLoad {
  const originMs = performance.now();
  const now = (): number => performance.now() - originMs;
  const samples: LoadSample[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: options.workers + 1 });
  const run = randomBytes(4).toString('hex');
  let stopped = false;
  let sequence = 0;

  const record = async (operation: LoadOperation, call: () => Promise<Omit<LoadSample, 'operation' | 'startMs' | 'endMs'>>): Promise<void> => {
    const startMs = now();
    const result = await call();
    samples.push({ operation, startMs, endMs: now(), ...result });
  };
  const read = async (path: string, token?: string): Promise<Omit<LoadSample, 'operation' | 'startMs' | 'endMs'>> => {
    try {
      const response = await apiCall(faults.system.api.url, 'GET', path, { token, agent, timeoutMs: options.timeoutMs });
      return answerOf(response.status, response.headers, jsonOf(response));
    } catch {
      return { status: 0, contentType: '', code: undefined, retryAfter: undefined };
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopped) {
      const from = faults.accounts[randomInt(faults.accounts.length)];
      if (!from) throw new Error('no accounts');
      const token = await faults.token(from.owner);
      const dice = randomInt(100);
      if (dice < 50) {
        let to = faults.accounts[randomInt(faults.accounts.length)];
        while (!to || to.id === from.id) to = faults.accounts[randomInt(faults.accounts.length)];
        const cents = randomInt(1, 1_001);
        const planned: PlannedTransfer = {
          key: `mixed-${run}-${sequence++}`,
          owner: from.owner,
          body: { source_account_id: from.id, destination_account_id: to.id, amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`, currency: 'CNY' },
        };
        await record('transfer', async () => {
          const outcome = await sendTransfer(faults.system.api.url, token, planned, agent, options.timeoutMs);
          if (!outcome.answered) return { status: 0, contentType: '', code: undefined, retryAfter: undefined, planned };
          return { ...answerOf(outcome.status, outcome.headers, outcome.body), planned };
        });
      } else if (dice < 70) {
        await record('balance', () => read(`/v1/accounts/${from.id}/balance`, token));
      } else if (dice < 85) {
        await record('history', () => read(`/v1/accounts/${from.id}/transactions?limit=5`, token));
      } else {
        await record('accounts', () => read('/v1/accounts', token));
      }
    }
  };
  const poller = async (): Promise<void> => {
    while (!stopped) {
      await record('readyz', () => read('/readyz'));
      await sleep(options.readyzEveryMs);
    }
  };
  const running = Promise.all([...Array.from({ length: options.workers }, worker), poller()]);
  return {
    originMs,
    now,
    samples,
    async stop() {
      stopped = true;
      await running;
      agent.destroy();
      return samples;
    },
  };
}

function answerOf(status: number, headers: Record<string, string | string[] | undefined>, body: unknown): Omit<LoadSample, 'operation' | 'startMs' | 'endMs'> {
  const code = typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string' ? (body as { code: string }).code : undefined;
  const retryAfter = headers['retry-after'];
  return { status, contentType: String(headers['content-type'] ?? ''), code, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
}
