/**
 * The faults the OpenLMIS sandbox injects on every write endpoint the connector (and the clerk)
 * uses, by probability: 5xx before the write, timeouts (a hang, or a delay past the mediator's
 * OPENLMIS_TIMEOUT_MS after which the write still lands), connection resets, and the same
 * losses AFTER the write was applied (gateway 502/504, reset, hang).
 */
import type { FaultAction, FaultRuleInput, OpenLmisSandbox } from '../../sandbox/openlmis/index.js';

export const WRITE_ENDPOINTS: { method: string; path: string }[] = [
  { method: 'POST', path: '/api/requisitions/initiate' },
  { method: 'PUT', path: '/api/requisitions/*' },
  { method: 'POST', path: '/api/requisitions/*/submit' },
  { method: 'POST', path: '/api/requisitions/*/authorize' },
  { method: 'PUT', path: '/api/proofsOfDelivery/*' },
  { method: 'POST', path: '/api/stockEvents' },
  { method: 'POST', path: '/api/public/stockEvents' },
];

/** A name per kind of fault, for the counts printed at the end. */
export interface FaultKind {
  name: string;
  probability: number;
  action: FaultAction;
}

export function faultKinds(timeoutMs: number): FaultKind[] {
  return [
    { name: '5xx before apply', probability: 0.03, action: { type: 'status', status: 503 } },
    { name: '500 before apply', probability: 0.01, action: { type: 'status', status: 500 } },
    { name: 'reset before apply', probability: 0.02, action: { type: 'reset' } },
    { name: 'hang (never applied)', probability: 0.007, action: { type: 'hang' } },
    // answered (and applied) well after the mediator stopped waiting: it must settle before looking
    { name: 'late apply past timeout', probability: 0.015, action: { type: 'delay', ms: timeoutMs + 700 } },
    {
      name: '502 after apply',
      probability: 0.015,
      action: { type: 'afterApply', answer: { type: 'status', status: 502 } },
    },
    {
      name: '504 after apply',
      probability: 0.008,
      action: { type: 'afterApply', answer: { type: 'status', status: 504 } },
    },
    { name: 'reset after apply', probability: 0.02, action: { type: 'afterApply', answer: { type: 'reset' } } },
    { name: 'hang after apply', probability: 0.01, action: { type: 'afterApply', answer: { type: 'hang' } } },
  ];
}

export interface InstalledFaults {
  rules: { kind: string; id: string }[];
}

export function installFaults(sb: OpenLmisSandbox, kinds: FaultKind[]): InstalledFaults {
  const rules: InstalledFaults['rules'] = [];
  for (const endpoint of WRITE_ENDPOINTS) {
    for (const k of kinds) {
      const rule: FaultRuleInput = { ...endpoint, action: k.action, probability: k.probability };
      rules.push({ kind: k.name, id: sb.faults.add(rule).id });
    }
  }
  return { rules };
}

/** How often each kind fired, over all endpoints. */
export function faultHits(sb: OpenLmisSandbox, installed: InstalledFaults): Record<string, number> {
  const hits = new Map(sb.faults.list().map((r) => [r.id, r.hits]));
  const out: Record<string, number> = {};
  for (const r of installed.rules) out[r.kind] = (out[r.kind] ?? 0) + (hits.get(r.id) ?? 0);
  return out;
}
