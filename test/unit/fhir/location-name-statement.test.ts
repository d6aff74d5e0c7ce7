/**
 * The CapabilityStatement says what a Location `name` search matches: the name or an alias. Only
 * DHIS2 keeps a second name (an org unit's short name); OpenLMIS, Open mSupply and OpenMRS keep
 * none, so their Locations carry no alias. The statement said "name or alias" and no more, which
 * a client read as every system's aliases being searched: it now says where aliases come from.
 */
import t from 'tap';
import { basicAuth, testApp } from '../../support/app.js';

t.test("the Location name parameter says which systems' Locations have aliases", async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  for (const base of ['/fhir', '/fhir/R5']) {
    const res = await app.inject({ url: `${base}/metadata`, headers: { authorization: basicAuth } });
    t.equal(res.statusCode, 200);
    const location = res.json().rest[0].resource.find((r: any) => r.type === 'Location');
    const name = location.searchParam.find((p: any) => p.name === 'name');
    t.match(name.documentation, /^Name or alias: it or a word in it starts with the value/, base);
    t.match(
      name.documentation,
      /alias where its system keeps a second name \(DHIS2's short name\); OpenLMIS, Open mSupply and OpenMRS keep none/,
      `${base}: where aliases come from`,
    );
  }
});
