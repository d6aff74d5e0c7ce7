/**
 * The outcome of a promise, or 'still waiting' after `ms`: a hang (a driver waiting for a silent
 * server) fails the test with a word instead of running into the test's own timeout.
 */
export function within<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown } | 'still waiting'> {
  return Promise.race([
    p.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms).unref()),
  ]);
}
