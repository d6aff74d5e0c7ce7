/**
 * What the delivery write-lock race tests share (delivery-draft-completion-race,
 * delivery-draft-completion-race-instances, delivery-write-lock-busy): one consignment's draft and
 * completion, the draft's tracker POST held in the DHIS2 sandbox until the test releases it, the
 * outbox's delivery jobs, and the end state all three expect (the consignment received with the
 * completion's count, never reopened by the draft).
 */
import type { Test } from 'tap';
import { CONSIGNMENT } from '../../../sandbox/dhis2/index.js';
import type { Dhis2Rig } from '../../support/dhis2-e2e.js';
import { consignmentDelivery } from '../../support/dhis2-consignments.js';
import { adminCall } from '../../support/march-stock-count.js';
import { until } from '../../support/net.js';

export type Resource = Record<string, any>;
type Dhis2Sandbox = Dhis2Rig['dhis2'];

/** Packs in the draft and in the completion: different, so the end state tells whose count landed. */
export const DRAFT_PACKS = 7;
export const COMPLETION_PACKS = 9;

/** The statuses an outbox job ends in. */
const ENDED = ['done', 'rejected', 'dead'];

/** The sandbox's facility LK-HC-103, where each race's consignment is received. */
export function raceFacility(sb: Dhis2Sandbox): string {
  return sb.state.summary().orgUnits['LK-HC-103'];
}

/** Consignment `shipment` of `packs` packs of condoms at `facility`, in `status`. */
export function consignment(shipment: string, facility: string, packs: number, status: string): Resource {
  const lines = [{ gtin: '10860012300034', value: packs, unit: 'pack' as const }];
  return { ...consignmentDelivery({ shipment, location: facility, lines }), status };
}

/** The consignment program's events DHIS2 holds, each as [status, quantity in units]. */
function consignmentEvents(sb: Dhis2Sandbox): unknown[][] {
  return [...sb.tracker.events.values()]
    .filter((e) => e.program === CONSIGNMENT.program)
    .map((e) => [e.status, e.dataValues.find((d: Resource) => d.dataElement === CONSIGNMENT.quantity)?.value]);
}

/** The end state: the consignment received once, with the completion's count. */
export function receivedWithCompletionCount(t: Test, sb: Dhis2Sandbox): void {
  // in units: a pack holds 144 condoms (the draft's 7 packs would read 1008)
  t.same(
    consignmentEvents(sb),
    [['COMPLETED', String(COMPLETION_PACKS * 144)]],
    "the consignment received, with the completion's count",
  );
}

export interface HeldPost {
  /** Resolves once the held POST has reached DHIS2 (the draft on its way). */
  onItsWay(): Promise<void>;
  /** Lets the held POST through. */
  release(): void;
}

/** Holds the next tracker POST the sandbox receives until `release()`: a write on its way. */
export function holdTrackerPost(sb: Dhis2Sandbox): HeldPost {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const held = sb.faults.add({ method: 'POST', path: '/api/tracker', times: 1, action: { type: 'held', released } });
  return {
    release,
    onItsWay: async () => {
      await until(
        'the draft on its way',
        async () => sb.faults.list().find((f) => f.id === held.id)?.hits === 1 || undefined,
      );
    },
  };
}

/** The delivery jobs the outbox at `mediatorUrl` holds for DHIS2. */
export async function deliveryJobs(mediatorUrl: string, admin: string): Promise<Resource[]> {
  const jobs = (await adminCall(mediatorUrl, admin, 'GET', '/outbox/jobs?system=dhis2')).body.jobs as Resource[];
  return jobs.filter((j) => j.flow === 'delivery');
}

/** Job `id` of the outbox at `mediatorUrl`, once it has ended. */
export async function endedJob(mediatorUrl: string, admin: string, id: string, label: string): Promise<Resource> {
  return until(label, async () => {
    const job = (await adminCall(mediatorUrl, admin, 'GET', `/outbox/jobs/${id}`)).body.job as Resource;
    return ENDED.includes(job?.status) ? job : undefined;
  });
}

/** The draft's and the completion's delivery jobs, once both have ended. */
export async function bothEnded(mediatorUrl: string, admin: string): Promise<Resource[]> {
  return until('both writes ended', async () => {
    const jobs = await deliveryJobs(mediatorUrl, admin);
    return jobs.length === 2 && jobs.every((j) => ENDED.includes(j.status)) ? jobs : undefined;
  });
}
