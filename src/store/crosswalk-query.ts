import type { CrosswalkRow } from '../registry/crosswalk-types.js';
import { InvalidInputError } from '../domain/errors.js';
import { sqliteParams } from './rows.js';
type Row = Record<string, unknown>;

/**
 * The review queue's reads, filtered, counted and paged in SQL (Store.queryCrosswalk): the
 * console reaches any record of a queue of any size, and a view costs one page of rows.
 */
export interface CrosswalkQuery {
  /**
   * waiting: review and flagged, best first candidate first; linked: matched rows, weakest link
   * first; all: every row of the system by systemId (GET …/crosswalk, paged).
   */
  view: 'waiting' | 'linked' | 'all';
  /** One waiting state only. */
  state?: 'review' | 'flagged';
  /** A third of the view's scores: high is the best third (cuts over the whole view, as the queue's bands). */
  band?: 'high' | 'medium' | 'low';
  /** Only these records (the console's area filter: the ids its facility list places there). */
  systemIds?: string[];
  /** Start the page at this record when the filters keep it. */
  at?: string;
  limit: number;
  offset: number;
}

export interface CrosswalkPage {
  /** Records the filters keep. */
  total: number;
  /** Where the page starts (moved to `at` when that record is kept). */
  offset: number;
  rows: CrosswalkRow[];
  /**
   * The record after this page, if any: `at` it continues from there even when records before it
   * were decided meanwhile (and left the view), which an offset would skip over.
   */
  next?: string;
}

/** Rows of a system by state and by whether the matcher ('auto') decided them (Store.countCrosswalkStates). */
export interface CrosswalkStateCount {
  state: string;
  auto: boolean;
  count: number;
}

export type Engine = 'sqlite' | 'postgres';
type All = (sql: string, params: unknown[]) => Promise<Row[]>;

export const CROSSWALK_STATE_COUNTS_SQL =
  "SELECT state, CASE WHEN decided_by = 'auto' THEN 1 ELSE 0 END AS auto, COUNT(*) AS n FROM crosswalk WHERE system = $1 GROUP BY state, CASE WHEN decided_by = 'auto' THEN 1 ELSE 0 END";

/** The score a view orders and bands by: the first candidate's while waiting, the link's once matched. */
function scoreOf(engine: Engine, view: CrosswalkQuery['view']): string {
  if (view === 'linked') return 'COALESCE(score, 0)';
  return engine === 'postgres' ? "(suggestions->0->>'score')::float8" : "json_extract(suggestions, '$[0].score')";
}

/**
 * Builds one statement's WHERE clause and parameters, with $n placeholders as the store's shared
 * SQL has them (SQLite's are swapped for ? once, in statementsOf).
 */
class Where {
  readonly params: unknown[] = [];
  readonly parts: string[] = [];
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  add(part: string): this {
    this.parts.push(part);
    return this;
  }
  get sql(): string {
    return this.parts.join(' AND ');
  }
  /** The placeholders of values bound after the WHERE's own, and every parameter in order. */
  plus(...values: unknown[]): { marks: string[]; params: unknown[] } {
    return { marks: values.map((_, i) => `$${this.params.length + i + 1}`), params: [...this.params, ...values] };
  }
}

/** The engine's statement runner, given $n placeholders: SQLite binds them as ? in order. */
function statementsOf(engine: Engine, all: All): All {
  return engine === 'postgres' ? all : (sql, params) => all(sqliteParams(sql), params);
}

function viewWhere(system: string, view: CrosswalkQuery['view']): Where {
  const w = new Where();
  w.add(`system = ${w.param(system)}`);
  if (view === 'all') return w;
  return view === 'linked'
    ? w.add("state IN ('auto-match', 'manual-match') AND registry_id IS NOT NULL")
    : w.add("state IN ('review', 'flagged')");
}

/** The thirds of a view's scores, lowest first (a record without a candidate counts as -Infinity). */
async function bandCuts(engine: Engine, system: string, view: CrosswalkQuery['view'], all: All) {
  const w = viewWhere(system, view);
  const rows = await all(
    `SELECT s, i, n FROM (SELECT s, ROW_NUMBER() OVER (ORDER BY s ASC NULLS FIRST) - 1 AS i, COUNT(*) OVER () AS n
       FROM (SELECT ${scoreOf(engine, view)} AS s FROM crosswalk WHERE ${w.sql}) v) w
     WHERE i = n / 3 OR i = (2 * n) / 3`,
    w.params,
  );
  const at = (third: number) => {
    const r = rows.find((x) => Number(x.i) === Math.floor((third * Number(x.n)) / 3));
    return r && r.s !== null && r.s !== undefined ? Number(r.s) : undefined;
  };
  // an empty view: nothing to band (every record would be "high", as bandsOf has it)
  return { low: rows.length ? at(1) : undefined, high: rows.length ? at(2) : undefined, empty: !rows.length };
}

