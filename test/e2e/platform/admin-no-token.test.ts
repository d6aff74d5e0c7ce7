/**
 * The admin API of a mediator with no admin token at all (AUTH_MODE=off, no ADMIN_TOKEN): every
 * request is refused, as before, but the 401 says why and what to set, where it used to answer
 * "admin authentication required" to every token the operator tried. A wrong token still gets
 * the plain refusal (nothing about the token expected).
 */
import t from 'tap';
import { startMediatorIn } from '../../support/in-process-mediator.js';

type Outcome = { resourceType: string; issue: { code: string; diagnostics: string }[] };

t.test('no admin token configured: the 401 says to set ADMIN_TOKEN', async (t) => {
  const mediator = await startMediatorIn(t, 'admin-no-token-', { AUTH_MODE: 'off' });
  for (const authorization of ['Bearer some-guess', '']) {
    const res = await fetch(`${mediator.url}/admin/outbox/jobs?status=dead`, {
      headers: authorization ? { authorization } : {},
    });
    t.equal(res.status, 401, `refused (${authorization || 'no header'})`);
    const body = (await res.json()) as Outcome;
    t.equal(body.resourceType, 'OperationOutcome');
    t.equal(
      body.issue[0].diagnostics,
      'the admin API is closed: no admin token is configured (set ADMIN_TOKEN, or AUTH_BEARER_TOKEN / AUTH_PASSWORD, whose value it then takes)',
    );
  }
});
