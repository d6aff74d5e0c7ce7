/**
 * A small RFC 4180 reader for facility lists: quoted fields (commas, line breaks, doubled
 * quotes inside), CRLF or LF, a leading BOM, blank lines skipped, short rows allowed (missing
 * cells are absent). Written here because csv-parse's general machinery was the largest single
 * cost of loading the Kenya lists (a quarter of the 3-second budget); this does one pass over
 * the text with indexOf jumps.
 */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const n = s.length;
  let i = 0;
  let row: string[] = [];
  while (i <= n) {
    let field: string;
    if (s.charCodeAt(i) === 34 /* " */) {
      // Quoted: runs to the next quote not followed by another one.
      let out = '';
      let from = i + 1;
      for (;;) {
        const q = s.indexOf('"', from);
        if (q < 0) {
          out += s.slice(from);
          i = n;
          break;
        }
        out += s.slice(from, q);
        if (s.charCodeAt(q + 1) === 34) {
          out += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Anything between the closing quote and the delimiter is kept, as lenient readers do.
      let j = i;
      while (j < n && s.charCodeAt(j) !== 44 && s.charCodeAt(j) !== 10 && s.charCodeAt(j) !== 13) j++;
      field = out + s.slice(i, j);
      i = j;
    } else {
      let j = i;
      while (j < n && s.charCodeAt(j) !== 44 && s.charCodeAt(j) !== 10 && s.charCodeAt(j) !== 13) j++;
      field = s.slice(i, j);
      i = j;
    }
    row.push(field);
    const c = s.charCodeAt(i);
    if (c === 44 /* , */) {
      i++;
      continue;
    }
    // End of line or of text.
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
    if (c === 13 && s.charCodeAt(i + 1) === 10) i += 2;
    else i++;
  }
  return rows;
}

/** Rows keyed by the header row's names. */
export function parseCsvObjects(text: string): Record<string, string>[] {
  const [header, ...body] = parseCsvRows(text);
  if (!header) return [];
  return body.map((cells) => {
    const o: Record<string, string> = {};
    const m = Math.min(header.length, cells.length);
    for (let k = 0; k < m; k++) o[header[k]] = cells[k];
    return o;
  });
}
