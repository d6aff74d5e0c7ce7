/**
 * `jobs run`'s exit on SIGINT and SIGTERM (run-stop-signal.ts): a shell's code for a command the
 * signal ended, 130 and 143, so a script tells a stopped run from a failed one (exit 1, which the
 * command gave before). The process-level proof for SIGINT is test/e2e/jobs/cli-run-stop.test.ts.
 */
import t from 'tap';
import type { Scheduler } from '../../../src/jobs/index.js';
import { stopRunOnSignal } from '../../../src/cli/run-stop-signal.js';

/** A scheduler that records the stops asked of it. */
function recordingScheduler(): { scheduler: Scheduler; stops: string[] } {
  const stops: string[] = [];
  const scheduler = { stop: async (reason: string) => void stops.push(reason) } as unknown as Scheduler;
  return { scheduler, stops };
}

/** A sink for what the command says on stderr. */
function sink(): NodeJS.WritableStream & { said: string } {
  const out = { said: '', write: (s: string) => ((out.said += s), true) };
  return out as unknown as NodeJS.WritableStream & { said: string };
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  t.test(`${signal}: the run is stopped and the command's exit code is ${code}`, async (t) => {
    const { scheduler, stops } = recordingScheduler();
    const err = sink();
    const stopper = stopRunOnSignal(scheduler, err);
    t.teardown(() => stopper.dispose());
    t.equal(stopper.exitCode, undefined, 'no signal yet: the run decides the code');
    process.emit(signal, signal); // the handlers alone, as the signal would run them
    t.same(stops, [signal], 'the scheduler is asked to stop, naming the signal');
    t.equal(stopper.signal, signal);
    t.equal(stopper.exitCode, code, `exit ${code}, as a shell reports a command ${signal} ended`);
    t.match(err.said, new RegExp(`^${signal}: stopping the run`), 'said on stderr');
  });
}

t.test('a signal after the run was done: the run decides the code, not the signal', async (t) => {
  const { scheduler } = recordingScheduler();
  const stopper = stopRunOnSignal(scheduler, sink());
  t.teardown(() => stopper.dispose());
  t.equal(stopper.exitAfter(0), undefined, 'no signal: the command ends as usual');
  process.emit('SIGTERM', 'SIGTERM');
  t.equal(stopper.exitAfter(1), 143, 'the run recorded failed (interrupted): 143');
  t.equal(stopper.exitAfter(0), 0, 'the run ended ok before the stop reached it: 0, nothing to run again');
  t.equal(stopper.exitAfter(2), 2, 'it did not run (running elsewhere): 2');
});
