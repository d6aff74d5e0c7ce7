/**
 * A sandbox's 'delay' fault must not keep its process alive once the sandbox is closed: its bare
 * setTimeout did, and stop-mid-run (a 120 s delay, its client a mediator stopped mid-delay)
 * lingered 110 s in CI after its subtests had ended. A child process starts the registry
 * sandbox, has a request caught in a long delay, gives the request up, closes the sandbox and
 * must then end by itself, long before the delay would have.
 */
import { spawn } from 'node:child_process';
import t from 'tap';

/** Far longer than the wait below: a process held by the delay's timer cannot end within that. */
const DELAY_MS = 600_000;

const CHILD = `
import { startMfrSandbox } from './sandbox/mfr/index.js';
const mfr = await startMfrSandbox({ port: 0 });
mfr.faults.add({ method: 'GET', path: '/fhir/Location*', action: { type: 'delay', ms: ${DELAY_MS} } });
const gaveUp = new AbortController();
const answer = fetch(mfr.url + '/Location', { signal: gaveUp.signal }).catch(() => 'given up');
while (mfr.faults.list()[0].hits === 0) await new Promise((r) => setTimeout(r, 10));
gaveUp.abort();
await answer;
await mfr.close();
console.log('closed');
`;

t.test('a closed sandbox with a request still in a delay fault lets its process end', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
    // generous for a loaded host; the delay's timer would hold the process ten times longer
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), DELAY_MS / 10))),
  ]);
  clearTimeout(timer);
  t.match(out, /closed/, 'the sandbox was closed');
  t.equal(ended, 0, 'the process ended by itself, code 0');
});
