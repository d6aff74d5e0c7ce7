/**
 * `reconcile --store` through the real CLI: a first run whose list is refused leaves no database
 * behind. Before, the store was opened (the SQLite file created, migrated) before the lists were
 * read, so a refused first run left an empty database where the operator's DATA_DIR pointed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { reconcileCli } from '../../support/reconcile-cli.js';

const REGISTRY = 'id,name,county\nR1,Kaumu Dispensary,Kitui\nR2,Kasikeu Health Centre,Makueni\n';

t.test('a refused first --store run creates no database; a good one does', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reconcile-store-refused-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  writeFileSync(path.join(dir, 'registry.csv'), REGISTRY);
  writeFileSync(path.join(dir, 'dup.csv'), 'id,name,county\nL1,Kaumu,Kitui\nL1,Kasikeu,Makueni\n');
  writeFileSync(path.join(dir, 'emr.csv'), 'id,name,county\nL1,Kaumu Disp.,Kitui\n');
  const run = (left: string) =>
    reconcileCli(
      [
        '--left',
        path.join(dir, left),
        '--right',
        path.join(dir, 'registry.csv'),
        '--out',
        path.join(dir, 'out'),
        '--store',
      ],
      { DATA_DIR: dataDir },
    );

  const refused = await run('dup.csv');
  t.equal(refused.code, 1, 'refused: exit 1');
  t.match(refused.stderr, /^error: dup\.csv: line 3, column id: id "L1" again/m, 'naming the file and line');
  t.notOk(existsSync(path.join(dataDir, 'mediator.db')), 'no database file');
  t.notOk(existsSync(dataDir), 'not even the data directory');

  const good = await run('emr.csv');
  t.equal(good.code, 0, good.stderr);
  t.ok(existsSync(path.join(dataDir, 'mediator.db')), 'a good run makes it');
  t.match(JSON.parse(good.stdout).store, { system: 'emr', firstRun: true });
});
