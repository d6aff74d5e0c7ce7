import type { FastifyInstance } from 'fastify';
import { databaseUnavailable } from '../../fhir/outcome.js';
import { IN_PROCESS_ADDRESS } from '../../platform/admin-auth.js';

export interface ApiAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several admin routes, read field by field
  body: any;
  text: string;
  headers: Record<string, unknown>;
}

/** Diagnostics of an OperationOutcome or `{ error }` answer, for a flash message. */
export function problemOf(answer: ApiAnswer): string {
  const issues = answer.body?.issue as { diagnostics?: string }[] | undefined;
  return (
    issues
      ?.map((i) => i.diagnostics)
      .filter(Boolean)
      .join('; ') ||
    answer.body?.error ||
    `HTTP ${answer.status}`
  );
}

const DATABASE_AWAY = databaseUnavailable().issues[0].diagnostics;

/**
 * The admin API said the mediator's database is away: the console answers its 503 page (as when
 * its own session read fails) rather than draw a page from empty answers ("no dead letters")
 * or a flash that cannot be saved.
 */
export class DatabaseAwayAnswer extends Error {
  constructor(url: string) {
    super(`the admin API answered 503 (database unavailable) for ${url}`);
  }
}

/**
 * The console acts only through the mediator's admin API (review, undo, outbox), called in
 * process with the admin token and the signed-in person as the actor: every decision takes the
 * same validation, state checks and audit entry as a curl call would.
 */
export function adminApi(app: FastifyInstance, token: () => string | undefined, user: string, sessionTag?: string) {
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object): Promise<ApiAnswer> => {
    const res = await app.inject({
      method,
      url,
      // not a network client: another client's wrong tokens from this host never hold the console
      remoteAddress: IN_PROCESS_ADDRESS,
      headers: {
        authorization: `Bearer ${token() ?? ''}`,
        'x-actor': user,
        'x-admin-user': user,
        // which session decides (v67): "Sent twice" is told only to the session that decided
        ...(sessionTag ? { 'x-console-session': sessionTag } : {}),
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
    let body: unknown;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    const answer = { status: res.statusCode, body, text: res.body, headers: res.headers };
    if (answer.status === 503 && problemOf(answer) === DATABASE_AWAY) throw new DatabaseAwayAnswer(url);
    return answer;
  };
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, payload: object = {}) => call('POST', url, payload),
    delete: (url: string) => call('DELETE', url),
  };
}

export type AdminApi = ReturnType<typeof adminApi>;
