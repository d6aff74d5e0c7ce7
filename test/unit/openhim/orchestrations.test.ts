// The per-request orchestration recorder (AsyncLocalStorage).
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import {
  currentOrchestrations,
  recordUpstreamCall,
  runWithOrchestrations,
  type UpstreamCall,
} from '../../../src/platform/call-recording.js';

const call = (url: string): UpstreamCall => ({ method: 'GET', url, startedAt: Date.now() });

t.test('outside a context recording is a no-op', async (t) => {
  t.equal(recordUpstreamCall(call('http://a/1')), false);
  t.same(currentOrchestrations(), []);
});

t.test('concurrent contexts keep their own calls, across awaits and timers', async (t) => {
  const work = (name: string, n: number, delay: number) =>
    runWithOrchestrations(async () => {
      for (let i = 0; i < n; i++) {
        await sleep(delay);
        t.equal(recordUpstreamCall(call(`http://${name}/${i}`)), true);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      return currentOrchestrations().map((c) => c.url);
    });
  const [a, b] = await Promise.all([work('a', 3, 3), work('b', 2, 1)]);
  t.same(a, ['http://a/0', 'http://a/1', 'http://a/2']);
  t.same(b, ['http://b/0', 'http://b/1']);
});

t.test('currentOrchestrations returns a copy', async (t) => {
  runWithOrchestrations(() => {
    recordUpstreamCall(call('http://c/1'));
    currentOrchestrations().pop();
    t.equal(currentOrchestrations().length, 1);
  });
});
