/**
 * Fault injection. Each faulted request draws one fault with the configured probabilities:
 * - error5xx: answer 503;
 * - hang: never answer (the client must time out);
 * - reset: destroy the socket (the client sees ECONNRESET / "other side closed");
 * - slow: wait slowMs, then behave normally.
 * For error5xx, hang and reset, `afterApplyShare` of them happen AFTER the write was applied:
 * the answer is lost but the effect is real, the case that breaks naive retrying.
 */
export interface FaultRates {
  error5xx: number;
  hang: number;
  reset: number;
  slow: number;
}

export interface FaultSettings extends FaultRates {
  afterApplyShare: number;
  slowMs: [number, number];
  /** A hung request is dropped after this long if the client has not gone away. */
  hangMs: number;
}

export const NO_FAULTS: FaultSettings = {
  error5xx: 0,
  hang: 0,
  reset: 0,
  slow: 0,
  afterApplyShare: 0.5,
  slowMs: [50, 200],
  hangMs: 30_000,
};

export type Fault =
  { kind: 'none' } | { kind: 'slow'; ms: number } | { kind: 'error5xx' | 'hang' | 'reset'; afterApply: boolean };

export function drawFault(s: FaultSettings, random: () => number = Math.random): Fault {
  const r = random();
  let edge = 0;
  for (const kind of ['error5xx', 'hang', 'reset'] as const) {
    edge += s[kind];
    if (r < edge) return { kind, afterApply: random() < s.afterApplyShare };
  }
  edge += s.slow;
  if (r < edge) return { kind: 'slow', ms: s.slowMs[0] + Math.floor(random() * (s.slowMs[1] - s.slowMs[0] + 1)) };
  return { kind: 'none' };
}
