/**
 * Answers from something in front of OpenLMIS rather than OpenLMIS: a redirect to a single
 * sign-on page, an nginx error page. The error says what happened and what to check, naming where
 * the redirect went (without its query, which may carry a session or a return token) and the
 * page's title at most, never its markup. Connector client + sandbox.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { startClientHarness, failure } from './client-harness.js';

const NGINX_503 =
  '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx/1.25.3</center></body></html>';

t.test('a write redirected to a login page: permanent, names the redirect and the setting', async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  h.sb.faults.add({
    method: 'POST',
    path: '/api/facilities',
    action: {
      type: 'status',
      status: 302,
      body: '<html><body>Redirecting to <a href="/login">login</a></body></html>',
      headers: { location: 'https://sso.example.org/auth/login?session=S3CR3T-77&next=/api/facilities' },
    },
  });
  const err = await failure(h.client.call({ method: 'POST', path: '/api/facilities', body: { code: 'X' } }));
  t.ok(err instanceof UpstreamError, String(err));
  t.equal(err.transient, false, 'the proxy will redirect again: an operator must act');
  t.equal(err.status, 502);
  const words = err.issues[0].diagnostics;
  t.match(words, /POST \/api\/facilities answered 302, a redirect to https:\/\/sso\.example\.org\/auth\/login/);
  t.match(words, /check openlmis\.baseUrl/);
  t.notMatch(words, /S3CR3T|<html|<a /, 'neither the query nor the page');
});

t.test('an nginx 503 page: transient, its title in the words, not its markup', async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  h.sb.faults.add({
    method: 'POST',
    path: '/api/facilities',
    action: { type: 'status', status: 503, body: NGINX_503 },
  });
  const err = await failure(h.client.call({ method: 'POST', path: '/api/facilities', body: { code: 'X' } }));
  t.equal(err.transient, true);
  const words = err.issues[0].diagnostics;
  t.match(words, /answered 503 503 Service Temporarily Unavailable/);
  t.notMatch(words, /<|nginx/, 'no markup, no server banner');
});

t.test('the token endpoint answered 200 by a login page: transient, not a wrong password', async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  const rule = h.sb.faults.add({
    method: 'POST',
    path: '/api/oauth/token',
    action: { type: 'status', status: 200, body: '<html><title>Sign in</title><form>csrf=abc</form></html>' },
  });
  const err = await failure(h.client.call({ method: 'GET', path: '/api/programs' }));
  t.equal(err.transient, true, `not a refused login: ${err.message}`);
  t.notMatch(err.message, /check openlmis\.(username|password|clientSecret)/, 'no wrong diagnosis');
  t.notMatch(err.message, /csrf|<form/, 'the page is not quoted');
  h.sb.faults.remove(rule.id);
  t.equal((await h.client.call<unknown[]>({ method: 'GET', path: '/api/programs' })).length, 3);
});

// found by review RB: the token endpoint's 2xx JSON without access_token (a gateway's maintenance
// JSON) was 'login refused (HTTP 200): check the credentials', permanent, as OpenMRS's session was
t.test("the token endpoint answered 200 by a gateway's JSON page: transient, not a wrong password", async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  const rule = h.sb.faults.add({
    method: 'POST',
    path: '/api/oauth/token',
    action: { type: 'status', status: 200, body: { message: 'maintenance until 14:00, ref 7f3a' } },
  });
  const err = await failure(h.client.call({ method: 'GET', path: '/api/programs' }));
  t.equal(err.transient, true, `not a refused login: ${err.message}`);
  t.notMatch(err.message, /check openlmis\.(username|password|clientSecret)|HTTP 200/, 'no wrong diagnosis');
  t.match(err.message, /JSON without 'access_token'/, 'says what came instead');
  t.notMatch(err.message, /maintenance until|7f3a/, "the page's text is not quoted");
  h.sb.faults.remove(rule.id);
  t.equal((await h.client.call<unknown[]>({ method: 'GET', path: '/api/programs' })).length, 3);
});

// found by review S6: a 2xx carrying an OAuth error (a server or gateway that answers every call
// 200) is still the token endpoint's refusal; read as a page, a wrong password was tried again and
// again, the account's failed logins counting up, each write waiting out its retries in vain
t.test('the token endpoint answered 200 with an OAuth error: still a refused login', async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  h.sb.faults.add({
    method: 'POST',
    path: '/api/oauth/token',
    action: { type: 'status', status: 200, body: { error: 'invalid_grant', error_description: 'Bad credentials' } },
  });
  const err = await failure(h.client.call({ method: 'GET', path: '/api/programs' }));
  t.equal(err.transient, false, `a refusal, not a page: ${err.message}`);
  t.match(err.message, /invalid_grant/, "names OpenLMIS's error code");
  t.notMatch(err.message, /JSON without 'access_token'|gateway/, 'not read as a page');
});

t.test("the token endpoint answered 200 with Spring's error JSON: a page still, transient", async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  h.sb.faults.add({
    method: 'POST',
    path: '/api/oauth/token',
    action: { type: 'status', status: 200, body: { status: 502, error: 'Bad Gateway', path: '/api/oauth/token' } },
  });
  const err = await failure(h.client.call({ method: 'GET', path: '/api/programs' }));
  t.equal(err.transient, true, `no refusal: ${err.message}`);
  t.notMatch(err.message, /check openlmis/, 'no wrong diagnosis');
});
