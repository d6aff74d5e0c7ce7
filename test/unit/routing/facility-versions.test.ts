/**
 * A facility going back to an earlier version (active → inactive → active, as a registry closes
 * and reopens it) is a new write each time, delivered to the system; the same write retried while
 * the first is still queued is still one write. Facility keys name the version they replace.
 */
import t from 'tap';
import type { Facility } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import type { Connector } from '../../../src/routing/ports.js';
import { openStore } from '../../../src/store/index.js';
import { fhirJson, testApp } from '../../support/app.js';
import { location } from '../../support/samples.js';

t.test('close and reopen a facility: three writes, each delivered once', async (t) => {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const held = new Map<string, Facility>();
  const upserts: string[] = [];
  let reads = 0;
  const connector: Connector = {
    system: 'registry-fed',
    facilities: {
      async get(id) {
        reads++;
        return held.get(id);
      },
      async search() {
        return { items: [...held.values()] };
      },
      async upsert(f) {
        upserts.push(f.status);
        held.set(f.id!, { ...f, lastUpdated: undefined });
        return { system: 'registry-fed', ids: { facility: f.id! } };
      },
    },
  };
  const outbox = new Outbox({ store });
  const { app } = await testApp({ services: createRoutingServices({ connectors: [connector], outbox, store }) });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
    await store.close();
  });
  const put = (status: string) =>
    app.inject({
      method: 'PUT',
      url: '/fhir/Location/fac-9',
      headers: fhirJson,
      payload: { ...location({ id: 'fac-9', code: 'F9' }), status },
    });

  t.equal((await put('active')).statusCode, 201);
  const before = reads;
  t.equal((await put('inactive')).statusCode, 200);
  t.equal(reads - before, 2, 'one read for the update, one read-back: the key reuses what the edge read');
  const reopened = await put('active');
  t.equal(reopened.statusCode, 200, reopened.body);
  t.same(upserts, ['active', 'inactive', 'active'], 'the reopening reached the system');
  t.equal(held.get('fac-9')?.status, 'active');
  // the same PUT again, twice: at most one idempotent rewrite of what the system holds, then nothing
  t.equal((await put('active')).statusCode, 200);
  t.equal((await put('active')).statusCode, 200);
  t.ok(upserts.length <= 4 && upserts.slice(3).every((s) => s === 'active'), `no other write: ${upserts.join(', ')}`);
  t.equal(held.get('fac-9')?.status, 'active');
});
