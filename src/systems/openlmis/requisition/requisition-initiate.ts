import {
  ConflictError,
  UpstreamError,
  isTransient,
  isUnknownUpstreamOutcome,
  stableId,
  type Identifier,
} from '../../../domain/index.js';
import type { LmisClient } from '../types.js';
import { LMIS, lmisMessageKey } from '../errors.js';
import type { RequisitionDto } from './requisition-dto.js';
import { carriesOrderNumber, searchRequisitions } from './requisition-lookup.js';
import { initiatorOf, ourUnmarkedDrafts, ownerOf } from './requisition-ownership.js';
import { isUuid } from '../identifiers.js';
import { UNRESOLVED_HOLD_MS, type InitiateNote, type WriteLedger } from './write-ledger.js';
import * as api from '../api.js';

/**
 * The initiate step: POST /api/requisitions/initiate with an Idempotency-Key. It runs under the
 * ledger's lock for its facility/program/period/emergency (requisition-submit.ts holds it until
 * the fill marks the requisition with our order number), so while it runs no other write of ours
 * can create a draft there. Before posting, it notes which unmarked drafts of ours exist; a draft
 * that appears afterwards is this write's. So after a lost answer, a burnt key or a crash, the
 * write adopts only a requisition proven ours: carrying our order number, or initiated by our
 * integration user and attributed to this write by the notes. A clerk's draft (another author)
 * and another order's draft are never taken.
 */
export interface InitiateParams {
  facilityId: string;
  programId: string;
  periodId: string;
  emergency: boolean;
  orderNumber: Identifier;
  /** The write's stable key: Idempotency-Key seed and owner in the ledger's notes. */
  idempotencyKey: string;
}

const LOOK_UP_KEYS = new Set([
  'requisition.error.validation.idempotencyKey.alreadyUsed',
  'requisition.error.duplication',
]);

