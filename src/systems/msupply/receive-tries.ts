import { randomUUID } from 'node:crypto';
import type { StepJournal } from '../../routing/ports.js';
import { recordedBefore } from './recorded-before.js';

/**
 * A receipt's RECEIVED tries, as its journal holds them. Each try records its mark just before it
 * sends RECEIVED ('receive-sent', then 'receive-sent-2'…), and its refusal when Open mSupply
 * refused it or it never reached Open mSupply ('receive-refused', 'receive-refused-2'…). They are
 * numbered so that a try refused (the link down) does not hide a later one that may have landed
 * with its answer lost. The first try's names are the ones journals held before tries were
 * numbered, so an older journal reads the same. A try's number is taken by recording its mark
 * (claimReceiveTry), never assumed from what the journal held when the attempt began: two
 * overlapping attempts (one taken over from a lapsed lease while the other still runs) get two
 * numbers, so one's refusal never marks the other's RECEIVED, which may have landed.
 */
export interface ReceiveTries {
  /** Tries earlier attempts recorded: this attempt's, should it send, is the next. */
  count: number;
  /** One of them may have landed: sent, and not refused. */
  mayHaveLanded: boolean;
}

export const receiveSentMark = (n: number): string => (n === 1 ? 'receive-sent' : `receive-sent-${n}`);
export const receiveRefusedMark = (n: number): string => (n === 1 ? 'receive-refused' : `receive-refused-${n}`);

/** A mark triedMeanwhile records when it finds a number free: it takes the number, no try. */
const LOOK = 'looked:';
const isLook = (mark: unknown) => typeof mark === 'string' && mark.startsWith(LOOK);

/** The mark recorded for `step`, if one is (looking records nothing). */
async function markOf(journal: StepJournal, step: string): Promise<{ mark: unknown } | undefined> {
  const notRecorded = new Error(`step ${step} not recorded`);
  try {
    return { mark: await journal.run(step, () => Promise.reject(notRecorded)) };
  } catch (err) {
    if (err === notRecorded) return undefined;
    throw err;
  }
}

/** The tries earlier attempts of this receipt recorded (looking records nothing). */
export async function receiveTries(journal: StepJournal): Promise<ReceiveTries> {
  let count = 0;
  let mayHaveLanded = false;
  for (
    let found = await markOf(journal, receiveSentMark(1));
    found;
    found = await markOf(journal, receiveSentMark(count + 1))
  ) {
    count += 1;
    // a look (triedMeanwhile) took the number and sent nothing
    if (!isLook(found.mark) && !(await recordedBefore(journal, receiveRefusedMark(count)))) mayHaveLanded = true;
  }
  return { count, mayHaveLanded };
}

/**
 * Whether another attempt took a try from `from` on since this one read its tries (receiveTries
 * then; the journal keeps what it read, so only a write finds a mark recorded since): one that
 * did may have sent RECEIVED. Looked up by recording a look at the first number no attempt took,
 * which takes it and sends nothing: an attempt claiming later goes one on, and receiveTries counts
 * it as no try.
 */
export async function triedMeanwhile(journal: StepJournal, from: number): Promise<boolean> {
  const look = `${LOOK}${randomUUID()}`;
  for (let n = from; ; n += 1) {
    const mark = await journal.run(receiveSentMark(n), async () => look);
    if (mark === look) return false;
    if (!isLook(mark)) return true;
  }
}

/**
 * The number this attempt's RECEIVED is recorded under, its mark recorded: the first from `from`
 * whose mark this attempt wrote. The journal keeps a step's first result, so a mark holding
 * another attempt's token (or `true`, from a release before tokens) is another's try: one number
 * on. `from`: the tries receiveTries found (one past them).
 */
export async function claimReceiveTry(journal: StepJournal, from: number): Promise<number> {
  const mine = randomUUID();
  for (let n = from; ; n += 1) if ((await journal.run(receiveSentMark(n), async () => mine)) === mine) return n;
}
