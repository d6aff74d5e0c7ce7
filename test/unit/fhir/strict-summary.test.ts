/**
 * `_summary=true` and `_summary=text` ask for a cut-down resource, which this server does not make:
 * it answers whole resources. Leniently that is allowed (FHIR lets a server ignore what it does
 * not support); under `Prefer: handling=strict` it was ignored as well, although the README says
 * strict refuses unsupported result parameters. Now a 400 at `_summary` there; count, false and
 * data (whole resources: ours carry no narrative) are served in both modes.
 */
import t from 'tap';
import { basicAuth, testApp } from '../../support/app.js';

t.test('_summary=true|text under handling=strict is a 400 at _summary', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const get = (query: string, strict: boolean) =>
    app.inject({
      url: `/fhir/Location?${query}`,
      headers: { authorization: basicAuth, ...(strict ? { prefer: 'handling=strict' } : {}) },
    });
  for (const value of ['true', 'text']) {
    const res = await get(`_summary=${value}`, true);
    t.equal(res.statusCode, 400, res.body);
    t.match(res.json().issue[0], {
      code: 'not-supported',
      expression: ['_summary'],
      diagnostics: new RegExp(`_summary=${value} is not supported \\(Prefer: handling=strict\\)`),
    });
    t.equal((await get(`_summary=${value}`, false)).statusCode, 200, `lenient _summary=${value}`);
  }
  for (const value of ['count', 'false', 'data'])
    t.equal((await get(`_summary=${value}`, true)).statusCode, 200, `strict _summary=${value}`);
});
