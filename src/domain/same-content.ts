/**
 * Whether two values have the same canonical JSON (domain/ids.ts canonicalJson), decided without
 * building it: undefined members absent, key order ignored. Conservative: whatever it is unsure of
 * (class instances, NaN, an undefined array item) counts as different, so a caller that reuses what
 * it derived from an equal value (a hash, an encoding) reuses it only when deriving again would
 * give the same. Members that are the same object are equal at once: a value rebuilt around
 * unchanged parts costs a walk of its changed parts only.
 */
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

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
