import t from 'tap';
import { parseCsvObjects, parseCsvRows } from '../../../src/registry/csv.js';

t.test('quoted fields, doubled quotes, embedded delimiters and line breaks', async (t) => {
  const text =
    '\ufeffid,name,county\r\n1,"Abdisamad Disp., Wajir","W"\r\n2,"St. Mary""s ""Mission""",Kiambu\n3,"two\nlines",\n';
  t.same(parseCsvRows(text), [
    ['id', 'name', 'county'],
    ['1', 'Abdisamad Disp., Wajir', 'W'],
    ['2', 'St. Mary"s "Mission"', 'Kiambu'],
    ['3', 'two\nlines', ''],
  ]);
});

t.test('blank lines skipped, short rows keep only the cells they have, no trailing newline needed', async (t) => {
  t.same(parseCsvObjects('a,b,c\n\n1,2,3\n4,5\r\n\r\n6,,"x"'), [
    { a: '1', b: '2', c: '3' },
    { a: '4', b: '5' },
    { a: '6', b: '', c: 'x' },
  ]);
  t.same(parseCsvObjects(''), []);
  t.same(parseCsvObjects('only,header\n'), []);
});

t.test('an unclosed quote runs to the end of the text instead of throwing', async (t) => {
  t.same(parseCsvRows('a,b\n1,"open'), [
    ['a', 'b'],
    ['1', 'open'],
  ]);
});

// a `;` list (Excel in a French locale) with a stray `;` in a name was told about commas, which it
// may hold unquoted: the advice names the list's own separator
t.test('too many cells: the advice names the separator the list uses', async (t) => {
  t.throws(() => parseCsvObjects('id;name\nL1;Kaumu; Dispensary\n', 'emr.csv'), {
    message:
      'emr.csv: line 2 (row 1): 3 cells for the 2 columns of the header (a semicolon (;) inside a value needs the cell in quotes); nothing was read',
  });
  t.throws(() => parseCsvObjects('id,name\nL1,Kaumu, Dispensary\n', 'emr.csv'), {
    message: /\(a comma inside a value needs the cell in quotes\); nothing was read$/,
  });
});
