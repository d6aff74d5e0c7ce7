import t from 'tap';
import { fill, initiate, initiateEmergency, startHarness } from './helpers.js';

t.test('requisition status machine follows the OpenLMIS rules', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.sb.close());
  const admin = await h.login();

  t.test('initiate takes the oldest period; a later period needs the previous one finished', async (t) => {
    const first = await initiate(h, admin, 'LK-HC-102', 'FP01');
    t.equal(first.status, 201);
    t.equal(first.body.status, 'INITIATED');
    const periods = await h.call(
      'GET',
      `/api/requisitions/periodsForInitiate?programId=${h.seed.programs.FP01}&facilityId=${h.seed.facilities['LK-HC-102']}&emergency=false`,
      admin,
    );
    t.equal(periods.body[0].requisitionId, first.body.id, 'the open period reports its requisition');
    const next = await h.call(
      'POST',
      `/api/requisitions/initiate?program=${h.seed.programs.FP01}&facility=${h.seed.facilities['LK-HC-102']}&emergency=false`,
      admin,
    );
    t.equal(next.status, 400);
    t.equal(next.body.messageKey, 'requisition.error.initiate.finishPreviousRequisition');
    const dup = await h.call(
      'POST',
      `/api/requisitions/initiate?program=${h.seed.programs.FP01}&facility=${h.seed.facilities['LK-HC-102']}&suggestedPeriod=${first.body.processingPeriod.id}&emergency=false`,
      admin,
    );
    t.equal(dup.status, 400);
    t.equal(
      dup.body.messageKey,
      'requisition.error.initiate.finishPreviousRequisition',
      'the period scan fails before the suggested period is considered',
    );
  });

  t.test('submit needs explanations, then authorize and approve move it on', async (t) => {
    const created = await initiate(h, admin, 'LK-HC-101', 'FP01');
    const req = created.body;
    req.requisitionLineItems[0].requestedQuantity = 50;
    const put = await h.call('PUT', `/api/requisitions/${req.id}`, admin, req);
    t.equal(put.status, 200);
    const noExplanation = await h.call('POST', `/api/requisitions/${req.id}/submit`, admin);
    t.equal(noExplanation.status, 400);
    t.same(
      noExplanation.body.requisitionLineItems.messageKey,
      'requisition.error.validation.valueMustBeEntered',
      'field error map keyed by requisitionLineItems',
    );
    t.match(noExplanation.body.requisitionLineItems.message, /requestedQuantityExplanation/);

    const stale = await h.call('PUT', `/api/requisitions/${req.id}`, admin, {
      ...put.body,
      modifiedDate: '2001-01-01T00:00:00Z',
    });
    t.equal(stale.status, 409, 'an old modifiedDate is a version conflict');
    t.equal(stale.body.messageKey, 'requisition.error.validation.dateModifiedMismatch');

    t.equal((await fill(h, admin, put.body)).status, 200);
    const submitted = await h.call('POST', `/api/requisitions/${req.id}/submit`, admin);
    t.equal(submitted.status, 200);
    t.equal(submitted.body.status, 'SUBMITTED');
    const again = await h.call('POST', `/api/requisitions/${req.id}/submit`, admin);
    t.equal(again.body.messageKey, 'requisition.error.submit.mustBeInitiatedToBeSubmitted');
    const approveEarly = await h.call('POST', `/api/requisitions/${req.id}/approve`, admin);
    t.equal(approveEarly.body.messageKey, 'requisition.error.approve.requisitionMustBeAuthorized');
    const authorized = await h.call('POST', `/api/requisitions/${req.id}/authorize`, admin);
    t.equal(authorized.body.status, 'AUTHORIZED');
    const full = await h.call('GET', `/api/v2/requisitions/${req.id}`, admin);
    t.equal(full.body.requisitionLineItems[0].approvedQuantity, 100, 'approved quantity starts as requested');
    t.same(
      full.body.statusHistory.map((s: any) => s.status),
      ['INITIATED', 'SUBMITTED', 'AUTHORIZED'],
    );
    const approved = await h.call('POST', `/api/requisitions/${req.id}/approve`, admin);
    t.equal(approved.body.status, 'APPROVED');
    const dup = await h.call(
      'POST',
      `/api/requisitions/initiate?program=${h.seed.programs.FP01}&facility=${h.seed.facilities['LK-HC-101']}&suggestedPeriod=${req.processingPeriod.id}&emergency=false`,
      admin,
    );
    t.equal(dup.status, 400);
    t.equal(dup.body.messageKey, 'requisition.error.duplication', 'one requisition per facility/program/period');
  });

  t.test('who may submit: rights are per facility and program', async (t) => {
    const clerk = await h.login('hcclerk');
    const elsewhere = await initiate(h, clerk, 'LK-HC-103', 'FP01');
    t.equal(elsewhere.status, 403);
    t.equal(elsewhere.body.messageKey, 'requisition.error.authorization.noFollowingPermission');
    const viewer = await h.login('viewer');
    const em = await initiate(h, admin, 'LK-HC-103', 'EM01');
    const denied = await h.call('POST', `/api/requisitions/${em.body.id}/submit`, viewer);
    t.equal(denied.status, 403);
    t.match(denied.body.message, /REQUISITION_CREATE/);
    const apiKey = await h.call('GET', `/api/requisitions/${em.body.id}`, h.seed.apiKey);
    t.equal(apiKey.status, 403, 'API keys are not accepted by the requisition service');
  });

  t.test('Idempotency-Key: a reused key is 409, a bad one 400', async (t) => {
    const key = '7d7c0c36-7f0e-4d57-9a8e-1d5a1b3e2f10';
    const first = await initiate(h, admin, 'LK-HC-104', 'EM01', { 'Idempotency-Key': key });
    t.equal(first.status, 201);
    t.match(first.headers.get('location'), new RegExp(`/api/requisitions/${first.body.id}$`));
    const second = await initiate(h, admin, 'LK-HC-104', 'EM01', { 'Idempotency-Key': key });
    t.equal(second.status, 409);
    t.equal(second.body.messageKey, 'requisition.error.validation.idempotencyKey.alreadyUsed');
    const bad = await h.call('POST', `/api/requisitions/${first.body.id}/submit`, admin, undefined, {
      'Idempotency-Key': 'nope',
    });
    t.equal(bad.status, 400);
    t.equal(bad.body.messageKey, 'requisition.error.validation.idempotencyKey.wrongFormat');
  });

  t.test('search pages BasicRequisitionDtos and validates its parameters', async (t) => {
    const res = await h.call(
      'GET',
      `/api/requisitions/search?program=${h.seed.programs.FP01}&requisitionStatus=APPROVED&requisitionStatus=INITIATED&size=1`,
      admin,
    );
    t.equal(res.status, 200);
    t.equal(res.body.size, 1);
    t.equal(res.body.content.length, 1);
    t.ok(res.body.totalElements >= 2);
    t.equal(res.body.last, false);
    const bad = await h.call('GET', '/api/requisitions/search?requisitionStatus=DONE', admin);
    t.equal(bad.body.messageKey, 'requisition.error.validation.params.requisitionStatus.notValidStatus');
    const unknown = await h.call('GET', '/api/requisitions/search?facilityCode=X', admin);
    t.equal(unknown.body.messageKey, 'requisition.error.search.invalidParams');
  });

  t.test('a period that has not ended cannot be submitted', async (t) => {
    const h2 = await startHarness({ seed: { periodsBack: 0, periodsAhead: 1 } });
    t.teardown(() => h2.sb.close());
    const token = await h2.login();
    const created = await initiate(h2, token, 'LK-HC-101', 'EM01');
    await fill(h2, token, created.body);
    const res = await h2.call('POST', `/api/requisitions/${created.body.id}/submit`, token);
    t.equal(res.status, 400);
    t.equal(res.body.messageKey, 'requisition.error.approve.errorPeriodEndDateWrong');
  });
});

