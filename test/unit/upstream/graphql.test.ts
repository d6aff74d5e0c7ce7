import t from 'tap';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerLoginAuth } from '../../../src/upstream/auth/bearer-login.js';
import {
  createGraphQLExchange,
  graphqlUnauthenticated,
  postGraphQL,
  type DataErrorDetector,
} from '../../../src/upstream/graphql.js';
import { MASKED } from '../../../src/upstream/http.js';
import { anonymous } from '../../../src/upstream/auth/types.js';
import { clientFor, failure, recorded, startUpstream, type Settings, type Upstream } from './harness.js';

type Body = { query: string; variables: Record<string, unknown>; operationName?: string };
type Handler = (body: Body, req: FastifyRequest, reply: FastifyReply, u: Upstream) => unknown;

async function graphqlUpstream(t: { teardown(fn: () => unknown): void }, handler: { current: Handler }) {
  const u = await startUpstream((app, up) => {
    app.post('/graphql', async (req: FastifyRequest<{ Body: Body }>, reply) =>
      handler.current(req.body, req, reply, up),
    );
  });
  const settings: Settings = {
    baseUrl: u.url,
    timeoutMs: 2_000,
    concurrency: 4,
    username: 'alice',
    password: 'wonderland',
  };
  t.teardown(() => u.close());
  return { u, settings };
}

const ITEMS =
  'query items($storeId: String!) { items(storeId: $storeId) { __typename ... on ItemConnector { nodes { id } } } }';
const INSERT =
  'mutation insert($id: String!) { insertRequisition(input: {id: $id}) { __typename ... on InsertRequisitionError { error { __typename description } } } }';

t.test('POSTs {query, variables, operationName} and answers data', async (t) => {
  let seen: Body | undefined;
  const handler = {
    current: ((body: Body) => {
      seen = body;
      return { data: { items: { __typename: 'ItemConnector', nodes: [{ id: 'a' }] } } };
    }) as Handler,
  };
  const { settings } = await graphqlUpstream(t, handler);
  const client = clientFor(settings, () => anonymous);
  t.teardown(() => client.close());
  const gql = createGraphQLExchange(client, { system: 'msupply' });
  const data = await gql.request<{ items: { nodes: { id: string }[] } }>({
    query: ITEMS,
    variables: { storeId: 's1' },
    operationName: 'items',
  });
  t.same(data.items.nodes, [{ id: 'a' }]);
  t.same(seen, { query: ITEMS, variables: { storeId: 's1' }, operationName: 'items' });
});

t.test('errors[] is a permanent UpstreamError, a 400 validation answer too, neither retried', async (t) => {
  const handler = {
    current: (() => ({
      errors: [{ message: 'Bad user input', path: ['items'], extensions: { details: 'storeId unknown' } }],
      data: null,
    })) as Handler,
  };
  const { u, settings } = await graphqlUpstream(t, handler);
  const client = clientFor(settings, () => anonymous);
  t.teardown(() => client.close());
  const gql = createGraphQLExchange(client, { system: 'msupply' });
  const err = await failure(gql.request({ query: ITEMS, variables: { storeId: 'x' } }));
  t.equal(err.name, 'UpstreamCallError');
  t.equal(err.transient, false);
  t.equal(err.status, 422);
  t.equal(err.upstreamMessage, 'Bad user input');
  t.match(err.message, /msupply: items answered errors: Bad user input at items/);
  t.equal(u.hits('POST /graphql'), 1, 'a query with a permanent error is not retried');

  handler.current = (_b, _r, reply) =>
    reply.code(400).send({ errors: [{ message: 'Unknown field "itemz" on type "Queries"' }] });
  const invalid = await failure(gql.request({ query: '{ itemz }' }));
  t.equal(invalid.transient, false);
  t.match(invalid.message, /Unknown field/);
  t.equal(u.hits('POST /graphql'), 2);
});

