import t from 'tap';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { buildApp } from '../../../src/app.js';
import { loadSettings } from '../../../src/config/load.js';
import { createLogger } from '../../../src/platform/logger.js';
import { LazyRequestLogger } from '../../../src/platform/request-logger.js';
import { memoryServices } from '../../support/memory-services.js';
import { supplyRequest } from '../../support/samples.js';

function sink(lines: string[]): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
}

/** The same line without its time (the one field two writes cannot share). */
const timeless = (line: string) => line.replace(/"time":\d+,/, '');

t.test('the request line through the lazy logger is byte for byte what a pino child writes', async (t) => {
  const viaChild: string[] = [];
  const viaLazy: string[] = [];
  const fields = { method: 'POST', url: '/fhir/SupplyRequest?x="1"', statusCode: 201, responseTime: 1.25 };
  createLogger('info', sink(viaChild)).child({ reqId: 'tx-"q"-1' }).info(fields, 'request completed');
  const parent = createLogger('info', sink(viaLazy));
  let children = 0;
  const counting = new Proxy(parent, {
    get(target, name, receiver) {
      if (name === 'child') children++;
      return Reflect.get(target, name, receiver) as unknown;
    },
  });
  const lazy = new LazyRequestLogger(counting, { reqId: 'tx-"q"-1' }, {});
  lazy.requestLine(fields, 'request completed');
  t.equal(viaLazy.length, 1);
  t.equal(timeless(viaLazy[0]), timeless(viaChild[0]));
  t.equal(children, 0, 'no pino child was made for it');
  lazy.warn({ note: 'later' }, 'something else');
  t.equal(children, 1, 'the child is made when something else is logged');
  t.match(JSON.parse(viaLazy[1]), { reqId: 'tx-"q"-1', note: 'later', level: 40, msg: 'something else' });
  lazy.requestLine(fields, 'request completed');
  t.equal(timeless(viaLazy[2]), timeless(viaChild[0]), 'and the request line then goes through it, unchanged');
  t.equal(children, 1);
});

t.test('level: inherited from the parent until set; a level given at creation is the child’s', async (t) => {
  const lines: string[] = [];
  const parent = createLogger('info', sink(lines));
  const inherited = new LazyRequestLogger(parent, { reqId: 'a' }, {});
  t.equal(inherited.level, 'info');
  t.notOk(inherited.isLevelEnabled('debug'));
  inherited.level = 'debug';
  t.ok(inherited.isLevelEnabled('debug'));
  t.equal(parent.level, 'info', 'setting it does not change the parent');
  const quiet = new LazyRequestLogger(parent, { reqId: 'b' }, { level: 'warn' });
  t.equal(quiet.level, 'warn');
  quiet.requestLine({ statusCode: 200 }, 'request completed');
  t.equal(lines.length, 0, 'a warn-level child writes no info line');
  t.type(quiet.child({ more: 1 }), 'object');
  t.same((quiet.child({ more: 1 }) as Logger).bindings(), { reqId: 'b', more: 1 });
});

t.test('in the app: one line per request with its transaction id; errors still logged with it', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const password = 'lazy-log-pw-SECRET-9';
  const settings = loadSettings({ AUTH_PASSWORD: password, LOG_LEVEL: 'info' } as NodeJS.ProcessEnv);
  const app = await buildApp({
    settings: () => settings,
    services: () => memoryServices().services,
    softwareVersion: 't',
    logger: createLogger(
      'info',
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      }),
    ),
  });
  const auth = `Basic ${Buffer.from(`openhim:${password}`).toString('base64')}`;
  const created = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: { authorization: auth, 'content-type': 'application/fhir+json', 'x-openhim-transactionid': 'tx-lazy' },
    payload: JSON.stringify(supplyRequest({ order: 'LAZY-1' })),
  });
  const refused = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: { authorization: auth, 'content-type': 'application/fhir+json', 'x-openhim-transactionid': 'tx-bad' },
    payload: '{"resourceType":"SupplyRequest","status":"nonsense"}',
  });
  await app.close();
  t.equal(created.statusCode, 201);
  t.equal(refused.statusCode, 400);
  t.match(
    lines.filter((l) => l.reqId === 'tx-lazy'),
    [{ msg: 'request completed', method: 'POST', statusCode: 201 }],
  );
  const bad = lines.filter((l) => l.reqId === 'tx-bad');
  t.match(bad, [
    { msg: 'request refused', status: 400 },
    { msg: 'request completed', statusCode: 400 },
  ]);
  t.equal(bad.length, 2, 'the refusal and the request line, both with the transaction id');
  t.notOk(JSON.stringify(lines).includes(password), 'no secret in any line');
});
