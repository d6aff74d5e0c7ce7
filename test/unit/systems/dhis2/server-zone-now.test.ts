/**
 * serverZoneNow asks system/info again (a DHIS2 restarted in another zone while the mediator ran
 * on: review RI of 36a5c1e8): its answer becomes the known one, and a failed question keeps the
 * known zone rather than failing the caller. Through the client and the DHIS2 sandbox.
 */
import t from 'tap';
import { startHarness } from './harness.js';

t.test('serverZoneNow: a new zone is read and kept; a failure keeps the known one', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  t.equal(await h.client.serverZone(), 'Asia/Colombo');
  h.sandbox.state.timeZone = 'America/Bogota';
  t.equal(await h.client.serverZone(), 'Asia/Colombo', 'asked once: the known answer');
  t.equal(await h.client.serverZoneNow(), 'America/Bogota', 'asked again');
  t.equal(await h.client.serverZone(), 'America/Bogota', 'the new answer is the known one');
  t.equal(h.sandbox.state.count('GET', '/api/system/info'), 2);

  h.sandbox.state.timeZone = 'Asia/Kolkata';
  h.sandbox.faults.failNext('GET', '/api/system/info', 503, 2);
  t.equal(await h.client.serverZoneNow(), 'America/Bogota', 'a failed question keeps the known zone');
  t.equal(await h.client.serverZoneNow(), 'Asia/Kolkata', 'asked again next time');
  t.equal(await h.client.serverZone(), 'Asia/Kolkata');
});
