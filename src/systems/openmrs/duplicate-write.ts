import { DUPLICATE_KEY, OPENMRS, OpenMrsError, makeOpenMrsError } from './errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

/** A stock operation's create: what the module keeps of it and compares on a twin. */
export interface OperationBody {
  operationTypeUuid: string;
  stockOperationItems: { stockItemUuid: string; quantity: number }[];
}

const isDuplicateKey = (err: unknown): err is OpenMrsError =>
  err instanceof OpenMrsError && err.reasonCode === DUPLICATE_KEY && !err.transient;

/** Each line as item and quantity, sorted: the content two writes of one report share. */
const linesOf = (items: unknown): string[] =>
  (Array.isArray(items) ? (items as Json[]) : []).map((i) => `${i.stockItemUuid}|${Number(i.quantity)}`).sort();

/** How an operation OpenMRS holds differs from the one this write sends, in words; undefined when it does not. */
export function operationDiffers(found: Json, body: OperationBody): string | undefined {
  if (found.operationTypeUuid !== body.operationTypeUuid) return `operation type ${found.operationTypeName ?? '?'}`;
  const held = linesOf(found.stockOperationItems);
  const sent = linesOf(body.stockOperationItems);
  if (held.length !== sent.length || held.some((l, i) => l !== sent[i]))
    return `${held.length} line(s) whose items or quantities are not this write's`;
  return undefined;
}

/**
 * A stock operation's create, settled when OpenMRS answers it with a duplicate key (a 409 from
 * errors.ts constraintError; the transaction rolled back). The write may have been ours already,
 * made by an earlier attempt or a twin instance whose answer never came back: so the operation is
 * looked for under the external reference this write carries. Found with the same type and lines:
 * the write is applied, its uuid returned. Found with other content: a conflict, refused with what
 * differs (never retried, never written over). Not found: the key is not ours, the 409 stands.
 * The step that calls this looks first as well; this covers a twin that landed between that look
 * and the create.
 */
export async function createOrSettle(
  create: () => Promise<string>,
  twin: () => Promise<Json | undefined>,
  body: OperationBody,
  what: string,
): Promise<string> {
  try {
    return await create();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const found = await twin();
    if (!found) throw err;
    const differs = operationDiffers(found, body);
    if (!differs) return String(found.uuid);
    throw makeOpenMrsError({
      system: OPENMRS,
      transient: false,
      upstreamStatus: err.upstreamStatus,
      status: 409,
      code: 'conflict',
      diagnostics: `${what}: OpenMRS answered a duplicate key (${err.upstreamMessage}) and already holds operation ${found.uuid} under the same external reference, with ${differs}: not this write, so it is neither counted as applied nor written over; send it under its own identifier`,
    });
  }
}
