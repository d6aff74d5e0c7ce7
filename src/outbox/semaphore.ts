/** Counts simultaneous attempts against one system; waiters are served first come, first served. */
export class Semaphore {
  private inUse = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  available(): number {
    return Math.max(0, this.limit - this.inUse);
  }

  tryAcquire(): boolean {
    if (this.inUse >= this.limit) return false;
    this.inUse += 1;
    return true;
  }

  /** Resolves true once a slot is held, or false after `timeoutMs` without one. */
  acquire(timeoutMs: number): Promise<boolean> {
    if (this.tryAcquire()) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(grant);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next)
      next(); // the slot passes straight to the waiter
    else this.inUse = Math.max(0, this.inUse - 1);
  }
}
