/**
 * An operator command pointed at a place with no mediator database (a typo in --data-dir, a
 * DATABASE_URL naming another database) is refused in one line naming the place, exit 1, and
 * creates nothing there. Before, each created an empty database and reported nothing to do
 * ("no registry change propagated yet", an empty queue): all fine, for a store it never looked
 * at. Once the database exists, the same commands run. The real CLI, both store engines.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const cliPath = path.join(root, 'src/cli/index.ts');

/** The real CLI, node with tsx's loader (one process; the tsx command starts node again beneath itself). */
async function cli(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cliPath, ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: '', DATA_DIR: '' },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const COMMANDS = [['outbox', 'list'], ['propagation'], ['jobs', 'list'], ['jobs', 'run', 'outboxPrune']];

/** Where the refusal must say the database was looked for. */
function placeOf(databaseUrl: string): RegExp {
  if (databaseUrl.startsWith('sqlite:')) return new RegExp(`at ${databaseUrl.slice('sqlite:'.length)} `);
  return new RegExp(`PostgreSQL database "${new URL(databaseUrl).pathname.slice(1)}"`);
}

for (const engine of engineCases())
  t.test(`${engine.name}: commands pointed at no database are refused, naming it`, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    // the four commands at once (each its own process), checked in order
    const refusals = await Promise.all(COMMANDS.map((command) => cli(...command, '--database-url', db.databaseUrl)));
    for (const [i, command] of COMMANDS.entries()) {
      const r = refusals[i];
      t.equal(r.code, 1, `${command.join(' ')}: exit 1`);
      t.match(r.stderr, placeOf(db.databaseUrl), `${command.join(' ')}: names where it looked`);
      t.match(r.stderr, /^configuration error: no mediator database .*--database-url or DATABASE_URL.*\n$/);
      t.equal(r.stderr.trim().split('\n').length, 1, 'in one line');
      t.equal(r.stdout, '', 'nothing reported as done');
    }
    if (engine.name === 'sqlite')
      t.notOk(existsSync(db.databaseUrl.slice('sqlite:'.length)), 'no database file was created');

    // the mediator's database made there (as serve makes it): the commands read it
    await (await openStore({ databaseUrl: db.databaseUrl })).close();
    const listed = await cli('outbox', 'list', '--json', '--database-url', db.databaseUrl);
    t.equal(listed.code, 0, listed.stderr);
    t.same(JSON.parse(listed.stdout), [], 'an existing, empty queue');
    const ran = await cli('jobs', 'run', 'outboxPrune', '--database-url', db.databaseUrl);
    t.equal(ran.code, 0, ran.stderr);
  });

t.test('a --data-dir with no database in it is refused, and not created', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'missing-store-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const typo = path.join(root, 'dat');
  const r = await cli('propagation', '--data-dir', typo);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    `configuration error: no mediator database at ${path.join(typo, 'mediator.db')} (store.dataDir: --data-dir or DATA_DIR); this command reads an existing one and creates none: check the path (serve and demo create it)\n`,
  );
  t.notOk(existsSync(typo), 'the directory was not created');
});