/** The key as OpenLMIS wants it: a UUID (keys that are not are turned into one deterministically). */
export function idempotencyUuid(key: string): string {
  if (isUuid(key)) return key.toLowerCase();
  const h = stableId('openlmis-idempotency', key);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The lock (and note subject) of one facility/program/period/emergency. */
export function initiateLockKey(
  p: Pick<InitiateParams, 'facilityId' | 'programId' | 'periodId' | 'emergency'>,
): string {
  return `openlmis:initiate:${p.facilityId}|${p.programId}|${p.periodId}|${p.emergency ? 'emergency' : 'regular'}`;
}

interface Context {
  client: LmisClient;
  ledger: WriteLedger;
  me: string | undefined;
  key: string;
}

/**
 * The facility and program's requisitions of this period, and any of another period that already
 * carries this order (a write repeated after its journal was lost finds its submitted requisition
 * there: periodsForInitiate no longer offers that period). One search of every period serves both,
 * so the write needs no search of its own before the lock (issue 18: five calls per order).
 */
async function search(client: LmisClient, p: InitiateParams): Promise<RequisitionDto[]> {
  const all = await searchRequisitions(client, {
    facility: p.facilityId,
    program: p.programId,
    emergency: p.emergency,
  });
  return all.filter((r) => r.processingPeriod?.id === p.periodId || carriesOrderNumber(r, p.orderNumber));
}

/** Ours: carrying our order number, or a draft of ours the notes attribute to this write. */
async function findOurs(ctx: Context, p: InitiateParams, found: RequisitionDto[]): Promise<RequisitionDto[]> {
  const numbered = found.find((r) => carriesOrderNumber(r, p.orderNumber));
  if (numbered) return [numbered];
  const drafts = ourUnmarkedDrafts(found, ctx.me);
  if (!drafts.length) return [];
  const notes = await ctx.ledger.notes(ctx.key);
  return drafts.filter((d) => ownerOf(d, notes) === p.idempotencyKey);
}

/**
 * Several drafts attributed to this write (a request of ours that landed after its answer was
 * lost, then a second initiate): keep the newest, delete the others, which nobody else may take.
 */
async function keepOne(client: LmisClient, drafts: RequisitionDto[]): Promise<RequisitionDto> {
  const sorted = [...drafts].sort((a, b) => String(b.createdDate ?? '').localeCompare(String(a.createdDate ?? '')));
  for (const extra of sorted.slice(1)) {
    await api.deleteRequisition(client, extra.id);
  }
  return sorted[0];
}

/** A regular period's requisition that is not ours: filling it would write into somebody else's. */
function notOurs(p: InitiateParams, r: RequisitionDto, me: string | undefined): ConflictError {
  const who = initiatorOf(r);
  const by = r.extraData?.fhirOrderNumber
    ? 'holds another order'
    : who && who === me
      ? 'is a draft of ours made for another order'
      : 'was started in OpenLMIS by another user';
  return new ConflictError(
    `the ${p.emergency ? 'emergency' : 'regular'} requisition ${r.id} for this facility, program and period ${by} (status ${r.status}); the order is not added to it`,
  );
}

/**
 * Another write of ours initiated here and never learnt its outcome: its request may still land.
 * Initiating now would put our note after its draft's arrival, and the notes would give that
 * draft to us, leaving its real owner to initiate again (an orphan). So wait until it resolves:
 * its next attempt adopts what landed or initiates again; UNRESOLVED_HOLD_MS bounds the wait.
 */
async function holdForUnknownOutcomes(p: InitiateParams, unresolved: InitiateNote[]): Promise<void> {
  const now = Date.now();
  const pending = unresolved.filter((n) => n.owner !== p.idempotencyKey && now - Date.parse(n.at) < UNRESOLVED_HOLD_MS);
  if (!pending.length) return;
  throw new UpstreamError({
    system: LMIS,
    transient: true,
    upstreamStatus: 503,
    status: 503,
    code: 'lock-error',
    diagnostics:
      'another order for the same facility, program and period is waiting to learn whether OpenLMIS applied its initiate; retried later',
  });
}

async function postInitiate(client: LmisClient, p: InitiateParams, key: string): Promise<RequisitionDto> {
  return api.initiateRequisition(client, p, key);
}

/**
 * The requisition's id, and the full requisition when OpenLMIS just answered the initiate with it
 * (an adopted one comes from a search, which gives no line items). Call under the lock of
 * initiateLockKey(p). `beforeWrite` is awaited before the first upstream write (the caller's
 * journal record that must be on disk first).
 */
export async function initiateRequisition(
  client: LmisClient,
  ledger: WriteLedger,
  p: InitiateParams,
  beforeWrite: () => Promise<unknown> = async () => undefined,
): Promise<{ id: string; full?: RequisitionDto }> {
  const ctx: Context = { client, ledger, me: await client.userId?.(), key: initiateLockKey(p) };
  // the ledger is read while OpenLMIS is searched: under the lock no write of ours notes anything
  // for this key in between, so reading it first or after is the same answer
  const unresolved = ledger.unresolved(ctx.key);
  unresolved.catch(() => undefined);
  const found = await search(client, p);
  const ours = await findOurs(ctx, p, found);
  if (ours.length) {
    await beforeWrite();
    return { id: (await keepOne(client, ours)).id };
  }
  // a regular period holds one requisition: one that is not ours is not to be filled
  const taken = p.emergency ? undefined : found.find((r) => r.status !== 'SKIPPED');
  if (taken) throw notOurs(p, taken, ctx.me);

  await holdForUnknownOutcomes(p, await unresolved);
  // what the write must have on disk before the POST (the caller's journal record) and the note,
  // asked for in the same moment: one commit, one fsync
  await Promise.all([
    beforeWrite(),
    ledger.note(ctx.key, {
      owner: p.idempotencyKey,
      at: new Date().toISOString(),
      before: ourUnmarkedDrafts(found, ctx.me).map((r) => r.id),
    }),
  ]);
  const key = idempotencyUuid(p.idempotencyKey);
  try {
    const full = await postInitiate(client, p, key);
    return { id: full.id, full };
  } catch (err) {
    // OpenLMIS answered: nothing was created by this request, so no draft can land later
    // (without an answer, the request may still be applied and its draft appear at any moment)
    if (!isUnknownUpstreamOutcome(err)) await ledger.resolve(ctx.key, p.idempotencyKey);
    const recoverable = isTransient(err) || LOOK_UP_KEYS.has(lmisMessageKey(err) ?? '');
    if (!recoverable) throw err;
    const again = await search(client, p);
    const mine = await findOurs(ctx, p, again);
    if (mine.length) return { id: (await keepOne(client, mine)).id };
    if (lmisMessageKey(err) === 'requisition.error.duplication') {
      const other = again.find((r) => r.status !== 'SKIPPED');
      if (other) throw notOurs(p, other, ctx.me);
    }
    if (lmisMessageKey(err) !== 'requisition.error.validation.idempotencyKey.alreadyUsed') throw err;
    // the key was burnt by a request that created nothing: one more try under a derived key
    // (still under our note: what it creates is attributed to this write)
    const full = await postInitiate(client, p, idempotencyUuid(`${key}:again`));
    return { id: full.id, full };
  }
}
