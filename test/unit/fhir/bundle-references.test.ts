/**
 * References between a transaction's entries (FHIR http.html#trules): a `urn:uuid:` fullUrl named
 * by a later entry becomes `[type]/[id]` of what that entry writes; one naming no entry, a later
 * entry or an entry that writes nothing is a 422 naming both entries, before anything is written.
 */
import t from 'tap';
import { MediatorError } from '../../../src/domain/errors.js';
import {
  assertNoEntryReference,
  resolveEntryReferences,
  type ReferencedEntry,
} from '../../../src/fhir/bundle-references.js';

const DISTRICT = 'urn:uuid:11111111-1111-4111-8111-111111111111';
const FACILITY = 'urn:uuid:22222222-2222-4222-8222-222222222222';

type E = ReferencedEntry & { type: string; id?: string };
const targetOf = async (e: E) => (e.method === 'GET' ? undefined : `${e.type}/${e.id ?? `made-${e.index}`}`);

async function refusal(fn: () => Promise<unknown>): Promise<MediatorError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof MediatorError) return err;
    throw err;
  }
  throw new Error('not refused');
}

t.test('a Location partOf a Location created earlier in the Bundle names the id that entry makes', async (t) => {
  const entries: E[] = [
    { index: 0, fullUrl: DISTRICT, method: 'POST', type: 'Location', resource: { resourceType: 'Location' } },
    {
      index: 1,
      fullUrl: FACILITY,
      method: 'PUT',
      type: 'Location',
      id: 'f1',
      resource: { resourceType: 'Location', partOf: { reference: DISTRICT }, contained: [] },
    },
  ];
  const out = await resolveEntryReferences(entries, targetOf);
  t.same(out[1].resource!.partOf, { reference: 'Location/made-0' });
  t.equal(entries[1].resource!.partOf.reference, DISTRICT, "the client's Bundle is left as sent");
});

t.test('references inside arrays and nested elements are resolved, each with its own path', async (t) => {
  const entries: E[] = [
    { index: 0, fullUrl: DISTRICT, method: 'POST', type: 'SupplyRequest', resource: {} },
    { index: 1, fullUrl: FACILITY, method: 'PUT', type: 'SupplyRequest', id: 'line-2', resource: {} },
    {
      index: 2,
      method: 'POST',
      type: 'SupplyDelivery',
      resource: { basedOn: [{ reference: DISTRICT }, { reference: FACILITY }, { reference: 'SupplyRequest/x' }] },
    },
  ];
  const out = await resolveEntryReferences(entries, targetOf);
  t.same(out[2].resource!.basedOn, [
    { reference: 'SupplyRequest/made-0' },
    { reference: 'SupplyRequest/line-2' },
    { reference: 'SupplyRequest/x' },
  ]);
});

t.test('a reference to a later entry is a 422 naming both entries and the order to send them in', async (t) => {
  const err = await refusal(() =>
    resolveEntryReferences<E>(
      [
        { index: 0, method: 'POST', type: 'Location', resource: { partOf: { reference: DISTRICT } } },
        { index: 1, fullUrl: DISTRICT, method: 'POST', type: 'Location', resource: {} },
      ],
      targetOf,
    ),
  );
  t.equal(err.status, 422);
  t.same(err.issues[0].expression, ['Bundle.entry[0].resource.partOf.reference']);
  t.match(
    err.issues[0].diagnostics,
    /Bundle\.entry\[0\]\.resource\.partOf .*names Bundle\.entry\[1\].*put Bundle\.entry\[1\] before Bundle\.entry\[0\]/,
  );
});

t.test('a urn naming no entry, or an entry that writes nothing, is a 422; every one is listed', async (t) => {
  const err = await refusal(() =>
    resolveEntryReferences<E>(
      [
        { index: 0, fullUrl: DISTRICT, method: 'GET', type: 'Location' },
        {
          index: 1,
          method: 'POST',
          type: 'SupplyDelivery',
          resource: {
            basedOn: [{ reference: 'urn:uuid:99999999-9999-4999-8999-999999999999' }, { reference: DISTRICT }],
          },
        },
      ],
      targetOf,
    ),
  );
  t.equal(err.status, 422);
  t.same(
    err.issues.map((i) => i.expression),
    [['Bundle.entry[1].resource.basedOn[0].reference'], ['Bundle.entry[1].resource.basedOn[1].reference']],
  );
  t.match(err.issues[0].diagnostics, /names no entry of this transaction/);
  t.match(err.issues[1].diagnostics, /names Bundle\.entry\[0\] \(GET\)/);
});

t.test('a batch entry naming another entry of the batch is a 400 naming both; other urns pass', async (t) => {
  const entries: ReferencedEntry[] = [
    { index: 0, fullUrl: DISTRICT, method: 'POST', resource: {} },
    { index: 1, method: 'POST', resource: { partOf: { reference: DISTRICT } } },
    { index: 2, method: 'POST', resource: { partOf: { reference: 'urn:uuid:99999999-9999-4999-8999-999999999999' } } },
  ];
  assertNoEntryReference(entries[0], entries);
  assertNoEntryReference(entries[2], entries);
  const err = await refusal(async () => assertNoEntryReference(entries[1], entries));
  t.equal(err.status, 400);
  t.same(err.issues[0].expression, ['Bundle.entry[1].resource.partOf.reference']);
  t.match(err.issues[0].diagnostics, /names Bundle\.entry\[0\] of this batch.*send them as a transaction/);
});

t.test('an entry naming no other entry is handed on as it came; one naming another is a copy', async (t) => {
  const entries: E[] = [
    { index: 0, fullUrl: DISTRICT, method: 'POST', type: 'Location', resource: { resourceType: 'Location' } },
    {
      index: 1,
      method: 'POST',
      type: 'SupplyRequest',
      // a reference that is not a urn, deep in arrays, and a `reference` that is no string
      resource: {
        resourceType: 'SupplyRequest',
        deliverTo: { reference: 'Location/x' },
        note: [{ text: 'urn:uuid:not-a-reference' }],
        extension: [{ valueReference: { reference: 'urn-like but not urn:uuid:' } }, { reference: 7 }],
      },
    },
    {
      index: 2,
      method: 'POST',
      type: 'SupplyRequest',
      resource: { resourceType: 'SupplyRequest', item: [{ x: [{ deliverFrom: { reference: DISTRICT } }] }] },
    },
  ];
  const out = await resolveEntryReferences(entries, targetOf);
  // no copy of a resource with nothing to rewrite (issue 18: most orders' lines name no entry)
  t.equal(out[0], entries[0]);
  t.equal(out[1], entries[1]);
  t.same(out[1].resource, entries[1].resource);
  t.not(out[2].resource, entries[2].resource);
  t.same(out[2].resource!.item[0].x[0].deliverFrom, { reference: 'Location/made-0' });
  t.equal(entries[2].resource!.item[0].x[0].deliverFrom.reference, DISTRICT, "the client's Bundle is left as sent");
});
