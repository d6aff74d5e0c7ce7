import { MONTHLY_DATA_SET } from './seed.js';
import { CONSIGNMENT, REQUISITION_DATA_ELEMENTS, REQUISITION, RTS } from './tracker.js';

/**
 * The mediator's DHIS2 settings for this sandbox's data set and programs, by environment
 * variable: printed in the banner and answered in `GET /_sandbox/seed`, so an operator pointing a
 * mediator at a sandbox run on its own (README "Sandboxes") need not dig out the UIDs.
 */
export function mediatorSettings(): Record<string, string> {
  return {
    DHIS2_DATA_SET: MONTHLY_DATA_SET.id,
    DHIS2_RTS_PROGRAM: RTS.program,
    DHIS2_CONSIGNMENT_PROGRAM: CONSIGNMENT.program,
    DHIS2_CONSIGNMENT_STAGE: CONSIGNMENT.stage,
    DHIS2_CONSIGNMENT_DATA_ELEMENTS: `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference},lot=${CONSIGNMENT.lot}`,
    DHIS2_REQUISITION_PROGRAM: REQUISITION.program,
    DHIS2_REQUISITION_STAGE: REQUISITION.stage,
    DHIS2_REQUISITION_DATA_ELEMENTS: REQUISITION_DATA_ELEMENTS,
  };
}
