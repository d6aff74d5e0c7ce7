/**
 * exposition(): Registry.metrics()'s text while every metric can be collected; a metric whose
 * collection fails is left out instead of failing the scrape, and `mediator_store_up` says whether
 * the store-derived ones were read. (The real outage: test/e2e/platform/metrics-database-away.test.ts.)
 */
import t from 'tap';
import { Counter, Gauge, Registry } from 'prom-client';
import { exposition, markStoreDerived } from '../../../src/platform/metrics-exposition.js';

function registryWith(storeFails: () => boolean) {
  const registry = new Registry();
  new Counter({ name: 'requests_total', help: 'Requests', labelNames: ['route'], registers: [registry] }).inc(
    { route: '/a' },
    3,
  );
  new Gauge({
    name: 'depth',
    help: 'Read from the store',
    registers: [registry],
    collect() {
      if (storeFails())
        throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432 password=x'), { code: 'ECONNREFUSED' });
      this.set(7);
    },
  });
  return registry;
}

t.test('nothing fails, nothing marked: the text Registry.metrics() writes', async (t) => {
  const registry = registryWith(() => false);
  t.equal(await exposition(registry), await registry.metrics());
});

t.test('a store-derived metric that cannot be read is left out; store up says so', async (t) => {
  let fails = false;
  const registry = registryWith(() => fails);
  markStoreDerived(registry, 'depth');
  t.match(await exposition(registry), /^depth 7$/m);
  t.match(await exposition(registry), /^mediator_store_up 1$/m);

  fails = true;
  const told: unknown[] = [];
  const text = await exposition(registry, (u) => told.push(u));
  t.notMatch(text, /^depth/m, 'left out, not written as 0');
  t.notMatch(text, /# HELP depth/, 'not even its HELP line');
  t.match(text, /^requests_total\{route="\/a"\} 3$/m, 'the other metrics are written');
  t.match(text, /^# TYPE mediator_store_up gauge\nmediator_store_up 0$/m);
  t.same(told, [{ names: ['depth'], reason: 'ECONNREFUSED' }], 'the code, never the message');
  t.ok(text.endsWith('\n') && !text.endsWith('\n\n'), 'one final newline, as prom-client');
});
