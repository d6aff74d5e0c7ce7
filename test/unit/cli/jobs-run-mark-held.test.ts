/**
 * `jobs run propagate` by hand against a registry ignoring `_sort` whose list moves during each
 * whole read: the pull keeps the mark. The server logs that as a warning and counts it; the CLI
 * had no logger for it, so an operator running the pull by hand never learnt the mark was held.
 * It is now said on stderr, as the server says it, without the registry's token or credentials.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { startMfrSandbox } from '../../../sandbox/mfr/index.js';
import { jobsCommand } from '../../../src/cli/jobs.js';
import { loadSettings } from '../../../src/config/load.js';
import { CHANGES_CURSOR } from '../../../src/jobs/propagate-job.js';
import { openStore } from '../../../src/store/index.js';

const TOKEN = 'mfr-sandbox-token';
const PAGE = 7;
const PASSWORD = 's3cr%40t';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

t.test('jobs run propagate says a held mark on stderr', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jobs-run-mark-held-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  // the directory's clock, moved by hand: no instant depends on the wall clock
  let clock = Date.UTC(2025, 0, 1, 0, 10, 0);
  const s = await startMfrSandbox({ port: 0, pageSize: 6, ignoreSort: true, state: { now: () => clock } });
  t.teardown(() => s.close());
  const since = new Date(Date.UTC(2025, 0, 1)).toISOString();
  const store = await openStore({ dataDir });
  await store.setCursor(CHANGES_CURSOR, since);
  await store.close();
  const listed = s.state.visible('Location');
  // page 1 out of order (a renamed Location kept its place): the answer is read whole; during
  // each whole read a Location of page 1 is deleted and an unchanged one shifts onto no page
  s.state.rename(listed[0].id, 'Renamed first');
  clock += 60_000;
  let deleted = 0;
  const push = s.requests.push.bind(s.requests);
  s.requests.push = (...r: string[]) => {
    if (r.some((x) => x.includes(`_offset=${PAGE}&`) || x.endsWith(`_offset=${PAGE}`)))
      s.state.delete(listed[++deleted].id);
    return push(...r);
  };

  const settings = {
    ...loadSettings({ AUTH_MODE: 'off' }),
    'store.dataDir': dataDir,
    // a base naming a user and password: the line names the registry without them
    'registry.url': s.url.replace('://', `://mfr-user:${PASSWORD}@`),
    'registry.token': TOKEN,
    'registry.pageSize': PAGE,
    'registry.changeFeed': 'lastUpdated',
    'registry.fullReadHours': 0,
  };
  const out = sink();
  const err = sink();
  const exitBefore = process.exitCode;
  t.teardown(() => {
    process.exitCode = exitBefore;
  });
  await jobsCommand({ settings: () => settings, out: out.stream, err: err.stream }).parseAsync(['run', 'propagate'], {
    from: 'user',
  });
  t.equal(process.exitCode, 0, `the run is ok (${err.text()})`);
  process.exitCode = exitBefore;
  t.match(JSON.parse(out.text()), { job: 'propagate', run: { trigger: 'manual', outcome: 'ok' } });
  t.equal(deleted, 3, 'three whole reads, each moved');
  const lines = err.text().split('\n').filter(Boolean);
  t.equal(lines.length, 1, 'one line on stderr');
  t.match(
    lines[0],
    new RegExp(
      `^warning: registry feed: the high-water mark is held at ${since} since .*ignores _sort and its list moved.* \\(registry ${s.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`,
    ),
  );
  t.notMatch(err.text(), TOKEN, 'no token in the line');
  t.notMatch(err.text(), /mfr-user|s3cr/, 'no user or password in the line');
  const after = await openStore({ dataDir });
  t.equal(await after.getCursor(CHANGES_CURSOR), since, 'the mark is kept');
  await after.close();
});
