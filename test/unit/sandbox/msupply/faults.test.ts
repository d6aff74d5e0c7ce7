/**
 * The Open mSupply sandbox's fault API refuses an action it cannot perform (400, saying what it
 * takes) instead of storing it: on the demo an afterApply written as the OpenMRS sandbox spells
 * it (`"answer": {"type": "reset"}`) was taken and then hung the write until the mediator's
 * deadline (202), where a lost answer (`reset`) was meant.
 */
import t from 'tap';
import { startMsupplySandbox } from '../../../../sandbox/msupply/index.js';

t.test('a fault the sandbox cannot perform is refused with what it takes; a good one is kept', async (t) => {
  const sb = await startMsupplySandbox();
  t.teardown(() => sb.close());
  const add = async (rule: unknown) => {
    const res = await fetch(`${sb.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rule),
    });
    return { status: res.status, body: (await res.json()) as { error?: string } };
  };
  const list = async () => (await (await fetch(`${sb.url}/_sandbox/faults`)).json()) as unknown[];
  const operation = 'insertRequestRequisition';

  const objectAnswer = await add({ operation, action: { type: 'afterApply', answer: { type: 'reset' } } });
  t.equal(objectAnswer.status, 400, 'an afterApply answer in another sandbox spelling');
  t.match(objectAnswer.body.error, /afterApply fault's answer is "hang" or "reset", not \{"type":"reset"\}/);

  const unknown = await add({ operation, action: { type: 'expireSession' } });
  t.equal(unknown.status, 400, 'an action type of another sandbox');
  t.match(
    unknown.body.error,
    /action type is one of status, graphqlError, delay, hang, reset, expireToken, afterApply/,
  );

  t.same(await list(), [], 'neither stored');
  const good = await add({ operation, times: 1, action: { type: 'afterApply', answer: 'reset' } });
  t.equal(good.status, 201, 'the documented form is taken');
  t.equal((await list()).length, 1);
});

t.test('a fault with variablesInclude answers only the calls whose variables hold that text', async (t) => {
  const { MsupplyFaults } = await import('../../../../sandbox/msupply/faults.js');
  const faults = new MsupplyFaults();
  const odd = { type: 'status' as const, status: 200, body: { data: { items: null } } };
  faults.add({ operation: 'items', variablesInclude: 'PCM500T', action: odd });
  t.equal(faults.take('items', { filter: { code: { equalTo: 'AMX250T' } } }), undefined, 'another item: as it is');
  t.same(faults.take('items', { filter: { code: { equalTo: 'PCM500T' } } }), odd, 'that item: the fault');
  t.same(faults.take('items', { filter: { code: { equalTo: 'PCM500T' } } }), odd, 'every time');
  t.equal(faults.take('stores', { filter: 'PCM500T' }), undefined, 'another operation: as it is');
});

t.test('a held fault answers only once the test releases it; sent as JSON it is refused', async (t) => {
  const sb = await startMsupplySandbox();
  t.teardown(() => sb.close());
  const asJson = await fetch(`${sb.url}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ operation: '*', action: { type: 'held' } }),
  });
  t.equal(asJson.status, 400, 'no promise to wait for: it would hold forever');
  t.match(((await asJson.json()) as { error: string }).error, /held fault needs `released`, a promise/);
  let release!: () => void;
  sb.faults.add({
    operation: '*',
    times: 1,
    action: { type: 'held', released: new Promise<void>((r) => (release = r)) },
  });
  const graphql = () =>
    fetch(`${sb.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ apiVersion }' }),
    });
  let answered = false;
  const call = graphql().then((res) => {
    answered = true;
    return res.status;
  });
  // the sandbox has taken the call (the rule hit); a later call (times: 1, not held) is answered first
  while (sb.faults.list()[0].hits === 0) await new Promise((r) => setImmediate(r));
  t.equal((await graphql()).status, 200, 'a later call is answered');
  t.equal(answered, false, 'held: no answer before the release');
  release();
  t.equal(await call, 200, 'executed once released');
  t.equal(answered, true);
});
