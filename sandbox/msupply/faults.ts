/**
 * Fault injection per GraphQL operation (the first root field of the document: `authToken`,
 * `insertRequestRequisition` …, or `*` for any). For its next `times` matches (or forever):
 * - `status`: answer that HTTP status (and `body`, and `headers`: a gateway's Retry-After) without executing;
 * - `graphqlError`: answer 200 with errors[] of that message (e.g. "Internal error") without executing;
 * - `delay`: wait `ms`, then execute;
 * - `held`: wait until `released` settles, then execute (a test in the same process says when:
 *   what happens meanwhile is then an order of events, not a race with a timer);
 * - `hang`: never answer (a client timeout);
 * - `reset`: drop the connection without an answer;
 * - `expireToken`: forget the caller's bearer first, so the call is "Unauthenticated";
 * - `afterApply`: execute (the write is applied), then lose the answer: `hang` or `reset`.
 * - `echoSecrets`: answer `status` without executing, repeating the caller's credentials (bearer
 *   token, refresh cookie, the login mutation's variables) in errors[].message and extensions, in
 *   a `WWW-Authenticate` challenge and, for a 3xx, in the `Location` (sandbox/openlmis/echo-secrets.ts).
 * With `variablesInclude`, a rule matches only calls whose variables (as JSON) contain that text:
 * one record's answers made odd (an item code, a requisition id), the others' left as they are.
 */
export type MsupplyFaultAction =
  | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { type: 'graphqlError'; message: string }
  | { type: 'delay'; ms: number }
  | { type: 'held'; released: Promise<unknown> }
  | { type: 'hang' }
  | { type: 'reset' }
  | { type: 'expireToken' }
  | { type: 'afterApply'; answer: 'hang' | 'reset' }
  | { type: 'echoSecrets'; status: number };

export interface MsupplyFaultInput {
  operation: string;
  action: MsupplyFaultAction;
  times?: number;
  variablesInclude?: string;
}

export interface MsupplyFault extends MsupplyFaultInput {
  id: number;
  hits: number;
}

const ACTIONS: string[] = [
  'status',
  'graphqlError',
  'delay',
  'hang',
  'reset',
  'expireToken',
  'afterApply',
  'echoSecrets',
  'held',
];

export class MsupplyFaults {
  private rules: MsupplyFault[] = [];
  private nextId = 1;

  add(input: MsupplyFaultInput): MsupplyFault {
    if (!input || typeof input.operation !== 'string' || !input.action || typeof input.action.type !== 'string')
      throw new TypeError('a fault needs an operation and an action {type}');
    // an action the sandbox cannot perform would be stored and then do something else (an
    // afterApply answer it does not know hangs the caller): refused at once, saying what is taken
    if (!ACTIONS.includes(input.action.type))
      throw new TypeError(
        `a fault's action type is one of ${ACTIONS.join(', ')}, not ${JSON.stringify(input.action.type)}`,
      );
    if (input.action.type === 'afterApply' && !['hang', 'reset'].includes(input.action.answer as string))
      throw new TypeError(
        `an afterApply fault's answer is "hang" or "reset", not ${JSON.stringify((input.action as { answer?: unknown }).answer)}`,
      );
    // a held rule sent as JSON (the control endpoint) has no promise: it would never be released
    if (
      input.action.type === 'held' &&
      typeof (input.action as { released?: { then?: unknown } }).released?.then !== 'function'
    )
      throw new TypeError('a held fault needs `released`, a promise (a test in the same process)');
    const rule = { ...input, id: this.nextId++, hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  /** The action for this operation now, counting the hit; undefined when no rule applies. */
  take(operation: string | undefined, variables?: unknown): MsupplyFaultAction | undefined {
    const rule = this.rules.find(
      (r) =>
        (r.operation === '*' || r.operation === operation) &&
        (r.times === undefined || r.hits < r.times) &&
        (r.variablesInclude === undefined || JSON.stringify(variables ?? null).includes(r.variablesInclude)),
    );
    if (!rule) return undefined;
    rule.hits++;
    return rule.action;
  }

  list(): MsupplyFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }
}
