/**
 * DHIS2's metadata query language as far as the sandbox serves it (docs.dhis2.org developer/web-api
 * metadata.md "Field filter", "Object filter", "Paging"): `fields=a,b[c,d],:owner,*`,
 * `filter=property:operator:value` (dotted properties, AND unless `rootJunction=OR`), and
 * `page/pageSize` answered with a `pager`.
 */
type Json = Record<string, any>;

export interface FieldNode {
  name: string;
  children?: FieldNode[];
}

/** `id,parent[id,name],ancestors[id]` → a tree (brackets may nest). */
export function parseFields(spec: string | undefined): FieldNode[] {
  const text = spec?.trim() || ':owner';
  const out: FieldNode[] = [];
  let i = 0;
  const parseList = (into: FieldNode[], closing?: string) => {
    let name = '';
    const push = (children?: FieldNode[]) => {
      if (name.trim()) into.push({ name: name.trim(), children });
      name = '';
    };
    while (i < text.length) {
      const ch = text[i++];
      if (ch === ',') push();
      else if (ch === '[' || ch === '(') {
        const children: FieldNode[] = [];
        parseList(children, ch === '[' ? ']' : ')');
        push(children);
        if (text[i] === ',') i++;
      } else if (ch === closing) {
        push();
        return;
      } else name += ch;
    }
    push();
  };
  parseList(out);
  return out;
}

/** The object reduced to the fields asked (`*`, `:all`, `:owner` = every own field, references as {id}). */
export function project(
  value: Json,
  fields: FieldNode[],
  expand: (v: Json, name: string) => unknown = (v, n) => v[n],
): Json {
  const out: Json = {};
  for (const f of fields) {
    if (
      f.name === '*' ||
      f.name === ':all' ||
      f.name === ':owner' ||
      f.name === ':identifiable' ||
      f.name === ':nameable'
    ) {
      for (const [k, v] of Object.entries(value)) if (v !== undefined && !k.startsWith('_')) out[k] = v;
      continue;
    }
    const v = expand(value, f.name);
    if (v === undefined || v === null) continue;
    if (!f.children) out[f.name] = v;
    else if (Array.isArray(v))
      out[f.name] = v.map((x) => (x && typeof x === 'object' ? project(x, f.children!, expand) : x));
    else if (typeof v === 'object') out[f.name] = project(v as Json, f.children, expand);
    else out[f.name] = v;
  }
  return out;
}

export class QueryError extends Error {}

const get = (o: Json, path: string, expand: (v: Json, name: string) => unknown): unknown => {
  let cur: unknown = o;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) cur = cur.map((x) => (x ? expand(x, part) : undefined));
    else cur = expand(cur as Json, part);
  }
  return cur;
};

function compare(a: unknown, b: string): number {
  if (typeof a === 'number') return a - Number(b);
  const ta = Date.parse(String(a));
  const tb = Date.parse(b);
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && /^\d{4}-\d\d/.test(b)) return ta - tb;
  return String(a).localeCompare(b);
}

/** One `property:operator:value` as a predicate (operators DHIS2 documents; the rest refused like DHIS2 does). */
export function parseFilter(filter: string, expand: (v: Json, name: string) => unknown): (o: Json) => boolean {
  const [prop, op, ...rest] = filter.split(':');
  const value = rest.join(':');
  if (!prop || !op) throw new QueryError(`Invalid filter: ${filter}`);
  const test = (v: unknown): boolean => {
    const s = v === undefined || v === null ? undefined : String(v);
    switch (op) {
      case 'eq':
        return s === value;
      case '!eq':
      case 'ne':
        return s !== value;
      case 'ieq':
        return s?.toLowerCase() === value.toLowerCase();
      case 'like':
        return !!s?.includes(value);
      case '!like':
        return !s?.includes(value);
      case 'ilike':
        return !!s?.toLowerCase().includes(value.toLowerCase());
      case '!ilike':
        return !s?.toLowerCase().includes(value.toLowerCase());
      case '$like':
        return !!s?.startsWith(value);
      case '$ilike':
        return !!s?.toLowerCase().startsWith(value.toLowerCase());
      case 'in':
        return value
          .replace(/^\[|\]$/g, '')
          .split(',')
          .includes(s ?? '');
      case '!in':
        return !value
          .replace(/^\[|\]$/g, '')
          .split(',')
          .includes(s ?? '');
      case 'null':
        return s === undefined;
      case '!null':
        return s !== undefined;
      case 'gt':
        return s !== undefined && compare(v, value) > 0;
      case 'ge':
        return s !== undefined && compare(v, value) >= 0;
      case 'lt':
        return s !== undefined && compare(v, value) < 0;
      case 'le':
        return s !== undefined && compare(v, value) <= 0;
      default:
        throw new QueryError(`Operator not supported: ${op}`);
    }
  };
  return (o) => {
    const v = get(o, prop, expand);
    return Array.isArray(v) ? v.some(test) : test(v);
  };
}

export interface Pager {
  page: number;
  pageCount: number;
  total: number;
  pageSize: number;
  nextPage?: string;
  prevPage?: string;
}

/** One page of a list and its pager, with next/prev links as DHIS2 writes them (`common/Pager.java`). */
export function pageOf<T>(items: T[], query: Json, url: string): { pager: Pager; items: T[] } {
  const pageSize = Math.max(1, Number(query.pageSize ?? 50) || 50);
  const page = Math.max(1, Number(query.page ?? 1) || 1);
  const total = items.length;
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const link = (p: number) => {
    const u = new URL(url);
    u.searchParams.set('page', String(p));
    return u.toString();
  };
  const pager: Pager = { page, pageCount, total, pageSize };
  if (page < pageCount) pager.nextPage = link(page + 1);
  if (page > 1) pager.prevPage = link(page - 1);
  return { pager, items: items.slice((page - 1) * pageSize, page * pageSize) };
}

/** A query parameter that may repeat (filter=…&filter=…) as a list. */
export function many(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}
