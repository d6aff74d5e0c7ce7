import type { Identifier } from '../../../domain/index.js';
import type { LmisClient, LmisRequest, OpenLmisDeps } from '../types.js';
import type { RecentAnswers } from '../recent-answers.js';
import * as api from '../api.js';
import type { InitiablePeriodDto, RequisitionDto } from './requisition-dto.js';

/**
 * The order flow's use of deps.recent (recent-answers.ts): the periods a precheck was offered,
 * reused by the write's find-period step, and the requisition as the write left it, reused by the
 * read-back that answers the client.
 */
interface PeriodsFor {
  facilityId: string;
  programId: string;
  emergency: boolean;
  /** Only the same order's write reuses its precheck's answer: another request asks afresh. */
  orderNumber: Identifier;
}

const periodsKey = (p: PeriodsFor) =>
  `periods:${p.orderNumber.system}|${p.orderNumber.value}|${p.programId}|${p.facilityId}|${p.emergency}`;
const writtenKey = (id: string) => `requisition:${id.toLowerCase()}`;

/**
 * periodsForInitiate, asked once for an order's precheck and write (within a few seconds). The
 * answer is shared frozen, not cloned: its readers (choosePeriod) only look.
 */
export async function initiablePeriods(
  deps: OpenLmisDeps,
  p: PeriodsFor,
): Promise<readonly Readonly<InitiablePeriodDto>[]> {
  const known = deps.recent?.peek<InitiablePeriodDto[]>(periodsKey(p));
  if (known) return known;
  const periods = await api.periodsForInitiate(deps.client, p.programId, p.facilityId, p.emergency);
  deps.recent?.share(periodsKey(p), periods);
  return periods;
}

/** Our initiate or submit changes what periodsForInitiate answers: ask again next time. */
export function forgetPeriods(deps: OpenLmisDeps, p: PeriodsFor): void {
  deps.recent?.forget(periodsKey(p));
}

/**
 * The requisition as a read would now return it: the fill PUT's answer (v1, lines embedded) with
 * what the last transition answered (BasicRequisitionDto: status, modifiedDate, status changes).
 * Kept only when that answer carries modifiedDate, so the read-back is exactly what a GET gives.
 * Both answers are handed over (the write step is done with them), so they are kept uncloned:
 * the read-back decodes without writing into them.
 */
export function rememberWritten(deps: OpenLmisDeps, filled: RequisitionDto, answer: Partial<RequisitionDto>): void {
  if (!answer.status || !answer.modifiedDate) return;
  const merged: RequisitionDto = { ...filled, status: answer.status, modifiedDate: answer.modifiedDate };
  for (const field of ['statusChanges', 'statusHistory', 'supervisoryNode', 'supplyingFacility'] as const)
    if (answer[field] !== undefined) (merged as Record<string, unknown>)[field] = answer[field];
  deps.recent?.keep(writtenKey(filled.id), merged);
}

/** The requisition this process just wrote, once, if it is still fresh. */
export function takeWritten(deps: OpenLmisDeps, id: string): RequisitionDto | undefined {
  return deps.recent?.take<RequisitionDto>(writtenKey(id));
}

/** Any other write to a requisition (an amendment, a cancellation) makes the kept copy stale: drop it. */
export function forgetWritten(deps: Pick<OpenLmisDeps, 'recent'>, id: string): void {
  deps.recent?.forget(writtenKey(id));
}

const REQUISITION_PATH = /^\/api\/(?:v2\/)?requisitions\/([0-9a-fA-F-]{36})(?:\/|$)/;

/**
 * The client the connector's flows use, dropping the kept copy of a requisition whenever anything
 * other than a GET is sent for it (an amendment, a skip, a delete): whichever flow writes, a read
 * afterwards never gets the copy from before that write.
 */
export function forgettingWrittenOnWrite(client: LmisClient, recent: RecentAnswers): LmisClient {
  const seen = (req: LmisRequest) => {
    const id = req.method === 'GET' ? undefined : REQUISITION_PATH.exec(req.path)?.[1];
    if (id) forgetWritten({ recent }, id.toLowerCase());
  };
  return {
    ...client,
    call: (req) => {
      seen(req);
      return client.call(req);
    },
    send: (req) => {
      seen(req);
      return client.send(req);
    },
  };
}
