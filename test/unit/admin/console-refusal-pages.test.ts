/**
 * Requests a console view cannot serve (an export without a system, an export the API refuses, an
 * unknown outbox action, a job that does not exist) answer a console page with their status: the
 * layout (language, title, navigation, sign-out), the reason, a way back. Before, all but the
 * missing job answered a bare <p> fragment: no document, no title, no way back.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleClient } from '../../support/console-client.js';
import { consoleOptions } from '../../support/console-options.js';

const TOKEN = 'refusal-pages-token';

t.test('refusals are console pages', async (t) => {
  const app = Fastify();
  await app.register(formbody);
  // no admin API behind the console: its calls answer the app's 404, as a refusal would
  await app.register(operatorConsole, consoleOptions({ adminToken: () => TOKEN }));
  t.teardown(() => app.close());
  const { signIn, get } = consoleClient(app, TOKEN, t);
  const cookie = await signIn('Rae Refused');

  for (const [url, status, view, words, back] of [
    ['/admin/ui/review/export.csv', 400, 'review', /Say which system to export/, '/admin/ui/review'],
    ['/admin/ui/review/export.json?system=nowhere', 404, 'review', /The review API answered 404/, '/admin/ui/review'],
    ['/admin/ui/outbox/jobs/J1/confirm?action=explode', 400, 'outbox', /Unknown action 'explode'/, '/admin/ui/outbox'],
    ['/admin/ui/outbox/jobs/J1', 404, 'outbox', /No job J1/, '/admin/ui/outbox'],
    // a control character typed into the path is shown as it was typed, not put in the page raw
    ['/admin/ui/outbox/jobs/J%001', 404, 'outbox', /<h1>No job J%001<\/h1>/, '/admin/ui/outbox'],
    [
      '/admin/ui/outbox/jobs/J1/confirm?action=x%1b%5B2J',
      400,
      'outbox',
      /Unknown action 'x%1B\[2J'/,
      '/admin/ui/outbox',
    ],
  ] as const) {
    const res = await get(url, cookie);
    t.equal(res.statusCode, status, `${url}: ${status}`);
    t.match(res.headers['content-type'], /^text\/html/);
    t.match(res.body, /^<!doctype html>\n<html lang="en">/, 'a whole document');
    t.match(res.body, /<title>[^<]+ · Mediator console<\/title>/, 'with a title');
    t.match(res.body, new RegExp(`href="/admin/ui/${view}" aria-current="page"`), 'in its view of the navigation');
    t.match(res.body, /Signed in as <strong data-testid="user">Rae Refused<\/strong>/, 'signed in, with sign-out');
    t.match(res.body, /<h1>/, 'a heading');
    t.match(res.body, words, 'the reason');
    t.match(res.body, `<a href="${back}">Back to`, 'a way back');
    // eslint-disable-next-line no-control-regex -- no control character reaches the page
    t.notMatch(res.body, /[\u0000-\u0008\u000b-\u001f]/, 'no control character in the page');
  }
});
