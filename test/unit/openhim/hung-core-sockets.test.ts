/**
 * An OpenHIM core that takes connections and never answers (its database away, a proxy holding
 * the request): each registration attempt and heartbeat is given up after requestTimeoutMs, and
 * its connection must go with it. openhim-mediator-utils sets no timeout of its own, so every
 * call given up kept its socket open for good: one per heartbeat (8640 a day at 10 s), until the
 * process ran out of file descriptors and could serve nothing. Through the real utils client
 * against the OpenHIM sandbox behind a TCP relay that can turn into a black hole.
 */
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { DEFAULT_OPENHIM_USER, startOpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { startOpenHim } from '../../../src/openhim/registration.js';

/** A relay to `target` that, once `hang` is set, takes connections and requests and answers nothing. */
async function relay(target: URL) {
  const open = new Set<Socket>();
  const state = { hang: false };
  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (state.hang) return void client.resume(); // read, so a client closing it is seen
    const upstream = connect(Number(target.port), target.hostname);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // requests on a kept-alive connection are swallowed too once the relay hangs
    client.on('data', (chunk) => void (state.hang || upstream.write(chunk)));
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    state,
    open: () => open.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const credentials = { username: DEFAULT_OPENHIM_USER.email, password: DEFAULT_OPENHIM_USER.password };

t.test('a core that never answers: registration attempts do not leave their connections open', async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const core = await relay(new URL(sandbox.url));
  t.teardown(() => core.close());
  core.state.hang = true;
  const handle = startOpenHim({
    apiURL: core.url,
    ...credentials,
    heartbeatMs: 50,
    requestTimeoutMs: 150,
    backoff: { initialMs: 20, maxMs: 40 },
  });
  t.teardown(() => handle.stop());
  while (handle.stats().registrationAttempts < 8) await sleep(20);
  await sleep(300); // the last attempts' own timeouts
  t.ok(handle.stats().registrationAttempts >= 8, 'attempts go on');
  t.ok(core.open() <= 3, `connections still open: ${core.open()} (at most the attempts not yet given up)`);
});

t.test('a core that stops answering heartbeats: beats given up do not leave their connections open', async (t) => {
  const sandbox = await startOpenHimSandbox();
  t.teardown(() => sandbox.close());
  const core = await relay(new URL(sandbox.url));
  t.teardown(() => core.close());
  const handle = startOpenHim({ apiURL: core.url, ...credentials, heartbeatMs: 30, requestTimeoutMs: 150 });
  t.teardown(() => handle.stop());
  t.equal(await handle.registered, true);
  core.state.hang = true;
  const failures = handle.stats().heartbeatFailures;
  while (handle.stats().heartbeatFailures < failures + 8) await sleep(20);
  await sleep(300);
  t.ok(core.open() <= 3, `connections still open: ${core.open()}`);
  t.match(handle.problem(), /heartbeats failing/);

  core.state.hang = false;
  const beats = handle.stats().heartbeats;
  while (handle.stats().heartbeats < beats + 2) await sleep(20);
  t.equal(handle.problem(), undefined, 'heartbeats recover once core answers again');
});
