import { holdsRegistryId, type CrosswalkRow } from '../crosswalk-types.js';

/** A system's crosswalk rows by the registry facility they name, as their pick or a suggestion. */
export interface CrosswalkIndex {
  rowsFor(registryId: string): CrosswalkRow[];
  /** Whether a system record already has a row linking it to some registry facility. */
  links(systemId: string): boolean;
  /** The row of one system record, if it has one. */
  rowOf(systemId: string): CrosswalkRow | undefined;
  /** Rows in the system's crosswalk. */
  size: number;
}

export function crosswalkIndex(rows: CrosswalkRow[]): CrosswalkIndex {
  const byRegistryId = new Map<string, CrosswalkRow[]>();
  const add = (id: string, row: CrosswalkRow) => {
    const list = byRegistryId.get(id);
    if (!list) byRegistryId.set(id, [row]);
    else if (!list.includes(row)) list.push(row);
  };
  const linked = new Set<string>();
  const bySystemId = new Map<string, CrosswalkRow>();
  for (const row of rows) {
    bySystemId.set(row.systemId, row);
    if (row.registryId) add(row.registryId, row);
    for (const s of row.suggestions) add(s.registryId, row);
    if (row.registryId && holdsRegistryId(row.state)) linked.add(row.systemId);
  }
  return {
    rowsFor: (id) => byRegistryId.get(id) ?? [],
    links: (id) => linked.has(id),
    rowOf: (id) => bySystemId.get(id),
    size: rows.length,
  };
}
