import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { WebhookTarget } from './post-webhook.ts';

/** An idle connection is closed after this long (sooner when the server's `Keep-Alive: timeout` asks), ms. */
const IDLE_MS = 4_000;
/** Idle connections kept per agent (one origin at one address). */
const IDLE_PER_AGENT_MAX = 4;
/** How often agents left without connections are dropped, ms. */
const SWEEP_MS = 30_000;

/**
 * Keep-alive connections for deliveries (docs/webhooks.md, "Delivery"): one agent per URL origin
 * (scheme, host, port) **and** address checked for it. Every attempt checks its URL again
 * (`resolveEndpointUrl`) and asks for the agent of the address that check returned, so a connection
 * is only reused by an attempt whose own check found that very address for that very host: a name
 * re-pointed elsewhere gets another agent (the old one's connections idle out), a name re-pointed
 * at a refused address sends nothing. Connections idle out after 4 s, before common servers drop
 * them (5 s for Node's, 60 s and more for proxies and load balancers).
 */
export class ConnectionPool {
  readonly #agents = new Map<string, HttpAgent>();
  readonly #sweep = setInterval(() => this.#dropUnused(), SWEEP_MS).unref();

  /** The agent for connections to `target.address` for `target.url`'s origin. */
  agentFor(target: WebhookTarget): HttpAgent {
    const key = `${target.url.origin} ${target.address}`;
    let agent = this.#agents.get(key);
    if (!agent) {
      const options = { keepAlive: true, maxFreeSockets: IDLE_PER_AGENT_MAX, timeout: IDLE_MS };
      agent = target.url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
      this.#agents.set(key, agent);
    }
    return agent;
  }

  /** Closes every connection, idle or not; the pool is not used afterwards. */
  destroy(): void {
    clearInterval(this.#sweep);
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  #dropUnused(): void {
    for (const [key, agent] of this.#agents) {
      const open = Object.keys(agent.sockets).length + Object.keys(agent.freeSockets).length + Object.keys(agent.requests).length;
      if (open === 0) {
        agent.destroy();
        this.#agents.delete(key);
      }
    }
  }
}
