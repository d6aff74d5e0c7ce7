import type { FastifyPluginAsync } from 'fastify';
import { adminErrorAnswer } from './error-answer.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import { holdsRegistryId, type CrosswalkRow } from '../registry/crosswalk-types.js';
import { assertFree } from '../registry/review-routes.js';
import { assertOpenInRegistry } from '../registry/closed-link.js';
import type { Facility } from '../domain/facility.js';
import { StoreCrosswalkRepository } from '../registry/store-crosswalk.js';
import { bearerCheck, type AdminToken } from '../platform/admin-auth.js';
import type { AuditEntry, Store } from '../store/types.js';
import { oneReviewAtATime } from '../registry/review-lock.js';
import { assertShownInstant, sameInstant } from '../registry/shown-instant.js';
import { knownFieldsOnly } from './known-query.js';
import { actorHeader, checkedActor, sameActor } from './actor-name.js';

export interface ReviewUndoOptions {
  store: Store;
  adminToken: AdminToken;
  now?: () => Date;
  /**
   * Called after each undo, as after a review decision (review-routes.ts onDecision): registry
   * changes held for that system by the decision taken back (a flag) are planned again at once. A
   * failure there is logged, not the undo's: the next propagation run tries again.
   */
  onDecision?: (system: string) => Promise<unknown>;
  /** The registry's facilities: an undo putting back a link to one closed since needs linkClosed. */
  registry?: () => Promise<Facility[]>;
}

/**
 * POST /reconcile/:system/:systemId/undo: takes back the last review decision on a record (the
 * review API's decisions record the row as it was in their audit entry, `details.before`). It
 * refuses (409) when the last entry is already an undo, when the decision predates that record,
 * or when the row changed since (a later run or decision): undo never overwrites newer work.
 * The row put back is a human decision of the person undoing (decidedBy), so no automatic run
 * replaces it; its audit entry names the decision it took back. With `{"decidedBy": who}` it
 * takes back only a decision of that person (the console's "undo your last decision"): when
 * someone else decided the record since, theirs stands and the answer says who (409). With
 * `{"decidedAt": t}` (the row's decidedAt as that decision left it) it takes back only that one
 * decision: sent again, it answers that the decision was already undone, by whom and when (409),
 * and never takes back an earlier decision instead.
 */
/** The undo that took back the decision which left the row decided at `decidedAt`, if any. */
function undoOf(reviews: AuditEntry[], decidedAt: string): AuditEntry | undefined {
  return reviews.find(
    (e) =>
      e.action === 'review.undo' &&
      typeof e.details.undidDecidedAt === 'string' &&
      sameInstant(decidedAt, e.details.undidDecidedAt),
  );
}

/**
 * The registry facility an undo of the last review decision on `subject` would link again, if it
 * links one the row does not hold now (a break, a reject or a no-match taken back): read without
 * the lock, to check it before it; the undo itself looks again under the lock.
 */
async function linkPutBack(store: Store, subject: string): Promise<string | undefined> {
  const [last] = (await store.listAudit({ subject, limit: 50 })).filter((e) => e.action.startsWith('review.'));
  const before = last?.action === 'review.undo' ? undefined : (last?.details.before as CrosswalkRow | undefined);
  if (!before?.registryId || !holdsRegistryId(before.state)) return undefined;
  return before.registryId === last.details.registryId ? undefined : before.registryId;
}

