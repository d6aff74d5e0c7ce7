import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { JobSummary } from '../../outbox/operator.js';
import type { Facility } from '../../domain/facility.js';
import { describeError } from '../../outbox/errors.js';
import { isDatabaseAway } from '../../store/database-away.js';
import type { ReadinessCheck } from '../../platform/health.js';
import type { CallStats } from '../call-stats.js';
import type { FacilityDirectory } from '../facility-directory.js';
import type { SettingInForce } from '../settings-view.js';
import { adminApi, DatabaseAwayAnswer, problemOf, type AdminApi } from './api.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { count, html, query, type Html } from './html.js';
import { loginPage, page, type View } from './layout.js';
import { confirmBody, DEAD_SHOWN, JOB_PAGE, jobBody, outboxBody, STATES, type OutboxData } from './outbox-page.js';
import type { TransactionUpdatesView } from '../../outbox/operator.js';
import {
  failedPage,
  formRefusedPage,
  notFoundPage,
  RETRY_AFTER_S,
  savedNoteLostPage,
  sessionEndedPage,
  unavailablePage,
  type FailedRequest,
} from './problem-pages.js';
import { confirmReleaseBody, loadPropagationPage, propagationBody, type Counts } from './propagation-page.js';
import { QUEUE_PAGE, reviewBody, type QueueItem, type ReviewFilters } from './review-page.js';
import {
  csrfOk,
  decisionTag,
  SessionStore,
  setSessionCookie,
  UI_PREFIX,
  userNameProblem,
  type Session,
  type SessionBackend,
  type UndoEntry,
  MAX_UNDO,
} from './session.js';
import { DEFAULT_SIGN_IN_LIMITS, SignInLimiter, type SignInLimits } from './sign-in-limit.js';
import { systemRows } from './system-rows.js';
import { sendPage as send, withPageHeaders } from './send-page.js';
import { systemsBody } from './systems-page.js';
import { shownId } from './shown-id.js';
import { sentTwice } from './sent-twice.js';

export interface OperatorConsoleOptions {
  /** The admin token now (read per request: a rotated token ends every session opened with the old one). */
  adminToken: () => string | undefined;
  directory: FacilityDirectory;
  readiness: () => ReadinessCheck[];
  breakers: () => Record<string, 'closed' | 'probe' | 'open'>;
  settings: () => SettingInForce[];
  calls?: CallStats;
  /** Where sign-in sessions are kept (the mediator passes the store's); default this process. */
  sessions?: SessionBackend;
  /** Failed sign-ins allowed per address and per name in a window (see sign-in-limit.ts). */
  signInLimits?: Partial<SignInLimits>;
  now?: () => number;
}

const ACTIONS = new Set(['accept', 'reject', 'no-match', 'flag', 'break']);

/** Only paths inside the console are followed after sign-in (no open redirect). */
function safeNext(next: unknown): string {
  const s = typeof next === 'string' ? next : '';
  return s.startsWith(`${UI_PREFIX}/`) && !s.startsWith('//') && !s.includes('\\') ? s : `${UI_PREFIX}/review`;
}

/** The console page a form was sent from (the browser's Referer), to go back to; only console paths. */
function formPage(request: FastifyRequest): string | undefined {
  try {
    const from = new URL(String(request.headers.referer ?? ''));
    const path = `${from.pathname}${from.search}`;
    return safeNext(path) === path ? path : undefined;
  } catch {
    return undefined;
  }
}

const failedRequest = (request: FastifyRequest): FailedRequest => ({
  method: request.method,
  url: request.url,
  body: request.body,
  from: formPage(request),
});

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** The records a system's facility list places in an area (anywhere on their area path). */
function idsInArea(records: Map<string, Facility>, area: string): string[] {
  return [...records].filter(([, f]) => (f.areaPath ?? []).includes(area)).map(([id]) => id);
}

