import { randomBytes, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PayApiProblem, createPayApi } from '@payapi/sdk';
import type { PayApi, RetryOptions, Transfer } from '@payapi/sdk';

/** One HTTP attempt of a call, as the client saw it; times in ms of `performance.now()`. */
export interface Attempt {
  startMs: number;
  endMs: number;
  /** The answer's status; undefined when there was none (connection refused or reset, timeout). */
  status?: number;
  contentType?: string;
  /** The problem's `code` of an error answer. */
  code?: string;
  /** Why there was no answer: the fetch error's name (`TimeoutError`: the attempt hit the client's timeout). */
  error?: string;
}

/** An attempt in a few words, for the figures: `201`, `503 database_unavailable`, `no answer (TypeError)`. */
export function describeAttempt(attempt: Attempt): string {
  if (attempt.status === undefined) return `no answer (${attempt.error})`;
  return `${attempt.status}${attempt.code ? ` ${attempt.code}` : ''}`;
}

/** A source account and the token that may debit it (its owner's). */
export interface LoadAccount {
  id: string;
  /** Index of the owner in the tokens given to {@link startTransferLoad}. */
  owner: number;
}

/** One logical transfer: one Idempotency-Key, every attempt the SDK made for it, and how it ended. */
export interface TransferCall {
  key: string;
  owner: number;
  /** Made by the probe (see {@link TransferLoadOptions.probeEveryMs}). */
  probe: boolean;
  body: { source_account_id: string; destination_account_id: string; amount: string; currency: string };
  attempts: Attempt[];
  /** The transfer of the 201, or why the call gave up (the SDK's retries ran out, or a final refusal). */
  result?: { ok: true; transfer: Transfer } | { ok: false; error: string };
}

/** Input of {@link startTransferLoad}. */
export interface TransferLoadOptions {
  apiUrl: string;
  /** Access token of each owner (index = {@link LoadAccount.owner}). */
  tokens: readonly string[];
  accounts: readonly LoadAccount[];
  /** Callers in parallel, each one call at a time. */
  workers: number;
  /** The SDK's time limit per attempt, ms: an attempt without an answer by then is a hang. */
  attemptTimeoutMs: number;
  retry?: RetryOptions;
  /**
   * Adds a probe: one more caller that makes one attempt every `probeEveryMs` (no SDK retries), the
   * same key until it gets its 201, so the moment transfers succeed again is seen to within that.
   */
  probeEveryMs?: number;
}

/** A running load; `stop()` lets each caller finish its call and returns every call made. */
export interface TransferLoad {
  calls: TransferCall[];
  stop(): Promise<TransferCall[]>;
}

/**
 * A partner's retrying client as the SDK makes it, with `fetch` recording every attempt of every
 * call (by its Idempotency-Key) into `calls`. The SDK sends each call again with the same key on
 * 503, 409 `idempotency_key_in_flight`, connection errors and timeouts (docs/sdk.md).
 */
export function recordingPayApi(apiUrl: string, token: string, calls: ReadonlyMap<string, TransferCall>, options: { attemptTimeoutMs: number; retry?: RetryOptions }): PayApi {
  return createPayApi({
    baseUrl: apiUrl,
    accessToken: () => token,
    timeoutMs: options.attemptTimeoutMs,
    ...(options.retry ? { retry: options.retry } : {}),
    fetch: async (request) => {
      const call = calls.get(request.headers.get('idempotency-key') ?? '');
      const attempt: Attempt = { startMs: performance.now(), endMs: 0 };
      call?.attempts.push(attempt);
      try {
        const response = await fetch(request);
        attempt.status = response.status;
        attempt.contentType = response.headers.get('content-type') ?? '';
        if (response.status >= 400) {
          const body = await response.clone().json().catch(() => undefined) as { code?: unknown } | undefined;
          if (typeof body?.code === 'string') attempt.code = body.code;
        }
        return response;
      } catch (error) {
        attempt.error = (error as Error).name;
        throw error;
      } finally {
        attempt.endMs = performance.now();
      }
    },
  });
}

