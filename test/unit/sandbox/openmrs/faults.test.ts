/**
 * The OpenMRS sandbox's fault API refuses a rule it could never fire or an action it cannot
 * perform (400, saying what it takes), instead of storing it: on the demo an afterApply written
 * as the Open mSupply sandbox spells it (`"answer": "reset"`) was taken and then answered a
 * write with the sandbox's own 500 ("invalid status code: undefined"), not a lost answer.
 */
import t from 'tap';
import { startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';

t.test('a fault the sandbox cannot fire is refused with what it takes; a good one is kept', async (t) => {
  const sb = await startOpenMrsSandbox();
  t.teardown(() => sb.close());
  const root = sb.url.replace(/\/openmrs$/, '');
  const add = async (rule: unknown) => {
    const res = await fetch(`${root}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rule),
    });
    return { status: res.status, body: (await res.json()) as { error?: string } };
  };
  const path = '/openmrs/ws/rest/v1/stockmanagement/stockoperationaction';

  const stringAnswer = await add({ method: 'POST', path, action: { type: 'afterApply', answer: 'reset' } });
  t.equal(stringAnswer.status, 400, 'an afterApply answer that is not an object');
  t.match(stringAnswer.body.error, /afterApply fault's answer is \{"type":"status".*\{"type":"reset"\}.*not "reset"/);

  const noStatus = await add({ path, action: { type: 'afterApply', answer: { type: 'status' } } });
  t.equal(noStatus.status, 400, 'a lost answer replaced by a status needs the status');

  const unknown = await add({ path, action: { type: 'drop' } });
  t.equal(unknown.status, 400, 'an action type the sandbox does not perform');
  t.match(
    unknown.body.error,
    /action type is one of status, delay, hang, reset, expireSession, afterApply, echoSecrets, not "drop"/,
  );

  const pathMethod = await add({ method: '**', path, action: { type: 'reset' } });
  t.equal(pathMethod.status, 400, 'path syntax as a method');

  const noAction = await add({ path });
  t.equal(noAction.status, 400, 'no action: a 400, not the sandbox failing');

  t.same(sb.faults.list(), [], 'none of them stored');
  const good = await add({ method: 'POST', path, times: 1, action: { type: 'afterApply', answer: { type: 'reset' } } });
  t.equal(good.status, 201, 'the documented form is taken');
  t.equal(sb.faults.list().length, 1);
});
