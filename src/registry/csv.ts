import Papa from 'papaparse';

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

/** Rows keyed by the header; a short row keeps only the cells it has. */
export function parseCsvObjects(text: string): Record<string, string>[] {
  return Papa.parse<Record<string, string>>(normalised(text), { header: true, skipEmptyLines: true, newline: '\n' })
    .data;
}
