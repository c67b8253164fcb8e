import assert from 'node:assert/strict';
import type { ClaimedDelivery } from './claim.ts';

/** Limits of {@link DeliveryQueues} (docs/webhooks.md, "Delivery"). */
export interface QueueLimits {
  /** Attempts in flight (HTTP requests) per endpoint. */
  concurrencyPerEndpoint: number;
  /** Attempts in flight in all. */
  concurrencyTotal: number;
  /**
   * Attempts in flight for one client, all its endpoints together (default: `concurrencyTotal`): a
   * client whose ten endpoints all hang holds this many slots, and the others stay free for everyone else.
   */
  concurrencyPerClient?: number;
  /** Attempts held per endpoint at most: in flight plus claimed ahead, waiting for a slot. */
  depthPerEndpoint: number;
  /** An attempt that waited longer than this for a slot is not sent but set aside ({@link DeliveryQueues.takeStale}), ms. */
  queueWaitMaxMs: number;
}

/** An endpoint may hold, beyond its slots, as many attempts as it answered with success in this last span, ms. */
export const CLAIM_AHEAD_WINDOW_MS = 500;

interface Endpoint {
  /** The client the endpoint belongs to (every event of an endpoint is for its client). */
  clientId: string;
  /** Claimed attempts waiting for a slot, oldest first, with when they were queued (`performance.now()`). */
  queue: Array<{ claimed: ClaimedDelivery; queuedAtMs: number }>;
  inFlight: number;
  /** Failures being recorded: none of its waiting attempts starts meanwhile (the failure may disable it). */
  paused: number;
}

/**
 * The attempts one worker holds, per endpoint: those in flight and those claimed ahead, waiting for
 * one of the endpoint's slots. The endpoints' attempts start in their own slots, taken round robin,
 * so an endpoint that never answers holds its few slots until the timeout and delays no other.
 *
 * How far ahead an endpoint is claimed follows how fast it answers: its slots, plus the attempts
 * it answered with success in the last 500 ms, up to `depthPerEndpoint`. A fast endpoint soon
 * gets the whole depth (one claim statement feeds many sends); a slow one about what it answers
 * in 500 ms; one that does not answer, or fails, nothing beyond its slots, as without claim-ahead.
 * An attempt that still waits longer than `queueWaitMaxMs` (the endpoint slowed down) is not sent
 * but given back. In all a worker holds at most `depthPerEndpoint` for each `concurrencyPerEndpoint`
 * of its `concurrencyTotal` slots.
 */
export class DeliveryQueues {
  readonly #limits: QueueLimits;
  readonly #heldMax: number;
  /** In round-robin order: an endpoint that just started an attempt goes to the back. */
  readonly #endpoints = new Map<string, Endpoint>();
  /** Per endpoint, when its latest successes came (`performance.now()`, oldest first, at most `depthPerEndpoint`). */
  readonly #successes = new Map<string, number[]>();
  #inFlight = 0;
  /** Attempts in flight per client (absent: none). */
  readonly #clientInFlight = new Map<string, number>();
  #held = 0;
  #stale: ClaimedDelivery[] = [];

  constructor(limits: QueueLimits) {
    const { concurrencyPerEndpoint, concurrencyTotal, depthPerEndpoint } = limits;
    assert.ok(concurrencyPerEndpoint >= 1 && concurrencyTotal >= concurrencyPerEndpoint && depthPerEndpoint >= concurrencyPerEndpoint,
      'delivery concurrency limits');
    this.#limits = limits;
    this.#heldMax = Math.ceil(concurrencyTotal / concurrencyPerEndpoint) * depthPerEndpoint;
  }

  /** Slots free in all. */
  get slotsFree(): number {
    return this.#limits.concurrencyTotal - this.#inFlight;
  }

  /** How many more attempts this worker may claim in all. */
  get heldFree(): number {
    return this.#heldMax - this.#held;
  }

  /** What an endpoint this worker neither holds nor heard from lately may be claimed: its slots. */
  get roomDefault(): number {
    return this.#limits.concurrencyPerEndpoint;
  }

