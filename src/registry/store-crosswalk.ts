import type { AuditInput, Store } from '../store/types.js';
import type { CrosswalkRepository } from './crosswalk.js';
import type { CrosswalkRow, ScoreReason } from './crosswalk-types.js';

/**
 * The crosswalk repository on the mediator's Store (SQLite or PostgreSQL).
 *
 * The store's crosswalk table has no column for the registry ids a reviewer rejected or broke
 * (CrosswalkRow.rejectedRegistryIds). Rather than change the store's schema, they travel as one
 * extra reason `{ field: 'rejected', … }` in the row's reasons column and are decoded on read, so
 * callers only ever see the domain row. The reason is harmless to any other reader: weight 0.
 */
const REJECTED_FIELD = 'rejected';

export function encodeRow(row: CrosswalkRow): CrosswalkRow {
  const { rejectedRegistryIds, ...rest } = row;
  const reasons = row.reasons.filter((r) => r.field !== REJECTED_FIELD);
  if (rejectedRegistryIds && rejectedRegistryIds.length > 0) {
    reasons.push({ field: REJECTED_FIELD, weight: 0, detail: JSON.stringify([...rejectedRegistryIds].sort()) });
  }
  return { ...rest, reasons };
}

function parseIds(reason: ScoreReason): string[] {
  try {
    const v: unknown = JSON.parse(reason.detail);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}

export function decodeRow(row: CrosswalkRow): CrosswalkRow {
  const marker = row.reasons.find((r) => r.field === REJECTED_FIELD);
  if (!marker) return row;
  return { ...row, reasons: row.reasons.filter((r) => r !== marker), rejectedRegistryIds: parseIds(marker) };
}

export class StoreCrosswalkRepository implements CrosswalkRepository {
  constructor(private readonly store: Store) {}

  async get(system: string, systemId: string): Promise<CrosswalkRow | undefined> {
    const row = await this.store.getCrosswalk(system, systemId);
    return row ? decodeRow(row) : undefined;
  }

  /** Writes the row; an automatic row never replaces a human decision (the store enforces it). */
  async put(row: CrosswalkRow, audit?: AuditInput): Promise<void> {
    await this.store.upsertCrosswalk(encodeRow(row), audit);
  }

  /** Like put, but says whether the row was written (false: a human decision was kept). */
  async write(row: CrosswalkRow, audit?: AuditInput): Promise<boolean> {
    return (await this.store.upsertCrosswalk(encodeRow(row), audit)).written;
  }

  /** Many rows in one store transaction (a reconciliation run); returns how many were written. */
  /** `audit`: built from the count written, recorded in the same transaction as the rows. */
  async writeMany(rows: CrosswalkRow[], audit?: (written: number) => AuditInput): Promise<number> {
    if (!rows.length && !audit) return 0;
    return (await this.store.upsertCrosswalkMany(rows.map(encodeRow), audit)).written;
  }

  async listBySystem(system: string): Promise<CrosswalkRow[]> {
    return (await this.store.listCrosswalk(system)).map(decodeRow);
  }

  async listByRegistryId(registryId: string): Promise<CrosswalkRow[]> {
    return (await this.store.listCrosswalkByRegistryId(registryId)).map(decodeRow);
  }
}
