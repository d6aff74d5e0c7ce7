import { asRecord } from '../../upstream/errors.js';

/**
 * The answer to `POST /api/dataValueSets`, read the same on 200 and 409 (a WARNING is a 409 up to
 * 2.42, a 200 from 2.43; an ERROR is a 409: dhis2-core WebMessageUtils.importSummary): a
 * WebMessage wrapping an ImportSummary, or the bare
 * summary from old servers (dhis2-core `dxf2/webmessage/WebMessageUtils.importSummary`).
 * Conflicts carry errorCode/property/indexes from 2.38 (`ImportConflict.java`), only
 * `object/value` before. From 2.43 every accepted value is counted `updated` (dhis2-core
 * `DataEntrySummary.toImportSummary`), so what counts is accepted = imported + updated.
 */
export interface ImportConflict {
  object?: string;
  objects?: Record<string, string>;
  message: string;
  errorCode?: string;
  property?: string;
  /** Positions in the posted dataValues (2.38+). */
  indexes?: number[];
}

export interface ImportResult {
  status: 'SUCCESS' | 'WARNING' | 'ERROR';
  imported: number;
  updated: number;
  ignored: number;
  deleted: number;
  accepted: number;
  conflicts: ImportConflict[];
  rejectedIndexes: number[];
  description?: string;
}

/**
 * DHIS2 names the integration user by UID in some conflicts (E7617 "… not in hierarchy of current
 * user: `<uid>`", and the user in `objects`). A refusal never names the user (README): the client,
 * the job's error, the logs and OpenHIM get DHIS2's words and code without it.
 */
export function withoutUser(message: string): string {
  return message.replace(/(current user):\s*`[^`]*`/gi, '$1');
}

function withoutUserObject(objects: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!objects || !('user' in objects)) return objects;
  const { user: _user, ...rest } = objects;
  return rest;
}

const int = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || 0);

export function decodeImportSummary(body: unknown): ImportResult | undefined {
  const b = asRecord(body);
  const isSummary = (x: Record<string, unknown> | undefined) =>
    !!x && (x.responseType === 'ImportSummary' || !!asRecord(x.importCount));
  // a job answer (async=true) or another WebMessage is not a summary
  const summary = isSummary(asRecord(b?.response)) ? asRecord(b!.response) : isSummary(b) ? b : undefined;
  if (!summary) return undefined;
  const count = asRecord(summary.importCount) ?? {};
  const conflicts = (Array.isArray(summary.conflicts) ? summary.conflicts : []).map((c): ImportConflict => {
    const r = asRecord(c) ?? {};
    return {
      object: typeof r.object === 'string' ? r.object : undefined,
      objects: withoutUserObject(asRecord(r.objects) as Record<string, string> | undefined),
      message: withoutUser(String(r.value ?? r.message ?? 'conflict')),
      errorCode: typeof r.errorCode === 'string' ? r.errorCode : undefined,
      property: typeof r.property === 'string' ? r.property : undefined,
      indexes: Array.isArray(r.indexes) ? r.indexes.map(Number).filter(Number.isInteger) : undefined,
    };
  });
  const raw = String(summary.status ?? b?.status ?? 'ERROR').toUpperCase();
  const status = raw === 'SUCCESS' || raw === 'OK' ? 'SUCCESS' : raw === 'WARNING' ? 'WARNING' : 'ERROR';
  const imported = int(count.imported);
  const updated = int(count.updated);
  const deleted = int(count.deleted);
  return {
    status,
    imported,
    updated,
    ignored: int(count.ignored),
    deleted,
    accepted: imported + updated,
    conflicts,
    rejectedIndexes: Array.isArray(summary.rejectedIndexes) ? summary.rejectedIndexes.map(Number) : [],
    description: typeof summary.description === 'string' ? summary.description : undefined,
  };
}