  /** How many more attempts of each endpoint this worker may claim now (endpoints absent: {@link roomDefault}). */
  room(nowMs: number): Map<string, number> {
    const room = new Map<string, number>();
    for (const [id, times] of this.#successes) {
      while (times.length > 0 && (times[0] as number) < nowMs - CLAIM_AHEAD_WINDOW_MS) times.shift();
      if (times.length === 0) this.#successes.delete(id);
      else room.set(id, this.#depth(id));
    }
    for (const [id, endpoint] of this.#endpoints) room.set(id, this.#depth(id) - endpoint.queue.length - endpoint.inFlight);
    return room;
  }

  /**
   * Adds what a claim returned (never more than `room` allowed: exceeding the depth is a bug).
   *
   * @param room what the claim was given ({@link room})
   * @returns true when the claim filled an endpoint's room (more of it may be due)
   */
  add(claimed: readonly ClaimedDelivery[], nowMs: number, room: ReadonlyMap<string, number>): boolean {
    const counts = new Map<string, number>();
    for (const one of claimed) {
      const endpoint = this.#endpoint(one.endpointId, one.event.clientId);
      endpoint.queue.push({ claimed: one, queuedAtMs: nowMs });
      this.#held += 1;
      counts.set(one.endpointId, (counts.get(one.endpointId) ?? 0) + 1);
      assert.ok(endpoint.queue.length + endpoint.inFlight <= this.#limits.depthPerEndpoint && this.#held <= this.#heldMax,
        `delivery queue exceeded for ${one.endpointId}`);
    }
    return [...counts].some(([id, count]) => count >= (room.get(id) ?? this.roomDefault));
  }

  /**
   * Takes a slot for the next attempt to send: the oldest waiting attempt of the first endpoint, in
   * round-robin order, that has a free slot and no failure being recorded. Attempts that waited
   * longer than `queueWaitMaxMs` are set aside on the way, for {@link takeStale}.
   */
  next(nowMs: number): ClaimedDelivery | undefined {
    if (this.#inFlight >= this.#limits.concurrencyTotal) return undefined;
    for (const [id, endpoint] of this.#endpoints) {
      if (endpoint.paused > 0 || endpoint.inFlight >= this.#limits.concurrencyPerEndpoint) continue;
      if ((this.#clientInFlight.get(endpoint.clientId) ?? 0) >= (this.#limits.concurrencyPerClient ?? this.#limits.concurrencyTotal)) continue;
      let head = endpoint.queue.shift();
      while (head && nowMs - head.queuedAtMs > this.#limits.queueWaitMaxMs) {
        this.#stale.push(head.claimed);
        this.#held -= 1;
        head = endpoint.queue.shift();
      }
      if (!head) {
        this.#forgetIfIdle(id, endpoint);
        continue;
      }
      endpoint.inFlight += 1;
      this.#inFlight += 1;
      this.#clientInFlight.set(endpoint.clientId, (this.#clientInFlight.get(endpoint.clientId) ?? 0) + 1);
      this.#endpoints.delete(id);
      this.#endpoints.set(id, endpoint);
      return head.claimed;
    }
    return undefined;
  }

  /** The attempts {@link next} set aside since the last call: to be given back, unsent. */
  takeStale(): ClaimedDelivery[] {
    const stale = this.#stale;
    this.#stale = [];
    return stale;
  }

  /** Removes the attempts waiting for a slot, of one endpoint or of all: to be given back, unsent. */
  takeQueued(endpointId?: string): ClaimedDelivery[] {
    const taken: ClaimedDelivery[] = [];
    for (const [id, endpoint] of this.#endpoints) {
      if (endpointId !== undefined && id !== endpointId) continue;
      taken.push(...endpoint.queue.map((waiting) => waiting.claimed));
      this.#held -= endpoint.queue.length;
      endpoint.queue = [];
      this.#forgetIfIdle(id, endpoint);
    }
    return taken;
  }

  /** Gives back the slot of an attempt that ended; a success lets its endpoint be claimed further ahead. */
  finish(endpointId: string, succeededAtMs?: number): void {
    const endpoint = this.#endpoints.get(endpointId);
    assert.ok(endpoint && endpoint.inFlight > 0, `no delivery slot held for ${endpointId}`);
    endpoint.inFlight -= 1;
    this.#inFlight -= 1;
    const clientInFlight = (this.#clientInFlight.get(endpoint.clientId) ?? 1) - 1;
    if (clientInFlight > 0) this.#clientInFlight.set(endpoint.clientId, clientInFlight);
    else this.#clientInFlight.delete(endpoint.clientId);
    this.#held -= 1;
    this.#forgetIfIdle(endpointId, endpoint);
    if (succeededAtMs !== undefined) {
      let times = this.#successes.get(endpointId);
      if (!times) this.#successes.set(endpointId, times = []);
      times.push(succeededAtMs);
      if (times.length > this.#limits.depthPerEndpoint) times.shift();
    }
  }

  /** Holds the endpoint's waiting attempts back until {@link resume} (called while one of its attempts is in flight). */
  pause(endpointId: string): void {
    const endpoint = this.#endpoints.get(endpointId);
    assert.ok(endpoint && endpoint.inFlight > 0, `pausing ${endpointId} with nothing in flight`);
    endpoint.paused += 1;
  }

  resume(endpointId: string): void {
    const endpoint = this.#endpoints.get(endpointId);
    assert.ok(endpoint && endpoint.paused > 0, `resuming ${endpointId}, not paused`);
    endpoint.paused -= 1;
  }

  /** How many attempts of the endpoint this worker may hold now: its slots plus its recent successes, at most the depth. */
  #depth(id: string): number {
    const { concurrencyPerEndpoint, depthPerEndpoint } = this.#limits;
    return Math.min(depthPerEndpoint, concurrencyPerEndpoint + (this.#successes.get(id)?.length ?? 0));
  }

  #endpoint(id: string, clientId: string): Endpoint {
    let endpoint = this.#endpoints.get(id);
    if (!endpoint) {
      endpoint = { clientId, queue: [], inFlight: 0, paused: 0 };
      this.#endpoints.set(id, endpoint);
    }
    return endpoint;
  }

  #forgetIfIdle(id: string, endpoint: Endpoint): void {
    if (endpoint.queue.length === 0 && endpoint.inFlight === 0 && endpoint.paused === 0) this.#endpoints.delete(id);
  }
}
