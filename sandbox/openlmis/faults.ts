import { randomUUID } from 'node:crypto';

/**
 * Fault injection per endpoint. A rule matches a method and a path pattern (`*` = one path
 * segment, `**` = anything, otherwise literal) and, for its next `times` matches (or forever) and
 * with `probability` (default 1), does one thing:
 * - `status`: answer with that status (and `body`, default a Spring error body) without running the handler;
 * - `delay`: wait `ms`, then run the handler normally;
 * - `held`: wait until `released` settles, then run the handler normally (a test in the same
 *   process says when: what happens meanwhile is then an order of events, not a race with a timer);
 * - `hang`: never answer (until the sandbox closes) — a client timeout;
 * - `reset`: destroy the TCP connection without an answer;
 * - `expireToken`: expire the caller's bearer token first, so the handler answers 401 invalid_token;
 * - `afterApply`: run the handler (the write is applied), then, if it succeeded (2xx), lose its
 *   answer: replace it with `answer.status` (and `answer.body`, text sent as it is: a proxy's
 *   page, a body cut short), never send it (`hang`), or drop the connection
 *   (`reset`). What a client sees when the server did the work but the answer never came back.
 * - `echoSecrets`: answer `status` without running the handler, repeating the request's
 *   credentials (Authorization header, decoded Basic pair, query, body) in the error body and in a
 *   `WWW-Authenticate` challenge (see echo-secrets.ts).
 */
export type FaultAction =
  | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { type: 'delay'; ms: number }
  | { type: 'held'; released: Promise<unknown> }
  | { type: 'hang' }
  | { type: 'reset' }
  | { type: 'expireToken' }
  | { type: 'afterApply'; answer: AfterApplyAnswer }
  | { type: 'echoSecrets'; status: number };

/** What happens to the answer of a write the handler already applied. */
export type AfterApplyAnswer =
  { type: 'status'; status: number; body?: string; contentType?: string } | { type: 'hang' } | { type: 'reset' };

export interface FaultRuleInput {
  method?: string;
  path: string;
  action: FaultAction;
  times?: number;
  probability?: number;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
  /** how many times the rule fired */
  hits: number;
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

export class FaultController {
  private rules: Array<FaultRule & { re: RegExp }> = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(input: FaultRuleInput): FaultRule {
    if (!input || typeof input.path !== 'string' || !input.action || typeof input.action.type !== 'string') {
      throw new TypeError('a fault needs a path and an action {type}');
    }
    // `**` belongs to paths; a method nothing can send would be stored and never fire, unseen
    if (input.method !== undefined && (typeof input.method !== 'string' || !/^(\*|[A-Za-z]+)$/.test(input.method))) {
      throw new TypeError(
        `a fault's method is an HTTP method or "*" (any method), not ${JSON.stringify(input.method)}`,
      );
    }
    const rule = {
      ...input,
      method: input.method?.toUpperCase() ?? '*',
      id: randomUUID(),
      hits: 0,
      re: patternToRegExp(input.path),
    };
    this.rules.push(rule);
    return this.view(rule);
  }

  /** Shorthands used by tests. */
  failNext(method: string, path: string, status: number, times = 1, body?: unknown): FaultRule {
    return this.add({ method, path, times, action: { type: 'status', status, body } });
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => this.view(r));
  }

  /** The action to apply to this request, consuming one use of the first matching rule. */
  match(method: string, path: string): FaultAction | undefined {
    for (const rule of this.rules) {
      if (rule.method !== '*' && rule.method !== method.toUpperCase()) continue;
      if (!rule.re.test(path)) continue;
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.hits++;
      return rule.action;
    }
    return undefined;
  }

  private view(rule: FaultRule & { re?: RegExp }): FaultRule {
    const { re: _re, ...rest } = rule;
    return { ...rest };
  }
}
