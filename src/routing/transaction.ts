import { MediatorError, TransactionRefusedError, isTransient, type Issue } from '../domain/errors.js';
import type { PlannedWrite, WriteOutcome } from '../fhir/services.js';

/**
 * The upstream side of a transaction Bundle's all-or-nothing (issue 9 item 3). The outbox records
 * the writes together or not at all, but the systems behind it have no transactions: once one
 * entry is delivered, a later refusal of another cannot take it back. So every write's precheck
 * runs first (connector.ts Prechecks), and any refusal stops the whole Bundle before the outbox
 * records anything. Should a system still refuse an entry at delivery, the answer says exactly
 * which entries were applied (and are not undone) or are still queued.
 */

/** A refusal of one write, with its expressions in the posted Bundle's terms. */
function posted(w: PlannedWrite, err: unknown): unknown {
  return w.posted ? w.posted(err) : err;
}

/** Where a write's entries are, as FHIRPath (its posted translator maps an empty path to its first entry). */
function whereIs(w: PlannedWrite): string[] {
  const e = posted(w, new MediatorError(400, { code: 'informational', diagnostics: '' })) as MediatorError;
  return e.issues[0].expression ?? [];
}

/**
 * Every write's precheck, all of them, before anything is recorded: the refusals of every bad
 * entry in one answer. A check that could not be made (the system did not answer) refuses a
 * Bundle of several writes with 503 and nothing accepted, since accepting it unchecked could
 * leave it half applied; a single write is then accepted and checked again at delivery.
 */
export async function precheckAll(
  writes: PlannedWrite[],
  check: (w: PlannedWrite, earlier: unknown[]) => Promise<void>,
): Promise<void> {
  const failures = await precheckEach(writes, check);
  if (!failures.length) return;
  const bug = failures.find((f) => !(f.err instanceof MediatorError));
  if (bug) throw bug.err;
  const refused = failures.filter((f) => !isTransient(f.err)).map((f) => posted(f.write, f.err) as MediatorError);
  if (refused.length)
    throw new MediatorError(
      refused[0].status,
      refused.flatMap((e) => e.issues),
    );
  if (writes.length === 1) return;
  const first = failures[0];
  throw new MediatorError(503, {
    code: 'transient',
    diagnostics: `nothing in this transaction was accepted: its entries could not all be checked before writing (${(first.err as Error).message}); send it again later`,
    expression: whereIs(first.write),
  });
}

/** Every write's precheck, each after the earlier ones of its flow as if applied: the failures. */
async function precheckEach(
  writes: PlannedWrite[],
  check: (w: PlannedWrite, earlier: unknown[]) => Promise<void>,
): Promise<{ write: PlannedWrite; err: unknown }[]> {
  const failures: { write: PlannedWrite; err: unknown }[] = [];
  for (const [i, w] of writes.entries()) {
    // the writes of the same flow before it are checked as applied (their effects add up)
    const earlier = writes
      .slice(0, i)
      .filter((x) => x.flow === w.flow)
      .map((x) => x.value);
    try {
      await check(w, earlier);
    } catch (err) {
      failures.push({ write: w, err });
    }
  }
  return failures;
}

/**
 * The checks of a transaction refused already for another entry (FhirServices.checkAll): each
 * write revised and prechecked as `precheckAll` does, nothing recorded, and every refusal
 * returned in the posted Bundle's terms, so one answer names every entry's problems. A check
 * that could not be made is returned as the upstream's failure (5xx), for the edge to tell as
 * not checked; a programming error is thrown.
 */
export async function checkOnly(
  writes: PlannedWrite[],
  revise: (w: PlannedWrite) => Promise<unknown>,
  check: (w: PlannedWrite, earlier: unknown[]) => Promise<void>,
): Promise<MediatorError[]> {
  const failures: { write: PlannedWrite; err: unknown }[] = [];
  const revised: PlannedWrite[] = [];
  for (const w of writes) {
    try {
      revised.push({ ...w, value: await revise(w) });
    } catch (err) {
      failures.push({ write: w, err });
    }
  }
  failures.push(...(await precheckEach(revised, check)));
  return failures.map(({ write, err }) => {
    if (!(err instanceof MediatorError)) throw err;
    return posted(write, err) as MediatorError;
  });
}

type Answer = { ok: WriteOutcome<unknown> } | { refused: MediatorError; transient: boolean };

const NOUN: Record<PlannedWrite['flow'], string> = {
  orders: 'order',
  deliveries: 'delivery',
  stock: 'stock report',
  facilities: 'facility',
};

/** What became of a write that was not refused, for the answer about a partly refused Bundle. */
function fate(w: PlannedWrite, outcome: WriteOutcome<unknown>): Issue {
  const ids = Object.entries(outcome.upstream?.ids ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const diagnostics =
    outcome.status === 'accepted'
      ? `this ${NOUN[w.flow]} was accepted and is queued (${outcome.message ?? 'not delivered yet'}); it will still be delivered`
      : `this ${NOUN[w.flow]} was applied in ${outcome.upstream?.system ?? 'its system'}${ids ? ` (${ids})` : ''} and is not undone`;
  return { severity: 'warning', code: 'incomplete', diagnostics, expression: whereIs(w) };
}

/**
 * The outbox outcomes of a transaction's writes. All delivered or queued: their answers. Any
 * refused at delivery: one error with the refusals and, for every other write, what became of it.
 */
export function settleTransaction(
  writes: PlannedWrite[],
  answer: (i: number) => WriteOutcome<unknown>,
): WriteOutcome<unknown>[] {
  const answers: Answer[] = writes.map((w, i) => {
    try {
      return { ok: answer(i) };
    } catch (err) {
      if (!(err instanceof MediatorError)) throw err;
      return { refused: posted(w, err) as MediatorError, transient: isTransient(err) };
    }
  });
  const refused = answers.flatMap((a) => ('refused' in a ? [a.refused] : []));
  const retryable = answers.some((a) => 'refused' in a && a.transient);
  if (!refused.length) return answers.map((a) => (a as { ok: WriteOutcome<unknown> }).ok);
  const others = answers.flatMap((a, i) => ('ok' in a ? [fate(writes[i], a.ok)] : []));
  const note: Issue[] = others.length
    ? [
        {
          severity: 'warning',
          code: 'incomplete',
          diagnostics: `the transaction was applied in part: ${refused.length} of ${writes.length} writes refused at delivery, ${others.length} not (see the following issues)`,
          expression: ['Bundle.entry'],
        },
      ]
    : [];
  const issues = [...refused.flatMap((e) => e.issues), ...note, ...others];
  return thrown(new TransactionRefusedError(refused[0].status, issues, retryable));
}

function thrown(err: MediatorError): never {
  throw err;
}
