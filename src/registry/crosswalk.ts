import type { BundleEntry, Bundle, Identifier, Location } from '@medplum/fhirtypes';
import type { Facility } from '../domain/facility.js';
import { stableId, stableUuid } from '../domain/ids.js';
import type { CrosswalkRow, MatchZone } from './crosswalk-types.js';
import type { MatchResult } from './match/matcher.js';
import { facilityInputHash } from './review.js';

/**
 * Where crosswalk rows live. The store team implements it on SQLite/PostgreSQL; the in-memory
 * version below serves the CLI and tests.
 */
export interface CrosswalkRepository {
  get(system: string, systemId: string): Promise<CrosswalkRow | undefined>;
  put(row: CrosswalkRow): Promise<void>;
  listBySystem(system: string): Promise<CrosswalkRow[]>;
}

export class InMemoryCrosswalkRepository implements CrosswalkRepository {
  private readonly rows = new Map<string, CrosswalkRow>();

  async get(system: string, systemId: string): Promise<CrosswalkRow | undefined> {
    const r = this.rows.get(`${system}\u0000${systemId}`);
    return r ? structuredClone(r) : undefined;
  }

  async put(row: CrosswalkRow): Promise<void> {
    this.rows.set(`${row.system}\u0000${row.systemId}`, structuredClone(row));
  }

  async listBySystem(system: string): Promise<CrosswalkRow[]> {
    return [...this.rows.values()].filter((r) => r.system === system).map((r) => structuredClone(r));
  }
}

const STATE_OF_ZONE: Record<MatchZone, CrosswalkRow['state']> = {
  auto: 'auto-match',
  review: 'review',
  'no-match': 'no-match',
};

/** A hash of the registry list: when it changes every automatic row is stale. */
export function registrySnapshotHash(registry: Facility[]): string {
  // SHA-256 of the concatenated record hashes (one part, so no separator), first 16 hex as before.
  return stableId(registry.map(facilityInputHash).join('')).slice(0, 16);
}

/**
 * Turns a matcher run into automatic crosswalk rows for one system. `inputHash` replaces the
 * default row hash (the facility's input hash, plus the registry snapshot): the store-backed run
 * fingerprints rows its own way, so the default would only be computed to be thrown away.
 */
export function toCrosswalkRows(
  result: MatchResult,
  system: string,
  systemFacilities: Facility[],
  options: { at: string; registrySnapshot?: string; inputHash?: (row: CrosswalkRow, leftIndex: number) => string },
): CrosswalkRow[] {
  const defaultHash = (_row: CrosswalkRow, leftIndex: number) => {
    const f = systemFacilities[leftIndex];
    return f ? facilityInputHash(f) + (options.registrySnapshot ? `.${options.registrySnapshot}` : '') : undefined;
  };
  const inputHash = options.inputHash ?? defaultHash;
  return result.decisions.map((d) => {
    const row: CrosswalkRow = {
      system,
      systemId: d.leftId,
      registryId: d.zone === 'auto' ? d.match?.rightId : undefined,
      state: STATE_OF_ZONE[d.zone],
      zone: d.zone,
      score: d.match ? Math.round(d.match.score * 100) / 100 : d.suggestions[0]?.score,
      reasons: d.match?.reasons ?? d.suggestions[0]?.reasons ?? [],
      suggestions: d.suggestions.map((s) => ({ ...s, score: Math.round(s.score * 100) / 100 })),
      decidedBy: 'auto',
      decidedAt: options.at,
      comment: d.deterministic ? `deterministic: ${d.deterministic}` : undefined,
    };
    return { ...row, inputHash: inputHash(row, d.leftIndex) };
  });
}

const LINKED = new Set(['auto-match', 'manual-match']);

/** FHIR's id rule (R4 datatypes: id). */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The Location's id and fullUrl for a registry id. Registry lists from spreadsheets carry ids
 * such as "MFR 2000_x" that are neither a FHIR id nor a UUID: the Location then gets a stable id
 * derived from it (the registry id itself stays, as an identifier), and a fullUrl of `urn:uuid:`
 * is only valid with a UUID after it (R4 Bundle.entry.fullUrl), so one is derived unless the id is one.
 */
function exportedIds(registryId: string): { id: string; fullUrl: string; kept: boolean } {
  const kept = FHIR_ID.test(registryId);
  const fullUrl = `urn:uuid:${UUID.test(registryId) ? registryId.toLowerCase() : stableUuid('registry', registryId)}`;
  return { id: kept ? registryId : stableId('registry', registryId), fullUrl, kept };
}

/** A facility identifier as FHIR allows it: no empty system or value (a spreadsheet's blank column). */
function exportedIdentifier(i: { system?: string; value?: string }): Identifier | undefined {
  if (!i.value) return undefined;
  return i.system ? { system: i.system, value: i.value } : { value: i.value };
}

