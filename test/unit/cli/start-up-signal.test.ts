/**
 * serve's signals during start-up (start-up-signal.ts): one limit counted from the signal for the
 * start and the stop together (a fresh one for the stop made a stop up to 50 s, past compose's 30 s
 * grace), and an operator's second signal, a second or more after the first, exits at once (it was
 * ignored). A fake process and clock: the test chooses when each signal comes.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { REPEAT_AFTER_MS, holdSignalsDuringStartUp } from '../../../src/cli/start-up-signal.js';
import { STOP_LIMIT_MS } from '../../../src/cli/stop-limit.js';

function fakeProcess() {
  const exits: number[] = [];
  const proc = Object.assign(new EventEmitter(), { exit: (code: number) => void exits.push(code) });
  let clock = 0;
  const err = new PassThrough();
  let said = '';
  err.on('data', (d) => (said += d));
  const held = holdSignalsDuringStartUp(err, proc, () => clock);
  return {
    proc,
    exits,
    held,
    said: () => said,
    at(ms: number) {
      clock = ms;
    },
  };
}

t.test('a second signal a second or more after the first exits 1 at once', async (t) => {
  const f = fakeProcess();
  t.teardown(() => f.held.dispose());
  f.proc.emit('SIGINT', 'SIGINT');
  f.at(REPEAT_AFTER_MS + 500);
  f.proc.emit('SIGINT', 'SIGINT');
  t.same(f.exits, [1], 'exited 1');
  t.match(f.said(), /SIGINT again during start-up: exiting at once/);
});

t.test('the same signal come twice (npm, tsx and node pass it on) is one', async (t) => {
  const f = fakeProcess();
  f.proc.emit('SIGINT', 'SIGINT');
  f.at(30);
  f.proc.emit('SIGINT', 'SIGINT');
  t.same(f.exits, [], 'not exited');
  t.same(f.held.started(), { signal: 'SIGINT', leftMs: STOP_LIMIT_MS - 30 });
});

t.test('the stop after the start has what is left of the limit counted from the signal', async (t) => {
  const f = fakeProcess();
  f.at(1_000);
  f.proc.emit('SIGTERM', 'SIGTERM');
  f.at(11_000); // the start took 10 s more
  t.same(f.held.started(), { signal: 'SIGTERM', leftMs: STOP_LIMIT_MS - 10_000 });
  t.equal(f.proc.listenerCount('SIGTERM'), 0, 'the early handlers gone');
});

t.test('no signal during start-up: nothing to stop for', async (t) => {
  const f = fakeProcess();
  t.equal(f.held.started(), undefined);
  t.equal(f.proc.listenerCount('SIGINT'), 0);
});
