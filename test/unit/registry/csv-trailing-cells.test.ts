import t from 'tap';
import { parseCsvObjects } from '../../../src/registry/csv.js';
import { InvalidInputError } from '../../../src/domain/errors.js';

// A list a spreadsheet exported after a column was deleted ends its rows with empty cells the
// header has no column for: nothing in them, nothing lost, so the list is taken. A value past the
// header's columns (an unquoted comma in a name) still shifts data and is refused.
t.test('rows with empty cells past the header are taken, without them', async (t) => {
  const rows = parseCsvObjects('code,name\nK1,Kilima Dispensary,\nK2,Rio Azul,,\n', 'list.csv');
  t.same(rows, [
    { code: 'K1', name: 'Kilima Dispensary' },
    { code: 'K2', name: 'Rio Azul' },
  ]);
});

t.test('a value past the header is still refused, naming the row', async (t) => {
  let err: unknown;
  try {
    parseCsvObjects('code,name\nK1,Kilima, Dispensary\n', 'list.csv');
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof InvalidInputError);
  t.match(String((err as Error).message), /^list\.csv: line 2 \(row 1\): 3 cells for the 2 columns/);
});
