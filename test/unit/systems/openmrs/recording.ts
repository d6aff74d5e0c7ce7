import {
  callsOf,
  createOrchestrationStore,
  runWithOrchestrations,
  type UpstreamCall,
} from '../../../../src/platform/call-recording.js';

/** Runs `fn` with call recording on: what it returns and every upstream call it made, in order. */
export async function recordUpstreamCalls<T>(fn: () => Promise<T>): Promise<{ result: T; calls: UpstreamCall[] }> {
  const store = createOrchestrationStore();
  const result = await runWithOrchestrations(fn, store);
  return { result, calls: callsOf(store) };
}
