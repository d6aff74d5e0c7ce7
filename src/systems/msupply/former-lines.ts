import type { MsupplyApi } from './api.js';
import { createdRequisition } from './created-requisition.js';
import { writeOrLanded } from './landed-meanwhile.js';
import type { RequisitionLine } from './requisition-lines.js';

/**
 * The lines of a DRAFT request requisition whose items the order no longer has, deleted before it
 * is sent. A requisition is still a DRAFT when an order is changed only if its first write stopped
 * before the send (given up mid-way, so routing delivers the change over it); the change is then
 * finished as the first write would have been, with the changed lines, and a line it dropped must
 * not go to the supplier with it. Open mSupply deletes a request line only while DRAFT
 * (request_requisition_line/delete.rs in msupply-foundation/open-msupply). A delete refused
 * because another attempt deleted it first is done; refused because the requisition was sent with
 * the line still in it, it is not.
 */
export async function dropFormerLines(
  api: MsupplyApi,
  storeId: string,
  requisitionId: string,
  lines: RequisitionLine[],
): Promise<{ dropped: string[] }> {
  const reread = () => createdRequisition(api, storeId, requisitionId, 'requisition');
  const current = await reread();
  if (current.status !== 'DRAFT') return { dropped: [] };
  const kept = new Set(lines.map((l) => l.item.id));
  const former = current.lines.nodes.filter((l) => !kept.has(l.itemId));
  for (const line of former)
    await writeOrLanded(
      () => api.deleteRequestRequisitionLine(storeId, { id: line.id }),
      async () => {
        // gone is done; sent with it still there is another write's send (this one deletes before
        // it sends): the supplier has the line, and the refusal stands
        const now = await reread();
        return now.lines.nodes.some((l) => l.id === line.id) ? undefined : { id: line.id };
      },
    );
  return { dropped: former.map((l) => l.id) };
}
