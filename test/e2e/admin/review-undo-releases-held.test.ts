/**
 * An undo is a review decision too: a change held because a data manager flagged the record is
 * released when she undoes the flag, at once, as a decision would (not at the next pull). The
 * real mediator (startMediator, as main.ts wires it) and the OpenLMIS sandbox; no browser.
 */
import t from 'tap';
import { ADMIN_TOKEN, startConsoleRig } from './console-rig.js';
import { until } from '../../support/net.js';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';

const USER = 'Dana Data';
const HELD_ID = 'MFR-1000'; // "Health Post 01" in the rig's registry file, a candidate of a record in review
const REGISTRY_CODES = 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code';

t.test('undoing a flag releases the change it held', async (t) => {
  const rig = await startConsoleRig();
  t.teardown(() => rig.close());
  const store = rig.mediator.store;
  const inReview = (await store.listCrosswalk('openlmis')).find(
    (r) => r.state === 'review' && r.suggestions.some((s) => s.registryId === HELD_ID),
  ) as CrosswalkRow;
  t.ok(inReview, 'an OpenLMIS record in review names the registry facility');
  const record = `/admin/reconcile/openlmis/${encodeURIComponent(inReview.systemId)}`;
  const decide = async (op: string, body: object) => {
    const res = await fetch(`${rig.mediator.url}${record}/${op}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-actor': USER, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { undid?: { action?: string } } };
  };
  const rename = (versionId: string, name: string) =>
    rig.fhir('PUT', `/registry/Location/${HELD_ID}`, {
      resourceType: 'Location',
      id: HELD_ID,
      meta: { versionId },
      status: 'active',
      name,
      identifier: [{ system: REGISTRY_CODES, value: 'MFL1000' }],
    });

  t.equal((await decide('accept', { registryId: HELD_ID })).status, 200, 'accepted');
  t.equal((await decide('flag', { comment: 'is this the annex?' })).status, 200, 'then flagged');
  t.equal((await rename('8', 'Health Post 01 (renamed)')).status, 200);
  t.match(await store.getPropagation(HELD_ID, 'openlmis'), { state: 'held', version: '8', reason: /flagged/ });

  const undo = await decide('undo', { decidedBy: USER });
  t.equal(undo.status, 200, `undone: ${undo.body?.undid?.action}`);
  await until(
    'the released change is delivered to OpenLMIS',
    async () => (await store.getPropagation(HELD_ID, 'openlmis'))?.state === 'done',
    10_000,
  );
  const after = await rig.fhir('GET', `/fhir/Location/${encodeURIComponent(inReview.systemId)}`);
  t.equal(after.body?.name, 'Health Post 01 (renamed)', "the registry's new name reached OpenLMIS");
});
