/**
 * OpenMRS behind a throttling gateway: 429 or 503 with Retry-After. A short wait is waited within
 * a read's call; a long one is not retried within the call but handed on (`notBefore`), so the
 * outbox reschedules no earlier. Connector + sandbox.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { failure, sandboxConnector } from './rig.js';

const LOCATION = `/openmrs/ws/rest/v1/location/${LOC.rioAzul}`;

t.test('a read answered 429 Retry-After: 1 is asked again after a second', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  sb.faults.add({
    method: 'GET',
    path: LOCATION,
    times: 1,
    action: { type: 'status', status: 429, headers: { 'retry-after': '1' } },
  });
  const started = Date.now();
  t.ok(await c.facilities!.get(LOC.rioAzul));
  t.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
});

t.test('a read answered 503 Retry-After: 300: asked once, the error says when', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const rule = sb.faults.add({
    method: 'GET',
    path: LOCATION,
    action: { type: 'status', status: 503, headers: { 'retry-after': '300' } },
  });
  const before = Date.now();
  const err = await failure(c.facilities!.get(LOC.rioAzul));
  t.equal(err.transient, true, String(err));
  t.ok(err.notBefore! >= before + 299_000, `notBefore in ${err.notBefore! - before} ms`);
  t.equal(sb.faults.list().find((r) => r.id === rule.id)?.hits, 1, 'not hammered');
});
