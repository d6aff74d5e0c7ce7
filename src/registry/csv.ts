import Papa from 'papaparse';
import { InvalidInputError } from '../domain/errors.js';
import { csvRecordLines } from './list-checks.js';

/**
 * Facility lists as CSV (RFC 4180: quoted fields with commas, line breaks and doubled quotes;
 * CRLF or LF; a leading BOM; blank lines skipped). papaparse rather than csv-parse: on the Kenya
 * lists it parses in about a third of the time, which matters inside the matcher's 3-second budget.
 */
/** No BOM, and LF line ends throughout (lists assembled from several sources mix CRLF and LF). */
function normalised(text: string): string {
  return (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n?/g, '\n');
}

/** Rows as arrays of cells. */
export function parseCsvRows(text: string): string[][] {
  return Papa.parse<string[]>(normalised(text), { skipEmptyLines: true, newline: '\n' }).data;
}

/** The line of a character offset (1-based). */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

/**
 * What makes a list unsafe to take, in a data manager's words, or undefined. A quote inside a cell
 * that is not quoted as a whole (`L1,=HYPERLINK("http://x","a")`) makes the parser read on into
 * the next lines, merging records into one; more cells than the header has columns (an unquoted
 * comma in a name) shifts or drops values. Either way a record would be lost or wrong without a
 * word. A short row (fewer cells) is fine: it keeps the cells it has. `lead`: the blank lines
 * before `text` in the file, for the line numbers.
 */
function listProblem(
  text: string,
  errors: Papa.ParseError[],
  rows: Record<string, unknown>[],
  delimiter: string,
  lead: number,
): string | undefined {
  const quote = errors.find((e) => e.type === 'Quotes');
  if (quote)
    return `line ${lead + lineAt(text, quote.index ?? 0)}: a quote the CSV cannot place (a cell holding " must be quoted as a whole, each inner " doubled: "=HYPERLINK(""http://x"")"), so the rows after it would be read as part of it`;
  // extra cells that are all empty (trailing commas, as spreadsheets export a deleted column) lose nothing
  const extra = errors.find((e) => e.code === 'TooManyFields' && !onlyEmptyExtras(rows[e.row ?? -1]));
  if (extra) {
    const counts = /expected (\d+) fields but parsed (\d+)/.exec(extra.message);
    const cells = counts ? `${counts[2]} cells for the ${counts[1]} columns of the header` : extra.message;
    // by its line in the file, as an editor shows it (a quoted line break or a blank line before it moves it)
    const line = lead + (csvRecordLines(text, delimiter)[(extra.row ?? 0) + 1] ?? (extra.row ?? 0) + 2);
    return `line ${line} (row ${(extra.row ?? 0) + 1}): ${cells} (${separatorInValue(delimiter)})`;
  }
  return undefined;
}

/**
 * Rows keyed by the header; a short row keeps only the cells it has; a row with no content (blank,
 * or bare separators: `;;;`) is no record. A list that would be read wrong (listProblem) is refused
 * with the row and why.
 */
export function parseCsvObjects(text: string, source = 'CSV'): Record<string, string>[] {
  return parseCsvList(text, source).rows;
}

/**
 * parseCsvObjects, with the separator the list uses (for csvRecordLines), its header as the
 * file writes it and the header's line (after any blank lines): a repeated header is renamed here as papaparse would (`name`, `name_1`), so
 * papaparse does not write "Duplicate headers found and renamed." to the process's stderr, a line
 * out of nowhere in the CLI's output and the server's log; list-checks.ts says which is meant.
 */
export function parseCsvList(
  text: string,
  source = 'CSV',
): { rows: Record<string, string>[]; delimiter: string; headers: string[]; headerLine: number } {
  const { body: plain, lead } = withoutLeadingBlankLines(normalised(text));
  // the header row alone first: a repeat's new name must avoid every column the file names,
  // those right of it too (papaparse's own renaming does; the header row is all it parses here)
  const first = Papa.parse<string[]>(plain, { preview: 1, skipEmptyLines: 'greedy', newline: '\n' }).data[0];
  const keys = first && uniqueHeaders(first);
  const headers: string[] = [];
  const parsed = Papa.parse<Record<string, string>>(plain, {
    header: true,
    // greedy: a row of bare separators was a record with no id and no name, refused as such
    skipEmptyLines: 'greedy',
    newline: '\n',
    transformHeader: (header, i) => {
      headers.push(header);
      // no header row read alone (a bare-separator first line): the columns so far
      return (keys ?? uniqueHeaders(headers))[i] ?? header;
    },
  });
  const problem = listProblem(plain, parsed.errors, parsed.data, parsed.meta.delimiter, lead);
  if (problem) throw new InvalidInputError(`${source}: ${problem}; nothing was read`);
  for (const row of parsed.data) delete (row as Record<string, unknown>)[EXTRA];
  return { rows: parsed.data, delimiter: parsed.meta.delimiter, headers, headerLine: lead + 1 };
}

/**
 * The text from its first line with content, and how many blank lines were before it. papaparse
 * takes a blank first line for the header: it hands transformHeader that one empty cell, then
 * keys the rows by the next line with its repeats not renamed, so `name,name` kept the second
 * column's cells as the name and the repeat went unseen (list-checks.ts ambiguousColumns).
 */
function withoutLeadingBlankLines(text: string): { body: string; lead: number } {
  const blank = /^(?:[ \t]*\n)*/.exec(text)![0];
  return { body: text.slice(blank.length), lead: blank.split('\n').length - 1 };
}

/**
 * Each header, a repeat as `header_N`: the first N from its count so far that no column of the
 * file is named, nor an earlier repeat (papaparse's rule). Looking only at the columns before it
 * named the second `note` `note_1` beside the file's own `note_1`, whose cells papaparse then
 * moved to `note_1_1`: a mapping reading `note_1` read the second `note`.
 */
function uniqueHeaders(headers: string[]): string[] {
  const used = new Set(headers);
  const counts = new Map<string, number>();
  return headers.map((header) => {
    const earlier = counts.get(header) ?? 0;
    counts.set(header, earlier + 1);
    if (earlier === 0) return header;
    let n = earlier;
    while (used.has(`${header}_${n}`)) n += 1;
    used.add(`${header}_${n}`);
    return `${header}_${n}`;
  });
}

const SEPARATOR_NAMES: Record<string, string> = {
  ',': 'a comma',
  ';': 'a semicolon (;)',
  '\t': 'a tab',
  '|': 'a vertical bar (|)',
};

/**
 * The advice for a row with too many cells, in the list's own separator: a `;` list (Excel in a
 * French locale) was told about commas, which it may hold unquoted without harm.
 */
function separatorInValue(delimiter: string): string {
  const name = SEPARATOR_NAMES[delimiter] ?? `a ${delimiter}`;
  return `${name} inside a value needs the cell in quotes`;
}

/** Where papaparse puts the cells of a row beyond the header's columns. */
const EXTRA = '__parsed_extra';

function onlyEmptyExtras(row: Record<string, unknown> | undefined): boolean {
  const extras = row?.[EXTRA];
  return Array.isArray(extras) && extras.every((cell) => String(cell).trim() === '');
}
