import { bulkhead, type BulkheadPolicy } from 'cockatiel';
import { Agent } from './undici-agent.js';
import { markingConnector } from './connect-phase.js';

/**
 * The keep-alive connection pool and concurrency limit for one upstream. Changing the base URL,
 * concurrency or timeout live makes a new pool; the old one is closed with the client.
 */
export interface TransportSettings {
  baseUrl: string;
  timeoutMs: number;
  concurrency: number;
}

export interface Pool {
  agent: Agent;
  limiter: BulkheadPolicy;
  key: string;
}

const keyOf = (s: TransportSettings) => `${s.baseUrl}|${Math.max(1, s.concurrency)}|${s.timeoutMs}`;

function newPool(s: TransportSettings): Pool {
  const connections = Math.max(1, s.concurrency);
  return {
    agent: new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      connections,
      // undici's connector with these options, marking what it reports (connect-phase.ts)
      connect: markingConnector({ timeout: s.timeoutMs }),
    }),
    // an unbounded queue: callers wait their turn instead of failing, the outbox deadline bounds the wait
    limiter: bulkhead(connections, Number.POSITIVE_INFINITY),
    key: keyOf(s),
  };
}

export class Pools {
  private pool: Pool;
  private readonly retired: Agent[] = [];

  constructor(initial: TransportSettings) {
    this.pool = newPool(initial);
  }

  /** The pool for these settings, replacing the current one when they changed. */
  for(s: TransportSettings): Pool {
    if (this.pool.key !== keyOf(s)) {
      this.retired.push(this.pool.agent);
      this.pool = newPool(s);
    }
    return this.pool;
  }

  current(): Pool {
    return this.pool;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pool.agent.close(), ...this.retired.splice(0).map((a) => a.close())]);
  }
}
