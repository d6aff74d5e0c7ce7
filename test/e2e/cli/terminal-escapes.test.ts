/**
 * `outbox list` and `jobs list` print what upstreams and clients wrote (an upstream's error, a
 * client's business key, a facility the stock bridge left out) to an operator's terminal. An
 * escape sequence in it (`ESC ]0;…BEL` retitles the window, `ESC [2J` clears the screen, colours
 * hide text) or a line break (a forged extra job line) must reach the terminal as visible text:
 * control characters are written as `\x1b`, `\n`, one line per job or run as the table promises.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import t from 'tap';
import { printTable } from '../../../src/cli/jobs.js';
import { openStore } from '../../../src/store/index.js';

const run = promisify(execFile);
const cliPath = path.resolve(import.meta.dirname, '../../../src/cli/index.ts');
const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');
const HOSTILE = 'openlmis: 500 \u001b]0;pwned\u0007\u001b[2J\u001b[8mhidden\u001b[0m\r\nfake-job  done  order/openlmis';
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

t.test('outbox list: control characters from an upstream error shown as text', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-escapes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  await store.recordWrite({
    id: 'job-1',
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: 'order|app|\u001b[31mred',
    payloadHash: 'h',
    payload: {},
    status: 'pending',
    attempts: 0,
    nextAttemptAt: Date.now() + 3_600_000,
    createdAt: Date.now(),
  });
  const [claimed] = await store.claimJobs({
    system: 'openlmis',
    flows: ['order'],
    limit: 1,
    leaseOwner: 'w1',
    leaseMs: 60_000,
    now: Date.now() + 7_200_000,
  });
  await store.finishJob(
    claimed.id,
    'w1',
    {
      status: 'dead',
      error: { name: 'UpstreamError', status: 500, issues: [{ code: 'exception', diagnostics: HOSTILE }] },
    },
    Date.now(),
  );
  await store.close();
  const { stdout } = await run(tsx, [cliPath, 'outbox', 'list'], {
    env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '' },
  });
  t.notMatch(stdout, CONTROL, 'no control character reaches the terminal');
  t.match(stdout, '\\x1b]0;pwned\\x07', 'the escape shown as text');
  t.equal(stdout.trim().split('\n').length, 2, 'one line for the job, one for the counts: no forged line');
  t.match(stdout, 'key=order|app|\\x1b[31mred', "a client's key alike");
});

t.test('jobs list: a run error and detail lines shown as text', async (t) => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => (text += String(c)));
  printTable(
    [
      {
        name: 'stockToDhis2',
        schedule: '0 3 2 * *',
        setting: 'schedules.stockToDhis2',
        nextRun: '2026-12-02T03:00:00.000Z',
        lastRuns: [
          {
            start: '2026-12-01T03:00:00.000Z',
            end: '2026-12-01T03:00:01.000Z',
            trigger: 'schedule',
            outcome: 'failed',
            error: HOSTILE,
            detail: `left out: ${HOSTILE}\nleft out: Kaumu`,
          },
        ],
      },
    ] as never,
    out,
  );
  t.notMatch(text, CONTROL, 'no control character reaches the terminal');
  const lines = text.trimEnd().split('\n');
  // the scheduler keeps an upstream's own line breaks out of a run's error (scheduler.test.ts); an
  // error stored with one (an older row) is split as a detail is, every part under the run
  t.match(
    lines[1],
    /^ {2}2026-12-01T03:00:00\.000Z .*failed: openlmis: 500 \\x1b\]0;pwned\\x07.*\\r$/,
    'the run: its own line, the escapes shown as text',
  );
  t.equal(
    lines.filter((l) => !l.startsWith('    ')).length,
    2,
    'one line for the job and one for the run: no forged row',
  );
  t.ok(
    lines.slice(2).every((l) => l.startsWith('    ')),
    'detail lines (one per item, split where the detail breaks) stay indented under the run',
  );
});

t.test('propagation: a reason from upstream shown as text, one row', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-escapes-prop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore({ dataDir: dir });
  await store.putPropagation({
    registryId: 'R-1',
    version: '1',
    system: 'openlmis',
    action: 'update',
    state: 'held',
    reason: HOSTILE,
    updatedAt: Date.now(),
  });
  await store.close();
  const { stdout } = await run(tsx, [cliPath, 'propagation'], {
    env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '' },
  });
  t.notMatch(stdout, CONTROL, 'no control character reaches the terminal');
  t.equal(stdout.split('\n').filter((l) => l.includes('R-1')).length, 1, 'the change on one row');
  t.notMatch(stdout, /^fake-job/m, 'no forged row');
});
