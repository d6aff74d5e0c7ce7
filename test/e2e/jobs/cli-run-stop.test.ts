/**
 * A `jobs run` from the command line, its run held in a registry read that does not answer, on
 * both store engines, through real processes (`node --import tsx src/cli/index.ts`, so the
 * signal hits the command itself). A server started beside it on the same database leaves the
 * live run alone (on SQLite its start-up used to close it as abandoned, the run's end later
 * overwriting that). Then Ctrl-C (SIGINT): the command records the run interrupted and exits 130,
 * as a shell reports a command Ctrl-C ended (it exited 1, as a failed run), without waiting for
 * the registry (it used to die with the run left "running"), and the job's lock is free once it
 * has exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMfrSandbox } from '../../../sandbox/mfr/index.js';
import { openStore } from '../../../src/store/index.js';
import { killHard, until } from '../../support/net.js';
import { freePort, MediatorProcess } from '../../support/openlmis-faults-mediators.js';
import { engineCases } from '../../support/outbox-engines.js';
import { registryOnlyEnv } from '../../support/registry-only-env.js';

const root = path.resolve(import.meta.dirname, '../../..');
const ADMIN = 'cli-run-stop-admin-Wd8';

/** The exit of `child` (its code, or its signal's name), or 'still running' after `withinMs`. */
async function exitOf(child: ChildProcess, withinMs: number): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? String(child.signalCode);
  const exited = new Promise<number | string>((r) => child.once('exit', (code, sig) => r(code ?? String(sig))));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r('still running'), withinMs)));
  const ended = await Promise.race([exited, late]);
  clearTimeout(timer);
  return ended;
}

for (const engine of engineCases())
  t.test(
    `jobs run stopped by Ctrl-C, a server started beside it (${engine.name})`,
    { skip: engine.skip, timeout: 240_000 },
    async (t) => {
      const mfr = await startMfrSandbox({ port: 0 });
      t.teardown(() => mfr.close());
      // every registry read is left unanswered (until the sandbox closes): the run waits in it
      mfr.faults.add({ method: 'GET', path: '/fhir/Location*', times: 100, action: { type: 'hang' } });
      const dir = mkdtempSync(path.join(tmpdir(), 'cli-run-stop-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const env = registryOnlyEnv({
        dataDir: dir,
        databaseUrl: db.databaseUrl,
        registryUrl: mfr.url,
        adminToken: ADMIN,
      });
      const store = await openStore({ dataDir: dir, databaseUrl: db.databaseUrl }); // the CLI needs it made
      t.teardown(() => store.close());

      const logFile = path.join(dir, 'cli.log');
      const log = openSync(logFile, 'a');
      const cli = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), 'jobs', 'run', 'propagate'],
        {
          cwd: root,
          env: { ...process.env, ...env },
          stdio: ['ignore', log, log],
        },
      );
      closeSync(log);
      t.teardown(() => killHard(cli));
      const held = await until('the run under way', async () =>
        (await store.listJobRuns('propagate')).find((r) => r.outcome === 'running'),
      );

      const server = new MediatorProcess('cli-run-stop', env, await freePort(), path.join(dir, 'mediator.log'));
      t.teardown(() => server.kill());
      await server.start(); // its start-up closes the runs of dead processes before it answers
      const [beside] = await store.listJobRuns('propagate');
      t.equal(beside.id, held.id);
      t.equal(beside.outcome, 'running', 'the live command’s run is not called abandoned by the server’s start');
      const byServer = await fetch(`${server.url}/admin/jobs/propagate/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}` },
        signal: AbortSignal.timeout(30_000), // a run beside the command's would wait on the registry
      }).catch(() => undefined);
      t.equal(byServer?.status, 409, 'the server does not run the job beside the command: its lock is held');

      cli.kill('SIGINT');
      // an exit that waited for the run would wait for the registry's answer, or its client's timeout
      t.equal(await exitOf(cli, 60_000), 130, `the command exits 130 (${readFileSync(logFile, 'utf8').slice(-2000)})`);
      const [stopped] = await store.listJobRuns('propagate');
      t.equal(stopped.id, held.id);
      t.equal(stopped.outcome, 'failed', 'the run is over');
      t.match(stopped.detail, /^interrupted: the mediator was stopped \(SIGINT\) during the run/, 'said why');
      t.ok(stopped.endedAt !== undefined, 'with its end');
      const said = readFileSync(logFile, 'utf8');
      t.match(said, /"outcome": "failed"/, 'the command printed the run');
      t.notMatch(said, /not done within/, 'its stop ended: the process was not made to exit by the stop limit');

      await server.kill();
      const free = await store.withAdvisoryLock('schedule:propagate', async () => true);
      t.same(free, { ran: true, value: true }, 'the job’s lock went with the command');
    },
  );