t.test('a 503 and an "Internal error" are transient and retried; a mutation is not retried', async (t) => {
  const handler = {
    current: ((_b: Body, _r: FastifyRequest, reply: FastifyReply) => reply.code(503).send('busy')) as Handler,
  };
  const { u, settings } = await graphqlUpstream(t, handler);
  const client = clientFor(settings, () => anonymous);
  t.teardown(() => client.close());
  const gql = createGraphQLExchange(client, { system: 'msupply' });
  const err = await failure(gql.request({ query: ITEMS, variables: { storeId: 's1' } }));
  t.equal(err.transient, true);
  t.equal(err.upstreamStatus, 503);
  t.equal(u.hits('POST /graphql'), 3, 'a query: the first attempt and two retries');

  let calls = 0;
  handler.current = () =>
    ++calls < 2
      ? { errors: [{ message: 'Internal error' }] }
      : { data: { items: { __typename: 'ItemConnector', nodes: [] } } };
  t.same(
    await gql.request({ query: ITEMS, variables: { storeId: 's1' } }),
    { items: { __typename: 'ItemConnector', nodes: [] } },
    'retried past an internal error',
  );

  handler.current = (_b, _r, reply) => reply.code(503).send('busy');
  const before = u.hits('POST /graphql');
  const m = await failure(gql.request({ query: INSERT, variables: { id: 'r1' } }));
  t.equal(m.transient, true, 'transient, so the outbox retries it');
  t.equal(u.hits('POST /graphql') - before, 1, 'but the client itself does not resend a mutation');

  // a mutation after a comment or a fragment is one too (it was taken for a query: resent, and
  // sent as a read before the accept was on disk)
  for (const query of [`# insert a requisition\n${INSERT}`, `fragment F on X { id }\n${INSERT}`]) {
    const from = u.hits('POST /graphql');
    await failure(gql.request({ query, variables: { id: 'r1' } }));
    t.equal(u.hits('POST /graphql') - from, 1, `not resent: ${query.split('\n')[0]}`);
  }
});

t.test('union-typed errors inside data are permanent with their __typename; the detector is a parameter', async (t) => {
  const handler = {
    current: (() => ({
      data: {
        insertRequisition: {
          __typename: 'InsertRequisitionError',
          error: { __typename: 'OtherPartyNotASupplier', description: 'Other party is not a supplier' },
        },
      },
    })) as Handler,
  };
  const { settings } = await graphqlUpstream(t, handler);
  const client = clientFor(settings, () => anonymous);
  t.teardown(() => client.close());
  const err = await failure(
    createGraphQLExchange(client, { system: 'msupply' }).request({ query: INSERT, variables: { id: 'r1' } }),
  );
  t.equal(err.transient, false);
  t.equal(err.reasonCode, 'OtherPartyNotASupplier');
  t.match(err.message, /insert refused: insertRequisition: OtherPartyNotASupplier: Other party is not a supplier/);

  handler.current = () => ({ data: { push: { status: 'ERROR', conflicts: [{ value: 'period closed' }] } } });
  const dhisStyle: DataErrorDetector = (data) => {
    const push = (data as { push: { status: string; conflicts: { value: string }[] } }).push;
    return push.status === 'ERROR'
      ? push.conflicts.map((c) => ({ path: 'push', reason: { code: 'conflict', message: c.value } }))
      : [];
  };
  const custom = await failure(
    createGraphQLExchange(client, { system: 'x', findDataErrors: dhisStyle }).request({
      query: 'mutation push { push { status } }',
    }),
  );
  t.equal(custom.reasonCode, 'conflict');
  t.match(custom.message, /period closed/);
  t.same(
    await createGraphQLExchange(client, { system: 'x' }).request({ query: 'mutation push { push { status } }' }),
    { push: { status: 'ERROR', conflicts: [{ value: 'period closed' }] } },
    'the default detector sees no error where no __typename ends in Error',
  );
});