/** `score >= cut`, where no score is -Infinity and no cut (an empty view or -Infinity) keeps all. */
function atLeast(w: Where, score: string, cut: number | undefined): string {
  return cut === undefined ? '1 = 1' : `(${score} IS NOT NULL AND ${score} >= ${w.param(cut)})`;
}

async function filtered(engine: Engine, system: string, q: CrosswalkQuery, all: All): Promise<Where> {
  const w = viewWhere(system, q.view);
  const score = scoreOf(engine, q.view);
  if (q.state) w.add(`state = ${w.param(q.state)}`);
  if (q.systemIds)
    w.add(
      engine === 'postgres'
        ? `system_id = ANY(${w.param(q.systemIds)}::text[])`
        : `system_id IN (SELECT value FROM json_each(${w.param(JSON.stringify(q.systemIds))}))`,
    );
  if (q.band) {
    const cuts = await bandCuts(engine, system, q.view, all);
    if (q.band === 'high') w.add(atLeast(w, score, cuts.high));
    if (q.band === 'medium') w.add(`${atLeast(w, score, cuts.low)} AND NOT ${atLeast(w, score, cuts.high)}`);
    if (q.band === 'low') w.add(`NOT ${atLeast(w, score, cuts.low)}`);
  }
  return w;
}

function orderOf(engine: Engine, view: CrosswalkQuery['view']): string {
  if (view === 'all') return 'system_id';
  const score = scoreOf(engine, view);
  return view === 'linked' ? `${score} ASC, system_id` : `${score} DESC NULLS LAST, system_id`;
}

/**
 * Where a page starting at record `q.at` starts: its place in the view, or, for a record the
 * filters do not keep (decided since a script was given it as `next`, another state or band),
 * where it would sort: the page goes on after it and shows no record twice. A paging script
 * (`at=<next>`) decides as it goes, so its `next` has often just left the view; starting at
 * `offset` instead showed page 1 again. A record the system has not (a typo) is a 400.
 */
async function offsetOfAt(engine: Engine, system: string, q: CrosswalkQuery, w: Where, run: All): Promise<number> {
  const at = q.at as string;
  const score = scoreOf(engine, q.view);
  const [record] = await run(`SELECT ${score} AS s FROM crosswalk WHERE system = $1 AND system_id = $2`, [system, at]);
  if (!record)
    throw new InvalidInputError(
      `at ${JSON.stringify(at)} is no record of ${system}: give a systemId of this queue (a page's next)`,
      'at',
    );
  const s = record.s === null || record.s === undefined ? null : Number(record.s);
  // each use its own placeholder: SQLite binds them as ? in order (statementsOf)
  const params = [...w.params];
  const p = (value: unknown) => `$${params.push(value)}`;
  // the view's order (orderOf): waiting by score descending, no score last; linked ascending; all by id
  const sortsBefore =
    q.view === 'all'
      ? `system_id < ${p(at)}`
      : s === null
        ? `(${score} IS NOT NULL OR system_id < ${p(at)})`
        : `(${score} ${q.view === 'linked' ? '<' : '>'} ${p(s)} OR (${score} = ${p(s)} AND system_id < ${p(at)}))`;
  const [counted] = await run(`SELECT COUNT(*) AS n FROM crosswalk WHERE ${w.sql} AND ${sortsBefore}`, params);
  return Number(counted.n);
}

/** Count, find `at`, then read one page: three small statements, whatever the queue's size. */
export async function queryCrosswalk(
  engine: Engine,
  system: string,
  q: CrosswalkQuery,
  all: All,
  fromRow: (r: Row) => CrosswalkRow,
): Promise<CrosswalkPage> {
  const run = statementsOf(engine, all);
  const w = await filtered(engine, system, q, run);
  const order = orderOf(engine, q.view);
  const [counted] = await run(`SELECT COUNT(*) AS n FROM crosswalk WHERE ${w.sql}`, w.params);
  const offset = q.at === undefined ? q.offset : await offsetOfAt(engine, system, q, w, run);
  // one row more than the page: the first of the next page, named as `next`
  const page = w.plus(q.limit + 1, offset);
  const rows = await run(
    `SELECT * FROM crosswalk WHERE ${w.sql} ORDER BY ${order} LIMIT ${page.marks[0]} OFFSET ${page.marks[1]}`,
    page.params,
  );
  const after = rows.length > q.limit ? fromRow(rows[q.limit]).systemId : undefined;
  return {
    total: Number(counted.n),
    offset,
    rows: rows.slice(0, q.limit).map(fromRow),
    ...(after !== undefined ? { next: after } : {}),
  };
}

export function stateCountsOf(rows: Row[]): CrosswalkStateCount[] {
  return rows.map((r) => ({ state: String(r.state), auto: Number(r.auto) === 1, count: Number(r.n) }));
}
