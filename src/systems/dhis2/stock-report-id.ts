/**
 * The id of an InventoryReport read from DHIS2 data values: one report per org unit and period
 * (of the data set), so the id carries both and a read by id asks DHIS2 for that period again,
 * as OpenMRS (`omrs-inv-<location>`) and OpenLMIS (facility and program) stock report ids do.
 * UIDs and DHIS2 period names are letters and digits: the id stays a valid FHIR id.
 */
const PREFIX = 'dhis2-dvs-';
const ID = /^dhis2-dvs-([A-Za-z][A-Za-z0-9]{10})-([A-Za-z0-9]{4,20})$/;

export function dataValueSetReportId(orgUnit: string, period: string): string {
  return `${PREFIX}${orgUnit}-${period}`;
}

export function parseDataValueSetReportId(id: string): { orgUnit: string; period: string } | undefined {
  const m = ID.exec(id);
  return m ? { orgUnit: m[1], period: m[2] } : undefined;
}
