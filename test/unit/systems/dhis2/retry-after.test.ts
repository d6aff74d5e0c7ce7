/**
 * DHIS2 (or the nginx in front of it) throttling: 429 or 503 with Retry-After. A short wait is
 * waited within the call; a long one is not retried within the call but handed on (`notBefore`),
 * so the outbox reschedules no earlier. Client + sandbox.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { startHarness } from './harness.js';

const busy = (status: number, retryAfter: string) => ({
  type: 'status' as const,
  status,
  headers: { 'retry-after': retryAfter },
});

t.test('a read answered 429 Retry-After: 1 is asked again after a second', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  h.sandbox.faults.add({ method: 'GET', path: '/api/me', times: 1, action: busy(429, '1') });
  const started = Date.now();
  const me = await h.client.call<{ username: string }>({ method: 'GET', path: '/api/me' });
  t.equal(me.username, 'mediator');
  t.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
});

t.test('a read answered 503 with an HTTP-date Retry-After an hour ahead: asked once', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const at = new Date(Math.ceil((Date.now() + 3_600_000) / 1000) * 1000);
  const rule = h.sandbox.faults.add({ method: 'GET', path: '/api/me', action: busy(503, at.toUTCString()) });
  let err: unknown;
  await h.client.call({ method: 'GET', path: '/api/me' }).catch((e: unknown) => (err = e));
  t.ok(err instanceof UpstreamError, String(err));
  t.equal((err as UpstreamError).transient, true);
  t.equal((err as UpstreamError).notBefore, at.getTime());
  t.equal(h.sandbox.faults.list().find((r) => r.id === rule.id)?.hits, 1, 'not hammered');
});
