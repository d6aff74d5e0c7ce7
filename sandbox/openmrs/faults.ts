import { randomUUID } from 'node:crypto';

/**
 * Fault injection per endpoint. A rule matches a method and a path pattern (`*` = one path
 * segment, `**` = anything) for its next `times` matches (or forever) and does one thing:
 * - `status`: answer that status (and `body`, and `headers`: a gateway's Retry-After) without
 *   running the handler;
 * - `delay`: wait `ms`, then run the handler;
 * - `hang`: never answer (a client timeout); `reset`: drop the connection without an answer;
 * - `expireSession`: the caller's session times out first, so the call gets 401 "Session timed out";
 * - `afterApply`: run the handler (the write is applied), then lose a 2xx answer: replace it with
 *   `answer.status` (and `answer.body`, text sent as it is: a proxy's login page, a body cut
 *   short), drop the connection (`reset`) or never send it (`hang`: the caller is still waiting
 *   when it dies, the write applied and not yet recorded by it).
 * - `echoSecrets`: after authenticating the caller, answer `status` without running the handler,
 *   repeating its credentials (Basic header and pair, JSESSIONID cookie, query, body) in the
 *   error's message and detail (where OpenMRS puts a stack trace), in a `WWW-Authenticate`
 *   challenge and, for a 3xx, in the login page's `Location` (see sandbox/openlmis/echo-secrets.ts).
 */
export type FaultAction =
  | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { type: 'delay'; ms: number }
  | { type: 'hang' }
  | { type: 'reset' }
  | { type: 'expireSession' }
  | { type: 'echoSecrets'; status: number }
  | {
      type: 'afterApply';
      answer: { type: 'status'; status: number; body?: string } | { type: 'reset' } | { type: 'hang' };
    };

export interface FaultRuleInput {
  method?: string;
  path: string;
  action: FaultAction;
  times?: number;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
  hits: number;
}

const ACTIONS: string[] = ['status', 'delay', 'hang', 'reset', 'expireSession', 'afterApply', 'echoSecrets'];

/** An afterApply's answer: `{type: "status", status, body?}`, `{type: "reset"}` or `{type: "hang"}`. */
function checkLostAnswer(answer: unknown): void {
  const a = answer as { type?: unknown; status?: unknown } | undefined;
  const ok =
    !!a &&
    typeof a === 'object' &&
    (a.type === 'reset' ||
      a.type === 'hang' ||
      (a.type === 'status' &&
        Number.isInteger(a.status) &&
        (a.status as number) >= 100 &&
        (a.status as number) <= 599));
  if (!ok)
    throw new TypeError(
      `an afterApply fault's answer is {"type":"status","status":502[,"body":"..."]}, {"type":"reset"} or {"type":"hang"}, not ${JSON.stringify(answer)}`,
    );
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
  private rules: (FaultRule & { re: RegExp })[] = [];

  add(input: FaultRuleInput): FaultRule {
    if (!input || typeof input.path !== 'string' || !input.action || typeof input.action.type !== 'string')
      throw new TypeError('a fault needs a path and an action {type}');
    // a rule nothing can match, or an action the sandbox cannot perform, would be stored and
    // then never fire, or answer a 500 of its own: refused at once, saying what is taken
    if (input.method !== undefined && (typeof input.method !== 'string' || !/^(\*|[A-Za-z]+)$/.test(input.method)))
      throw new TypeError(
        `a fault's method is an HTTP method or "*" (any method), not ${JSON.stringify(input.method)}`,
      );
    if (!ACTIONS.includes(input.action.type))
      throw new TypeError(
        `a fault's action type is one of ${ACTIONS.join(', ')}, not ${JSON.stringify(input.action.type)}`,
      );
    if (input.action.type === 'afterApply') checkLostAnswer(input.action.answer);
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

  match(method: string, path: string): FaultAction | undefined {
    for (const rule of this.rules) {
      if (rule.method !== '*' && rule.method !== method.toUpperCase()) continue;
      if (!rule.re.test(path)) continue;
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
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
