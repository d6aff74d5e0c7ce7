/**
 * What a mobile app posts in the OpenMRS delivery tests: its order of amoxicillin from Mwangaza
 * to Kilima under its own order number, in dispensing units. Shared by the tests of deliveries
 * confirmed against such an order.
 */
import { LOC } from '../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../src/fhir/conventions.js';
import { GTIN } from './openmrs-e2e.js';

export const ORDERS = 'https://app.example.org/orders';
export const DELIVERIES = 'https://app.example.org/deliveries';
export const AMOXICILLIN = '10860012300058';
export const units = (value: number) => ({
  value,
  unit: 'dispensing unit',
  system: UNIT_SYSTEM,
  code: 'dispensing-unit',
});

/** The app's one-line order `number` of `qty` units. */
export const order = (number: string, qty: number) => ({
  resourceType: 'SupplyRequest',
  status: 'active',
  priority: 'routine',
  identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: number }],
  itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] },
  quantity: units(qty),
  authoredOn: '2026-12-01T08:00:00Z',
  deliverTo: { reference: `Location/${LOC.kilima}` },
  deliverFrom: { reference: `Location/${LOC.mwangaza}` },
});
