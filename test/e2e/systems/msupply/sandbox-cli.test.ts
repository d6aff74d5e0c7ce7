/**
 * `npm run sandbox -- msupply --port N`: the Open mSupply sandbox on its own, executing the real
 * schema (an invalid document fails validation as upstream would), with its control API; stops on SIGINT.
 */
import t from 'tap';
import { freePort } from '../../../support/net.js';
import { startSandboxProcess } from '../../../support/sandbox-process.js';

t.test('msupply on its own', async (t) => {
  const port = await freePort();
  const sandbox = await startSandboxProcess(t, ['msupply', '--port', String(port)]);
  const base = `http://127.0.0.1:${port}`;
  t.match(sandbox.out(), `Open mSupply sandbox listening on ${base}/graphql`);
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
  t.equal(await sandbox.stop(), 0, 'stops on SIGINT');
});