/** A transfer between two random distinct accounts in CNY, 0.01 to 50.00. */
function planCall(accounts: readonly LoadAccount[], key: string, probe = false): TransferCall {
  const source = accounts[randomInt(accounts.length)] as LoadAccount;
  let destination = accounts[randomInt(accounts.length)] as LoadAccount;
  while (destination.id === source.id) destination = accounts[randomInt(accounts.length)] as LoadAccount;
  const cents = randomInt(1, 5_001);
  return {
    key, owner: source.owner, probe, attempts: [],
    body: { source_account_id: source.id, destination_account_id: destination.id, amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`, currency: 'CNY' },
  };
}

/** How a call that did not end in a 201 ended, in a few words. */
function describeFailure(error: unknown): string {
  if (error instanceof PayApiProblem) return `${error.status} ${error.code}`;
  return (error as Error).name || String(error);
}

/**
 * Starts `workers` callers, each making transfers one after the other through the SDK (a new
 * Idempotency-Key per transfer, the same on its retries) until stopped.
 */
export function startTransferLoad(options: TransferLoadOptions): TransferLoad {
  const calls: TransferCall[] = [];
  const byKey = new Map<string, TransferCall>();
  const clients = options.tokens.map((token) => recordingPayApi(options.apiUrl, token, byKey, options));
  const run = randomBytes(4).toString('hex');
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const call = planCall(options.accounts, `cluster-${run}-${calls.length}`);
      calls.push(call);
      byKey.set(call.key, call);
      try {
        const transfer = await (clients[call.owner] as PayApi).transfers.create(call.body, { idempotencyKey: call.key });
        call.result = { ok: true, transfer };
      } catch (error) {
        call.result = { ok: false, error: describeFailure(error) };
        await sleep(100); // the SDK gave up: a partner would not hammer either
      }
    }
  };
  const probe = async (everyMs: number): Promise<void> => {
    const single = options.tokens.map((token) => recordingPayApi(options.apiUrl, token, byKey, { ...options, retry: { maxAttempts: 1 } }));
    let call: TransferCall | undefined;
    while (!stopped) {
      if (call === undefined || call.result?.ok === true) {
        call = planCall(options.accounts, `cluster-${run}-${calls.length}`, true);
        calls.push(call);
        byKey.set(call.key, call);
      }
      try {
        call.result = { ok: true, transfer: await (single[call.owner] as PayApi).transfers.create(call.body, { idempotencyKey: call.key }) };
      } catch (error) {
        call.result = { ok: false, error: describeFailure(error) };
      }
      await sleep(everyMs);
    }
  };
  const running = [
    ...Array.from({ length: options.workers }, worker),
    ...(options.probeEveryMs === undefined ? [] : [probe(options.probeEveryMs)]),
  ];
  return {
    calls,
    async stop() {
      stopped = true;
      await Promise.all(running);
      return calls;
    },
  };
}

/**
 * Sends every call that did not end in a 201 again, same key and body, until each has one (at most
 * `rounds` times, half a second apart): after a fault, the partner finishes what it started.
 *
 * @returns how many rounds it took (0 when nothing was left)
 * @throws {Error} listing the calls still without a 201
 */
export async function settleCalls(apiUrl: string, tokens: readonly string[], calls: readonly TransferCall[], rounds = 20): Promise<number> {
  const byKey = new Map(calls.map((call) => [call.key, call]));
  const clients = tokens.map((token) => recordingPayApi(apiUrl, token, byKey, { attemptTimeoutMs: 10_000 }));
  for (let round = 1; round <= rounds; round += 1) {
    const pending = calls.filter((call) => call.result?.ok !== true);
    if (pending.length === 0) return round - 1;
    await Promise.all(pending.map(async (call) => {
      try {
        call.result = { ok: true, transfer: await (clients[call.owner] as PayApi).transfers.create(call.body, { idempotencyKey: call.key }) };
      } catch (error) {
        call.result = { ok: false, error: describeFailure(error) };
      }
    }));
    await sleep(500);
  }
  const left = calls.filter((call) => call.result?.ok !== true);
  if (left.length > 0) throw new Error(`${left.length} transfers still without a 201: ${JSON.stringify(left.slice(0, 3).map((call) => [call.key, call.result]))}`);
  return rounds;
}
