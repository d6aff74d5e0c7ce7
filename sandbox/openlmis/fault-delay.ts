/**
 * A 'delay' fault's wait, on a timer that does not keep the process alive. While the sandbox
 * listens, or its client's connection is open, the process lives anyway; a bare setTimeout
 * outlived both: a test that stopped its client mid-delay (a mediator's SIGTERM) and closed the
 * sandbox kept its process running until the timer fired (stop-mid-run's 120 s delay: the file
 * lingered 110 s after its subtests had ended). The wait itself is unchanged: a request the
 * client gave up on is still applied when the delay ends, as a slow upstream does.
 */
export function faultDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
