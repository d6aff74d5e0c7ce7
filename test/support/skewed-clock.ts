/**
 * Preloaded into a mediator process (`--import`) to set its clock SKEWED_CLOCK_MS ahead of the
 * machine's (negative: behind), as an instance on a host whose NTP drifted: `Date.now()` and
 * `new Date()` read the skewed time; timers and `performance.now()` run as before.
 */
const aheadMs = Number(process.env.SKEWED_CLOCK_MS ?? 0);

if (aheadMs) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      if (args.length === 0) super(realNow() + aheadMs);
      else super(...(args as ConstructorParameters<DateConstructor>));
    }
    static override now(): number {
      return realNow() + aheadMs;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
}
