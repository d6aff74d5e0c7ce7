/** Query-string helpers: Spring binds repeated params (`id=a&id=b`) and comma lists to collections. */
export type Query = Record<string, unknown>;

export function many(query: Query, name: string): string[] {
  const raw = query[name];
  if (raw === undefined || raw === null) return [];
  return ([] as unknown[])
    .concat(raw)
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

export function one(query: Query, name: string): string | undefined {
  const raw = query[name];
  if (raw === undefined || raw === null) return undefined;
  const v = Array.isArray(raw) ? raw[0] : raw;
  const s = String(v);
  return s === '' ? undefined : s;
}

export function bool(query: Query, name: string): boolean | undefined {
  const v = one(query, name);
  if (v === undefined) return undefined;
  return v.toLowerCase() === 'true';
}
