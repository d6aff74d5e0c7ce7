/**
 * Open mSupply behind a throttling gateway: 429 or 503 with Retry-After on /graphql. A short wait
 * is waited within a query's call; a long one is not retried within the call but handed on
 * (`notBefore`), so the outbox reschedules no earlier. Connector + sandbox.
 */
import t from 'tap';
import { UpstreamError } from '../../../../src/domain/errors.js';
import { failure, startRig } from './harness.js';

t.test('a query answered 429 Retry-After: 1 is asked again after a second', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await rig.connector.ping!(); // logged in
  rig.sb.faults.add({
    operation: 'me',
    times: 1,
    action: { type: 'status', status: 429, headers: { 'retry-after': '1' } },
  });
  const started = Date.now();
  await rig.connector.ping!();
  t.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
});

t.test('a query answered 503 Retry-After: 600: asked once, the error says when', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  await rig.connector.ping!();
  rig.sb.faults.add({ operation: 'me', action: { type: 'status', status: 503, headers: { 'retry-after': '600' } } });
  const before = Date.now();
  const err = await failure(rig.connector.ping!());
  t.ok(err instanceof UpstreamError, String(err));
  t.equal(err.transient, true);
  t.ok(err.notBefore >= before + 599_000, `notBefore in ${err.notBefore - before} ms`);
  t.equal(rig.sb.faults.list()[0].hits, 1, 'not hammered');
});

t.test('the login answered 429 Retry-After: 600: asked once, the error says when', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  rig.sb.faults.add({
    operation: 'authToken',
    action: { type: 'status', status: 429, headers: { 'retry-after': '600' } },
  });
  const before = Date.now();
  const err = await failure(rig.connector.facilities!.get('store-hc-north'));
  t.equal(err.transient, true, String(err));
  t.ok(err.notBefore >= before + 599_000, `notBefore in ${err.notBefore - before} ms`);
  t.equal(rig.sb.faults.list()[0].hits, 1, 'the login was not hammered');
});