/** Identifier system used for a system's ids in the exported crosswalk (one per system). */
function systemIdentifierUri(base: string, system: string): string {
  return `${base.replace(/\/$/, '')}/${encodeURIComponent(system)}`;
}

/**
 * The crosswalk as an mCSD-style Location Bundle: one Location per registry facility that has
 * at least one linked system record, carrying one identifier per system (system = that system's
 * namespace, value = its id). Flagged, review, no-match, ignored and broken rows are left out,
 * as GOFR does in its export.
 */
export function crosswalkToLocationBundle(
  rows: CrosswalkRow[],
  registry: Facility[],
  identifierBase: string,
): Bundle<Location> {
  const byRegistry = new Map<string, CrosswalkRow[]>();
  for (const r of rows) {
    if (!LINKED.has(r.state) || !r.registryId) continue;
    byRegistry.set(r.registryId, [...(byRegistry.get(r.registryId) ?? []), r]);
  }
  const registryById = new Map(registry.map((f) => [f.id ?? '', f]));
  const entry: BundleEntry<Location>[] = [];
  for (const [registryId, linked] of [...byRegistry].sort(([a], [b]) => a.localeCompare(b))) {
    const facility = registryById.get(registryId);
    const bySystem = new Map<string, string>();
    for (const r of linked) if (!bySystem.has(r.system)) bySystem.set(r.system, r.systemId);
    const ids = exportedIds(registryId);
    const location: Location = {
      resourceType: 'Location',
      id: ids.id,
      status: facility?.status === 'inactive' ? 'inactive' : facility?.status === 'suspended' ? 'suspended' : 'active',
      ...(facility?.name ? { name: facility.name } : {}),
      identifier: [
        ...(ids.kept ? [] : [{ system: systemIdentifierUri(identifierBase, 'registry'), value: registryId }]),
        ...(facility?.identifiers ?? []).flatMap((i) => exportedIdentifier(i) ?? []),
        ...[...bySystem].map(([system, value]) => ({ system: systemIdentifierUri(identifierBase, system), value })),
      ],
      type: [
        {
          coding: [
            {
              system: 'https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types',
              code: 'facility',
            },
          ],
        },
      ],
      ...(facility?.position
        ? { position: { latitude: facility.position.latitude, longitude: facility.position.longitude } }
        : {}),
    };
    entry.push({ fullUrl: ids.fullUrl, resource: location });
  }
  // no `total`: R4 allows it on searchset and history Bundles only (bdl-1)
  return { resourceType: 'Bundle', type: 'collection', entry };
}

/**
 * A text cell a spreadsheet would read as a formula (OWASP "CSV Injection": a first character of
 * = + - @, tab, carriage return, line feed or NUL). Names, ids and comments come from upstream
 * systems and people, and a data manager opens these files in Excel or LibreOffice.
 */
const FORMULA_START = /^[=+\-@\t\r\n\0]/;

/**
 * One RFC 4180 cell. A text that could start a formula is prefixed with a single quote (shown as
 * text, the quote hidden) and quoted, as OWASP advises; numbers are written as they are, so a
 * negative score stays a number.
 */
function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return String(v);
  const s = String(v);
  if (FORMULA_START.test(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** The crosswalk as CSV: one line per system record. */
export function crosswalkToCsv(rows: CrosswalkRow[]): string {
  return toCsv(
    ['system', 'system_id', 'registry_id', 'state', 'zone', 'score', 'decided_by', 'decided_at', 'comment'],
    rows.map((r) => [
      r.system,
      r.systemId,
      r.registryId,
      r.state,
      r.zone,
      r.score,
      r.decidedBy,
      r.decidedAt,
      r.comment,
    ]),
  );
}

/** The review queue as CSV: one line per suggestion, ranked, with the reasons for each score. */
export function reviewToCsv(
  rows: CrosswalkRow[],
  names: { left: Map<string, string>; right: Map<string, string> },
): string {
  const lines: unknown[][] = [];
  for (const r of rows.filter((x) => x.state === 'review' || x.state === 'flagged')) {
    r.suggestions.forEach((s, i) => {
      lines.push([
        r.system,
        r.systemId,
        names.left.get(r.systemId),
        i + 1,
        s.registryId,
        names.right.get(s.registryId),
        s.score,
        s.reasons.map((x) => `${x.field} ${x.weight >= 0 ? '+' : ''}${x.weight} (${x.detail})`).join('; '),
      ]);
    });
  }
  return toCsv(
    ['system', 'system_id', 'system_name', 'rank', 'registry_id', 'registry_name', 'score', 'reasons'],
    lines,
  );
}
