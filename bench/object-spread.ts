/**
 * npx tsx bench/object-spread.ts — why src/fhir/with-members.ts exists: on Node 20 (V8 11.3), an
 * object literal that spreads an object and then adds a key it does not have (`{ ...line, lineId }`)
 * leaves V8's fast clone path and costs about 1 µs, thirty times Object.assign into a fresh object.
 * Replacing a key the source already has stays fast. Each case runs interleaved with its baseline
 * (the plain spread copy), BENCH_ROUNDS (5) rounds; the ratios to it are printed, min/median/max.
 */
import { withMembers } from '../src/fhir/with-members.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const N = Number(process.env.BENCH_N ?? 300_000);

/** A decoded order line, built member by member as the codecs' compact() builds it. */
function line(i: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  out.product = { system: 'https://www.gs1.org/gtin', code: `0001234560001${i % 10}` };
  out.quantity = { value: 100 + (i % 7), unit: 'dispensing-unit' };
  return out;
}

let sink: unknown;
const cases: Record<string, (i: number) => unknown> = {
  'spread copy (baseline)': (i) => ({ ...line(i) }),
  'spread + a new key': (i) => ({ ...line(i), lineId: `l${i}` }),
  'spread + a key it has': (i) => ({ ...line(i), quantity: i }),
  withMembers: (i) => withMembers(line(i), { lineId: `l${i}` }),
};

function nsPerCall(run: (i: number) => unknown): number {
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) sink = run(i);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / N;
}

for (const run of Object.values(cases)) for (let i = 0; i < N; i++) sink = run(i); // warm every case
const ratios = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  const base = nsPerCall(cases['spread copy (baseline)']);
  for (const [name, run] of Object.entries(cases)) {
    if (name === 'spread copy (baseline)') continue;
    ratios.set(name, [...(ratios.get(name) ?? []), nsPerCall(run) / base]);
  }
  console.log(`round ${r + 1}: baseline ${base.toFixed(0)} ns per call`);
}
for (const [name, xs] of ratios) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  console.log(
    `${name.padEnd(24)} ÷ spread copy: ${sorted[0].toFixed(2)} / ${mid.toFixed(2)} / ${sorted[sorted.length - 1].toFixed(2)}×`,
  );
}
void sink;