t.test(
  '"Unauthenticated" in errors[] re-logs in once for N concurrent calls; password and token masked in the record',
  async (t) => {
    const handler = {
      current: ((body: Body, req: FastifyRequest, _reply: FastifyReply, u: Upstream) => {
        if (body.operationName === 'authToken') {
          const { username, password } = body.variables as { username: string; password: string };
          if (u.passwords.get(username) !== password)
            return {
              data: {
                authToken: {
                  __typename: 'AuthTokenError',
                  error: { __typename: 'InvalidCredentials', description: 'Invalid credentials' },
                },
              },
            };
          const token = `tok-${Math.random().toString(36).slice(2)}xyz`;
          u.valid.add(token);
          return { data: { authToken: { __typename: 'AuthToken', token } } };
        }
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!token || !u.valid.has(token))
          return { errors: [{ message: 'Unauthenticated', extensions: { details: 'Token expired' } }], data: null };
        return { data: { items: { __typename: 'ItemConnector', nodes: [] } } };
      }) as Handler,
    };
    const { u, settings } = await graphqlUpstream(t, handler);
    const LOGIN =
      'query authToken($username: String!, $password: String!) { authToken(username: $username, password: $password) { __typename ... on AuthToken { token } ... on AuthTokenError { error { __typename description } } } }';
    let logins = 0;
    const client = clientFor(settings, (s) =>
      bearerLoginAuth({
        credentials: () => [s().username, s().password],
        isRefusal: graphqlUnauthenticated,
        login: async (ctx) => {
          logins++;
          const data = await postGraphQL<{ authToken: { token: string } }>(
            ctx,
            {
              query: LOGIN,
              operationName: 'authToken',
              variables: { username: s().username, password: s().password },
              secretVariables: ['password'],
              secretData: ['authToken.token'],
            },
            {},
          );
          return { value: data.authToken.token };
        },
      }),
    );
    t.teardown(() => client.close());
    const gql = createGraphQLExchange(client, { system: 'msupply' });
    const q = { query: ITEMS, variables: { storeId: 's1' } };
    const { calls } = await recorded(() => Promise.all(Array.from({ length: 6 }, () => gql.request(q))));
    t.equal(logins, 1, 'six calls, one login');
    u.forgetAll();
    await Promise.all(Array.from({ length: 6 }, () => gql.request(q)));
    t.equal(logins, 2, 'six "Unauthenticated" answers, one fresh login');

    const login = calls.find((c) => (c.requestBody as Body).operationName === 'authToken')!;
    t.equal((login.requestBody as Body).variables.password, MASKED);
    t.equal((login.response?.body as { data: { authToken: { token: string } } }).data.authToken.token, MASKED);
    t.ok(calls.filter((c) => c !== login).every((c) => c.requestHeaders?.authorization === `Bearer ${MASKED}`));
    t.notOk(JSON.stringify(calls).includes('wonderland'));

    settings.password = 'wrong';
    const err = await failure(gql.request(q));
    t.equal(err.transient, false, 'a refused login (AuthTokenError in data) is permanent');
    t.equal(err.reasonCode, 'InvalidCredentials');
  },
);

t.test('a login through postGraphQL: a 503 is transient, a 401 keeps no word of its body', async (t) => {
  const handler = {
    current: ((_b: Body, _r: FastifyRequest, reply: FastifyReply) =>
      reply.code(503).send({ errors: [{ message: 'Service unavailable' }] })) as Handler,
  };
  const { settings } = await graphqlUpstream(t, handler);
  const client = clientFor(settings, () => anonymous);
  t.teardown(() => client.close());
  const op = { query: 'query authToken { authToken { __typename } }' };
  const down = await failure(postGraphQL(client.authContext(), op, {}));
  t.equal(down.transient, true);
  t.equal(down.upstreamStatus, 503);
  t.match(down.message, /Service unavailable/);
  handler.current = (_b, _r, reply) =>
    reply.code(401).send({ errors: [{ message: 'Unauthenticated: token tok-secret-123' }] });
  const refused = await failure(postGraphQL(client.authContext(), op, {}));
  t.equal(refused.upstreamStatus, 401);
  t.notMatch(refused.message, /tok-secret-123/, 'a 401 body echoes the credential: only its code is kept');
});
