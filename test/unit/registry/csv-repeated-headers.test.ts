/**
 * A repeated header is renamed as papaparse renames it (fda6ed60 renames it itself, so papaparse
 * writes no "Duplicate headers found and renamed." to stderr): the repeat takes the first
 * `header_N` no column of the file is named, and a column the file names `note_1` keeps that key.
 * fda6ed60's renaming gave the second `note` the key `note_1`, looking only at the columns before
 * it: the file's own `note_1`, further right, became `note_1_1`, so a --mapping reading `note_1`
 * read the second `note`'s cells without a word, and papaparse wrote its line to stderr again.
 */
import t from 'tap';
import { parseCsvList } from '../../../src/registry/csv.js';

/** parseCsvList's answer, and what it wrote with console.warn (papaparse's way to stderr). */
function parsed(text: string) {
  const warned: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warned.push(args.join(' '));
  try {
    return { ...parseCsvList(text), warned };
  } finally {
    console.warn = warn;
  }
}

t.test("a column named like a repeat's new name keeps its own cells", async (t) => {
  const list = parsed('id,name,note,note,note_1\nL1,Kaumu Dispensary,a,b,c\n');
  t.same(list.rows, [{ id: 'L1', name: 'Kaumu Dispensary', note: 'a', note_2: 'b', note_1: 'c' }]);
  t.same(list.headers, ['id', 'name', 'note', 'note', 'note_1'], 'the header as the file writes it');
  t.same(list.warned, [], 'nothing written to stderr');
});

t.test('repeats renamed in order, as papaparse does', async (t) => {
  const list = parsed(';id;name;;note_1;note;note;note\n;L1;Kaumu Dispensary;;x;a;b;c\n');
  t.same(list.rows, [
    { '': '', id: 'L1', name: 'Kaumu Dispensary', _1: '', note_1: 'x', note: 'a', note_2: 'b', note_3: 'c' },
  ]);
  t.same(list.warned, []);
});
