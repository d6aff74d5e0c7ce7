/**
 * A bridge run by hand (`bridge <name>`, in process over the real connectors) whose job lock is lost
 * mid-run: the scheduler tests' fake of a lost lock (the real lock, its signal joined with one the
 * test aborts with AdvisoryLockLost, as HeldAdvisoryLock aborts it when its PostgreSQL session died
 * and another instance took the lock), lost when DHIS2 is first asked a given path. The real
 * loss: pg-held-lock.test.ts, postgres-instances.test.ts.
 */
import { PassThrough } from 'node:stream';
import type { Dhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import { bridgeCommand } from '../../../src/cli/bridge.js';
import { withCliRuntime } from '../../../src/cli/runtime.js';
import type { Settings } from '../../../src/config/settings.js';
import type { Store } from '../../../src/store/index.js';
import { AdvisoryLockLost } from '../../../src/store/pg-held-lock.js';
import { TODAY } from './stock-rig.js';

function collect() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

/**
 * withCliRuntime whose store's job locks abort when `lost` does (as the scheduler tests fake a
 * lost lock), noting each lock the run took.
 */
function losingLocks(lost: AbortController, taken: string[]): typeof withCliRuntime {
  return (settings, fn) =>
    withCliRuntime(settings, (runtime) => {
      const real = runtime.store.withAdvisoryLock.bind(runtime.store);
      runtime.store.withAdvisoryLock = ((name: string, run: (signal: AbortSignal) => Promise<unknown>) =>
        real(name, (signal) => {
          taken.push(name);
          return run(AbortSignal.any([signal, lost.signal]));
        })) as Store['withAdvisoryLock'];
      return fn(runtime);
    });
}

/** The lock `name` lost to another instance the first time DHIS2 is asked `GET <dhis2Path>`. */
export function loseOnFirst(dhis2: Dhis2Sandbox, dhis2Path: string, name: string, lost: AbortController) {
  const hit = dhis2.state.hit.bind(dhis2.state);
  dhis2.state.hit = (method: string, at: string) => {
    hit(method, at);
    // in DHIS2's onRequest hook: the lock is gone before the answer reaches the run
    if (method === 'GET' && at === dhis2Path && !lost.signal.aborted)
      lost.abort(new AdvisoryLockLost(name, 'its session died; another instance holds it now'));
  };
}

/** One `bridge <args>` in process over `settings`, its locks as losingLocks makes them. */
export async function bridgeLosingLock(settings: () => Settings, lost: AbortController, args: string[]) {
  const out = collect();
  const err = collect();
  const taken: string[] = [];
  process.exitCode = undefined;
  await bridgeCommand({
    settings,
    out: out.stream,
    err: err.stream,
    // the sandboxes' day: their months up to January 2027 are over
    now: () => new Date(`${TODAY}T12:00:00Z`),
    withRuntime: losingLocks(lost, taken),
  }).parseAsync(args, { from: 'user' });
  const code = process.exitCode;
  process.exitCode = undefined;
  return { code, out: out.text(), err: err.text(), taken };
}
