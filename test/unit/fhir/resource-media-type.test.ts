/**
 * A create, update, Bundle or $validate takes a FHIR JSON body. A form body reached those handlers
 * as an object (the form parser is there for POST _search), so a mobile client whose HTTP library
 * defaulted to application/x-www-form-urlencoded was told "resourceType is missing" (400), as if
 * its resource were wrong. It is the media type: 415 at Content-Type, on both bases. POST _search
 * keeps its form body, PATCH its JSON Patch, and application/json stays a FHIR JSON body.
 */
import t from 'tap';
import { basicAuth, testApp } from '../../support/app.js';
import { location } from '../../support/samples.js';

const FORM = 'application/x-www-form-urlencoded';

t.test('a form or JSON Patch body where a resource goes is a 415 at Content-Type', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const send = (method: 'POST' | 'PUT' | 'PATCH', url: string, contentType: string, payload: string) =>
    app.inject({ method, url, payload, headers: { authorization: basicAuth, 'content-type': contentType } });
  const resource = JSON.stringify(location({ id: 'media-1', code: 'MT-1' }));
  for (const base of ['/fhir', '/fhir/R5']) {
    const refused: [string, 'POST' | 'PUT', string, string, string][] = [
      ['create (form)', 'POST', `${base}/Location`, FORM, 'resourceType=Location&name=X'],
      ['update (form)', 'PUT', `${base}/Location/media-1`, FORM, 'resourceType=Location&id=media-1'],
      ['Bundle (form)', 'POST', base, FORM, 'resourceType=Bundle&type=batch'],
      ['$validate (form)', 'POST', `${base}/Location/$validate`, FORM, 'resourceType=Location'],
      ['create (JSON Patch)', 'POST', `${base}/Location`, 'application/json-patch+json', resource],
      ['update (JSON Patch)', 'PUT', `${base}/Location/media-1`, 'application/json-patch+json', resource],
    ];
    for (const [what, method, url, type, body] of refused) {
      const res = await send(method, url, type, body);
      t.equal(res.statusCode, 415, `${base} ${what}`);
      t.match(res.json().issue[0], {
        severity: 'error',
        code: 'not-supported',
        expression: ['Content-Type'],
        diagnostics: `A ${method} of a resource takes application/fhir+json, got '${type}'`,
      });
    }
    const search = await send('POST', `${base}/Location/_search`, FORM, 'name=Comfort');
    t.equal(search.statusCode, 200, `${base} POST _search keeps its form body`);
    const created = await send('PUT', `${base}/Location/media-1`, 'application/json; charset=utf-8', resource);
    t.ok([200, 201].includes(created.statusCode), `${base} application/json is FHIR JSON: ${created.body}`);
    const patched = await send(
      'PATCH',
      `${base}/Location/media-1`,
      'application/json-patch+json',
      JSON.stringify([{ op: 'replace', path: '/name', value: 'Renamed' }]),
    );
    t.equal(patched.statusCode, 200, `${base} PATCH keeps its JSON Patch: ${patched.body}`);
  }
});