t.test(
  'an emergency requisition starts empty; a PUT adds available products and drops lines it leaves out',
  async (t) => {
    const h = await startHarness();
    t.teardown(() => h.sb.close());
    const admin = await h.login();
    const created = await initiateEmergency(h, admin, 'LK-HC-101', 'EM01');
    t.equal(created.status, 201);
    const req = created.body;
    t.same(
      req.requisitionLineItems,
      [],
      'no lines at initiation (Requisition.initiate fills regular requisitions only)',
    );
    t.ok(req.availableFullSupplyProducts.length >= 2, 'the products that may be added are listed');
    const [first, second] = req.availableFullSupplyProducts;

    const unknown = await h.call('PUT', `/api/requisitions/${req.id}`, admin, {
      ...req,
      requisitionLineItems: [{ orderable: { id: '00000000-0000-4000-8000-000000000000' }, requestedQuantity: 5 }],
    });
    t.equal(unknown.status, 400, 'a product the requisition cannot hold');
    t.equal(unknown.body.requisitionLineItems.messageKey, 'requisition.error.validation.referencedObjectDoesNotExist');
    t.same(
      (await h.call('GET', `/api/requisitions/${req.id}`, admin)).body.requisitionLineItems,
      [],
      'the failed PUT changed nothing',
    );

    const lines = [first, second].map((orderable, i) => ({
      orderable,
      requestedQuantity: 10 * (i + 1),
      requestedQuantityExplanation: 'outbreak',
    }));
    const added = await h.call('PUT', `/api/requisitions/${req.id}`, admin, { ...req, requisitionLineItems: lines });
    t.equal(added.status, 200);
    t.same(
      added.body.requisitionLineItems.map((l: any) => [l.orderable.id, l.requestedQuantity]),
      [
        [first.id, 10],
        [second.id, 20],
      ],
    );
    t.ok(
      added.body.requisitionLineItems.every((l: any) => typeof l.id === 'string'),
      'the server gives new lines their ids',
    );

    const dropped = await h.call('PUT', `/api/requisitions/${req.id}`, admin, {
      ...added.body,
      requisitionLineItems: added.body.requisitionLineItems.slice(0, 1),
    });
    t.same(
      dropped.body.requisitionLineItems.map((l: any) => l.orderable.id),
      [first.id],
      "the body's lines replace the requisition's",
    );
    const submitted = await h.call('POST', `/api/requisitions/${req.id}/submit`, admin);
    t.equal(submitted.body.status, 'SUBMITTED', 'an emergency requisition is submitted before its period ends');

    const regular = (await initiate(h, admin, 'LK-HC-102', 'FP01')).body;
    const template = regular.requisitionLineItems.length;
    t.ok(template >= 2);
    const partial = await h.call('PUT', `/api/requisitions/${regular.id}`, admin, {
      ...regular,
      requisitionLineItems: regular.requisitionLineItems.slice(0, 1),
    });
    t.equal(
      partial.body.requisitionLineItems.length,
      template,
      'a regular requisition keeps the full-supply lines a PUT leaves out',
    );
  },
);

t.test('an older server adds only non-full-supply lines and ignores other new ones without an error', async (t) => {
  const h = await startHarness({ requisitionNewLines: 'non-full-supply' });
  t.teardown(() => h.sb.close());
  const admin = await h.login();
  const req = (await initiateEmergency(h, admin, 'LK-HC-101', 'EM01')).body;
  const put = await h.call('PUT', `/api/requisitions/${req.id}`, admin, {
    ...req,
    requisitionLineItems: [{ orderable: req.availableFullSupplyProducts[0], requestedQuantity: 5 }],
  });
  t.equal(put.status, 200);
  t.same(put.body.requisitionLineItems, [], 'answered 200, line not taken');
});
