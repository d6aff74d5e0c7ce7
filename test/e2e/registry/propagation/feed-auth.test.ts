/**
 * The mCSD feed in the real mediator (startMediator): it answers to the same inbound credentials
 * as the FHIR API (what an OpenHIM channel sends), refuses a request without them, and takes a
 * registry Location into propagation (held here: OpenLMIS was never reconciled).
 */
import t from 'tap';
import { RIG_AUTH, startRig } from '../../../support/openlmis-e2e.js';

const location = {
  resourceType: 'Location',
  id: 'fac-lk-hc-777',
  meta: { versionId: '1' },
  status: 'active',
  name: 'Feed Test Clinic',
  identifier: [
    { system: 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code', value: 'LK-HC-777' },
  ],
  type: [
    {
      coding: [
        {
          system: 'https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types',
          code: 'facility',
        },
      ],
    },
  ],
};

t.test('PUT /registry/Location/:id needs the inbound credentials and enters propagation', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const url = `${rig.mediator.url}/registry/Location/${location.id}`;
  const put = (headers: Record<string, string>) =>
    fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json', ...headers },
      body: JSON.stringify(location),
    });

  const anonymous = await put({});
  t.equal(anonymous.status, 401);
  t.match(await anonymous.json(), { resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });

  const taken = await put({ authorization: RIG_AUTH });
  t.equal(taken.status, 200);
  t.match(await taken.json(), { issue: [{ diagnostics: /^1 change\(s\) taken: 0 queued, 1 held/ }] });
  const held = await rig.mediator.store.getPropagation(location.id, 'openlmis');
  t.match(held, { state: 'held', reason: /never reconciled/ });
});