/** The decision an undo form names (undoSystem, undoRecord, undoAt), if it names one. */
function undoTargetOf(body: Record<string, unknown>): UndoEntry | undefined {
  const system = str(body.undoSystem);
  const systemId = str(body.undoRecord);
  return system && systemId ? { system, systemId, decidedAt: str(body.undoAt) || undefined } : undefined;
}

/** Takes a decision off the session's undo list (the newest entry naming it), once it was sent to undo. */
function forget(session: Session, target: UndoEntry): void {
  const same = (e: UndoEntry) =>
    e.system === target.system && e.systemId === target.systemId && (e.decidedAt ?? '') === (target.decidedAt ?? '');
  const i = session.undo.findLastIndex(same);
  if (i >= 0) session.undo.splice(i, 1);
}

/**
 * Keeps a decision whose undo was refused for putting back a link to a facility the registry has
 * closed since: last on the undo list and marked, the undo form offers it again with the box that
 * says it is meant (review-page.ts), instead of losing it and offering the decision before it.
 */
function keepForClosedLink(session: Session, target: UndoEntry): void {
  forget(session, target);
  session.undo.push({ ...target, closedLink: true });
  if (session.undo.length > MAX_UNDO) session.undo.shift();
}

/** The review API's refusal of a link to a closed registry facility, unless the request says it is meant. */
const asksLinkClosed = (problem: string) => problem.includes('"linkClosed": true');
const enc = encodeURIComponent;
const backToReview = html`<p><a href="${UI_PREFIX}/review">Back to the review queue</a></p>`;
const backToOutbox = html`<p><a href="${UI_PREFIX}/outbox">Back to the outbox</a></p>`;

/** "45 s", "3 min 20 s": how long to wait before signing in again. */
function waitInWords(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  return seconds % 60 ? `${m} min ${seconds % 60} s` : `${m} min`;
}

/**
 * The operator console at /admin/ui: review queue, outbox, propagation and bridges, systems. Server-rendered pages;
 * every change goes through the admin API (review, undo, outbox) with the signed-in person as
 * the actor. Register at the root (no prefix): it needs the admin API routes registered too.
 */