const undoBody = {
  type: ['object', 'null'],
  properties: {
    decidedBy: { type: 'string', minLength: 1, maxLength: 200 },
    decidedAt: { type: 'string', minLength: 1, maxLength: 100 },
    linkClosed: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

export const reviewUndoRoutes: FastifyPluginAsync<ReviewUndoOptions> = async (app, opts) => {
  const repo = new StoreCrosswalkRepository(opts.store);
  const now = opts.now ?? (() => new Date());
  app.addHook('preHandler', bearerCheck(opts.adminToken));
  app.setErrorHandler(adminErrorAnswer);

  app.post(
    '/reconcile/:system/:systemId/undo',
    {
      schema: {
        params: {
          type: 'object',
          required: ['system', 'systemId'],
          properties: {
            system: { type: 'string', minLength: 1, maxLength: 200 },
            systemId: { type: 'string', minLength: 1, maxLength: 500 },
          },
        },
        body: undoBody,
      },
      // a misspelt decidedAt or decidedBy is a 400, not dropped: the undo would take back another decision
      preValidation: knownFieldsOnly(undoBody.properties, 'undo'),
    },
    async (req) => {
      const { system, systemId } = req.params as { system: string; systemId: string };
      const given = actorHeader(req.headers['x-actor']);
      if (!given) throw new InvalidInputError('say who undoes: X-Actor header', 'actor');
      const actor = checkedActor(given, 'actor');
      const subject = `${system}/${systemId}`;
      const {
        decidedBy: expected,
        decidedAt: decision,
        linkClosed,
      } = (req.body ?? {}) as {
        decidedBy?: string;
        decidedAt?: string;
        linkClosed?: boolean;
      };
      assertShownInstant(decision, 'decidedAt');
      // may ask the registry server: before the lock, for the link the last decision would put back
      const peeked = await linkPutBack(opts.store, subject);
      const known = { store: opts.store, registry: opts.registry };
      const row0 = await repo.get(system, systemId);
      if (peeked && row0) await assertOpenInRegistry(row0, peeked, known, linkClosed, 'put back the link');
      // checked and written with no review decision of the system in between (review-lock.ts)
      const answer = await oneReviewAtATime(opts.store, system, async () => {
        const row = await repo.get(system, systemId);
        if (!row) throw new NotFoundError(`no crosswalk record ${subject}`);
        const reviews = (await opts.store.listAudit({ subject, limit: 50 })).filter((e) =>
          e.action.startsWith('review.'),
        );
        const undone = decision === undefined ? undefined : undoOf(reviews, decision);
        if (undone)
          throw new ConflictError(
            `the decision on ${subject} made at ${decision} was already undone by ${undone.actor} at ${new Date(undone.at).toISOString()}; nothing more was undone`,
          );
        const last = reviews[0];
        if (!last) throw new ConflictError(`no review decision on ${subject} to undo`);
        if (last.action === 'review.undo')
          throw new ConflictError(`the last review action on ${subject} was already undone`);
        if (expected !== undefined && !sameActor(last.actor, expected))
          throw new ConflictError(
            `the last decision on ${subject} is ${last.action} by ${last.actor}, not ${expected}: it stands; nothing was undone`,
          );
        const before = last.details.before as CrosswalkRow | undefined;
        if (!before)
          throw new ConflictError(
            `the last decision on ${subject} (${last.action}) was recorded without the row before it; decide again instead`,
          );
        const d = last.details;
        if (row.state !== d.to || (row.registryId ?? null) !== (d.registryId ?? null) || row.decidedBy !== last.actor) {
          throw new ConflictError(
            `${subject} changed after ${last.action} by ${last.actor} (now '${row.state}'); nothing was undone`,
          );
        }
        if (decision !== undefined && !sameInstant(decision, row.decidedAt))
          throw new ConflictError(
            `the decision on ${subject} made at ${decision} is not the last one: ${last.action} by ${last.actor} at ${row.decidedAt ?? 'no time'} is; nothing was undone`,
          );
        // the session of the decision before it is not this undo's (v67): none, as an API call's
        const { decidedIn: _session, ...kept } = before;
        const restored: CrosswalkRow = { ...kept, decidedBy: actor, decidedAt: now().toISOString() };
        // a link taken back by a break may have been given to another record since
        if (restored.registryId && holdsRegistryId(restored.state)) {
          await assertFree(repo, restored, restored.registryId);
          // a decision came between the look before the lock and now: the pull's record only (no registry read under the lock)
          if (restored.registryId !== peeked && restored.registryId !== row.registryId)
            await assertOpenInRegistry(
              row,
              restored.registryId,
              { store: opts.store },
              linkClosed,
              'put back the link',
            );
        }
        await repo.put(restored, {
          actor,
          action: 'review.undo',
          subject,
          details: {
            undid: last.id,
            undidAction: last.action,
            undidActor: last.actor,
            // which decision this took back, as a caller names it (the row's decidedAt it left)
            undidDecidedAt: row.decidedAt ?? null,
            from: row.state,
            to: restored.state,
            registryId: restored.registryId ?? null,
          },
        });
        return { row: restored, undid: { action: last.action, by: last.actor } };
      });
      await opts
        .onDecision?.(system)
        .catch((err: unknown) =>
          req.log.warn({ err, system }, 'held registry changes not released after a review undo'),
        );
      return answer;
    },
  );
};
