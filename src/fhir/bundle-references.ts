import { MediatorError, type Issue } from '../domain/errors.js';
import type { Json } from './codecs/common.js';

/**
 * References between the entries of a transaction (FHIR http.html#trules): an entry's resource
 * may name another entry by its `fullUrl` (`urn:uuid:…`), as a Location `partOf` the district
 * created in the same Bundle, or a SupplyDelivery `basedOn` an order line posted beside it. The
 * server gives each such reference the id the named entry's resource gets. Here every id is known
 * before anything is written (a create's id comes from its business identifiers, a PUT's from its
 * URL), so each reference is rewritten to `[type]/[id]` up front and the rest of the transaction
 * sees plain references. The hub writes entries in Bundle order, so an entry may only name an
 * earlier one: naming a later one would make the system receive the reference before what it
 * names exists, and is refused (422, naming both entries) before anything is written, as is a
 * `urn:` reference that names no entry.
 */

export interface ReferencedEntry {
  index: number;
  fullUrl?: string;
  method: string;
  resource?: Json;
}

/**
 * What a reference to an entry becomes: `[type]/[id]`, or undefined when the entry makes no
 * resource id, or null when the entry is refused itself (its own problem says why), so what a
 * reference to it would become cannot be told.
 */
export type TargetOf<E> = (entry: E) => Promise<string | null | undefined>;

/** A transaction's entries with their references resolved where they can be, and why not elsewhere. */
export interface EntryReferences<E> {
  /** Every entry, each reference that could be resolved rewritten to `[type]/[id]`. */
  entries: E[];
  /** Each reference that cannot be resolved (a 422 each). */
  issues: Issue[];
  /** The entries holding such a reference, or one to an entry refused itself. */
  unresolved: Set<number>;
}

const LOCAL_REFERENCE = /^urn:(uuid|oid):/;

interface Found {
  path: string;
  reference: string;
  holder: Json;
}

/** Every `reference` naming a `urn:` in the resource, with its FHIRPath. */
function urnReferences(value: unknown, path: string, out: Found[] = []): Found[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => urnReferences(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Json)) {
      if (key === 'reference' && typeof v === 'string' && LOCAL_REFERENCE.test(v))
        out.push({ path: `${path}.reference`, reference: v, holder: value as Json });
      else urnReferences(v, `${path}.${key}`, out);
    }
  }
  return out;
}

/** Whether any `reference` in the value names a `urn:` (urnReferences finds at least one). */
function holdsUrnReference(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsUrnReference);
  if (!value || typeof value !== 'object') return false;
  for (const key in value as Json) {
    const v = (value as Json)[key];
    if (key === 'reference' && typeof v === 'string' ? LOCAL_REFERENCE.test(v) : holdsUrnReference(v)) return true;
  }
  return false;
}

function refusal(found: Found, why: string): Issue {
  return {
    code: 'not-found',
    diagnostics: `${found.path.replace(/\.reference$/, '')} '${found.reference}' ${why}`,
    expression: [found.path],
  };
}

/**
 * The entries with their `urn:` references to other entries rewritten to `[type]/[id]`. Throws a
 * 422 listing every reference that cannot be resolved, before anything is written.
 */
export async function resolveEntryReferences<E extends ReferencedEntry>(
  entries: E[],
  targetOf: TargetOf<E>,
): Promise<E[]> {
  const resolved = await entryReferences(entries, targetOf);
  if (resolved.issues.length) throw new MediatorError(422, resolved.issues);
  return resolved.entries;
}

/**
 * Every entry's `urn:` references resolved where they can be, and every one that cannot named:
 * a transaction refused for one of them still has its other entries checked, so one answer names
 * all its problems.
 */
export async function entryReferences<E extends ReferencedEntry>(
  entries: E[],
  targetOf: TargetOf<E>,
): Promise<EntryReferences<E>> {
  const byUrl = new Map(entries.filter((e) => e.fullUrl).map((e) => [e.fullUrl!, e]));
  // each entry's target asked once, and only of entries another names
  const targets = new Map<number, Promise<string | null | undefined>>();
  const target = (e: E) => targets.get(e.index) ?? targets.set(e.index, targetOf(e)).get(e.index)!;
  const issues: Issue[] = [];
  const resolved: E[] = [];
  const unresolved = new Set<number>();
  for (const e of entries) {
    // most entries name no other entry: kept as they came, not cloned (a clone and a walk
    // building every node's path were ~6 % of an OpenLMIS order's instructions, issue 18)
    if (!e.resource || e.method === 'PATCH' || !holdsUrnReference(e.resource)) {
      resolved.push(e);
      continue;
    }
    const resource = structuredClone(e.resource);
    const at = `Bundle.entry[${e.index}].resource`;
    for (const found of urnReferences(resource, at)) {
      const named = byUrl.get(found.reference);
      if (!named) {
        unresolved.add(e.index);
        issues.push(
          refusal(
            found,
            'names no entry of this transaction (no Bundle.entry[].fullUrl is that URI): give the fullUrl of the entry it means, or a [type]/[id] reference',
          ),
        );
        continue;
      }
      const other = `Bundle.entry[${named.index}]`;
      const to = named.index > e.index ? undefined : await target(named);
      if (to === null) {
        unresolved.add(e.index); // the entry it names is refused, and says why
      } else if (named.index > e.index) {
        unresolved.add(e.index);
        issues.push(
          refusal(
            found,
            `names ${other}, which comes after it: entries are written in Bundle order, so put ${other} before Bundle.entry[${e.index}]`,
          ),
        );
      } else if (!to) {
        unresolved.add(e.index);
        issues.push(
          refusal(
            found,
            `names ${other} (${named.method}), which makes no resource with an id a reference can take: name a created or updated resource`,
          ),
        );
      } else {
        found.holder.reference = to;
      }
    }
    resolved.push({ ...e, resource });
  }
  return { entries: resolved, issues, unresolved };
}

/**
 * A batch entry naming another entry of the batch by its fullUrl: FHIR's batch rules
 * (http.html#brules) make that non-conformant, since each entry is processed on its own and the
 * reference could only reach the system as an id nobody holds. A 400 naming both entries.
 */
export function assertNoEntryReference(entry: ReferencedEntry, entries: ReferencedEntry[]): void {
  if (!entry.resource) return;
  const byUrl = new Map(entries.filter((e) => e.fullUrl).map((e) => [e.fullUrl!, e.index]));
  const issues = urnReferences(entry.resource, `Bundle.entry[${entry.index}].resource`)
    .filter((found) => byUrl.has(found.reference))
    .map((found) =>
      refusal(
        found,
        `names Bundle.entry[${byUrl.get(found.reference)}] of this batch: a batch's entries are each processed on their own and cannot name each other; send them as a transaction, or reference the resource by [type]/[id]`,
      ),
    );
  if (issues.length)
    throw new MediatorError(
      400,
      issues.map((i) => ({ ...i, code: 'invalid' as const })),
    );
}
