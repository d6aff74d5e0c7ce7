/**
 * OpenLMIS (or the gateway in front of it) throttling: 429 or 503 with Retry-After, in seconds or
 * as an HTTP date. The client never asks again sooner than it was told: a short wait is waited
 * within the call, a long one is not retried within the call at all but handed to the outbox
 * (the error carries `notBefore`). Connector client + sandbox.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { startClientHarness, failure } from './client-harness.js';

const busy = (status: number, retryAfter: string) => ({
  type: 'status' as const,
  status,
  headers: { 'retry-after': retryAfter },
});

t.test('a GET answered 429 Retry-After: 1 is asked again after a second, not at once', async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  h.sb.faults.add({ method: 'GET', path: '/api/programs', times: 1, action: busy(429, '1') });
  const started = Date.now();
  const programs = await h.client.call<unknown[]>({ method: 'GET', path: '/api/programs' });
  t.equal(programs.length, 3, 'the retry got the answer');
  t.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
});

t.test('a GET answered 503 Retry-After: 120 is not retried within the call', async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  const rule = h.sb.faults.add({ method: 'GET', path: '/api/programs', action: busy(503, '120') });
  const before = Date.now();
  const err = await failure(h.client.call({ method: 'GET', path: '/api/programs' }));
  t.ok(err instanceof UpstreamError, String(err));
  t.equal(err.transient, true, 'the outbox retries it');
  t.equal(h.sb.faults.list().find((r) => r.id === rule.id)?.hits, 1, 'asked once, not hammered');
  t.ok(err.notBefore >= before + 119_000 && err.notBefore <= Date.now() + 120_000, `notBefore ${err.notBefore}`);
});

t.test('a 429 whose Retry-After is an HTTP date: not before that date', async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  const at = new Date(Math.ceil((Date.now() + 300_000) / 1000) * 1000);
  h.sb.faults.add({ method: 'POST', path: '/api/facilities/search', action: busy(429, at.toUTCString()) });
  const err = await failure(
    h.client.call({ method: 'POST', path: '/api/facilities/search', body: { code: 'LK-HC-101' }, retry: true }),
  );
  t.equal(err.transient, true, String(err));
  t.equal(err.notBefore, at.getTime());
});

t.test('a Retry-After that is neither seconds nor a date is ignored', async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  h.sb.faults.add({ method: 'GET', path: '/api/programs', times: 1, action: busy(503, 'soon') });
  const programs = await h.client.call<unknown[]>({ method: 'GET', path: '/api/programs' });
  t.equal(programs.length, 3, 'retried with the usual back-off');
});

t.test('the token endpoint answered 503 Retry-After: 300: asked once, the error says when', async (t) => {
  const h = await startClientHarness({}, { retryDelayMs: 5 });
  t.teardown(h.close);
  const rule = h.sb.faults.add({ method: 'POST', path: '/api/oauth/token', action: busy(503, '300') });
  const before = Date.now();
  const err = await failure(h.client.call({ method: 'GET', path: '/api/programs' }));
  t.equal(err.transient, true, String(err));
  t.ok(err.notBefore >= before + 299_000, `notBefore in ${err.notBefore - before} ms`);
  t.equal(h.sb.faults.list().find((r) => r.id === rule.id)?.hits, 1, 'the login was not hammered');
});
