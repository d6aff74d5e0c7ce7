import { InvalidInputError } from '../domain/errors.js';
import { readCoordinate } from './coordinate.js';
import { headerKey } from './facility-columns.js';

/**
 * Checks on a facility list a data manager hands the reconcile CLI, the reconcile job
 * (`registry.file`) or the console: what would otherwise be taken without a word and come out
 * wrong. Each refusal names the file, the line (a JSON list: the entry) and the column, and
 * nothing is read. The benchmark reads its lists without them (facility-list.ts `checked`).
 */

/**
 * The text of a list that must be UTF-8. Node's decoder turns every byte that is not UTF-8 into
 * U+FFFD without a word, so a Latin-1 export (`H\xf4pital`) reconciled as `H\ufffdpital`, an
 * unmatchable name. The first such byte is named by line and column.
 */
export function utf8ListText(bytes: Buffer, name: string): string {
  // Excel's "Unicode Text" is UTF-16 with a byte order mark: no Latin-1 at all, as the message below would say
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    throw new InvalidInputError(
      `${name}: the file is UTF-16 (Excel's "Unicode Text"), not UTF-8; save the list as UTF-8 (Excel: CSV UTF-8); nothing was read`,
    );
  const text = bytes.toString('utf8');
  for (let at = text.indexOf('\ufffd'); at >= 0; at = text.indexOf('\ufffd', at + 1)) {
    const offset = Buffer.byteLength(text.slice(0, at));
    // a U+FFFD written in the file as such is a character like any other
    if (bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd) continue;
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    const line = text.slice(0, at).split('\n').length;
    const hex = `0x${bytes[offset].toString(16).toUpperCase().padStart(2, '0')}`;
    throw new InvalidInputError(
      `${name}: line ${line}, column ${at - lineStart + 1}: byte ${hex} is not UTF-8 (a Latin-1 or Windows export?); save the list as UTF-8 (Excel: CSV UTF-8); nothing was read`,
    );
  }
  return text;
}

/**
 * The line each CSV record starts on (1-based; the header's first), records with no content
 * skipped as the parser skips them (csv.ts): blank lines, and rows of bare separators (`;;;`, what
 * Excel exports for rows it once formatted). A line break inside a quoted cell does not end a
 * record. Called only on text the parser took (csv.ts listProblem refuses the stray quotes that
 * would throw this off).
 */
export function csvRecordLines(text: string, delimiter = ','): number[] {
  const lines: number[] = [];
  let line = 1;
  let start = 1;
  let quoted = false;
  let content = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\n') {
      line += 1;
      if (quoted) continue;
      if (content) lines.push(start);
      content = false;
      start = line;
      // a separator inside quotes is a cell's text: `","` is a record (csv.ts), not a bare-separator row
    } else if ((quoted || c !== delimiter) && c.trim() !== '') content = true;
  }
  if (content) lines.push(start);
  return lines;
}

/** Where a row is, for a message: `line 7` (CSV) or `entry 6` (JSON). */
export type RowPlace = (index: number) => string;

/**
 * The key columns a list's mapping names that its header lacks: an explicit `--mapping` naming
 * an id or name column the file does not have gave every record a row number for an id and a
 * blank name, matching nothing, without a word.
 */
export function missingKeyColumns(
  name: string,
  headers: string[],
  mapping: { id?: string; name: string },
  rows: number,
): void {
  if (rows === 0) return;
  const have = new Set(headers);
  for (const [key, column] of [
    ['id', mapping.id],
    ['name', mapping.name],
  ] as const)
    if (column !== undefined && !have.has(column))
      throw new InvalidInputError(
        `${name}: the ${key} column "${column}" is not in the header (${headers.join(', ')}); nothing was read`,
      );
}

/**
 * A column the mapping reads that the header names twice (`name` and `name`, or `Name` and
 * `name`, one column to the synonym table): the reader took one of them without a word, maybe the
 * district's name for the facility's. Refused on the header's line, naming both places. `headers`: as the
 * file writes them, before the CSV reader renames a repeat (`name_1`). `exact`: the mapping was
 * given (--mapping), naming its columns as the header writes them, and the reader takes that very
 * cell: only a header written twice exactly is ambiguous then (`Name` beside `name` was refused
 * though the mapping named one, and only editing the export got past it).
 */