export const operatorConsole: FastifyPluginAsync<OperatorConsoleOptions> = async (app, opts) => {
  const now = opts.now ?? Date.now;
  const sessions = new SessionStore(opts.adminToken, opts.sessions, now);
  const limiter = new SignInLimiter({ ...DEFAULT_SIGN_IN_LIMITS, ...opts.signInLimits }, now);
  const root = app as FastifyInstance;
  /** The session each request read: written back once the request is answered, if it changed. */
  const current = new WeakMap<FastifyRequest, Session>();
  /**
   * The forms whose decision or action the admin API answered as done (stored): only these are
   * said saved when the session write-back then meets the database away. Every other form is
   * answered below 400 too (a redirect with "Not decided", "Nothing to undo"), nothing stored.
   */
  const stored = new WeakSet<FastifyRequest>();
  app.addHook('onSend', async (request, reply, payload) => {
    const session = current.get(request);
    if (!session) return payload;
    const saved = await sessions.save(session).catch((err: unknown) => {
      // a form answered as done (stored before): the database failing now must not make its answer
      // the unavailable page, which says it was most likely not saved and offers to send it again
      if (!isDatabaseAway(err) || !stored.has(request) || reply.statusCode >= 400) throw err;
      return 'database away' as const;
    });
    if (saved === 'database away') {
      request.log.warn(
        { user: session.user, url: request.url.split('?')[0] },
        "console session not written: the mediator's database failed after the form was saved; its message and undo entry are not kept",
      );
      const location = reply.getHeader('location');
      const next =
        typeof location === 'string' && location.startsWith(`${UI_PREFIX}/`) ? location : `${UI_PREFIX}/review`;
      reply.removeHeader('location');
      const body = savedNoteLostPage(next);
      withPageHeaders(reply, body, 200);
      return body.value;
    }
    if (!saved)
      // the answer stands: what it says was done is done (stored); only the session's note of it is lost
      request.log.warn(
        { user: session.user, url: request.url.split('?')[0] },
        "console session not written: changed by other requests of the session under every merge; this request's message and undo entry are not kept",
      );
    return payload;
  });
  // A person at a browser gets a page, not the admin API's OperationOutcome: the database away is
  // a 503 page saying to try again (Retry-After), anything else a page that says where to go back.
  // Also reached when the session cannot be written back (onSend above), so nothing saves it again.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    current.delete(request);
    void reply.removeHeader('location');
    if (isDatabaseAway(err) || err instanceof DatabaseAwayAnswer) {
      request.log.warn({ status: 503, err: describeError(err) }, 'the mediator database is unavailable');
      const csrf = str((request.body as Record<string, unknown> | undefined)?._csrf) || undefined;
      return send(
        reply.header('retry-after', String(RETRY_AFTER_S)),
        unavailablePage(failedRequest(request), csrf),
        503,
      );
    }
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'unhandled error');
    else request.log.info({ status, diagnostics: err.message }, 'request refused');
    return send(reply, failedPage(status, failedRequest(request)), status);
  });

  // Unknown console paths: the console's 404 page. Its own prefix scope, so the admin JSON API and
  // the FHIR API keep the app's not-found answer (JSON).
  await app.register(
    async (scope) => {
      scope.setNotFoundHandler((request, reply) => send(reply, notFoundPage(request.url.split('?')[0]), 404));
    },
    { prefix: UI_PREFIX },
  );

  const signedIn = async (request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> => {
    const session = await sessions.of(request);
    if (session) current.set(request, session);
    if (!session) {
      if (request.method === 'GET') void reply.redirect(`${UI_PREFIX}/login${query({ next: request.url })}`, 303);
      else void send(reply, sessionEndedPage(failedRequest(request)), 401);
    }
    return session;
  };
  /** A signed-in form post with its CSRF field; answers 403 itself otherwise. */
  const posted = async (request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> => {
    const session = await signedIn(request, reply);
    if (!session) return undefined;
    if (!csrfOk(session, request.body as Record<string, unknown>)) {
      void send(reply, formRefusedPage(failedRequest(request)), 403);
      return undefined;
    }
    return session;
  };
  const render = (reply: FastifyReply, session: Session, view: View, title: string, body: Html) => {
    const flash = session.flash;
    session.flash = undefined;
    return send(reply, page({ title, view, session, flash, body }));
  };
  /** A request a view cannot serve: a console page all the same (layout, navigation), with its status. */
  const refused = (reply: FastifyReply, session: Session, view: View, status: number, title: string, body: Html) =>
    send(reply, page({ title, view, session, body }), status);
  const api = (session: Session): AdminApi => adminApi(root, opts.adminToken, session.user, decisionTag(session));

  app.get(`${UI_PREFIX}/assets/console.css`, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=300').send(CONSOLE_CSS),
  );
  app.get(`${UI_PREFIX}/assets/console.js`, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=300').send(CONSOLE_JS),
  );

  app.get(UI_PREFIX, async (_req, reply) => reply.redirect(`${UI_PREFIX}/review`, 303));
  app.get(`${UI_PREFIX}/`, async (_req, reply) => reply.redirect(`${UI_PREFIX}/review`, 303));

  app.get(`${UI_PREFIX}/login`, async (req, reply) =>
    send(reply, loginPage({ next: safeNext((req.query as { next?: string }).next) })),
  );
  app.post(`${UI_PREFIX}/login`, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // composed (NFC): a name typed decomposed is the same person, with the same name in the audit
    const user = str(body.user).normalize('NFC');
    const next = safeNext(body.next);
    const problem = userNameProblem(user);
    if (problem) return send(reply, loginPage({ next, error: problem, user }), 400);
    const refusal = limiter.check(req.ip, user);
    if (refusal) {
      // never the token: the name, the address and which limit
      req.log.warn(
        { user, ip: req.ip, limit: refusal.by, retryAfterS: refusal.retryAfterS },
        'console sign-in refused: too many failures',
      );
      const whose = refusal.by === 'address' ? 'from this address' : `for the name "${user}"`;
      return send(
        reply.header('retry-after', String(refusal.retryAfterS)),
        loginPage({
          next,
          user,
          error: `Too many failed sign-ins ${whose}: try again in ${waitInWords(refusal.retryAfterS)}.`,
        }),
        429,
      );
    }
    const session = await sessions.signIn(user, typeof body.token === 'string' ? body.token : '');
    if (!session) {
      limiter.failed(req.ip, user);
      req.log.warn({ user, ip: req.ip }, 'console sign-in failed: not the admin token');
      return send(
        reply,
        loginPage({ next, error: 'That admin token is not the one this mediator expects.', user }),
        401,
      );
    }
    limiter.succeeded(user);
    req.log.info({ user, ip: req.ip }, 'console sign-in');
    setSessionCookie(req, reply, session);
    return reply.redirect(next, 303);
  });
  app.post(`${UI_PREFIX}/logout`, async (req, reply) => {
    const session = await posted(req, reply);
    if (!session) return reply;
    current.delete(req);
    await sessions.end(session);
    setSessionCookie(req, reply, undefined);
    return reply.redirect(`${UI_PREFIX}/login`, 303);
  });

  // ---- review queue ----------------------------------------------------------------------
  const filtersOf = (q: Record<string, unknown>, systems: string[]): ReviewFilters => ({
    system: str(q.system) || systems[0] || '',
    state: ['review', 'flagged', 'matched'].includes(str(q.state)) ? str(q.state) : undefined,
    area: str(q.area) || undefined,
    band: ['high', 'medium', 'low'].includes(str(q.band)) ? str(q.band) : undefined,
    at: str(q.at) || undefined,
  });
  const backToQueue = (f: ReviewFilters) =>
    `${UI_PREFIX}/review${query({ system: f.system, state: f.state, area: f.area, band: f.band })}`;

  app.get(`${UI_PREFIX}/review`, async (req, reply) => {
    const session = await signedIn(req, reply);
    if (!session) return reply;
    const systems = opts.directory.systems();
    const filters = filtersOf(req.query as Record<string, unknown>, systems);
    if (!filters.system) {
      return render(
        reply,
        session,
        'review',
        'Review queue',
        html`<h1>Review queue</h1><p>No system lists its facilities here: configure a connector (e.g. <code>openlmis.baseUrl</code>) or open <code>?system=&lt;name&gt;</code> for a list reconciled from a file.</p>`,
      );
    }
    const notices: string[] = [];
    const read = async <T>(what: string, fn: () => Promise<Map<string, T>>) => {
      try {
        return await fn();
      } catch (err) {
        notices.push(`${what} could not be read now (${(err as Error).message}); ids are shown instead.`);
        return new Map<string, T>();
      }
    };
    const [registry, records] = await Promise.all([
      read('The registry list', () => opts.directory.registry()),
      read(`The ${filters.system} facility list`, () => opts.directory.system(filters.system)),
    ]);
    // filtered and paged by the store: any record of any queue is reachable; the area is the
    // records the system's own list places there (the crosswalk does not hold areas)
    const search = { state: filters.state, band: filters.band, at: filters.at, limit: QUEUE_PAGE };
    const queue = filters.area
      ? await api(session).post(`/admin/reconcile/${enc(filters.system)}/review/_search`, {
          ...search,
          systemIds: idsInArea(records, filters.area),
        })
      : await api(session).get(`/admin/reconcile/${enc(filters.system)}/review${query(search)}`);
    if (queue.status !== 200) {
      return render(
        reply,
        session,
        'review',
        'Review queue',
        html`<h1>Review queue</h1><p class="flash error">The review API answered ${queue.status}: ${problemOf(queue)}</p>`,
      );
    }
    return render(
      reply,
      session,
      'review',
      `Review queue: ${filters.system}`,
      reviewBody({
        filters,
        systems,
        queue: queue.body.items as QueueItem[],
        total: queue.body.total,
        offset: queue.body.offset,
        progress: queue.body.progress,
        areas: [...new Set([...records.values()].flatMap((r) => r.areaPath ?? []))].sort(),
        registry,
        records,
        notices,
        session,
      }),
    );
  });

  app.post(`${UI_PREFIX}/review/decide`, async (req, reply) => {
    const session = await posted(req, reply);
    if (!session) return reply;
    const body = req.body as Record<string, unknown>;
    const filters = filtersOf(body, []);
    const systemId = str(body.systemId);
    const op = str(body.op);
    if (!filters.system || !systemId || !ACTIONS.has(op)) {
      session.flash = {
        kind: 'error',
        text: `Nothing decided: the form lacked ${!filters.system ? 'the system' : !systemId ? 'the record' : `a known action (got '${op}')`}.`,
      };
      return reply.redirect(backToQueue(filters), 303);
    }
    const payload: Record<string, string> = {};
    if ((op === 'accept' || op === 'reject') && str(body.registryId)) payload.registryId = str(body.registryId);
    if (op === 'flag') payload.comment = str(body.comment);
    // the box beside a closed candidate (review-page.ts): the API refuses such an accept without it
    const linkClosed = op === 'accept' && body.linkClosed === 'true';
    // the record as the page showed it: one changed since is refused (409), not overruled
    if (typeof body.seen === 'string') payload.seenDecidedAt = body.seen;
    const answer = await api(session).post(`/admin/reconcile/${enc(filters.system)}/${enc(systemId)}/${op}`, {
      ...payload,
      ...(linkClosed ? { linkClosed: true } : {}),
    });
    if (answer.status === 200) {
      stored.add(req);
      const decidedAt = typeof answer.body.row?.decidedAt === 'string' ? answer.body.row.decidedAt : undefined;
      session.undo.push({ system: filters.system, systemId, decidedAt });
      if (session.undo.length > MAX_UNDO) session.undo.shift();
      const row = answer.body.row as { state: string; registryId?: string };
      session.flash = {
        kind: 'ok',
        text: `${op === 'no-match' ? 'No match' : op[0].toUpperCase() + op.slice(1)}: ${systemId}${row.registryId ? ` → ${row.registryId}` : ''} (now ${row.state}). Press u to undo.`,
      };
    } else if (await sentTwice(api(session), session, { system: filters.system, systemId, op, payload }, answer)) {
      // a double click: the first send decided, the second met its own decision; on to the next record
      stored.add(req);
      session.flash = {
        kind: 'ok',
        text: `Sent twice: your first send decided ${systemId}; the second changed nothing (${problemOf(answer)}).`,
      };
    } else {
      const problem = problemOf(answer);
      // the API's words are a script's ("send linkClosed"): the console's way is the box
      const box = asksLinkClosed(problem) ? ' To link it all the same, tick the box under the candidates.' : '';
      session.flash = { kind: 'error', text: `Not decided (${answer.status}): ${problem}${box}` };
      return reply.redirect(`${UI_PREFIX}/review${query({ ...filters, at: systemId })}`, 303);
    }
    return reply.redirect(backToQueue(filters), 303);
  });

  app.post(`${UI_PREFIX}/review/undo`, async (req, reply) => {
    const session = await posted(req, reply);
    if (!session) return reply;
    const body = req.body as Record<string, unknown>;
    const filters = filtersOf(body, []);
    // the decision the page offered to undo; a form without one (a page from before) means the last
    const target = undoTargetOf(body) ?? session.undo.at(-1);
    if (!target) {
      session.flash = { kind: 'error', text: 'Nothing to undo: you made no decision in this session.' };
      return reply.redirect(backToQueue(filters), 303);
    }
    // "undo your last decision": a decision someone made on that record since stands; naming the
    // decision (decidedAt) makes a second send of the same form say it was undone, not undo the one before
    // the box beside Undo (review-page.ts), offered once the API refused the undo for a closed link
    const linkClosed = body.linkClosed === 'true';
    const answer = await api(session).post(`/admin/reconcile/${enc(target.system)}/${enc(target.systemId)}/undo`, {
      decidedBy: session.user,
      ...(target.decidedAt ? { decidedAt: target.decidedAt } : {}),
      ...(linkClosed ? { linkClosed: true } : {}),
    });
    const problem = answer.status === 200 ? '' : problemOf(answer);
    // refused for the closed link only: nothing changed, the decision stays to undo with the box
    const closed = answer.status === 422 && asksLinkClosed(problem);
    if (closed) keepForClosedLink(session, target);
    else forget(session, target);
    const twice = answer.status === 409 && problem.includes(`was already undone by ${session.user} at `);
    if (answer.status === 200 || twice) stored.add(req);
    session.flash =
      answer.status === 200
        ? {
            kind: 'ok',
            text: `Undone: ${answer.body.undid.action.replace('review.', '')} on ${target.systemId} (back to ${answer.body.row.state}).`,
          }
        : twice
          ? { kind: 'ok', text: `Already undone: ${problem}.` }
          : {
              kind: 'error',
              text: `Not undone (${answer.status}): ${problem}${closed ? ' To put the link back all the same, tick the box beside Undo.' : ''}`,
            };
    const shown = answer.status === 200 || twice || closed;
    return reply.redirect(
      `${UI_PREFIX}/review${query({ ...filters, system: target.system, at: shown ? target.systemId : undefined })}`,
      303,
    );
  });

  for (const kind of ['csv', 'json'] as const) {
    app.get(`${UI_PREFIX}/review/export.${kind}`, async (req, reply) => {
      const session = await signedIn(req, reply);
      if (!session) return reply;
      const system = str((req.query as Record<string, unknown>).system);
      if (!system)
        return refused(
          reply,
          session,
          'review',
          400,
          'Nothing to export',
          html`<h1>Nothing to export</h1><p role="alert" class="flash error">Say which system to export: <code>?system=</code>.</p>${backToReview}`,
        );
      const answer = await api(session).get(`/admin/reconcile/${enc(system)}/export.${kind}`);
      if (answer.status !== 200)
        return refused(
          reply,
          session,
          'review',
          answer.status,
          'Export failed',
          html`<h1>The export failed</h1><p role="alert" class="flash error">The review API answered ${answer.status}: ${problemOf(answer)}</p>${backToReview}`,
        );
      const file = `crosswalk-${system.replace(/[^A-Za-z0-9_-]/g, '_')}.${kind === 'csv' ? 'csv' : 'json'}`;
      return reply
        .type(String(answer.headers['content-type']))
        .header('content-disposition', `attachment; filename="${file}"`)
        .header('cache-control', 'no-store')
        .send(answer.text);
    });
  }

  // ---- outbox --------------------------------------------------------------------------------
  app.get(`${UI_PREFIX}/outbox`, async (req, reply) => {
    const session = await signedIn(req, reply);
    if (!session) return reply;
    const a = api(session);
    const q = req.query as Record<string, unknown>;
    const filters = {
      status: STATES.some((s) => s.status === str(q.status)) ? str(q.status) : undefined,
      system: str(q.system) || undefined,
    };
    // counts from the store (by system and status), the oldest waiting job, the first dead letters,
    // and one page of the list: a few small reads, whatever the size of the queue
    const offset = Math.min(Math.max(0, Math.floor(Number(q.offset) || 0)), 10_000_000);
    const [counted, oldest, dead, listed] = await Promise.all([
      a.get('/admin/outbox/counts'),
      a.get('/admin/outbox/jobs?status=pending&limit=1'),
      a.get(`/admin/outbox/jobs?status=dead&limit=${DEAD_SHOWN}`),
      // one job more tells whether a next page exists
      a.get(
        `/admin/outbox/jobs${query({ status: filters.status, system: filters.system, limit: JOB_PAGE + 1, offset })}`,
      ),
    ]);
    const page = (listed.body?.jobs ?? []) as JobSummary[];
    const bySystem = new Map(Object.entries((counted.body?.bySystem ?? {}) as Record<string, Record<string, number>>));
    const data: OutboxData = {
      counts: counted.body?.counts ?? {},
      bySystem,
      oldestWaiting: (oldest.body?.jobs as JobSummary[] | undefined)?.[0],
      openhimUpdates: counted.body?.openhimUpdates as TransactionUpdatesView | undefined,
      dead: (dead.body?.jobs ?? []) as JobSummary[],
      listed: page.slice(0, JOB_PAGE),
      page: { offset, size: JOB_PAGE, more: page.length > JOB_PAGE },
      ...(listed.status === 200 ? {} : { listRefused: { status: listed.status, problem: problemOf(listed) } }),
      filters,
      now: now(),
    };
    return render(reply, session, 'outbox', 'Outbox', outboxBody(data));
  });

  const jobOf = async (session: Session, id: string) => {
    const answer = await api(session).get(`/admin/outbox/jobs/${enc(id)}`);
    return answer.status === 200 ? answer.body : undefined;
  };
  const noJob = (reply: FastifyReply, session: Session, id: string) =>
    refused(reply, session, 'outbox', 404, 'No such job', html`<h1>No job ${shownId(id)}</h1>${backToOutbox}`);

  app.get(`${UI_PREFIX}/outbox/jobs/:id`, async (req, reply) => {
    const session = await signedIn(req, reply);
    if (!session) return reply;
    const id = (req.params as { id: string }).id;
    const detail = await jobOf(session, id);
    if (!detail) return noJob(reply, session, id);
    return render(reply, session, 'outbox', `Job ${id}`, jobBody(detail, now()));
  });

  app.get(`${UI_PREFIX}/outbox/jobs/:id/confirm`, async (req, reply) => {
    const session = await signedIn(req, reply);
    if (!session) return reply;
    const id = (req.params as { id: string }).id;
    const action = str((req.query as Record<string, unknown>).action);
    if (action !== 'retry' && action !== 'drop')
      return refused(
        reply,
        session,
        'outbox',
        400,
        'Unknown action',
        html`<h1>Unknown action</h1><p role="alert" class="flash error">Unknown action '${shownId(action)}': retry or drop.</p>${backToOutbox}`,
      );
    const detail = await jobOf(session, id);
    if (!detail) return noJob(reply, session, id);
    return render(reply, session, 'outbox', `${action} job ${id}`, confirmBody(detail.job, action, session));
  });

  for (const action of ['retry', 'drop'] as const) {
    app.post(`${UI_PREFIX}/outbox/jobs/:id/${action}`, async (req, reply) => {
      const session = await posted(req, reply);
      if (!session) return reply;
      const id = (req.params as { id: string }).id;
      // the job as the page showed it (`seen`): one a colleague retried, or that was delivered,
      // since is left alone. The admin API checks it inside the store's write, so a retry sent
      // twice (a double click, two operators) requeues once; the other answers 409 with who moved it.
      const seen = str((req.body as Record<string, unknown>).seen);
      // its updatedAt as shown too: a dead job retried and dead again since is not the one confirmed
      const seenUpdated = str((req.body as Record<string, unknown>).seenUpdated);
      const guard = { ...(seen ? { status: seen } : {}), ...(seenUpdated ? { updatedAt: seenUpdated } : {}) };
      const target = `/admin/outbox/jobs/${enc(id)}${action === 'retry' ? '/retry' : ''}${query(guard)}`;
      const answer = action === 'retry' ? await api(session).post(target) : await api(session).delete(target);
      if (answer.status === 409 && answer.body?.expected) {
        const { status, expected, movedBy } = answer.body as { status: string; expected: string; movedBy: string };
        session.flash = {
          kind: 'error',
          text: `Not ${action === 'retry' ? 'retried' : 'dropped'}: job ${id} is ${status} now, not ${expected} as the page showed, after ${movedBy}; nothing was done.`,
        };
        return reply.redirect(`${UI_PREFIX}/outbox/jobs/${enc(id)}`, 303);
      }
      if (answer.status === 409 && answer.body?.updatedAt) {
        const { status, movedBy } = answer.body as { status: string; movedBy: string };
        session.flash = {
          kind: 'error',
          text: `Not ${action === 'retry' ? 'retried' : 'dropped'}: job ${id} changed since the page showed it (it is ${status} now, after ${movedBy}); nothing was done. Look at it again.`,
        };
        return reply.redirect(`${UI_PREFIX}/outbox/jobs/${enc(id)}`, 303);
      }
      if (answer.status === 200) stored.add(req);
      session.flash =
        answer.status === 200
          ? {
              kind: 'ok',
              text:
                action === 'retry'
                  ? `Job ${id} queued again; it is delivered in the background.`
                  : `Job ${id} dropped.`,
            }
          : { kind: 'error', text: `Not done (${answer.status}): ${problemOf(answer)}` };
      return reply.redirect(
        action === 'drop' && answer.status === 200 ? `${UI_PREFIX}/outbox` : `${UI_PREFIX}/outbox/jobs/${enc(id)}`,
        303,
      );
    });
  }

  // ---- propagation and bridges -------------------------------------------------------------
  app.get(`${UI_PREFIX}/propagation`, async (req, reply) => {
    const session = await signedIn(req, reply);
    if (!session) return reply;
    const data = await loadPropagationPage(api(session), req.query as Record<string, unknown>, session, now());
    return render(reply, session, 'propagation', 'Propagation and bridges', propagationBody(data));
  });

  app.get(`${UI_PREFIX}/propagation/confirm-release`, async (req, reply) => {
    const session = await signedIn(req, reply);
    if (!session) return reply;
    const answer = await api(session).get('/admin/propagation?state=held&limit=1');
    const counts: Counts = answer.status === 200 ? answer.body.counts : {};
    return render(reply, session, 'propagation', 'Plan held changes again', confirmReleaseBody(counts, session));
  });

  app.post(`${UI_PREFIX}/propagation/release`, async (req, reply) => {
    const session = await posted(req, reply);
    if (!session) return reply;
    // the admin API audits the release with the signed-in person (X-Actor), as for any caller
    const answer = await api(session).post('/admin/propagation/release');
    if (answer.status === 200) {
      stored.add(req);
      const released = Number(answer.body.released);
      session.flash = {
        kind: 'ok',
        text: released
          ? `${count(released)} held changes planned again and queued for delivery; the rest stay held with their reason.`
          : 'Planned again: no held change can go ahead yet; each stays held with its reason.',
      };
    } else session.flash = { kind: 'error', text: `Not done (${answer.status}): ${problemOf(answer)}` };
    return reply.redirect(`${UI_PREFIX}/propagation`, 303);
  });

  // ---- systems -------------------------------------------------------------------------------
  app.get(`${UI_PREFIX}/systems`, async (req, reply) => {
    const session = await signedIn(req, reply);
    if (!session) return reply;
    const rows = await systemRows(opts.readiness(), opts.breakers(), opts.calls);
    return render(reply, session, 'systems', 'Systems', systemsBody(rows, opts.settings()));
  });
};
