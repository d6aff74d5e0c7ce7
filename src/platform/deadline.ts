/**
 * The promise's value, or undefined if `ms` passes first. The promise keeps running; a later
 * rejection is still observed by the race, so it never surfaces as unhandled.
 */
export async function withinDeadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
