import { randomBytes, randomInt } from 'node:crypto';
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { apiCall, jsonOf } from './http.ts';
import type { WireTransfer } from './books.ts';
import type { FaultAccount } from './fault-system.ts';

/** The body of `POST /v1/transfers`. */
export interface TransferBody {
  source_account_id: string;
  destination_account_id: string;
  amount: string;
  currency: string;
}

/** One request of a transfer load: who sends it, under which idempotency key, with which body. */
export interface PlannedTransfer {
  key: string;
  /** Index of the user whose token sends it (the source account's owner). */
  owner: number;
  body: TransferBody;
}

/** How one request ended: an HTTP answer, or no answer at all (connection refused or reset, timeout). */
export type TransferOutcome =
  | {
    answered: true; status: number; headers: IncomingHttpHeaders; replayed: boolean; code: string | undefined;
    transfer: WireTransfer | undefined; body: unknown; durationMs: number;
  }
  | { answered: false; error: string; durationMs: number };

/**
 * Plans `count` transfers between random distinct `accounts` in CNY, 0.01 to 50.00 each, in
 * pairs: the second of each pair goes back the other way (A→B then B→A), so both lock orders occur.
 * Keys are unique per plan.
 */
export function planTransfers(accounts: readonly FaultAccount[], count: number): PlannedTransfer[] {
  const run = randomBytes(4).toString('hex');
  const planned: PlannedTransfer[] = [];
  while (planned.length < count) {
    const from = accounts[randomInt(accounts.length)] as FaultAccount;
    let to = accounts[randomInt(accounts.length)] as FaultAccount;
    while (to.id === from.id) to = accounts[randomInt(accounts.length)] as FaultAccount;
    for (const [source, destination] of [[from, to], [to, from]] as const) {
      if (planned.length === count) break;
      planned.push({
        key: `fault-${run}-${planned.length}`,
        owner: source.owner,
        body: { source_account_id: source.id, destination_account_id: destination.id, amount: randomCents(), currency: 'CNY' },
      });
    }
  }
  return planned;
}

function randomCents(): string {
  const cents = randomInt(1, 5_001);
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** Sends one planned transfer and classifies what came back; never throws. */
export async function sendTransfer(apiUrl: string, token: string, planned: PlannedTransfer, agent?: Agent, timeoutMs = 10_000): Promise<TransferOutcome> {
  const startedAt = performance.now();
  try {
    const response = await apiCall(apiUrl, 'POST', '/v1/transfers', {
      token, json: planned.body, headers: { 'idempotency-key': planned.key }, agent, timeoutMs,
    });
    const body = jsonOf(response);
    const code = typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string' ? (body as { code: string }).code : undefined;
    return {
      answered: true,
      status: response.status,
      headers: response.headers,
      replayed: response.headers['idempotent-replayed'] === 'true',
      code,
      transfer: response.status === 201 ? body as WireTransfer : undefined,
      body,
      durationMs: response.durationMs,
    };
  } catch (error) {
    return { answered: false, error: (error as Error).message || String(error), durationMs: performance.now() - startedAt };
  }
}
