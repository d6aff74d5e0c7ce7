/**
 * A mediator whose registry is an mCSD server (REGISTRY_URL, no registry file), the way a ministry
 * runs it: the review API and the mCSD export name registry records from that server, as the
 * reconcile job that suggested them read it. Before, both read only registry.file: the queue
 * showed bare ids and the export's Locations had no name, no registry code and "active" for
 * every status. With the registry down, the queue still answers (ids, no names), the export
 * refuses rather than write Locations without their registry data, and the next read after the
 * registry is back names them again.
 */
import t from 'tap';
import { startMfrSandbox } from '../../../sandbox/mfr/index.js';
import { startRig } from '../../support/openlmis-e2e.js';

const ADMIN_TOKEN = 'registry-server-admin-Kq72';

t.test('review API and export name records from the registry server', async (t) => {
  const mfr = await startMfrSandbox({ port: 0 });
  t.teardown(() => mfr.close());
  const rig = await startRig({
    REGISTRY_URL: mfr.url,
    REGISTRY_TOKEN: 'mfr-sandbox-token',
    REGISTRY_PAGE_SIZE: '10',
    ADMIN_TOKEN,
  });
  t.teardown(() => rig.close());
  const admin = async (method: string, url: string) => {
    const res = await fetch(`${rig.mediator.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-admin-user': 'rig' },
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  // a registry name far from OpenLMIS's: the matcher leaves that record to a person
  mfr.state.rename('LK-HC-102', 'St. Agnes Mission Dispensary');
  const run = await admin('POST', '/admin/jobs/reconcile/run');
  t.equal(run.body.run?.outcome, 'ok', 'the reconcile job read the registry server');
  const registryName = (id: string) => mfr.state.latest('Location', id)?.resource?.name as string | undefined;

  await t.test('registry down: the queue answers with ids, the export refuses', async (t) => {
    mfr.faults.add({ method: 'GET', path: '/fhir/Location?**', action: { type: 'status', status: 503 } });
    t.teardown(() => mfr.faults.clear());
    const review = await admin('GET', '/admin/reconcile/openlmis/review?limit=1000');
    t.equal(review.status, 200);
    t.ok(review.body.items.length > 0, 'the queue is there');
    t.ok(
      review.body.items.every((i: { suggestions: { registryId: string; registryName?: string }[] }) =>
        i.suggestions.every((s) => s.registryId && s.registryName === undefined),
      ),
      'its suggestions by id only',
    );
    const exported = await admin('GET', '/admin/reconcile/openlmis/export.json');
    t.equal(exported.status, 502, 'the export refuses: without the registry its Locations would be wrong');
    t.match(exported.body.issue[0], { code: 'transient', diagnostics: /registry/ });
  });

  await t.test('registry back: names, codes and status from the server', async (t) => {
    const exported = await admin('GET', '/admin/reconcile/openlmis/export.json');
    t.equal(exported.status, 200);
    const locations = exported.body.entry.map((e: { resource: any }) => e.resource);
    t.ok(locations.length >= 20, `${locations.length} linked registry records exported`);
    t.ok(
      locations.every((l: { id: string; name?: string }) => l.name && l.name === registryName(l.id)),
      'every exported Location carries the name the registry gives it',
    );
    const hc101 = locations.find((l: { id: string }) => l.id === 'fac-lk-hc-101');
    t.ok(
      hc101?.identifier.some((i: { value: string }) => i.value === 'LK-HC-101'),
      'and its registry code',
    );
    const review = await admin('GET', '/admin/reconcile/openlmis/review?limit=1000');
    const suggestions = review.body.items.flatMap((i: { suggestions: unknown[] }) => i.suggestions);
    t.ok(suggestions.length > 0, 'the queue holds suggestions');
    t.ok(
      suggestions.every(
        (s: { registryId: string; registryName?: string }) => s.registryName === registryName(s.registryId),
      ),
      `every suggestion in the queue (${suggestions.length}) is named`,
    );
  });
});
