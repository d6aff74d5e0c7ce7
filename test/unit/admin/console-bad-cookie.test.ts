/**
 * A console cookie whose value is no valid %-encoding (`console_session=%E0%A4%A`: cut by a proxy,
 * or written by another application on the same host) threw in decodeURIComponent: every console
 * page answered the 500 "something went wrong" page and logged an unhandled error, and nothing
 * said to sign in again. Such a cookie is now no session: a page view goes to the sign-in page, a
 * form is the 401 "session ended" page, as with an unknown or expired session.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleOptions } from '../../support/console-options.js';

const TOKEN = 'bad-cookie-token-31x';

t.test('a cookie that is no valid %-encoding is no session, not a 500', async (t) => {
  const app = Fastify();
  await app.register(formbody);
  await app.register(operatorConsole, consoleOptions({ adminToken: () => TOKEN }));
  t.teardown(() => app.close());
  for (const cookie of ['console_session=%E0%A4%A', 'console_session=%zz', 'theme=dark; console_session=100%']) {
    const page = await app.inject({ method: 'GET', url: '/admin/ui/systems', headers: { cookie } });
    t.equal(page.statusCode, 303, `${cookie}: a page view is sent to sign in`);
    t.equal(page.headers.location, '/admin/ui/login?next=%2Fadmin%2Fui%2Fsystems');
    const form = await app.inject({
      method: 'POST',
      url: '/admin/ui/review/undo',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '_csrf=x&system=openlmis',
    });
    t.equal(form.statusCode, 401, `${cookie}: a form is the session-ended page`);
    t.match(form.body, /Sign in again/);
  }
});
