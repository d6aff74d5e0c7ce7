/**
 * `outbox list` is oldest first, 100 rows by default: on a mediator with more jobs than that it
 * showed only the oldest and had no way to the newer ones short of a huge --limit, while the admin
 * API and the console page with `offset`. `--offset N` pages as `?offset=` does, and a full page
 * says how to reach the next. Both store engines; the jobs made a millisecond apart, so their
 * order (created_at, id) is fixed.
 */
import t from 'tap';
import { InvalidArgumentError } from 'commander';
import { offsetOption } from '../../../src/cli/count-option.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { outboxCli } from '../../support/outbox-cli.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0, 0);

/** The job ids of a text list, in the order printed, and its last line. */
function listed(out: string): { ids: string[]; footer: string } {
  const lines = out.trim().split('\n');
  return { ids: lines.slice(0, -1).map((l) => l.split(' ')[0]!), footer: lines.at(-1)! };
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    for (const [i, id] of ['J1', 'J2', 'J3'].entries())
      await store.recordWrite(newJob(id, { createdAt: T0 + i, nextAttemptAt: T0 + i }));

    const first = await outboxCli(databaseUrl, ['list', '--limit', '2']);
    t.equal(first.code, 0, first.err);
    t.same(listed(first.out).ids, ['J1', 'J2'], 'the oldest two');
    t.match(listed(first.out).footer, /^2 shown; pending=3 .* \(more after them: --offset 2\)$/, 'says how to go on');

    const next = await outboxCli(databaseUrl, ['list', '--limit', '2', '--offset', '2']);
    t.equal(next.code, 0, next.err);
    t.same(listed(next.out).ids, ['J3'], 'the newer one');
    t.notMatch(listed(next.out).footer, /more after/, 'a short page is the last');

    const json = await outboxCli(databaseUrl, ['list', '--json', '--offset', '1']);
    t.same(
      (JSON.parse(json.out) as { id: string }[]).map((j) => j.id),
      ['J2', 'J3'],
      '--json pages the same',
    );
  });
}

t.test('--offset takes a whole number from 0, as ?offset= does', async (t) => {
  t.equal(offsetOption('0'), 0);
  t.equal(offsetOption('250'), 250);
  for (const bad of ['-1', 'abc', '1.5', '1000000001'])
    t.throws(() => offsetOption(bad), InvalidArgumentError, `${bad} refused`);
});