export function ambiguousColumns(
  name: string,
  headers: string[],
  columns: string[],
  exact = false,
  headerLine = 1,
): void {
  const same = exact ? (a: string, b: string) => a === b : (a: string, b: string) => headerKey(a) === headerKey(b);
  for (const column of new Set(columns)) {
    const at = headers.flatMap((h, i) => (same(h, column) ? [i + 1] : []));
    if (at.length < 2) continue;
    const which = at.map((i) => `${i} (${JSON.stringify(headers[i - 1])})`).join(' and ');
    throw new InvalidInputError(
      `${name}: line ${headerLine}: columns ${which} are one column to the reader, which would take one of them without a word; rename all but the one to read; nothing was read`,
    );
  }
}

/** One cell a checked list cannot take: where it is, its column, and why. */
export interface CellProblem {
  where: string;
  column: string;
  why: string;
}

/**
 * How many cell problems one refusal lists: a national list exported with its coordinates in UTM
 * has thousands, and the first fifty say what is wrong; the count says how much.
 */
export const LISTED_CELL_PROBLEMS = 50;

/**
 * Ids and names every record must have, and coordinates it can read, each row's problems in the
 * order of its columns. A duplicate id put two records on one crosswalk row (the second's
 * decisions overwrote the first's); a blank id in the id column fell back to a row number; a blank
 * name matched nothing and sent the record to no-match as if decided.
 */
export function cellProblems(
  rows: Record<string, string>[],
  mapping: { id?: string; name: string; lat?: string; lon?: string },
  place: RowPlace,
): CellProblem[] {
  const seen = new Map<string, number>();
  const cell = (row: Record<string, string>, column: string) => (row[column] ?? '').toString().trim();
  return rows.flatMap((row, i) => {
    const problems: CellProblem[] = [];
    const problem = (column: string, why: string) => problems.push({ where: place(i), column, why });
    if (mapping.id !== undefined) {
      const id = cell(row, mapping.id);
      const first = seen.get(id);
      if (!id) problem(mapping.id, 'no id (every record needs one: the crosswalk keeps it)');
      else if (first !== undefined) problem(mapping.id, `id ${JSON.stringify(id)} again (first on ${place(first)})`);
      else seen.set(id, i);
    }
    if (!cell(row, mapping.name)) problem(mapping.name, 'no facility name');
    for (const [axis, column] of [
      ['latitude', mapping.lat],
      ['longitude', mapping.lon],
    ] as const) {
      if (column === undefined) continue;
      // Coordinates in a form coordinate.ts cannot read (`1.2.3`, `36 49 E` in the latitude
      // column, UTM metres): such a position was dropped, or taken as degrees, without a word
      const why = readCoordinate((row[column] ?? '').toString(), axis).problem;
      if (why) problem(column, why);
    }
    return problems;
  });
}

/**
 * Refuses a list with cell problems, naming every one (up to LISTED_CELL_PROBLEMS, then a count):
 * naming only the first made a list with twenty bad cells twenty runs, each finding the next.
 * One problem is one line, as the CLI prints every refusal.
 */
export function refuseCellProblems(name: string, problems: CellProblem[]): void {
  if (problems.length === 0) return;
  const said = (p: CellProblem) => `${p.where}, column ${p.column}: ${p.why}`;
  if (problems.length === 1) throw new InvalidInputError(`${name}: ${said(problems[0])}; nothing was read`);
  const listed = problems.slice(0, LISTED_CELL_PROBLEMS);
  const rest = problems.length - listed.length;
  throw new InvalidInputError(
    [
      `${name}: ${problems.length} cells cannot be taken${rest ? ` (the first ${listed.length} below)` : ''}; nothing was read`,
      ...listed.map((p) => `  ${said(p)}`),
      ...(rest ? [`  and ${rest} more`] : []),
    ].join('\n'),
  );
}
