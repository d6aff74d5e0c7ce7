/**
 * The console is an admin surface: no page of it may be framed by another site (clickjacking a
 * decision or a retry). The CSP's frame-ancestors 'none' says so to current browsers; browsers and
 * proxies that predate it read X-Frame-Options, so every console page, the sign-in page, its error
 * pages and its 404 send both.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleOptions } from '../../support/console-options.js';

t.test('every console page refuses to be framed', async (t) => {
  const app = Fastify();
  await app.register(formbody);
  await app.register(operatorConsole, consoleOptions({ adminToken: () => 'frame-token-123' }));
  t.teardown(() => app.close());
  const pages = [
    { method: 'GET' as const, url: '/admin/ui/login' },
    { method: 'GET' as const, url: '/admin/ui/no-such-page' },
    {
      method: 'POST' as const,
      url: '/admin/ui/review/decide',
      payload: 'system=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
  ];
  for (const p of pages) {
    const r = await app.inject(p);
    t.match(r.headers['content-type'], /text\/html/, `${p.method} ${p.url}: a page (${r.statusCode})`);
    t.match(r.headers['content-security-policy'], /frame-ancestors 'none'/);
    t.equal(r.headers['x-frame-options'], 'DENY', `${p.method} ${p.url}: X-Frame-Options DENY`);
  }
});
