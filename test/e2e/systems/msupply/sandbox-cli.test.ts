/**
 * `npm run sandbox -- msupply --port N`: the Open mSupply sandbox on its own, executing the real
 * schema (an invalid document fails validation as upstream would), with its control API; stops on SIGINT.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { freePort } from '../../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../../..');

t.test('msupply on its own', async (t) => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(root, 'sandbox/cli.ts'), 'msupply', '--port', String(port)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const end = Date.now() + 60_000;
  while (!out.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`sandbox did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const base = `http://127.0.0.1:${port}`;
  t.match(out, `Open mSupply sandbox listening on ${base}/graphql`);
  const gql = async (query: string, token?: string) =>
    (
      await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query }),
      })
    ).json() as Promise<any>;
  const login = await gql(
    'query { authToken(username: "mediator", password: "password") { __typename ... on AuthToken { token } } }',
  );
  t.equal(login.data.authToken.__typename, 'AuthToken');
  const me = await gql(
    'query { me { __typename ... on UserNode { stores { nodes { code } } } } }',
    login.data.authToken.token,
  );
  t.same(
    me.data.me.stores.nodes.map((s: any) => s.code),
    ['WH-CENTRAL', 'HC-NORTH', 'HC-SOUTH'],
  );
  const invalid = await gql('query { me { __typename ... on UserNode { isStore } } }', login.data.authToken.token);
  t.match(
    invalid.errors[0].message,
    /Cannot query field "isStore" on type "UserNode"/,
    'validated against the real schema',
  );
  t.match(
    await (await fetch(`${base}/_sandbox/state`)).json(),
    {
      requisitions: 0,
      requestRequisitions: 0,
      responseRequisitions: 0,
      requisitionLines: 0,
      stocktakes: 0,
      inboundShipments: 0,
      logins: 1,
      refreshes: 0,
      tokens: 1,
    },
    '/_sandbox/state counts',
  );
  await fetch(`${base}/_sandbox/tokens/expire`, { method: 'POST' });
  const expired = await gql('query { me { __typename } }', login.data.authToken.token);
  t.equal(expired.errors[0].message, 'Unauthenticated', 'an expired token is refused as upstream refuses it');
  child.kill('SIGINT');
  t.equal(await exited, 0, 'stops on SIGINT');
});
