/**
 * The connectors' undici Agent is loaded without undici's index (issue 18, start-up) and is still
 * undici's own: the same class `import { Agent } from 'undici'` gives, with the Dispatcher request
 * API on it, exchanging with a real HTTP server. In a fresh process, the upstream pool loads a
 * fraction of undici's modules, and undici's index loaded afterwards finds the same objects.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import * as undici from 'undici';
import { Agent } from '../../../src/upstream/undici-agent.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');

async function echoServer(t: { teardown: (fn: () => unknown) => void }): Promise<string> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}

t.test("the Agent is undici's own, with the request API", async (t) => {
  t.equal(Agent, undici.Agent, 'the same class as the index exports');
  t.type(undici.Dispatcher.prototype.request, 'function', 'Dispatcher#request is there');
  const origin = await echoServer(t);
  const agent = new Agent({ connections: 1 });
  t.teardown(() => agent.close());
  const res = await agent.request({ origin, path: '/facilities?page=2', method: 'GET' });
  t.equal(res.statusCode, 200);
  t.same(await res.body.json(), { method: 'GET', url: '/facilities?page=2' }, 'an exchange through it works');
});

t.test('in a fresh process the pool loads a fraction of undici, and the index agrees with it', async (t) => {
  const origin = await echoServer(t);
  const pool = pathToFileURL(path.join(root, 'src/upstream/pool.ts')).href;
  const script = `
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(pathToFileURL(path.join(root, 'package.json')).href)});
const undiciModules = () => Object.keys(require.cache).filter((k) => k.includes('/node_modules/undici/')).length;
const { Pools } = await import(${JSON.stringify(pool)});
const before = undiciModules();
const pools = new Pools({ baseUrl: ${JSON.stringify(origin)}, timeoutMs: 2000, concurrency: 1 });
const { agent } = pools.current();
const res = await agent.request({ origin: ${JSON.stringify(origin)}, path: '/x', method: 'POST' });
const body = await res.body.json();
const full = await import('undici');
console.log(JSON.stringify({ before, status: res.statusCode, body, same: full.Agent === agent.constructor, after: undiciModules() }));
await pools.close();
`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
  });
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
    before: number;
    status: number;
    body: unknown;
    same: boolean;
    after: number;
  };
  t.ok(out.before > 0 && out.before < 50, `the pool loaded ${out.before} of undici's modules (the index: ~110)`);
  t.equal(out.status, 200);
  t.same(out.body, { method: 'POST', url: '/x' }, 'and exchanged through its agent');
  t.ok(out.same, "undici's index, loaded later, exports the same Agent class");
  t.ok(out.after > out.before, `the index added its other modules (${out.after})`);
});
