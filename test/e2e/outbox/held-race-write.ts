/** The held delivery write and its R5 resend of held-race-relink.test.ts and its child. */
import type { Delivery } from '../../../src/domain/index.js';
import type { StoredError } from '../../../src/store/types.js';

export const RESEND_KEY = 'delivery|https://app.example.org/deliveries|DL-1';
export const HELD_JOB = 'job-held';
export const HELD_LEASE = 'held-lease';

const confirmation = (id: string): Delivery => ({
  id,
  identifier: { system: 'https://app.example.org/deliveries', value: 'DL-1' },
  status: 'completed',
  destination: { id: 'fac-1' },
  lines: [],
});
/** Queued on R4 under the proof of delivery's id. */
export const held = confirmation('pod-1');
/** The same confirmation resent on R5 under another id. */
export const resent = confirmation('r5-pod');
/** How the upstream refused the held write, just as the resend came. */
export const REFUSED: StoredError = {
  name: 'UnprocessableError',
  status: 422,
  issues: [{ severity: 'error', code: 'processing', diagnostics: 'the proof of delivery was refused' }],
};
