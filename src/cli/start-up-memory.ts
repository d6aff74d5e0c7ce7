import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Loading ~900 modules and compiling the route schemas allocates fast and most of it survives,
 * so V8 grows the young generation to its 16 MB semi-spaces during start-up and keeps them: an
 * idle mediator carried ~26 MB of empty young generation (issue 18: idle RSS 115 MB against
 * 110). V8 shrinks it only in a full collection that finds the allocation rate since the
 * previous collection low, and an idle process never collects. Measured (--trace-gc): a full
 * collection when listening, or one 6 s later alone, shrinks nothing (start-up's tail is
 * counted in the rate); a young collection soon after listening, then a full one after a quiet
 * interval, gives it back (112 → 87 MB RSS). Under load the young generation grows again, as it
 * should, and a busy process simply keeps it.
 */
export const MARK_AFTER_MS = 1000;
export const QUIET_MS = 6000;

type Collect = (options?: { type: 'minor' }) => void;

/** Arms the two collections; the timers never keep the process alive, `cancel` disarms them. */
export function releaseStartUpMemoryLater(markAfterMs = MARK_AFTER_MS, quietMs = QUIET_MS): { cancel(): void } {
  let timer = setTimeout(() => {
    collector()({ type: 'minor' }); // marks where the quiet interval starts
    timer = setTimeout(() => collector()(), quietMs).unref();
  }, markAfterMs).unref();
  return { cancel: () => clearTimeout(timer) };
}

/**
 * Node has no public call for a collection without `--expose-gc` on the command line, which
 * every way of starting the mediator (Docker CMD, npm start, the CLI) would have to carry; the
 * flag can be turned on for one new context and off again, as jest-leak-detector does
 * (jestjs/jest packages/jest-leak-detector/src/index.ts).
 */
export function collector(): Collect {
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as Collect;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
