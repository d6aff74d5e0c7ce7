import { until } from './net.js';

/**
 * The names a sandbox stored for one record, in order: the name it held, then one per write.
 * Sandboxes keep their records in a Map and every write (create, PUT, rename) replaces the
 * record through that map's set, so wrapping set sees each change the mediator made land, in the
 * order it landed, which the record as read at the end cannot show.
 */
export function namesWritten<R extends { name: string }>(records: Map<string, R>, id: string): string[] {
  const names = [records.get(id)!.name];
  const set = records.set.bind(records);
  records.set = (key, record) => {
    if (key === id) names.push(record.name);
    return set(key, record);
  };
  return names;
}

/**
 * The names two writes of the record left, in the order they landed: waits for both in `history`
 * (namesWritten's), then `settleMs` more, in which a write delivered out of order would land.
 */
export async function namesOfTwoWrites(history: string[], what: string, settleMs = 2_000): Promise<string[]> {
  await until(what, async () => history.length >= 3 || undefined, 30_000);
  await new Promise((r) => setTimeout(r, settleMs));
  return history.slice(1);
}
