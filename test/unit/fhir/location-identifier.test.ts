/**
 * An mCSD facility may carry only a type and a name (issue 16): a create without an identifier is a
 * 422 naming Location.identifier (a retried POST must find the first facility, which needs a
 * business key), never the 500 it was; a PUT under the client's own id is accepted, and OpenLMIS
 * takes that id as the facility code.
 */
import t from 'tap';
import { facilityCodeOf } from '../../../src/systems/openlmis/facility/facility-codec.js';
import { fhirJson, testApp } from '../../support/app.js';
import { transaction } from '../../support/samples.js';

const bare = (id?: string) => ({
  resourceType: 'Location',
  ...(id ? { id } : {}),
  status: 'active',
  name: 'Mji Mpya Clinic',
  mode: 'instance',
  type: [{ coding: [{ system: 'urn:ietf:rfc:3986', code: 'urn:ihe:iti:mcsd:2019:facility' }] }],
});

t.test('a create without an identifier is a 422 naming Location.identifier, and writes nothing', async (t) => {
  const { app, mem } = await testApp();
  const res = await app.inject({ method: 'POST', url: '/fhir/Location', headers: fhirJson, payload: bare() });
  t.equal(res.statusCode, 422, res.body);
  t.match(res.json().issue[0], {
    code: 'required',
    expression: ['Location.identifier'],
    diagnostics: /Location.identifier is required/,
  });
  const tx = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: fhirJson,
    payload: transaction([{ method: 'POST', url: 'Location', resource: bare() }]),
  });
  t.equal(tx.statusCode, 422, tx.body);
  t.match(tx.json().issue[0].expression, ['Bundle.entry[0].resource.identifier']);
  t.equal(mem.flows.facilities.writes, 0);
});

t.test('a PUT under the client id is accepted without an identifier', async (t) => {
  const { app } = await testApp();
  const res = await app.inject({
    method: 'PUT',
    url: '/fhir/Location/mji-mpya',
    headers: fhirJson,
    payload: bare('mji-mpya'),
  });
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().id, 'mji-mpya');
  t.equal(res.json().identifier, undefined);
});

t.test('OpenLMIS takes the client id as the code of a facility with no identifier', async (t) => {
  t.equal(
    facilityCodeOf({ id: 'mji-mpya', identifiers: [], name: 'x', status: 'active', kind: 'facility' }),
    'mji-mpya',
  );
  t.equal(
    facilityCodeOf({
      id: 'mji-mpya',
      identifiers: [{ system: 'urn:x', value: 'HC9' }],
      name: 'x',
      status: 'active',
      kind: 'facility',
    }),
    'HC9',
  );
});
