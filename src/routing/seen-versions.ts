import { contentVersion } from '../domain/ids.js';

/** Ids remembered; past this the longest unchanged are dropped (a few MB at most). */
const MAX_IDS = 5_000;

/**
 * The content versions of what searches return, without hashing again what has not changed (issue
 * 18: the canonical JSON and SHA-256 of every match were the largest per-item cost of a Location
 * search the routing layer adds). A value equal, member by member, to the one last hashed under the
 * same FHIR id has that one's version; anything else is hashed. Equality is decided the way
 * canonicalJson would see it (undefined members absent, key order ignored) and is conservative:
 * whatever it is unsure of (class instances, NaN, an undefined array item) counts as changed and is
 * hashed, so a version given out is always contentVersion(value).
 */
export class SeenVersions {
  private readonly last = new Map<string, { value: unknown; version: string }>();

  constructor(private readonly maxIds = MAX_IDS) {}

  version(id: string, value: unknown): string {
    const known = this.last.get(id);
    if (known && sameContent(known.value, value)) return known.version;
    const version = contentVersion(value);
    // a changed or new id goes to the end (Map order): the ids dropped first are those whose
    // content was hashed longest ago
    this.last.delete(id);
    this.last.set(id, { value, version });
    if (this.last.size > this.maxIds) this.last.delete(this.last.keys().next().value as string);
    return version;
  }
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Same canonical JSON, decided without building it; false when unsure. */
export function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || Number.isFinite(a);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] === undefined || !sameContent(a[i], b[i])) return false;
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let members = 0;
  for (const key of Object.keys(x)) {
    if (x[key] === undefined) continue;
    if (!sameContent(x[key], y[key])) return false;
    members++;
  }
  for (const key of Object.keys(y)) if (y[key] !== undefined) members--;
  return members === 0;
}
