import { CONSIGNMENT } from '../../sandbox/dhis2/index.js';

/** What the events need of a DHIS2 test rig: the sandbox's org unit ids by code. */
interface WithSandbox {
  sandbox: { state: { summary(): { orgUnits: Record<string, string> } } };
}

/**
 * `n` consignment events (an event program: no enrollment) at the LK-HC-102 org unit, UIDs
 * derived from `tag`. `bad` indexes carry a negative quantity, which DHIS2 refuses (E1302) for
 * that event, not the batch; `reference` adds the shipment reference `SHP-<tag>` (default yes).
 */
export function consignmentEvents(
  h: WithSandbox,
  n: number,
  tag: string,
  opts: { bad?: number[]; reference?: boolean } = {},
) {
  const ou = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const bad = opts.bad ?? [];
  return Array.from({ length: n }, (_, i) => ({
    event: `${tag}${String(i).padStart(11 - tag.length, '0')}`,
    program: CONSIGNMENT.program,
    programStage: CONSIGNMENT.stage,
    orgUnit: ou,
    occurredAt: '2024-04-10T14:00:00.000',
    status: 'COMPLETED',
    dataValues: [
      { dataElement: CONSIGNMENT.item, value: 'FP_CNDM' },
      { dataElement: CONSIGNMENT.quantity, value: bad.includes(i) ? '-1' : String(10 + i) },
      ...(opts.reference === false ? [] : [{ dataElement: CONSIGNMENT.reference, value: `SHP-${tag}` }]),
    ],
  }));
}
